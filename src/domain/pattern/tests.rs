//! The pattern matcher against a naive reference, and its set proofs.

use super::*;
use proptest::prelude::*;

const VARS: Variables<'static> = Variables { tenant: "acme" };

fn pat(s: &str) -> ArnPattern {
    ArnPattern::compile(s, VARS).unwrap()
}

#[test]
fn star_crosses_colons_and_slashes() {
    let p = pat("arn:aws:logs:*:123456789012:log-group:*");
    assert!(p.matches("arn:aws:logs:eu-central-1:123456789012:log-group:/a/b:log-stream:x:y"));
    assert!(!p.matches("arn:aws:logs:eu-central-1:210987654321:log-group:/a/b:log-stream:x"));
}

#[test]
fn question_mark_is_exactly_one_character() {
    let p = pat("log-group:app-?:*");
    assert!(p.matches("log-group:app-1:log-stream:s"));
    assert!(p.matches("log-group:app-é:log-stream:s"));
    assert!(!p.matches("log-group:app-:log-stream:s"));
    assert!(!p.matches("log-group:app-12:log-stream:s"));
}

#[test]
fn matching_is_case_sensitive_and_anchored() {
    let p = pat("log-group:acme");
    assert!(p.matches("log-group:acme"));
    assert!(!p.matches("log-group:ACME"));
    assert!(!p.matches("log-group:acme-evil"));
    assert!(!p.matches("xlog-group:acme"));
}

#[test]
fn prefix_boundary_is_the_pattern_authors_choice() {
    // `acme*` also matches `acme-evil`: the policy must say `acme:*` to stop at the name.
    assert!(pat("log-group:acme*").matches("log-group:acme-evil:log-stream:x"));
    assert!(!pat("log-group:acme:*").matches("log-group:acme-evil:log-stream:x"));
}

#[test]
fn variables_are_literal() {
    let p = ArnPattern::compile("log-group:${tenant}-*", Variables { tenant: "acme" }).unwrap();
    assert!(p.matches("log-group:acme-1"));
    assert!(!p.matches("log-group:other-1"));
    let esc = pat("a${*}b${?}c${$}");
    assert!(esc.matches("a*b?c$"));
    assert!(!esc.matches("axbycz$"));
    assert_eq!(
        ArnPattern::compile("${user}", VARS),
        Err(PatternError::UnknownVariable("user".into()))
    );
    assert_eq!(
        ArnPattern::compile("${tenant", VARS),
        Err(PatternError::UnterminatedVariable)
    );
}

