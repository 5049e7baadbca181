//! How team mode reaches its PostgreSQL database: in the clear, or over TLS with the server's certificate
//! verified.
//!
//! `sslmode=require` in `SPOTPLAN_DATABASE_URL` means TLS (rustls, ring provider) and a certificate that chains to
//! the platform's roots or to the CA file given with `--database-ca` / `SPOTPLAN_DATABASE_CA`, issued for the host
//! the URL names — stricter than libpq's `require`, which checks no certificate (libpq's `verify-full`). Any other
//! mode (`disable`, or libpq's default `prefer`) connects in the clear, as before: an unverified "maybe TLS" would
//! protect nothing against whoever can answer for the host, and a server's self-signed default certificate would
//! make `prefer` fail where it worked.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres_rustls::MakeRustlsConnect;

/// Why the link's TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The CA file is missing or not PEM.
    #[error("cannot read the database CA file {path}: {source}")]
    CaFile {
        /// The file given with `--database-ca`.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    /// The CA file holds no certificate.
    #[error("the database CA file {path} holds no CERTIFICATE block")]
    NoCaCertificate {
        /// The file given with `--database-ca`.
        path: PathBuf,
    },
    /// A certificate of the CA file is not one rustls can use as a root.
    #[error("the database CA file {path} holds a certificate rustls cannot use as a root: {source}")]
    UnusableCa {
        /// The file given with `--database-ca`.
        path: PathBuf,
        /// What rustls said.
        #[source]
        source: rustls::Error,
    },
    /// `sslmode=require` with no root to verify against: no platform roots and no CA file.
    #[error("sslmode=require, but there is no root certificate to verify the database with: give --database-ca")]
    NoRoots,
    /// A CA file given while the URL does not ask for TLS: it would be ignored, which the operator did not mean.
    #[error("--database-ca is given, but SPOTPLAN_DATABASE_URL does not ask for TLS: add sslmode=require")]
    CaWithoutTls,
    /// rustls refused the configuration.
    #[error("TLS for the database: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The connector every database connection is opened with, and whether it encrypts.
#[derive(Clone)]
pub struct DatabaseLink {
    /// The TLS connector (used only when the configuration asks for TLS).
    pub connector: MakeRustlsConnect,
    /// Whether connections are TLS, verified.
    pub encrypted: bool,
}

impl std::fmt::Debug for DatabaseLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseLink")
            .field("encrypted", &self.encrypted)
            .finish_non_exhaustive()
    }
}

impl DatabaseLink {
    /// The link `config` asks for, trusting `extra_ca` besides the platform's roots. Leaves `config` in the
    /// clear (`sslmode=disable`) unless it asked for `require`.
    pub fn for_config(config: &mut tokio_postgres::Config, extra_ca: Option<&Path>) -> Result<DatabaseLink, LinkError> {
        let encrypted = config.get_ssl_mode() == SslMode::Require;
        if !encrypted {
            if extra_ca.is_some() {
                return Err(LinkError::CaWithoutTls);
            }
            config.ssl_mode(SslMode::Disable);
            return Ok(DatabaseLink {
                connector: MakeRustlsConnect::new(client_config(rustls::RootCertStore::empty())?),
                encrypted: false,
            });
        }
        let mut roots = rustls::RootCertStore::empty();
        // Certificates the platform store holds but rustls cannot parse are skipped, as browsers skip them.
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        if let Some(path) = extra_ca {
            for certificate in ca_certificates(path)? {
                roots.add(certificate).map_err(|source| LinkError::UnusableCa {
                    path: path.to_path_buf(),
                    source,
                })?;
            }
        }
        if roots.is_empty() {
            return Err(LinkError::NoRoots);
        }
        Ok(DatabaseLink {
            connector: MakeRustlsConnect::new(client_config(roots)?),
            encrypted: true,
        })
    }
}

