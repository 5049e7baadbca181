//! The per-install key and what it protects at rest: the keyed hash that tells a retry from a changed order
//! (never a plain hash of an order that held a password: that would be a password oracle), and the sealed
//! instance password an unknown order needs to be resent after a restart.
//!
//! The key is 32 random bytes in `install.key` beside the order log (mode 0600), outside the database, so a copy
//! of the database alone reveals neither passwords nor a way to test guesses against the stored hashes.

use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

/// The key file's name in the data directory.
pub const KEY_FILE: &str = "install.key";

/// Why the key could not be loaded or a secret not unsealed.
#[derive(Debug, thiserror::Error)]
pub enum AtRestError {
    /// The key file could not be read or written.
    #[error("install key {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What failed.
        source: std::io::Error,
    },
    /// The key file does not hold 64 hex digits.
    #[error("install key {path} is not 64 hex digits: restore it from a backup or remove it with the order log")]
    Malformed {
        /// The file.
        path: String,
    },
    /// No randomness for a key or a nonce.
    #[error("no randomness: {0}")]
    Random(String),
    /// A sealed value does not open with this key (another install's database, or a damaged row).
    #[error("a sealed value does not open with this install's key")]
    Unseal,
}

/// The per-install key.
pub struct InstallKey {
    bytes: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for InstallKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InstallKey(<redacted>)")
    }
}

impl InstallKey {
    /// Reads `dir/install.key`, creating it (mode 0600) with fresh random bytes when missing.
    pub fn load_or_create(dir: &Path) -> Result<InstallKey, AtRestError> {
        let path = dir.join(KEY_FILE);
        let io = |source| AtRestError::Io {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let mut bytes = Zeroizing::new([0_u8; 32]);
                hex::decode_to_slice(text.trim(), bytes.as_mut()).map_err(|_| AtRestError::Malformed {
                    path: path.display().to_string(),
                })?;
                restrict(&path).map_err(io)?;
                Ok(InstallKey { bytes })
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key = InstallKey::random()?;
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(&path).map_err(io)?;
                file.write_all(Zeroizing::new(hex::encode(key.bytes.as_ref())).as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(io)?;
                Ok(key)
            }
            Err(error) => Err(io(error)),
        }
    }

    /// A key that lives only in memory (tests, in-memory logs).
    pub fn random() -> Result<InstallKey, AtRestError> {
        let mut bytes = Zeroizing::new([0_u8; 32]);
        getrandom::fill(bytes.as_mut()).map_err(|error| AtRestError::Random(error.to_string()))?;
        Ok(InstallKey { bytes })
    }

    /// The keyed hash (HMAC-SHA256, hex) of an order as logged — its password already redacted.
    pub fn order_hash(&self, logged_order: &serde_json::Value) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.bytes.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(logged_order.to_string().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Seals a secret with AES-256-GCM under a fresh random nonce: `hex(nonce ‖ ciphertext)`.
    pub fn seal(&self, secret: &str) -> Result<String, AtRestError> {
        let cipher = Aes256Gcm::new_from_slice(self.bytes.as_ref()).map_err(|_| AtRestError::Unseal)?;
        let mut nonce = [0_u8; 12];
        getrandom::fill(&mut nonce).map_err(|error| AtRestError::Random(error.to_string()))?;
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), secret.as_bytes())
            .map_err(|_| AtRestError::Unseal)?;
        Ok(hex::encode([nonce.as_slice(), sealed.as_slice()].concat()))
    }

    /// Opens what [`InstallKey::seal`] sealed.
    pub fn unseal(&self, sealed: &str) -> Result<Zeroizing<String>, AtRestError> {
        let bytes = hex::decode(sealed).map_err(|_| AtRestError::Unseal)?;
        if bytes.len() < 12 {
            return Err(AtRestError::Unseal);
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let cipher = Aes256Gcm::new_from_slice(self.bytes.as_ref()).map_err(|_| AtRestError::Unseal)?;
        let plain = Zeroizing::new(
            cipher
                .decrypt(Nonce::from_slice(nonce), ciphertext)
                .map_err(|_| AtRestError::Unseal)?,
        );
        String::from_utf8(plain.to_vec())
            .map(Zeroizing::new)
            .map_err(|_| AtRestError::Unseal)
    }
}

/// Makes a file readable and writable by its owner only.
pub fn restrict(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Creates the data directory if needed and makes it private to its owner (0700).
pub fn prepare_data_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "spotplan-at-rest-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        prepare_data_dir(&dir).unwrap();
        dir
    }

    #[test]
    fn the_key_is_created_once_private_and_read_back() {
        let dir = dir();
        let first = InstallKey::load_or_create(&dir).unwrap();
        let again = InstallKey::load_or_create(&dir).unwrap();
        let order = serde_json::json!({"cloud": "alibaba", "login": {"password": "<redacted>"}});
        assert_eq!(first.order_hash(&order), again.order_hash(&order));
        assert_ne!(
            first.order_hash(&order),
            InstallKey::random().unwrap().order_hash(&order),
            "keyed"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir.join(KEY_FILE)), 0o600);
            assert_eq!(mode(&dir), 0o700);
        }
        assert!(format!("{first:?}").contains("redacted"));
    }

    #[test]
    fn sealed_secrets_open_with_their_key_only() {
        let key = InstallKey::random().unwrap();
        let sealed = key.seal("Spot2026!pass").unwrap();
        assert!(!sealed.contains("Spot2026"));
        assert_ne!(sealed, key.seal("Spot2026!pass").unwrap(), "a fresh nonce each time");
        assert_eq!(key.unseal(&sealed).unwrap().as_str(), "Spot2026!pass");
        assert!(matches!(
            InstallKey::random().unwrap().unseal(&sealed),
            Err(AtRestError::Unseal)
        ));
        assert!(matches!(key.unseal("00ff"), Err(AtRestError::Unseal)));
    }

    #[test]
    fn a_damaged_key_file_is_refused_not_replaced() {
        let dir = dir();
        std::fs::write(dir.join(KEY_FILE), "not hex").unwrap();
        assert!(matches!(
            InstallKey::load_or_create(&dir),
            Err(AtRestError::Malformed { .. })
        ));
        assert_eq!(std::fs::read_to_string(dir.join(KEY_FILE)).unwrap(), "not hex");
    }
}
