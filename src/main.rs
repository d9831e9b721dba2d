use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use logward::cli::{Cli, Command};
use logward::config::{Settings, Source};
use logward::startup::Application;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        // `logward ... | head -1`: the reader is satisfied; say nothing.
        Err(e) if logward::cli::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the reason and its causes.
            eprintln!("logward: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let command = match cli.command {
        Some(Command::Serve) | None if logward::lambda::detected() => Command::Lambda,
        Some(command) => command,
        None => Cli::command()
            .error(clap::error::ErrorKind::MissingSubcommand, "a command is required")
            .exit(),
    };
    let settings = Settings::from_source(&Source::load(cli.config.as_deref())?)?;
    match command {
        Command::Lambda => {
            let _log = logward::telemetry::init(&settings.log);
            logward::lambda::run(settings).await
        }
        Command::Serve => {
            // Held to the end of `serve`, so queued log lines are written out.
            let _log = logward::telemetry::init(&settings.log);
            let scheme = if settings.tls.is_some() { "https" } else { "http" };
            let app = Application::build(settings).await?;
            tracing::info!(
                port = app.port(),
                scheme,
                "logward listening ({})",
                scheme.to_uppercase()
            );
            app.run_until_stopped(shutdown_signal()).await
        }
        Command::Migrate => {
            let pool = logward::db::connect_lazy(&settings.database.url, settings.database.max_connections)?;
            logward::db::MIGRATOR.run(&pool).await?;
            println!("migrations applied");
            Ok(())
        }
        other => logward::cli::run_management(&settings, other, cli.json).await,
    }
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
