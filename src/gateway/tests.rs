//! The gateway driven without HTTP: a call with a stub upstream and a policy,
//! asserting the decision, the upstream request and the audit record.

mod listings;
mod reads;
mod world;
