//! `items.crypto@1`: hashes, HMACs, UUIDs and random strings in item fields.

use crate::common::{below, path_param, seeded_rng, segs};
use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use rand_chacha::rand_core::RngCore;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sha2::Digest;
use std::sync::OnceLock;
use weft_node_api::{
    NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, Purity, ResolvedPorts, StepContext,
    StepResult,
};
use weft_nodes::common::{
    as_object, get_path, main_in_main_out, node_info, object_schema, set_path, with_keyword,
};

/// `items.crypto@1`: per item, a digest or HMAC of a field (hex or base64), or a generated
/// UUID (v4, v7) or random string. Generated values come from a stream seeded by the step's
/// idempotency key and the item index, so a retried step generates the same values.
#[derive(Debug, Clone, Copy, Default)]
pub struct CryptoNode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Operation {
    Hash,
    Hmac,
    Uuid,
    RandomString,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Algorithm {
    #[default]
    Sha256,
    Sha512,
    Sha1,
    Md5,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Encoding {
    #[default]
    Hex,
    Base64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum KeyEncoding {
    #[default]
    Utf8,
    Hex,
    Base64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Charset {
    #[default]
    Alphanumeric,
    Alphabetic,
    Numeric,
    Hex,
    Base64url,
}

impl Charset {
    fn chars(self) -> &'static [u8] {
        match self {
            Charset::Alphanumeric => {
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
            }
            Charset::Alphabetic => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            Charset::Numeric => b"0123456789",
            Charset::Hex => b"0123456789abcdef",
            Charset::Base64url => {
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
            }
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Params {
    operation: Operation,
    field: Option<String>,
    output_field: Option<String>,
    #[serde(default)]
    algorithm: Algorithm,
    #[serde(default)]
    encoding: Encoding,
    key: Option<String>,
    #[serde(default)]
    key_encoding: KeyEncoding,
    #[serde(default = "default_version")]
    version: u8,
    #[serde(default = "default_length")]
    length: usize,
    #[serde(default)]
    charset: Charset,
}

fn default_version() -> u8 {
    4
}

fn default_length() -> usize {
    16
}

/// The longest random string.
const MAX_LENGTH: usize = 4096;

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let example = json!({
            "operation": "hmac",
            "field": "body",
            "algorithm": "sha256",
            "key": "{{ $vars.webhookSecret }}",
            "encoding": "hex",
            "outputField": "signature",
        });
        let schema = object_schema(
            "items.crypto params",
            json!({
                "operation": {
                    "type": "string",
                    "enum": ["hash", "hmac", "uuid", "randomString"],
                    "description": "hash: digest of `field`; hmac: keyed digest of `field`; uuid: a new UUID; randomString: `length` characters from `charset`. Generated values are seeded by the step's idempotency key and the item index: a retried step produces the same values, another run different ones.",
                },
                "field": { "type": "string", "minLength": 1, "description": "hash / hmac: the input field, by name or dotted path. A string is digested as its UTF-8 bytes; any other value as its compact JSON text.", "examples": ["body", "user.email"] },
                "outputField": { "type": "string", "minLength": 1, "description": "Where the result goes (name or dotted path). Default: \"hash\", \"hmac\", \"uuid\" or \"random\" after the operation." },
                "algorithm": { "type": "string", "enum": ["sha256", "sha512", "sha1", "md5"], "default": "sha256", "description": "Digest for hash (all four) and hmac (sha256, sha512, sha1). sha1 and md5 are for compatibility with other systems, not for security." },
                "encoding": { "type": "string", "enum": ["hex", "base64"], "default": "hex", "description": "How the digest is written: lowercase hex or standard base64 with padding." },
                "key": { "type": "string", "minLength": 1, "description": "hmac: the secret key, written in keyEncoding. Prefer an expression over a literal secret in the document." },
                "keyEncoding": { "type": "string", "enum": ["utf8", "hex", "base64"], "default": "utf8", "description": "How `key` is written: text (its UTF-8 bytes), hex, or standard base64." },
                "version": { "type": "integer", "enum": [4, 7], "default": 4, "description": "uuid: 4 (random) or 7 (time-ordered: the step's clock in milliseconds, then the item index in the 12-bit counter, then random bits)." },
                "length": { "type": "integer", "minimum": 1, "maximum": MAX_LENGTH, "default": 16, "description": "randomString: number of characters." },
                "charset": { "type": "string", "enum": ["alphanumeric", "alphabetic", "numeric", "hex", "base64url"], "default": "alphanumeric", "description": "randomString: the characters drawn from, each equally likely." },
            }),
            &["operation"],
            vec![
                example.clone(),
                json!({ "operation": "hash", "field": "email", "algorithm": "md5", "outputField": "gravatarHash" }),
                json!({ "operation": "uuid", "version": 7, "outputField": "id" }),
                json!({ "operation": "randomString", "length": 24, "charset": "base64url", "outputField": "token" }),
            ],
        );
        let rules = json!([
            { "if": { "properties": { "operation": { "const": "hash" } } }, "then": { "required": ["field"] } },
            {
                "if": { "properties": { "operation": { "const": "hmac" } } },
                "then": { "required": ["field", "key"], "properties": { "algorithm": { "not": { "const": "md5" } } } },
            },
        ]);
        node_info(
            "items.crypto",
            "Crypto",
            "Utilities",
            &format!(
                "Hashes (SHA-256, SHA-512, SHA-1, MD5) or HMACs (SHA-256, SHA-512, SHA-1) a \
                 field into hex or base64, or generates UUIDs (v4, v7) and random strings. \
                 Generated values are not from the OS: they are drawn from a ChaCha20 stream \
                 seeded by the step's idempotency key and the item index, so the step is \
                 replayable (a v7 UUID's timestamp is the attempt's clock, though). They are \
                 unpredictable only to someone who cannot learn the run id and node id: do not \
                 use them as secrets. Effectful so that generated ids are never reused from the \
                 step cache by another run. Params are read per item ($json is that item). \
                 Example params: {example}"
            ),
            Purity::Effectful,
            with_keyword(schema, "allOf", rules),
        )
    })
}

fn digest<D: Digest>(data: &[u8]) -> Vec<u8> {
    D::digest(data).to_vec()
}

fn hmac<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length (long ones are hashed first), so this cannot fail.
    match <M as hmac::digest::KeyInit>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn input_bytes(item: &Value, field: &str, i: usize) -> Result<Vec<u8>, NodeError> {
    match get_path(item, field) {
        Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
        Some(other) => Ok(other.to_string().into_bytes()),
        None => Err(NodeError::permanent(
            "crypto.missing_field",
            format!("item {i}: field {field:?} is missing"),
        )
        .with_details(json!({ "itemIndex": i, "field": field }))),
    }
}

fn required<'a>(v: &'a Option<String>, name: &str, op: &str) -> Result<&'a str, NodeError> {
    v.as_deref().ok_or_else(|| {
        NodeError::invalid_params(
            &format!("/params/{name}"),
            format!("operation {op} needs {name}"),
        )
    })
}

impl CryptoNode {
    fn one(ctx: &StepContext, p: &Params, i: usize, item: &Value) -> Result<Value, NodeError> {
        let encode = |bytes: Vec<u8>| match p.encoding {
            Encoding::Hex => hex(&bytes),
            Encoding::Base64 => BASE64.encode(bytes),
        };
        let (result, default_out) = match p.operation {
            Operation::Hash => {
                let field = required(&p.field, "field", "hash")?;
                path_param(field, "/params/field")?;
                let data = input_bytes(item, field, i)?;
                let bytes = match p.algorithm {
                    Algorithm::Sha256 => digest::<sha2::Sha256>(&data),
                    Algorithm::Sha512 => digest::<sha2::Sha512>(&data),
                    Algorithm::Sha1 => digest::<sha1::Sha1>(&data),
                    Algorithm::Md5 => digest::<md5::Md5>(&data),
                };
                (Value::from(encode(bytes)), "hash")
            }
            Operation::Hmac => {
                let field = required(&p.field, "field", "hmac")?;
                path_param(field, "/params/field")?;
                let key_text = required(&p.key, "key", "hmac")?;
                let key = match p.key_encoding {
                    KeyEncoding::Utf8 => Some(key_text.as_bytes().to_vec()),
                    KeyEncoding::Hex => unhex(key_text),
                    KeyEncoding::Base64 => BASE64.decode(key_text.trim()).ok(),
                };
                // The message never quotes the key: it is a secret.
                let key = key.ok_or_else(|| {
                    NodeError::invalid_params(
                        "/params/key",
                        format!("is not valid {:?} text", p.key_encoding),
                    )
                })?;
                let data = input_bytes(item, field, i)?;
                let bytes = match p.algorithm {
                    Algorithm::Sha256 => hmac::<Hmac<sha2::Sha256>>(&key, &data),
                    Algorithm::Sha512 => hmac::<Hmac<sha2::Sha512>>(&key, &data),
                    Algorithm::Sha1 => hmac::<Hmac<sha1::Sha1>>(&key, &data),
                    Algorithm::Md5 => {
                        return Err(NodeError::invalid_params(
                            "/params/algorithm",
                            "hmac takes sha256, sha512 or sha1",
                        ));
                    }
                };
                (Value::from(encode(bytes)), "hmac")
            }
            Operation::Uuid => {
                let mut rng = seeded_rng(ctx, "items.crypto/uuid", i);
                let mut bytes = [0u8; 16];
                rng.fill_bytes(&mut bytes);
                let id = match p.version {
                    4 => uuid::Builder::from_random_bytes(bytes).into_uuid(),
                    7 => {
                        let ms = u64::try_from(ctx.now_ms).map_err(|_| {
                            NodeError::permanent(
                                "crypto.clock",
                                "the step's clock is before 1970: no v7 UUID",
                            )
                        })?;
                        let mut rest = [0u8; 10];
                        rest.copy_from_slice(&bytes[..10]);
                        // The 12 bits after the version hold the item index, so ids made by
                        // one step sort in item order (up to 4096 items, then they tie).
                        let counter = i.min(0x0fff) as u16;
                        rest[0] = (counter >> 8) as u8;
                        rest[1] = (counter & 0xff) as u8;
                        uuid::Builder::from_unix_timestamp_millis(ms, &rest).into_uuid()
                    }
                    other => {
                        return Err(NodeError::invalid_params(
                            "/params/version",
                            format!("UUID version {other} is not offered: use 4 or 7"),
                        ));
                    }
                };
                (Value::from(id.hyphenated().to_string()), "uuid")
            }
            Operation::RandomString => {
                if p.length == 0 || p.length > MAX_LENGTH {
                    return Err(NodeError::invalid_params(
                        "/params/length",
                        format!("must be between 1 and {MAX_LENGTH}, got {}", p.length),
                    ));
                }
                let mut rng = seeded_rng(ctx, "items.crypto/randomString", i);
                let chars = p.charset.chars();
                let s: String = (0..p.length)
                    .map(|_| chars[below(&mut rng, chars.len())] as char)
                    .collect();
                (Value::from(s), "random")
            }
        };
        let out = p.output_field.as_deref().unwrap_or(default_out);
        let out = path_param(out, "/params/outputField")?;
        let mut obj = as_object(item.clone());
        set_path(&mut obj, &segs(&out), result);
        Ok(Value::Object(obj))
    }
}

#[async_trait]
impl NodeType for CryptoNode {
    fn info(&self) -> &NodeTypeInfo {
        info()
    }

    fn ports(&self, _params: &Map<String, Value>) -> Result<ResolvedPorts, String> {
        Ok(main_in_main_out())
    }

    async fn execute(&self, ctx: &StepContext, input: NodeInput) -> Result<StepResult, NodeError> {
        let items = input.main_items();
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let p: Params = ctx.params_for(items, i)?;
            out.push(Self::one(ctx, &p, i, item)?);
        }
        Ok(StepResult::Done(NodeOutput::main(out)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        assert_eq!(hex(&[0, 0xab, 0xff]), "00abff");
        assert_eq!(unhex("00abFF"), Some(vec![0, 0xab, 0xff]));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
    }
}
