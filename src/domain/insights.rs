//! Logs Insights query text, checked so that it cannot widen its own scope.
//!
//! StartQuery reads the log groups the gateway names, unless the query text
//! names others: a `SOURCE logGroups(...)` command can select every group in
//! the account. The gateway pins the query language to CloudWatch's own (SQL
//! and PPL name groups in the text) and refuses any query that has a `SOURCE`
//! command or mentions the group-selecting functions outside string literals.
//! Anything it cannot tokenize (an unterminated string) is refused too.

const MAX_QUERY_LEN: usize = 10_000;

/// Words that select log groups inside a query, refused outside strings.
const SCOPE_WORDS: &[&str] = &[
    "loggroups",
    "loggroupidentifiers",
    "loggroupidentifier",
    "loggroupnames",
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QueryError {
    #[error("must be 1 to 10000 characters")]
    Length,
    #[error("must not contain NUL characters")]
    Nul,
    #[error("has an unterminated string literal")]
    Unterminated,
    #[error("may contain line breaks only as \\n (no \\r or other control characters)")]
    Control,
    #[error("may use non-ASCII characters only inside string literals")]
    NonAscii,
    #[error("must not use the SOURCE command: the log groups are given in logGroupNames")]
    Source,
    #[error("must not name log groups ({0}): they are given in logGroupNames")]
    NamesGroups(String),
}

/// Checks a query string; `Ok` means it reads only the groups passed beside it.
pub fn check_query(query: &str) -> Result<(), QueryError> {
    if query.trim().is_empty() || query.chars().count() > MAX_QUERY_LEN {
        return Err(QueryError::Length);
    }
    if query.contains('\0') {
        return Err(QueryError::Nul);
    }
    // Only `\n` and `\t` may break or space a query: other line breaks (`\r`,
    // U+2028, ...) could end a comment for CloudWatch but not for this check.
    if query
        .chars()
        .any(|c| (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}'))
    {
        return Err(QueryError::Control);
    }
    let code = strip_literals(query)?;
    // Case folding outside ASCII (`ſ` → `S`) could turn a word into SOURCE
    // for CloudWatch without this check noticing.
    if !code.is_ascii() {
        return Err(QueryError::NonAscii);
    }
    // Commands are separated by `|`; be strict and treat line breaks alike.
    for command in code.split(['|', '\n', '\r']) {
        let first = command.split_whitespace().next().unwrap_or("");
        let first = first.split('(').next().unwrap_or("");
        if first.eq_ignore_ascii_case("source") {
            return Err(QueryError::Source);
        }
    }
    for word in code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        let lower = word.to_ascii_lowercase();
        if SCOPE_WORDS.contains(&lower.as_str()) {
            return Err(QueryError::NamesGroups(word.to_owned()));
        }
    }
    Ok(())
}

/// The query with string literals and `#` comments blanked out, so that only
/// code is inspected. Regex literals (`/.../`) are *not* skipped: their text
/// is inspected as code, which can only refuse more, never less.
fn strip_literals(query: &str) -> Result<String, QueryError> {
    let mut out = String::with_capacity(query.len());
    let mut chars = query.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' | '`' => {
                let mut closed = false;
                while let Some(x) = chars.next() {
                    // Backslash escapes only inside quotes, not backticks.
                    if x == '\\' && c != '`' {
                        chars.next();
                        continue;
                    }
                    if x == c {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return Err(QueryError::Unterminated);
                }
                out.push(' ');
            }
            '#' => {
                for x in chars.by_ref() {
                    if x == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_queries_pass() {
        for q in [
            "fields @timestamp, @message | sort @timestamp desc | limit 20",
            "filter @message like /ERROR/ | stats count(*) by bin(5m)",
            "fields @message | filter @message like \"é\"",
            "fields source, @message | filter source = \"SOURCE logGroups()\"",
            "filter @message like 'loggroups' | fields @logStream",
            "stats avg(latency) / 2 by host",
        ] {
            assert_eq!(check_query(q), Ok(()), "{q}");
        }
    }

    #[test]
    fn scope_widening_is_refused() {
        for q in [
            "SOURCE logGroups(namePrefix: ['/']) | fields @message",
            "source logGroups() | fields @message",
            "  \n  Source logGroups(class: 'STANDARD')",
            "fields @message | SOURCE logGroups()",
            "# comment\nSOURCE logGroups()",
            "fields @message\nsource logGroups()",
            "SOURCE(logGroups())",
        ] {
            assert_eq!(check_query(q), Err(QueryError::Source), "{q}");
        }
        assert!(matches!(
            check_query("fields @m | filter logGroups(x)"),
            Err(QueryError::NamesGroups(_))
        ));
        assert!(matches!(
            check_query("fields logGroupIdentifiers"),
            Err(QueryError::NamesGroups(_))
        ));
    }

    #[test]
    fn malformed_queries_are_refused() {
        assert_eq!(check_query(""), Err(QueryError::Length));
        assert_eq!(check_query("   "), Err(QueryError::Length));
        assert_eq!(check_query(&"x".repeat(10_001)), Err(QueryError::Length));
        assert_eq!(check_query("fields \"unterminated"), Err(QueryError::Unterminated));
        assert_eq!(check_query("fields @m\0"), Err(QueryError::Nul));
        // An unterminated quote cannot hide a SOURCE command.
        assert!(check_query("fields 'x | SOURCE logGroups()").is_err());
        // Comment tricks, exotic line breaks and case folding.
        assert_eq!(
            check_query("# x\rSOURCE logGroups() | fields @message"),
            Err(QueryError::Control)
        );
        assert_eq!(check_query("# x\u{2028}SOURCE logGroups()"), Err(QueryError::Control));
        assert_eq!(
            check_query("\u{17f}OURCE logGroup\u{17f}() | fields @m"),
            Err(QueryError::NonAscii)
        );
        // A "division" cannot hide code between two slashes.
        assert_eq!(
            check_query("stats a / 2 | SOURCE logGroups() | fields b / 3"),
            Err(QueryError::Source)
        );
        assert_eq!(
            check_query("fields `a\\` | SOURCE logGroups()"),
            Err(QueryError::Source)
        );
    }
}
