//! Sealing and opening records with AES-256-GCM.

use crate::{MasterKey, SecretsError};
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use zeroize::Zeroizing;

/// Format version of a sealed record.
const VERSION: u8 = 1;
const KEY_ID_LEN: usize = 8;
const NONCE_LEN: usize = 12;
const HEADER_LEN: usize = 1 + KEY_ID_LEN + NONCE_LEN;

/// Encrypts and decrypts credential records with the master key.
///
/// A sealed record is `version (1) ‖ key id (8) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`. The key
/// id tells "wrong master key" apart from "damaged record"; the associated data binds the record
/// to its owner so that it cannot be moved.
pub struct Vault {
    cipher: Aes256Gcm,
    key_id: [u8; KEY_ID_LEN],
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").finish_non_exhaustive()
    }
}

impl Vault {
    /// A vault over this key.
    pub fn new(key: &MasterKey) -> Self {
        Vault {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key.bytes())),
            key_id: key.id(),
        }
    }

    /// Encrypts `plaintext` for the record named by `aad` (e.g. `org/credential-id`), with a
    /// fresh random nonce.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut out = Vec::with_capacity(HEADER_LEN + ciphertext.len());
        out.push(VERSION);
        out.extend_from_slice(&self.key_id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        out
    }

    /// Decrypts a record sealed by [`Vault::seal`] with the same `aad`.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Secret, SecretsError> {
        if sealed.len() < HEADER_LEN + 16 || sealed[0] != VERSION {
            return Err(SecretsError::Format);
        }
        if sealed[1..1 + KEY_ID_LEN] != self.key_id {
            return Err(SecretsError::WrongKey);
        }
        let nonce = Nonce::from_slice(&sealed[1 + KEY_ID_LEN..HEADER_LEN]);
        let plain = self
            .cipher
            .decrypt(
                nonce,
                Payload {
                    msg: &sealed[HEADER_LEN..],
                    aad,
                },
            )
            .map_err(|_| SecretsError::Corrupt)?;
        Ok(Secret(Zeroizing::new(plain)))
    }
}

impl Vault {
    /// Seals a credential's secret fields (a JSON object) for `org`/`id`.
    pub fn seal_fields(
        &self,
        org: &str,
        id: &str,
        fields: &serde_json::Map<String, serde_json::Value>,
    ) -> Vec<u8> {
        let plain = Zeroizing::new(serde_json::to_vec(fields).expect("a JSON map serializes"));
        self.seal(&plain, &credential_aad(org, id))
    }

    /// Opens what [`Vault::seal_fields`] sealed for the same `org`/`id`.
    pub fn open_fields(
        &self,
        org: &str,
        id: &str,
        sealed: &[u8],
    ) -> Result<serde_json::Map<String, serde_json::Value>, SecretsError> {
        let plain = self.open(sealed, &credential_aad(org, id))?;
        serde_json::from_slice(plain.expose()).map_err(|_| SecretsError::Corrupt)
    }
}

/// The associated data binding a sealed credential to its organization and id.
fn credential_aad(org: &str, id: &str) -> Vec<u8> {
    format!("weft credential\0{org}\0{id}").into_bytes()
}

/// Decrypted secret bytes: wiped on drop, never shown by `Debug`.
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// The bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
    /// The bytes as UTF-8 text, if they are.
    pub fn expose_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(«redacted»)")
    }
}
