//! [`LogsUpstream`] over aws-sdk-cloudwatchlogs: one client for the whole
//! process (connection reuse), bounded connect and request timeouts.

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudwatchlogs::operation::get_log_events::GetLogEventsError;
use futures_util::future::BoxFuture;

use super::{GetLogEventsRequest, GetLogEventsResponse, LogsUpstream, OutputLogEvent, UpstreamError};
use crate::config::UpstreamSettings;

#[derive(Clone)]
pub struct CloudWatchUpstream {
    client: Client,
}

impl CloudWatchUpstream {
    pub fn new(sdk: &SdkConfig, settings: &UpstreamSettings) -> Self {
        let config = aws_sdk_cloudwatchlogs::config::Builder::from(sdk)
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(settings.connect_timeout)
                    .operation_timeout(settings.request_timeout)
                    .build(),
            )
            .retry_config(RetryConfig::standard().with_max_attempts(settings.max_attempts))
            .build();
        Self {
            client: Client::from_conf(config),
        }
    }
}

impl LogsUpstream for CloudWatchUpstream {
    fn get_log_events(&self, r: GetLogEventsRequest) -> BoxFuture<'_, Result<GetLogEventsResponse, UpstreamError>> {
        Box::pin(async move {
            // Always the plain name, never an identifier the caller could shape.
            let out = self
                .client
                .get_log_events()
                .log_group_name(r.group.as_str())
                .log_stream_name(r.stream.as_str())
                .set_start_time(r.start_time)
                .set_end_time(r.end_time)
                .set_limit(r.limit)
                .set_next_token(r.next_token)
                .set_start_from_head(r.start_from_head)
                .send()
                .await
                .map_err(map_error)?;
            Ok(GetLogEventsResponse {
                events: out
                    .events
                    .unwrap_or_default()
                    .into_iter()
                    .map(|e| OutputLogEvent {
                        timestamp: e.timestamp,
                        message: e.message,
                        ingestion_time: e.ingestion_time,
                    })
                    .collect(),
                next_forward_token: out.next_forward_token,
                next_backward_token: out.next_backward_token,
            })
        })
    }
}

fn map_error<R: std::fmt::Debug>(err: SdkError<GetLogEventsError, R>) -> UpstreamError {
    match err {
        SdkError::TimeoutError(_) => UpstreamError::Timeout,
        SdkError::DispatchFailure(failure) if failure.is_timeout() => UpstreamError::Timeout,
        SdkError::ServiceError(service) => {
            let service = service.into_err();
            if service.code() == Some("ThrottlingException") {
                return UpstreamError::Throttled;
            }
            match service {
                GetLogEventsError::ResourceNotFoundException(e) => UpstreamError::NotFound(
                    e.message()
                        .unwrap_or("the log group or stream does not exist")
                        .to_owned(),
                ),
                GetLogEventsError::InvalidParameterException(e) => {
                    UpstreamError::InvalidRequest(e.message().unwrap_or("CloudWatch rejected a parameter").to_owned())
                }
                other => UpstreamError::Failure(format!(
                    "{}: {}",
                    other.code().unwrap_or("unknown"),
                    other.message().unwrap_or("")
                )),
            }
        }
        other => UpstreamError::Failure(format!("{other:?}")),
    }
}
