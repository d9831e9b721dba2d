//! Evaluation against an IAM reference, grants, and the prefix proofs;
//! `validation` holds what parsing refuses.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::domain::Action;

const STREAM: &str = "arn:aws:logs:eu-central-1:123456789012:log-group:/acme/app:log-stream:web-1";

fn compile(doc: Value) -> CompiledPolicy {
    PolicyDocument::parse(doc).unwrap().compile("acme").unwrap()
}

fn allow(resource: &str) -> Value {
    json!({"Effect": "Allow", "Action": "logs:GetLogEvents", "Resource": resource})
}

fn doc(statements: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

#[test]
fn default_is_deny() {
    assert_eq!(
        CompiledPolicy::deny_all().authorize(Action::GetLogEvents, STREAM),
        Decision::ImplicitDeny
    );
    let p = compile(doc(vec![allow("arn:aws:logs:*:*:log-group:/other:*")]));
    assert_eq!(p.authorize(Action::GetLogEvents, STREAM), Decision::ImplicitDeny);
}

#[test]
fn allow_needs_matching_action_and_resource() {
    let p = compile(doc(vec![allow(
        "arn:aws:logs:eu-central-1:123456789012:log-group:/acme/*",
    )]));
    assert_eq!(p.authorize(Action::GetLogEvents, STREAM), Decision::Allowed);
    assert_eq!(p.authorize(Action::FilterLogEvents, STREAM), Decision::ImplicitDeny);
}

#[test]
fn deny_beats_allow_in_any_order() {
    let deny = json!({"Effect": "Deny", "Action": "logs:*", "Resource": "arn:aws:logs:*:*:log-group:/acme/app:log-stream:web-?"});
    for statements in [
        vec![allow("arn:aws:logs:*"), deny.clone()],
        vec![deny.clone(), allow("arn:aws:logs:*")],
    ] {
        let p = compile(doc(statements));
        assert_eq!(p.authorize(Action::GetLogEvents, STREAM), Decision::ExplicitDeny);
        assert_eq!(
            p.authorize(Action::GetLogEvents, &STREAM.replace("web-1", "web-10")),
            Decision::Allowed
        );
    }
}

#[test]
fn action_patterns_ignore_case_like_iam() {
    let p = compile(doc(vec![
        json!({"Effect": "Allow", "Action": ["LOGS:getlog*"], "Resource": "arn:aws:logs:*"}),
    ]));
    assert_eq!(p.authorize(Action::GetLogEvents, STREAM), Decision::Allowed);
    assert_eq!(p.authorize(Action::GetQueryResults, STREAM), Decision::ImplicitDeny);
}

#[test]
fn tenant_variable_is_substituted_literally() {
    let p = PolicyDocument::parse(doc(vec![allow("arn:aws:logs:*:*:log-group:/${tenant}/*")])).unwrap();
    assert_eq!(
        p.compile("acme").unwrap().authorize(Action::GetLogEvents, STREAM),
        Decision::Allowed
    );
    assert_eq!(
        p.compile("other").unwrap().authorize(Action::GetLogEvents, STREAM),
        Decision::ImplicitDeny
    );
}

#[test]
fn explain_lists_matches_and_agrees_with_authorize() {
    let p = compile(json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "A", "Effect": "Allow", "Action": "logs:*", "Resource": "arn:aws:logs:*"},
        {"Sid": "B", "Effect": "Allow", "Action": "logs:Describe*", "Resource": "arn:aws:logs:*"},
        {"Sid": "D", "Effect": "Deny", "Action": "logs:GetLogEvents", "Resource": "arn:aws:logs:*:web-1"}
    ]}));
    let (decision, matched) = p.explain(Action::GetLogEvents, STREAM);
    assert_eq!(decision, Decision::ExplicitDeny);
    assert_eq!(decision, p.authorize(Action::GetLogEvents, STREAM));
    let sids: Vec<_> = matched.iter().map(|m| m.sid.as_deref().unwrap()).collect();
    assert_eq!(sids, ["A", "D"]);
}

