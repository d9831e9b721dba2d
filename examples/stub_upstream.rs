//! A CloudWatch Logs stand-in for benchmarks: answers GetLogEvents (AWS JSON
//! 1.1) at once with a fixed small page, so the benchmark measures the gateway,
//! not the upstream. moto is far too slow for this (150-300 requests/s).
//!
//!     cargo run --release --example stub_upstream -- 127.0.0.1:9500 [workers]

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

const EVENTS: &str = r#"{"events":[{"timestamp":1764000000000,"message":"GET /index.html 200 0.004","ingestionTime":1764000000100},{"timestamp":1764000000001,"message":"GET /app.js 200 0.002","ingestionTime":1764000000100}],"nextForwardToken":"f/00000000000000000000000000000000000000000000000000000001","nextBackwardToken":"b/00000000000000000000000000000000000000000000000000000000"}"#;

// The body is taken (and ignored) so actix keeps the connection open: a
// request body left unread makes it close the connection after the response,
// and every call would then pay for a new TCP connection.
async fn answer(req: HttpRequest, _body: web::Bytes) -> HttpResponse {
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let body = if target.ends_with(".GetLogEvents") {
        EVENTS
    } else {
        "{}"
    };
    HttpResponse::Ok().content_type("application/x-amz-json-1.1").body(body)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:9500".to_owned());
    let workers: usize = args.next().and_then(|w| w.parse().ok()).unwrap_or(1);
    HttpServer::new(|| App::new().default_service(web::to(answer)))
        .workers(workers)
        .bind(addr)?
        .run()
        .await
}
