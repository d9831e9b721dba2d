//! The AWS JSON 1.1 door's rendering: replies are
//! `application/x-amz-json-1.1` with CloudWatch's member names, errors are
//! `{"__type": "…Exception", "message": "…"}` with the type and status the
//! error catalogue gives for this door (`ErrorCode::aws_type`,
//! `ErrorCode::aws_status`), never problem+json; every response carries the
//! request id as `x-amzn-RequestId`.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName};
use serde::Serialize;

use crate::error::ApiError;

pub(crate) const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
static REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");
static ERROR_TYPE: HeaderName = HeaderName::from_static("x-amzn-errortype");

/// A successful reply.
pub(crate) fn ok(body: &impl Serialize, request_id: Option<&str>) -> HttpResponse {
    match serde_json::to_vec(body) {
        Ok(body) => respond(StatusCode::OK, request_id).body(body),
        Err(e) => error(&ApiError::internal(e), request_id),
    }
}

/// An error, as SDKs parse it: the type in `__type` (and, for SDKs that read
/// it there, in `x-amzn-ErrorType`), the detail in `message`.
pub(crate) fn error(err: &ApiError, request_id: Option<&str>) -> HttpResponse {
    let code = err.code();
    let status = StatusCode::from_u16(code.aws_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = respond(status, request_id);
    response.insert_header((ERROR_TYPE.clone(), code.aws_type()));
    if let Some(secs) = err.retry_after_secs() {
        response.insert_header((header::RETRY_AFTER, secs.to_string()));
    }
    let body = serde_json::json!({"__type": code.aws_type(), "message": err.detail()});
    response.body(body.to_string())
}

fn respond(status: StatusCode, request_id: Option<&str>) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CONTENT_TYPE, CONTENT_TYPE));
    if let Some(id) = request_id {
        response.insert_header((REQUEST_ID.clone(), id));
    }
    response
}

#[cfg(test)]
mod tests {
    use actix_web::body::MessageBody;

    use super::*;
    use crate::error::ErrorCode;

    fn header<'a>(response: &'a HttpResponse, name: &str) -> &'a str {
        response.headers().get(name).unwrap().to_str().unwrap()
    }

    fn body(response: HttpResponse) -> serde_json::Value {
        let bytes = response.into_body().try_into_bytes().unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn errors_carry_the_aws_type_status_and_request_id() {
        let response = error(&ApiError::access_denied("no"), Some("r-1"));
        assert_eq!(response.status(), 400);
        assert_eq!(header(&response, "content-type"), CONTENT_TYPE);
        assert_eq!(header(&response, "x-amzn-requestid"), "r-1");
        assert_eq!(header(&response, "x-amzn-errortype"), "AccessDeniedException");
        assert_eq!(
            body(response),
            serde_json::json!({"__type": "AccessDeniedException", "message": "no"})
        );
        let throttled = error(&ApiError::throttled("slow down", 3), None);
        assert_eq!(throttled.status(), 400);
        assert_eq!(header(&throttled, "retry-after"), "3");
        assert_eq!(body(throttled)["__type"], "ThrottlingException");
        let failed = error(&ApiError::new(ErrorCode::UpstreamTimeout, "late"), None);
        assert_eq!(failed.status(), 500);
        assert_eq!(body(failed)["__type"], "ServiceUnavailableException");
    }

    #[test]
    fn replies_are_amz_json() {
        let response = ok(&serde_json::json!({"queryId": "q"}), Some("r-2"));
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "content-type"), CONTENT_TYPE);
        assert_eq!(header(&response, "x-amzn-requestid"), "r-2");
        assert_eq!(body(response), serde_json::json!({"queryId": "q"}));
    }
}
