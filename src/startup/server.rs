//! The HTTP server: bind the listener, mount the route table behind the
//! request-log middleware, with problem+json for actix's own rejections.

use std::net::TcpListener;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::Condition;
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use crate::config::Settings;
use crate::routes::problem::handlers;
use crate::state::AppState;

const MAX_JSON_BODY: usize = 256 * 1024;

/// Binds and starts serving; returns the server and the bound port.
pub(crate) fn start(
    settings: &Settings,
    state: web::Data<AppState>,
    tls: Option<rustls::ServerConfig>,
) -> anyhow::Result<(Server, u16)> {
    let listener = TcpListener::bind(settings.listen)
        .with_context(|| format!("LOGWARD_LISTEN: cannot bind {}", settings.listen))?;
    let port = listener.local_addr()?.port();
    let cors_origins = settings.cors_origins.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(
                web::JsonConfig::default()
                    .limit(MAX_JSON_BODY)
                    .error_handler(handlers::json),
            )
            .app_data(web::PathConfig::default().error_handler(handlers::path))
            .app_data(web::QueryConfig::default().error_handler(handlers::query))
            .configure(crate::routes::configure)
            .default_service(web::to(crate::routes::route_not_found))
            .wrap(Condition::new(!cors_origins.is_empty(), cors(&cors_origins)))
            .wrap(actix_web::middleware::from_fn(crate::request_log::observe))
    })
    .workers(settings.workers)
    .disable_signals()
    .shutdown_timeout(settings.shutdown_grace.as_secs());
    let server = match tls {
        Some(tls) => server.listen_rustls_0_23(listener, tls)?,
        None => server.listen(listener)?,
    }
    .run();
    Ok((server, port))
}

/// Cross-origin access for the configured origins only. Credentials are the
/// `Authorization` header, never cookies, so `Allow-Credentials` stays off;
/// a browser tail uses `fetch` with that header (EventSource cannot send it).
fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods(["GET", "HEAD", "POST", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::HeaderName::from_static("last-event-id"),
        ])
        .expose_headers([
            header::WWW_AUTHENTICATE,
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("x-next-token"),
            header::HeaderName::from_static("x-next-forward-token"),
            header::HeaderName::from_static("x-next-backward-token"),
        ])
        .max_age(600)
}
