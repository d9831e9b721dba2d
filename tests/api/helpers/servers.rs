//! Small HTTP servers on free ports that stand in for a JWKS endpoint or a
//! misbehaving CloudWatch: canned answers, per-operation stubs, hit counts.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A minimal HTTP server that answers every request with one canned response
/// (after `delay`) and counts requests. Serves JWKS documents and plays a
/// misbehaving CloudWatch.
pub struct CannedServer {
    pub url: String,
    pub hits: Arc<AtomicUsize>,
}

pub fn jwks_server(body: Value) -> CannedServer {
    let mut server = canned_server(200, &body.to_string(), Duration::ZERO);
    server.url.push_str("/jwks.json");
    server
}

pub fn canned_server(status: u16, body: &str, delay: Duration) -> CannedServer {
    stub_server(&[], (status, body), delay)
}

/// Like [`canned_server`], answering by operation: `X-Amz-Target` values
/// (e.g. `Logs_20140328.StartQuery`) mapped to (status, body), else `fallback`.
pub fn stub_server(routes: &[(&str, u16, &str)], fallback: (u16, &str), delay: Duration) -> CannedServer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let routes: Vec<(String, u16, String)> = routes
        .iter()
        .map(|(t, s, b)| (t.to_string(), *s, b.to_string()))
        .collect();
    let fallback = (fallback.0, fallback.1.to_owned());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            let mut target = String::new();
            // Read the request head up to the blank line.
            while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                if line == "\r\n" {
                    break;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("x-amz-target")
                {
                    target = value.trim().to_owned();
                }
                line.clear();
            }
            counter.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(delay);
            let (status, body) = routes
                .iter()
                .find(|(t, _, _)| *t == target)
                .map(|(_, s, b)| (*s, b.clone()))
                .unwrap_or_else(|| fallback.clone());
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
                body.len(),
                body
            );
            let _ = stream.flush();
            let mut rest = [0u8; 1];
            let _ = stream.set_read_timeout(Some(Duration::from_millis(10)));
            let _ = reader.read(&mut rest);
        }
    });
    CannedServer { url, hits }
}
