//! GetLogEvents and FilterLogEvents on the AWS door: CloudWatch's request
//! members in, the gateway's operation, CloudWatch's reply members out.
//! `aws logs tail --follow` is FilterLogEvents polled with `interleaved` and a
//! moving `startTime`; nothing more is needed for it.

use serde::Serialize;

use super::groups::log_group;
use super::members::{Members, required};
use crate::domain::{LogStreamName, ResourceScope};
use crate::error::ApiError;
use crate::gateway::events::GetLogEvents;
use crate::gateway::filter::select_streams;
use crate::gateway::filter::{FilterLogEvents, Selection};
use crate::gateway::{MAX_EPOCH_MS, MAX_TOKEN_LEN};
use crate::upstream::{FilteredLogEvent, GetLogEventsResponse, OutputLogEvent};

/// CloudWatch's bound on filter patterns.
const MAX_PATTERN_LEN: usize = 1024;

pub(crate) fn parse_get(body: &[u8], scope: &ResourceScope) -> Result<GetLogEvents, ApiError> {
    let mut m = Members::parse(
        body,
        &[
            "logGroupName",
            "logGroupIdentifier",
            "logStreamName",
            "startTime",
            "endTime",
            "nextToken",
            "limit",
            "startFromHead",
            "unmask",
        ],
        &[],
    )?;
    let group = log_group(&mut m, scope)?;
    let stream = required("logStreamName", m.string("logStreamName", 1, 512)?)?;
    let stream = LogStreamName::parse(&stream).map_err(|e| ApiError::invalid_body("logStreamName", e.to_string()))?;
    let (start_time, end_time) = time_range(&mut m)?;
    refuse_unmask(&mut m)?;
    Ok(GetLogEvents {
        group,
        stream,
        start_time,
        end_time,
        limit: limit(&mut m)?,
        next_token: m.string("nextToken", 1, MAX_TOKEN_LEN)?,
        start_from_head: m.boolean("startFromHead")?,
    })
}

pub(crate) fn parse_filter(body: &[u8], scope: &ResourceScope) -> Result<FilterLogEvents, ApiError> {
    let mut m = Members::parse(
        body,
        &[
            "logGroupName",
            "logGroupIdentifier",
            "logStreamNames",
            "logStreamNamePrefix",
            "startTime",
            "endTime",
            "filterPattern",
            "nextToken",
            "limit",
            "startFromHead",
            "interleaved",
            "unmask",
        ],
        &[],
    )?;
    let group = log_group(&mut m, scope)?;
    let names = m.strings("logStreamNames", 1, 100)?;
    let prefix = m.string("logStreamNamePrefix", 1, 512)?;
    let streams = select_streams(names.as_deref(), prefix.as_deref())
        .map_err(|(member, why)| ApiError::invalid_body(member, why))?;
    let (start_time, end_time) = time_range(&mut m)?;
    // Results always run oldest first, and CloudWatch has interleaved streams
    // since 2019 whatever `interleaved` says.
    if m.boolean("startFromHead")? == Some(false) {
        return Err(ApiError::invalid_body(
            "startFromHead",
            "only true (oldest first) is supported by this gateway",
        ));
    }
    m.boolean("interleaved")?;
    refuse_unmask(&mut m)?;
    Ok(FilterLogEvents {
        selection: Selection {
            group,
            streams,
            filter_pattern: m.string("filterPattern", 0, MAX_PATTERN_LEN)?,
        },
        start_time,
        end_time,
        limit: limit(&mut m)?,
        next_token: m.string("nextToken", 1, MAX_TOKEN_LEN)?,
    })
}

/// `startTime` and `endTime` in epoch milliseconds, end not before start.
fn time_range(m: &mut Members) -> Result<(Option<i64>, Option<i64>), ApiError> {
    let start = m.integer("startTime", 0, MAX_EPOCH_MS)?;
    let end = m.integer("endTime", 0, MAX_EPOCH_MS)?;
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        return Err(ApiError::invalid_body("endTime", "must not be before startTime"));
    }
    Ok((start, end))
}

fn limit(m: &mut Members) -> Result<Option<i32>, ApiError> {
    Ok(m.integer("limit", 1, 10_000)?.map(|l| l as i32))
}

/// Unmasking needs `logs:Unmask`, which no tenant policy can grant.
fn refuse_unmask(m: &mut Members) -> Result<(), ApiError> {
    match m.boolean("unmask")? {
        Some(true) => Err(ApiError::invalid_body(
            "unmask",
            "masked data is never unmasked through this gateway",
        )),
        _ => Ok(()),
    }
}

/// GetLogEvents' reply, member for member.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Events {
    events: Vec<Event>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_forward_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_backward_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ingestion_time: Option<i64>,
}

impl From<GetLogEventsResponse> for Events {
    fn from(r: GetLogEventsResponse) -> Self {
        let event = |e: OutputLogEvent| Event {
            timestamp: e.timestamp,
            message: e.message,
            ingestion_time: e.ingestion_time,
        };
        Self {
            events: r.events.into_iter().map(event).collect(),
            next_forward_token: r.next_forward_token,
            next_backward_token: r.next_backward_token,
        }
    }
}

/// FilterLogEvents' reply, member for member (`searchedLogStreams` has been
/// deprecated, and empty, since 2019).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Filtered {
    events: Vec<FilteredEvent>,
    searched_log_streams: [(); 0],
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FilteredEvent {
    #[serde(skip_serializing_if = "Option::is_none")]
    log_stream_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ingestion_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_id: Option<String>,
}

impl Filtered {
    pub(crate) fn new(r: crate::upstream::FilterLogEventsResponse) -> Self {
        let event = |e: FilteredLogEvent| FilteredEvent {
            log_stream_name: e.log_stream_name,
            timestamp: e.timestamp,
            message: e.message,
            ingestion_time: e.ingestion_time,
            event_id: e.event_id,
        };
        Self {
            events: r.events.into_iter().map(event).collect(),
            searched_log_streams: [],
            next_token: r.next_token,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstream::FilterLogEventsResponse;

    #[test]
    fn replies_use_cloudwatchs_member_names() {
        let filtered = Filtered::new(FilterLogEventsResponse {
            events: vec![FilteredLogEvent {
                log_stream_name: Some("s".into()),
                timestamp: Some(1),
                message: Some("m".into()),
                ingestion_time: Some(2),
                event_id: Some("e".into()),
            }],
            next_token: None,
        });
        assert_eq!(
            serde_json::to_value(filtered).unwrap(),
            serde_json::json!({
                "events": [{"logStreamName": "s", "timestamp": 1, "message": "m", "ingestionTime": 2, "eventId": "e"}],
                "searchedLogStreams": [],
            })
        );
        let events = Events::from(GetLogEventsResponse {
            events: vec![OutputLogEvent {
                timestamp: Some(1),
                message: Some("m".into()),
                ingestion_time: None,
            }],
            next_forward_token: Some("f".into()),
            next_backward_token: Some("b".into()),
        });
        assert_eq!(
            serde_json::to_value(events).unwrap(),
            serde_json::json!({
                "events": [{"timestamp": 1, "message": "m"}],
                "nextForwardToken": "f",
                "nextBackwardToken": "b",
            })
        );
    }
}
