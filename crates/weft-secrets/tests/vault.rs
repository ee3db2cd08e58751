//! The master key's sources, sealing, tamper detection and redaction.

use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use weft_secrets::{KeySource, MasterKey, REDACTED, Redactor, SecretsError, Vault};

const HEX_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

#[test]
fn a_key_file_is_created_once_with_mode_0600_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys/master.key");
    let (first, source) = MasterKey::load("WEFT_MASTER_KEY", None, &path).unwrap();
    assert!(matches!(source, KeySource::Created(_)));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let (again, source) = MasterKey::load("WEFT_MASTER_KEY", None, &path).unwrap();
    assert!(matches!(source, KeySource::File(_)));
    assert_eq!(first.id(), again.id());
    // What one sealed, the other opens.
    let sealed = Vault::new(&first).seal(b"hunter22", b"org/cred");
    let opened = Vault::new(&again).open(&sealed, b"org/cred").unwrap();
    assert_eq!(opened.expose(), b"hunter22");
}

#[test]
fn a_key_file_others_can_read_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    MasterKey::load("K", None, &path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = MasterKey::load("K", None, &path).unwrap_err();
    assert!(matches!(
        err,
        SecretsError::KeyFileTooOpen { mode: 0o644, .. }
    ));
    assert!(err.to_string().contains("chmod 600"), "{err}");
}

#[test]
fn the_environment_wins_and_bad_keys_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    let (key, source) = MasterKey::load("WEFT_MASTER_KEY", Some(HEX_KEY), &path).unwrap();
    assert_eq!(source, KeySource::Env("WEFT_MASTER_KEY".into()));
    assert!(
        !path.exists(),
        "no key file when the environment has the key"
    );
    let b64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let (same, _) = MasterKey::load("WEFT_MASTER_KEY", Some(b64), &path).unwrap();
    assert_eq!(key.id(), same.id());
    let err = MasterKey::load("WEFT_MASTER_KEY", Some("c2hvcnQ="), &path).unwrap_err();
    assert_eq!(
        err.to_string(),
        "WEFT_MASTER_KEY: the key is 5 bytes; AES-256 needs exactly 32"
    );
    let err = MasterKey::load("WEFT_MASTER_KEY", Some("not base64 at all!"), &path).unwrap_err();
    assert!(err.to_string().contains("base64"), "{err}");
    assert!(
        !format!("{key:?}").contains("0001"),
        "Debug shows only the key id"
    );
}

#[test]
fn every_record_gets_a_fresh_nonce() {
    let vault = Vault::new(&MasterKey::generate());
    let a = vault.seal(b"same secret", b"org/1");
    let b = vault.seal(b"same secret", b"org/1");
    assert_ne!(a, b);
    assert_ne!(a[9..21], b[9..21], "nonces differ");
    assert!(
        !a.windows(11).any(|w| w == b"same secret"),
        "plaintext does not appear in the record"
    );
}

#[test]
fn tampering_moving_and_wrong_keys_are_detected() {
    let key = MasterKey::generate();
    let vault = Vault::new(&key);
    let sealed = vault.seal(b"token-123456", b"org-a/cred-1");
    for i in [0, 5, 15, 25, sealed.len() - 1] {
        let mut bad = sealed.clone();
        bad[i] ^= 0x01;
        assert!(vault.open(&bad, b"org-a/cred-1").is_err(), "byte {i}");
    }
    assert!(matches!(
        vault.open(&sealed, b"org-b/cred-1"),
        Err(SecretsError::Corrupt)
    ));
    let other = Vault::new(&MasterKey::generate());
    assert!(matches!(
        other.open(&sealed, b"org-a/cred-1"),
        Err(SecretsError::WrongKey)
    ));
    assert!(matches!(
        vault.open(&sealed[..10], b"org-a/cred-1"),
        Err(SecretsError::Format)
    ));
    let opened = vault.open(&sealed, b"org-a/cred-1").unwrap();
    assert_eq!(opened.expose_str(), Some("token-123456"));
    assert_eq!(format!("{opened:?}"), "Secret(«redacted»)");
}

#[test]
fn redaction_reaches_nested_values_keys_and_encoded_forms() {
    let mut r = Redactor::new();
    r.add("s3cr3t-value");
    r.add("abc"); // too short to redact safely: ignored
    r.add("quote\"d");
    let mut v = json!({
        "header": "Bearer s3cr3t-value",
        "nested": [{"deep": "x s3cr3t-value y s3cr3t-value"}],
        "b64": "czNjcjN0LXZhbHVl",
        "s3cr3t-value": 1,
        "escaped": "quote\\\"d",
        "short": "abc",
        "n": 7
    });
    assert!(r.value(&mut v));
    let text = v.to_string();
    assert!(!text.contains("s3cr3t-value"), "{text}");
    assert!(!text.contains("czNjcjN0LXZhbHVl"), "{text}");
    assert!(!text.contains("quote\\\\\\\"d"), "{text}");
    assert_eq!(v["header"], json!(format!("Bearer {REDACTED}")));
    assert_eq!(v["short"], json!("abc"));
    assert_eq!(v[REDACTED], json!(1));
    assert_eq!(r.text("log: s3cr3t-value!"), format!("log: {REDACTED}!"));
    let mut clean = json!({"a": "nothing here"});
    assert!(!r.value(&mut clean));
}

#[test]
fn credential_fields_are_bound_to_org_and_id() {
    let vault = Vault::new(&MasterKey::generate());
    let fields = json!({"username": "ada", "password": "correct horse"});
    let fields = fields.as_object().unwrap();
    let sealed = vault.seal_fields("acme", "cred-1", fields);
    assert_eq!(
        &vault.open_fields("acme", "cred-1", &sealed).unwrap(),
        fields
    );
    assert!(vault.open_fields("acme", "cred-2", &sealed).is_err());
    assert!(vault.open_fields("other", "cred-1", &sealed).is_err());
}