#[test]
fn literal_continuations_follow_the_prefix_to_the_next_wildcard() {
    let cont = |p: &str, prefix: &str| pat(p).literal_continuations(prefix, b':');
    let v = |items: &[&str]| Some(items.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_eq!(cont("arn:*:g:/a:s:web-*", "arn:x:g:/a:s:"), v(&["web-"]));
    assert_eq!(cont("arn:*:g:/a:s:${tenant}/*", "arn:r:g:/a:s:"), v(&["acme/"]));
    assert_eq!(cont("arn:*:g:/a:*", "arn:r:g:/a:s:"), None);
    assert_eq!(cont("arn:*:g:/a:s:we?-*", "arn:r:g:/a:s:"), v(&["we"]));
    assert_eq!(cont("arn:*:g:/a:s:exact", "arn:r:g:/a:s:"), v(&["exact"]));
    assert_eq!(cont("arn:*:g:/b:s:x*", "arn:r:g:/a:s:"), v(&[]));
}

#[test]
fn prefix_coverage() {
    let covers = |p: &str, prefix: &str| pat(p).covers_all_with_prefix(prefix);
    assert!(covers("g:/acme/*", "g:/acme/app:s:"));
    assert!(covers("g:/acme/app:*", "g:/acme/app:"));
    assert!(covers("g:/ac?e/*", "g:/acme/x"));
    assert!(covers("*", ""));
    assert!(!covers("g:/acme/app", "g:/acme/app"), "no trailing star");
    assert!(!covers("g:/acme/app:s*", "g:/acme/app:"), "too short a prefix");
    assert!(!covers("g:/acme/*x*", "g:/acme/"), "an inner literal is not guaranteed");
    assert!(covers("g:*:s:*", "g:a:s:"));
}

#[test]
fn prefix_reachability() {
    let some = |p: &str, prefix: &str| pat(p).matches_some_with_prefix(prefix);
    assert!(some("g:/acme/app:s:secret-*", "g:/acme/app:"));
    assert!(some("g:/acme/app:s:secret-*", "g:/acme/app:s:secret-1"));
    assert!(!some("g:/acme/app:s:secret-*", "g:/acme/app:s:public"));
    assert!(some("*secret*", "anything"));
    assert!(!some("g:/other/*", "g:/acme/"));
    assert!(some("g:/?cme/*", "g:/é"));
    // `*` in an earlier field cannot reach past a colon the rest never has.
    let deny = pat("arn:*:*:group:/acme/app:stream:secret-*");
    assert!(deny.matches_some_with_prefix("arn:r:1:group:/acme/web:stream:"));
    assert!(!deny.matches_some_extension("arn:r:1:group:/acme/web:stream:", Some(b':')));
    assert!(deny.matches_some_extension("arn:r:1:group:/acme/app:stream:", Some(b':')));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]
    /// Coverage is sound: a covered prefix means every extension matches.
    #[test]
    fn coverage_is_sound(p in alphabet(), prefix in text(), suffix in text()) {
        let pattern = pat(&p);
        if pattern.covers_all_with_prefix(&prefix) {
            prop_assert!(pattern.matches(&format!("{prefix}{suffix}")), "{p} {prefix} {suffix}");
        }
    }

    /// Reachability is sound: any match of an extension was reported reachable.
    #[test]
    fn reachability_is_sound(p in alphabet(), prefix in text(), suffix in text()) {
        let pattern = pat(&p);
        if pattern.matches(&format!("{prefix}{suffix}")) {
            prop_assert!(pattern.matches_some_with_prefix(&prefix), "{p} {prefix} {suffix}");
            if !suffix.contains(':') {
                prop_assert!(pattern.matches_some_extension(&prefix, Some(b':')), "{p} {prefix} {suffix}");
            }
        }
    }
}

/// A deliberately naive reference: dynamic programming over characters.
fn reference(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // m[i][j]: p[..i] matches t[..j]
    let mut m = vec![vec![false; t.len() + 1]; p.len() + 1];
    m[0][0] = true;
    for i in 1..=p.len() {
        for j in 0..=t.len() {
            m[i][j] = match p[i - 1] {
                '*' => m[i - 1][j] || (j > 0 && m[i][j - 1]),
                '?' => j > 0 && m[i - 1][j - 1],
                c => j > 0 && t[j - 1] == c && m[i - 1][j - 1],
            };
        }
    }
    m[p.len()][t.len()]
}

fn alphabet() -> impl Strategy<Value = String> {
    proptest::collection::vec(prop::sample::select(vec!['a', 'b', ':', '/', 'é', '*', '?']), 0..12)
        .prop_map(|v| v.into_iter().collect())
}

fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(prop::sample::select(vec!['a', 'b', ':', '/', 'é', '?']), 0..16)
        .prop_map(|v| v.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]
    #[test]
    fn agrees_with_reference(p in alphabet(), t in text()) {
        prop_assert_eq!(pat(&p).matches(&t), reference(&p, &t), "pattern {:?} text {:?}", p, t);
    }

    #[test]
    fn a_pattern_without_wildcards_matches_only_itself(t in text(), u in text()) {
        let literal = t.replace('?', "${?}");
        prop_assert!(pat(&literal).matches(&t));
        prop_assert_eq!(pat(&literal).matches(&u), t == u);
    }
}
