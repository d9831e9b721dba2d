//! The one error catalogue. Every failure the gateway reports is an
//! [`ApiError`]: a stable [`ErrorCode`], a detail for humans, and (for bad
//! input) the fields at fault. Each code is written once, in [`catalogue!`]:
//! its snake_case name, HTTP status, title and the AWS error type the
//! AWS-compatible door answers with. Each front door renders it its own way
//! (problem+json for REST: `routes::problem`); nothing here knows a framework.
//! Conversions from the modules' own errors live in `error::from`.

mod from;

use serde::Serialize;

/// Declares the codes once; every lookup is generated from the same row.
macro_rules! catalogue {
    ($($variant:ident = $code:literal, $status:literal, $title:literal, $aws:literal;)+) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub(crate) enum ErrorCode {
            $($variant,)+
        }

        impl ErrorCode {
            #[cfg(test)]
            pub(crate) const ALL: &[ErrorCode] = &[$(ErrorCode::$variant,)+];

            /// The stable snake_case code clients match on.
            pub(crate) fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)+ }
            }

            /// HTTP status on the REST API.
            pub(crate) fn status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)+ }
            }

            pub(crate) fn title(self) -> &'static str {
                match self { $(ErrorCode::$variant => $title,)+ }
            }

            /// The `__type` the AWS JSON 1.1 door answers with.
            pub(crate) fn aws_type(self) -> &'static str {
                match self { $(ErrorCode::$variant => $aws,)+ }
            }
        }
    };
}

catalogue! {
    InvalidParameter     = "invalid_parameter",      400, "Invalid parameter",          "InvalidParameterException";
    InvalidBody          = "invalid_body",           400, "Invalid request body",       "InvalidParameterException";
    InvalidPolicy        = "invalid_policy",         400, "Invalid policy document",    "InvalidParameterException";
    Unauthenticated      = "unauthenticated",        401, "Authentication required",    "UnrecognizedClientException";
    // SigV4 refusals, with CloudWatch's statuses (only the AWS door answers them).
    UnrecognizedClient   = "unrecognized_client",    400, "Unrecognized access key",    "UnrecognizedClientException";
    InvalidSignature     = "invalid_signature",      400, "Invalid signature",          "InvalidSignatureException";
    ExpiredToken         = "expired_token",          400, "Expired access key",         "ExpiredTokenException";
    TenantForbidden      = "tenant_forbidden",       403, "Tenant not allowed",         "AccessDeniedException";
    Forbidden            = "forbidden",              403, "Forbidden",                  "AccessDeniedException";
    AccessDenied         = "access_denied",          403, "Access denied",              "AccessDeniedException";
    ResourceNotFound     = "resource_not_found",     404, "Resource not found",         "ResourceNotFoundException";
    RouteNotFound        = "route_not_found",        404, "No such route",              "UnknownOperationException";
    MethodNotAllowed     = "method_not_allowed",     405, "Method not allowed",         "UnknownOperationException";
    Conflict             = "conflict",               409, "Conflict",                   "ResourceAlreadyExistsException";
    PreconditionFailed   = "precondition_failed",    412, "Precondition failed",        "InvalidParameterException";
    PayloadTooLarge      = "payload_too_large",      413, "Payload too large",          "InvalidParameterException";
    UnsupportedMediaType = "unsupported_media_type", 415, "Unsupported media type",     "InvalidParameterException";
    Throttled            = "throttled",              429, "Too many requests",          "ThrottlingException";
    Internal             = "internal",               500, "Internal error",             "InternalFailure";
    TailUnavailable      = "tail_unavailable",       501, "Live tail unavailable",      "InvalidOperationException";
    UpstreamError        = "upstream_error",         502, "Upstream failure",           "ServiceUnavailableException";
    ServiceUnavailable   = "service_unavailable",    503, "Service unavailable",        "ServiceUnavailableException";
    UpstreamTimeout      = "upstream_timeout",       504, "Upstream timeout",           "ServiceUnavailableException";
}

