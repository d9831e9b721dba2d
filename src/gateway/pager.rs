//! Pages of a listing whose items are authorized one by one (log groups,
//! log streams), without betraying hidden items through paging: a page never
//! ends on hidden items with a token that only leads to more of them. The
//! walk goes on past a full page until the next visible item is found (the
//! token then points at it) or the listing ends (no token), within a bounded
//! number of upstream calls. Only when that bound is spent does a token lead
//! on without a visible item known to follow.

use std::future::Future;

use crate::error::ApiError;

/// Upstream calls one request may make while filling a page.
pub(crate) const MAX_UPSTREAM_CALLS: usize = 5;

/// Where a listing stands: which upstream query (one per narrowed prefix),
/// the upstream token that fetches the current page, and how many items of
/// that page were already walked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub(crate) query: usize,
    pub(crate) token: Option<String>,
    pub(crate) skip: usize,
}

impl Cursor {
    /// `query:skip:token` (numbers zero-padded), the inner text of a sealed paging token.
    pub(crate) fn encode(&self) -> String {
        // Fixed-width numbers: the sealed token's length must not tell how
        // far into a page (past how many hidden items) the next one starts.
        format!(
            "{:05}:{:05}:{}",
            self.query,
            self.skip,
            self.token.as_deref().unwrap_or("")
        )
    }

    pub(crate) fn decode(inner: &str) -> Result<Self, ApiError> {
        let malformed = || ApiError::invalid_param("nextToken", "malformed");
        let mut parts = inner.splitn(3, ':');
        let query = parts.next().and_then(|q| q.parse().ok()).ok_or_else(malformed)?;
        let skip = parts.next().and_then(|s| s.parse().ok()).ok_or_else(malformed)?;
        let token = parts.next().ok_or_else(malformed)?;
        Ok(Self {
            query,
            skip,
            token: (!token.is_empty()).then(|| token.to_owned()),
        })
    }
}

/// Walks `queries` from `cursor`, collecting up to `limit` items `visible`
/// accepts; `fetch(query, token)` returns one upstream page and its next token.
pub(crate) async fn page<Q, T, F, Fut>(
    queries: &[Q],
    mut cursor: Cursor,
    limit: usize,
    mut fetch: F,
    visible: impl Fn(&T) -> bool,
) -> Result<(Vec<T>, Option<Cursor>), ApiError>
where
    F: FnMut(&Q, Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), ApiError>>,
{
    let mut out = Vec::new();
    for _ in 0..MAX_UPSTREAM_CALLS {
        let Some(query) = queries.get(cursor.query) else {
            return Ok((out, None));
        };
        let (items, next) = fetch(query, cursor.token.clone()).await?;
        for (i, item) in items.into_iter().enumerate().skip(cursor.skip) {
            if !visible(&item) {
                continue;
            }
            if out.len() == limit {
                // A visible item beyond this page: the next page starts at it.
                return Ok((out, Some(Cursor { skip: i, ..cursor })));
            }
            out.push(item);
        }
        cursor = match next {
            Some(token) => Cursor {
                query: cursor.query,
                token: Some(token),
                skip: 0,
            },
            None => Cursor {
                query: cursor.query + 1,
                token: None,
                skip: 0,
            },
        };
    }
    let more = cursor.query < queries.len();
    Ok((out, more.then_some(cursor)))
}

/// The upstream prefixes to ask for: the policy's (`None`: unconstrained),
/// narrowed by the caller's. Empty when they cannot meet.
pub fn narrow(policy_prefixes: Option<Vec<String>>, wanted: Option<&str>) -> Vec<Option<String>> {
    match (policy_prefixes, wanted) {
        (None, w) => vec![w.map(str::to_owned)],
        (Some(prefixes), None) => prefixes.into_iter().map(|p| (!p.is_empty()).then_some(p)).collect(),
        (Some(prefixes), Some(w)) => {
            let mut out: Vec<Option<String>> = Vec::new();
            for p in prefixes {
                let narrowed = if w.starts_with(p.as_str()) {
                    w.to_owned()
                } else if p.starts_with(w) {
                    p
                } else {
                    continue;
                };
                if !out.contains(&Some(narrowed.clone())) {
                    out.push(Some(narrowed));
                }
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_the_narrowest_prefixes() {
        let p = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let s = |v: &str| Some(v.to_owned());
        assert_eq!(narrow(None, None), vec![None]);
        assert_eq!(narrow(None, Some("/x")), vec![s("/x")]);
        assert_eq!(narrow(p(&["/acme/", "shared"]), None), vec![s("/acme/"), s("shared")]);
        assert_eq!(narrow(p(&["/acme/"]), Some("/acme/app")), vec![s("/acme/app")]);
        assert_eq!(narrow(p(&["/acme/app"]), Some("/ac")), vec![s("/acme/app")]);
        assert_eq!(narrow(p(&["/acme/"]), Some("/other")), Vec::<Option<String>>::new());
        assert_eq!(narrow(p(&[""]), None), vec![None]);
    }

    /// Pages of `per_page` items of `data` per query; the token is the offset.
    async fn run(data: &[&[i32]], per_page: usize, limit: usize, visible: fn(&i32) -> bool) -> Vec<Vec<i32>> {
        let queries: Vec<usize> = (0..data.len()).collect();
        let mut pages = Vec::new();
        let mut cursor = Some(Cursor::default());
        while let Some(c) = cursor {
            let c = Cursor::decode(&c.encode()).unwrap();
            let (items, next) = page(
                &queries,
                c,
                limit,
                |q: &usize, token: Option<String>| {
                    let items = data[*q];
                    let from: usize = token.map_or(0, |t| t.parse().unwrap());
                    let to = (from + per_page).min(items.len());
                    let next = (to < items.len()).then(|| to.to_string());
                    std::future::ready(Ok((items[from..to].to_vec(), next)))
                },
                visible,
            )
            .await
            .unwrap();
            pages.push(items);
            cursor = next;
            assert!(pages.len() < 100);
        }
        pages
    }

    #[tokio::test]
    async fn hidden_items_never_end_a_page_with_a_token() {
        // Negative numbers are hidden.
        let pages = run(&[&[1, 2, -1, -2]], 1, 1, |i| *i > 0).await;
        assert_eq!(pages, vec![vec![1], vec![2]], "no trailing empty pages");
        let pages = run(&[&[1, -1, -2, 3, 4, -5]], 2, 2, |i| *i > 0).await;
        assert_eq!(pages, vec![vec![1, 3], vec![4]]);
        let pages = run(&[&[-1], &[1, 2, 3], &[-2], &[4]], 2, 2, |i| *i > 0).await;
        assert_eq!(pages, vec![vec![1, 2], vec![3, 4]]);
    }

    #[tokio::test]
    async fn a_page_resumes_inside_an_upstream_page() {
        let pages = run(&[&[1, 2, 3, 4, 5]], 5, 2, |_| true).await;
        assert_eq!(pages, vec![vec![1, 2], vec![3, 4], vec![5]]);
    }

    #[tokio::test]
    async fn only_a_spent_call_budget_yields_a_token_without_a_visible_item() {
        let hidden: Vec<i32> = (1..=20).map(|i| -i).collect();
        let pages = run(&[&hidden, &[7]], 1, 5, |i| *i > 0).await;
        assert_eq!(pages.concat(), vec![7]);
        assert!(pages.len() > 1, "the walk is bounded per request");
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = Cursor {
            query: 2,
            token: Some("a:b:c".into()),
            skip: 3,
        };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        assert!(Cursor::decode("x").is_err());
        assert!(Cursor::decode("1:y:").is_err());
    }
}
