//! An operation's JSON body read strictly: one object, every key read once
//! (a repeated key is refused, never resolved to one of its copies), only the
//! operation's members, each of its modelled type and bounds. Every refusal
//! is an InvalidParameterException naming the member.

use serde_json::{Map, Value};

use crate::domain::policy::StrictJson;
use crate::error::ApiError;

/// The members of one request body, taken out one by one as they are read.
#[derive(Debug)]
pub(crate) struct Members {
    map: Map<String, Value>,
}

impl Members {
    /// Reads `body` for an operation whose members are `served`. Members of
    /// CloudWatch's model the gateway does not serve (`unserved`) are refused
    /// with that reason; anything else is not a member at all. An empty body
    /// is an empty object.
    pub(crate) fn parse(body: &[u8], served: &[&str], unserved: &[&str]) -> Result<Self, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self { map: Map::new() });
        }
        let value = StrictJson::from_slice(body)
            .map_err(|e| ApiError::invalid_body("body", format!("is not valid JSON: {e}")))?
            .into_value()
            .map_err(|dup| ApiError::invalid_body(dup.path, "is given more than once"))?;
        let Value::Object(map) = value else {
            return Err(ApiError::invalid_body("body", "must be a JSON object"));
        };
        for name in map.keys() {
            if unserved.contains(&name.as_str()) {
                return Err(ApiError::invalid_body(
                    name.clone(),
                    "is not supported by this gateway; leave it out",
                ));
            }
            if !served.contains(&name.as_str()) {
                return Err(ApiError::invalid_body(
                    name.clone(),
                    format!("is not a member of this operation (members: {})", served.join(", ")),
                ));
            }
        }
        Ok(Self { map })
    }

    /// The member's value; `null` counts as absent.
    fn take(&mut self, name: &str) -> Option<Value> {
        self.map.remove(name).filter(|v| !v.is_null())
    }

    /// A string of `min..=max` characters.
    pub(crate) fn string(&mut self, name: &str, min: usize, max: usize) -> Result<Option<String>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(s)) => {
                let chars = s.chars().count();
                if chars < min || chars > max {
                    return Err(ApiError::invalid_body(
                        name,
                        format!("must be {min} to {max} characters long"),
                    ));
                }
                Ok(Some(s))
            }
            Some(other) => Err(wrong_type(name, "a string", &other)),
        }
    }

    /// An integer in `min..=max` (CloudWatch's `long` and `integer`).
    pub(crate) fn integer(&mut self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(v) if (min..=max).contains(&v) => Ok(Some(v)),
                Some(_) => Err(ApiError::invalid_body(name, format!("must be between {min} and {max}"))),
                None if n.is_u64() => Err(ApiError::invalid_body(name, format!("must be between {min} and {max}"))),
                None => Err(ApiError::invalid_body(name, "must be a whole number")),
            },
            Some(other) => Err(wrong_type(name, "a number", &other)),
        }
    }

    pub(crate) fn boolean(&mut self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(other) => Err(wrong_type(name, "true or false", &other)),
        }
    }

    /// A list of `min_items..=max_items` strings.
    pub(crate) fn strings(
        &mut self,
        name: &str,
        min_items: usize,
        max_items: usize,
    ) -> Result<Option<Vec<String>>, ApiError> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Array(items)) => {
                if items.len() < min_items || items.len() > max_items {
                    return Err(ApiError::invalid_body(
                        name,
                        format!("must list {min_items} to {max_items} items"),
                    ));
                }
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| match item {
                        Value::String(s) => Ok(s),
                        other => Err(wrong_type(&format!("{name}[{i}]"), "a string", &other)),
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some)
            }
            Some(other) => Err(wrong_type(name, "a list", &other)),
        }
    }
}

/// A member the operation cannot do without.
pub(crate) fn required<T>(name: &str, value: Option<T>) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::invalid_body(name, "is required"))
}

