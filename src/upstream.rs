//! The CloudWatch Logs side. Handlers talk to [`LogsUpstream`], a small trait,
//! so a stub can stand in for benchmarks and for faults the emulator cannot
//! produce. Requests carry only validated names; responses are plain structs.

pub mod cloudwatch;

use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::domain::{LogGroupName, LogStreamName};

#[derive(Debug, Clone)]
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

#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("throttled by CloudWatch Logs")]
    Throttled,
    #[error("CloudWatch Logs did not answer in time")]
    Timeout,
    #[error("{0}")]
    Failure(String),
}

pub trait LogsUpstream: Send + Sync + 'static {
    fn get_log_events(
        &self,
        request: GetLogEventsRequest,
    ) -> BoxFuture<'_, Result<GetLogEventsResponse, UpstreamError>>;
}

pub type SharedUpstream = Arc<dyn LogsUpstream>;

impl From<UpstreamError> for crate::error::ApiError {
    fn from(err: UpstreamError) -> Self {
        use crate::error::{ApiError, ErrorCode};
        match err {
            UpstreamError::NotFound(msg) => ApiError::not_found(msg),
            UpstreamError::InvalidRequest(msg) => ApiError::new(ErrorCode::InvalidParameter, msg),
            UpstreamError::Throttled => ApiError::new(
                ErrorCode::Throttled,
                "CloudWatch Logs is throttling requests; retry later",
            )
            .with_retry_after(1),
            UpstreamError::Timeout => {
                ApiError::new(ErrorCode::UpstreamTimeout, "CloudWatch Logs did not answer in time")
            }
            UpstreamError::Failure(msg) => {
                tracing::warn!(error = %msg, "upstream failure");
                ApiError::new(ErrorCode::UpstreamError, "CloudWatch Logs request failed")
            }
        }
    }
}
