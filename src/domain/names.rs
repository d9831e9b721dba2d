//! CloudWatch Logs names, validated with CloudWatch's own rules before anything
//! else looks at them.

use std::fmt;

const MAX_NAME_CHARS: usize = 512;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NameError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most 512 characters")]
    TooLong,
    #[error("may contain only letters, digits and . - _ / #")]
    GroupCharacter,
    #[error("must not contain ':' or '*'")]
    StreamCharacter,
}

/// A log group name: 1-512 characters of `[.\-_/#A-Za-z0-9]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogGroupName(String);

impl LogGroupName {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        if raw.is_empty() {
            return Err(NameError::Empty);
        }
        if raw.len() > MAX_NAME_CHARS {
            return Err(NameError::TooLong);
        }
        let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'/' | b'#');
        if !raw.bytes().all(allowed) {
            return Err(NameError::GroupCharacter);
        }
        Ok(Self(raw.to_owned()))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// A log stream name: 1-512 characters, anything but `:` and `*`.
/// Control characters are refused too: CloudWatch cannot store them usefully and
/// they have no place in logs or audit rows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogStreamName(String);

impl LogStreamName {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        if raw.is_empty() {
            return Err(NameError::Empty);
        }
        if raw.chars().count() > MAX_NAME_CHARS {
            return Err(NameError::TooLong);
        }
        if raw.chars().any(|c| c == ':' || c == '*' || c.is_control()) {
            return Err(NameError::StreamCharacter);
        }
        Ok(Self(raw.to_owned()))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LogGroupName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for LogStreamName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_follow_cloudwatch_rules() {
        assert!(LogGroupName::parse("/aws/lambda/acme-fn_1.#x").is_ok());
        assert!(LogGroupName::parse(&"a".repeat(512)).is_ok());
        assert_eq!(LogGroupName::parse(""), Err(NameError::Empty));
        assert_eq!(LogGroupName::parse(&"a".repeat(513)), Err(NameError::TooLong));
        for bad in ["a b", "a:b", "a*", "a?", "ä", "a%2Fb", "a\n"] {
            assert_eq!(LogGroupName::parse(bad), Err(NameError::GroupCharacter), "{bad}");
        }
    }

    #[test]
    fn stream_names_follow_cloudwatch_rules() {
        for ok in ["i-123/web 1", "ünïcode", "a?b", "[x]", &"é".repeat(512)] {
            assert!(LogStreamName::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(LogStreamName::parse(""), Err(NameError::Empty));
        assert_eq!(LogStreamName::parse(&"é".repeat(513)), Err(NameError::TooLong));
        for bad in ["a:b", "a*", "tab\tx", "nul\0"] {
            assert_eq!(LogStreamName::parse(bad), Err(NameError::StreamCharacter), "{bad}");
        }
    }
}
