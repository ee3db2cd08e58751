//! The master key: from the environment or a key file created on first start.

use crate::SecretsError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;
use zeroize::Zeroizing;

/// Where the master key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The environment variable (its name).
    Env(String),
    /// An existing key file.
    File(String),
    /// A key file created now.
    Created(String),
}

/// 32 bytes of key material, wiped on drop.
pub struct MasterKey {
    bytes: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey(id {})", self.id_hex())
    }
}

impl MasterKey {
    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        MasterKey {
            bytes: Zeroizing::new(bytes),
        }
    }

    /// A new random key.
    pub fn generate() -> Self {
        use aes_gcm::aead::{KeyInit, OsRng};
        let key = aes_gcm::Aes256Gcm::generate_key(OsRng);
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&key);
        MasterKey::from_bytes(bytes)
    }

    /// Parses 32 bytes written as standard base64 or as 64 hex digits.
    pub fn parse(text: &str, source_name: &str) -> Result<Self, SecretsError> {
        let text = text.trim();
        let bad = |message: String| SecretsError::BadKey {
            source_name: source_name.to_string(),
            message,
        };
        let decoded: Zeroizing<Vec<u8>> =
            if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
                Zeroizing::new(
                    (0..32)
                        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap_or(0))
                        .collect(),
                )
            } else {
                Zeroizing::new(STANDARD.decode(text).map_err(|_| {
                    bad("the key must be 32 bytes written as base64 or as 64 hex digits".into())
                })?)
            };
        if decoded.len() != 32 {
            return Err(bad(format!(
                "the key is {} bytes; AES-256 needs exactly 32",
                decoded.len()
            )));
        }
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&decoded);
        Ok(MasterKey::from_bytes(bytes))
    }

    /// Loads the key: from `env_value` (the content of `env_name`) when set, else from
    /// `key_file`, which is created with mode 0600 when missing.
    pub fn load(
        env_name: &str,
        env_value: Option<&str>,
        key_file: &Path,
    ) -> Result<(Self, KeySource), SecretsError> {
        if let Some(v) = env_value.filter(|v| !v.trim().is_empty()) {
            return Ok((Self::parse(v, env_name)?, KeySource::Env(env_name.into())));
        }
        let path = key_file.display().to_string();
        let io = |error| SecretsError::KeyFileIo {
            path: path.clone(),
            error,
        };
        match std::fs::read_to_string(key_file) {
            Ok(text) => {
                check_mode(key_file)?;
                let text = Zeroizing::new(text);
                Ok((Self::parse(&text, &path)?, KeySource::File(path.clone())))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                if let Some(dir) = key_file.parent() {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    options.mode(0o600);
                }
                let mut file = options.open(key_file).map_err(io)?;
                let text = Zeroizing::new(format!("{}\n", STANDARD.encode(*key.bytes)));
                file.write_all(text.as_bytes()).map_err(io)?;
                file.sync_all().map_err(io)?;
                Ok((key, KeySource::Created(path.clone())))
            }
            Err(e) => Err(io(e)),
        }
    }

    /// The raw key.
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// A short fingerprint that identifies the key without revealing it.
    pub fn id(&self) -> [u8; 8] {
        let digest = Sha256::new()
            .chain_update(b"weft master key id\0")
            .chain_update(*self.bytes)
            .finalize();
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[..8]);
        id
    }

    /// [`MasterKey::id`] as hex, for logs.
    pub fn id_hex(&self) -> String {
        self.id().iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(unix)]
fn check_mode(path: &Path) -> Result<(), SecretsError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|error| SecretsError::KeyFileIo {
        path: path.display().to_string(),
        error,
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(SecretsError::KeyFileTooOpen {
            path: path.display().to_string(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_mode(_path: &Path) -> Result<(), SecretsError> {
    Ok(())
}
