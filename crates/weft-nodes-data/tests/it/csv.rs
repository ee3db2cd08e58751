use crate::support::*;
use serde_json::{Value, json};
use weft_node_api::LogLevel;
use weft_nodes_data::CsvNode;

async fn parse(params: Value, items: Vec<Value>) -> Vec<Value> {
    done(run(&CsvNode, params, items).await)
        .get("main")
        .expect("main is emitted")
        .to_vec()
}

#[tokio::test]
async fn quoted_fields_hold_delimiters_line_breaks_and_quotes() {
    let text = "name,quote,city\n\
                \"Lovelace, Ada\",\"She said \"\"hi\"\"\",London\n\
                Turing,\"line one\nline two\",\"Wilmslow\"\n";
    let rows = parse(json!({ "operation": "parse", "text": text }), vec![]).await;
    assert_eq!(
        rows,
        vec![
            json!({ "name": "Lovelace, Ada", "quote": "She said \"hi\"", "city": "London" }),
            json!({ "name": "Turing", "quote": "line one\nline two", "city": "Wilmslow" }),
        ]
    );
}

#[tokio::test]
async fn reads_the_field_of_each_item_and_rows_follow_each_other() {
    let items = vec![
        json!({ "body": "a,b\n1,2\n3,4" }),
        json!({ "body": "a,b\r\n5,6\r\n" }),
    ];
    let rows = parse(json!({ "operation": "parse", "field": "body" }), items).await;
    assert_eq!(
        rows,
        vec![
            json!({ "a": "1", "b": "2" }),
            json!({ "a": "3", "b": "4" }),
            json!({ "a": "5", "b": "6" }),
        ]
    );
}

#[tokio::test]
async fn the_default_field_is_csv_and_dotted_paths_reach_nested_fields() {
    let rows = parse(
        json!({ "operation": "parse" }),
        vec![json!({ "csv": "x\n1" })],
    )
    .await;
    assert_eq!(rows, vec![json!({ "x": "1" })]);
    let rows = parse(
        json!({ "operation": "parse", "field": "file.text" }),
        vec![json!({ "file": { "text": "x\n2" } })],
    )
    .await;
    assert_eq!(rows, vec![json!({ "x": "2" })]);
}

#[tokio::test]
async fn tab_delimiter_and_a_custom_quote() {
    for delimiter in ["\t", "tab", "\\t"] {
        let rows = parse(
            json!({ "operation": "parse", "delimiter": delimiter, "text": "a\tb\n1, x\t'y\tz'" , "quote": "'" }),
            vec![],
        )
        .await;
        assert_eq!(
            rows,
            vec![json!({ "a": "1, x", "b": "y\tz" })],
            "{delimiter:?}"
        );
    }
}

#[tokio::test]
async fn without_a_header_columns_are_named_or_numbered() {
    let text = "1,ada@example.com\n2,alan@example.com\n";
    let rows = parse(
        json!({ "operation": "parse", "text": text, "header": false, "columns": ["id", "email"] }),
        vec![],
    )
    .await;
    assert_eq!(
        rows,
        vec![
            json!({ "id": "1", "email": "ada@example.com" }),
            json!({ "id": "2", "email": "alan@example.com" }),
        ]
    );
    let rows = parse(
        json!({ "operation": "parse", "text": text, "header": false }),
        vec![],
    )
    .await;
    assert_eq!(
        rows[0],
        json!({ "column1": "1", "column2": "ada@example.com" })
    );
    // With a header, explicit columns rename and the header row is skipped.
    let rows = parse(
        json!({ "operation": "parse", "text": "x,y\n1,2", "columns": ["a", "b"] }),
        vec![],
    )
    .await;
    assert_eq!(rows, vec![json!({ "a": "1", "b": "2" })]);
}

#[tokio::test]
async fn type_inference_on_and_off() {
    let text =
        "int,float,bool,empty,zip,big,word\n42,-1.5e2,TRUE,,00123,123456789012345678901234,null\n";
    let rows = parse(
        json!({ "operation": "parse", "text": text, "inferTypes": true }),
        vec![],
    )
    .await;
    assert_eq!(
        rows,
        vec![json!({
            "int": 42, "float": -150.0, "bool": true, "empty": null,
            "zip": "00123", "big": "123456789012345678901234", "word": "null",
        })]
    );
    assert!(rows[0]["int"].is_i64());
    let rows = parse(json!({ "operation": "parse", "text": text }), vec![]).await;
    assert_eq!(
        rows,
        vec![json!({
            "int": "42", "float": "-1.5e2", "bool": "TRUE", "empty": "",
            "zip": "00123", "big": "123456789012345678901234", "word": "null",
        })]
    );
}

