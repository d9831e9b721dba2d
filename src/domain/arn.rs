//! Resource ARNs, built exactly as CloudWatch Logs authorizes them.

use std::fmt;

use super::names::{LogGroupName, LogStreamName};

/// A 12-digit AWS account id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountId(String);

#[derive(Debug, thiserror::Error)]
#[error("must be exactly 12 digits")]
pub struct InvalidAccountId;

impl AccountId {
    pub fn parse(raw: &str) -> Result<Self, InvalidAccountId> {
        if raw.len() == 12 && raw.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidAccountId)
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// The fixed part of every ARN the gateway builds: partition, service, region
/// and account. Region and account are the gateway's own, never the caller's.
#[derive(Debug, Clone)]
pub struct ResourceScope {
    prefix: String,
}

impl ResourceScope {
    pub(crate) fn new(region: &str, account: &AccountId) -> Self {
        Self {
            prefix: format!("arn:aws:logs:{region}:{}:", account.as_str()),
        }
    }

    /// `arn:aws:logs:R:A:log-group:GROUP:log-stream:STREAM`, the resource of
    /// GetLogEvents.
    pub(crate) fn log_stream(&self, group: &LogGroupName, stream: &LogStreamName) -> String {
        let mut arn = String::with_capacity(self.prefix.len() + 24 + group.as_str().len() + stream.as_str().len());
        arn.push_str(&self.prefix);
        arn.push_str("log-group:");
        arn.push_str(group.as_str());
        arn.push_str(":log-stream:");
        arn.push_str(stream.as_str());
        arn
    }

    /// `arn:aws:logs:R:A:log-group:GROUP`, the ARN of the group itself.
    pub(crate) fn group_arn(&self, group: &LogGroupName) -> String {
        format!("{}log-group:{}", self.prefix, group.as_str())
    }

    /// `arn:aws:logs:R:A:log-group:GROUP:log-stream:` followed by
    /// `stream_prefix`: the common prefix of the streams a call can read.
    pub(crate) fn streams_prefix(&self, group: &LogGroupName, stream_prefix: &str) -> String {
        format!("{}log-group:{}:log-stream:{stream_prefix}", self.prefix, group.as_str())
    }

    /// The stream ARN for a stream name CloudWatch returned (not validated by us).
    pub(crate) fn stream_arn_raw(&self, group: &LogGroupName, stream: &str) -> String {
        self.streams_prefix(group, stream)
    }

    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The group name inside a log-group ARN of this scope
    /// (`arn:aws:logs:R:A:log-group:NAME`, IAM's `…:NAME:*` too), not yet
    /// validated as a name; `None` for an ARN of another partition, region or
    /// account, or of anything but a log group. A stream ARN yields a "name"
    /// with `:` in it, which no group name may hold.
    pub(crate) fn group_in_arn<'a>(&self, arn: &'a str) -> Option<&'a str> {
        let name = arn.strip_prefix(self.prefix.as_str())?.strip_prefix("log-group:")?;
        Some(name.strip_suffix(":*").unwrap_or(name))
    }
}

impl fmt::Display for ResourceScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_stream_arn() {
        let scope = ResourceScope::new("eu-central-1", &AccountId::parse("123456789012").unwrap());
        let g = LogGroupName::parse("/app/acme").unwrap();
        let s = LogStreamName::parse("web 1").unwrap();
        assert_eq!(
            scope.log_stream(&g, &s),
            "arn:aws:logs:eu-central-1:123456789012:log-group:/app/acme:log-stream:web 1"
        );
    }

    #[test]
    fn finds_the_group_in_an_arn_of_its_own_account_and_region_only() {
        let scope = ResourceScope::new("eu-central-1", &AccountId::parse("123456789012").unwrap());
        let own = "arn:aws:logs:eu-central-1:123456789012:log-group:";
        assert_eq!(scope.group_in_arn(&format!("{own}/app/acme")), Some("/app/acme"));
        assert_eq!(scope.group_in_arn(&format!("{own}/app/acme:*")), Some("/app/acme"));
        assert_eq!(
            scope.group_in_arn(&format!("{own}g:log-stream:s")),
            Some("g:log-stream:s")
        );
        for other in [
            "arn:aws:logs:eu-west-1:123456789012:log-group:/app/acme",
            "arn:aws:logs:eu-central-1:999999999999:log-group:/app/acme",
            "arn:aws-cn:logs:eu-central-1:123456789012:log-group:/app/acme",
            "arn:aws:logs:eu-central-1:123456789012:destination:d",
            "arn:aws:logs:eu-central-1:123456789012:",
            "/app/acme",
        ] {
            assert_eq!(scope.group_in_arn(other), None, "{other}");
        }
    }

    #[test]
    fn account_ids_are_twelve_digits() {
        assert!(AccountId::parse("123456789012").is_ok());
        for bad in ["", "12345678901", "1234567890123", "12345678901a", "*"] {
            assert!(AccountId::parse(bad).is_err(), "{bad}");
        }
    }
}
