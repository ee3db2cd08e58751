use crate::main_items;
use crate::support::*;
use serde_json::{Value, json};
use weft_nodes_items::DateTimeNode;

/// Runs one operation on one item and returns the output item.
async fn one(params: Value, item: Value) -> Value {
    main_items(run(&DateTimeNode, params, vec![item]).await).remove(0)
}

#[tokio::test]
async fn parses_each_input_format() {
    let cases = [
        (json!("2024-03-31T12:00:00+02:00"), "iso8601", None),
        (json!("2024-03-31T10:00:00.000Z"), "auto", None),
        (json!("Sun, 31 Mar 2024 12:00:00 +0200"), "rfc2822", None),
        (json!("Sun, 31 Mar 2024 10:00:00 GMT"), "auto", None),
        (json!(1_711_879_200), "unixSeconds", None),
        (json!("1711879200"), "unixSeconds", None),
        (json!(1_711_879_200_000_i64), "unixMillis", None),
        (json!(1_711_879_200_000_i64), "auto", None),
        (
            json!("31/03/2024 10h00 +0000"),
            "custom",
            Some("%d/%m/%Y %Hh%M %z"),
        ),
    ];
    for (value, format, pattern) in cases {
        let mut p = json!({ "operation": "parse", "field": "at", "inputFormat": format });
        if let Some(pattern) = pattern {
            p["inputPattern"] = json!(pattern);
        }
        let out = one(p, json!({ "at": value.clone() })).await;
        assert_eq!(
            out["at"],
            json!("2024-03-31T10:00:00Z"),
            "{value} as {format}"
        );
    }
}

#[tokio::test]
async fn values_without_offset_are_wall_clock_times_in_the_zone() {
    let p = json!({ "operation": "parse", "field": "d", "inputFormat": "custom", "inputPattern": "%d/%m/%Y %H:%M", "timezone": "Europe/Paris", "outputField": "iso" });
    let out = one(p, json!({ "d": "31/03/2024 12:00" })).await;
    assert_eq!(
        out,
        json!({ "d": "31/03/2024 12:00", "iso": "2024-03-31T12:00:00+02:00" })
    );
    // A date-only pattern is midnight; a date-only ISO string too.
    let p = json!({ "operation": "parse", "field": "d", "inputFormat": "custom", "inputPattern": "%d/%m/%Y", "timezone": "Europe/Paris" });
    assert_eq!(
        one(p, json!({ "d": "25/12/2024" })).await["d"],
        "2024-12-25T00:00:00+01:00"
    );
    let p = json!({ "operation": "parse", "field": "d", "timezone": "America/New_York" });
    assert_eq!(
        one(p, json!({ "d": "2024-07-04" })).await["d"],
        "2024-07-04T00:00:00-04:00"
    );
}

#[tokio::test]
async fn formats() {
    let item = json!({ "at": "2024-03-31T10:00:00Z" });
    let fmt = |format: &str, pattern: Option<&str>| {
        let mut p = json!({ "operation": "format", "field": "at", "outputFormat": format, "timezone": "Europe/Paris", "outputField": "out" });
        if let Some(pattern) = pattern {
            p["outputPattern"] = json!(pattern);
        }
        p
    };
    assert_eq!(
        one(fmt("custom", Some("%A %-d %B %Y, %H:%M")), item.clone()).await["out"],
        "Sunday 31 March 2024, 12:00"
    );
    assert_eq!(
        one(fmt("iso8601", None), item.clone()).await["out"],
        "2024-03-31T12:00:00+02:00"
    );
    assert_eq!(
        one(fmt("rfc2822", None), item.clone()).await["out"],
        "Sun, 31 Mar 2024 12:00:00 +0200"
    );
    assert_eq!(
        one(fmt("unixSeconds", None), item.clone()).await["out"],
        1_711_879_200
    );
    assert_eq!(
        one(fmt("unixMillis", None), item.clone()).await["out"],
        1_711_879_200_000_i64
    );
    let ms = json!({ "at": "2024-03-31T10:00:00.250Z" });
    assert_eq!(
        one(fmt("iso8601", None), ms).await["out"],
        "2024-03-31T12:00:00.250+02:00"
    );
}

#[tokio::test]
async fn add_months_clamps_to_month_ends() {
    let add = |at: &str, amount: i64, unit: &str| {
        (
            json!({ "operation": "add", "field": "at", "amount": amount, "unit": unit }),
            json!({ "at": at }),
        )
    };
    for (at, amount, unit, expected) in [
        ("2024-01-31T10:00:00Z", 1, "month", "2024-02-29T10:00:00Z"),
        ("2023-01-31T10:00:00Z", 1, "month", "2023-02-28T10:00:00Z"),
        ("2024-01-31T10:00:00Z", 13, "month", "2025-02-28T10:00:00Z"),
        ("2024-03-31T10:00:00Z", -1, "month", "2024-02-29T10:00:00Z"),
        ("2024-02-29T00:00:00Z", 1, "year", "2025-02-28T00:00:00Z"),
        ("2024-11-30T00:00:00Z", 1, "quarter", "2025-02-28T00:00:00Z"),
        ("2024-01-01T00:00:00Z", 90, "minute", "2024-01-01T01:30:00Z"),
    ] {
        let (p, item) = add(at, amount, unit);
        assert_eq!(one(p, item).await["at"], expected, "{at} + {amount} {unit}");
    }
    let p = json!({ "operation": "subtract", "field": "at", "amount": 1, "unit": "month" });
    assert_eq!(
        one(p, json!({ "at": "2024-03-31T10:00:00Z" })).await["at"],
        "2024-02-29T10:00:00Z"
    );
}

