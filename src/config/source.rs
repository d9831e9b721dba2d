//! Where raw values come from: the optional TOML file overlaid with the
//! environment, read for the variables of the table only, and typed reads of
//! one variable at a time.

use std::collections::BTreeMap;
use std::path::Path;

use super::variables::{VARIABLES, Var};
use super::{ConfigError, invalid};

/// Raw key/value source: the TOML file overlaid with the environment.
pub struct Source {
    values: BTreeMap<String, String>,
}

impl Source {
    /// Reads the optional TOML file, then the process environment on top.
    pub fn load(config_file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut values = match config_file {
            Some(path) => read_toml(path)?,
            None => BTreeMap::new(),
        };
        for var in VARIABLES {
            if let Ok(value) = std::env::var(var) {
                values.insert((*var).to_owned(), value);
            }
        }
        Ok(Self { values })
    }

    /// A source from explicit pairs (tests, tools).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            values: pairs.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect(),
        }
    }

    /// The value of `var`; blank counts as unset.
    pub(super) fn get(&self, var: Var) -> Option<&str> {
        self.values
            .get(var.name())
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    pub(super) fn parse<T: std::str::FromStr>(&self, var: Var, default: T, what: &str) -> Result<T, ConfigError> {
        match self.get(var) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse()
                .map_err(|_| invalid(var, format!("must be {what}, got {raw:?}"))),
        }
    }

    pub(super) fn ranged(&self, var: Var, default: u64, min: u64, max: u64) -> Result<u64, ConfigError> {
        let v = self.parse(var, default, "a whole number")?;
        if !(min..=max).contains(&v) {
            return Err(invalid(var, format!("must be between {min} and {max}, got {v}")));
        }
        Ok(v)
    }
}

fn read_toml(path: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let file_err = |message: String| ConfigError::File {
        path: path.to_owned(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| file_err(e.to_string()))?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| file_err(e.to_string()))?;
    let mut values = BTreeMap::new();
    for (key, value) in table {
        // `jwt_leeway_secs = 10` in the file is LOGWARD_JWT_LEEWAY_SECS.
        let var = format!("LOGWARD_{}", key.to_ascii_uppercase());
        if !VARIABLES.contains(&var.as_str()) {
            return Err(file_err(format!("unknown key {key:?}")));
        }
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            _ => {
                return Err(file_err(format!("{key}: must be a string, integer or boolean")));
            }
        };
        values.insert(var, value);
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    #[test]
    fn toml_file_is_overridden_by_environment_and_rejects_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logward.toml");
        std::fs::write(&path, "database_url = \"postgres://h/db\"\njwt_leeway_secs = 5\n").unwrap();
        let mut src = Source {
            values: read_toml(&path).unwrap(),
        };
        assert_eq!(Settings::from_source(&src).unwrap().jwt.leeway_secs, 5);
        src.values.insert("LOGWARD_JWT_LEEWAY_SECS".into(), "7".into());
        assert_eq!(Settings::from_source(&src).unwrap().jwt.leeway_secs, 7);
        std::fs::write(&path, "databse_url = \"x\"\n").unwrap();
        assert!(
            read_toml(&path)
                .unwrap_err()
                .to_string()
                .contains("unknown key \"databse_url\"")
        );
    }
}
