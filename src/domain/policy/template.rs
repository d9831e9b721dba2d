//! `${tenant}` boundaries: a resource pattern must end each tenant's name where
//! the tenant id ends, or one tenant's pattern also matches the names of
//! tenants whose ids extend it (`a` and `a-b`) or end with it (`a` and `b-a`).
//!
//! The check runs on the pattern as written, before substitution, and reads it
//! the way [`ArnPattern`](crate::domain::pattern::ArnPattern) compiles it:
//! `*` and `?` are wildcards, while `${*}`, `${?}` and `${$}` are literal text.

/// One element of a pattern, as far as tenant boundaries are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// `*`: any run of characters.
    Star,
    /// `?`: any one character, tenant-id characters included.
    One,
    Literal(char),
    Tenant,
}

/// Whether a tenant id may contain `c` (ids match `^[a-z0-9][a-z0-9-]{0,62}$`;
/// a test keeps this in step with [`TenantId::parse`](crate::domain::TenantId::parse)).
fn id_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
}

/// Splits a pattern whose variables already passed `ArnPattern::compile`
/// (so every `${` is closed and names a known variable).
fn tokens(pattern: &str) -> Vec<Token> {
    let mut out = Vec::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("${")
            && let Some(end) = after.find('}')
        {
            out.push(match &after[..end] {
                "*" => Token::Literal('*'),
                "?" => Token::Literal('?'),
                "$" => Token::Literal('$'),
                // `tenant`, and any variable added later: text that may hold
                // tenant-id characters, checked as strictly as `${tenant}`.
                _ => Token::Tenant,
            });
            rest = &after[end + 1..];
            continue;
        }
        out.push(match c {
            '*' => Token::Star,
            '?' => Token::One,
            c => Token::Literal(c),
        });
        rest = &rest[c.len_utf8()..];
    }
    out
}

const ADVICE: &str = "follow ${tenant} with a character tenant ids cannot contain, \
                      as in \"${tenant}/*\" or \"${tenant}:*\"";

/// Refuses a pattern in which `${tenant}` does not end at a delimiter, or in
/// which a `*` can absorb more tenant-id characters in front of it. Says why
/// and what to write instead.
pub(super) fn check_tenant_boundaries(pattern: &str) -> Result<(), String> {
    let tokens = tokens(pattern);
    for (i, token) in tokens.iter().enumerate() {
        if *token != Token::Tenant {
            continue;
        }
        let after = match tokens.get(i + 1) {
            None => Some("ends the pattern".to_owned()),
            Some(Token::Star) => Some("is followed by the wildcard \"*\"".to_owned()),
            Some(Token::One) => Some("is followed by the wildcard \"?\"".to_owned()),
            Some(Token::Tenant) => Some("is followed by another ${tenant}".to_owned()),
            Some(Token::Literal(c)) if id_char(*c) => {
                Some(format!("is followed by \"{c}\", a character tenant ids may contain"))
            }
            Some(Token::Literal(_)) => None,
        };
        if let Some(after) = after {
            return Err(format!(
                "${{tenant}} {after}, so tenant \"a\" would also match the names of tenant \"a-b\"; {ADVICE}"
            ));
        }
        // Walking left over what could be tenant-id text: a `*` there could
        // take the front of a longer id.
        let before = tokens[..i]
            .iter()
            .rev()
            .find(|t| !matches!(t, Token::One) && !matches!(t, Token::Literal(c) if id_char(*c)));
        if before == Some(&Token::Star) {
            return Err(
                "a \"*\" before ${tenant} with only tenant-id characters between them lets \
                 tenant \"a\" also match the names of tenant \"b-a\"; put a character tenant ids \
                 cannot contain right before ${tenant}, as in \"/${tenant}/*\""
                    .to_owned(),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TenantId;
    use crate::domain::pattern::{ArnPattern, Variables};

    #[test]
    fn id_characters_agree_with_tenant_ids() {
        for c in (0u8..=127).map(char::from) {
            assert_eq!(id_char(c), TenantId::parse(&format!("a{c}")).is_ok(), "{c:?}");
        }
    }

    #[test]
    fn a_delimiter_must_follow_the_tenant() {
        for ok in [
            "g:/t/${tenant}/*",
            "g:/t/${tenant}:*",
            "g:/t/${tenant}_x",
            "g:/t/${tenant}.x*",
            "g:/t/${tenant}#*",
            "g:/t/${tenant}${*}",
            "g:/t/${tenant}${?}",
            "g:/t/${tenant}${$}*",
            "g:/t/${tenant}Prod/*",
            "g:/t/pre-${tenant}/*",
            "g:*/${tenant}/*",
            "g:/t/?${tenant}/*",
            "g:/${tenant}/x:s:${tenant}/*",
            "g:/t/x",
        ] {
            assert_eq!(check_tenant_boundaries(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("g:/t/${tenant}-*", "followed by \"-\""),
            ("g:/t/${tenant}*", "wildcard \"*\""),
            ("g:/t/${tenant}?/*", "wildcard \"?\""),
            ("g:/t/${tenant}", "ends the pattern"),
            ("g:/t/${tenant}x/*", "followed by \"x\""),
            ("g:/t/${tenant}7/*", "followed by \"7\""),
            ("g:/t/${tenant}${tenant}/*", "another ${tenant}"),
            ("g:/${tenant}/x:s:${tenant}*", "wildcard \"*\""),
            ("g:*${tenant}/*", "before ${tenant}"),
            ("g:/t/*-${tenant}/*", "before ${tenant}"),
            ("g:/t/*?${tenant}/*", "before ${tenant}"),
        ] {
            let err = check_tenant_boundaries(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
            assert!(err.contains("${tenant}/*"), "says what to write instead: {err}");
        }
    }

    /// What the check protects: with each accepted pattern, tenant `a` matches
    /// none of the names made for `a-b` or `b-a` with the same pattern.
    #[test]
    fn accepted_patterns_keep_neighbouring_tenants_apart() {
        let others = ["a-b", "b-a", "ab", "ba", "a0"];
        for pattern in ["g:/t/${tenant}/*", "g:/t/pre-${tenant}:*", "g:*/${tenant}/*"] {
            assert_eq!(check_tenant_boundaries(pattern), Ok(()));
            let mine = ArnPattern::compile(pattern, Variables { tenant: "a" }).unwrap();
            for other in others {
                let theirs = pattern.replace("${tenant}", other).replace('*', "x");
                assert!(!mine.matches(&theirs), "{pattern}: a matches {theirs}");
            }
        }
        for pattern in ["g:/t/${tenant}-*", "g:*${tenant}/*"] {
            assert!(check_tenant_boundaries(pattern).is_err());
            let mine = ArnPattern::compile(pattern, Variables { tenant: "a" }).unwrap();
            assert!(
                others
                    .iter()
                    .any(|other| mine.matches(&pattern.replace("${tenant}", other).replace('*', "x"))),
                "{pattern} really crosses tenants"
            );
        }
    }
}
