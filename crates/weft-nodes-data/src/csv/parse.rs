//! `parse`: CSV text → rows, streamed record by record.

use super::{CsvParams, Dialect, Output};
use crate::fields::{read_field, type_name};
use serde_json::{Map, Number, Value, json};
use weft_node_api::{Item, LogLevel, NodeError, StepContext};
use weft_nodes::common::cancelled;

/// How often (in rows) a long parse checks for cancellation.
const CANCEL_CHECK_EVERY: u64 = 4096;

/// Where one CSV text came from, for error messages.
struct Source<'a> {
    item_index: usize,
    field: Option<&'a str>,
}

impl Source<'_> {
    fn describe(&self) -> String {
        match self.field {
            Some(f) => format!("CSV in field {f:?} of item {}", self.item_index),
            None => format!(
                "CSV of param `text` (rendered for item {})",
                self.item_index
            ),
        }
    }

    fn error(&self, code: &str, line: u64, message: impl std::fmt::Display) -> NodeError {
        NodeError::permanent(code, format!("{}, line {line}: {message}", self.describe()))
            .with_details(
                json!({ "itemIndex": self.item_index, "field": self.field, "line": line }),
            )
    }
}

/// Parses the text of every input item (or the `text` param per item, or once without input).
pub(super) fn run(
    ctx: &StepContext,
    items: &[Item],
    first: CsvParams,
) -> Result<Vec<Value>, NodeError> {
    let mut out = Vec::new();
    let mut first = Some(first);
    for i in 0..items.len().max(1) {
        let p = match first.take() {
            Some(p) => p,
            None => ctx.params_for::<CsvParams>(items, i)?,
        };
        let dialect = p.dialect()?;
        let columns = p.checked_columns()?;
        let (text, source) = match &p.text {
            Some(text) => (
                text.as_str(),
                Source {
                    item_index: i,
                    field: None,
                },
            ),
            None => {
                let field = p.field_name()?;
                let Some(item) = items.get(i) else {
                    // No input and no `text`: nothing to parse.
                    break;
                };
                let text = match read_field(item, field) {
                    Some(Value::String(s)) => s.as_str(),
                    Some(other) => {
                        return Err(NodeError::permanent(
                            "csv.not_text",
                            format!(
                                "item {i}: field {field:?} holds {}, not CSV text",
                                type_name(other)
                            ),
                        )
                        .with_details(json!({ "itemIndex": i, "field": field })));
                    }
                    None => {
                        return Err(NodeError::permanent(
                            "csv.field_missing",
                            format!("item {i} has no field {field:?} to parse as CSV"),
                        )
                        .with_details(json!({ "itemIndex": i, "field": field })));
                    }
                };
                (
                    text,
                    Source {
                        item_index: i,
                        field: Some(field),
                    },
                )
            }
        };
        let mut table_rows = Vec::new();
        let parsed = parse_text(
            ctx,
            text,
            &p,
            &dialect,
            columns,
            &source,
            |cols, values| match p.output {
                Output::Items => {
                    let mut row = Map::with_capacity(cols.len());
                    for (name, v) in cols.iter().zip(values) {
                        row.insert(name.clone(), v);
                    }
                    out.push(Value::Object(row));
                }
                Output::Table => table_rows.push(Value::Array(values)),
            },
        )?;
        if parsed.truncated {
            ctx.log(
                LogLevel::Info,
                format!(
                    "{}: stopped after maxRows = {} rows",
                    source.describe(),
                    p.max_rows.unwrap_or_default()
                ),
            );
        }
        if p.output == Output::Table {
            out.push(json!({ "columns": parsed.columns, "rows": table_rows }));
        }
    }
    Ok(out)
}

struct Parsed {
    columns: Vec<String>,
    truncated: bool,
}

/// Reads `text` record by record, calling `emit` with the column names and the values of each
/// data row.
fn parse_text(
    ctx: &StepContext,
    text: &str,
    p: &CsvParams,
    dialect: &Dialect,
    explicit: Option<&[String]>,
    source: &Source<'_>,
    mut emit: impl FnMut(&[String], Vec<Value>),
) -> Result<Parsed, NodeError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(dialect.delimiter)
        .quote(dialect.quote)
        .has_headers(false)
        .flexible(true)
        .trim(if p.trim {
            csv::Trim::All
        } else {
            csv::Trim::None
        })
        .from_reader(text.as_bytes());
    let mut columns: Option<Vec<String>> = explicit.map(<[String]>::to_vec);
    let mut header_pending = p.header;
    let mut record = csv::StringRecord::new();
    let mut last_start = 0usize;
    let mut rows = 0u64;
    let mut truncated = false;
    loop {
        if p.max_rows.is_some_and(|max| rows >= max) {
            // Stop reading; only report truncation when there was more to read.
            truncated = reader
                .read_record(&mut record)
                .map_err(|e| csv_error(source, &e))?;
            break;
        }
        if !reader
            .read_record(&mut record)
            .map_err(|e| csv_error(source, &e))?
        {
            break;
        }
        let (line, start) = record
            .position()
            .map(|pos| (pos.line(), pos.byte() as usize))
            .unwrap_or((0, last_start));
        last_start = start;
        if header_pending {
            header_pending = false;
            if columns.is_none() {
                columns = Some(header_names(&record, source, line)?);
            }
            continue;
        }
        if p.skip_empty_lines && record.iter().all(str::is_empty) {
            continue;
        }
        let cols = columns
            .get_or_insert_with(|| (1..=record.len()).map(|n| format!("column{n}")).collect());
        if record.len() > cols.len() {
            return Err(source.error(
                "csv.malformed",
                line,
                format!(
                    "the row has {} values but there are {} columns ({}); quote values that hold the delimiter",
                    record.len(),
                    cols.len(),
                    cols.join(", ")
                ),
            ));
        }
        let mut values: Vec<Value> = record
            .iter()
            .map(|s| {
                if p.infer_types {
                    infer(s)
                } else {
                    Value::String(s.to_string())
                }
            })
            .collect();
        values.resize(cols.len(), Value::Null);
        emit(cols, values);
        rows += 1;
        if rows.is_multiple_of(CANCEL_CHECK_EVERY) && ctx.cancel.is_cancelled() {
            return Err(cancelled());
        }
    }
    if !truncated && let Some(line) = unterminated_quote(text.as_bytes(), last_start, dialect) {
        return Err(source.error(
            "csv.malformed",
            line,
            "a quoted value is never closed (the text ends inside quotes)",
        ));
    }
    Ok(Parsed {
        columns: columns.unwrap_or_default(),
        truncated,
    })
}

