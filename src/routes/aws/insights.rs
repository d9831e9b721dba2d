//! StartQuery, GetQueryResults and StopQuery on the AWS door. The groups of
//! a query are named by exactly one of `logGroupName`, `logGroupNames` and
//! `logGroupIdentifiers`; each is resolved to a plain name here and
//! authorized on its own by the gateway, which also keeps query ids to the
//! tenant that started them.

use serde::Serialize;

use super::groups::{parse_name, resolve};
use super::members::{Members, required};
use crate::domain::insights::check_query;
use crate::domain::{LogGroupName, ResourceScope};
use crate::error::ApiError;
use crate::gateway::queries::{StartQuery, Stopped};
use crate::upstream::QueryResults;

/// Latest epoch second accepted (year 9999).
const MAX_EPOCH_SECS: i64 = 253_402_300_799;
/// CloudWatch's bound on the groups of one query.
const MAX_GROUPS: usize = 50;

pub(crate) fn parse_start(body: &[u8], scope: &ResourceScope) -> Result<StartQuery, ApiError> {
    let mut m = Members::parse(
        body,
        &[
            "queryLanguage",
            "logGroupName",
            "logGroupNames",
            "logGroupIdentifiers",
            "startTime",
            "endTime",
            "queryString",
            "limit",
        ],
        &[],
    )?;
    match m.string("queryLanguage", 0, 16)?.as_deref() {
        None | Some("CWLI") => {}
        Some(_) => {
            return Err(ApiError::invalid_body(
                "queryLanguage",
                "only CWLI (Logs Insights QL) is served: SQL and PPL name log groups inside the query",
            ));
        }
    }
    let groups = groups(&mut m, scope)?;
    let query_string = required("queryString", m.string("queryString", 0, 10_000)?)?;
    check_query(&query_string).map_err(|e| ApiError::invalid_body("queryString", e.to_string()))?;
    let start_time = required("startTime", m.integer("startTime", 0, MAX_EPOCH_SECS)?)?;
    let end_time = required("endTime", m.integer("endTime", 0, MAX_EPOCH_SECS)?)?;
    if end_time < start_time {
        return Err(ApiError::invalid_body("endTime", "must not be before startTime"));
    }
    Ok(StartQuery {
        groups,
        query_string,
        start_time,
        end_time,
        limit: m.integer("limit", 1, 100_000)?.map(|l| l as i32),
    })
}

/// Exactly one of the three ways to name the groups, each resolved.
fn groups(m: &mut Members, scope: &ResourceScope) -> Result<Vec<LogGroupName>, ApiError> {
    let name = m.string("logGroupName", 1, 512)?;
    let names = m.strings("logGroupNames", 1, MAX_GROUPS)?;
    let identifiers = m.strings("logGroupIdentifiers", 1, MAX_GROUPS)?;
    let each = |member: &str, items: Vec<String>, one: &dyn Fn(&str, &str) -> Result<LogGroupName, ApiError>| {
        items
            .iter()
            .enumerate()
            .map(|(i, item)| one(&format!("{member}[{i}]"), item))
            .collect::<Result<Vec<_>, _>>()
    };
    match (name, names, identifiers) {
        (Some(name), None, None) => Ok(vec![parse_name("logGroupName", &name)?]),
        (None, Some(names), None) => each("logGroupNames", names, &parse_name),
        (None, None, Some(ids)) => each("logGroupIdentifiers", ids, &|member, id| resolve(member, id, scope)),
        (None, None, None) => Err(ApiError::invalid_body(
            "logGroupNames",
            "is required (or logGroupName, or logGroupIdentifiers)",
        )),
        _ => Err(ApiError::invalid_body(
            "logGroupIdentifiers",
            "send exactly one of logGroupName, logGroupNames and logGroupIdentifiers",
        )),
    }
}

/// The `queryId` of GetQueryResults and StopQuery. CloudWatch's ids are
/// UUIDs; anything outside a conservative alphabet cannot be one.
pub(crate) fn parse_query_id(body: &[u8], unserved: &[&str]) -> Result<String, ApiError> {
    let mut m = Members::parse(body, &["queryId"], unserved)?;
    let id = required("queryId", m.string("queryId", 1, 256)?)?;
    if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(ApiError::invalid_body(
            "queryId",
            "must be a queryId returned by StartQuery",
        ));
    }
    Ok(id)
}

