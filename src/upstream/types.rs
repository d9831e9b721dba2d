//! Requests and responses of the CloudWatch Logs operations the gateway uses.
//! A request is hashable: as it stands, it is the cache key of its answer
//! (`cache`).

use crate::domain::{LogGroupName, LogStreamName};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GetLogEventsRequest {
    pub group: LogGroupName,
    pub stream: LogStreamName,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub limit: Option<i32>,
    pub next_token: Option<String>,
    pub start_from_head: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutputLogEvent {
    pub timestamp: Option<i64>,
    pub message: Option<String>,
    pub ingestion_time: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GetLogEventsResponse {
    pub events: Vec<OutputLogEvent>,
    pub next_forward_token: Option<String>,
    pub next_backward_token: Option<String>,
}

/// Which streams a FilterLogEvents call reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StreamSelection {
    All,
    Named(Vec<LogStreamName>),
    Prefix(LogStreamName),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FilterLogEventsRequest {
    pub group: LogGroupName,
    pub streams: StreamSelection,
    pub filter_pattern: Option<String>,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub limit: Option<i32>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FilteredLogEvent {
    pub log_stream_name: Option<String>,
    pub timestamp: Option<i64>,
    pub message: Option<String>,
    pub ingestion_time: Option<i64>,
    pub event_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FilterLogEventsResponse {
    pub events: Vec<FilteredLogEvent>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DescribeLogGroupsRequest {
    pub prefix: Option<String>,
    pub limit: Option<i32>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogGroupInfo {
    pub name: String,
    pub creation_time: Option<i64>,
    pub retention_in_days: Option<i32>,
    pub stored_bytes: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DescribeLogGroupsResponse {
    pub groups: Vec<LogGroupInfo>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamOrder {
    LogStreamName,
    LastEventTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DescribeLogStreamsRequest {
    pub group: LogGroupName,
    pub prefix: Option<String>,
    pub order_by: Option<StreamOrder>,
    pub descending: Option<bool>,
    pub limit: Option<i32>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogStreamInfo {
    pub name: String,
    pub creation_time: Option<i64>,
    pub first_event_timestamp: Option<i64>,
    pub last_event_timestamp: Option<i64>,
    pub last_ingestion_time: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DescribeLogStreamsResponse {
    pub streams: Vec<LogStreamInfo>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone)]
pub struct StartQueryRequest {
    pub groups: Vec<LogGroupName>,
    pub query_string: String,
    /// Epoch seconds.
    pub start_time: i64,
    /// Epoch seconds.
    pub end_time: i64,
    pub limit: Option<i32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueryResults {
    /// Scheduled, Running, Complete, Failed, Cancelled, Timeout, Unknown.
    pub status: String,
    pub results: Vec<Vec<(String, String)>>,
    pub records_matched: f64,
    pub records_scanned: f64,
    pub bytes_scanned: f64,
}

impl QueryResults {
    /// Whether the query will not change any more.
    pub fn is_finished(&self) -> bool {
        matches!(self.status.as_str(), "Complete" | "Failed" | "Cancelled" | "Timeout")
    }
}
