//! Tenant policies: IAM-style JSON documents, validated when stored and compiled
//! into a form the request path evaluates without allocating.
//!
//! Evaluation is IAM's: default deny; any matching Deny beats every Allow.

use serde::Serialize;
use serde_json::Value;

use super::action::Action;
use super::pattern::{ArnPattern, Variables};

pub const POLICY_VERSION: &str = "2012-10-17";
const MAX_STATEMENTS: usize = 100;
const MAX_ENTRIES: usize = 100;
const MAX_PATTERN_LEN: usize = 2048;
const RESOURCE_PREFIX: &str = "arn:aws:logs:";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

/// A policy that passed validation. It keeps the document exactly as written so
/// that admins get back what they stored.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDocument {
    raw: Value,
    statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq)]
struct Statement {
    sid: Option<String>,
    effect: Effect,
    actions: Vec<String>,
    resources: Vec<String>,
}

/// Why a document was refused; names the statement when one is at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    statement: Option<(usize, Option<String>)>,
    message: String,
}

impl PolicyError {
    fn document(message: impl Into<String>) -> Self {
        Self {
            statement: None,
            message: message.into(),
        }
    }

    fn statement(index: usize, sid: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            statement: Some((index, sid.map(str::to_owned))),
            message: message.into(),
        }
    }

    /// The part of the document at fault: `Statement[i]`, or `policy`.
    pub fn field(&self) -> String {
        match &self.statement {
            Some((index, _)) => format!("Statement[{index}]"),
            None => "policy".to_owned(),
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
    pub fn parse(raw: Value) -> Result<Self, PolicyError> {
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
        if let Some(id) = obj.get("Id")
            && !id.as_str().is_some_and(plain_text)
        {
            return Err(PolicyError::document(
                "Id must be a string of at most 256 characters without control characters",
            ));
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

    pub fn as_json(&self) -> &Value {
        &self.raw
    }

    /// Compiles the document for one tenant, resolving `${tenant}`.
    pub fn compile(&self, tenant: &str) -> Result<CompiledPolicy, PolicyError> {
        let vars = Variables { tenant };
        let statements = self
            .statements
            .iter()
            .enumerate()
            .map(|(index, s)| {
                let resources = s
                    .resources
                    .iter()
                    .map(|r| {
                        ArnPattern::compile(r, vars)
                            .map_err(|e| PolicyError::statement(index, s.sid.as_deref(), e.to_string()))
                    })
                    .collect::<Result<_, _>>()?;
                Ok(CompiledStatement {
                    index,
                    sid: s.sid.clone(),
                    effect: s.effect,
                    actions: s.actions.iter().fold(0, |acc, a| acc | action_bits(a)),
                    resources,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(CompiledPolicy { statements })
    }
}

impl Statement {
    fn parse(index: usize, value: &Value) -> Result<Self, PolicyError> {
        let obj = value
            .as_object()
            .ok_or_else(|| PolicyError::statement(index, None, "a statement must be an object"))?;
        let sid = match obj.get("Sid") {
            None => None,
            Some(Value::String(s)) if plain_text(s) => Some(s.clone()),
            Some(_) => {
                return Err(PolicyError::statement(
                    index,
                    None,
                    "Sid must be a string of at most 256 characters without control characters",
                ));
            }
        };
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

/// Free text that is safe to store and show: bounded, no control characters
/// (Postgres cannot store NUL in text or jsonb).
fn plain_text(s: &str) -> bool {
    s.chars().count() <= 256 && !s.chars().any(char::is_control)
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
    ArnPattern::compile(resource, Variables { tenant: "x" })
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Bit set of the gateway's actions an action pattern names. Like IAM, action
/// matching ignores case.
fn action_bits(pattern: &str) -> u16 {
    let lowered = pattern.to_ascii_lowercase();
    let compiled = match ArnPattern::compile(&lowered, Variables { tenant: "" }) {
        Ok(p) => p,
        Err(_) => return 0,
    };
    Action::ALL
        .into_iter()
        .filter(|a| compiled.matches(&a.iam_name().to_ascii_lowercase()))
        .fold(0, |acc, a| acc | a.bit())
}

/// The outcome of evaluating a request against a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// An Allow statement matched and no Deny did.
    Allowed,
    /// A Deny statement matched.
    ExplicitDeny,
    /// Nothing matched.
    ImplicitDeny,
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allowed
    }
}

#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    statements: Vec<CompiledStatement>,
}

#[derive(Debug, Clone)]
struct CompiledStatement {
    index: usize,
    sid: Option<String>,
    effect: Effect,
    actions: u16,
    resources: Vec<ArnPattern>,
}

/// A statement that matched a request, for explanations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchedStatement {
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
}

/// What one statement grants or denies, as shown to the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub effect: Effect,
    pub actions: Vec<&'static str>,
    pub resources: Vec<String>,
}

impl CompiledPolicy {
    /// The statements as grants, limited to the actions in `mask` (a credential
    /// narrowed to some actions sees only those). Statements left with no
    /// action are omitted.
    pub fn grants(&self, mask: u16) -> Vec<Grant> {
        self.statements
            .iter()
            .filter(|s| s.actions & mask != 0)
            .map(|s| Grant {
                effect: s.effect,
                actions: Action::ALL
                    .into_iter()
                    .filter(|a| s.actions & mask & a.bit() != 0)
                    .map(Action::iam_name)
                    .collect(),
                resources: s.resources.iter().map(|r| r.resolved().to_owned()).collect(),
            })
            .collect()
    }

    /// Decides `action` on *every* stream whose ARN starts with `prefix`
    /// (`...:log-group:G:log-stream:` for a whole group, plus a name prefix):
    /// Allowed only when one Allow statement provably covers them all and no
    /// Deny statement can match any of them. The rest of such an ARN is part
    /// of a stream name, so it never contains `:`. When coverage cannot be
    /// proven the answer is a denial; the gateway never forwards a call it
    /// cannot prove.
    pub fn authorize_stream_prefix(&self, action: Action, prefix: &str) -> Decision {
        // A Deny on the group itself denies every stream in it.
        if let Some(group) = group_of(prefix)
            && self.authorize(action, group) == Decision::ExplicitDeny
        {
            return Decision::ExplicitDeny;
        }
        let mut covered = false;
        for s in self.statements.iter().filter(|s| s.actions & action.bit() != 0) {
            match s.effect {
                Effect::Deny if s.resources.iter().any(|r| r.matches_some_extension(prefix, Some(b':'))) => {
                    return Decision::ExplicitDeny;
                }
                Effect::Allow if s.resources.iter().any(|r| r.covers_all_with_prefix(prefix)) => covered = true,
                _ => {}
            }
        }
        if covered {
            Decision::Allowed
        } else {
            Decision::ImplicitDeny
        }
    }

    /// Whether a Deny statement for `action` covers every stream whose ARN
    /// starts with `prefix` (or the group itself): the group is off limits.
    pub fn denies_all_streams(&self, action: Action, prefix: &str) -> bool {
        if group_of(prefix).is_some_and(|g| self.authorize(action, g) == Decision::ExplicitDeny) {
            return true;
        }
        self.statements
            .iter()
            .filter(|s| s.effect == Effect::Deny && s.actions & action.bit() != 0)
            .any(|s| s.resources.iter().any(|r| r.covers_all_with_prefix(prefix)))
    }

    /// Whether some Allow statement for `action` could match a stream whose
    /// ARN starts with `prefix` (`...:log-group:G:log-stream:`, maybe with a
    /// name prefix). A reach, not a proof: used to decide whether a listing is
    /// worth forwarding at all; each result is still authorized.
    pub fn may_allow_some_stream(&self, action: Action, prefix: &str) -> bool {
        self.statements
            .iter()
            .filter(|s| s.effect == Effect::Allow && s.actions & action.bit() != 0)
            .any(|s| s.resources.iter().any(|r| r.matches_some_extension(prefix, Some(b':'))))
    }

    /// The literal log-group-name prefixes of the Allow patterns for `action`
    /// (the text after `:log-group:` up to the first wildcard), to ask
    /// CloudWatch for as little as possible. `None` when some pattern does not
    /// constrain the group name. Only an optimisation: results are still
    /// authorized one by one.
    pub fn allowed_group_prefixes(&self, action: Action) -> Option<Vec<String>> {
        let mut prefixes: Vec<String> = Vec::new();
        for s in self
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow && s.actions & action.bit() != 0)
        {
            for r in &s.resources {
                let (_, rest) = r.resolved().split_once(":log-group:")?;
                let end = rest.find(['*', '?', '$', ':']).unwrap_or(rest.len());
                prefixes.push(rest[..end].to_owned());
            }
        }
        // Keep only prefixes no shorter prefix already includes.
        prefixes.sort();
        prefixes.dedup();
        let mut minimal: Vec<String> = Vec::new();
        for p in prefixes {
            if !minimal.iter().any(|m| p.starts_with(m.as_str())) {
                minimal.push(p);
            }
        }
        Some(minimal)
    }

    /// A policy that allows nothing: what a tenant without a stored policy gets.
    pub fn deny_all() -> Self {
        Self { statements: Vec::new() }
    }

    /// The authorization check of the request path. Pure, allocation-free.
    pub fn authorize(&self, action: Action, resource: &str) -> Decision {
        self.evaluate(action, resource, |_| {})
    }

    /// Like [`authorize`](Self::authorize), and also lists every statement that
    /// matched. Runs the very same evaluation.
    pub fn explain(&self, action: Action, resource: &str) -> (Decision, Vec<MatchedStatement>) {
        let mut matched = Vec::new();
        let decision = self.evaluate(action, resource, |s| {
            matched.push(MatchedStatement {
                index: s.index,
                sid: s.sid.clone(),
                effect: s.effect,
            })
        });
        (decision, matched)
    }

    fn evaluate(&self, action: Action, resource: &str, mut on_match: impl FnMut(&CompiledStatement)) -> Decision {
        let mut allowed = false;
        let mut denied = false;
        let group = group_of(resource);
        for s in &self.statements {
            if s.actions & action.bit() == 0 {
                continue;
            }
            let hit = s
                .resources
                .iter()
                .any(|r| r.matches(resource) || (s.effect == Effect::Deny && group.is_some_and(|g| r.matches(g))));
            if !hit {
                continue;
            }
            on_match(s);
            match s.effect {
                Effect::Allow => allowed = true,
                Effect::Deny => denied = true,
            }
        }
        if denied {
            Decision::ExplicitDeny
        } else if allowed {
            Decision::Allowed
        } else {
            Decision::ImplicitDeny
        }
    }
}

/// The group ARN of a stream ARN (or stream-ARN prefix): the text before
/// `:log-stream:`. Group names contain no `:`, so the split is unambiguous.
fn group_of(resource: &str) -> Option<&str> {
    resource.split_once(":log-stream:").map(|(group, _)| group)
}

#[cfg(test)]
mod tests;