#[tokio::test]
async fn days_follow_the_calendar_across_daylight_saving() {
    // Paris moved to summer time at 02:00 on 2024-03-31: that day had 23 hours.
    let p = json!({ "operation": "add", "field": "at", "amount": 1, "unit": "day", "timezone": "Europe/Paris" });
    assert_eq!(
        one(p, json!({ "at": "2024-03-30T12:00:00+01:00" })).await["at"],
        "2024-03-31T12:00:00+02:00"
    );
    let p = json!({ "operation": "add", "field": "at", "amount": 24, "unit": "hour", "timezone": "Europe/Paris" });
    assert_eq!(
        one(p, json!({ "at": "2024-03-30T12:00:00+01:00" })).await["at"],
        "2024-03-31T13:00:00+02:00"
    );
}

#[tokio::test]
async fn difference_in_days_across_dst_in_paris() {
    let diff = |unit: &str, tz: &str| json!({ "operation": "difference", "field": "start", "endField": "end", "unit": unit, "timezone": tz });
    // Noon to noon over the spring change: 47 hours, but two calendar days in Paris.
    let spring =
        json!({ "start": "2024-03-30T12:00:00+01:00", "end": "2024-04-01T12:00:00+02:00" });
    assert_eq!(
        one(diff("day", "Europe/Paris"), spring.clone()).await["difference"],
        2
    );
    assert_eq!(
        one(diff("hour", "Europe/Paris"), spring.clone()).await["difference"],
        47
    );
    assert_eq!(
        one(diff("day", "UTC"), spring.clone()).await["difference"],
        1,
        "in UTC only 47 hours elapsed"
    );
    // Over the autumn change a 25-hour span is one day, not one day and an hour.
    let autumn =
        json!({ "start": "2024-10-26T12:00:00+02:00", "end": "2024-10-27T12:00:00+01:00" });
    assert_eq!(
        one(diff("day", "Europe/Paris"), autumn.clone()).await["difference"],
        1
    );
    assert_eq!(
        one(diff("hour", "Europe/Paris"), autumn).await["difference"],
        25
    );
    // Negative and calendar months.
    let back = json!({ "start": "2024-04-01T12:00:00+02:00", "end": "2024-03-30T12:00:00+01:00" });
    assert_eq!(
        one(diff("day", "Europe/Paris"), back).await["difference"],
        -2
    );
    let months = json!({ "start": "2024-01-31T00:00:00Z", "end": "2024-02-29T00:00:00Z" });
    assert_eq!(one(diff("month", "UTC"), months).await["difference"], 1);
    let months = json!({ "start": "2024-01-31T00:00:00Z", "end": "2024-02-28T00:00:00Z" });
    assert_eq!(one(diff("month", "UTC"), months).await["difference"], 0);
    // Without endField the end is the step's clock (2023-11-14T22:13:20Z).
    let p =
        json!({ "operation": "difference", "field": "start", "unit": "day", "outputField": "age" });
    assert_eq!(
        one(p, json!({ "start": "2023-11-01T00:00:00Z" })).await["age"],
        13
    );
}

#[tokio::test]
async fn converts_time_zones() {
    let conv = |to: &str| json!({ "operation": "convertTimezone", "field": "at", "toTimezone": to, "outputField": "local" });
    let item = json!({ "at": "2024-03-31T10:00:00Z" });
    assert_eq!(
        one(conv("Asia/Tokyo"), item.clone()).await["local"],
        "2024-03-31T19:00:00+09:00"
    );
    assert_eq!(
        one(conv("America/New_York"), item.clone()).await["local"],
        "2024-03-31T06:00:00-04:00"
    );
    assert_eq!(
        one(conv("Asia/Kolkata"), item).await["local"],
        "2024-03-31T15:30:00+05:30"
    );
}

