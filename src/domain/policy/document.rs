//! A policy document as text: parsing and validating it at store time, and
//! the [`PolicyError`] that says which statement is at fault and why.

use serde_json::Value;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use super::Effect;
use super::strict_json::DuplicateKey;
use crate::domain::action::Action;
use crate::domain::pattern::{ArnPattern, Variables};

pub(crate) const POLICY_VERSION: &str = "2012-10-17";
const MAX_STATEMENTS: usize = 100;
const MAX_ENTRIES: usize = 100;
const MAX_PATTERN_LEN: usize = 2048;
const RESOURCE_PREFIX: &str = "arn:aws:logs:";
const MAX_TEXT: usize = 256;

/// A policy that passed validation. It keeps the document exactly as written so
/// that admins get back what they stored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PolicyDocument {
    raw: Value,
    pub(super) statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Statement {
    pub(super) sid: Option<String>,
    pub(super) effect: Effect,
    pub(super) actions: Vec<String>,
    pub(super) resources: Vec<String>,
}

/// Why a document was refused; names the statement when one is at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    statement: Option<(usize, Option<String>)>,
    /// A more precise place than the statement (`Statement[0].Effect`).
    at: Option<String>,
    message: String,
}

impl PolicyError {
    fn document(message: impl Into<String>) -> Self {
        Self {
            statement: None,
            at: None,
            message: message.into(),
        }
    }

    pub(super) fn statement(index: usize, sid: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            statement: Some((index, sid.map(str::to_owned))),
            at: None,
            message: message.into(),
        }
    }

    /// The part of the document at fault: `Statement[i]`, a key's path such
    /// as `Statement[0].Effect`, or `policy`.
    pub(crate) fn field(&self) -> String {
        match (&self.at, &self.statement) {
            (Some(at), _) => at.clone(),
            (None, Some((index, _))) => format!("Statement[{index}]"),
            (None, None) => "policy".to_owned(),
        }
    }
}

