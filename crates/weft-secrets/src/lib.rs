//! Credentials at rest: a master key, records sealed with AES-256-GCM, and redaction of secret
//! values from anything that gets stored or shown.
//!
//! - [`MasterKey::load`] takes the key from `WEFT_MASTER_KEY` (base64 or hex of 32 bytes) or from
//!   a key file, creating the file with mode 0600 on first start and refusing one that others
//!   can read.
//! - [`Vault::seal`] encrypts one record with a fresh random 96-bit nonce; the record's identity
//!   (organization and credential id) is bound as associated data, so a sealed value copied onto
//!   another record does not open.
//! - [`Redactor`] replaces every secret value found in JSON values and text.
#![warn(missing_docs)]

mod key;
mod redact;
mod vault;

pub use key::{KeySource, MasterKey};
pub use redact::{REDACTED, Redactor};
pub use vault::{Secret, Vault};

/// Why a key could not be loaded or a record could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// The key in the environment variable or file is not 32 bytes of base64 or hex.
    #[error("{source_name}: {message}")]
    BadKey {
        /// Where the key came from.
        source_name: String,
        /// What is wrong with it.
        message: String,
    },
    /// The key file can be read by other users.
    #[error(
        "key file {path} has mode {mode:o}; it must be readable by its owner only (chmod 600 {path})"
    )]
    KeyFileTooOpen {
        /// The file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// Reading or creating the key file failed.
    #[error("key file {path}: {error}")]
    KeyFileIo {
        /// The file.
        path: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The record was sealed with another master key.
    #[error("the credential was encrypted with a different master key")]
    WrongKey,
    /// The record is damaged, or was moved from another credential.
    #[error("the credential does not decrypt: it is damaged or belongs to another record")]
    Corrupt,
    /// Not a sealed record of a known format.
    #[error("not a sealed credential (unknown format)")]
    Format,
}

/// Credential kinds and the fields each must have (`custom` takes any fields). The CLI and the
/// API check new credentials against this one list.
pub const CREDENTIAL_KINDS: &[(&str, &[&str])] = &[
    ("bearer", &["token"]),
    ("basic", &["username", "password"]),
    ("header", &["name", "value"]),
    ("apiKey", &["name", "value"]),
    (
        "oauth2ClientCredentials",
        &["tokenUrl", "clientId", "clientSecret"],
    ),
    ("hmac", &["secret"]),
    ("custom", &[]),
];

/// Checks a credential's kind and that it has its required fields, each a string.
pub fn check_credential_fields(
    kind: &str,
    fields: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), String> {
    let Some((_, required)) = CREDENTIAL_KINDS.iter().find(|(k, _)| *k == kind) else {
        let kinds: Vec<&str> = CREDENTIAL_KINDS.iter().map(|(k, _)| *k).collect();
        return Err(format!(
            "unknown kind {kind:?}; use one of {}",
            kinds.join(", ")
        ));
    };
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|f| !fields.get(*f).is_some_and(serde_json::Value::is_string))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "a {kind} credential needs the string field(s) {}",
            missing.join(", ")
        ))
    }
}
