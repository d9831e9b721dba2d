//! Which log group a request names: `logGroupName`, or `logGroupIdentifier`
//! as a name or an ARN of the gateway's own account and region (IAM's
//! trailing `:*` allowed). Either way the gateway goes on with a plain,
//! validated name; an ARN of any other account or region is refused.

use super::members::Members;
use crate::domain::{LogGroupName, ResourceScope};
use crate::error::ApiError;

/// CloudWatch's bound on `LogGroupIdentifier`.
const MAX_IDENTIFIER_LEN: usize = 2048;

/// The one group of GetLogEvents, FilterLogEvents and DescribeLogStreams.
pub(crate) fn log_group(members: &mut Members, scope: &ResourceScope) -> Result<LogGroupName, ApiError> {
    let name = members.string("logGroupName", 1, 512)?;
    let identifier = members.string("logGroupIdentifier", 1, MAX_IDENTIFIER_LEN)?;
    match (name, identifier) {
        (Some(_), Some(_)) => Err(ApiError::invalid_body(
            "logGroupIdentifier",
            "cannot be combined with logGroupName; send one of them",
        )),
        (Some(name), None) => parse_name("logGroupName", &name),
        (None, Some(identifier)) => resolve("logGroupIdentifier", &identifier, scope),
        (None, None) => Err(ApiError::invalid_body(
            "logGroupName",
            "is required (or logGroupIdentifier)",
        )),
    }
}

/// A name or an ARN of this scope, as a plain group name; `member` names it
/// in the refusal (`logGroupIdentifiers[2]`).
pub(crate) fn resolve(member: &str, identifier: &str, scope: &ResourceScope) -> Result<LogGroupName, ApiError> {
    if !identifier.starts_with("arn:") {
        return parse_name(member, identifier);
    }
    let name = scope.group_in_arn(identifier).ok_or_else(|| {
        ApiError::invalid_body(
            member,
            format!("must be a log group name or the ARN of a log group in {scope}log-group:…"),
        )
    })?;
    parse_name(member, name)
}

pub(crate) fn parse_name(member: &str, name: &str) -> Result<LogGroupName, ApiError> {
    LogGroupName::parse(name).map_err(|e| ApiError::invalid_body(member, format!("log group name {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::AccountId;

    fn scope() -> ResourceScope {
        ResourceScope::new("us-east-1", &AccountId::parse("123456789012").unwrap())
    }

    fn group(body: &str) -> Result<LogGroupName, ApiError> {
        let mut members = Members::parse(body.as_bytes(), &["logGroupName", "logGroupIdentifier"], &[]).unwrap();
        log_group(&mut members, &scope())
    }

    fn refused(body: &str) -> String {
        group(body).unwrap_err().invalid_params()[0].name.clone()
    }

    #[test]
    fn names_and_arns_of_this_scope_become_plain_names() {
        let own = "arn:aws:logs:us-east-1:123456789012:log-group:/app/a";
        for body in [
            r#"{"logGroupName": "/app/a"}"#.to_owned(),
            r#"{"logGroupIdentifier": "/app/a"}"#.to_owned(),
            format!(r#"{{"logGroupIdentifier": "{own}"}}"#),
            format!(r#"{{"logGroupIdentifier": "{own}:*"}}"#),
        ] {
            assert_eq!(group(&body).unwrap().as_str(), "/app/a", "{body}");
        }
    }

    #[test]
    fn other_scopes_both_members_and_bad_names_are_refused_by_member() {
        for arn in [
            "arn:aws:logs:eu-west-1:123456789012:log-group:/app/a",
            "arn:aws:logs:us-east-1:210987654321:log-group:/app/a",
            "arn:aws:logs:us-east-1:123456789012:log-group:/app/a:log-stream:s",
            "arn:aws:logs:us-east-1:123456789012:log-group:",
            "arn:aws:logs:us-east-1:123456789012:log-group:/app/*",
        ] {
            assert_eq!(
                refused(&format!(r#"{{"logGroupIdentifier": "{arn}"}}"#)),
                "logGroupIdentifier",
                "{arn}"
            );
        }
        assert_eq!(
            refused(r#"{"logGroupName": "/a", "logGroupIdentifier": "/a"}"#),
            "logGroupIdentifier"
        );
        assert_eq!(refused("{}"), "logGroupName");
        assert_eq!(refused(r#"{"logGroupName": "a b"}"#), "logGroupName");
        assert_eq!(
            resolve("logGroupIdentifiers[3]", "arn:aws:logs:x", &scope())
                .unwrap_err()
                .invalid_params()[0]
                .name,
            "logGroupIdentifiers[3]"
        );
    }
}