impl From<DuplicateKey> for PolicyError {
    fn from(duplicate: DuplicateKey) -> Self {
        Self {
            statement: None,
            message: format!(
                "duplicate key \"{}\" at {}: a key may appear only once in a policy document \
                 (JSON readers disagree on which copy counts)",
                duplicate.key, duplicate.path
            ),
            at: Some(duplicate.path),
        }
    }
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.statement {
            Some((index, Some(sid))) => {
                write!(f, "Statement[{index}] (Sid \"{sid}\"): {}", self.message)
            }
            Some((index, None)) => write!(f, "Statement[{index}]: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for PolicyError {}

impl PolicyDocument {
    /// Validates a document. Unknown keys (`Condition`, `NotAction`, `Principal`,
    /// ...) are refused rather than ignored: ignoring them would grant more than
    /// the author meant.
    pub(crate) fn parse(raw: Value) -> Result<Self, PolicyError> {
        let obj = raw
            .as_object()
            .ok_or_else(|| PolicyError::document("the policy must be a JSON object"))?;
        for key in obj.keys() {
            if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
                return Err(PolicyError::document(format!(
                    "unsupported top-level key \"{key}\" (allowed: Version, Id, Statement)"
                )));
            }
        }
        match obj.get("Version") {
            Some(Value::String(v)) if v == POLICY_VERSION => {}
            _ => {
                return Err(PolicyError::document(format!("Version must be \"{POLICY_VERSION}\"")));
            }
        }
        if let Some(id) = obj.get("Id") {
            plain_text("Id", id).map_err(PolicyError::document)?;
        }
        let statements: Vec<&Value> = match obj.get("Statement") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(item @ Value::Object(_)) => vec![item],
            _ => {
                return Err(PolicyError::document(
                    "Statement must be a statement object or a list of them",
                ));
            }
        };
        if statements.is_empty() {
            return Err(PolicyError::document("Statement must not be empty"));
        }
        if statements.len() > MAX_STATEMENTS {
            return Err(PolicyError::document(format!(
                "at most {MAX_STATEMENTS} statements are allowed"
            )));
        }
        let statements = statements
            .into_iter()
            .enumerate()
            .map(|(i, s)| Statement::parse(i, s))
            .collect::<Result<_, _>>()?;
        Ok(Self { raw, statements })
    }

    pub(crate) fn as_json(&self) -> &Value {
        &self.raw
    }
}

impl Statement {
    fn parse(index: usize, value: &Value) -> Result<Self, PolicyError> {
        let obj = value
            .as_object()
            .ok_or_else(|| PolicyError::statement(index, None, "a statement must be an object"))?;
        let sid = obj
            .get("Sid")
            .map(|s| plain_text("Sid", s))
            .transpose()
            .map_err(|m| PolicyError::statement(index, None, m))?;
        let err = |m: String| PolicyError::statement(index, sid.as_deref(), m);
        for key in obj.keys() {
            if !matches!(key.as_str(), "Sid" | "Effect" | "Action" | "Resource") {
                return Err(err(format!(
                    "unsupported key \"{key}\" (allowed: Sid, Effect, Action, Resource)"
                )));
            }
        }
        let effect = match obj.get("Effect") {
            Some(Value::String(e)) if e == "Allow" => Effect::Allow,
            Some(Value::String(e)) if e == "Deny" => Effect::Deny,
            _ => return Err(err("Effect must be \"Allow\" or \"Deny\"".into())),
        };
        let actions = string_list(obj.get("Action")).map_err(|m| err(format!("Action {m}")))?;
        for action in &actions {
            validate_action(action).map_err(|m| err(format!("Action \"{action}\" {m}")))?;
            // A typo (`logs:GetLogEvent`) or an action logward never performs
            // (`logs:PutLogEvents`) would be stored and then grant nothing.
            if super::evaluate::action_bits(action) == 0 {
                return Err(err(format!(
                    "Action \"{action}\" matches none of the actions logward performs; valid actions \
                     (or patterns matching some of them, like \"logs:Get*\"): {}",
                    Action::ALL.map(Action::iam_name).join(", ")
                )));
            }
        }
        let resources = string_list(obj.get("Resource")).map_err(|m| err(format!("Resource {m}")))?;
        for resource in &resources {
            validate_resource(resource).map_err(|m| err(format!("Resource \"{resource}\" {m}")))?;
        }
        Ok(Self {
            sid,
            effect,
            actions,
            resources,
        })
    }
}

/// Free text that is safe to store and to show: a string of at most
/// `MAX_TEXT` characters, without control characters (Postgres cannot store NUL
/// in text or jsonb) and without invisible format characters (general category
/// Cf: bidi controls, zero-width characters), which would make a Sid echoed to
/// tenants in /v1/me and in 403 texts read differently from what it is.
fn plain_text(field: &str, value: &Value) -> Result<String, String> {
    let Some(text) = value.as_str() else {
        return Err(format!("{field} must be a string"));
    };
    if text.chars().count() > MAX_TEXT {
        return Err(format!("{field} must be at most {MAX_TEXT} characters"));
    }
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() || c.general_category() == GeneralCategory::Format)
    {
        return Err(format!(
            "{field} must not contain control characters or invisible format characters such as \
             bidi controls (found U+{:04X})",
            u32::from(c)
        ));
    }
    Ok(text.to_owned())
}

fn string_list(value: Option<&Value>) -> Result<Vec<String>, String> {
    let list = match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or("must contain only strings")?,
        None => return Err("is required".into()),
        Some(_) => return Err("must be a string or a list of strings".into()),
    };
    if list.is_empty() {
        return Err("must not be empty".into());
    }
    if list.len() > MAX_ENTRIES {
        return Err(format!("may have at most {MAX_ENTRIES} entries"));
    }
    Ok(list)
}

fn validate_action(action: &str) -> Result<(), &'static str> {
    let Some(name) = action
        .get(..5)
        .filter(|p| p.eq_ignore_ascii_case("logs:"))
        .map(|_| &action[5..])
    else {
        return Err("is not a CloudWatch Logs action (must start with \"logs:\")");
    };
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphabetic() || b == b'*' || b == b'?') {
        return Err("must be \"logs:\" followed by an action name or pattern");
    }
    Ok(())
}

fn validate_resource(resource: &str) -> Result<(), String> {
    if !resource.starts_with(RESOURCE_PREFIX) {
        return Err(format!("must be an ARN pattern starting with \"{RESOURCE_PREFIX}\""));
    }
    if resource.len() > MAX_PATTERN_LEN {
        return Err(format!("must be at most {MAX_PATTERN_LEN} characters"));
    }
    if resource.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    // Variables are checked now so that a bad one fails at store time, not later.
    ArnPattern::compile(resource, Variables { tenant: "x" }).map_err(|e| e.to_string())?;
    super::template::check_tenant_boundaries(resource).map_err(|m| format!("is refused: {m}"))
}
