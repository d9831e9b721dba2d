//! `GET /v1/me`: who the caller is and what it may do, for portals building
//! their UI. Shows the tenant's statements with `${tenant}` filled in, limited
//! to what the credential may use.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::audit::AuditEvent;
use crate::auth::Credential;
use crate::domain::Action;
use crate::domain::policy::Grant;
use crate::error::ApiError;
use crate::gateway::Call;
use crate::routes::problem::{ClientProblems, DataProblems};
use crate::state::AppState;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Me<'a> {
    tenant: TenantInfo<'a>,
    principal: Principal<'a>,
    permissions: Vec<Grant>,
}

#[derive(Serialize)]
struct TenantInfo<'a> {
    id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
enum Principal<'a> {
    #[serde(rename = "jwt")]
    Jwt { subject: Option<&'a str> },
    #[serde(rename = "apiKey", rename_all = "camelCase")]
    ApiKey {
        key_id: &'a str,
        name: &'a str,
        actions: Option<Vec<&'static str>>,
    },
}

/// Who am I and what may I read
///
/// The tenant, the principal (JWT subject or API key), and the tenant's statements with
/// `${tenant}` filled in, limited to the actions the credential may use.
#[utoipa::path(get, path = "/v1/me", tag = "logs", security(("tenant" = [])),
    responses((status = 200, description = "The caller", body = Object), ClientProblems, DataProblems))]
pub(crate) async fn me(call: Call, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let principal = &call.principal;
    // An identity read is a public-API decision too: audit it.
    state.audit.record(
        AuditEvent::data("logward:GetMe", "allow", "authenticated")
            .tenant(Some(principal.tenant.id.to_string()))
            .principal(Some(principal.name.clone()))
            .status(200)
            .request_id(call.request_id.clone()),
    );
    let (who, mask) = match &principal.credential {
        Credential::Jwt { subject, .. } => (
            Principal::Jwt {
                subject: subject.as_deref(),
            },
            Action::all_bits(),
        ),
        Credential::ApiKey(key) => key_principal(&key.id, &key.name, key.actions),
        // The REST API takes bearer credentials only; an access key is shown
        // as the key it is should another door ever render this.
        Credential::AccessKey(key) => key_principal(&key.id, &key.name, key.actions),
    };
    let body = Me {
        tenant: TenantInfo {
            id: principal.tenant.id.as_str(),
            name: &principal.tenant.name,
        },
        principal: who,
        permissions: principal.tenant.policy.grants(mask),
    };
    Ok(HttpResponse::Ok().json(body))
}

/// A key principal and the action mask it narrows the policy to.
fn key_principal<'a>(key_id: &'a str, name: &'a str, bits: Option<u16>) -> (Principal<'a>, u16) {
    let actions = bits.map(|bits| {
        Action::ALL
            .into_iter()
            .filter(|a| bits & a.bit() != 0)
            .map(Action::iam_name)
            .collect()
    });
    (
        Principal::ApiKey { key_id, name, actions },
        bits.unwrap_or_else(Action::all_bits),
    )
}
