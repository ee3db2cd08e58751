//! `items.datetime@1`: reads, writes, shifts, compares and converts dates in item fields.

use crate::common::{describe, path_param, segs};
use crate::time::{self, InputFormat, OutputFormat, Part, Unit, WeekStart};
use async_trait::async_trait;
use chrono::DateTime;
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;
use weft_node_api::{
    NodeError, NodeInput, NodeOutput, NodeType, NodeTypeInfo, Purity, ResolvedPorts, StepContext,
    StepResult,
};
use weft_nodes::common::{
    as_object, get_path, main_in_main_out, node_info, object_schema, set_path, with_keyword,
};

/// `items.datetime@1`: one date operation per item (now, parse, format, add, subtract,
/// difference, startOf, endOf, convertTimezone, extract), reading a field and writing a field.
#[derive(Debug, Clone, Copy, Default)]
pub struct DateTimeNode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Operation {
    Now,
    Parse,
    Format,
    Add,
    Subtract,
    Difference,
    StartOf,
    EndOf,
    ConvertTimezone,
    Extract,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Params {
    operation: Operation,
    field: Option<String>,
    end_field: Option<String>,
    output_field: Option<String>,
    #[serde(default)]
    input_format: InputFormat,
    input_pattern: Option<String>,
    output_format: Option<OutputFormat>,
    output_pattern: Option<String>,
    timezone: Option<String>,
    to_timezone: Option<String>,
    amount: Option<i64>,
    unit: Option<Unit>,
    #[serde(default)]
    week_starts_on: WeekStart,
    part: Option<Part>,
}

const OPERATIONS: [&str; 10] = [
    "now",
    "parse",
    "format",
    "add",
    "subtract",
    "difference",
    "startOf",
    "endOf",
    "convertTimezone",
    "extract",
];

/// Which params each operation requires and which it accepts beyond the shared ones.
fn requirements() -> Vec<(&'static str, &'static [&'static str])> {
    vec![
        ("parse", &["field"]),
        ("format", &["field", "outputFormat"]),
        ("add", &["field", "amount", "unit"]),
        ("subtract", &["field", "amount", "unit"]),
        ("difference", &["field", "unit"]),
        ("startOf", &["field", "unit"]),
        ("endOf", &["field", "unit"]),
        ("convertTimezone", &["field", "toTimezone"]),
        ("extract", &["field", "part"]),
    ]
}

fn info() -> &'static NodeTypeInfo {
    static INFO: OnceLock<NodeTypeInfo> = OnceLock::new();
    INFO.get_or_init(|| {
        let example = json!({
            "operation": "add",
            "field": "invoice.issuedAt",
            "amount": 1,
            "unit": "month",
            "timezone": "Europe/Paris",
            "outputField": "invoice.dueAt",
        });
        let units = json!(["year", "quarter", "month", "week", "day", "hour", "minute", "second", "millisecond"]);
        let schema = object_schema(
            "items.datetime params",
            json!({
                "operation": {
                    "type": "string",
                    "enum": OPERATIONS,
                    "description": "now: the step's clock; parse: read a date and write it as ISO 8601 (or outputFormat); format: write a date in outputFormat; add / subtract: shift by amount units; difference: whole units from field to endField (or to now); startOf / endOf: first / last millisecond of the unit containing the date; convertTimezone: the same instant in toTimezone; extract: one part as a number.",
                },
                "field": { "type": "string", "minLength": 1, "description": "The input date: field name or dotted path. Every operation but now needs it.", "examples": ["createdAt", "order.date"] },
                "endField": { "type": "string", "minLength": 1, "description": "difference only: the end date's field; without it the end is the step's clock." },
                "outputField": { "type": "string", "minLength": 1, "description": "Where the result goes (name or dotted path). Default: the input field itself (replaced), or \"now\", \"difference\", or the part's name for now, difference and extract." },
                "inputFormat": {
                    "type": "string",
                    "enum": ["auto", "iso8601", "rfc2822", "unixSeconds", "unixMillis", "custom"],
                    "default": "auto",
                    "description": "How input dates are written. auto: ISO 8601 or RFC 2822 strings, numbers as Unix milliseconds. custom: the strftime pattern in inputPattern. A date without an offset is a wall-clock time in `timezone`.",
                },
                "inputPattern": { "type": "string", "minLength": 1, "description": "strftime pattern for inputFormat custom.", "examples": ["%d/%m/%Y %H:%M"] },
                "outputFormat": {
                    "type": "string",
                    "enum": ["iso8601", "rfc2822", "unixSeconds", "unixMillis", "custom"],
                    "default": "iso8601",
                    "description": "How result dates are written: ISO 8601 with the zone's offset, RFC 2822, Unix seconds or milliseconds (numbers), or the strftime pattern in outputPattern.",
                },
                "outputPattern": { "type": "string", "minLength": 1, "description": "strftime pattern for outputFormat custom.", "examples": ["%A %-d %B %Y", "%Y-%m-%d"] },
                "timezone": { "type": "string", "minLength": 1, "default": "UTC", "description": "IANA zone for reading dates without an offset, for calendar units (days, months, start of week…) and for writing results.", "examples": ["Europe/Paris", "America/New_York"] },
                "toTimezone": { "type": "string", "minLength": 1, "description": "convertTimezone only: the IANA zone to express the date in.", "examples": ["Asia/Tokyo"] },
                "amount": { "type": "integer", "description": "add / subtract: how many units.", "examples": [1, 30] },
                "unit": { "type": "string", "enum": units, "description": "Unit for add, subtract, difference, startOf and endOf. Day and longer units follow the calendar of `timezone` (a day across a daylight-saving change is 23 or 25 hours; Jan 31 + 1 month is the last day of February); shorter ones are elapsed time. startOf / endOf do not take millisecond." },
                "weekStartsOn": { "type": "string", "enum": ["monday", "sunday"], "default": "monday", "description": "First day of a week, for startOf / endOf week." },
                "part": {
                    "type": "string",
                    "enum": ["year", "quarter", "month", "week", "day", "dayOfWeek", "dayOfYear", "hour", "minute", "second", "millisecond"],
                    "description": "extract only: week is the ISO 8601 week number; dayOfWeek is 1 (Monday) to 7 (Sunday).",
                },
            }),
            &["operation"],
            vec![
                example.clone(),
                json!({ "operation": "parse", "field": "date", "inputFormat": "custom", "inputPattern": "%d/%m/%Y", "timezone": "Europe/Paris" }),
                json!({ "operation": "format", "field": "date", "outputFormat": "custom", "outputPattern": "%Y-%m-%d %H:%M", "timezone": "America/New_York" }),
                json!({ "operation": "difference", "field": "start", "endField": "end", "unit": "day", "timezone": "Europe/Paris" }),
                json!({ "operation": "startOf", "field": "at", "unit": "week", "weekStartsOn": "sunday" }),
                json!({ "operation": "convertTimezone", "field": "at", "toTimezone": "Asia/Tokyo" }),
                json!({ "operation": "extract", "field": "at", "part": "dayOfWeek" }),
                json!({ "operation": "now", "outputField": "processedAt" }),
            ],
        );
        let mut rules: Vec<Value> = requirements()
            .into_iter()
            .map(|(op, required)| {
                json!({
                    "if": { "properties": { "operation": { "const": op } } },
                    "then": { "required": required },
                })
            })
            .collect();
        rules.push(json!({
            "if": { "properties": { "inputFormat": { "const": "custom" } }, "required": ["inputFormat"] },
            "then": { "required": ["inputPattern"] },
        }));
        rules.push(json!({
            "if": { "properties": { "outputFormat": { "const": "custom" } }, "required": ["outputFormat"] },
            "then": { "required": ["outputPattern"] },
        }));
        rules.push(json!({
            "if": { "properties": { "operation": { "enum": ["startOf", "endOf"] } } },
            "then": { "properties": { "unit": { "not": { "const": "millisecond" } } } },
        }));
        node_info(
            "items.datetime",
            "Date & time",
            "Utilities",
            &format!(
                "Works with dates in item fields: the step's clock (now), parsing (ISO 8601, \
                 RFC 2822, Unix seconds or milliseconds, strftime patterns), formatting, adding \
                 or subtracting durations, differences in whole units, start or end of a day, \
                 week, month…, time-zone conversion (IANA names) and extracting parts. Calendar \
                 units follow `timezone`, daylight-saving changes included. Params are read per \
                 item ($json is that item). Effectful because now and difference-to-now read \
                 the step's clock: a cached result would be stale. Example params: {example} \
                 turns {{\"invoice\": {{\"issuedAt\": \"2024-01-31T10:00:00+01:00\"}}}} into one \
                 with \"dueAt\": \"2024-02-29T10:00:00+01:00\"."
            ),
            Purity::Effectful,
            with_keyword(schema, "allOf", Value::Array(rules)),
        )
    })
}

/// Why an item could not be processed: names the item and the field.
fn item_error(i: usize, field: &str, value: &Value, why: &str) -> NodeError {
    NodeError::permanent(
        "datetime.invalid",
        format!("item {i}: field {field:?} is {}: it {why}", describe(value)),
    )
    .with_details(json!({ "itemIndex": i, "field": field }))
}

fn require<T: Clone>(v: &Option<T>, name: &str, op: Operation) -> Result<T, NodeError> {
    v.clone().ok_or_else(|| {
        NodeError::invalid_params(
            &format!("/params/{name}"),
            format!("operation {op:?} needs {name}"),
        )
    })
}

fn zone_param(name: &str, value: Option<&str>) -> Result<Tz, NodeError> {
    time::zone(value.unwrap_or("UTC"))
        .map_err(|e| NodeError::invalid_params(&format!("/params/{name}"), e))
}

fn pattern_param<'a>(name: &str, value: &'a Option<String>) -> Result<Option<&'a str>, NodeError> {
    if let Some(p) = value {
        time::check_pattern(p)
            .map_err(|e| NodeError::invalid_params(&format!("/params/{name}"), e))?;
    }
    Ok(value.as_deref())
}

