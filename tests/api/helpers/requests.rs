//! Typed requests to a [`TestApp`] (admin calls, log reads, tenants and keys),
//! the policies and ARNs they use, and assertions on the answers.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::app::{ADMIN_TOKEN, TestApp};
use super::moto::{ACCOUNT, REGION};

pub fn stream_arn(group: &str, stream: &str) -> String {
    format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:log-stream:{stream}")
}

pub fn allow_policy(resources: &[&str]) -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": ["logs:GetLogEvents"], "Resource": resources}
    ]})
}

/// Percent-encodes a path segment (a group's `/` becomes `%2F`).
pub fn enc(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Asserts an RFC 9457 problem with this status and code; returns the body.
pub async fn assert_problem(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status(), status, "unexpected status");
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned()),
        Some("application/problem+json".to_owned())
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    body
}

impl TestApp {
    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> reqwest::Response {
        self.admin_as(ADMIN_TOKEN, method, path, body).await
    }

    /// An admin request with an explicit credential.
    pub async fn admin_as(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.address))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.unwrap()
    }

    /// Creates an active tenant with `policy`.
    pub async fn create_tenant(&self, id: &str, policy: Value) {
        let r = self
            .admin(
                reqwest::Method::POST,
                "/admin/v1/tenants",
                Some(json!({"id": id, "name": format!("Tenant {id}")})),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let r = self
            .admin(
                reqwest::Method::PUT,
                &format!("/admin/v1/tenants/{id}/policy"),
                Some(policy),
            )
            .await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }

    /// Creates a tenant API key; returns the creation response.
    pub async fn create_key(&self, tenant: &str, body: Value) -> Value {
        let r = self
            .admin(
                reqwest::Method::POST,
                &format!("/admin/v1/tenants/{tenant}/api-keys"),
                Some(body),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        r.json().await.unwrap()
    }

    /// Creates a tenant access key (for SigV4 clients); returns its id and secret.
    pub async fn create_access_key(&self, tenant: &str, body: Value) -> (String, String) {
        let r = self
            .admin(
                reqwest::Method::POST,
                &format!("/admin/v1/tenants/{tenant}/access-keys"),
                Some(body),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let created: Value = r.json().await.unwrap();
        let field = |name: &str| created[name].as_str().unwrap().to_owned();
        (field("accessKeyId"), field("secretAccessKey"))
    }

    pub async fn get_events(&self, token: &str, group: &str, stream: &str, query: &str) -> reqwest::Response {
        self.get(
            token,
            &format!(
                "/v1/log-groups/{}/log-streams/{}/events?{query}",
                enc(group),
                enc(stream)
            ),
        )
        .await
    }

    pub async fn get(&self, token: &str, path_and_query: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path_and_query}", self.address))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// Waits until the audit writer has stored at least `n` rows matching
    /// `filter` (an SQL condition), polling the database.
    pub async fn audit_rows(&self, filter: &str, n: usize) -> Vec<(String, String, Option<String>, i16)> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let rows: Vec<(String, String, Option<String>, i16)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "select action, decision, resource, http_status from audit_events where {filter} order by id"
            )))
            .fetch_all(&self.pool)
            .await
            .unwrap();
            if rows.len() >= n || Instant::now() > deadline {
                return rows;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Polls until `probe` returns `expected` (changes that travel through
    /// database notifications arrive asynchronously), failing after 5 s.
    pub async fn eventually_status(&self, expected: u16, mut probe: impl AsyncFnMut() -> u16) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let got = probe().await;
            if got == expected {
                return;
            }
            assert!(Instant::now() < deadline, "still {got}, expected {expected}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
