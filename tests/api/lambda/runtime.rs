//! A fake Lambda Runtime API (the three routes a runtime uses): hands out the
//! events the test queues, one per `GET .../invocation/next`, and reports
//! each `.../response` and `.../error` to the test, with the number of audit
//! rows the invocation had in the database at the moment it arrived.

use std::net::TcpListener;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::Value;
use sqlx::PgPool;
use tokio::sync::{Mutex, mpsc};

/// What the runtime posted for one invocation.
#[derive(Debug)]
pub struct Outcome {
    pub request_id: String,
    /// `response`, `error` (the invocation's) or `init-error`.
    pub kind: &'static str,
    pub body: Value,
    /// Audit rows carrying the invocation's request id when it was posted
    /// (`None`: the database could not be asked).
    pub audit_rows: Option<i64>,
    pub at: Instant,
}

struct Shared {
    events: Mutex<mpsc::UnboundedReceiver<(String, Value)>>,
    outcomes: mpsc::UnboundedSender<Outcome>,
    pool: PgPool,
}

pub struct FakeRuntime {
    /// `host:port`, what `AWS_LAMBDA_RUNTIME_API` holds.
    pub address: String,
    events: mpsc::UnboundedSender<(String, Value)>,
    outcomes: mpsc::UnboundedReceiver<Outcome>,
}

impl FakeRuntime {
    pub fn start(pool: PgPool) -> Self {
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (outcomes_tx, outcomes_rx) = mpsc::unbounded_channel();
        let shared = web::Data::new(Shared {
            events: Mutex::new(events_rx),
            outcomes: outcomes_tx,
            pool,
        });
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .route("/2018-06-01/runtime/invocation/next", web::get().to(next))
                .route(
                    "/2018-06-01/runtime/invocation/{id}/response",
                    web::post().to(|s: web::Data<Shared>, id: web::Path<String>, body: web::Bytes| {
                        posted(s, id.into_inner(), body, "response")
                    }),
                )
                .route(
                    "/2018-06-01/runtime/invocation/{id}/error",
                    web::post().to(|s: web::Data<Shared>, id: web::Path<String>, body: web::Bytes| {
                        posted(s, id.into_inner(), body, "error")
                    }),
                )
                .route(
                    "/2018-06-01/runtime/init/error",
                    web::post()
                        .to(|s: web::Data<Shared>, body: web::Bytes| posted(s, "init".to_owned(), body, "init-error")),
                )
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Self {
            address,
            events: events_tx,
            outcomes: outcomes_rx,
        }
    }

    /// Queues an event; the runtime gets it at its next `GET .../next`.
    /// Returns the invocation's request id.
    pub fn queue(&self, event: Value) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        self.events.send((id.clone(), event)).unwrap();
        id
    }

    /// The next outcome the runtime posted.
    pub async fn outcome(&mut self) -> Outcome {
        self.outcomes.recv().await.expect("the fake runtime stopped")
    }
}

async fn next(shared: web::Data<Shared>) -> HttpResponse {
    // One invocation at a time, as Lambda does: waits until the test queues one.
    let Some((id, event)) = shared.events.lock().await.recv().await else {
        return HttpResponse::Gone().finish();
    };
    let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() + 30_000;
    HttpResponse::Ok()
        .insert_header(("Lambda-Runtime-Aws-Request-Id", id))
        .insert_header(("Lambda-Runtime-Deadline-Ms", deadline.to_string()))
        .insert_header((
            "Lambda-Runtime-Invoked-Function-Arn",
            "arn:aws:lambda:us-east-1:123456789012:function:logward",
        ))
        .insert_header((
            "Lambda-Runtime-Trace-Id",
            "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
        ))
        .json(event)
}

async fn posted(shared: web::Data<Shared>, request_id: String, body: web::Bytes, kind: &'static str) -> HttpResponse {
    let at = Instant::now();
    // Counted before the runtime hears back: what was written by now was
    // written before the response left the function.
    let audit_rows = sqlx::query_scalar("select count(*) from audit_events where request_id = $1")
        .bind(&request_id)
        .fetch_one(&shared.pool)
        .await
        .ok();
    let body = serde_json::from_slice(&body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into()));
    let _ = shared.outcomes.send(Outcome {
        request_id,
        kind,
        body,
        audit_rows,
        at,
    });
    HttpResponse::Accepted().json(serde_json::json!({"status": "OK"}))
}
