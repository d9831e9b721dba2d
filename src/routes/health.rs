//! Liveness.

use actix_web::http::Method;
use actix_web::{HttpResponse, web};

use super::{Access, Route, route};

pub(crate) fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/healthz", Access::Public, web::to(healthz)),
        route(
            Method::GET,
            "/openapi.json",
            Access::Public,
            web::to(crate::openapi::serve),
        ),
    ]
}

/// The process is up and serving HTTP.
#[utoipa::path(get, path = "/healthz", tag = "meta", responses((status = 200, description = "Alive")))]
pub(crate) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}
