//! What `PolicyDocument::parse` refuses, and that the shipped examples pass.

use serde_json::json;

use super::*;

#[test]
fn validation_names_the_statement() {
    let cases = [
        (
            json!({"Version": "2008-10-17", "Statement": [allow("arn:aws:logs:*")]}),
            "Version",
        ),
        (json!({"Version": "2012-10-17", "Statement": []}), "must not be empty"),
        (json!({"Version": "2012-10-17"}), "Statement must be"),
        (
            json!({"Version": "2012-10-17", "Statement": [allow("arn:aws:logs:*")], "Extra": 1}),
            "Extra",
        ),
        (
            doc(vec![
                json!({"Effect": "allow", "Action": "logs:*", "Resource": "arn:aws:logs:*"}),
            ]),
            "Statement[0]: Effect",
        ),
        (
            doc(vec![
                allow("arn:aws:logs:*"),
                json!({"Sid": "S2", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:logs:*"}),
            ]),
            "Statement[1] (Sid \"S2\"): Action \"s3:GetObject\"",
        ),
        (
            doc(vec![
                json!({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:logs:*"}),
            ]),
            "Statement[0]: Action \"*\"",
        ),
        (
            doc(vec![
                json!({"Sid": "Typo", "Effect": "Allow", "Action": ["logs:GetLogEvents", "logs:GetLogEvent"], "Resource": "arn:aws:logs:*"}),
            ]),
            "Statement[0] (Sid \"Typo\"): Action \"logs:GetLogEvent\" matches none of the actions logward performs",
        ),
        (
            doc(vec![
                json!({"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "arn:aws:logs:*"}),
            ]),
            "logs:GetLogEvents, logs:FilterLogEvents, logs:DescribeLogGroups",
        ),
        (
            doc(vec![
                json!({"Effect": "Allow", "Action": "logs:Put*", "Resource": "arn:aws:logs:*"}),
            ]),
            "Action \"logs:Put*\" matches none",
        ),
        (
            doc(vec![
                json!({"Effect": "Allow", "Action": [], "Resource": "arn:aws:logs:*"}),
            ]),
            "Statement[0]: Action must not be empty",
        ),
        (
            doc(vec![json!({"Effect": "Allow", "Action": "logs:*"})]),
            "Statement[0]: Resource is required",
        ),
        (
            doc(vec![allow("arn:aws:s3:::bucket")]),
            "Statement[0]: Resource \"arn:aws:s3:::bucket\"",
        ),
        (doc(vec![allow("*")]), "must be an ARN pattern"),
        (doc(vec![allow("arn:aws:logs:${user}")]), "unknown policy variable"),
        (
            doc(vec![allow("arn:aws:logs:*:*:log-group:/t/${tenant}-*")]),
            "Statement[0]: Resource \"arn:aws:logs:*:*:log-group:/t/${tenant}-*\" is refused: ${tenant} is followed by \"-\"",
        ),
        (
            doc(vec![
                json!({"Effect": "Allow", "Action": "logs:*", "Resource": "arn:aws:logs:*", "Condition": {}}),
            ]),
            "unsupported key \"Condition\"",
        ),
        (
            doc(vec![
                json!({"Effect": "Allow", "NotAction": "logs:*", "Resource": "arn:aws:logs:*"}),
            ]),
            "NotAction",
        ),
        (json!([1]), "JSON object"),
        (
            doc(vec![
                json!({"Sid": "a\u{0}", "Effect": "Allow", "Action": "logs:*", "Resource": "arn:aws:logs:*"}),
            ]),
            "Statement[0]: Sid",
        ),
        (
            json!({"Version": "2012-10-17", "Id": "x\ny", "Statement": [allow("arn:aws:logs:*")]}),
            "Id must not contain control characters",
        ),
        (
            json!({"Version": "2012-10-17", "Id": 7, "Statement": [allow("arn:aws:logs:*")]}),
            "Id must be a string",
        ),
        (
            doc(vec![
                json!({"Sid": "x".repeat(257), "Effect": "Allow", "Action": "logs:*", "Resource": "arn:aws:logs:*"}),
            ]),
            "Statement[0]: Sid must be at most 256 characters",
        ),
    ];
    for (document, expected) in cases {
        let err = PolicyDocument::parse(document.clone()).unwrap_err();
        assert!(err.to_string().contains(expected), "{document}: {err}");
    }
}

#[test]
fn sid_and_id_refuse_invisible_format_characters() {
    let bidi_and_friends = [
        '\u{061C}',
        '\u{200B}',
        '\u{200E}',
        '\u{200F}',
        '\u{202A}',
        '\u{202B}',
        '\u{202C}',
        '\u{202D}',
        '\u{202E}',
        '\u{2066}',
        '\u{2067}',
        '\u{2068}',
        '\u{2069}',
        '\u{FEFF}',
        '\u{E0041}',
    ];
    for c in bidi_and_friends {
        let sid = format!("Read{c}Only");
        let statement = json!({"Sid": sid, "Effect": "Allow", "Action": "logs:*", "Resource": "arn:aws:logs:*"});
        let err = PolicyDocument::parse(doc(vec![statement])).unwrap_err();
        assert_eq!(err.field(), "Statement[0]");
        assert!(
            err.to_string()
                .starts_with("Statement[0]: Sid must not contain control characters or invisible"),
            "{err}"
        );
        assert!(err.to_string().contains(&format!("U+{:04X}", u32::from(c))), "{err}");
        let top = json!({"Version": "2012-10-17", "Id": sid, "Statement": [allow("arn:aws:logs:*")]});
        let err = PolicyDocument::parse(top).unwrap_err();
        assert_eq!(err.field(), "policy");
        assert!(err.to_string().starts_with("Id must not contain"), "{err}");
    }
    // Visible text in any script is fine.
    let fine = json!({"Version": "2012-10-17", "Id": "Zugriff für Ärzte", "Statement": [
        {"Sid": "قراءة-読み取り", "Effect": "Allow", "Action": "logs:*", "Resource": "arn:aws:logs:*"}
    ]});
    assert!(PolicyDocument::parse(fine).is_ok());
}

#[test]
fn action_patterns_that_match_some_action_are_accepted() {
    for action in [
        "logs:*",
        "logs:Get*",
        "logs:Describe*",
        "logs:?topQuery",
        "LOGS:getlogevents",
    ] {
        let document = doc(vec![
            json!({"Effect": "Allow", "Action": action, "Resource": "arn:aws:logs:*"}),
        ]);
        assert!(PolicyDocument::parse(document).is_ok(), "{action}");
    }
}

#[test]
fn single_statement_object_and_string_forms_are_accepted() {
    let p = compile(json!({"Version": "2012-10-17", "Statement": allow("arn:aws:logs:*")}));
    assert!(p.authorize(Action::GetLogEvents, STREAM).is_allowed());
}

#[test]
fn the_example_policies_stay_valid() {
    for (name, text) in [
        ("deny", include_str!("../../../../policies/tenant-example-deny.json")),
        (
            "prefix",
            include_str!("../../../../policies/tenant-example-prefix.json"),
        ),
        (
            "shared-group",
            include_str!("../../../../policies/tenant-example-shared-group.json"),
        ),
    ] {
        let value = StrictJson::from_slice(text.as_bytes()).unwrap().into_value().unwrap();
        let parsed = PolicyDocument::parse(value);
        assert!(parsed.is_ok(), "policies/tenant-example-{name}.json: {parsed:?}");
    }
}
