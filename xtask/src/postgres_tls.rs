//! The throwaway PostgreSQL cluster's TLS: a certificate authority made for this run and a server certificate it
//! signs for `127.0.0.1` and `localhost`, so the tests can prove that team mode's `sslmode=require` encrypts and
//! verifies (and refuses a server it cannot verify). The server accepts plain connections too.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

/// The files a cluster's TLS needs.
#[derive(Debug)]
pub struct ClusterCertificates {
    /// The authority's certificate (PEM): what a client trusts.
    pub ca: PathBuf,
    /// The server's certificate (PEM).
    pub server_certificate: PathBuf,
    /// The server's private key (PEM, mode 0600).
    pub server_key: PathBuf,
}

/// Writes a fresh authority and server certificate into `folder`.
pub fn write_into(folder: &Path) -> anyhow::Result<ClusterCertificates> {
    use std::os::unix::fs::PermissionsExt;
    let mut authority = CertificateParams::new(Vec::<String>::new())?;
    authority.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    authority
        .distinguished_name
        .push(DnType::CommonName, "Spotplan test cluster CA");
    let authority = CertifiedIssuer::self_signed(authority, KeyPair::generate()?)?;
    let server_key = KeyPair::generate()?;
    let server = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?
        .signed_by(&server_key, &authority)?;
    let files = ClusterCertificates {
        ca: folder.join("ca.pem"),
        server_certificate: folder.join("server.crt"),
        server_key: folder.join("server.key"),
    };
    std::fs::write(&files.ca, authority.pem()).context("cannot write the cluster's CA")?;
    std::fs::write(&files.server_certificate, server.pem()).context("cannot write the server certificate")?;
    std::fs::write(&files.server_key, server_key.serialize_pem()).context("cannot write the server key")?;
    // PostgreSQL refuses a key others can read.
    std::fs::set_permissions(&files.server_key, std::fs::Permissions::from_mode(0o600))?;
    Ok(files)
}
