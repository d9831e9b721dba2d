//! The pure domain: ids, CloudWatch names, ARNs, actions, patterns and policies.
//! Nothing here does I/O or knows about HTTP or SQL.

pub mod action;
pub mod arn;
pub mod ids;
pub mod insights;
pub mod limits;
pub mod names;
pub mod pattern;
pub mod policy;

pub use action::Action;
pub use arn::{AccountId, ResourceScope};
pub use ids::TenantId;
pub use limits::RateLimit;
pub use names::{LogGroupName, LogStreamName};
pub use policy::{CompiledPolicy, Decision, PolicyDocument, PolicyError};
