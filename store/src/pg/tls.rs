//! TLS to PostgreSQL, as the URL's `sslmode` asks.
//!
//! - `disable` and `prefer` (the default): no TLS. (libpq's `prefer` tries
//!   TLS first; here a handshake that fails would fail the connection rather
//!   than fall back, so `prefer` stays in the clear: ask for `require`.)
//! - `require`: TLS, and the server's certificate must be valid for its host
//!   name and signed by a root the system trusts (`SSL_CERT_FILE` or
//!   `SSL_CERT_DIR` add a private CA). This is stricter than libpq's
//!   `require`, which encrypts without checking whom it talks to: a
//!   connection that carries every private message must not go to whoever
//!   answers.

use postgres::config::SslMode;
use postgres::{Client, NoTls};
use rustls::ClientConfig;
use std::sync::{Arc, OnceLock};
use tokio_postgres_rustls::MakeRustlsConnect;

pub(crate) fn connect(config: &postgres::Config) -> Result<Client, postgres::Error> {
    match config.get_ssl_mode() {
        SslMode::Require => {
            config.connect(MakeRustlsConnect::new(client_config().as_ref().clone()))
        }
        _ => config.connect(NoTls),
    }
}

/// The TLS settings, built once: reading the system's roots takes a while.
fn client_config() -> &'static Arc<ClientConfig> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let mut roots = rustls::RootCertStore::empty();
        let found = rustls_native_certs::load_native_certs();
        for error in &found.errors {
            tracing::warn!(%error, "reading the system's root certificates");
        }
        let (added, ignored) = roots.add_parsable_certificates(found.certs);
        if added == 0 {
            tracing::warn!(
                ignored,
                "no root certificate found: TLS connections to PostgreSQL will fail"
            );
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map(|builder| builder.with_root_certificates(roots).with_no_client_auth())
            .unwrap_or_else(|e| unreachable!("ring supports the default TLS versions: {e}"));
        Arc::new(config)
    })
}
