use crate::main_items;
use crate::support::*;
use serde_json::{Value, json};
use weft_node_api::{NodeInput, NodeType};
use weft_nodes_items::CryptoNode;

async fn result(params: Value, item: Value) -> Value {
    let mut out = main_items(run(&CryptoNode, params, vec![item]).await);
    let obj = out.remove(0);
    obj.as_object()
        .unwrap()
        .values()
        .next_back()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn hash_test_vectors() {
    let item = json!({ "s": "abc" });
    for (algorithm, hex) in [
        (
            "sha256",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        ("md5", "900150983cd24fb0d6963f7d28e17f72"),
        ("sha1", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        (
            "sha512",
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ),
    ] {
        let p = json!({ "operation": "hash", "field": "s", "algorithm": algorithm });
        assert_eq!(result(p, item.clone()).await, hex, "{algorithm}");
    }
    let p =
        json!({ "operation": "hash", "field": "s", "encoding": "base64", "outputField": "h.b64" });
    let out = main_items(run(&CryptoNode, p, vec![item]).await);
    assert_eq!(
        out[0],
        json!({ "s": "abc", "h": { "b64": "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=" } })
    );
    // Non-strings are digested as their compact JSON text.
    let p = json!({ "operation": "hash", "field": "v", "algorithm": "md5" });
    let from_json = result(p.clone(), json!({ "v": { "a": [1, true] } })).await;
    let from_text = result(p, json!({ "v": "{\"a\":[1,true]}" })).await;
    assert_eq!(from_json, from_text);
}

#[tokio::test]
async fn hmac_rfc_4231() {
    // Test case 1: key 0x0b × 20, data "Hi There".
    let p = |algorithm: &str| json!({ "operation": "hmac", "field": "data", "key": "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "keyEncoding": "hex", "algorithm": algorithm });
    let item = json!({ "data": "Hi There" });
    assert_eq!(
        result(p("sha256"), item.clone()).await,
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    );
    assert_eq!(
        result(p("sha512"), item).await,
        "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"
    );
    // Test case 2: a text key, and the key given as an expression.
    let p = json!({ "operation": "hmac", "field": "data", "key": "{{ $json.secret }}" });
    let item = json!({ "data": "what do ya want for nothing?", "secret": "Jefe" });
    assert_eq!(
        result(p, item).await,
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[tokio::test]
async fn hmac_refuses_a_badly_encoded_key_without_quoting_it() {
    let p = json!({ "operation": "hmac", "field": "data", "key": "not-hex-secret", "keyEncoding": "hex" });
    let e = failed(run(&CryptoNode, p, vec![json!({ "data": "x" })]).await);
    assert!(e.message.contains("/params/key"), "{}", e.message);
    assert!(!e.message.contains("not-hex-secret"), "{}", e.message);
    let p = json!({ "operation": "hash", "field": "data" });
    let e = failed(run(&CryptoNode, p, vec![json!({ "data": "x" }), json!({})]).await);
    assert!(
        e.message.starts_with("item 1: field \"data\" is missing"),
        "{}",
        e.message
    );
}

fn uuids(out: &[Value]) -> Vec<uuid::Uuid> {
    out.iter()
        .map(|i| i["uuid"].as_str().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test]
async fn uuids_have_version_bits_and_repeat_under_the_same_idempotency_key() {
    let items = vec![json!({}), json!({}), json!({})];
    for version in [4u8, 7] {
        let p = json!({ "operation": "uuid", "version": version });
        let first = uuids(&main_items(
            run(&CryptoNode, p.clone(), items.clone()).await,
        ));
        let again = uuids(&main_items(
            run(&CryptoNode, p.clone(), items.clone()).await,
        ));
        assert_eq!(first, again, "v{version}: a retry generates the same ids");
        for id in &first {
            assert_eq!(id.get_version_num(), usize::from(version), "{id}");
            assert_eq!(id.get_variant(), uuid::Variant::RFC4122, "{id}");
        }
        assert!(
            first[0] != first[1] && first[1] != first[2],
            "v{version}: one id per item"
        );

        let mut other = ctx(p);
        other.idempotency_key = "run-2/node-1".into();
        let other = uuids(&main_items(
            CryptoNode
                .execute(&other, NodeInput::main(items.clone()))
                .await,
        ));
        assert!(
            other.iter().all(|id| !first.contains(id)),
            "v{version}: another run, other ids"
        );
    }
    // v7 carries the step's clock and sorts in item order.
    let p = json!({ "operation": "uuid", "version": 7 });
    let ids = uuids(&main_items(run(&CryptoNode, p, items).await));
    let (secs, nanos) = ids[0].get_timestamp().unwrap().to_unix();
    assert_eq!(secs * 1000 + u64::from(nanos) / 1_000_000, NOW_MS as u64);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

#[tokio::test]
async fn random_strings_use_the_charset_and_are_replayable() {
    let p = json!({ "operation": "randomString", "length": 32, "charset": "hex", "outputField": "token" });
    let items = vec![json!({ "n": 1 }), json!({ "n": 2 })];
    let first = main_items(run(&CryptoNode, p.clone(), items.clone()).await);
    let again = main_items(run(&CryptoNode, p, items).await);
    assert_eq!(first, again);
    let a = first[0]["token"].as_str().unwrap();
    let b = first[1]["token"].as_str().unwrap();
    assert_eq!(a.len(), 32);
    assert!(
        a.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
        "{a}"
    );
    assert_ne!(a, b);
    let p = json!({ "operation": "randomString", "length": 0 });
    let e = failed(run(&CryptoNode, p, vec![json!({})]).await);
    assert!(e.message.contains("/params/length"), "{}", e.message);
}