/// GetQueryResults' members the gateway does not page through yet.
pub(crate) const RESULTS_UNSERVED: &[&str] = &["nextToken", "maxItems"];

/// StartQuery's reply.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Started {
    pub(crate) query_id: String,
}

/// GetQueryResults' reply.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Results {
    results: Vec<Vec<Field>>,
    statistics: Statistics,
    status: String,
}

#[derive(Serialize)]
struct Field {
    field: String,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Statistics {
    records_matched: f64,
    records_scanned: f64,
    bytes_scanned: f64,
}

impl From<QueryResults> for Results {
    fn from(r: QueryResults) -> Self {
        Self {
            results: r
                .results
                .into_iter()
                .map(|row| row.into_iter().map(|(field, value)| Field { field, value }).collect())
                .collect(),
            statistics: Statistics {
                records_matched: r.records_matched,
                records_scanned: r.records_scanned,
                bytes_scanned: r.bytes_scanned,
            },
            status: r.status,
        }
    }
}

/// StopQuery's reply: whether a running query was stopped.
#[derive(Serialize)]
pub(crate) struct StopReply {
    success: bool,
}

impl From<Stopped> for StopReply {
    fn from(s: Stopped) -> Self {
        Self { success: s.stopped }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::AccountId;

    fn start(body: &str) -> Result<StartQuery, ApiError> {
        let scope = ResourceScope::new("us-east-1", &AccountId::parse("123456789012").unwrap());
        parse_start(body.as_bytes(), &scope)
    }

    fn refused(body: &str) -> String {
        start(body).unwrap_err().invalid_params()[0].name.clone()
    }

    const TIMES: &str = r#""startTime": 1, "endTime": 2, "queryString": "fields @message""#;

    #[test]
    fn each_way_of_naming_groups_resolves_every_group() {
        let ids = format!(
            r#"{{"logGroupIdentifiers": ["/a", "arn:aws:logs:us-east-1:123456789012:log-group:/b"], {TIMES}}}"#
        );
        let names: Vec<String> = start(&ids)
            .unwrap()
            .groups
            .iter()
            .map(|g| g.as_str().to_owned())
            .collect();
        assert_eq!(names, ["/a", "/b"]);
        assert_eq!(
            start(&format!(r#"{{"logGroupName": "/a", {TIMES}}}"#))
                .unwrap()
                .groups
                .len(),
            1
        );
        assert_eq!(
            start(&format!(r#"{{"logGroupNames": ["/a", "/c"], {TIMES}}}"#))
                .unwrap()
                .groups
                .len(),
            2
        );
    }

    #[test]
    fn refusals_name_the_member() {
        let other = "arn:aws:logs:eu-west-1:123456789012:log-group:/b";
        assert_eq!(
            refused(&format!(r#"{{"logGroupIdentifiers": ["/a", "{other}"], {TIMES}}}"#)),
            "logGroupIdentifiers[1]"
        );
        assert_eq!(
            refused(&format!(
                r#"{{"logGroupName": "/a", "logGroupNames": ["/a"], {TIMES}}}"#
            )),
            "logGroupIdentifiers"
        );
        assert_eq!(refused(&format!("{{{TIMES}}}")), "logGroupNames");
        assert_eq!(
            refused(r#"{"logGroupName": "/a", "startTime": 1, "endTime": 2}"#),
            "queryString"
        );
        assert_eq!(
            refused(
                r#"{"logGroupName": "/a", "startTime": 1, "endTime": 2, "queryString": "SOURCE logGroups() | fields @message"}"#
            ),
            "queryString"
        );
        assert_eq!(
            refused(&format!(r#"{{"logGroupName": "/a", "queryLanguage": "SQL", {TIMES}}}"#)),
            "queryLanguage"
        );
        assert_eq!(
            refused(r#"{"logGroupName": "/a", "startTime": 5, "endTime": 2, "queryString": "fields @message"}"#),
            "endTime"
        );
        let err = parse_query_id(br#"{"queryId": "../x"}"#, &[]).unwrap_err();
        assert_eq!(err.invalid_params()[0].name, "queryId");
        let err = parse_query_id(br#"{"queryId": "q", "maxItems": 5}"#, RESULTS_UNSERVED).unwrap_err();
        assert_eq!(err.invalid_params()[0].name, "maxItems");
    }
}