fn csv_error(source: &Source<'_>, e: &csv::Error) -> NodeError {
    let line = e.position().map(csv::Position::line).unwrap_or(0);
    source.error("csv.malformed", line, e)
}

/// Column names from a header record: an empty name becomes `columnN`; a duplicate is an error.
fn header_names(
    record: &csv::StringRecord,
    source: &Source<'_>,
    line: u64,
) -> Result<Vec<String>, NodeError> {
    let mut names: Vec<String> = Vec::with_capacity(record.len());
    for (i, name) in record.iter().enumerate() {
        let name = if name.is_empty() {
            format!("column{}", i + 1)
        } else {
            name.to_string()
        };
        if let Some(k) = names.iter().position(|n| *n == name) {
            return Err(source.error(
                "csv.duplicate_column",
                line,
                format!(
                    "the header names column {name:?} twice (columns {} and {}); set `columns` to name them",
                    k + 1,
                    i + 1
                ),
            ));
        }
        names.push(name);
    }
    Ok(names)
}

/// The line where an unclosed quoted value starts, if the text ends inside quotes. Only the
/// last record can: an unclosed quote swallows everything after it.
fn unterminated_quote(bytes: &[u8], from: usize, dialect: &Dialect) -> Option<u64> {
    let tail = bytes.get(from..)?;
    let mut at_field_start = true;
    let mut open_at: Option<usize> = None;
    let mut i = 0;
    while i < tail.len() {
        let b = tail[i];
        if open_at.is_some() {
            if b == dialect.quote {
                if tail.get(i + 1) == Some(&dialect.quote) {
                    i += 2;
                    continue;
                }
                open_at = None;
            }
        } else if at_field_start && b == dialect.quote {
            open_at = Some(from + i);
            at_field_start = false;
        } else {
            at_field_start = b == dialect.delimiter || b == b'\n' || b == b'\r';
        }
        i += 1;
    }
    let open = open_at?;
    Some(1 + bytes[..open].iter().filter(|&&b| b == b'\n').count() as u64)
}

/// A CSV value as JSON: null for empty, booleans, integers that fit 64 bits without leading
/// zeros (so codes like "007" stay text), finite decimals; anything else stays a string.
pub(crate) fn infer(s: &str) -> Value {
    if s.is_empty() {
        return Value::Null;
    }
    if s.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if s.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if let Some(kind) = number_kind(s) {
        let n = match kind {
            NumberKind::Integer => s
                .parse::<i64>()
                .ok()
                .map(Number::from)
                .or_else(|| s.parse::<u64>().ok().map(Number::from)),
            NumberKind::Decimal => s
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .and_then(Number::from_f64),
        };
        if let Some(n) = n {
            return Value::Number(n);
        }
    }
    Value::String(s.to_string())
}

enum NumberKind {
    Integer,
    Decimal,
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, with an optional leading `+` too.
fn number_kind(s: &str) -> Option<NumberKind> {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let int_start = i;
    let int_len = digits(&mut i);
    if int_len == 0 || (int_len > 1 && b[int_start] == b'0') {
        return None;
    }
    let mut kind = NumberKind::Integer;
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return None;
        }
        kind = NumberKind::Decimal;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return None;
        }
        kind = NumberKind::Decimal;
    }
    (i == b.len()).then_some(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inference() {
        assert_eq!(infer(""), Value::Null);
        assert_eq!(infer("TRUE"), json!(true));
        assert_eq!(infer("false"), json!(false));
        assert_eq!(infer("42"), json!(42));
        assert_eq!(infer("-7"), json!(-7));
        assert_eq!(infer("+7"), json!(7));
        assert_eq!(infer("0"), json!(0));
        assert_eq!(infer("1.5"), json!(1.5));
        assert_eq!(infer("-2.5e3"), json!(-2500.0));
        assert_eq!(
            infer("18446744073709551615"),
            json!(18446744073709551615u64)
        );
        for s in [
            "007",
            "1e999",
            "1.",
            ".5",
            "1,5",
            "abc",
            " 1",
            "99999999999999999999",
            "NaN",
            "inf",
            "-",
            "null",
        ] {
            assert_eq!(infer(s), json!(s), "{s}");
        }
    }

    #[test]
    fn unclosed_quotes() {
        let d = Dialect {
            delimiter: b',',
            quote: b'"',
        };
        assert_eq!(unterminated_quote(b"a,b\n1,\"x", 4, &d), Some(2));
        assert_eq!(unterminated_quote(b"a,b\n1,\"x\"\"y\"", 4, &d), None);
        assert_eq!(unterminated_quote(b"a,b\n1,x\"y", 4, &d), None);
        assert_eq!(unterminated_quote(b"a\n\"x\ny\nz", 2, &d), Some(2));
    }
}
