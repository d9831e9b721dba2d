//! One customer request on its way through the gateway: authenticating it
//! (refusals are audited here, for every door) and recording its decision
//! once it is answered.

use std::time::Instant;

use super::Gateway;
use super::access::Verdict;
use crate::audit::AuditEvent;
use crate::auth::{AuthError, Presented, Principal};
use crate::domain::{Action, Decision};
use crate::error::ApiError;
use crate::upstream::Caller;

/// An authenticated request: who asks, under which request id, since when.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) principal: Principal,
    /// Whom CloudWatch calls are made for (the tenant).
    caller: Caller,
    pub(crate) request_id: Option<String>,
    started: Instant,
}

impl Call {
    /// A call by a principal authenticated by other means (unit tests).
    #[cfg(test)]
    pub(crate) fn new(principal: Principal, request_id: Option<String>) -> Self {
        Self {
            caller: Caller::Tenant(principal.tenant.id.as_str().into()),
            principal,
            request_id,
            started: Instant::now(),
        }
    }

    /// For the upstream: on whose behalf its calls are made.
    pub(crate) fn caller(&self) -> Caller {
        self.caller.clone()
    }

    pub(crate) fn tenant_id(&self) -> &str {
        self.principal.tenant.id.as_str()
    }
}

/// What an operation concluded: the access verdict (none when the request was
/// invalid before anything could be decided) and the outcome.
pub(crate) struct Decided<T> {
    pub(crate) verdict: Option<Verdict>,
    pub(crate) result: Result<T, ApiError>,
}

impl<T> Decided<T> {
    pub(crate) fn new(verdict: Verdict, result: Result<T, ApiError>) -> Self {
        Self {
            verdict: Some(verdict),
            result,
        }
    }

    /// Refused before anything could be decided (bad input, unknown id).
    pub(crate) fn invalid(err: ApiError) -> Self {
        Self {
            verdict: None,
            result: Err(err),
        }
    }
}

impl Gateway {
    /// Authenticates and admits a customer request. Every refusal is logged
    /// and audited with the reason; `target` names what was asked (a path,
    /// an operation) for that record.
    pub(crate) async fn authenticate(
        &self,
        presented: Result<Presented<'_>, AuthError>,
        request_id: Option<String>,
        target: &str,
    ) -> Result<Call, ApiError> {
        let started = Instant::now();
        let refused = |err: AuthError, tenant: Option<String>, principal: Option<String>, action: &str| {
            tracing::info!(reason = err.reason(), detail = %err, "tenant authentication failed");
            let reason = err.reason();
            let api = ApiError::from(err);
            self.audit.record(
                AuditEvent::data(action, "deny", reason)
                    .tenant(tenant)
                    .principal(principal)
                    .resource(Some(target.to_owned()))
                    .status(api.code().status())
                    .since(started)
                    .request_id(request_id.clone()),
            );
            api
        };
        let principal = match presented {
            Err(e) => return Err(refused(e, None, None, "authenticate")),
            Ok(p) => self
                .auth
                .tenant(p)
                .await
                .map_err(|(e, tenant)| refused(e, tenant, None, "authenticate"))?,
        };
        if let Err(e) = self.auth.admit(&principal) {
            let tenant = Some(principal.tenant.id.to_string());
            return Err(refused(e, tenant, Some(principal.name.clone()), "ratelimit"));
        }
        Ok(Call {
            caller: Caller::Tenant(principal.tenant.id.as_str().into()),
            principal,
            request_id,
            started,
        })
    }

    /// Records the decision of `call` for `action` in the metrics and the
    /// audit trail, and hands back the outcome.
    pub(crate) fn finish<T>(
        &self,
        call: &Call,
        action: Action,
        decided: Decided<T>,
        ok_status: u16,
    ) -> Result<T, ApiError> {
        self.finish_about(call, action, decided, ok_status, None)
    }

    /// Like [`finish`](Self::finish); `about` names the resource when no
    /// verdict was reached (a query id that is not the caller's).
    pub(crate) fn finish_about<T>(
        &self,
        call: &Call,
        action: Action,
        decided: Decided<T>,
        ok_status: u16,
        about: Option<&str>,
    ) -> Result<T, ApiError> {
        let status = match &decided.result {
            Ok(_) => ok_status,
            Err(e) => e.code().status(),
        };
        let reason = reason(decided.verdict.as_ref(), decided.result.is_ok());
        let decision = if reason == "allowed" { "allow" } else { "deny" };
        tracing::Span::current().record("decision", reason);
        self.metrics.decision(action.iam_name(), decision, reason);
        self.audit.record(
            AuditEvent::data(action.iam_name(), decision, reason)
                .tenant(Some(call.tenant_id().to_owned()))
                .principal(Some(call.principal.name.clone()))
                .resource(decided.verdict.map(|v| v.resource).or_else(|| about.map(str::to_owned)))
                .status(status)
                .since(call.started)
                .request_id(call.request_id.clone()),
        );
        decided.result
    }
}

impl Gateway {
    /// Refuses, audits and counts a request of `call` that no operation took:
    /// one naming an operation the gateway does not serve (`reason`
    /// `unsupported_operation`, never forwarded), or one from which no
    /// operation could be read (`invalid_request`). `action` names what was
    /// asked (`logs:PutLogEvents`; `unknown` when nothing sane was named).
    pub(crate) fn refuse(&self, call: &Call, action: &str, reason: &'static str, err: ApiError) -> ApiError {
        tracing::Span::current().record("decision", reason);
        // Client-chosen names would grow the metric's label set without bound.
        self.metrics.decision("unserved", "deny", reason);
        self.audit.record(
            AuditEvent::data(action, "deny", reason)
                .tenant(Some(call.tenant_id().to_owned()))
                .principal(Some(call.principal.name.clone()))
                .status(err.code().status())
                .since(call.started)
                .request_id(call.request_id.clone()),
        );
        err
    }
}

/// The audit reason for a verdict and an outcome.
pub(crate) fn reason(verdict: Option<&Verdict>, ok: bool) -> &'static str {
    match verdict {
        Some(v) if v.by_key_scope => "key_scope",
        Some(v) => match v.decision {
            Decision::Allowed => "allowed",
            Decision::ExplicitDeny => "explicit_deny",
            Decision::ImplicitDeny => "implicit_deny",
        },
        None if ok => "not_evaluated",
        None => "invalid_request",
    }
}