impl DateTimeNode {
    fn one(ctx: &StepContext, p: Params, i: usize, item: &Value) -> Result<Value, NodeError> {
        let op = p.operation;
        let tz = zone_param("timezone", p.timezone.as_deref())?;
        let input_pattern = pattern_param("inputPattern", &p.input_pattern)?;
        let output_pattern = pattern_param("outputPattern", &p.output_pattern)?;
        if p.input_format == InputFormat::Custom && input_pattern.is_none() {
            return Err(NodeError::invalid_params(
                "/params/inputPattern",
                "inputFormat custom needs inputPattern",
            ));
        }
        let output_format = match op {
            Operation::Format => require(&p.output_format, "outputFormat", op)?,
            _ => p.output_format.unwrap_or_default(),
        };
        if output_format == OutputFormat::Custom && output_pattern.is_none() {
            return Err(NodeError::invalid_params(
                "/params/outputPattern",
                "outputFormat custom needs outputPattern",
            ));
        }
        let read = |field: &str, pointer: &str| -> Result<DateTime<Tz>, NodeError> {
            path_param(field, pointer)?;
            let v = get_path(item, field).ok_or_else(|| {
                NodeError::permanent(
                    "datetime.missing_field",
                    format!("item {i}: field {field:?} is missing"),
                )
                .with_details(json!({ "itemIndex": i, "field": field }))
            })?;
            time::read(v, p.input_format, input_pattern, tz)
                .map_err(|why| item_error(i, field, v, &why))
        };
        let field = match op {
            Operation::Now => None,
            _ => Some(require(&p.field, "field", op)?),
        };
        let input = match &field {
            Some(f) => read(f, "/params/field")?,
            None => time::from_millis(ctx.now_ms, tz)
                .map_err(|e| NodeError::permanent("datetime.clock", e))?,
        };
        let write = |d: &DateTime<Tz>| {
            time::write(d, output_format, output_pattern)
                .map_err(|e| NodeError::permanent("datetime.format", format!("item {i}: {e}")))
        };
        let shift_error =
            |e: String| NodeError::permanent("datetime.range", format!("item {i}: {e}"));
        let result = match op {
            Operation::Now | Operation::Parse | Operation::Format => write(&input)?,
            Operation::Add | Operation::Subtract => {
                let amount = require(&p.amount, "amount", op)?;
                let amount = if op == Operation::Subtract {
                    amount.checked_neg().ok_or_else(|| {
                        NodeError::invalid_params("/params/amount", "is out of range")
                    })?
                } else {
                    amount
                };
                write(
                    &time::add(&input, amount, require(&p.unit, "unit", op)?)
                        .map_err(shift_error)?,
                )?
            }
            Operation::StartOf | Operation::EndOf => {
                let unit = require(&p.unit, "unit", op)?;
                if unit == Unit::Millisecond {
                    return Err(NodeError::invalid_params(
                        "/params/unit",
                        "startOf and endOf take a unit of a second or longer",
                    ));
                }
                let d = if op == Operation::StartOf {
                    time::start_of(&input, unit, p.week_starts_on)
                } else {
                    time::end_of(&input, unit, p.week_starts_on).map_err(shift_error)?
                };
                write(&d)?
            }
            Operation::Difference => {
                let unit = require(&p.unit, "unit", op)?;
                let end = match &p.end_field {
                    Some(f) => read(f, "/params/endField")?,
                    None => time::from_millis(ctx.now_ms, tz)
                        .map_err(|e| NodeError::permanent("datetime.clock", e))?,
                };
                Value::from(time::difference(&input, &end, unit))
            }
            Operation::ConvertTimezone => {
                let to = zone_param(
                    "toTimezone",
                    Some(&require(&p.to_timezone, "toTimezone", op)?),
                )?;
                write(&input.with_timezone(&to))?
            }
            Operation::Extract => Value::from(time::extract(&input, require(&p.part, "part", op)?)),
        };
        let output_field = p
            .output_field
            .clone()
            .unwrap_or_else(|| match (op, &field) {
                (Operation::Now, _) => "now".into(),
                (Operation::Difference, _) => "difference".into(),
                (Operation::Extract, _) => part_name(p.part),
                (_, Some(f)) => f.clone(),
                (_, None) => "date".into(),
            });
        let out_path = path_param(&output_field, "/params/outputField")?;
        let mut obj = as_object(item.clone());
        set_path(&mut obj, &segs(&out_path), result);
        Ok(Value::Object(obj))
    }
}

/// A part's param name (`dayOfWeek`), the default output field of extract.
fn part_name(part: Option<Part>) -> String {
    let name = match part {
        Some(Part::Year) => "year",
        Some(Part::Quarter) => "quarter",
        Some(Part::Month) => "month",
        Some(Part::Week) => "week",
        Some(Part::Day) => "day",
        Some(Part::DayOfWeek) => "dayOfWeek",
        Some(Part::DayOfYear) => "dayOfYear",
        Some(Part::Hour) => "hour",
        Some(Part::Minute) => "minute",
        Some(Part::Second) => "second",
        Some(Part::Millisecond) => "millisecond",
        None => "part",
    };
    name.to_string()
}

#[async_trait]
impl NodeType for DateTimeNode {
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
            out.push(Self::one(ctx, p, i, item)?);
        }
        Ok(StepResult::Done(NodeOutput::main(out)))
    }
}
