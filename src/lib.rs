//! logward: a multi-tenant gateway that lets each customer read only their own
//! CloudWatch Logs. The request path is
//! authenticate (`auth`) → resolve the resource ARN (`domain`) → authorize
//! (`domain::policy`, pure) → call CloudWatch (`upstream`) → map the response (`routes`).
#![forbid(unsafe_code)]

pub mod audit;
pub(crate) mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub(crate) mod error;
pub(crate) mod gateway;
pub mod lambda;
pub mod manage;
pub(crate) mod metrics;
pub(crate) mod paging;
pub(crate) mod query_ledger;
pub(crate) mod rate_limit;
pub(crate) mod request_log;
pub mod routes;
pub mod startup;
pub(crate) mod state;
pub mod tail;
pub mod telemetry;
pub(crate) mod tls;
pub mod upstream;

/// The OpenAPI description of the REST door (kept at its old path for tools and tests).
pub use routes::openapi;
