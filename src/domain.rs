//! The pure domain: ids, CloudWatch names, ARNs, actions, patterns and policies.
//! Nothing here does I/O or knows about HTTP or SQL.

pub(crate) mod action;
pub(crate) mod arn;
pub(crate) mod ids;
pub(crate) mod insights;
pub(crate) mod limits;
pub mod names;
pub(crate) mod pattern;
pub(crate) mod policy;

pub(crate) use action::Action;
pub use arn::{AccountId, ResourceScope};
pub(crate) use ids::TenantId;
pub(crate) use limits::RateLimit;
pub(crate) use names::{LogGroupName, LogStreamName};
pub(crate) use policy::{CompiledPolicy, Decision, PolicyDocument, PolicyError};
