//! The AWS-compatible door: CloudWatch Logs' own protocol (AWS JSON 1.1,
//! `POST /` with `X-Amz-Target: Logs_20140328.<Operation>`) on the same
//! listener, so the AWS CLI, boto3 and the AWS SDKs read through the gateway
//! unchanged. Each served operation is an adapter like the REST handlers:
//! strict body ([`members`]) → the gateway's typed request → the same gateway
//! function (authorization, token binding, query ownership, limits, audit) →
//! CloudWatch's reply members ([`reply`]). Every other operation is refused
//! with AccessDeniedException and audited, never forwarded.

pub(crate) mod events;
pub(crate) mod groups;
pub(crate) mod insights;
pub(crate) mod listings;
pub(crate) mod members;
pub(crate) mod reply;
pub(crate) mod target;

use actix_web::http::Method;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;

use self::target::Target;
use super::extract::log_principal;
use crate::auth::sigv4::SignedRequest;
use crate::auth::{AuthError, Presented};
use crate::domain::Action;
use crate::error::{ApiError, ErrorCode};
use crate::gateway::{Call, Gateway};
use crate::request_log::request_id;
use crate::state::AppState;

/// Largest request body read: more than the largest valid request
/// (100 stream names or 50 group ARNs, a 10,000-character query).
const MAX_BODY: usize = 256 * 1024;

pub(crate) fn routes() -> Vec<super::Route> {
    vec![super::route(Method::POST, "/", super::Access::Tenant, web::to(operate))]
}

/// The error shape of the AWS-compatible door, for the API description.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
#[schema(as = AwsError)]
pub(crate) struct AwsErrorDoc {
    /// AccessDeniedException, InvalidParameterException, ResourceNotFoundException,
    /// ThrottlingException, UnrecognizedClientException, UnknownOperationException,
    /// ServiceUnavailableException or InternalFailure.
    #[schema(rename = "__type")]
    kind: String,
    message: String,
}

/// CloudWatch Logs' own API (AWS JSON 1.1), for the AWS CLI, boto3 and the AWS SDKs
///
/// Point a client's endpoint URL at the gateway. Serves GetLogEvents, FilterLogEvents,
/// DescribeLogGroups, DescribeLogStreams, StartQuery, GetQueryResults and StopQuery with
/// CloudWatch's request and response members, under the same policy, paging-token binding,
/// query ownership, limits and audit as `/v1`; any other operation is refused
/// (AccessDeniedException). `logGroupIdentifier` takes a name or an ARN of the gateway's
/// account and region. Errors are `{"__type", "message"}`: 400 for client errors, 500 for
/// failures; every response carries `x-amzn-RequestId`.
#[utoipa::path(post, path = "/", tag = "aws", security(("tenant" = [])),
    params(("X-Amz-Target" = String, Header, description = "Logs_20140328.<Operation>")),
    request_body(content = Object, content_type = "application/x-amz-json-1.1",
        description = "The operation's request members, as in the CloudWatch Logs API reference"),
    responses(
        (status = 200, description = "The operation's response members, as CloudWatch Logs returns them",
            body = Object, content_type = "application/x-amz-json-1.1"),
        (status = 400, description = "A client error: invalid input, unknown credentials, access denied, \
            not found, throttled, or an operation that is not served",
            body = AwsErrorDoc, content_type = "application/x-amz-json-1.1"),
        (status = 500, description = "CloudWatch or the gateway failed, or access rules cannot be confirmed",
            body = AwsErrorDoc, content_type = "application/x-amz-json-1.1"),
    ))]
pub(crate) async fn operate(req: HttpRequest, payload: web::Payload, state: web::Data<AppState>) -> HttpResponse {
    let request_id = request_id(&req);
    match answer(&req, payload, &state.gateway, request_id.clone()).await {
        Ok(response) => response,
        Err(e) => reply::error(&e, request_id.as_deref()),
    }
}

/// The request's headers as SigV4 reads them; a value that is not UTF-8
/// cannot have been signed by an AWS SDK.
fn header_pairs(req: &HttpRequest) -> Result<Vec<(&str, &str)>, AuthError> {
    let mut pairs = req
        .headers()
        .iter()
        .map(|(name, value)| Ok((name.as_str(), value.to_str().map_err(|_| AuthError::Malformed)?)))
        .collect::<Result<Vec<_>, _>>()?;
    // HTTP/2 carries the host as the request's authority, not a header; the
    // client signed it as `host`.
    if !pairs.iter().any(|(name, _)| name.eq_ignore_ascii_case("host"))
        && let Some(authority) = req.uri().authority()
    {
        pairs.push(("host", authority.as_str()));
    }
    Ok(pairs)
}

