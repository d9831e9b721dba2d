//! [`LogsUpstream`] over aws-sdk-cloudwatchlogs: one client for the whole
//! process (connection reuse) and a bounded connect time. The deadline of a
//! whole call, retries included, is kept by [`super::guard::GuardedUpstream`].

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::config::{SharedHttpClient, StalledStreamProtectionConfig};
use aws_sdk_cloudwatchlogs::types::{OrderBy, QueryLanguage};
use futures_util::future::BoxFuture;

mod errors;

use self::errors::map_error;
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
