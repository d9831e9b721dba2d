//! Logs Insights query text, checked so that it cannot widen its own scope.
//!
//! StartQuery reads the log groups the gateway names, unless the query text
//! names others: a `SOURCE logGroups(...)` command can select every group in
//! the account. The gateway pins the query language to CloudWatch's own (SQL
//! and PPL name groups in the text) and refuses any query that has a `SOURCE`
//! command or mentions the group-selecting functions outside string literals.
//! Anything it cannot tokenize (an unterminated string) is refused too.
//!
//! The rule: this check may refuse more than CloudWatch would read, never
//! less. So it lexes the query the way CloudWatch may, and where CloudWatch's
//! reading is not known for certain it follows every candidate: only string
//! literals and comments are ever hidden from the checks (regular expressions
//! are inspected as code), and a query is refused when the candidate readings
//! disagree on where a string or comment starts. See [`strip_literals`].

const MAX_QUERY_LEN: usize = 10_000;

/// Words that select log groups inside a query, refused outside strings.
const SCOPE_WORDS: &[&str] = &[
    "loggroups",
    "loggroupidentifiers",
    "loggroupidentifier",
    "loggroupnames",
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum QueryError {
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
    #[error(
        "must not have #, a quote or a backtick after a / that may be a division or the start of a \
         regular expression (write regular expressions right after like, =~ or parse FIELD)"
    )]
    AmbiguousRegex,
    #[error("must not use the SOURCE command: the log groups are given in logGroupNames")]
    Source,
    #[error("must not name log groups ({0}): they are given in logGroupNames")]
    NamesGroups(String),
}

/// Checks a query string; `Ok` means it reads only the groups passed beside it.
pub(crate) fn check_query(query: &str) -> Result<(), QueryError> {
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
        let command = command.trim_start();
        let first = &command[..command.find(|c: char| !is_word_char(c)).unwrap_or(command.len())];
        if first.eq_ignore_ascii_case("source") {
            return Err(QueryError::Source);
        }
    }
    for word in code.split(|c: char| !is_word_char(c)) {
        let lower = word.to_ascii_lowercase();
        if SCOPE_WORDS.contains(&lower.as_str()) {
            return Err(QueryError::NamesGroups(word.to_owned()));
        }
    }
    Ok(())
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// A string literal or comment being read.
#[derive(Clone, Copy)]
enum Literal {
    Str { quote: char, escaped: bool },
    Comment,
}

/// The query with string literals and `#` comments blanked out, so that only
/// code is inspected; regular expressions stay in as code (inspecting them
/// can only refuse more).
///
/// Outside literals, a `/` is a division or opens a regular expression `/…/`
/// (closed by the next `/` not escaped with `\`). CloudWatch's documentation
/// shows regular expressions after `like`, `not like` and `=~` in `filter`
/// and after the field in `parse`, but not its rule for other positions: it
/// might be lexical (every `/` opens one) or depend on the position. So both
/// readings are followed side by side: the
/// code reading, and a regular expression reading once any `/` may have
/// opened one. Only where a division is impossible, because no left operand
/// precedes (see [`Recent::division_impossible`]), does the code reading end
/// at a `/`. A `#`, quote or backtick is text inside a regular expression but
/// starts a comment or string in code: while both readings are open, it is
/// refused ([`QueryError::AmbiguousRegex`]). So all readings agree on where
/// literals are, and each sees as code a part of what is inspected here.
fn strip_literals(query: &str) -> Result<String, QueryError> {
    let mut out = String::with_capacity(query.len());
    let mut literal: Option<Literal> = None;
    // Outside literals at least one reading is open: code, or inside a
    // regular expression (`Some(escaped)`), or both.
    let mut code = true;
    let mut regex: Option<bool> = None;
    let mut recent = Recent::default();
    for c in query.chars() {
        match literal {
            Some(Literal::Str { quote, escaped }) => {
                literal = if escaped {
                    Some(Literal::Str { quote, escaped: false })
                } else if c == '\\' && quote != '`' {
                    // Backslash escapes only inside quotes, not backticks.
                    Some(Literal::Str { quote, escaped: true })
                } else if c == quote {
                    recent.push(Token::Literal);
                    None
                } else {
                    literal
                };
                continue;
            }
            Some(Literal::Comment) => {
                if c == '\n' {
                    out.push('\n');
                    literal = None;
                }
                continue;
            }
            None => {}
        }
        if code && matches!(c, '"' | '\'' | '`' | '#') {
            if regex.is_some() {
                return Err(QueryError::AmbiguousRegex);
            }
            if c == '#' {
                literal = Some(Literal::Comment);
                recent.space();
            } else {
                literal = Some(Literal::Str {
                    quote: c,
                    escaped: false,
                });
                out.push(' ');
            }
            continue;
        }
        out.push(c);
        let regex_closes = regex == Some(false) && c == '/';
        regex = match regex {
            Some(true) => Some(false),
            Some(false) if c == '\\' => Some(true),
            Some(false) if c == '/' => None,
            other => other,
        };
        if code && c == '/' {
            regex = Some(false);
            code = !recent.division_impossible();
            recent.push(Token::Sym('/'));
        } else if code {
            recent.feed(c);
        }
        if regex_closes {
            code = true;
            recent.push(Token::Literal);
        }
    }
    if matches!(literal, Some(Literal::Str { .. })) {
        return Err(QueryError::Unterminated);
    }
    Ok(out)
}

/// A token of the code reading, as far as telling a division from a regular
/// expression needs it.
#[derive(Clone, PartialEq, Eq)]
enum Token {
    /// A run of letters, digits, `_`, `@` and `.` (a field, keyword or number), lowercased.
    Word(String),
    Sym(char),
    /// A string or regular expression: an operand.
    Literal,
}

/// The last three tokens of the code reading, newest first.
#[derive(Default)]
struct Recent {
    tokens: [Option<Token>; 3],
    in_word: bool,
}

impl Recent {
    fn push(&mut self, token: Token) {
        self.tokens.rotate_right(1);
        self.tokens[0] = Some(token);
        self.in_word = false;
    }

    fn space(&mut self) {
        self.in_word = false;
    }

    fn feed(&mut self, c: char) {
        if c.is_whitespace() {
            self.space();
        } else if is_word_char(c) || c == '@' || c == '.' {
            match &mut self.tokens[0] {
                Some(Token::Word(word)) if self.in_word => word.push(c.to_ascii_lowercase()),
                _ => {
                    self.push(Token::Word(c.to_ascii_lowercase().to_string()));
                    self.in_word = true;
                }
            }
        } else {
            self.push(Token::Sym(c));
        }
    }

    /// Whether a `/` here cannot be a division: a division needs a left
    /// operand, and none precedes at the start, after an opening bracket, a
    /// comma, a pipe, a comparison or match operator, a colon, after `like`,
    /// or after the field of a `parse` command (which takes a pattern next).
    fn division_impossible(&self) -> bool {
        match &self.tokens {
            [None, ..] => true,
            [Some(Token::Sym(c)), ..] => matches!(c, '(' | '[' | ',' | '|' | '=' | '<' | '>' | '!' | '~' | ':'),
            [Some(Token::Word(w)), ..] if w == "like" => true,
            [Some(Token::Word(_)), Some(Token::Word(p)), None | Some(Token::Sym('|'))] => p == "parse",
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests;
