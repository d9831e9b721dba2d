//! [`LogsUpstream`] over aws-sdk-cloudwatchlogs: one client for the whole
//! process (connection reuse) and a bounded connect time. The deadline of a
//! whole call, retries included, is kept by [`super::guard::GuardedUpstream`].

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::config::{SharedHttpClient, StalledStreamProtectionConfig};
use aws_sdk_cloudwatchlogs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudwatchlogs::operation::RequestId;
use aws_sdk_cloudwatchlogs::types::{OrderBy, QueryLanguage};
use aws_smithy_runtime_api::http::Response;
use futures_util::future::BoxFuture;

use super::http_client::PerThreadHttpClient;
use super::*;
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
                    .build(),
            )
            .retry_config(RetryConfig::standard().with_max_attempts(settings.max_attempts))
            // Responses are small JSON pages, and the whole call is bounded by
            // the guard's deadline; the per-request throughput monitor only
            // costs timers here.
            .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
            .http_client(SharedHttpClient::new(PerThreadHttpClient))
            .build();
        Self {
            client: Client::from_conf(config),
        }
    }
}

// Always plain names toward CloudWatch, never identifiers the caller could shape.
impl LogsUpstream for CloudWatchUpstream {
    fn get_log_events(
        &self,
        _caller: Caller,
        r: GetLogEventsRequest,
    ) -> BoxFuture<'_, UpstreamResult<GetLogEventsResponse>> {
        Box::pin(async move {
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
                .map_err(|e| map_error("GetLogEvents", e))?;
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

    fn filter_log_events(
        &self,
        _caller: Caller,
        r: FilterLogEventsRequest,
    ) -> BoxFuture<'_, UpstreamResult<FilterLogEventsResponse>> {
        Box::pin(async move {
            let mut call = self
                .client
                .filter_log_events()
                .log_group_name(r.group.as_str())
                .set_filter_pattern(r.filter_pattern)
                .set_start_time(r.start_time)
                .set_end_time(r.end_time)
                .set_limit(r.limit)
                .set_next_token(r.next_token);
            call = match r.streams {
                StreamSelection::All => call,
                StreamSelection::Named(names) => {
                    call.set_log_stream_names(Some(names.iter().map(|n| n.as_str().to_owned()).collect()))
                }
                StreamSelection::Prefix(prefix) => call.log_stream_name_prefix(prefix.as_str()),
            };
            let out = call.send().await.map_err(|e| map_error("FilterLogEvents", e))?;
            Ok(FilterLogEventsResponse {
                events: out
                    .events
                    .unwrap_or_default()
                    .into_iter()
                    .map(|e| FilteredLogEvent {
                        log_stream_name: e.log_stream_name,
                        timestamp: e.timestamp,
                        message: e.message,
                        ingestion_time: e.ingestion_time,
                        event_id: e.event_id,
                    })
                    .collect(),
                next_token: out.next_token,
            })
        })
    }

    fn describe_log_groups(
        &self,
        _caller: Caller,
        r: DescribeLogGroupsRequest,
    ) -> BoxFuture<'_, UpstreamResult<DescribeLogGroupsResponse>> {
        Box::pin(async move {
            let out = self
                .client
                .describe_log_groups()
                .set_log_group_name_prefix(r.prefix)
                .set_limit(r.limit)
                .set_next_token(r.next_token)
                .send()
                .await
                .map_err(|e| map_error("DescribeLogGroups", e))?;
            Ok(DescribeLogGroupsResponse {
                groups: out
                    .log_groups
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|g| {
                        Some(LogGroupInfo {
                            name: g.log_group_name?,
                            creation_time: g.creation_time,
                            retention_in_days: g.retention_in_days,
                            stored_bytes: g.stored_bytes,
                        })
                    })
                    .collect(),
                next_token: out.next_token,
            })
        })
    }

    fn describe_log_streams(
        &self,
        _caller: Caller,
        r: DescribeLogStreamsRequest,
    ) -> BoxFuture<'_, UpstreamResult<DescribeLogStreamsResponse>> {
        Box::pin(async move {
            let out = self
                .client
                .describe_log_streams()
                .log_group_name(r.group.as_str())
                .set_log_stream_name_prefix(r.prefix)
                .set_order_by(r.order_by.map(|o| match o {
                    StreamOrder::LogStreamName => OrderBy::LogStreamName,
                    StreamOrder::LastEventTime => OrderBy::LastEventTime,
                }))
                .set_descending(r.descending)
                .set_limit(r.limit)
                .set_next_token(r.next_token)
                .send()
                .await
                .map_err(|e| map_error("DescribeLogStreams", e))?;
            Ok(DescribeLogStreamsResponse {
                streams: out
                    .log_streams
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|s| {
                        Some(LogStreamInfo {
                            name: s.log_stream_name?,
                            creation_time: s.creation_time,
                            first_event_timestamp: s.first_event_timestamp,
                            last_event_timestamp: s.last_event_timestamp,
                            last_ingestion_time: s.last_ingestion_time,
                        })
                    })
                    .collect(),
                next_token: out.next_token,
            })
        })
    }

    fn start_query(&self, _caller: Caller, r: StartQueryRequest) -> BoxFuture<'_, UpstreamResult<String>> {
        Box::pin(async move {
            let out = self
                .client
                .start_query()
                .set_log_group_names(Some(r.groups.iter().map(|g| g.as_str().to_owned()).collect()))
                .query_string(r.query_string)
                // Pinned: SQL and PPL name log groups inside the query text.
                .query_language(QueryLanguage::Cwli)
                .start_time(r.start_time)
                .end_time(r.end_time)
                .set_limit(r.limit)
                .send()
                .await
                .map_err(|e| map_error("StartQuery", e))?;
            out.query_id
                .ok_or_else(|| UpstreamError::Failure("StartQuery returned no queryId".into()))
        })
    }

    fn get_query_results(&self, _caller: Caller, query_id: String) -> BoxFuture<'_, UpstreamResult<QueryResults>> {
        Box::pin(async move {
            let out = self
                .client
                .get_query_results()
                .query_id(query_id)
                .send()
                .await
                .map_err(|e| map_error("GetQueryResults", e))?;
            let stats = out.statistics;
            Ok(QueryResults {
                status: out
                    .status
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_else(|| "Unknown".into()),
                results: out
                    .results
                    .unwrap_or_default()
                    .into_iter()
                    .map(|row| {
                        row.into_iter()
                            .filter_map(|f| Some((f.field?, f.value.unwrap_or_default())))
                            .collect()
                    })
                    .collect(),
                records_matched: stats.as_ref().map_or(0.0, |s| s.records_matched),
                records_scanned: stats.as_ref().map_or(0.0, |s| s.records_scanned),
                bytes_scanned: stats.as_ref().map_or(0.0, |s| s.bytes_scanned),
            })
        })
    }

    fn stop_query(&self, _caller: Caller, query_id: String) -> BoxFuture<'_, UpstreamResult<bool>> {
        Box::pin(async move {
            let out = self
                .client
                .stop_query()
                .query_id(query_id)
                .send()
                .await
                .map_err(|e| map_error("StopQuery", e))?;
            Ok(out.success)
        })
    }
}

/// Maps any operation's error: the common cases by code, so every operation
/// answers the same way (throttling arrives unmodelled, as a code). Each
/// failure is logged with what an operator needs to follow it up with AWS.
fn map_error<E, B>(operation: &'static str, err: SdkError<E, Response<B>>) -> UpstreamError
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
