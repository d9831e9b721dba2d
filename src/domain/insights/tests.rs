//! Unit tests and a fuzz test of the Insights scope check against reference lexers.

use proptest::prelude::*;

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

#[test]
fn quotes_and_hashes_inside_a_regex_cannot_hide_code() {
    // A regex after `like` (or =~, or parse FIELD) can only be a regex: what
    // is inside is text, and what follows it is code, checked as such.
    for q in [
        "fields @message | filter @message like /#/ | SOURCE logGroups()",
        "fields @message | filter @message like /\"/ | SOURCE logGroups()",
        "fields @message | filter @message like /`/ | SOURCE logGroups()",
        "fields @message | filter @message like /\"/ | SOURCE logGroups() | filter @message like /\"/",
        "fields @message | filter @message like /`/ | SOURCE logGroups() | filter @message like /`/",
        "fields @message | filter @message =~ /'/ | SOURCE logGroups()",
        "parse @message /#(?<x>.*)/ | SOURCE logGroups()",
        "filter @message like /a\\/#/ | SOURCE logGroups()",
    ] {
        assert_eq!(check_query(q), Err(QueryError::Source), "{q}");
    }
    // After an operand a `/` may be a division or a regex: a quote, `#` or
    // backtick that one reading takes for text and the other for a literal
    // is refused.
    for q in [
        "stats count(*) / 2 | filter x = \"/ | SOURCE logGroups() | \"",
        "fields a / 2 # / | SOURCE logGroups()",
        "fields a / b / c | filter d = 'e'",
        "fields a / `b`",
    ] {
        assert_eq!(check_query(q), Err(QueryError::AmbiguousRegex), "{q}");
    }
}

#[test]
fn regexes_with_quotes_and_later_strings_pass() {
    for q in [
        "filter @message like /\"level\":\"error\"/ | fields @message",
        "filter @message like /#\\d+/ | parse @message \"id=*\" as id",
        "parse @message /user=(?<user>\\w+)/ | filter user = \"bob\"",
        "fields @message | filter @message =~ /a\\/b/ and @logStream = 'web'",
        "filter @message not like /x/ | stats count(*) by bin(5m)",
    ] {
        assert_eq!(check_query(q), Ok(()), "{q}");
    }
}

// ------------------------------------------------------------ fuzz

/// How a reference lexer decides that a `/` opens a regular expression.
#[derive(Clone, Copy, Debug)]
enum RegexRule {
    /// Lexical: every `/` outside literals opens one.
    Everywhere,
    /// Wherever no operand precedes; elsewhere it divides.
    WhereNoOperand,
    /// Only after `like`, `=~` and `parse FIELD`; elsewhere it divides, and a
    /// division without a left operand is a syntax error.
    AfterMatchers,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Sym(char),
    Str,
    Regex,
}

const KEYWORDS: &[&str] = &[
    "like", "not", "and", "or", "in", "by", "as", "fields", "filter", "stats", "parse", "sort", "display", "source",
];

fn is_operand(t: &Tok) -> bool {
    match t {
        Tok::Word(w) => !KEYWORDS.contains(&w.to_ascii_lowercase().as_str()),
        Tok::Str | Tok::Regex => true,
        Tok::Sym(c) => matches!(c, ')' | ']'),
    }
}

/// Whether the tokens so far end in `like`, `=~` or `[| ]parse FIELD`.
fn after_matcher(toks: &[Tok]) -> bool {
    let is = |t: Option<&Tok>, w: &str| matches!(t, Some(Tok::Word(x)) if x.eq_ignore_ascii_case(w));
    let n = toks.len();
    is(toks.last(), "like")
        || (n >= 2 && toks[n - 2..] == [Tok::Sym('='), Tok::Sym('~')])
        || (n >= 2
            && matches!(toks[n - 1], Tok::Word(_))
            && is(toks.get(n - 2), "parse")
            && (n == 2 || toks[n - 3] == Tok::Sym('|')))
}