#[tokio::test]
async fn start_and_end_of_units() {
    let at = json!({ "at": "2024-03-31T15:00:00+02:00" }); // a Sunday, the day clocks changed
    let op = |op: &str, unit: &str, week: &str| json!({ "operation": op, "field": "at", "unit": unit, "weekStartsOn": week, "timezone": "Europe/Paris" });
    // The Monday before is still winter time.
    assert_eq!(
        one(op("startOf", "week", "monday"), at.clone()).await["at"],
        "2024-03-25T00:00:00+01:00"
    );
    assert_eq!(
        one(op("startOf", "week", "sunday"), at.clone()).await["at"],
        "2024-03-31T00:00:00+01:00"
    );
    assert_eq!(
        one(op("endOf", "week", "monday"), at.clone()).await["at"],
        "2024-03-31T23:59:59.999+02:00"
    );
    assert_eq!(
        one(op("startOf", "day", "monday"), at.clone()).await["at"],
        "2024-03-31T00:00:00+01:00"
    );
    assert_eq!(
        one(op("startOf", "month", "monday"), at.clone()).await["at"],
        "2024-03-01T00:00:00+01:00"
    );
    assert_eq!(
        one(op("startOf", "quarter", "monday"), at.clone()).await["at"],
        "2024-01-01T00:00:00+01:00"
    );
    assert_eq!(
        one(
            op("startOf", "hour", "monday"),
            json!({ "at": "2024-03-31T15:42:10+02:00" })
        )
        .await["at"],
        "2024-03-31T15:00:00+02:00"
    );
    let feb = json!({ "operation": "endOf", "field": "at", "unit": "month" });
    assert_eq!(
        one(feb, json!({ "at": "2024-02-10T08:00:00Z" })).await["at"],
        "2024-02-29T23:59:59.999Z"
    );
}

#[tokio::test]
async fn extracts_parts_and_reads_now() {
    let item = json!({ "at": "2024-03-31T10:00:00Z" });
    for (part, expected) in [
        ("dayOfWeek", 7),
        ("week", 13),
        ("dayOfYear", 91),
        ("quarter", 1),
        ("hour", 12),
        ("year", 2024),
    ] {
        let p = json!({ "operation": "extract", "field": "at", "part": part, "timezone": "Europe/Paris" });
        assert_eq!(one(p, item.clone()).await[part], expected, "{part}");
    }
    let out = one(json!({ "operation": "now" }), json!({ "id": 1 })).await;
    assert_eq!(out, json!({ "id": 1, "now": "2023-11-14T22:13:20Z" }));
    let out = one(
        json!({ "operation": "now", "timezone": "Europe/Paris", "outputField": "meta.at" }),
        json!({}),
    )
    .await;
    assert_eq!(
        out,
        json!({ "meta": { "at": "2023-11-14T23:13:20+01:00" } })
    );
}

#[tokio::test]
async fn errors_name_the_item_and_field() {
    let items = vec![json!({ "at": "2024-01-01" }), json!({ "at": "soon" })];
    let e = failed(
        run(
            &DateTimeNode,
            json!({ "operation": "parse", "field": "at" }),
            items,
        )
        .await,
    );
    assert_eq!(e.code, "datetime.invalid");
    assert!(
        e.message
            .starts_with("item 1: field \"at\" is a string (\"soon\")"),
        "{}",
        e.message
    );
    assert_eq!(e.details, json!({ "itemIndex": 1, "field": "at" }));

    let e = failed(
        run(
            &DateTimeNode,
            json!({ "operation": "parse", "field": "when.at" }),
            vec![json!({})],
        )
        .await,
    );
    assert_eq!(e.code, "datetime.missing_field");
    assert!(
        e.message.contains("item 0: field \"when.at\" is missing"),
        "{}",
        e.message
    );

    let e = failed(
        run(
            &DateTimeNode,
            json!({ "operation": "now", "timezone": "Mars/Olympus" }),
            vec![json!({})],
        )
        .await,
    );
    assert!(e.message.contains("/params/timezone"), "{}", e.message);
    let e = failed(run(&DateTimeNode, json!({ "operation": "format", "field": "at", "outputFormat": "custom", "outputPattern": "%Y-%Q" }), vec![json!({ "at": "2024-01-01" })]).await);
    assert!(e.message.contains("/params/outputPattern"), "{}", e.message);
    let e = failed(
        run(
            &DateTimeNode,
            json!({ "operation": "add", "field": "at", "unit": "day" }),
            vec![json!({ "at": "2024-01-01" })],
        )
        .await,
    );
    assert!(e.message.contains("/params/amount"), "{}", e.message);
}

#[tokio::test]
async fn the_documented_example_holds() {
    let info = weft_node_api::NodeType::info(&DateTimeNode);
    let example = info.params_schema["examples"][0].clone();
    let out = one(
        example,
        json!({ "invoice": { "issuedAt": "2024-01-31T10:00:00+01:00" } }),
    )
    .await;
    assert_eq!(out["invoice"]["dueAt"], "2024-02-29T10:00:00+01:00");
    assert!(
        info.description
            .contains("\"dueAt\": \"2024-02-29T10:00:00+01:00\"")
    );

    let e = failed(
        run(
            &DateTimeNode,
            json!({ "operation": "difference", "field": "a", "endField": "b..c", "unit": "day" }),
            vec![json!({ "a": "2024-01-01" })],
        )
        .await,
    );
    assert!(e.message.contains("/params/endField"), "{}", e.message);
}
