//! The command line. `serve`, `lambda` and `migrate` run the gateway; the other commands
//! manage tenants, policies and keys straight against the database (through
//! the same `manage` functions as the admin API), for bootstrap and scripting.
//! Running gateways pick changes up through database notifications.

mod commands;
mod output;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use commands::run_management;

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
    /// Print results as JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Required, except inside AWS Lambda (where none means `lambda`).
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (applies pending migrations first). Inside AWS Lambda
    /// (AWS_LAMBDA_RUNTIME_API set) this is `lambda`.
    Serve,
    /// Serve AWS Lambda invocations (API Gateway REST or HTTP API, function
    /// URLs); never migrates, requires LOGWARD_TOKEN_KEY.
    Lambda,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage tenant policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Manage tenant API keys (lwk_...).
    #[command(subcommand)]
    Key(KeyCommand),
    /// Manage admin API keys (lwa_...).
    #[command(subcommand, name = "admin-key")]
    AdminKey(AdminKeyCommand),
    /// See and clear a tenant's Logs Insights queries.
    #[command(subcommand)]
    Query(QueryCommand),
    /// Manage tenant access keys (LWAK..., for AWS SDKs and CLIs signing with SigV4).
    #[command(subcommand, name = "access-key")]
    AccessKey(AccessKeyCommand),
    /// Read the audit trail, newest first.
    Audit(AuditArgs),
}

#[derive(Debug, Subcommand)]
pub enum QueryCommand {
    /// List a tenant's recent queries and whether they count against its cap.
    List { tenant: String },
    /// Stop counting open queries against the tenant's cap (they are not
    /// stopped at CloudWatch; the admin API's DELETE does that too).
    Clear {
        tenant: String,
        /// The query (or placeholder) id from `query list`.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        query_id: Option<String>,
        /// Every open query of the tenant.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[arg(long)]
    pub tenant: Option<String>,
    /// e.g. jwt:alice, key:ID, admin-token, cli:USER.
    #[arg(long)]
    pub principal: Option<String>,
    #[arg(long, value_enum)]
    pub decision: Option<DecisionArg>,
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    /// RFC 3339, inclusive.
    #[arg(long)]
    pub since: Option<String>,
    /// RFC 3339, exclusive.
    #[arg(long)]
    pub until: Option<String>,
    /// 1-500.
    #[arg(long, default_value_t = 100)]
    pub limit: i64,
    /// The cursor printed after the previous page.
    #[arg(long)]
    pub after: Option<i64>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DecisionArg {
    Allow,
    Deny,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KindArg {
    Data,
    Admin,
}

/// Whether `err` is a write to a closed standard output (`logward ... | head -1`):
/// the reader has what it wanted, so that is no failure to report.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant.
    Create {
        id: String,
        #[arg(long)]
        name: String,
    },
    /// List tenants, ordered by id.
    List {
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// Show tenants after this id (the last id of the previous page).
        #[arg(long)]
        after: Option<String>,
    },
    /// Show one tenant.
    Show { id: String },
    /// Disable a tenant: its tokens and keys stop working at once.
    Disable { id: String },
    /// Enable a disabled tenant.
    Enable { id: String },
    /// Delete a tenant with its policy and keys (the audit trail is kept).
    /// Asks for the tenant id to confirm unless --yes.
    Delete {
        id: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Set the tenant's own rate limit, or go back to the default with --default.
    RateLimit {
        id: String,
        /// Sustained requests per second (1-100000).
        #[arg(long, requires = "burst", conflicts_with = "default")]
        per_second: Option<u32>,
        /// Requests that may arrive at once above that (1-100000).
        #[arg(long, requires = "per_second", conflicts_with = "default")]
        burst: Option<u32>,
        /// Remove the tenant's own limit: the configured default applies.
        #[arg(long, required_unless_present = "per_second")]
        default: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StatusArg {
    Active,
    Disabled,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Store a policy document as the tenant's next version.
    Put {
        tenant: String,
        /// The policy JSON file ('-' for standard input).
        #[arg(long)]
        file: PathBuf,
        /// Only if the current version is this one (0: no policy yet).
        #[arg(long)]
        if_match: Option<i32>,
    },
    /// Print the tenant's current policy.
    Get { tenant: String },
    /// Evaluate an action on a resource ARN with the tenant's policy (or a draft).
    Simulate {
        tenant: String,
        #[arg(long)]
        action: String,
        #[arg(long)]
        resource: String,
        /// Simulate this draft policy file instead of the stored policy.
        #[arg(long)]
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct NewKeyArgs {
    #[arg(long)]
    pub name: String,
    /// Expiry time, RFC 3339 (e.g. 2027-01-31T00:00:00Z).
    #[arg(long)]
    pub expires_at: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a tenant API key; the key is printed once.
    Create {
        tenant: String,
        #[command(flatten)]
        key: NewKeyArgs,
        /// Narrow the key to these actions (comma-separated IAM names).
        #[arg(long, value_delimiter = ',')]
        actions: Option<Vec<String>>,
    },
    /// List a tenant's keys (never the secrets).
    List { tenant: String },
    /// Revoke a tenant key.
    Revoke { tenant: String, key_id: String },
}

#[derive(Debug, Subcommand)]
pub enum AdminKeyCommand {
    /// Create an admin API key; the key is printed once.
    Create {
        #[command(flatten)]
        key: NewKeyArgs,
    },
    /// List admin keys (never the secrets).
    List,
    /// Revoke an admin key.
    Revoke { key_id: String },
}

#[derive(Debug, Subcommand)]
pub enum AccessKeyCommand {
    /// Create a tenant access key; the secret access key is printed once.
    /// Needs LOGWARD_SECRETS_KEY.
    Create {
        tenant: String,
        #[command(flatten)]
        key: NewKeyArgs,
        /// Narrow the key to these actions (comma-separated IAM names).
        #[arg(long, value_delimiter = ',')]
        actions: Option<Vec<String>>,
    },
    /// List a tenant's access keys (never the secrets).
    List { tenant: String },
    /// Revoke a tenant access key.
    Revoke { tenant: String, access_key_id: String },
    /// Re-seal every access key's secret under LOGWARD_SECRETS_KEY (after a
    /// rotation, with the old key in LOGWARD_SECRETS_KEY_PREVIOUS).
    Reseal,
}
