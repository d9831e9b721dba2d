//! The REST door's rendering of the error catalogue: every error leaves as
//! `application/problem+json` (RFC 9457) with the catalogue's stable `code`;
//! actix's own extractor rejections (bad JSON, path, query, size) are wired
//! into the same shape. Also the shared OpenAPI response sets, so the
//! problem responses are described once, not per route.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::error::{ApiError, ErrorCode, InvalidParam};

/// The shape of every error response, for the API description.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
#[schema(as = Problem)]
pub(crate) struct ProblemDoc {
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

fn status(code: ErrorCode) -> StatusCode {
    StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        status(self.code())
    }

    fn error_response(&self) -> HttpResponse {
        let code = self.code();
        let status = status(code);
        let problem = Problem {
            kind: code.type_uri(),
            title: code.title(),
            status: status.as_u16(),
            detail: self.detail(),
            code: code.as_str(),
            invalid_params: self.invalid_params(),
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, bearer_challenge(self)));
        }
        if let Some(secs) = self.retry_after_secs() {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        match serde_json::to_vec(&problem) {
            Ok(body) => response.body(body),
            Err(_) => response.finish(),
        }
    }
}

/// The problem responses every authenticated route shares.
#[allow(dead_code)]
#[derive(utoipa::IntoResponses)]
pub(crate) enum ClientProblems {
    #[response(
        status = 400,
        description = "Invalid input",
        content_type = "application/problem+json"
    )]
    Invalid(ProblemDoc),
    #[response(
        status = 401,
        description = "Missing or invalid credentials",
        content_type = "application/problem+json"
    )]
    Unauthenticated(ProblemDoc),
    #[response(
        status = 404,
        description = "No such resource",
        content_type = "application/problem+json"
    )]
    NotFound(ProblemDoc),
}

/// The further problem responses of the customer (`/v1`) routes.
#[allow(dead_code)]
#[derive(utoipa::IntoResponses)]
pub(crate) enum DataProblems {
    #[response(
        status = 403,
        description = "Not allowed by the tenant policy or the key's scope",
        content_type = "application/problem+json"
    )]
    Denied(ProblemDoc),
    #[response(
        status = 429,
        description = "A rate limit, a per-tenant cap or CloudWatch's throttling; see Retry-After",
        content_type = "application/problem+json"
    )]
    Throttled(ProblemDoc),
    #[response(
        status = 502,
        description = "CloudWatch failed",
        content_type = "application/problem+json"
    )]
    Upstream(ProblemDoc),
    #[response(
        status = 503,
        description = "Access rules cannot be confirmed, or too many CloudWatch calls in flight; see Retry-After",
        content_type = "application/problem+json"
    )]
    Unavailable(ProblemDoc),
    #[response(
        status = 504,
        description = "CloudWatch did not answer in time",
        content_type = "application/problem+json"
    )]
    Timeout(ProblemDoc),
}

/// The further problem response of the admin routes.
#[allow(dead_code)]
#[derive(utoipa::IntoResponses)]
pub(crate) enum AdminProblems {
    #[response(
        status = 403,
        description = "Not an operator",
        content_type = "application/problem+json"
    )]
    Forbidden(ProblemDoc),
}

/// Wires actix's own extractor rejections into problem+json.
pub(crate) mod handlers {
    use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
    use actix_web::{Error, HttpRequest};

    use crate::error::{ApiError, ErrorCode};

    pub(crate) fn json(err: JsonPayloadError, _req: &HttpRequest) -> Error {
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

    pub(crate) fn path(err: PathError, _req: &HttpRequest) -> Error {
        ApiError::invalid_param("path", err.to_string()).into()
    }

    pub(crate) fn query(err: QueryPayloadError, _req: &HttpRequest) -> Error {
        ApiError::invalid_param("query", err.to_string()).into()
    }
}

/// RFC 6750's challenge: `error="invalid_token"` and a description when a
/// token was presented and refused, the bare challenge when none was sent.
fn bearer_challenge(error: &ApiError) -> HeaderValue {
    if !error.is_invalid_token() {
        return HeaderValue::from_static("Bearer realm=\"logward\"");
    }
    // error_description allows printable ASCII but `"` and `\`.
    let description: String = error
        .detail()
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                ' '
            }
        })
        .collect();
    HeaderValue::from_str(&format!(
        "Bearer realm=\"logward\", error=\"invalid_token\", error_description=\"{description}\""
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("Bearer realm=\"logward\", error=\"invalid_token\""))
}
