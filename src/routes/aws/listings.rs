//! DescribeLogGroups and DescribeLogStreams on the AWS door. Only what the
//! tenant may see is listed (the gateway filters); each item carries
//! CloudWatch's members, ARNs included.

use serde::Serialize;

use super::groups::{log_group, parse_name};
use super::members::Members;
use crate::domain::{LogGroupName, LogStreamName, ResourceScope};
use crate::error::ApiError;
use crate::gateway::MAX_TOKEN_LEN;
use crate::gateway::groups::{DescribeLogGroups, LogGroups};
use crate::gateway::streams::{DescribeLogStreams, LogStreams};
use crate::upstream::StreamOrder;

pub(crate) fn parse_groups(body: &[u8]) -> Result<DescribeLogGroups, ApiError> {
    let mut m = Members::parse(
        body,
        &[
            "logGroupNamePrefix",
            "logGroupNamePattern",
            "includeLinkedAccounts",
            "nextToken",
            "limit",
        ],
        // Other accounts, classes and lookups by identifier are not served.
        &["accountIdentifiers", "logGroupClass", "logGroupIdentifiers"],
    )?;
    let prefix = m
        .string("logGroupNamePrefix", 1, 512)?
        .map(|p| parse_name("logGroupNamePrefix", &p).map(|_| p))
        .transpose()?;
    let pattern = m.string("logGroupNamePattern", 0, 512)?;
    if pattern.is_some() && prefix.is_some() {
        return Err(ApiError::invalid_body(
            "logGroupNamePattern",
            "cannot be combined with logGroupNamePrefix",
        ));
    }
    // An empty pattern matches every name, as at CloudWatch.
    let pattern = pattern
        .filter(|p| !p.is_empty())
        .map(|p| parse_name("logGroupNamePattern", &p).map(|_| p))
        .transpose()?;
    if m.boolean("includeLinkedAccounts")? == Some(true) {
        return Err(ApiError::invalid_body(
            "includeLinkedAccounts",
            "only this gateway's own account is served",
        ));
    }
    Ok(DescribeLogGroups {
        prefix,
        pattern,
        limit: m.integer("limit", 1, 50)?.unwrap_or(50) as usize,
        next_token: m.string("nextToken", 1, MAX_TOKEN_LEN)?,
    })
}

pub(crate) fn parse_streams(body: &[u8], scope: &ResourceScope) -> Result<DescribeLogStreams, ApiError> {
    let mut m = Members::parse(
        body,
        &[
            "logGroupName",
            "logGroupIdentifier",
            "logStreamNamePrefix",
            "orderBy",
            "descending",
            "nextToken",
            "limit",
        ],
        &[],
    )?;
    let group = log_group(&mut m, scope)?;
    let prefix = m
        .string("logStreamNamePrefix", 1, 512)?
        .map(|p| LogStreamName::parse(&p).map_err(|e| ApiError::invalid_body("logStreamNamePrefix", e.to_string())))
        .transpose()?;
    let order_by = match m.string("orderBy", 0, 64)?.as_deref() {
        None | Some("LogStreamName") => None,
        Some("LastEventTime") => Some(StreamOrder::LastEventTime),
        Some(other) => {
            return Err(ApiError::invalid_body(
                "orderBy",
                format!("must be LogStreamName or LastEventTime, not {other:?}"),
            ));
        }
    };
    Ok(DescribeLogStreams {
        group,
        prefix,
        order_by,
        descending: m.boolean("descending")?,
        limit: m.integer("limit", 1, 50)?.unwrap_or(50) as usize,
        next_token: m.string("nextToken", 1, MAX_TOKEN_LEN)?,
    })
}

/// DescribeLogGroups' reply.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Groups {
    log_groups: Vec<Group>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Group {
    log_group_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    creation_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retention_in_days: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stored_bytes: Option<i64>,
    /// IAM's form, `…:log-group:NAME:*`.
    arn: String,
    /// `…:log-group:NAME`, what `logGroupIdentifier` takes.
    log_group_arn: String,
}

impl Groups {
    pub(crate) fn new(page: LogGroups, scope: &ResourceScope) -> Self {
        let group = |g: crate::upstream::LogGroupInfo| {
            let log_group_arn = format!("{}log-group:{}", scope.prefix(), g.name);
            Group {
                arn: format!("{log_group_arn}:*"),
                log_group_arn,
                log_group_name: g.name,
                creation_time: g.creation_time,
                retention_in_days: g.retention_in_days,
                stored_bytes: g.stored_bytes,
            }
        };
        Self {
            log_groups: page.groups.into_iter().map(group).collect(),
            next_token: page.next_token,
        }
    }
}

/// DescribeLogStreams' reply.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Streams {
    log_streams: Vec<Stream>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Stream {
    log_stream_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    creation_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_event_timestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_event_timestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_ingestion_time: Option<i64>,
    arn: String,
}

impl Streams {
    pub(crate) fn new(page: LogStreams, group: &LogGroupName, scope: &ResourceScope) -> Self {
        let stream = |s: crate::upstream::LogStreamInfo| Stream {
            arn: scope.stream_arn_raw(group, &s.name),
            log_stream_name: s.name,
            creation_time: s.creation_time,
            first_event_timestamp: s.first_event_timestamp,
            last_event_timestamp: s.last_event_timestamp,
            last_ingestion_time: s.last_ingestion_time,
        };
        Self {
            log_streams: page.streams.into_iter().map(stream).collect(),
            next_token: page.next_token,
        }
    }
}
