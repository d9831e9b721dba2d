//! Strict query-string parsing: every parameter is decoded once, unknown or
//! repeated parameters are refused (a parameter read in two places is how
//! tenant gateways get bypassed), and values are range-checked with errors that
//! name the parameter.

use crate::error::ApiError;

pub(crate) struct StrictQuery {
    /// (name, decoded value, raw value)
    pairs: Vec<(String, String, String)>,
}

impl StrictQuery {
    pub(crate) fn parse(raw: &str, allowed: &[&str]) -> Result<Self, ApiError> {
        Self::parse_with_lists(raw, allowed, &[])
    }

    /// Like [`parse`](Self::parse); the parameters in `lists` may also be
    /// repeated, one item per occurrence (what `URLSearchParams.append` and
    /// most HTTP clients produce from a list).
    pub(crate) fn parse_with_lists(raw: &str, allowed: &[&str], lists: &[&str]) -> Result<Self, ApiError> {
        let mut pairs: Vec<(String, String, String)> = Vec::new();
        for part in raw.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let key =
                decode(k).map_err(|_| ApiError::invalid_param("query", "is not valid UTF-8 after percent-decoding"))?;
            let value = decode(v)
                .map_err(|_| ApiError::invalid_param(key.clone(), "is not valid UTF-8 after percent-decoding"))?;
            if !allowed.contains(&key.as_str()) {
                return Err(ApiError::invalid_param(
                    key,
                    format!("is not a parameter of this route (allowed: {})", allowed.join(", ")),
                ));
            }
            if !lists.contains(&key.as_str()) && pairs.iter().any(|(k, _, _)| *k == key) {
                return Err(ApiError::invalid_param(key, "is given more than once"));
            }
            pairs.push((key, value, v.to_owned()));
        }
        Ok(Self { pairs })
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _, _)| k == name)
            .map(|(_, v, _)| v.as_str())
    }

    /// A list: one comma-separated occurrence, split *before* percent-decoding
    /// (so an item may contain a comma written as `%2C`), or the parameter
    /// repeated with one item per occurrence (then every comma belongs to its item).
    pub(crate) fn list(&self, name: &str, max_items: usize) -> Result<Option<Vec<String>>, ApiError> {
        let occurrences: Vec<&(String, String, String)> = self.pairs.iter().filter(|(k, _, _)| k == name).collect();
        let items = match occurrences.as_slice() {
            [] => return Ok(None),
            [(_, _, raw)] => raw
                .split(',')
                .map(|item| {
                    decode(item).map_err(|_| ApiError::invalid_param(name, "is not valid UTF-8 after percent-decoding"))
                })
                .collect::<Result<Vec<_>, _>>()?,
            many => many.iter().map(|(_, decoded, _)| decoded.clone()).collect(),
        };
        if items.is_empty() || items.len() > max_items || items.iter().any(String::is_empty) {
            return Err(ApiError::invalid_param(
                name,
                format!("must list 1 to {max_items} non-empty names, comma-separated or repeated"),
            ));
        }
        Ok(Some(items))
    }

    pub(crate) fn int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        let Some(raw) = self.get(name) else {
            return Ok(None);
        };
        let value: i64 = raw
            .parse()
            .map_err(|_| ApiError::invalid_param(name, format!("must be an integer, got {raw:?}")))?;
        if !(min..=max).contains(&value) {
            return Err(ApiError::invalid_param(
                name,
                format!("must be between {min} and {max}, got {value}"),
            ));
        }
        Ok(Some(value))
    }

    pub(crate) fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => Err(ApiError::invalid_param(
                name,
                format!("must be true or false, got {other:?}"),
            )),
        }
    }

    /// A free-text parameter with a length bound and no control characters.
    pub(crate) fn text(&self, name: &str, max_len: usize) -> Result<Option<&str>, ApiError> {
        let Some(raw) = self.get(name) else {
            return Ok(None);
        };
        if raw.is_empty() {
            return Err(ApiError::invalid_param(name, "must not be empty"));
        }
        if raw.len() > max_len {
            return Err(ApiError::invalid_param(
                name,
                format!("must be at most {max_len} bytes"),
            ));
        }
        if raw.chars().any(char::is_control) {
            return Err(ApiError::invalid_param(name, "must not contain control characters"));
        }
        Ok(Some(raw))
    }
}

fn decode(raw: &str) -> Result<String, std::str::Utf8Error> {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|s| s.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(err: ApiError) -> String {
        err.detail().split(':').next().unwrap().to_owned()
    }

    #[test]
    fn decodes_once_and_rejects_unknown_or_repeated() {
        let q = StrictQuery::parse("a=x%2520y+z&b=", &["a", "b"]).unwrap();
        assert_eq!(q.get("a"), Some("x%20y z"));
        assert_eq!(q.get("b"), Some(""));
        assert_eq!(field(StrictQuery::parse("c=1", &["a"]).err().unwrap()), "c");
        assert_eq!(field(StrictQuery::parse("a=1&a=2", &["a"]).err().unwrap()), "a");
        assert_eq!(field(StrictQuery::parse("a=%FF", &["a"]).err().unwrap()), "a");
    }

    #[test]
    fn lists_split_before_decoding() {
        let q = StrictQuery::parse("n=a%2Cb,c&e=,x", &["n", "e"]).unwrap();
        assert_eq!(q.list("n", 5).unwrap(), Some(vec!["a,b".to_owned(), "c".to_owned()]));
        assert_eq!(field(q.list("e", 5).unwrap_err()), "e");
        assert_eq!(field(q.list("n", 1).unwrap_err()), "n");
    }

    #[test]
    fn lists_may_repeat_the_parameter() {
        let q = StrictQuery::parse_with_lists("n=a%2Cb&n=c,d&x=1", &["n", "x"], &["n"]).unwrap();
        assert_eq!(q.list("n", 5).unwrap(), Some(vec!["a,b".to_owned(), "c,d".to_owned()]));
        assert_eq!(
            field(
                StrictQuery::parse_with_lists("x=1&x=2", &["n", "x"], &["n"])
                    .err()
                    .unwrap()
            ),
            "x"
        );
        assert_eq!(field(StrictQuery::parse("n=a&n=b", &["n"]).err().unwrap()), "n");
        let q = StrictQuery::parse_with_lists("n=a&n=", &["n"], &["n"]).unwrap();
        assert_eq!(field(q.list("n", 5).unwrap_err()), "n");
    }

    #[test]
    fn typed_getters_name_the_parameter() {
        let q = StrictQuery::parse("limit=0&flag=yes&n=abc", &["limit", "flag", "n"]).unwrap();
        assert_eq!(field(q.int("limit", 1, 10).unwrap_err()), "limit");
        assert_eq!(field(q.bool("flag").unwrap_err()), "flag");
        assert_eq!(field(q.int("n", 0, 1).unwrap_err()), "n");
        assert_eq!(q.int("missing", 0, 1).unwrap(), None);
    }
}