/// The reference: IAM's rules spelled out as plainly as possible.
fn reference(statements: &[(bool, Vec<Action>, Vec<String>)], action: Action, resource: &str) -> Decision {
    fn glob(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some('*'), _) => glob(&p[1..], t) || (!t.is_empty() && glob(p, &t[1..])),
            (Some('?'), Some(_)) => glob(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => glob(&p[1..], &t[1..]),
            _ => false,
        }
    }
    let text: Vec<char> = resource.chars().collect();
    let matching = statements.iter().filter(|(_, actions, resources)| {
        actions.contains(&action) && resources.iter().any(|r| glob(&r.chars().collect::<Vec<_>>(), &text))
    });
    let effects: Vec<bool> = matching.map(|(allow, _, _)| *allow).collect();
    if effects.contains(&false) {
        Decision::ExplicitDeny
    } else if effects.contains(&true) {
        Decision::Allowed
    } else {
        Decision::ImplicitDeny
    }
}

fn arb_action() -> impl Strategy<Value = Action> {
    prop::sample::select(Action::ALL.to_vec())
}

fn arb_pattern() -> impl Strategy<Value = String> {
    proptest::collection::vec(prop::sample::select(vec!["a", "b", ":", "/", "*", "?", "é"]), 0..6)
        .prop_map(|parts| format!("arn:aws:logs:{}", parts.concat()))
}

fn arb_resource() -> impl Strategy<Value = String> {
    proptest::collection::vec(prop::sample::select(vec!["a", "b", ":", "/", "é", "?"]), 0..8)
        .prop_map(|parts| format!("arn:aws:logs:{}", parts.concat()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]
    #[test]
    fn evaluator_agrees_with_reference(
        statements in proptest::collection::vec(
            (any::<bool>(), proptest::collection::vec(arb_action(), 1..3), proptest::collection::vec(arb_pattern(), 1..3)),
            1..4,
        ),
        action in arb_action(),
        resource in arb_resource(),
    ) {
        let document = doc(statements.iter().map(|(allow, actions, resources)| json!({
            "Effect": if *allow { "Allow" } else { "Deny" },
            "Action": actions.iter().map(|a| a.iam_name()).collect::<Vec<_>>(),
            "Resource": resources,
        })).collect());
        let compiled = compile(document);
        prop_assert_eq!(compiled.authorize(action, &resource), reference(&statements, action, &resource));
        prop_assert_eq!(compiled.explain(action, &resource).0, compiled.authorize(action, &resource));
    }
}

#[test]
fn grants_resolve_the_tenant_and_respect_a_narrowing_mask() {
    let p = compile(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["logs:GetLogEvents", "logs:FilterLogEvents"], "Resource": "arn:aws:logs:*:*:log-group:/${tenant}/*"},
        {"Effect": "Deny", "Action": "logs:FilterLogEvents", "Resource": "arn:aws:logs:*:*:log-group:/${tenant}/audit:*"}
    ]}));
    let all = p.grants(Action::all_bits());
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].actions, ["logs:GetLogEvents", "logs:FilterLogEvents"]);
    assert_eq!(all[0].resources, ["arn:aws:logs:*:*:log-group:/acme/*"]);
    let narrowed = p.grants(Action::GetLogEvents.bit());
    assert_eq!(narrowed.len(), 1);
    assert_eq!(narrowed[0].actions, ["logs:GetLogEvents"]);
}

#[test]
fn prefix_authorization_needs_full_coverage_and_no_reachable_deny() {
    let g = "arn:aws:logs:r:1:log-group:";
    let p = compile(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "logs:FilterLogEvents", "Resource": "arn:aws:logs:*:*:log-group:/acme/*"},
        {"Effect": "Allow", "Action": "logs:FilterLogEvents", "Resource": "arn:aws:logs:*:*:log-group:shared:log-stream:acme-*"},
        {"Effect": "Deny", "Action": "logs:FilterLogEvents", "Resource": "arn:aws:logs:*:*:log-group:/acme/app:log-stream:secret-*"}
    ]}));
    let d = |prefix: &str| p.authorize_stream_prefix(Action::FilterLogEvents, &format!("{g}{prefix}"));
    assert_eq!(d("/acme/web:log-stream:"), Decision::Allowed);
    assert_eq!(
        d("/acme/app:log-stream:"),
        Decision::ExplicitDeny,
        "the deny reaches into the group"
    );
    assert_eq!(
        d("/acme/app:log-stream:web-"),
        Decision::Allowed,
        "this prefix avoids the deny"
    );
    assert_eq!(
        d("/acme/app:log-stream:se"),
        Decision::ExplicitDeny,
        "overlaps the deny"
    );
    assert_eq!(
        d("shared:log-stream:"),
        Decision::ImplicitDeny,
        "only some streams are granted"
    );
    assert_eq!(d("shared:log-stream:acme-"), Decision::Allowed);
    assert_eq!(d("shared:log-stream:acm"), Decision::ImplicitDeny, "too short a prefix");
    assert_eq!(d("/other:log-stream:"), Decision::ImplicitDeny);
    assert_eq!(
        p.authorize_stream_prefix(Action::GetLogEvents, &format!("{g}/acme/web:log-stream:")),
        Decision::ImplicitDeny
    );
    assert!(p.may_allow_some_stream(Action::FilterLogEvents, &format!("{g}shared:log-stream:")));
    assert!(!p.may_allow_some_stream(Action::FilterLogEvents, &format!("{g}shared:log-stream:globex-")));
    assert!(!p.may_allow_some_stream(Action::FilterLogEvents, &format!("{g}other:log-stream:")));
}

