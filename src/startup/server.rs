//! The HTTP server: bind the listener, mount the route table behind the
//! request-log middleware, with problem+json for actix's own rejections.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use crate::config::Settings;
use crate::routes::problem::handlers;
use crate::state::AppState;

const MAX_JSON_BODY: usize = 256 * 1024;

/// Binds and starts serving; returns the server and the bound port.
pub(super) fn start(
    settings: &Settings,
    state: web::Data<AppState>,
    tls: Option<rustls::ServerConfig>,
) -> anyhow::Result<(Server, u16)> {
    let listener = TcpListener::bind(settings.listen)
        .with_context(|| format!("LOGWARD_LISTEN: cannot bind {}", settings.listen))?;
    let port = listener.local_addr()?.port();
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
