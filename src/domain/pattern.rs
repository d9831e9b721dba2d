//! IAM-style resource patterns: `*` matches any run of characters (crossing `:`
//! and `/`), `?` matches exactly one character, everything else matches itself,
//! case-sensitively. Policy variables (`${tenant}`, and IAM's escapes `${*}`,
//! `${?}`, `${$}`) are resolved when the pattern is compiled, into literal text:
//! a substituted value can never act as a wildcard.

/// One element of a compiled pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Atom {
    Byte(u8),
    /// `?`: exactly one character (not byte).
    AnyChar,
    /// `*`: any run of characters, possibly empty.
    Star,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArnPattern {
    atoms: Vec<Atom>,
    /// The source with `${tenant}` replaced (escapes kept as written).
    resolved: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum PatternError {
    #[error("unknown policy variable '${{{0}}}' (supported: ${{tenant}}, ${{*}}, ${{?}}, ${{$}})")]
    UnknownVariable(String),
    #[error("unterminated policy variable (a '${{' without its '}}')")]
    UnterminatedVariable,
}

/// Values for policy variables.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Variables<'a> {
    pub(crate) tenant: &'a str,
}

impl ArnPattern {
    /// Compiles `source`, substituting policy variables as literal text.
    pub(crate) fn compile(source: &str, vars: Variables<'_>) -> Result<Self, PatternError> {
        let mut atoms = Vec::with_capacity(source.len());
        let bytes = source.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'*' => {
                    // Consecutive stars are one star; keeps matching linear-ish.
                    if atoms.last() != Some(&Atom::Star) {
                        atoms.push(Atom::Star);
                    }
                    i += 1;
                }
                b'?' => {
                    atoms.push(Atom::AnyChar);
                    i += 1;
                }
                b'$' if bytes.get(i + 1) == Some(&b'{') => {
                    let rest = &source[i + 2..];
                    let end = rest.find('}').ok_or(PatternError::UnterminatedVariable)?;
                    let name = &rest[..end];
                    let literal = match name {
                        "tenant" => vars.tenant,
                        "*" => "*",
                        "?" => "?",
                        "$" => "$",
                        other => return Err(PatternError::UnknownVariable(other.to_owned())),
                    };
                    atoms.extend(literal.bytes().map(Atom::Byte));
                    i += 2 + end + 1;
                }
                b => {
                    atoms.push(Atom::Byte(b));
                    i += 1;
                }
            }
        }
        Ok(Self {
            atoms,
            resolved: source.replace("${tenant}", vars.tenant),
        })
    }

    /// The pattern with `${tenant}` filled in, for showing to the tenant.
    pub(crate) fn resolved(&self) -> &str {
        &self.resolved
    }

    /// What every match that starts with `prefix` and continues without
    /// `forbidden` (a stream name has no `:`) must continue with: for each way
    /// the pattern can consume `prefix`, the literal text that follows up to
    /// the next wildcard (or the end). `None` when a wildcard can follow
    /// `prefix` directly: then a match may continue with anything. Only an
    /// optimisation for asking CloudWatch narrowly; never a proof.
    pub(crate) fn literal_continuations(&self, prefix: &str, forbidden: u8) -> Option<Vec<String>> {
        let n = self.atoms.len();
        let states = self.after(prefix);
        let mut out = Vec::new();
        // A state whose rest needs the forbidden byte cannot lead to a match.
        let viable = |i: usize| !self.atoms[i..].contains(&Atom::Byte(forbidden));
        for i in (0..n).filter(|i| states[*i] && viable(*i)) {
            let run: Vec<u8> = self.atoms[i..]
                .iter()
                .map_while(|a| match a {
                    Atom::Byte(b) => Some(*b),
                    _ => None,
                })
                .collect();
            if run.is_empty() {
                return None; // a wildcard right here
            }
            out.push(String::from_utf8(run).ok()?);
        }
        Some(out)
    }

    /// The NFA states after reading all of `prefix` from the start.
    fn after(&self, prefix: &str) -> Vec<bool> {
        let mut states = vec![false; self.atoms.len() + 1];
        states[0] = true;
        self.skip_stars(&mut states);
        for ch in prefix.chars() {
            if !states.iter().any(|s| *s) {
                break;
            }
            states = self.step(&states, ch);
        }
        states
    }

    /// The NFA states after reading `ch` from `states` (positions in `atoms`;
    /// a star may also match nothing).
    fn step(&self, states: &[bool], ch: char) -> Vec<bool> {
        let n = self.atoms.len();
        let mut buf = [0u8; 4];
        let bytes = ch.encode_utf8(&mut buf).as_bytes();
        let mut next = vec![false; n + 1];
        for i in (0..n).filter(|i| states[*i]) {
            match self.atoms[i] {
                Atom::Star => next[i] = true,
                Atom::AnyChar => next[i + 1] = true,
                Atom::Byte(_) => {
                    let end = i + bytes.len();
                    if end <= n && self.atoms[i..end].iter().zip(bytes).all(|(a, b)| *a == Atom::Byte(*b)) {
                        next[end] = true;
                    }
                }
            }
        }
        self.skip_stars(&mut next);
        next
    }

    /// Adds the states reachable by letting a star match nothing.
    fn skip_stars(&self, states: &mut [bool]) {
        for i in 0..self.atoms.len() {
            if states[i] && self.atoms[i] == Atom::Star {
                states[i + 1] = true;
            }
        }
    }

    /// Whether `text` matches the whole pattern. Greedy matching with a single
    /// backtrack point: O(len(pattern) × len(text)) in the worst case, linear in
    /// the common one, and no allocation.
    pub(crate) fn matches(&self, text: &str) -> bool {
        let p = &self.atoms;
        let t = text.as_bytes();
        let (mut pi, mut ti) = (0usize, 0usize);
        let mut backtrack: Option<(usize, usize)> = None;
        while ti < t.len() {
            if let Some(atom) = p.get(pi) {
                match *atom {
                    Atom::Star => {
                        backtrack = Some((pi + 1, ti));
                        pi += 1;
                        continue;
                    }
                    Atom::AnyChar => {
                        pi += 1;
                        ti += utf8_len(t[ti]);
                        continue;
                    }
                    Atom::Byte(b) if b == t[ti] => {
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                    Atom::Byte(_) => {}
                }
            }
            match backtrack {
                Some((star_pi, star_ti)) => {
                    let next = star_ti + utf8_len(t[star_ti]);
                    backtrack = Some((star_pi, next));
                    pi = star_pi;
                    ti = next;
                }
                None => return false,
            }
        }
        p[pi.min(p.len())..].iter().all(|a| *a == Atom::Star) && ti == t.len()
    }
}

