//! The one error type of the HTTP API. Every error leaves as
//! `application/problem+json` (RFC 9457) with a stable snake_case `code` that
//! clients match on; [`ErrorCode`] is the catalogue mapping codes to statuses.
//! Internal details are logged, never sent.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidParameter,
    InvalidBody,
    InvalidPolicy,
    Unauthenticated,
    TenantForbidden,
    Forbidden,
    AccessDenied,
    PreconditionFailed,
    ResourceNotFound,
    RouteNotFound,
    MethodNotAllowed,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    Throttled,
    ServiceUnavailable,
    UpstreamError,
    UpstreamTimeout,
    Internal,
}

impl ErrorCode {
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::InvalidParameter | ErrorCode::InvalidBody | ErrorCode::InvalidPolicy => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::TenantForbidden | ErrorCode::Forbidden | ErrorCode::AccessDenied => StatusCode::FORBIDDEN,
            ErrorCode::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ErrorCode::ResourceNotFound | ErrorCode::RouteNotFound => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::Throttled => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::UpstreamError => StatusCode::BAD_GATEWAY,
            ErrorCode::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidParameter => "invalid_parameter",
            ErrorCode::InvalidBody => "invalid_body",
            ErrorCode::InvalidPolicy => "invalid_policy",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::TenantForbidden => "tenant_forbidden",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::PreconditionFailed => "precondition_failed",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::ResourceNotFound => "resource_not_found",
            ErrorCode::RouteNotFound => "route_not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::Throttled => "throttled",
            ErrorCode::ServiceUnavailable => "service_unavailable",
            ErrorCode::UpstreamError => "upstream_error",
            ErrorCode::UpstreamTimeout => "upstream_timeout",
            ErrorCode::Internal => "internal",
        }
    }

    fn title(self) -> &'static str {
        match self {
            ErrorCode::InvalidParameter => "Invalid parameter",
            ErrorCode::InvalidBody => "Invalid request body",
            ErrorCode::InvalidPolicy => "Invalid policy document",
            ErrorCode::Unauthenticated => "Authentication required",
            ErrorCode::TenantForbidden => "Tenant not allowed",
            ErrorCode::Forbidden => "Forbidden",
            ErrorCode::PreconditionFailed => "Precondition failed",
            ErrorCode::AccessDenied => "Access denied",
            ErrorCode::ResourceNotFound => "Resource not found",
            ErrorCode::RouteNotFound => "No such route",
            ErrorCode::MethodNotAllowed => "Method not allowed",
            ErrorCode::Conflict => "Conflict",
            ErrorCode::PayloadTooLarge => "Payload too large",
            ErrorCode::UnsupportedMediaType => "Unsupported media type",
            ErrorCode::Throttled => "Too many requests",
            ErrorCode::ServiceUnavailable => "Service unavailable",
            ErrorCode::UpstreamError => "Upstream failure",
            ErrorCode::UpstreamTimeout => "Upstream timeout",
            ErrorCode::Internal => "Internal error",
        }
    }
}

/// One invalid input, named as the client sent it (`limit`, `logGroupName`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InvalidParam {
    pub name: String,
    pub reason: String,
}

#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    detail: String,
    invalid_params: Vec<InvalidParam>,
    retry_after_secs: Option<u64>,
}

/// The shape of every error response, for the API description.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
#[schema(as = Problem)]
pub struct ProblemDoc {
    /// `urn:logward:problem:<code>`
    #[schema(rename = "type")]
    kind: String,
    title: String,
    status: u16,
    detail: String,
    /// Stable snake_case error code, e.g. `access_denied`, `invalid_parameter`.
    code: String,
    /// For 400s: which inputs were wrong and why.
    invalid_params: Option<Vec<InvalidParam>>,
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'static str,
    status: u16,
    detail: &'a str,
    code: &'static str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    invalid_params: &'a [InvalidParam],
}

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            invalid_params: Vec::new(),
            retry_after_secs: None,
        }
    }

    /// A 400 naming the parameter at fault.
    pub fn invalid_param(name: impl Into<String>, reason: impl Into<String>) -> Self {
        let (name, reason) = (name.into(), reason.into());
        Self {
            code: ErrorCode::InvalidParameter,
            detail: format!("{name}: {reason}"),
            invalid_params: vec![InvalidParam { name, reason }],
            retry_after_secs: None,
        }
    }

    pub fn invalid_body(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::InvalidBody,
            ..Self::invalid_param(name, reason)
        }
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthenticated, detail)
    }

    pub fn access_denied(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::AccessDenied, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::ResourceNotFound, detail)
    }

    /// An unexpected failure: logged with its whole chain, answered opaquely.
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        let err = err.into();
        tracing::error!(error = format!("{err:#}"), "internal error");
        Self::new(ErrorCode::Internal, "an internal error occurred; it has been logged")
    }

    pub fn push_invalid_param(&mut self, param: InvalidParam) {
        self.invalid_params.push(param);
    }

    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs.max(1));
        self
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.code.status();
        let problem = Problem {
            kind: format!("urn:logward:problem:{}", self.code.as_str()),
            title: self.code.title(),
            status: status.as_u16(),
            detail: &self.detail,
            code: self.code.as_str(),
            invalid_params: &self.invalid_params,
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"logward\""),
            ));
        }
        if let Some(secs) = self.retry_after_secs {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        match serde_json::to_vec(&problem) {
            Ok(body) => response.body(body),
            Err(_) => response.finish(),
        }
    }
}

/// Wires actix's own extractor rejections (bad JSON, path, query, size) into
/// problem+json, so every error the API can produce has the same shape.
pub mod handlers {
    use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
    use actix_web::{Error, HttpRequest};

    use super::{ApiError, ErrorCode};

    pub fn json(err: JsonPayloadError, _req: &HttpRequest) -> Error {
        let api = match &err {
            JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
                ApiError::new(ErrorCode::PayloadTooLarge, "the request body is too large")
            }
            JsonPayloadError::ContentType => ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "the request body must be application/json",
            ),
            JsonPayloadError::Deserialize(e) => ApiError::invalid_body("body", e.to_string()),
            other => ApiError::invalid_body("body", other.to_string()),
        };
        api.into()
    }

    pub fn path(err: PathError, _req: &HttpRequest) -> Error {
        ApiError::invalid_param("path", err.to_string()).into()
    }

    pub fn query(err: QueryPayloadError, _req: &HttpRequest) -> Error {
        ApiError::invalid_param("query", err.to_string()).into()
    }
}
