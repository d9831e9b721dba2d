//! What the tests share: each test gets its own database, its own gateway on
//! a free port ([`spawn_app`], or [`TestApp::builder`]) and typed helpers;
//! moto is started once per test binary. (`upstream` is internal: the call
//! counter every app gets, read through `TestApp::upstream_calls`.)

mod app;
mod boto;
mod database;
mod moto;
mod requests;
mod servers;
mod tokens;
mod upstream;

pub use app::*;
pub use database::*;
pub use moto::*;
pub use requests::*;
pub use servers::*;
pub use tokens::*;
