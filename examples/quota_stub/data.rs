//! Synthetic log data, computed rather than stored: every log group has the
//! streams `web-01`..`web-NN`, each writing one event every 100-1000 ms from
//! `--days` (30) before the stub started up to now (so the head of a stream moves).
//! Event `k` of a stream is at `origin + offset + k * period`; offsets differ
//! by less than 100 ms and periods are multiples of 100 ms, so two streams of
//! a group never share a timestamp. Tokens page like CloudWatch's: a
//! GetLogEvents forward token repeats at the end of a stream.

use serde_json::{Value, json};

/// An AWS error: its `__type` and message.
pub(crate) type AwsError = (&'static str, String);

const MAX_LIMIT: i64 = 10_000;
/// Events FilterLogEvents returns per call at most (CloudWatch: 1 MB).
const FILTER_MAX: i64 = 1_000;
/// FilterLogEvents looks at this much time per step, and at most `FILTER_STEPS`
/// steps per call; a page that is not full then ends with a token, as CloudWatch's may.
const FILTER_SLICE_MS: i64 = 60_000;
const FILTER_STEPS: usize = 10;
const DESCRIBE_MAX: usize = 50;

pub(crate) struct World {
    pub(crate) origin_ms: i64,
    pub(crate) streams: usize,
    pub(crate) groups: Vec<String>,
    pub(crate) arn_prefix: String,
}

fn fnv(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0]) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// One stream's schedule.
#[derive(Clone, Copy)]
struct Stream {
    index: usize,
    first_ms: i64,
    period_ms: i64,
}

impl Stream {
    /// Events strictly before `t`.
    fn count_before(self, t: i64) -> i64 {
        if t <= self.first_ms {
            0
        } else {
            (t - self.first_ms + self.period_ms - 1) / self.period_ms
        }
    }

    fn at(self, k: i64) -> i64 {
        self.first_ms + k * self.period_ms
    }
}

fn message(group: &str, stream: &str, k: i64) -> String {
    let h = fnv(&[group, stream, &k.to_string()]);
    const PATHS: [&str; 6] = ["/", "/login", "/api/orders", "/api/cart", "/static/app.js", "/healthz"];
    const STATUS: [u16; 8] = [200, 200, 200, 200, 200, 304, 404, 500];
    format!(
        "10.0.{}.{} - - \"GET {} HTTP/1.1\" {} {} {}ms",
        h % 256,
        (h >> 8) % 256,
        PATHS[(h >> 16) as usize % PATHS.len()],
        STATUS[(h >> 24) as usize % STATUS.len()],
        200 + (h >> 32) % 9000,
        1 + (h >> 48) % 400
    )
}

fn str_field<'a>(req: &'a Value, name: &str) -> Option<&'a str> {
    req.get(name).and_then(Value::as_str)
}

fn int_field(req: &Value, name: &str) -> Option<i64> {
    req.get(name).and_then(Value::as_i64)
}

fn invalid(message: impl Into<String>) -> AwsError {
    ("InvalidParameterException", message.into())
}

fn token_number(token: &str, prefix: &str) -> Option<i64> {
    token.strip_prefix(prefix)?.parse().ok()
}

impl World {
    fn group_exists(&self, group: &str) -> Result<(), AwsError> {
        if group.is_empty() {
            return Err(invalid("logGroupName is required"));
        }
        Ok(()) // every group exists: the gateway's policy decides who reads which
    }

    fn stream(&self, group: &str, name: &str) -> Result<Stream, AwsError> {
        let index = name
            .strip_prefix("web-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| (1..=self.streams).contains(n) && name.len() == 6)
            .ok_or((
                "ResourceNotFoundException",
                "The specified log stream does not exist.".to_owned(),
            ))?;
        let h = fnv(&[group, name]);
        Ok(Stream {
            index,
            first_ms: self.origin_ms + (index as i64 * 7 + (h % 3) as i64) % 100,
            period_ms: 100 * (1 + (h % 10) as i64),
        })
    }

    fn stream_names(&self) -> impl Iterator<Item = String> + '_ {
        (1..=self.streams).map(|i| format!("web-{i:02}"))
    }

