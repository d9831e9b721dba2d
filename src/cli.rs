//! The command line: `serve`, `migrate`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "logward",
    version,
    about = "Multi-tenant gateway for reading CloudWatch Logs"
)]
pub struct Cli {
    /// TOML file with settings (keys are the variable names without LOGWARD_, lowercase); the environment wins.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (applies pending migrations first).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
}
