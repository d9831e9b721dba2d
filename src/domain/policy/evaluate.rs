//! The compiled form of a policy and its evaluation on one resource: the
//! request path's `authorize`, the simulator's `explain`, and the grants shown
//! to a tenant.

use serde::Serialize;

use super::document::{PolicyDocument, PolicyError};
use super::{Decision, Effect, group_of};
use crate::domain::action::Action;
use crate::domain::pattern::{ArnPattern, Variables};

impl PolicyDocument {
    /// Compiles the document for one tenant, resolving `${tenant}`.
    pub(crate) fn compile(&self, tenant: &str) -> Result<CompiledPolicy, PolicyError> {
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
            .collect::<Result<_, PolicyError>>()?;
        Ok(CompiledPolicy { statements })
    }
}

/// Bit set of the gateway's actions an action pattern names. Like IAM, action
/// matching ignores case.
pub(super) fn action_bits(pattern: &str) -> u16 {
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

#[derive(Debug, Clone)]
pub(crate) struct CompiledPolicy {
    pub(super) statements: Vec<CompiledStatement>,
}

#[derive(Debug, Clone)]
pub(super) struct CompiledStatement {
    index: usize,
    sid: Option<String>,
    pub(super) effect: Effect,
    pub(super) actions: u16,
    pub(super) resources: Vec<ArnPattern>,
}

impl CompiledStatement {
    pub(super) fn matched(&self) -> MatchedStatement {
        MatchedStatement {
            index: self.index,
            sid: self.sid.clone(),
            effect: self.effect,
        }
    }
}

/// A statement that matched a request, for explanations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct MatchedStatement {
    pub(crate) index: usize,
    pub(crate) sid: Option<String>,
    pub(crate) effect: Effect,
}

/// What one statement grants or denies, as shown to the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Grant {
    pub(crate) effect: Effect,
    pub(crate) actions: Vec<&'static str>,
    pub(crate) resources: Vec<String>,
}

impl CompiledPolicy {
    /// The statements as grants, limited to the actions in `mask` (a credential
    /// narrowed to some actions sees only those). Statements left with no
    /// action are omitted.
    pub(crate) fn grants(&self, mask: u16) -> Vec<Grant> {
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

    /// A policy that allows nothing: what a tenant without a stored policy gets.
    pub(crate) fn deny_all() -> Self {
        Self { statements: Vec::new() }
    }

    /// The authorization check of the request path. Pure, allocation-free.
    pub(crate) fn authorize(&self, action: Action, resource: &str) -> Decision {
        self.evaluate(action, resource, |_| {})
    }

    /// Like [`authorize`](Self::authorize), and also lists every statement that
    /// matched. Runs the very same evaluation.
    pub(crate) fn explain(&self, action: Action, resource: &str) -> (Decision, Vec<MatchedStatement>) {
        let mut matched = Vec::new();
        let decision = self.evaluate(action, resource, |s| matched.push(s.matched()));
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
