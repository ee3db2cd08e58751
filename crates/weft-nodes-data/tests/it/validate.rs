use crate::support::*;
use serde_json::{Value, json};
use weft_nodes_data::ValidateNode;

fn person_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "email": { "type": "string", "minLength": 3 },
            "age": { "type": "integer", "minimum": 0 },
            "tags": { "type": "array", "items": { "type": "string" } },
        },
        "required": ["email"],
    })
}

#[tokio::test]
async fn routes_valid_and_invalid_items_with_violations() {
    let items = vec![
        json!({ "email": "ada@example.com", "age": 36 }),
        json!({ "age": -1, "tags": ["ok", 5] }),
        json!({ "email": "alan@example.com", "tags": [] }),
    ];
    let out = done(
        run(
            &ValidateNode,
            json!({ "schema": person_schema() }),
            items.clone(),
        )
        .await,
    );
    assert_eq!(port_names(&out), vec!["valid", "invalid"]);
    assert_eq!(
        out.get("valid").unwrap(),
        &[items[0].clone(), items[2].clone()]
    );
    let invalid = out.get("invalid").unwrap();
    assert_eq!(invalid.len(), 1);
    assert_eq!(invalid[0]["item"], items[1]);
    let violations = invalid[0]["violations"].as_array().unwrap();
    let mut paths: Vec<(String, String)> = violations
        .iter()
        .map(|v| {
            assert!(!v["message"].as_str().unwrap().is_empty(), "{v}");
            (
                v["instancePath"].as_str().unwrap().to_string(),
                v["schemaPath"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        vec![
            ("".to_string(), "/required".to_string()),
            ("/age".to_string(), "/properties/age/minimum".to_string()),
            (
                "/tags/1".to_string(),
                "/properties/tags/items/type".to_string()
            ),
        ]
    );
    let required = violations
        .iter()
        .find(|v| v["schemaPath"] == "/required")
        .unwrap();
    assert!(
        required["message"].as_str().unwrap().contains("email"),
        "{required}"
    );
}

#[tokio::test]
async fn only_outputs_that_receive_items_are_emitted() {
    let out = done(
        run(
            &ValidateNode,
            json!({ "schema": person_schema() }),
            vec![json!({ "email": "a@b.c" })],
        )
        .await,
    );
    assert_eq!(port_names(&out), vec!["valid"]);
    let out = done(
        run(
            &ValidateNode,
            json!({ "schema": person_schema() }),
            vec![json!({})],
        )
        .await,
    );
    assert_eq!(port_names(&out), vec!["invalid"]);
    let out = done(run(&ValidateNode, json!({ "schema": person_schema() }), vec![]).await);
    assert!(port_names(&out).is_empty());
}

#[tokio::test]
async fn validates_a_field_and_a_missing_field_as_null() {
    let schema = json!({ "type": "array", "items": { "type": "number" } });
    let items = vec![
        json!({ "payload": { "values": [1, 2.5] } }),
        json!({ "payload": { "values": [1, "two"] } }),
        json!({ "payload": {} }),
    ];
    let out = done(
        run(
            &ValidateNode,
            json!({ "schema": schema, "field": "payload.values" }),
            items.clone(),
        )
        .await,
    );
    assert_eq!(out.get("valid").unwrap(), &[items[0].clone()]);
    let invalid = out.get("invalid").unwrap();
    assert_eq!(invalid[0]["item"], items[1]);
    assert_eq!(invalid[0]["violations"][0]["instancePath"], "/1");
    assert_eq!(invalid[1]["item"], items[2]);
    assert_eq!(invalid[1]["violations"][0]["instancePath"], "");
    assert!(
        invalid[1]["violations"][0]["message"]
            .as_str()
            .unwrap()
            .contains("null"),
        "{}",
        invalid[1]
    );
}

#[tokio::test]
async fn max_violations_caps_the_list() {
    let items = vec![json!([1, 2, 3, 4, 5])];
    let schema = json!({ "type": "array", "items": { "type": "string" } });
    let out = done(
        run(
            &ValidateNode,
            json!({ "schema": schema, "maxViolations": 2 }),
            items,
        )
        .await,
    );
    assert_eq!(
        out.get("invalid").unwrap()[0]["violations"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn fail_on_invalid_fails_the_step_at_the_first_invalid_item() {
    let items = vec![
        json!({ "email": "a@b.c" }),
        json!({ "email": 5 }),
        json!({}),
    ];
    let e = failed(
        run(
            &ValidateNode,
            json!({ "schema": person_schema(), "failOnInvalid": true }),
            items,
        )
        .await,
    );
    assert_eq!(e.code, "validate.invalid");
    assert!(!e.is_transient());
    assert!(
        e.message
            .starts_with("item 1 does not match the schema: at /email:"),
        "{}",
        e.message
    );
    assert_eq!(e.details["itemIndex"], 1);
    assert_eq!(
        e.details["violations"][0]["schemaPath"],
        "/properties/email/type"
    );
}

#[tokio::test]
async fn a_bad_schema_is_a_params_error_naming_the_place_in_it() {
    let schema = json!({ "type": "object", "properties": { "age": { "type": "integr" } } });
    let e = failed(run(&ValidateNode, json!({ "schema": schema }), vec![json!({})]).await);
    assert_eq!(e.code, "params.invalid");
    assert!(
        e.message.contains("/params/schema/properties/age/type"),
        "{}",
        e.message
    );
    assert_eq!(e.details["pointer"], "/params/schema/properties/age/type");

    let schema = json!({ "properties": { "n": { "minimum": "zero" } } });
    let e = failed(run(&ValidateNode, json!({ "schema": schema }), vec![json!({})]).await);
    assert!(
        e.message.contains("/params/schema/properties/n/minimum"),
        "{}",
        e.message
    );

    let e = failed(
        run(
            &ValidateNode,
            json!({ "schema": "object" }),
            vec![json!({})],
        )
        .await,
    );
    assert!(
        e.message.contains("/params/schema") && e.message.contains("a string"),
        "{}",
        e.message
    );

    // References are never fetched: a remote one fails to compile instead.
    let schema = json!({ "properties": { "p": { "$ref": "https://example.com/person.json" } } });
    let e = failed(run(&ValidateNode, json!({ "schema": schema }), vec![json!({})]).await);
    assert_eq!(e.code, "params.invalid");
    assert_eq!(e.details["pointer"], "/params/schema/properties/p");
    assert!(e.message.contains("never fetched"), "{}", e.message);

    let schema = json!({ "items": [{ "$ref": "#/$defs/nope" }] });
    let schema = json!({ "prefixItems": schema["items"] });
    let e = failed(run(&ValidateNode, json!({ "schema": schema }), vec![json!({})]).await);
    assert_eq!(e.details["pointer"], "/params/schema/prefixItems/0");
    assert!(e.message.contains("/$defs/nope"), "{}", e.message);
}

#[tokio::test]
async fn the_schema_may_come_from_an_expression_and_refs_resolve_locally() {
    let schema = json!({
        "$defs": { "big": { "type": "number", "exclusiveMinimum": "{{ $vars.threshold }}" } },
        "type": "object",
        "properties": { "n": { "$ref": "#/$defs/big" } },
        "required": ["n"],
    });
    let out = done(
        run(
            &ValidateNode,
            json!({ "schema": schema }),
            vec![json!({ "n": 5 }), json!({ "n": 3 }), json!({ "m": 1 })],
        )
        .await,
    );
    assert_eq!(out.get("valid").unwrap(), &[json!({ "n": 5 })]);
    let invalid = out.get("invalid").unwrap();
    // schemaPath is where the failing keyword is written, through the $ref.
    assert_eq!(
        invalid[0]["violations"][0]["schemaPath"],
        "/$defs/big/exclusiveMinimum"
    );
    assert_eq!(invalid[0]["violations"][0]["instancePath"], "/n");
    assert_eq!(invalid[1]["violations"][0]["schemaPath"], "/required");
}

#[tokio::test]
async fn formats_are_checked_only_when_asked() {
    let schema = json!({ "type": "string", "format": "email" });
    let items = vec![json!("not an email")];
    let out = done(
        run(
            &ValidateNode,
            json!({ "schema": schema.clone() }),
            items.clone(),
        )
        .await,
    );
    assert_eq!(port_names(&out), vec!["valid"]);
    let out = done(
        run(
            &ValidateNode,
            json!({ "schema": schema, "validateFormats": true }),
            items,
        )
        .await,
    );
    assert_eq!(port_names(&out), vec!["invalid"]);
}
