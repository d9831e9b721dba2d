//! Live tail as Server-Sent Events: `GET .../log-streams/{stream}/tail` and
//! `GET /v1/log-groups/{group}/tail`.
//!
//! Each event is one `data:` line of JSON with an `id:` (`<timestamp>-<hash>`
//! or `<timestamp>-<eventId>`), so a client can resume with `Last-Event-ID`
//! (delivery is at-least-once around a resume). Comments keep idle
//! connections alive. The session itself (authorization, re-checks, shared
//! pollers, audit of its end) is `gateway::tail`; this only renders it.

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};

use super::filter::selection;
use super::{group, stream};
use crate::domain::Action;
use crate::error::ApiError;
use crate::gateway::Call;
use crate::gateway::tail::{OpenTail, TailChunk, TailSession, TailTarget};
use crate::routes::problem::{ClientProblems, DataProblems};
use crate::routes::query::StrictQuery;
use crate::state::AppState;

/// Follow one stream live (Server-Sent Events)
///
/// Ends with an `end` event when the credential or the policy stops allowing it, or at shutdown.
#[utoipa::path(get, path = "/v1/log-groups/{group}/log-streams/{stream}/tail", tag = "logs", security(("tenant" = [])),
    params(
        ("group" = String, Path, description = "Log group name, percent-encoded"),
        ("stream" = String, Path, description = "Log stream name, percent-encoded"),
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id"),
    ),
    responses((status = 200, description = "text/event-stream of events", content_type = "text/event-stream"), ClientProblems, DataProblems))]
pub(crate) async fn tail_stream(
    req: HttpRequest,
    call: Call,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let input = (|| {
        let target = TailTarget::Stream {
            group: group(&req)?,
            stream: stream(&req)?,
        };
        StrictQuery::parse(req.query_string(), &[])?;
        Ok(OpenTail {
            target,
            last_event_id: last_event_id(&req),
        })
    })();
    let session = state.gateway.open_tail(&call, Action::GetLogEvents, input).await?;
    Ok(sse(session))
}

/// Follow a group live, optionally filtered (Server-Sent Events)
#[utoipa::path(get, path = "/v1/log-groups/{group}/tail", tag = "logs", security(("tenant" = [])),
    params(
        ("group" = String, Path, description = "Log group name, percent-encoded"),
        ("filterPattern" = Option<String>, Query, description = "CloudWatch filter pattern"),
        ("logStreamNames" = Option<Vec<String>>, Query, description = "Stream names: repeated, or comma-separated in one parameter"),
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id"),
    ),
    responses((status = 200, description = "text/event-stream of events", content_type = "text/event-stream"), ClientProblems, DataProblems))]
pub(crate) async fn tail_group(
    req: HttpRequest,
    call: Call,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let input = StrictQuery::parse_with_lists(
        req.query_string(),
        &["filterPattern", "logStreamNames"],
        &["logStreamNames"],
    )
    .and_then(|query| selection(&req, &query))
    .map(|selection| OpenTail {
        target: TailTarget::Group(selection),
        last_event_id: last_event_id(&req),
    });
    let session = state.gateway.open_tail(&call, Action::FilterLogEvents, input).await?;
    Ok(sse(session))
}

fn last_event_id(req: &HttpRequest) -> Option<String> {
    Some(req.headers().get("last-event-id")?.to_str().ok()?.to_owned())
}

fn frame(chunk: TailChunk) -> Bytes {
    match chunk {
        TailChunk::Opened { retry_ms } => Bytes::from(format!("retry: {retry_ms}\n: connected\n\n")),
        TailChunk::Event { id, data } => Bytes::from(format!("id: {id}\ndata: {data}\n\n")),
        TailChunk::Dropped(n) => Bytes::from(format!(": {n} events were dropped because this client is too slow\n\n")),
        TailChunk::Keepalive => Bytes::from_static(b": keepalive\n\n"),
        TailChunk::End(reason) => Bytes::from(format!(
            "event: end\ndata: {}\n\n",
            serde_json::json!({ "reason": reason })
        )),
    }
}

fn sse(session: TailSession) -> HttpResponse {
    let body = futures_util::stream::unfold(session, |mut session| async move {
        let chunk = session.next().await?;
        Some((Ok::<_, std::convert::Infallible>(frame(chunk)), session))
    });
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-cache"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(body)
}
