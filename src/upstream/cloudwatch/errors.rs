//! What a failed CloudWatch call becomes: an [`UpstreamError`] by AWS error
//! code, and a log line with what an operator needs to follow it up.

use aws_sdk_cloudwatchlogs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudwatchlogs::operation::RequestId;
use aws_smithy_runtime_api::http::Response;

use crate::upstream::UpstreamError;

/// Maps any operation's error: the common cases by code, so every operation
/// answers the same way (throttling arrives unmodelled, as a code). Each
/// failure is logged with what an operator needs to follow it up with AWS.
pub(super) fn map_error<E, B>(operation: &'static str, err: SdkError<E, Response<B>>) -> UpstreamError
where
    E: ProvideErrorMetadata + std::fmt::Debug,
    B: std::fmt::Debug,
{
    let report = FailureReport::of(operation, &err);
    let mapped = classify(err);
    match mapped {
        // The caller's own mistake, answered as a 4xx: not an upstream fault.
        UpstreamError::NotFound(_) | UpstreamError::InvalidRequest(_) => report.log(tracing::Level::DEBUG, &mapped),
        _ => report.log(tracing::Level::WARN, &mapped),
    }
    mapped
}

fn classify<E, B>(err: SdkError<E, Response<B>>) -> UpstreamError
where
    E: ProvideErrorMetadata + std::fmt::Debug,
    B: std::fmt::Debug,
{
    match err {
        SdkError::TimeoutError(_) => UpstreamError::Timeout,
        SdkError::DispatchFailure(failure) if failure.is_timeout() => UpstreamError::Timeout,
        SdkError::ServiceError(service) => {
            let service = service.into_err();
            let message = service.message().unwrap_or_default().to_owned();
            match service.code() {
                Some("ThrottlingException" | "LimitExceededException") => UpstreamError::Throttled,
                Some("ResourceNotFoundException") => UpstreamError::NotFound(if message.is_empty() {
                    "the log group or stream does not exist".into()
                } else {
                    message
                }),
                Some("InvalidParameterException" | "MalformedQueryException") => {
                    UpstreamError::InvalidRequest(if message.is_empty() {
                        "CloudWatch rejected a parameter".into()
                    } else {
                        message
                    })
                }
                code => UpstreamError::Failure(format!("{}: {message}", code.unwrap_or("unknown"))),
            }
        }
        other => UpstreamError::Failure(format!("{other:?}")),
    }
}

/// The facts about a failed call that a log line carries: the operation, the
/// HTTP status and AWS error code (when CloudWatch answered) and the AWS
/// request id (what AWS support asks for).
#[derive(Debug, PartialEq)]
struct FailureReport {
    operation: &'static str,
    status: Option<u16>,
    code: Option<String>,
    request_id: Option<String>,
}

impl FailureReport {
    fn of<E: ProvideErrorMetadata, B>(operation: &'static str, err: &SdkError<E, Response<B>>) -> Self {
        let raw = err.raw_response();
        Self {
            operation,
            status: raw.map(|r| r.status().as_u16()),
            code: err.code().map(str::to_owned),
            request_id: raw.and_then(RequestId::request_id).map(str::to_owned),
        }
    }

    fn log(&self, level: tracing::Level, error: &UpstreamError) {
        let status = self.status.map(tracing::field::display);
        let code = self.code.as_deref().map(tracing::field::display);
        let request_id = self.request_id.as_deref().map(tracing::field::display);
        macro_rules! emit {
            ($lvl:expr) => {
                tracing::event!(
                    $lvl,
                    operation = self.operation,
                    http_status = status,
                    aws_error_code = code,
                    aws_request_id = request_id,
                    error = %error,
                    "CloudWatch Logs call failed"
                )
            };
        }
        if level == tracing::Level::WARN {
            emit!(tracing::Level::WARN);
        } else {
            emit!(tracing::Level::DEBUG);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudwatchlogs::error::ErrorMetadata;
    use aws_sdk_cloudwatchlogs::operation::get_log_events::GetLogEventsError;
    use aws_smithy_runtime_api::http::StatusCode;

    #[test]
    fn a_service_failure_reports_operation_status_code_and_request_id() {
        let mut raw = Response::new(StatusCode::try_from(400).expect("a status"), ());
        raw.headers_mut().insert("x-amzn-RequestId", "req-123");
        let err = SdkError::service_error(
            GetLogEventsError::generic(
                ErrorMetadata::builder()
                    .code("AccessDeniedException")
                    .message("no")
                    .build(),
            ),
            raw,
        );
        assert_eq!(
            FailureReport::of("GetLogEvents", &err),
            FailureReport {
                operation: "GetLogEvents",
                status: Some(400),
                code: Some("AccessDeniedException".into()),
                request_id: Some("req-123".into()),
            }
        );
        assert!(
            matches!(map_error("GetLogEvents", err), UpstreamError::Failure(m) if m.starts_with("AccessDeniedException"))
        );
    }

    #[test]
    fn a_call_that_never_reached_cloudwatch_reports_only_the_operation() {
        let err: SdkError<GetLogEventsError, Response<()>> = SdkError::timeout_error("slow");
        assert_eq!(
            FailureReport::of("StartQuery", &err),
            FailureReport {
                operation: "StartQuery",
                status: None,
                code: None,
                request_id: None,
            }
        );
    }
}
