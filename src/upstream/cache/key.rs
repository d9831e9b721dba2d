//! What the cache stores under what: the key is the upstream request as it
//! will be sent (operation and every parameter, the inner CloudWatch token
//! included), never who asks; the answer is the response, shared.
//!
//! Account and region are not in the key: each cache belongs to one upstream
//! client, which is bound to one region of one account (the gateway's
//! `ResourceScope`, fixed at start), so two scopes never share a cache.

use std::sync::Arc;

use super::super::*;

/// A cacheable upstream request. StartQuery and StopQuery are not here: each
/// start is a new query and each stop an action, never an answer to share.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    GetLogEvents(GetLogEventsRequest),
    FilterLogEvents(FilterLogEventsRequest),
    DescribeLogGroups(DescribeLogGroupsRequest),
    DescribeLogStreams(DescribeLogStreamsRequest),
    GetQueryResults(String),
}

impl Key {
    pub(crate) fn operation(&self) -> &'static str {
        match self {
            Key::GetLogEvents(_) => "GetLogEvents",
            Key::FilterLogEvents(_) => "FilterLogEvents",
            Key::DescribeLogGroups(_) => "DescribeLogGroups",
            Key::DescribeLogStreams(_) => "DescribeLogStreams",
            Key::GetQueryResults(_) => "GetQueryResults",
        }
    }

    /// Approximate bytes this key holds.
    pub(crate) fn weight(&self) -> usize {
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        48 + match self {
            Key::GetLogEvents(r) => r.group.as_str().len() + r.stream.as_str().len() + opt(&r.next_token),
            Key::FilterLogEvents(r) => {
                let streams = match &r.streams {
                    StreamSelection::All => 0,
                    StreamSelection::Named(names) => names.iter().map(|n| n.as_str().len() + 24).sum(),
                    StreamSelection::Prefix(p) => p.as_str().len(),
                };
                r.group.as_str().len() + streams + opt(&r.filter_pattern) + opt(&r.next_token)
            }
            Key::DescribeLogGroups(r) => opt(&r.prefix) + opt(&r.next_token),
            Key::DescribeLogStreams(r) => r.group.as_str().len() + opt(&r.prefix) + opt(&r.next_token),
            Key::GetQueryResults(id) => id.len(),
        }
    }
}

/// A response as kept: behind an `Arc`, so a hit costs one copy, made for
/// the caller (the gateway rewrites paging tokens in what it gets).
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    Events(Arc<GetLogEventsResponse>),
    Filtered(Arc<FilterLogEventsResponse>),
    Groups(Arc<DescribeLogGroupsResponse>),
    Streams(Arc<DescribeLogStreamsResponse>),
    Query(Arc<QueryResults>),
}

/// A response type the cache keeps, and how to find it in an [`Answer`].
pub(crate) trait Cacheable: Clone + Send + 'static {
    fn into_answer(self) -> Answer;
    fn from_answer(answer: &Answer) -> Option<Self>;
}

macro_rules! cacheable {
    ($($ty:ty => $variant:ident,)*) => {$(
        impl Cacheable for $ty {
            fn into_answer(self) -> Answer {
                Answer::$variant(Arc::new(self))
            }
            fn from_answer(answer: &Answer) -> Option<Self> {
                match answer {
                    Answer::$variant(a) => Some((**a).clone()),
                    _ => None,
                }
            }
        }
    )*};
}

cacheable! {
    GetLogEventsResponse => Events,
    FilterLogEventsResponse => Filtered,
    DescribeLogGroupsResponse => Groups,
    DescribeLogStreamsResponse => Streams,
    QueryResults => Query,
}

impl Answer {
    /// Approximate bytes this answer holds: the text it carries and a fixed
    /// allowance per item for the struct around it.
    pub(crate) fn weight(&self) -> usize {
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        match self {
            Answer::Events(r) => {
                let events: usize = r.events.iter().map(|e| 56 + opt(&e.message)).sum();
                64 + events + opt(&r.next_forward_token) + opt(&r.next_backward_token)
            }
            Answer::Filtered(r) => {
                let events: usize = r
                    .events
                    .iter()
                    .map(|e| 112 + opt(&e.message) + opt(&e.log_stream_name) + opt(&e.event_id))
                    .sum();
                64 + events + opt(&r.next_token)
            }
            Answer::Groups(r) => 64 + r.groups.iter().map(|g| 64 + g.name.len()).sum::<usize>() + opt(&r.next_token),
            Answer::Streams(r) => 64 + r.streams.iter().map(|s| 80 + s.name.len()).sum::<usize>() + opt(&r.next_token),
            Answer::Query(r) => {
                let cells: usize = r.results.iter().flatten().map(|(f, v)| 48 + f.len() + v.len()).sum();
                96 + r.status.len() + r.results.len() * 24 + cells
            }
        }
    }
}
