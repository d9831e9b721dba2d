//! The OpenAPI 3.1 description of the whole HTTP API, generated from the
//! handlers' `#[utoipa::path]` annotations. Served at `GET /openapi.json` and
//! committed as `openapi.json`; a test keeps both in step with the route table.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{admin, aws, health, logs, portal};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "logward",
        description = "Multi-tenant gateway that lets each customer read only their own CloudWatch Logs. \
                       Errors are application/problem+json (RFC 9457) with a stable `code`, except on \
                       the AWS-compatible `POST /`, which answers as CloudWatch Logs does."
    ),
    paths(
        health::healthz,
        health::readyz,
        health::metrics,
        health::openapi,
        logs::groups::list_log_groups,
        logs::streams::list_log_streams,
        logs::events::get_log_events,
        logs::filter::filter_log_events,
        logs::tail::tail_stream,
        logs::tail::tail_group,
        logs::queries::start_query,
        logs::query_list::list_queries,
        logs::queries::get_query_results,
        logs::queries::stop_query,
        logs::me::me,
        admin::tenants::list,
        admin::tenants::create,
        admin::tenants::show,
        admin::tenants::update,
        admin::tenants::delete,
        admin::policy::show,
        admin::policy::put,
        admin::policy::versions,
        admin::policy::simulate,
        admin::keys::list_tenant_keys,
        admin::keys::create_tenant_key,
        admin::keys::revoke_tenant_key,
        admin::keys::list_admin_keys,
        admin::keys::create_admin_key,
        admin::keys::revoke_admin_key,
        admin::queries::list,
        admin::queries::clear_all,
        admin::queries::clear_one,
        admin::access_keys::list,
        admin::access_keys::create,
        admin::access_keys::revoke,
        admin::audit::query,
        portal::redirect,
        portal::index,
        portal::script,
        portal::stylesheet,
        aws::operate,
    ),
    components(schemas(crate::routes::problem::ProblemDoc, aws::AwsErrorDoc)),
    modifiers(&Security),
    tags(
        (name = "logs", description = "Customer API: read your own logs (JWT or tenant API key)"),
        (name = "admin", description = "Management API (admin token, admin key or admin-role JWT)"),
        (name = "meta", description = "Health and API description"),
        (name = "aws", description = "CloudWatch Logs' own API (AWS JSON 1.1) for the AWS CLI, boto3 and the AWS SDKs: the same reads, under the same policy"),
        (name = "portal", description = "The customer log viewer: a static page that calls the logs API with the customer's own credential"),
    )
)]
pub(crate) struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = |description: &str| {
            let mut http = Http::new(HttpAuthScheme::Bearer);
            http.description = Some(description.to_owned());
            SecurityScheme::Http(http)
        };
        components.add_security_scheme(
            "tenant",
            bearer("A customer JWT from the configured identity provider, or a tenant API key (lwk_...)"),
        );
        components.add_security_scheme(
            "admin",
            bearer("LOGWARD_ADMIN_TOKEN, an admin API key (lwa_...), or a JWT carrying the admin role claim"),
        );
    }
}

/// The document as served and committed.
pub fn document() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_else(|_| "{}".to_owned())
}
