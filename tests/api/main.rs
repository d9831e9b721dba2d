//! Black-box tests over HTTP against a real Postgres (a fresh database per
//! test) and moto's server mode as CloudWatch Logs. Run them with
//! `./scripts/test`, which installs moto into .venv first.

// Tests may panic on anything unexpected; that is how they fail.
#![allow(clippy::unwrap_used)]

mod access_keys;
mod admin;
mod admin_identities;
mod api_keys;
mod audit_log;
mod audit_outage;
mod aws_cli;
mod aws_clients;
mod aws_door;
mod aws_sdk;
mod cli;
mod config;
mod cors;
mod get_events;
mod harness;
mod health;
mod helpers;
mod insights_lexing;
mod insights_slots;
mod isolation;
mod jwt;
mod lambda;
mod me;
mod operations;
mod paging_tokens;
mod policy_validation;
mod policy_versions;
mod portal;
mod quota;
pub mod read_surface;
mod routes;
mod simulator;
mod tail;
mod upstream_cache;
mod upstream_faults;
mod validation;
