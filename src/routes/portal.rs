//! The customer log viewer at `/portal/`: a single page whose files are built
//! from `portal/` and embedded in the binary, served with a strict
//! Content-Security-Policy. It holds no session and has no server side of its
//! own: the page calls the same `/v1` API with the customer's credential.

use std::sync::LazyLock;

use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

use super::{Access, Route, route};
use crate::config::PortalSettings;
use crate::error::ApiError;
use crate::state::AppState;

pub(crate) fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/portal", Access::Public, web::to(redirect)),
        route(Method::GET, "/portal/", Access::Public, web::to(index)),
        route(Method::GET, "/portal/app.js", Access::Public, web::to(script)),
        route(Method::GET, "/portal/app.css", Access::Public, web::to(stylesheet)),
    ]
}

/// One embedded file with its validator.
struct Asset {
    body: &'static [u8],
    content_type: &'static str,
    etag: String,
}

impl Asset {
    fn new(body: &'static [u8], content_type: &'static str) -> Self {
        let digest = Sha256::digest(body);
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        Self {
            body,
            content_type,
            etag: format!("\"{hex}\""),
        }
    }
}

static INDEX: LazyLock<Asset> =
    LazyLock::new(|| Asset::new(include_bytes!("portal/assets/index.html"), "text/html; charset=utf-8"));
static SCRIPT: LazyLock<Asset> =
    LazyLock::new(|| Asset::new(include_bytes!("portal/assets/app.js"), "text/javascript; charset=utf-8"));
static STYLESHEET: LazyLock<Asset> =
    LazyLock::new(|| Asset::new(include_bytes!("portal/assets/app.css"), "text/css; charset=utf-8"));

/// The viewer's page
///
/// A single page that signs in with an API key or a JWT (pasted, or handed over in the URL
/// fragment `#token=`), then reads the `/v1` API with it. 404 when `LOGWARD_PORTAL_ENABLED` is
/// false.
#[utoipa::path(get, path = "/portal/", tag = "portal", responses(
    (status = 200, description = "The viewer's HTML page", content_type = "text/html"),
    (status = 304, description = "Not modified (If-None-Match)"),
    (status = 404, description = "The viewer is turned off", body = super::problem::ProblemDoc, content_type = "application/problem+json"),
))]
pub(crate) async fn index(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    serve(&req, &state.portal, &INDEX).await
}

/// The viewer's script
#[utoipa::path(get, path = "/portal/app.js", tag = "portal", responses(
    (status = 200, description = "The viewer's JavaScript bundle", content_type = "text/javascript"),
    (status = 304, description = "Not modified (If-None-Match)"),
    (status = 404, description = "The viewer is turned off", body = super::problem::ProblemDoc, content_type = "application/problem+json"),
))]
pub(crate) async fn script(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    serve(&req, &state.portal, &SCRIPT).await
}

/// The viewer's stylesheet
#[utoipa::path(get, path = "/portal/app.css", tag = "portal", responses(
    (status = 200, description = "The viewer's stylesheet", content_type = "text/css"),
    (status = 304, description = "Not modified (If-None-Match)"),
    (status = 404, description = "The viewer is turned off", body = super::problem::ProblemDoc, content_type = "application/problem+json"),
))]
pub(crate) async fn stylesheet(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    serve(&req, &state.portal, &STYLESHEET).await
}

/// The viewer without its trailing slash
///
/// Redirects to `/portal/`, whose relative links need the slash.
#[utoipa::path(get, path = "/portal", tag = "portal", responses(
    (status = 308, description = "To /portal/"),
    (status = 404, description = "The viewer is turned off", body = super::problem::ProblemDoc, content_type = "application/problem+json"),
))]
pub(crate) async fn redirect(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if !state.portal.enabled {
        return super::route_not_found(req).await;
    }
    // Relative, so a proxy mounting logward under a prefix keeps working.
    Ok(HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "portal/"))
        .finish())
}

async fn serve(req: &HttpRequest, portal: &PortalSettings, asset: &Asset) -> Result<HttpResponse, ApiError> {
    if !portal.enabled {
        return super::route_not_found(req.clone()).await;
    }
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| matches_etag(v, &asset.etag));
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    for (name, value) in security_headers(portal) {
        response.insert_header((name, value));
    }
    // Revalidated on every load (a 304 is cheap), so a new release is
    // picked up at once and the page never mixes old and new files.
    response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")));
    response.insert_header((header::ETAG, asset.etag.as_str()));
    if fresh {
        return Ok(response.finish());
    }
    Ok(response.content_type(asset.content_type).body(asset.body))
}

fn matches_etag(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

/// The page may load only its own files and call only its own origin; no
/// inline script or style, no plugins, no forms, no `<base>`; framed only
/// by the configured ancestors.
pub(crate) fn security_headers(portal: &PortalSettings) -> Vec<(&'static str, String)> {
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; \
         frame-ancestors {}; base-uri 'none'; form-action 'none'; require-trusted-types-for 'script'; \
         trusted-types 'none'",
        portal.frame_ancestors
    );
    let mut headers = vec![
        ("content-security-policy", csp),
        ("x-content-type-options", "nosniff".to_owned()),
        ("referrer-policy", "no-referrer".to_owned()),
        ("cross-origin-opener-policy", "same-origin".to_owned()),
        ("cross-origin-resource-policy", "same-origin".to_owned()),
    ];
    if portal.frame_ancestors.is_empty() {
        // For browsers that predate frame-ancestors.
        headers.push(("x-frame-options", "DENY".to_owned()));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let tag = "\"abc\"";
        assert!(matches_etag("\"abc\"", tag));
        assert!(matches_etag("\"x\", W/\"abc\"", tag));
        assert!(matches_etag("*", tag));
        assert!(!matches_etag("\"abcd\"", tag));
        assert!(!matches_etag("", tag));
    }

    #[test]
    fn the_embedded_page_has_no_inline_script_or_style() {
        let html = std::str::from_utf8(INDEX.body).unwrap();
        assert!(!html.contains("<style"), "inline <style>");
        assert!(!html.contains(" style="), "inline style attribute");
        for script in html.split("<script").skip(1) {
            let tag = &script[..script.find('>').unwrap()];
            assert!(tag.contains("src="), "inline <script>: {tag}");
        }
        let handler = html.split(" on").skip(1).find(|rest| {
            let name: String = rest.chars().take_while(char::is_ascii_alphabetic).collect();
            !name.is_empty() && rest[name.len()..].starts_with('=')
        });
        assert!(
            handler.is_none(),
            "inline event handler: on{}",
            handler.unwrap_or_default()
        );
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "an external URL"
        );
    }
}
