//! `X-Amz-Target: Logs_20140328.<Operation>`: which CloudWatch Logs
//! operation a request asks for, and whether the gateway serves it.

use crate::domain::Action;

/// CloudWatch Logs' JSON target prefix (its `targetPrefix` and API version).
const PREFIX: &str = "Logs_20140328.";
/// Longer than any CloudWatch Logs operation name.
const MAX_OPERATION_LEN: usize = 64;

/// What the target header asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A read the gateway serves.
    Served(Action),
    /// A well-formed operation name the gateway does not serve (writes,
    /// deletes, policies, StartLiveTail, …): refused, never forwarded.
    Unserved(String),
    /// No target, another service's, or not an operation name.
    Unknown,
}

impl Target {
    pub(crate) fn parse(header: Option<&[u8]>) -> Self {
        let Some(operation) = header
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| h.strip_prefix(PREFIX))
        else {
            return Target::Unknown;
        };
        if operation.is_empty()
            || operation.len() > MAX_OPERATION_LEN
            || !operation.starts_with(|c: char| c.is_ascii_uppercase())
            || !operation.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Target::Unknown;
        }
        // Exact, case-sensitive: CloudWatch's targets are.
        match Action::ALL.into_iter().find(|a| a.operation() == operation) {
            Some(action) => Target::Served(action),
            None => Target::Unserved(operation.to_owned()),
        }
    }

    /// What the audit trail names as the action asked for.
    pub(crate) fn audit_action(&self) -> String {
        match self {
            Target::Served(action) => action.iam_name().to_owned(),
            Target::Unserved(operation) => format!("logs:{operation}"),
            Target::Unknown => "unknown".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(header: &str) -> Target {
        Target::parse(Some(header.as_bytes()))
    }

    #[test]
    fn served_reads_are_recognised_exactly() {
        for action in Action::ALL {
            assert_eq!(
                parse(&format!("Logs_20140328.{}", action.operation())),
                Target::Served(action)
            );
        }
        assert_eq!(parse("Logs_20140328.getLogEvents"), Target::Unknown);
        assert_eq!(
            parse("Logs_20140328.GetLogEventsX"),
            Target::Unserved("GetLogEventsX".into())
        );
    }

    #[test]
    fn other_operations_are_named_but_not_served() {
        for op in ["PutLogEvents", "DeleteLogGroup", "StartLiveTail", "PutResourcePolicy"] {
            let target = parse(&format!("Logs_20140328.{op}"));
            assert_eq!(target, Target::Unserved(op.into()));
            assert_eq!(target.audit_action(), format!("logs:{op}"));
        }
    }

    #[test]
    fn anything_else_is_unknown() {
        assert_eq!(Target::parse(None), Target::Unknown);
        for bad in [
            "",
            "Logs_20140328.",
            "Logs_20140101.GetLogEvents",
            "GetLogEvents",
            "DynamoDB_20120810.GetItem",
            "Logs_20140328.Get Log",
            "Logs_20140328.Get\u{e9}",
            &format!("Logs_20140328.A{}", "a".repeat(64)),
        ] {
            assert_eq!(parse(bad), Target::Unknown, "{bad:?}");
        }
        assert_eq!(Target::parse(Some(b"Logs_20140328.\xff")), Target::Unknown);
        assert_eq!(Target::Unknown.audit_action(), "unknown");
    }
}
