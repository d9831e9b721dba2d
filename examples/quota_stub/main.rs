//! A CloudWatch Logs stand-in that behaves like the account quota: each
//! operation accepts at most N calls in any one second and answers the rest
//! with HTTP 400 `ThrottlingException`, as CloudWatch does; every answer takes
//! about 50 ms (a timer, not a blocked thread). It speaks enough of the AWS
//! JSON 1.1 protocol for aws-sdk-cloudwatchlogs (GetLogEvents,
//! FilterLogEvents, DescribeLogGroups, DescribeLogStreams) over synthetic data
//! (see `data.rs`), and counts calls and throttles per operation:
//! `GET /__stats` reads them, `POST /__stats/reset` zeroes them.
//!
//!     cargo run --release --example quota_stub -- --listen 127.0.0.1:9600 \
//!         --quotas GetLogEvents=25,FilterLogEvents=25,DescribeLogGroups=10,DescribeLogStreams=25
//!
//! Used by `bench/quota.sh`; the defaults are CloudWatch's us-east-1 quotas.

mod data;
mod quota;

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use actix_web::{App, HttpRequest, HttpResponse, web};
use clap::Parser;
use serde_json::{Value, json};

use data::{AwsError, World};
use quota::{Quotas, Verdict};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:9600")]
    listen: String,
    /// OPERATION=CALLS_PER_SECOND, comma-separated; other operations have no quota.
    #[arg(
        long,
        default_value = "GetLogEvents=25,FilterLogEvents=25,DescribeLogGroups=10,DescribeLogStreams=25,StartQuery=10,GetQueryResults=10"
    )]
    quotas: String,
    /// Latency of every answer, throttles included.
    #[arg(long, default_value_t = 50)]
    latency_ms: u64,
    /// Days of history every stream has.
    #[arg(long, default_value_t = 30)]
    days: i64,
    /// Streams per log group (`web-01`..).
    #[arg(long, default_value_t = 20)]
    streams: usize,
    /// Log groups DescribeLogGroups lists, comma-separated (every group name
    /// is answered by the other operations).
    #[arg(long, default_value = "")]
    groups: String,
    #[arg(long, default_value = "us-east-1")]
    region: String,
    #[arg(long, default_value = "123456789012")]
    account: String,
}

struct Stub {
    quotas: Mutex<Quotas>,
    world: World,
    latency: Duration,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn aws_json(status: u16, body: &Value) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(status).unwrap_or_default();
    HttpResponse::build(status)
        .content_type("application/x-amz-json-1.1")
        .insert_header(("x-amzn-requestid", "00000000-0000-0000-0000-000000000000"))
        .body(body.to_string())
}

fn aws_error((kind, message): AwsError) -> HttpResponse {
    aws_json(400, &json!({"__type": kind, "message": message}))
}

// The body is read (actix closes a connection whose request body is left unread).
async fn answer(req: HttpRequest, body: web::Bytes, stub: web::Data<Stub>) -> HttpResponse {
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let operation = target.rsplit('.').next().unwrap_or("").to_owned();
    let verdict = match stub.quotas.lock() {
        Ok(mut q) => q.admit(&operation, Instant::now()),
        Err(_) => return HttpResponse::InternalServerError().finish(),
    };
    actix_web::rt::time::sleep(stub.latency).await;
    if let Verdict::Throttled = verdict {
        return aws_error(("ThrottlingException", "Rate exceeded".to_owned()));
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return aws_error(("SerializationException", "the body is not JSON".to_owned()));
    };
    let now = now_ms();
    let world = &stub.world;
    let result = match operation.as_str() {
        "GetLogEvents" => world.get_log_events(&request, now),
        "FilterLogEvents" => world.filter_log_events(&request, now),
        "DescribeLogGroups" => world.describe_log_groups(&request),
        "DescribeLogStreams" => world.describe_log_streams(&request, now),
        _ => Err((
            "UnknownOperationException",
            format!("the stub does not answer {target:?}"),
        )),
    };
    match result {
        Ok(value) => aws_json(200, &value),
        Err(error) => aws_error(error),
    }
}

async fn stats(stub: web::Data<Stub>) -> HttpResponse {
    match stub.quotas.lock() {
        Ok(q) => HttpResponse::Ok().json(q.snapshot()),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

async fn reset(stub: web::Data<Stub>) -> HttpResponse {
    match stub.quotas.lock() {
        Ok(mut q) => {
            q.reset();
            HttpResponse::NoContent().finish()
        }
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let quotas = quota::parse_quotas(&args.quotas).map_err(std::io::Error::other)?;
    let groups = args
        .groups
        .split(',')
        .filter(|g| !g.is_empty())
        .map(str::to_owned)
        .collect();
    let stub = web::Data::new(Stub {
        quotas: Mutex::new(Quotas::new(&quotas)),
        world: World {
            origin_ms: (now_ms() - args.days * 86_400_000) / 1000 * 1000,
            streams: args.streams,
            groups,
            arn_prefix: format!("arn:aws:logs:{}:{}:log-group:", args.region, args.account),
        },
        latency: Duration::from_millis(args.latency_ms),
    });
    actix_web::HttpServer::new(move || {
        App::new()
            .app_data(stub.clone())
            .route("/__stats", web::get().to(stats))
            .route("/__stats/reset", web::post().to(reset))
            .default_service(web::to(answer))
    })
    .workers(1)
    .bind(&args.listen)?
    .run()
    .await
}