/// The credential a request on this door presents: a SigV4 signature over
/// its method, path, query, headers and `body` (what the AWS CLI, boto3 and
/// the SDKs send), or, as on `/v1`, a bearer JWT or tenant API key.
fn presented<'a>(
    req: &'a HttpRequest,
    headers: &'a Result<Vec<(&'a str, &'a str)>, AuthError>,
    body: &'a [u8],
) -> Result<Presented<'a>, AuthError> {
    let headers = headers.as_ref().map_err(|_| AuthError::Malformed)?;
    Presented::from_aws_request(SignedRequest {
        method: req.method().as_str(),
        path: req.uri().path(),
        query: req.query_string(),
        headers,
        body,
    })
}

async fn answer(
    req: &HttpRequest,
    payload: web::Payload,
    gateway: &Gateway,
    request_id: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(req, payload).await?;
    // Repeated, it would be read one way here and signed another: none.
    let mut targets = req.headers().get_all("x-amz-target");
    let target = match (targets.next(), targets.next()) {
        (Some(one), None) => Target::parse(Some(one.as_bytes())),
        _ => Target::parse(None),
    };
    let asked = target.audit_action();
    let headers = header_pairs(req);
    let call = gateway
        .authenticate(presented(req, &headers, &body), request_id.clone(), &asked)
        .await?;
    log_principal(req, Some(call.tenant_id().to_owned()), &call.principal.name);
    if !is_amz_json(req) {
        let err = ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "Content-Type must be application/x-amz-json-1.1",
        );
        return Err(gateway.refuse(&call, &asked, "invalid_request", err));
    }
    let action = match target {
        Target::Served(action) => action,
        Target::Unserved(operation) => {
            let err = ApiError::access_denied(format!(
                "{operation} is not served by this gateway: it serves GetLogEvents, FilterLogEvents, \
                 DescribeLogGroups, DescribeLogStreams, StartQuery, GetQueryResults and StopQuery"
            ));
            return Err(gateway.refuse(&call, &asked, "unsupported_operation", err));
        }
        Target::Unknown => {
            let err = ApiError::new(
                ErrorCode::RouteNotFound,
                "X-Amz-Target must name a CloudWatch Logs operation: Logs_20140328.<Operation>",
            );
            return Err(gateway.refuse(&call, &asked, "invalid_request", err));
        }
    };
    dispatch(gateway, &call, action, &body, request_id.as_deref()).await
}

/// Runs one served operation through the gateway and renders its reply.
async fn dispatch(
    gateway: &Gateway,
    call: &Call,
    action: Action,
    body: &[u8],
    id: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let scope = &gateway.scope;
    Ok(match action {
        Action::GetLogEvents => {
            let reply = gateway.get_log_events(call, events::parse_get(body, scope)).await?;
            reply::ok(&events::Events::from(reply), id)
        }
        Action::FilterLogEvents => {
            let reply = gateway
                .filter_log_events(call, events::parse_filter(body, scope))
                .await?;
            reply::ok(&events::Filtered::new(reply), id)
        }
        Action::DescribeLogGroups => {
            let page = gateway.describe_log_groups(call, listings::parse_groups(body)).await?;
            reply::ok(&listings::Groups::new(page, scope), id)
        }
        Action::DescribeLogStreams => {
            let input = listings::parse_streams(body, scope);
            let group = input.as_ref().ok().map(|i| i.group.clone());
            let page = gateway.describe_log_streams(call, input).await?;
            let group =
                group.ok_or_else(|| ApiError::internal(anyhow::anyhow!("a stream listing without its group")))?;
            reply::ok(&listings::Streams::new(page, &group, scope), id)
        }
        Action::StartQuery => {
            let query_id = gateway.start_query(call, insights::parse_start(body, scope)).await?;
            reply::ok(&insights::Started { query_id }, id)
        }
        Action::GetQueryResults => {
            let query_id = insights::parse_query_id(body, insights::RESULTS_UNSERVED);
            let (_, results) = gateway.get_query_results(call, query_id).await?;
            reply::ok(&insights::Results::from(results), id)
        }
        Action::StopQuery => {
            let query_id = insights::parse_query_id(body, &[]);
            let (_, stopped) = gateway.stop_query(call, query_id).await?;
            reply::ok(&insights::StopReply::from(stopped), id)
        }
    })
}

/// `application/x-amz-json-1.1`, parameters allowed.
fn is_amz_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case(reply::CONTENT_TYPE))
}

/// The whole body, refused beyond [`MAX_BODY`] (by its declared length
/// before reading anything, else as soon as it grows past).
async fn read_body(req: &HttpRequest, mut payload: web::Payload) -> Result<Vec<u8>, ApiError> {
    let too_large = || {
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the request body exceeds {MAX_BODY} bytes"),
        )
    };
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::invalid_body("body", format!("could not be read: {e}")))?;
        if body.len() + chunk.len() > MAX_BODY {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