#[test]
fn group_prefixes_come_from_allow_patterns() {
    let p = compile(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "logs:Describe*", "Resource": ["arn:aws:logs:*:*:log-group:/${tenant}/*", "arn:aws:logs:*:*:log-group:/${tenant}/app:*", "arn:aws:logs:*:*:log-group:shared:log-stream:acme-*"]},
        {"Effect": "Allow", "Action": "logs:GetLogEvents", "Resource": "arn:aws:logs:*"}
    ]}));
    assert_eq!(
        p.allowed_group_prefixes(Action::DescribeLogGroups),
        Some(vec!["/acme/".to_owned(), "shared".to_owned()])
    );
    assert_eq!(p.allowed_group_prefixes(Action::GetLogEvents), None);
    assert_eq!(p.allowed_group_prefixes(Action::StartQuery), Some(vec![]));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]
    /// A prefix proof is sound: every resource with that prefix is allowed.
    #[test]
    fn prefix_proofs_are_sound(
        statements in proptest::collection::vec(
            (any::<bool>(), proptest::collection::vec(arb_pattern(), 1..3)),
            1..4,
        ),
        prefix in arb_resource(),
        // Continuations are stream-name text: never a colon.
        suffix in proptest::collection::vec(prop::sample::select(vec!["a", "b", "/", "é", "?"]), 0..6),
    ) {
        let document = doc(statements.iter().map(|(allow, resources)| json!({
            "Effect": if *allow { "Allow" } else { "Deny" },
            "Action": "logs:FilterLogEvents",
            "Resource": resources,
        })).collect());
        let compiled = compile(document);
        if compiled.authorize_stream_prefix(Action::FilterLogEvents, &prefix) == Decision::Allowed {
            let full = format!("{prefix}{}", suffix.concat());
            prop_assert_eq!(compiled.authorize(Action::FilterLogEvents, &full), Decision::Allowed, "{}", full);
        }
    }
}

#[test]
fn a_deny_on_the_group_arn_denies_its_streams() {
    let g = "arn:aws:logs:r:1:log-group:";
    let p = compile(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "logs:*", "Resource": "arn:aws:logs:*:*:log-group:/shared/*"},
        {"Sid": "NoGlobex", "Effect": "Deny", "Action": "logs:*", "Resource": "arn:aws:logs:*:*:log-group:/shared/globex"}
    ]}));
    let stream = format!("{g}/shared/globex:log-stream:s");
    assert_eq!(p.authorize(Action::GetLogEvents, &stream), Decision::ExplicitDeny);
    let (_, matched) = p.explain(Action::GetLogEvents, &stream);
    assert!(
        matched.iter().any(|m| m.sid.as_deref() == Some("NoGlobex")),
        "the simulator shows why"
    );
    assert_eq!(
        p.authorize(Action::GetLogEvents, &format!("{g}/shared/acme:log-stream:s")),
        Decision::Allowed
    );
    assert_eq!(
        p.authorize_stream_prefix(Action::FilterLogEvents, &format!("{g}/shared/globex:log-stream:")),
        Decision::ExplicitDeny
    );
    assert!(p.denies_all_streams(Action::DescribeLogGroups, &format!("{g}/shared/globex:log-stream:")));
    assert!(!p.denies_all_streams(Action::DescribeLogGroups, &format!("{g}/shared/acme:log-stream:")));
}

mod validation;
