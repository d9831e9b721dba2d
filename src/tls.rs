//! HTTPS: a rustls server configuration from PEM files.

use std::sync::Arc;

use anyhow::Context;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::TlsSettings;

pub(crate) fn server_config(tls: &TlsSettings) -> anyhow::Result<rustls::ServerConfig> {
    let certs = CertificateDer::pem_file_iter(&tls.cert)
        .with_context(|| format!("LOGWARD_TLS_CERT: cannot read {}", tls.cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| {
            format!(
                "LOGWARD_TLS_CERT: {} is not a PEM certificate chain",
                tls.cert.display()
            )
        })?;
    anyhow::ensure!(
        !certs.is_empty(),
        "LOGWARD_TLS_CERT: {} holds no certificate",
        tls.cert.display()
    );
    let key = PrivateKeyDer::from_pem_file(&tls.key).with_context(|| {
        format!(
            "LOGWARD_TLS_KEY: cannot read a PEM private key from {}",
            tls.key.display()
        )
    })?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("LOGWARD_TLS_CERT/LOGWARD_TLS_KEY: the key does not match the certificate")
}