/// Whether every host `config` names is this machine (loopback or a Unix socket), where a link in the clear
/// crosses no network.
pub fn stays_on_this_machine(config: &tokio_postgres::Config) -> bool {
    config.get_hosts().iter().all(|host| match host {
        Host::Unix(_) => true,
        Host::Tcp(name) => {
            name.eq_ignore_ascii_case("localhost")
                || name
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|address| address.is_loopback())
        }
    }) && config.get_hostaddrs().iter().all(std::net::IpAddr::is_loopback)
}

fn client_config(roots: rustls::RootCertStore) -> Result<rustls::ClientConfig, LinkError> {
    Ok(
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

fn ca_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, LinkError> {
    let unreadable = |source| LinkError::CaFile {
        path: path.to_path_buf(),
        source,
    };
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(unreadable)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(unreadable)?;
    if certificates.is_empty() {
        return Err(LinkError::NoCaCertificate {
            path: path.to_path_buf(),
        });
    }
    Ok(certificates)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn config(url: &str) -> tokio_postgres::Config {
        tokio_postgres::Config::from_str(url).unwrap()
    }

    #[test]
    fn only_require_encrypts_and_other_modes_are_sent_in_the_clear() {
        let mut plain = config("postgres://u@db.example/spotplan");
        assert!(!DatabaseLink::for_config(&mut plain, None).unwrap().encrypted);
        assert_eq!(
            plain.get_ssl_mode(),
            SslMode::Disable,
            "prefer must not try an unverified TLS"
        );
        let ca = std::env::temp_dir().join(format!("spotplan-ca-{}.pem", std::process::id()));
        let certified = rcgen::generate_simple_self_signed(vec!["db.example".to_owned()]).unwrap();
        std::fs::write(&ca, certified.cert.pem()).unwrap();
        let mut required = config("postgres://u@db.example/spotplan?sslmode=require");
        let link = DatabaseLink::for_config(&mut required, Some(&ca));
        std::fs::remove_file(&ca).unwrap();
        assert!(link.unwrap().encrypted);
        assert_eq!(required.get_ssl_mode(), SslMode::Require);
    }

    #[test]
    fn a_ca_file_without_tls_is_refused_rather_than_ignored() {
        let mut plain = config("postgres://u@db.example/spotplan?sslmode=disable");
        let error = DatabaseLink::for_config(&mut plain, Some(Path::new("/nonexistent/ca.pem"))).unwrap_err();
        assert!(matches!(error, LinkError::CaWithoutTls), "{error}");
    }

    #[test]
    fn a_missing_or_empty_ca_file_names_the_file() {
        let mut required = config("postgres://u@db.example/spotplan?sslmode=require");
        let error = DatabaseLink::for_config(&mut required, Some(Path::new("/nonexistent/ca.pem"))).unwrap_err();
        assert!(matches!(error, LinkError::CaFile { .. }), "{error}");
        assert!(error.to_string().contains("/nonexistent/ca.pem"), "{error}");
        let empty = std::env::temp_dir().join(format!("spotplan-empty-ca-{}.pem", std::process::id()));
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let error = DatabaseLink::for_config(&mut required, Some(&empty)).unwrap_err();
        std::fs::remove_file(&empty).unwrap();
        assert!(matches!(error, LinkError::NoCaCertificate { .. }), "{error}");
    }

    #[test]
    fn loopback_and_sockets_stay_on_this_machine_and_other_hosts_do_not() {
        assert!(stays_on_this_machine(&config("postgres://u@127.0.0.1:5432/d")));
        assert!(stays_on_this_machine(&config("postgres://u@localhost/d")));
        assert!(stays_on_this_machine(&config("postgres://u@[::1]:5432/d")));
        assert!(stays_on_this_machine(&config("host=/run/postgresql user=u dbname=d")));
        assert!(!stays_on_this_machine(&config("postgres://u@db.example/d")));
        assert!(!stays_on_this_machine(&config("postgres://u@10.0.0.5/d")));
        assert!(!stays_on_this_machine(&config(
            "host=localhost hostaddr=10.0.0.5 user=u dbname=d"
        )));
    }
}