/// A model of CloudWatch's lexer: tokens, or `None` where CloudWatch would
/// refuse the query (unterminated literal, division without an operand).
fn reference_lex(q: &str, rule: RegexRule) -> Option<Vec<Tok>> {
    let chars: Vec<char> = q.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if matches!(c, '"' | '\'' | '`') {
            i += 1;
            loop {
                match chars.get(i) {
                    None => return None,
                    Some('\\') if c != '`' => i += 2,
                    Some(&x) if x == c => break,
                    Some(_) => i += 1,
                }
            }
            i += 1;
            toks.push(Tok::Str);
        } else if c == '/' {
            let operand_before = toks.last().is_some_and(is_operand);
            let opens = match rule {
                RegexRule::Everywhere => true,
                RegexRule::WhereNoOperand => !operand_before || after_matcher(&toks),
                RegexRule::AfterMatchers if after_matcher(&toks) => true,
                RegexRule::AfterMatchers if operand_before => false,
                RegexRule::AfterMatchers => return None,
            };
            i += 1;
            if opens {
                loop {
                    match chars.get(i) {
                        None => return None,
                        Some('\\') => i += 2,
                        Some('/') => break,
                        Some(_) => i += 1,
                    }
                }
                i += 1;
                toks.push(Tok::Regex);
            } else {
                toks.push(Tok::Sym('/'));
            }
        } else if c.is_ascii_alphanumeric() || matches!(c, '_' | '@' | '.') {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '_' | '@' | '.')) {
                i += 1;
            }
            toks.push(Tok::Word(chars[start..i].iter().collect()));
        } else {
            toks.push(Tok::Sym(c));
            i += 1;
        }
    }
    Some(toks)
}

/// What CloudWatch would act on: a SOURCE command, or a group-selecting word.
fn widens_scope(toks: &[Tok]) -> bool {
    let scope_word = |w: &str| {
        w.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|part| {
            [
                "loggroups",
                "loggroupnames",
                "loggroupidentifier",
                "loggroupidentifiers",
            ]
            .contains(&part.to_ascii_lowercase().as_str())
        })
    };
    let words_widen = toks.iter().any(|t| matches!(t, Tok::Word(w) if scope_word(w)));
    let source_command = toks.split(|t| *t == Tok::Sym('|')).any(|command| {
        matches!(command.first(), Some(Tok::Word(w))
            if w.split(|c: char| !c.is_ascii_alphanumeric()).next().is_some_and(|w| w.eq_ignore_ascii_case("source")))
    });
    words_widen || source_command
}

fn fragments() -> impl Strategy<Value = String> {
    let pieces = vec![
        "/",
        "/",
        "#",
        "\"",
        "'",
        "`",
        "\\",
        "|",
        "\n",
        " ",
        " ",
        "(",
        ")",
        ",",
        "=~",
        "*",
        "SOURCE ",
        "source",
        "logGroups(",
        "fields ",
        "filter ",
        "like ",
        "parse ",
        "@message ",
        "x",
        "2",
        "stats ",
    ];
    proptest::collection::vec(prop::sample::select(pieces), 1..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    /// Whatever CloudWatch's regex rule is (among the three modelled), a
    /// query the check accepts never widens its scope.
    #[test]
    fn an_accepted_query_never_widens_scope_under_any_reference_lexer(q in fragments()) {
        if check_query(&q).is_ok() {
            for rule in [RegexRule::Everywhere, RegexRule::WhereNoOperand, RegexRule::AfterMatchers] {
                if let Some(toks) = reference_lex(&q, rule) {
                    prop_assert!(!widens_scope(&toks), "{rule:?} reads {toks:?} in {q:?}");
                }
            }
        }
    }
}

#[test]
fn the_reference_lexers_see_what_the_old_check_missed() {
    let q = "fields @message | filter @message like /#/ | SOURCE logGroups()";
    for rule in [
        RegexRule::Everywhere,
        RegexRule::WhereNoOperand,
        RegexRule::AfterMatchers,
    ] {
        assert!(widens_scope(&reference_lex(q, rule).unwrap()), "{rule:?}");
    }
}