    fn event(&self, group: &str, name: &str, s: Stream, k: i64) -> Value {
        let t = s.at(k);
        json!({"timestamp": t, "message": message(group, name, k), "ingestionTime": t + 150 + k % 7 * 10})
    }

    pub(crate) fn get_log_events(&self, req: &Value, now: i64) -> Result<Value, AwsError> {
        let group = str_field(req, "logGroupName").unwrap_or("");
        self.group_exists(group)?;
        let name = str_field(req, "logStreamName").ok_or_else(|| invalid("logStreamName is required"))?;
        let s = self.stream(group, name)?;
        let limit = int_field(req, "limit").unwrap_or(MAX_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(invalid("limit must be 1-10000"));
        }
        let head = s.count_before(now + 1);
        let lo = int_field(req, "startTime").map_or(0, |t| s.count_before(t)).min(head);
        let hi = int_field(req, "endTime")
            .map_or(head, |t| s.count_before(t).min(head))
            .max(lo);
        let (from, to) = match str_field(req, "nextToken") {
            Some(token) => {
                if let Some(n) = token_number(token, "f/") {
                    let from = n.clamp(lo, hi);
                    (from, (from + limit).min(hi))
                } else if let Some(n) = token_number(token, "b/") {
                    let to = n.clamp(lo, hi);
                    ((to - limit).max(lo), to)
                } else {
                    return Err(invalid("The specified nextToken is invalid."));
                }
            }
            None if req.get("startFromHead").and_then(Value::as_bool) == Some(true) => (lo, (lo + limit).min(hi)),
            None => ((hi - limit).max(lo), hi),
        };
        let events: Vec<Value> = (from..to).map(|k| self.event(group, name, s, k)).collect();
        Ok(json!({
            "events": events,
            "nextForwardToken": format!("f/{to:056}"),
            "nextBackwardToken": format!("b/{from:056}"),
        }))
    }

    pub(crate) fn filter_log_events(&self, req: &Value, now: i64) -> Result<Value, AwsError> {
        let group = str_field(req, "logGroupName").unwrap_or("");
        self.group_exists(group)?;
        let names: Vec<String> = match req.get("logStreamNames").and_then(Value::as_array) {
            Some(list) => list.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            None => {
                let prefix = str_field(req, "logStreamNamePrefix").unwrap_or("");
                self.stream_names().filter(|n| n.starts_with(prefix)).collect()
            }
        };
        let mut streams = Vec::new();
        for name in &names {
            streams.push((name.as_str(), self.stream(group, name)?));
        }
        let limit = int_field(req, "limit").unwrap_or(MAX_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(invalid("limit must be 1-10000"));
        }
        let limit = limit.min(FILTER_MAX) as usize;
        let terms: Vec<String> = match str_field(req, "filterPattern").map(str::trim) {
            Some(p) if !p.is_empty() && !p.starts_with('{') && !p.starts_with('[') => {
                p.split_whitespace().map(|t| t.trim_matches('"').to_owned()).collect()
            }
            _ => Vec::new(),
        };
        let end = int_field(req, "endTime").unwrap_or(now + 1).min(now + 1);
        // The cursor: events after (timestamp, stream index) `after` are still to come.
        let mut after = match str_field(req, "nextToken") {
            Some(token) => {
                let (t, i) = token
                    .strip_prefix("ft/")
                    .and_then(|rest| rest.split_once('/'))
                    .and_then(|(t, i)| Some((t.parse::<i64>().ok()?, i.parse::<usize>().ok()?)))
                    .ok_or_else(|| invalid("The specified nextToken is invalid."))?;
                (t, i)
            }
            None => (int_field(req, "startTime").unwrap_or(self.origin_ms) - 1, usize::MAX),
        };
        let mut out: Vec<Value> = Vec::new();
        for _ in 0..FILTER_STEPS {
            if after.0 + 1 >= end {
                return Ok(json!({"events": out, "searchedLogStreams": []}));
            }
            let slice_end = (after.0 + 1 + FILTER_SLICE_MS).min(end);
            let mut found: Vec<(i64, usize, &str, Stream, i64)> = Vec::new();
            for &(name, s) in &streams {
                let mut k = s.count_before(after.0);
                while s.at(k) < slice_end {
                    let t = s.at(k);
                    if (t, s.index) > after {
                        found.push((t, s.index, name, s, k));
                    }
                    k += 1;
                }
            }
            found.sort_by_key(|f| (f.0, f.1));
            for (t, index, name, s, k) in found {
                let mut event = self.event(group, name, s, k);
                let text = event["message"].as_str().unwrap_or("");
                if terms.iter().all(|term| text.contains(term.as_str())) {
                    event["logStreamName"] = json!(name);
                    event["eventId"] = json!(format!("{t}{index:03}{k:012}"));
                    out.push(event);
                    if out.len() == limit {
                        return Ok(
                            json!({"events": out, "nextToken": format!("ft/{t}/{index}"), "searchedLogStreams": []}),
                        );
                    }
                }
            }
            after = (slice_end - 1, usize::MAX);
        }
        Ok(json!({"events": out, "nextToken": format!("ft/{}/{}", after.0, after.1), "searchedLogStreams": []}))
    }