#[tokio::test]
async fn trimming_empty_lines_short_rows_and_max_rows() {
    // Quotes count only right after a delimiter, as the reader sees them before trimming.
    let text = " a , b \n 1 ,\" x \"\n\n,\n2\n3,4\n";
    let rows = parse(
        json!({ "operation": "parse", "text": text, "trim": true }),
        vec![],
    )
    .await;
    // The blank line is always skipped, ",\n" because skipEmptyLines is on by default; the
    // short row "2" gets null for b.
    assert_eq!(
        rows,
        vec![
            json!({ "a": "1", "b": "x" }),
            json!({ "a": "2", "b": null }),
            json!({ "a": "3", "b": "4" }),
        ]
    );
    let rows = parse(
        json!({ "operation": "parse", "text": text, "trim": true, "skipEmptyLines": false }),
        vec![],
    )
    .await;
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[1], json!({ "a": "", "b": "" }));
    let untrimmed = parse(json!({ "operation": "parse", "text": text }), vec![]).await;
    assert_eq!(untrimmed[0], json!({ " a ": " 1 ", " b ": " x " }));

    let node = CsvNode;
    let ctx = ctx(json!({ "operation": "parse", "text": text, "maxRows": 2 }));
    let out = done(
        weft_node_api::NodeType::execute(&node, &ctx, weft_node_api::NodeInput::main(vec![])).await,
    );
    assert_eq!(out.get("main").unwrap().len(), 2);
    let logs = ctx.take_logs();
    assert!(
        logs.iter()
            .any(|l| l.level == LogLevel::Info && l.message.contains("maxRows = 2")),
        "{logs:?}"
    );
}

#[tokio::test]
async fn table_output_gives_one_item_per_text() {
    let out = parse(
        json!({ "operation": "parse", "text": "{{ $json.t }}", "output": "table", "inferTypes": true }),
        vec![json!({ "t": "id,name\n1,Ada\n2,\n" }), json!({ "t": "id,name\n" })],
    )
    .await;
    assert_eq!(
        out,
        vec![
            json!({ "columns": ["id", "name"], "rows": [[1, "Ada"], [2, null]] }),
            json!({ "columns": ["id", "name"], "rows": [] }),
        ]
    );
}

#[tokio::test]
async fn fifty_thousand_rows_parse() {
    let mut text = String::from("id,name,score,note\n");
    for i in 0..50_000 {
        text.push_str(&format!(
            "{i},user {i},{}.5,\"a, \"\"quoted\"\" note\"\n",
            i % 100
        ));
    }
    let rows = parse(
        json!({ "operation": "parse", "inferTypes": true }),
        vec![json!({ "csv": text })],
    )
    .await;
    assert_eq!(rows.len(), 50_000);
    assert_eq!(
        rows[49_999],
        json!({ "id": 49_999, "name": "user 49999", "score": 99.5, "note": "a, \"quoted\" note" })
    );
}

