//! Event documents as Lambda delivers them, with every field AWS sends. Their
//! shapes follow the example events in AWS's documentation: "Working with AWS
//! Lambda proxy integrations for HTTP APIs" (payload format 2.0), "Set up
//! Lambda proxy integrations in API Gateway" (REST API, payload format 1.0)
//! and "Invoking Lambda function URLs" (request payload).

use serde_json::{Value, json};

const ACCOUNT: &str = "123456789012";

fn split(path_and_query: &str) -> (&str, &str) {
    path_and_query.split_once('?').unwrap_or((path_and_query, ""))
}

/// An HTTP API (payload format 2.0) event on the `$default` stage.
pub fn http_api(method: &str, path_and_query: &str, token: &str) -> Value {
    let domain = "r3pmxmplak.execute-api.us-east-1.amazonaws.com";
    v2(method, path_and_query, token, domain, "r3pmxmplak", "JKJaXmPLvHcESHA=")
}

/// A function URL event: the 2.0 shape, with the URL's own domain.
pub fn function_url(method: &str, path_and_query: &str, token: &str) -> Value {
    let id = "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6";
    let domain = format!("{id}.lambda-url.us-east-1.on.aws");
    v2(
        method,
        path_and_query,
        token,
        &domain,
        id,
        "c4e8b1a3-36a8-4cc8-8a6b-0a2d1ef4b7c2",
    )
}

fn v2(method: &str, path_and_query: &str, token: &str, domain: &str, api_id: &str, request_id: &str) -> Value {
    let (path, query) = split(path_and_query);
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "accept": "application/json",
            "authorization": format!("Bearer {token}"),
            "content-length": "0",
            "host": domain,
            "user-agent": "curl/8.5.0",
            "x-amzn-trace-id": "Root=1-5e723db7-5c5a8c1f4e4b7d3c9a2e1f0b",
            "x-forwarded-for": "203.0.113.17",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https"
        },
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": api_id,
            "domainName": domain,
            "domainPrefix": api_id,
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.17",
                "userAgent": "curl/8.5.0"
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": "01/Dec/2026:00:00:00 +0000",
            "timeEpoch": 1796083200000i64
        },
        "isBase64Encoded": false
    })
}

/// A REST API proxy event (`ANY /{proxy+}` on the `prod` stage): `path`
/// without the stage, `requestContext.path` with it.
pub fn rest_api(method: &str, path: &str, token: &str) -> Value {
    let domain = "1234567890.execute-api.us-east-1.amazonaws.com";
    let authorization = format!("Bearer {token}");
    json!({
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {
            "Accept": "application/json",
            "Authorization": authorization,
            "Host": domain,
            "User-Agent": "curl/8.5.0",
            "X-Amzn-Trace-Id": "Root=1-5e66d96f-7491f09xmpl79d18acf3d050",
            "X-Forwarded-For": "203.0.113.17",
            "X-Forwarded-Port": "443",
            "X-Forwarded-Proto": "https"
        },
        "multiValueHeaders": {
            "Accept": ["application/json"],
            "Authorization": [authorization],
            "Host": [domain],
            "User-Agent": ["curl/8.5.0"],
            "X-Amzn-Trace-Id": ["Root=1-5e66d96f-7491f09xmpl79d18acf3d050"],
            "X-Forwarded-For": ["203.0.113.17"],
            "X-Forwarded-Port": ["443"],
            "X-Forwarded-Proto": ["https"]
        },
        "queryStringParameters": null,
        "multiValueQueryStringParameters": null,
        "pathParameters": {"proxy": path.trim_start_matches('/')},
        "stageVariables": null,
        "requestContext": {
            "resourceId": "2gxmpl",
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "extendedRequestId": "JJbxmplHYosFVYQ=",
            "requestTime": "01/Dec/2026:00:00:00 +0000",
            "path": format!("/prod{path}"),
            "accountId": ACCOUNT,
            "protocol": "HTTP/1.1",
            "stage": "prod",
            "domainPrefix": "1234567890",
            "requestTimeEpoch": 1796083200000i64,
            "requestId": "e0a4ae2b-6a2e-4f5e-8b5d-4ea3b8bc1b6e",
            "identity": {
                "cognitoIdentityPoolId": null,
                "accountId": null,
                "cognitoIdentityId": null,
                "caller": null,
                "sourceIp": "203.0.113.17",
                "principalOrgId": null,
                "accessKey": null,
                "cognitoAuthenticationType": null,
                "cognitoAuthenticationProvider": null,
                "userArn": null,
                "userAgent": "curl/8.5.0",
                "user": null
            },
            "domainName": domain,
            "apiId": "1234567890"
        },
        "body": null,
        "isBase64Encoded": false
    })
}
