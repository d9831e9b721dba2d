//! Building and running the application: [`state`] builds everything a
//! request needs (and runs migrations), [`background`] starts the long-lived
//! loops that keep it current (the Lambda mode, `crate::lambda`, takes the
//! state without them), [`server`] binds the listener (port 0 in tests) and
//! mounts the routes. The application runs until a shutdown future resolves, then drains
//! in-flight requests and flushes the audit buffer. Tests and `logward serve`
//! share this one path.

mod background;
mod heartbeat;
pub(crate) mod server;
pub(crate) mod state;

use std::future::Future;
use std::sync::Arc;

use actix_web::dev::Server;

pub use state::UpstreamOverride;

use crate::config::Settings;
use crate::tail::TailHub;

pub struct Application {
    port: u16,
    server: Server,
    built: state::Built,
    background: background::Background,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with(settings, None).await
    }

    pub async fn build_with(settings: Settings, upstream: Option<UpstreamOverride>) -> anyhow::Result<Self> {
        // Several crates bring rustls; pin the process to one provider.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        // Certificate problems are found before anything else is started.
        let tls = settings.tls.as_ref().map(crate::tls::server_config).transpose()?;
        let built = state::Built::new(&settings, upstream, state::Mode::Server).await?;
        let background = background::start(&built, &settings);
        let (server, port) = server::start(&settings, built.state.clone(), tls)?;
        Ok(Self {
            port,
            server,
            built,
            background,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The live-tail hub (tests observe its pollers).
    pub fn tails(&self) -> Arc<TailHub> {
        self.built.state.gateway.tails.clone()
    }

    /// Serves until `shutdown` resolves, then stops accepting, lets in-flight
    /// requests finish within the grace period, and flushes the audit buffer.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let tails = self.tails();
        tokio::spawn(async move {
            shutdown.await;
            tracing::info!("shutting down: ending live tails, draining in-flight requests");
            // Open tails would otherwise hold the drain until the grace period ends.
            tails.close_all();
            handle.stop(true).await;
        });
        let served = self.server.await;
        let instance = self.background.instance.clone();
        self.background.stop();
        heartbeat::leave(&self.built.pool, &instance).await;
        self.built.flush().await;
        tracing::info!("stopped");
        served.map_err(Into::into)
    }
}
