//! JSON text read strictly: a key repeated within one object is reported, with
//! where it is, instead of silently resolving to its last copy the way
//! `serde_json::Value` does. Policy documents are read this way, because JSON
//! readers disagree on which copy counts, so `{"Effect":"Allow","Effect":"Deny"}`
//! could mean one thing to a reviewer and another to the gateway.

use std::cell::RefCell;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// A JSON value read from text, with the first key found repeated in one
/// object. Deserialize it (for example as `web::Json<StrictJson>`) and call
/// [`into_value`](Self::into_value).
#[derive(Debug)]
pub(crate) struct StrictJson {
    value: Value,
    duplicate: Option<DuplicateKey>,
}

/// A key that appears more than once in one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DuplicateKey {
    /// Where the key is: `Statement[0].Effect`, `[2].action`; a key of the
    /// top-level object is just its name.
    pub(crate) path: String,
    pub(crate) key: String,
}

impl StrictJson {
    pub(crate) fn from_slice(text: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(text)
    }

    /// The value, unless some object repeats a key.
    pub(crate) fn into_value(self) -> Result<Value, DuplicateKey> {
        match self.duplicate {
            Some(duplicate) => Err(duplicate),
            None => Ok(self.value),
        }
    }
}

impl<'de> Deserialize<'de> for StrictJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let found = RefCell::new(None);
        let value = Seed {
            path: &Path::Root,
            found: &found,
        }
        .deserialize(deserializer)?;
        Ok(Self {
            value,
            duplicate: found.into_inner(),
        })
    }
}

/// Where a value sits, built on the stack as the reader descends, and only
/// rendered when a duplicate is found.
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Key(Path::Root, key) => f.write_str(key),
            Path::Key(parent, key) => write!(f, "{parent}.{key}"),
            Path::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

/// Reads one value at `path`. A duplicate is recorded rather than returned as
/// an error, so that the caller can name it in its own error shape instead of
/// a generic syntax error. serde_json's recursion limit bounds the depth.
#[derive(Clone, Copy)]
struct Seed<'a> {
    path: &'a Path<'a>,
    found: &'a RefCell<Option<DuplicateKey>>,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(Seed {
            path: &Path::Index(self.path, items.len()),
            found: self.found,
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = Path::Key(self.path, &key);
            let value = map.next_value_seed(Seed {
                path: &path,
                found: self.found,
            })?;
            if object.contains_key(&key) {
                let mut found = self.found.borrow_mut();
                if found.is_none() {
                    *found = Some(DuplicateKey {
                        path: path.to_string(),
                        key: key.clone(),
                    });
                }
            }
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(text: &str) -> Result<Value, DuplicateKey> {
        StrictJson::from_slice(text.as_bytes()).unwrap().into_value()
    }

    #[test]
    fn reads_what_serde_json_reads_when_keys_are_unique() {
        let text = r#"{"a": [1, -2, 3.5, true, null, "x\u00e9"], "b": {"c": {}, "d": []}, "e": 18446744073709551615}"#;
        assert_eq!(read(text).unwrap(), serde_json::from_str::<Value>(text).unwrap());
        assert_eq!(read("[]").unwrap(), json!([]));
        assert_eq!(read("\"s\"").unwrap(), json!("s"));
    }

    #[test]
    fn names_a_repeated_key_and_where_it_is() {
        let cases = [
            (r#"{"Version": "1", "Version": "2"}"#, "Version", "Version"),
            (
                r#"{"Statement": [{"Effect": "Allow", "Effect": "Deny"}]}"#,
                "Statement[0].Effect",
                "Effect",
            ),
            (
                r#"{"Statement": [{}, {"Action": "a", "Resource": "r", "Action": "b"}]}"#,
                "Statement[1].Action",
                "Action",
            ),
            (r#"{"Statement": [], "Statement": {}}"#, "Statement", "Statement"),
            (r#"[{"action": 1}, {"action": 1, "action": 2}]"#, "[1].action", "action"),
            (
                r#"{"policy": {"Statement": {"Sid": "a", "Sid": "a"}}}"#,
                "policy.Statement.Sid",
                "Sid",
            ),
        ];
        for (text, path, key) in cases {
            assert_eq!(
                read(text),
                Err(DuplicateKey {
                    path: path.into(),
                    key: key.into()
                }),
                "{text}"
            );
        }
        // The first duplicate in reading order is reported.
        let first = read(r#"{"a": {"x": 1, "x": 2}, "a": 3}"#).unwrap_err();
        assert_eq!(first.path, "a.x");
    }

    #[test]
    fn syntax_errors_and_depth_stay_serde_json_errors() {
        assert!(StrictJson::from_slice(b"{\"a\": 1,}").is_err());
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(StrictJson::from_slice(deep.as_bytes()).is_err(), "recursion limit");
    }
}
