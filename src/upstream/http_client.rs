//! The HTTP client under the one shared CloudWatch SDK client: a connection
//! pool per thread instead of one for the process.
//!
//! hyper drives each connection from a task on the runtime that opened it. With
//! one pool, a request on actix worker A often picks a connection that worker B
//! opened, so its bytes go through B's task: two cross-thread wake-ups per call,
//! and the call waits whenever B is busy. With a pool per worker thread, a
//! call's connection lives on the thread that makes the call. The number of
//! calls running at once is still bounded for the process as a whole by
//! [`super::guard::GuardedUpstream`].

use std::cell::OnceCell;

use aws_sdk_cloudwatchlogs::config::{HttpClient, RuntimeComponents, SharedHttpClient};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, proxy::ProxyConfig};
use aws_smithy_runtime_api::client::http::{HttpConnectorSettings, SharedHttpConnector};

#[derive(Debug, Default)]
pub(crate) struct PerThreadHttpClient;

thread_local! {
    static POOL: OnceCell<SharedHttpClient> = const { OnceCell::new() };
}

fn new_pool() -> SharedHttpClient {
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector =
            aws_smithy_http_client::Connector::builder().tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        // As the SDK's default client: HTTPS_PROXY / NO_PROXY are honoured.
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

impl HttpClient for PerThreadHttpClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        POOL.with(|pool| pool.get_or_init(new_pool).http_connector(settings, components))
    }
}
