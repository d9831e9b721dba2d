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
    fn account_ids_are_twelve_digits() {
        assert!(AccountId::parse("123456789012").is_ok());
        for bad in ["", "12345678901", "1234567890123", "12345678901a", "*"] {
            assert!(AccountId::parse(bad).is_err(), "{bad}");
        }
    }
}