impl ErrorCode {
    /// HTTP status on the AWS JSON 1.1 door. CloudWatch Logs answers every
    /// client error with 400 (access denied, throttling and unknown keys
    /// included; the `__type` tells them apart) and its own failures with
    /// 500, so the status follows from the REST status class.
    pub(crate) fn aws_status(self) -> u16 {
        if self.status() >= 500 { 500 } else { 400 }
    }

    /// `urn:logward:problem:<code>`, the problem type URI.
    pub(crate) fn type_uri(self) -> String {
        format!("urn:logward:problem:{}", self.as_str())
    }
}

/// One invalid input, named as the client sent it (`limit`, `logGroupName`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct InvalidParam {
    pub(crate) name: String,
    pub(crate) reason: String,
}

#[derive(Debug)]
pub(crate) struct ApiError {
    code: ErrorCode,
    detail: String,
    invalid_params: Vec<InvalidParam>,
    retry_after_secs: Option<u64>,
    /// A presented bearer token was refused: the 401 names RFC 6750's
    /// `invalid_token` in `WWW-Authenticate`.
    invalid_token: bool,
}

impl ApiError {
    pub(crate) fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            invalid_params: Vec::new(),
            retry_after_secs: None,
            invalid_token: false,
        }
    }

    /// A 400 naming the parameter at fault.
    pub(crate) fn invalid_param(name: impl Into<String>, reason: impl Into<String>) -> Self {
        let (name, reason) = (name.into(), reason.into());
        Self {
            code: ErrorCode::InvalidParameter,
            detail: format!("{name}: {reason}"),
            invalid_params: vec![InvalidParam { name, reason }],
            retry_after_secs: None,
            invalid_token: false,
        }
    }

    pub(crate) fn invalid_body(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::InvalidBody,
            ..Self::invalid_param(name, reason)
        }
    }

    pub(crate) fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthenticated, detail)
    }

    /// A 401 for a bearer credential that was presented and refused.
    pub(crate) fn invalid_token(detail: impl Into<String>) -> Self {
        Self {
            invalid_token: true,
            ..Self::new(ErrorCode::Unauthenticated, detail)
        }
    }

    pub(crate) fn is_invalid_token(&self) -> bool {
        self.invalid_token
    }

    pub(crate) fn access_denied(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::AccessDenied, detail)
    }

    pub(crate) fn not_found(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::ResourceNotFound, detail)
    }

    /// A 429 with the seconds after which a retry may succeed.
    pub(crate) fn throttled(detail: impl Into<String>, retry_after_secs: u64) -> Self {
        Self::new(ErrorCode::Throttled, detail).with_retry_after(retry_after_secs)
    }

    /// A 503 with the seconds after which a retry may succeed.
    pub(crate) fn unavailable(detail: impl Into<String>, retry_after_secs: u64) -> Self {
        Self::new(ErrorCode::ServiceUnavailable, detail).with_retry_after(retry_after_secs)
    }

    /// An unexpected failure: logged with its whole chain, answered opaquely.
    pub(crate) fn internal(err: impl Into<anyhow::Error>) -> Self {
        let err = err.into();
        tracing::error!(error = format!("{err:#}"), "internal error");
        Self::new(ErrorCode::Internal, "an internal error occurred; it has been logged")
    }

    pub(crate) fn push_invalid_param(&mut self, param: InvalidParam) {
        self.invalid_params.push(param);
    }

    pub(crate) fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs.max(1));
        self
    }

    pub(crate) fn code(&self) -> ErrorCode {
        self.code
    }

    pub(crate) fn detail(&self) -> &str {
        &self.detail
    }

    pub(crate) fn invalid_params(&self) -> &[InvalidParam] {
        &self.invalid_params
    }

    pub(crate) fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after_secs
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.detail)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_distinct_name_and_an_error_status() {
        let mut names: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
        for code in ErrorCode::ALL {
            assert!((400..600).contains(&code.status()), "{code:?}");
            assert!(code.aws_type().ends_with("Exception") || code.aws_type() == "InternalFailure");
            assert_eq!(code.aws_status() == 500, code.status() >= 500, "{code:?}");
            assert_eq!(code.type_uri(), format!("urn:logward:problem:{}", code.as_str()));
        }
    }
}