impl ArnPattern {
    /// Whether the pattern matches *every* string that starts with `prefix`:
    /// it ends in `*` and what comes before that star matches some prefix of
    /// `prefix` (the star then absorbs the rest). Sound, and exact for a single
    /// pattern.
    pub(crate) fn covers_all_with_prefix(&self, prefix: &str) -> bool {
        let Some(last_non_star) = self.atoms.iter().rposition(|a| *a != Atom::Star) else {
            // Only stars match everything; the empty pattern only the empty string.
            return !self.atoms.is_empty();
        };
        if last_non_star + 1 == self.atoms.len() {
            return false; // no trailing star: cannot match unboundedly long strings
        }
        let head = ArnPattern {
            atoms: self.atoms[..=last_non_star].to_vec(),
            resolved: String::new(),
        };
        prefix
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(prefix.len()))
            .any(|end| head.matches(&prefix[..end]))
    }

    /// Whether the pattern matches *some* string that starts with `prefix`
    /// (over-approximated: any continuation counts as possible).
    #[cfg(test)]
    pub(crate) fn matches_some_with_prefix(&self, prefix: &str) -> bool {
        self.matches_some_extension(prefix, None)
    }

    /// Like [`matches_some_with_prefix`](Self::matches_some_with_prefix), for
    /// continuations that never contain `forbidden` (a stream name never
    /// contains `:`, so a pattern that still needs a literal `:` after the
    /// prefix cannot match).
    pub(crate) fn matches_some_extension(&self, prefix: &str, forbidden: Option<u8>) -> bool {
        let n = self.atoms.len();
        let states = self.after(prefix);
        // A reachable state is viable when the rest of the pattern can match
        // some continuation: it must not require the forbidden byte.
        (0..=n).filter(|i| states[*i]).any(|i| match forbidden {
            None => true,
            Some(f) => !self.atoms[i..].contains(&Atom::Byte(f)),
        })
    }
}

/// Length of the UTF-8 sequence that starts with `lead`.
fn utf8_len(lead: u8) -> usize {
    match lead {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xff => 4,
        // A continuation byte: only reachable mid-character, step one byte.
        _ => 1,
    }
}

#[cfg(test)]
mod tests;
