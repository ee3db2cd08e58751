//! Helpers shared by this crate's node types: dotted paths checked as params, seeded random
//! streams, and canonical keys for comparing JSON values.

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use weft_node_api::{NodeError, StepContext};
use weft_nodes::common::split_path;

/// Splits a dotted field path given as a param, or names the param when a segment is empty.
pub fn path_param(path: &str, pointer: &str) -> Result<Vec<String>, NodeError> {
    split_path(path)
        .map(|segs| segs.into_iter().map(str::to_string).collect())
        .ok_or_else(|| {
            NodeError::invalid_params(
                pointer,
                format!("{path:?} is not a field name or dotted path (a segment is empty)"),
            )
        })
}

/// Borrows owned segments as `&str` for the `weft_nodes::common` path helpers.
pub fn segs(owned: &[String]) -> Vec<&str> {
    owned.iter().map(String::as_str).collect()
}

/// A random stream that depends only on the step's idempotency key (stable across attempts and
/// crash recovery), a purpose and an item index: a retried step draws the same numbers.
pub fn seeded_rng(ctx: &StepContext, purpose: &str, item_index: usize) -> ChaCha20Rng {
    let mut h = Sha256::new();
    h.update(ctx.idempotency_key.as_bytes());
    h.update([0]);
    h.update(purpose.as_bytes());
    h.update([0]);
    h.update((item_index as u64).to_be_bytes());
    ChaCha20Rng::from_seed(h.finalize().into())
}

/// A uniform integer in `0..n` (`n > 0`), by rejection so no value is favoured. Written here
/// rather than taken from `rand` so the sequence can never change under a dependency update,
/// which would reorder a step replayed after an upgrade.
pub fn below(rng: &mut ChaCha20Rng, n: usize) -> usize {
    let n = n as u64;
    let zone = u64::MAX - (u64::MAX % n);
    loop {
        let x = rng.next_u64();
        if x < zone {
            return (x % n) as usize;
        }
    }
}

/// A value with object keys sorted and integral floats written as integers, so values that are
/// equal as JSON data (`{"a":1,"b":2}` and `{"b":2,"a":1.0}`) give the same key.
pub fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), canonical(&m[k]));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => Value::from(f as i64),
            _ => v.clone(),
        },
        other => other.clone(),
    }
}

/// A short description of a value for error messages: its JSON type and a bounded excerpt.
pub fn describe(v: &Value) -> String {
    let kind = match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    let text = v.to_string();
    let excerpt: String = text.chars().take(60).collect();
    if excerpt.len() < text.len() {
        format!("{kind} ({excerpt}…)")
    } else {
        format!("{kind} ({excerpt})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_ignores_key_order_and_float_spelling() {
        assert_eq!(
            canonical(&json!({"b": [1.0, {"y": 1, "x": 2}], "a": 1})),
            canonical(&json!({"a": 1.0, "b": [1, {"x": 2, "y": 1}]}))
        );
        assert_ne!(canonical(&json!(1.5)), canonical(&json!(1)));
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = ChaCha20Rng::from_seed([7; 32]);
        for n in 1..50 {
            assert!(below(&mut rng, n) < n);
        }
    }
}