    fn page<T>(items: Vec<T>, req: &Value, prefix: &str) -> Result<(Vec<T>, Option<String>), AwsError> {
        let limit = int_field(req, "limit").unwrap_or(DESCRIBE_MAX as i64);
        if !(1..=DESCRIBE_MAX as i64).contains(&limit) {
            return Err(invalid("limit must be 1-50"));
        }
        let start = match str_field(req, "nextToken") {
            Some(t) => token_number(t, prefix).ok_or_else(|| invalid("The specified nextToken is invalid."))? as usize,
            None => 0,
        };
        let end = (start + limit as usize).min(items.len());
        let next = (end < items.len()).then(|| format!("{prefix}{end}"));
        Ok((
            items.into_iter().skip(start).take(end.saturating_sub(start)).collect(),
            next,
        ))
    }

    pub(crate) fn describe_log_groups(&self, req: &Value) -> Result<Value, AwsError> {
        let prefix = str_field(req, "logGroupNamePrefix").unwrap_or("");
        let pattern = str_field(req, "logGroupNamePattern").unwrap_or("");
        let matching: Vec<&String> = self
            .groups
            .iter()
            .filter(|g| g.starts_with(prefix) && g.contains(pattern))
            .collect();
        let (page, next) = Self::page(matching, req, "g/")?;
        let groups: Vec<Value> = page
            .into_iter()
            .map(|g| {
                json!({
                    "logGroupName": g, "creationTime": self.origin_ms, "retentionInDays": 30,
                    "metricFilterCount": 0, "storedBytes": 1_048_576 * self.streams,
                    "arn": format!("{}{g}:*", self.arn_prefix), "logGroupArn": format!("{}{g}", self.arn_prefix),
                    "logGroupClass": "STANDARD",
                })
            })
            .collect();
        Ok(json!({"logGroups": groups, "nextToken": next}))
    }

    pub(crate) fn describe_log_streams(&self, req: &Value, now: i64) -> Result<Value, AwsError> {
        let group = str_field(req, "logGroupName").unwrap_or("");
        self.group_exists(group)?;
        let prefix = str_field(req, "logStreamNamePrefix").unwrap_or("");
        let mut names: Vec<String> = self.stream_names().filter(|n| n.starts_with(prefix)).collect();
        let mut streams = Vec::new();
        for name in names.drain(..) {
            let s = self.stream(group, &name)?;
            let last = s.at(s.count_before(now + 1) - 1);
            streams.push((name, s, last));
        }
        if str_field(req, "orderBy") == Some("LastEventTime") {
            streams.sort_by_key(|(_, _, last)| *last);
        }
        if req.get("descending").and_then(Value::as_bool) == Some(true) {
            streams.reverse();
        }
        let (page, next) = Self::page(streams, req, "s/")?;
        let streams: Vec<Value> = page
            .into_iter()
            .map(|(name, s, last)| {
                json!({
                    "logStreamName": name, "creationTime": self.origin_ms, "firstEventTimestamp": s.at(0),
                    "lastEventTimestamp": last, "lastIngestionTime": last + 150, "storedBytes": 0,
                    "arn": format!("{}{group}:log-stream:{name}", self.arn_prefix),
                })
            })
            .collect();
        Ok(json!({"logStreams": streams, "nextToken": next}))
    }
}

#[cfg(test)]
mod tests;
