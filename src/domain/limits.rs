//! Request rate limits as data: a token bucket's sustained rate and burst.

use serde::Serialize;

/// A tenant's own request rate limit (token bucket), overriding the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateLimit {
    /// Sustained requests per second, 1-100000.
    pub per_second: u32,
    /// Requests that may arrive at once above that, 1-100000.
    pub burst: u32,
}

impl RateLimit {
    pub(crate) fn from_columns(per_second: Option<i32>, burst: Option<i32>) -> Option<Self> {
        match (per_second, burst) {
            (Some(p), Some(b)) if p > 0 && b > 0 => Some(Self {
                per_second: p as u32,
                burst: b as u32,
            }),
            _ => None,
        }
    }
}