fn wrong_type(name: &str, expected: &str, got: &Value) -> ApiError {
    let kind = match got {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    };
    ApiError::invalid_body(name, format!("must be {expected}, not {kind}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVED: &[&str] = &["logGroupName", "limit", "startFromHead", "logStreamNames"];

    fn members(body: &str) -> Result<Members, ApiError> {
        Members::parse(body.as_bytes(), SERVED, &["unmask"])
    }

    fn refused_member(result: Result<impl std::fmt::Debug, ApiError>) -> String {
        let err = result.unwrap_err();
        assert_eq!(err.code().aws_type(), "InvalidParameterException", "{err}");
        err.invalid_params()[0].name.clone()
    }

    #[test]
    fn reads_each_member_with_its_type() {
        let mut m =
            members(r#"{"logGroupName": "/g", "limit": 5, "startFromHead": true, "logStreamNames": ["a", "b"]}"#)
                .unwrap();
        assert_eq!(m.string("logGroupName", 1, 512).unwrap().as_deref(), Some("/g"));
        assert_eq!(m.integer("limit", 1, 10).unwrap(), Some(5));
        assert_eq!(m.boolean("startFromHead").unwrap(), Some(true));
        assert_eq!(m.strings("logStreamNames", 1, 100).unwrap().unwrap(), ["a", "b"]);
        let mut empty = members(" ").unwrap();
        assert_eq!(empty.string("logGroupName", 1, 512).unwrap(), None);
        let mut nulls = members(r#"{"limit": null}"#).unwrap();
        assert_eq!(nulls.integer("limit", 1, 10).unwrap(), None);
    }

    #[test]
    fn refuses_duplicates_unknown_and_unserved_members_by_name() {
        assert_eq!(refused_member(members(r#"{"limit": 1, "limit": 2}"#)), "limit");
        assert_eq!(refused_member(members(r#"{"logGroupNamee": "/g"}"#)), "logGroupNamee");
        assert_eq!(refused_member(members(r#"{"unmask": false}"#)), "unmask");
        assert_eq!(refused_member(members("[1]")), "body");
        assert_eq!(refused_member(members("{\"limit\": 1")), "body");
        assert_eq!(refused_member(members("\"x\"")), "body");
    }

    #[test]
    fn refuses_wrong_types_and_bounds_by_name() {
        type Read = fn(&mut Members) -> Result<(), ApiError>;
        let cases: [(&str, Read, &str); 9] = [
            (r#"{"limit": "5"}"#, |m| m.integer("limit", 1, 10).map(drop), "limit"),
            (r#"{"limit": 1.5}"#, |m| m.integer("limit", 1, 10).map(drop), "limit"),
            (r#"{"limit": 11}"#, |m| m.integer("limit", 1, 10).map(drop), "limit"),
            (
                r#"{"limit": 18446744073709551615}"#,
                |m| m.integer("limit", 1, 10).map(drop),
                "limit",
            ),
            (
                r#"{"startFromHead": "true"}"#,
                |m| m.boolean("startFromHead").map(drop),
                "startFromHead",
            ),
            (
                r#"{"logGroupName": 7}"#,
                |m| m.string("logGroupName", 1, 512).map(drop),
                "logGroupName",
            ),
            (
                r#"{"logGroupName": ""}"#,
                |m| m.string("logGroupName", 1, 512).map(drop),
                "logGroupName",
            ),
            (
                r#"{"logStreamNames": "a"}"#,
                |m| m.strings("logStreamNames", 1, 100).map(drop),
                "logStreamNames",
            ),
            (
                r#"{"logStreamNames": ["a", 1]}"#,
                |m| m.strings("logStreamNames", 1, 100).map(drop),
                "logStreamNames[1]",
            ),
        ];
        for (body, read, name) in cases {
            let mut m = members(body).unwrap();
            assert_eq!(refused_member(read(&mut m)), name, "{body}");
        }
        let mut m = members(r#"{"logStreamNames": []}"#).unwrap();
        assert_eq!(refused_member(m.strings("logStreamNames", 1, 100)), "logStreamNames");
        assert_eq!(refused_member(required::<i64>("queryId", None)), "queryId");
    }
}