#[tokio::test]
async fn malformed_csv_names_the_line() {
    let e = failed(
        run(
            &CsvNode,
            json!({ "operation": "parse", "field": "body" }),
            vec![json!({ "body": "a,b\n1,2\n\"multi\nline\",2\n3,4,5\n" })],
        )
        .await,
    );
    assert_eq!(e.code, "csv.malformed");
    assert!(!e.is_transient());
    assert!(e.message.contains("line 5"), "{}", e.message);
    assert!(
        e.message.contains("field \"body\" of item 0"),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("3 values but there are 2 columns"),
        "{}",
        e.message
    );
    assert_eq!(e.details["line"], 5);
    assert_eq!(e.details["itemIndex"], 0);

    let e = failed(
        run(
            &CsvNode,
            json!({ "operation": "parse", "text": "a,b\n1,2\n3,\"never closed\n4,5\n" }),
            vec![],
        )
        .await,
    );
    assert_eq!(e.code, "csv.malformed");
    assert!(e.message.contains("line 3"), "{}", e.message);
    assert!(e.message.contains("never closed"), "{}", e.message);

    let e = failed(
        run(
            &CsvNode,
            json!({ "operation": "parse", "text": "a,b,a\n1,2,3" }),
            vec![],
        )
        .await,
    );
    assert_eq!(e.code, "csv.duplicate_column");
    assert!(
        e.message.contains("line 1") && e.message.contains("\"a\""),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn missing_or_non_text_fields_and_bad_options_are_named() {
    let e = failed(
        run(
            &CsvNode,
            json!({ "operation": "parse" }),
            vec![json!({ "x": 1 }), json!({})],
        )
        .await,
    );
    assert_eq!(e.code, "csv.field_missing");
    assert!(
        e.message.contains("item 0") && e.message.contains("\"csv\""),
        "{}",
        e.message
    );
    let e = failed(
        run(
            &CsvNode,
            json!({ "operation": "parse" }),
            vec![json!({ "csv": [1] })],
        )
        .await,
    );
    assert_eq!(e.code, "csv.not_text");
    assert!(e.message.contains("an array"), "{}", e.message);

    let e = failed(
        run(
            &CsvNode,
            json!({ "operation": "parse", "text": "a", "delimiter": ";;" }),
            vec![],
        )
        .await,
    );
    assert_eq!(e.code, "params.invalid");
    assert!(e.message.contains("/params/delimiter"), "{}", e.message);
    let e = failed(
        run(
            &CsvNode,
            json!({ "operation": "parse", "text": "a", "quote": "," }),
            vec![],
        )
        .await,
    );
    assert!(e.message.contains("/params/quote"), "{}", e.message);
    let e = failed(
        run(
            &CsvNode,
            json!({ "operation": "write", "text": "a" }),
            vec![json!({})],
        )
        .await,
    );
    assert!(
        e.message.contains("/params/text") && e.message.contains("write"),
        "{}",
        e.message
    );
    let e = failed(
        run(
            &CsvNode,
            json!({ "operation": "parse", "text": "a", "columns": ["x", "x"] }),
            vec![],
        )
        .await,
    );
    assert!(e.message.contains("/params/columns/1"), "{}", e.message);
    let e = failed(run(&CsvNode, json!({ "operation": "unzip" }), vec![]).await);
    assert!(e.message.contains("/params/operation"), "{}", e.message);
}

#[tokio::test]
async fn write_renders_items_as_csv() {
    let items = vec![
        json!({ "id": 1, "name": "Lovelace, Ada", "tags": ["math"], "ok": true }),
        json!({ "id": 2, "name": "Quote \"Q\"", "address": { "city": "Lyon" }, "ok": null }),
        json!({ "id": 3, "name": "two\nlines" }),
    ];
    let out = parse(json!({ "operation": "write" }), items.clone()).await;
    assert_eq!(
        out,
        vec![json!({ "csv": "id,name,tags,ok,address\n\
                              1,\"Lovelace, Ada\",\"[\"\"math\"\"]\",true,\n\
                              2,\"Quote \"\"Q\"\"\",,,\"{\"\"city\"\":\"\"Lyon\"\"}\"\n\
                              3,\"two\nlines\",,,\n" })]
    );
    let out = parse(
        json!({
            "operation": "write", "columns": ["name", "address.city"], "header": false,
            "delimiter": "tab", "lineEnding": "crlf", "field": "file.text",
        }),
        items,
    )
    .await;
    assert_eq!(
        out,
        vec![
            json!({ "file": { "text": "Lovelace, Ada\t\r\n\"Quote \"\"Q\"\"\"\tLyon\r\n\"two\nlines\"\t\r\n" } })
        ]
    );
}

#[tokio::test]
async fn write_then_parse_round_trips() {
    let items = vec![
        json!({ "id": 1, "name": "Ada, Countess", "score": 9.5, "active": true, "note": null }),
        json!({ "id": 2, "name": "Say \"hi\"\nthen go", "score": -3, "active": false, "note": "x\ty" }),
        json!({ "id": 3, "name": "", "score": 0, "active": true, "note": "  padded  " }),
    ];
    for delimiter in [",", ";", "tab", "|"] {
        let written = parse(
            json!({ "operation": "write", "delimiter": delimiter }),
            items.clone(),
        )
        .await;
        let rows = parse(
            json!({ "operation": "parse", "delimiter": delimiter, "inferTypes": true }),
            written,
        )
        .await;
        // An empty string and null are both an empty field; inference reads it as null.
        let mut expected = items.clone();
        expected[2]["name"] = Value::Null;
        assert_eq!(rows, expected, "{delimiter}");
    }
}

#[tokio::test]
async fn write_with_no_items_gives_one_item_with_the_header() {
    let out = parse(
        json!({ "operation": "write", "columns": ["a", "b"] }),
        vec![],
    )
    .await;
    assert_eq!(out, vec![json!({ "csv": "a,b\n" })]);
}
