//! PostgreSQL: statements are prepared first so the server says what type each `$n` is; each
//! JSON param is then encoded as exactly that type (so `'2024-01-01T00:00:00Z'` reaches a
//! timestamptz column as a timestamp, and an object reaches a jsonb column as JSON). Rows are
//! decoded by column type.

use crate::backend::{Cancel, Collect, Limits, Stmt, StmtOutput, Stop, guarded, structured_param};
use crate::error::{DbFailure, from_sqlx, too_many_rows};
use crate::pool::ConnPool;
use base64::Engine as _;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use futures_util::TryStreamExt;
use serde_json::{Map, Value};
use sqlx_core::arguments::Arguments;
use sqlx_core::column::Column;
use sqlx_core::connection::ConnectOptions;
use sqlx_core::encode::{Encode, IsNull};
use sqlx_core::error::BoxDynError;
use sqlx_core::executor::Executor;
use sqlx_core::row::Row;
use sqlx_core::statement::Statement;
use sqlx_core::type_info::TypeInfo;
use sqlx_core::types::{Json, Type};
use sqlx_core::value::ValueRef;
use sqlx_postgres::{
    PgArgumentBuffer, PgArguments, PgConnectOptions, PgConnection, PgRow, PgTypeInfo, PgTypeKind,
    PgValueFormat, PgValueRef, Postgres,
};
use std::sync::Arc;

/// Connections to one PostgreSQL credential.
pub(crate) type PgPool = ConnPool<PgConnection>;

/// Runs the statements on one connection, in a transaction when asked. On failure, returns the
/// index of the failing statement (none for connecting, `BEGIN` and `COMMIT`).
pub(crate) async fn run(
    pool: &Arc<PgPool>,
    opts: &PgConnectOptions,
    stmts: &[Stmt],
    collect: Collect,
    transaction: bool,
    limits: Limits,
    cancel: &Cancel,
) -> Result<Vec<StmtOutput>, (Option<usize>, Stop)> {
    let (lease, idle) = guarded(cancel, limits.timeout, async { Ok(pool.acquire().await) })
        .await
        .map_err(|s| (None, s))?;
    let mut conn = match idle {
        Some(c) => c,
        None => guarded(cancel, limits.timeout, async {
            opts.connect().await.map_err(from_sqlx)
        })
        .await
        .map_err(|s| (None, s))?,
    };
    if transaction {
        guarded(cancel, limits.timeout, async {
            conn.execute("BEGIN").await.map(drop).map_err(from_sqlx)
        })
        .await
        .map_err(|s| (None, s))?;
    }
    let mut outputs = Vec::with_capacity(stmts.len());
    for (i, st) in stmts.iter().enumerate() {
        match guarded(
            cancel,
            limits.timeout,
            one(&mut conn, st, collect, limits.max_rows),
        )
        .await
        {
            Ok(out) => outputs.push(out),
            Err(stop) => {
                // A database-reported error leaves the connection usable: roll back and keep
                // it. Anything else (timeout, cancel, broken stream) drops it, and the server
                // rolls back when it goes.
                if matches!(&stop, Stop::Failed(f) if f.reusable) {
                    let clean = !transaction
                        || guarded(cancel, limits.timeout, async {
                            conn.execute("ROLLBACK").await.map(drop).map_err(from_sqlx)
                        })
                        .await
                        .is_ok();
                    if clean {
                        lease.keep(conn);
                    }
                }
                return Err((Some(i), stop));
            }
        }
    }
    if transaction {
        guarded(cancel, limits.timeout, async {
            conn.execute("COMMIT").await.map(drop).map_err(from_sqlx)
        })
        .await
        .map_err(|s| (None, s))?;
    }
    lease.keep(conn);
    Ok(outputs)
}

async fn one(
    conn: &mut PgConnection,
    st: &Stmt,
    collect: Collect,
    max_rows: u64,
) -> Result<StmtOutput, DbFailure> {
    let stmt = conn
        .prepare_with(st.sql.as_str(), &[])
        .await
        .map_err(from_sqlx)?;
    let types: Vec<PgTypeInfo> = match stmt.parameters() {
        Some(sqlx_core::Either::Left(t)) => t.to_vec(),
        _ => Vec::new(),
    };
    if types.len() != st.params.len() {
        return Err(DbFailure::permanent(
            "db.params",
            format!(
                "the SQL has {} placeholder(s) ($1, $2…) but {} param(s) were given",
                types.len(),
                st.params.len()
            ),
        )
        .reusable());
    }
    let mut args = PgArguments::default();
    for (i, (v, ty)) in st.params.iter().zip(&types).enumerate() {
        let p = param(i, v, ty).map_err(DbFailure::reusable)?;
        args.add(p).map_err(|e| {
            DbFailure::permanent("db.params", format!("parameter {}: {e}", i + 1)).reusable()
        })?;
    }
    let want_rows = match collect {
        Collect::Rows => true,
        Collect::Count => false,
        Collect::Auto => !stmt.columns().is_empty(),
    };
    let query = stmt.query_with(args);
    if want_rows {
        let mut rows = Vec::new();
        let mut stream = query.fetch(&mut *conn);
        while let Some(row) = stream.try_next().await.map_err(from_sqlx)? {
            if rows.len() as u64 >= max_rows {
                return Err(too_many_rows(max_rows));
            }
            rows.push(row_json(&row)?);
        }
        Ok(StmtOutput {
            rows: Some(rows),
            ..StmtOutput::default()
        })
    } else {
        let done = query.execute(&mut *conn).await.map_err(from_sqlx)?;
        Ok(StmtOutput {
            rows_affected: Some(done.rows_affected()),
            ..StmtOutput::default()
        })
    }
}

// ---- params ----

/// A JSON value encoded as the type the server inferred for its placeholder.
struct PgParam {
    ty: PgTypeInfo,
    value: Bound,
}

enum Bound {
    Null,
    Bool(bool),
    I16(i16),
    I32(i32),
    I64(i64),
    F32(f32),
    F64(f64),
    /// Bytes sent as they are: text (text, varchar, enums …), bytea, numeric's binary form.
    Raw(Vec<u8>),
    Json(Value),
    Timestamptz(DateTime<Utc>),
    Timestamp(NaiveDateTime),
    Date(NaiveDate),
    Time(NaiveTime),
    Uuid(uuid::Uuid),
}

impl Type<Postgres> for PgParam {
    fn type_info() -> PgTypeInfo {
        // Never used: `produces` names the real type of every value.
        PgTypeInfo::with_name("text")
    }
}

impl<'q> Encode<'q, Postgres> for PgParam {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        match &self.value {
            Bound::Null => Ok(IsNull::Yes),
            Bound::Bool(v) => <bool as Encode<Postgres>>::encode_by_ref(v, buf),
            Bound::I16(v) => <i16 as Encode<Postgres>>::encode_by_ref(v, buf),
            Bound::I32(v) => <i32 as Encode<Postgres>>::encode_by_ref(v, buf),
            Bound::I64(v) => <i64 as Encode<Postgres>>::encode_by_ref(v, buf),
            Bound::F32(v) => <f32 as Encode<Postgres>>::encode_by_ref(v, buf),
            Bound::F64(v) => <f64 as Encode<Postgres>>::encode_by_ref(v, buf),
            Bound::Raw(bytes) => {
                buf.extend_from_slice(bytes);
                Ok(IsNull::No)
            }
            Bound::Json(v) => <Json<&Value> as Encode<Postgres>>::encode_by_ref(&Json(v), buf),
            Bound::Timestamptz(v) => <DateTime<Utc> as Encode<Postgres>>::encode_by_ref(v, buf),
            Bound::Timestamp(v) => <NaiveDateTime as Encode<Postgres>>::encode_by_ref(v, buf),
            Bound::Date(v) => <NaiveDate as Encode<Postgres>>::encode_by_ref(v, buf),
            Bound::Time(v) => <NaiveTime as Encode<Postgres>>::encode_by_ref(v, buf),
            Bound::Uuid(v) => <uuid::Uuid as Encode<Postgres>>::encode_by_ref(v, buf),
        }
    }

    fn produces(&self) -> Option<PgTypeInfo> {
        Some(self.ty.clone())
    }
}

fn is_text_type(ty: &PgTypeInfo) -> bool {
    matches!(ty.name(), "TEXT" | "VARCHAR" | "CHAR" | "NAME" | "UNKNOWN")
        || ty.name().eq_ignore_ascii_case("citext")
        || matches!(ty.kind(), PgTypeKind::Enum(_))
}

fn param(i: usize, v: &Value, ty: &PgTypeInfo) -> Result<PgParam, DbFailure> {
    let n = i + 1;
    let name = ty.name();
    let bad = |what: &str| {
        DbFailure::permanent(
            "db.params",
            format!(
                "parameter ${n} is {} but the database expects {name}{what}",
                crate::backend::kind_of(v)
            ),
        )
        .detail("parameter", n)
        .detail("expectedType", name)
    };
    let int = || -> Option<i64> {
        match v {
            Value::Number(x) => x
                .as_i64()
                .or_else(|| x.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    };
    let float = || -> Option<f64> {
        match v {
            Value::Number(x) => x.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    };
    let text = || -> Option<&str> { v.as_str() };
    let value = match (name, v) {
        (_, Value::Null) => Bound::Null,
        ("JSON" | "JSONB", v) => Bound::Json(v.clone()),
        (_, Value::Object(_) | Value::Array(_)) => {
            return Err(structured_param(
                i,
                v,
                &format!(
                    "here it is {name}; cast the placeholder to jsonb (${n}::jsonb) if it is meant as JSON"
                ),
            ));
        }
        ("BOOL", Value::Bool(b)) => Bound::Bool(*b),
        ("BOOL", Value::String(s)) if s == "true" || s == "false" => Bound::Bool(s == "true"),
        ("BOOL", _) => return Err(bad("; give true or false")),
        ("INT2", _) => Bound::I16(
            int()
                .and_then(|x| i16::try_from(x).ok())
                .ok_or_else(|| bad(" (an integer from -32768 to 32767)"))?,
        ),
        ("INT4", _) => Bound::I32(
            int()
                .and_then(|x| i32::try_from(x).ok())
                .ok_or_else(|| bad(" (a 32-bit integer)"))?,
        ),
        ("INT8", _) => Bound::I64(int().ok_or_else(|| bad(" (a 64-bit integer)"))?),
        ("FLOAT4", _) => Bound::F32(float().ok_or_else(|| bad(" (a number)"))? as f32),
        ("FLOAT8", _) => Bound::F64(float().ok_or_else(|| bad(" (a number)"))?),
        ("NUMERIC", _) => {
            let s = match v {
                Value::Number(x) => match (x.as_i64(), x.as_u64(), x.as_f64()) {
                    (Some(i), _, _) => i.to_string(),
                    (_, Some(u), _) => u.to_string(),
                    (_, _, Some(f)) => format!("{f}"),
                    _ => return Err(bad("")),
                },
                Value::String(s) => s.trim().to_string(),
                _ => return Err(bad(" (a number or a decimal string)")),
            };
            Bound::Raw(numeric::encode(&s).ok_or_else(|| bad(" (a number or a decimal string)"))?)
        }
        ("BYTEA", Value::String(s)) => Bound::Raw(
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|_| bad(" (binary data, given as a base64 string)"))?,
        ),
        ("TIMESTAMPTZ", Value::String(s)) => Bound::Timestamptz(
            DateTime::parse_from_rfc3339(s.trim())
                .map(|d| d.with_timezone(&Utc))
                .map_err(|_| bad(" (an RFC 3339 timestamp such as 2024-05-01T12:00:00Z)"))?,
        ),
        ("TIMESTAMP", Value::String(s)) => Bound::Timestamp(
            parse_naive_datetime(s.trim())
                .ok_or_else(|| bad(" (a timestamp such as 2024-05-01T12:00:00)"))?,
        ),
        ("DATE", Value::String(s)) => Bound::Date(
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map_err(|_| bad(" (a date such as 2024-05-01)"))?,
        ),
        ("TIME", Value::String(s)) => Bound::Time(
            NaiveTime::parse_from_str(s.trim(), "%H:%M:%S%.f")
                .or_else(|_| NaiveTime::parse_from_str(s.trim(), "%H:%M"))
                .map_err(|_| bad(" (a time such as 13:45:00)"))?,
        ),
        ("UUID", Value::String(s)) => {
            Bound::Uuid(uuid::Uuid::parse_str(s.trim()).map_err(|_| bad(" (a UUID)"))?)
        }
        _ if is_text_type(ty) => match (text(), v) {
            (Some(s), _) => Bound::Raw(s.as_bytes().to_vec()),
            (None, Value::Number(x)) => Bound::Raw(x.to_string().into_bytes()),
            (None, Value::Bool(b)) => Bound::Raw(b.to_string().into_bytes()),
            _ => return Err(bad("")),
        },
        _ => {
            return Err(DbFailure::permanent(
                "db.params",
                format!(
                    "parameter ${n} has type {name}, which db.query cannot bind; cast the placeholder in the SQL (e.g. ${n}::text)"
                ),
            )
            .detail("parameter", n)
            .detail("expectedType", name));
        }
    };
    Ok(PgParam {
        ty: ty.clone(),
        value,
    })
}

fn parse_naive_datetime(s: &str) -> Option<NaiveDateTime> {
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .or_else(|| DateTime::parse_from_rfc3339(s).ok().map(|d| d.naive_utc()))
}

// ---- rows ----

/// A row as a JSON object; a repeated column name gets a `_2`, `_3` … suffix.
fn row_json(row: &PgRow) -> Result<Value, DbFailure> {
    let mut m = Map::new();
    for (i, col) in row.columns().iter().enumerate() {
        let raw = row.try_get_raw(i).map_err(from_sqlx)?;
        let v = if raw.is_null() {
            Value::Null
        } else {
            cell(row, raw, col.name(), col.type_info())?
        };
        crate::backend::insert_unique(&mut m, col.name(), v);
    }
    Ok(Value::Object(m))
}

fn unsupported(column: &str, ty: &str) -> DbFailure {
    DbFailure::permanent(
        "db.type",
        format!(
            "column {column:?} has type {ty}, which db.query cannot map to JSON; cast it in the SQL (e.g. {column}::text)"
        ),
    )
    .detail("column", column)
    .detail("type", ty)
}

fn cell(
    row: &PgRow,
    raw: PgValueRef<'_>,
    column: &str,
    ty: &PgTypeInfo,
) -> Result<Value, DbFailure> {
    let name = ty.name();
    let decode_err = |e: BoxDynError| {
        DbFailure::permanent(
            "db.type",
            format!("column {column:?} ({name}) could not be decoded: {e}"),
        )
        .detail("column", column)
        .detail("type", name)
    };
    if raw.format() != PgValueFormat::Binary {
        // Only the simple protocol sends text, and this node never uses it for rows.
        return raw
            .as_str()
            .map(|s| Value::String(s.to_string()))
            .map_err(decode_err);
    }
    let bytes = raw.as_bytes().map_err(decode_err)?;
    let get = |e: sqlx_core::Error| decode_err(Box::new(e));
    Ok(match name {
        "BOOL" => Value::Bool(bytes == [1]),
        "INT2" => Value::from(be_int(bytes, 2).ok_or_else(|| unsupported(column, name))?),
        "INT4" => Value::from(be_int(bytes, 4).ok_or_else(|| unsupported(column, name))?),
        "INT8" => Value::from(be_int(bytes, 8).ok_or_else(|| unsupported(column, name))?),
        "OID" => {
            Value::from(be_int(bytes, 4).ok_or_else(|| unsupported(column, name))? as i32 as u32)
        }
        "FLOAT4" => float_json(f32::from_be_bytes(
            bytes.try_into().map_err(|_| unsupported(column, name))?,
        ) as f64),
        "FLOAT8" => float_json(f64::from_be_bytes(
            bytes.try_into().map_err(|_| unsupported(column, name))?,
        )),
        "NUMERIC" => {
            Value::String(numeric::decode(bytes).ok_or_else(|| unsupported(column, name))?)
        }
        "BYTEA" => Value::String(base64::engine::general_purpose::STANDARD.encode(bytes)),
        "JSON" => serde_json::from_slice(bytes).map_err(|e| decode_err(Box::new(e)))?,
        "JSONB" => match bytes.split_first() {
            Some((1, rest)) => serde_json::from_slice(rest).map_err(|e| decode_err(Box::new(e)))?,
            _ => return Err(unsupported(column, "JSONB (unknown version)")),
        },
        "UUID" => Value::String(
            uuid::Uuid::from_slice(bytes)
                .map_err(|e| decode_err(Box::new(e)))?
                .to_string(),
        ),
        "TIMESTAMPTZ" | "TIMESTAMP" => {
            let micros = be_int(bytes, 8).ok_or_else(|| unsupported(column, name))?;
            Value::String(timestamp(micros, name == "TIMESTAMPTZ"))
        }
        "DATE" => {
            let days = be_int(bytes, 4).ok_or_else(|| unsupported(column, name))?;
            Value::String(date(days))
        }
        "TIME" => {
            let micros = be_int(bytes, 8).ok_or_else(|| unsupported(column, name))?;
            let t = NaiveTime::from_num_seconds_from_midnight_opt(
                (micros / 1_000_000) as u32,
                ((micros % 1_000_000) * 1000) as u32,
            )
            .ok_or_else(|| unsupported(column, name))?;
            Value::String(t.format("%H:%M:%S%.f").to_string())
        }
        "VOID" => Value::Null,
        "BOOL[]" | "INT2[]" | "INT4[]" | "INT8[]" | "FLOAT4[]" | "FLOAT8[]" | "TEXT[]"
        | "VARCHAR[]" | "UUID[]" | "JSONB[]" | "JSON[]" => {
            array(row, column_index(row, column)?, name).map_err(get)?
        }
        _ if is_text_type(ty) => Value::String(
            std::str::from_utf8(bytes)
                .map_err(|e| decode_err(Box::new(e)))?
                .to_string(),
        ),
        _ => return Err(unsupported(column, name)),
    })
}

fn column_index(row: &PgRow, column: &str) -> Result<usize, DbFailure> {
    row.columns()
        .iter()
        .position(|c| c.name() == column)
        .ok_or_else(|| DbFailure::permanent("db.type", format!("column {column:?} vanished")))
}

fn array(row: &PgRow, i: usize, name: &str) -> Result<Value, sqlx_core::Error> {
    fn list<T: Into<Value>>(v: Vec<Option<T>>) -> Value {
        Value::Array(
            v.into_iter()
                .map(|x| x.map_or(Value::Null, Into::into))
                .collect(),
        )
    }
    Ok(match name {
        "BOOL[]" => list(row.try_get::<Vec<Option<bool>>, _>(i)?),
        "INT2[]" => list(row.try_get::<Vec<Option<i16>>, _>(i)?),
        "INT4[]" => list(row.try_get::<Vec<Option<i32>>, _>(i)?),
        "INT8[]" => list(row.try_get::<Vec<Option<i64>>, _>(i)?),
        "FLOAT4[]" => Value::Array(
            row.try_get::<Vec<Option<f32>>, _>(i)?
                .into_iter()
                .map(|x| x.map_or(Value::Null, |f| float_json(f as f64)))
                .collect(),
        ),
        "FLOAT8[]" => Value::Array(
            row.try_get::<Vec<Option<f64>>, _>(i)?
                .into_iter()
                .map(|x| x.map_or(Value::Null, float_json))
                .collect(),
        ),
        "UUID[]" => list(
            row.try_get::<Vec<Option<uuid::Uuid>>, _>(i)?
                .into_iter()
                .map(|u| u.map(|u| u.to_string()))
                .collect(),
        ),
        "JSONB[]" | "JSON[]" => list(row.try_get::<Vec<Option<Value>>, _>(i)?),
        _ => list(row.try_get::<Vec<Option<String>>, _>(i)?),
    })
}

/// A float as a JSON number; NaN and infinities (which JSON lacks) as PostgreSQL spells them.
fn float_json(f: f64) -> Value {
    if f.is_nan() {
        Value::String("NaN".into())
    } else if f.is_infinite() {
        Value::String(if f > 0.0 { "Infinity" } else { "-Infinity" }.into())
    } else {
        serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

fn be_int(bytes: &[u8], width: usize) -> Option<i64> {
    if bytes.len() != width {
        return None;
    }
    Some(match width {
        2 => i16::from_be_bytes([bytes[0], bytes[1]]) as i64,
        4 => i32::from_be_bytes(bytes.try_into().ok()?) as i64,
        _ => i64::from_be_bytes(bytes.try_into().ok()?),
    })
}

/// Microseconds since 2000-01-01 as RFC 3339 (`Z` for timestamptz, no offset for timestamp);
/// PostgreSQL's infinities as `infinity` / `-infinity`.
fn timestamp(micros: i64, utc: bool) -> String {
    match micros {
        i64::MAX => return "infinity".into(),
        i64::MIN => return "-infinity".into(),
        _ => {}
    }
    const EPOCH_2000: i64 = 946_684_800;
    let secs = micros.div_euclid(1_000_000) + EPOCH_2000;
    let nanos = (micros.rem_euclid(1_000_000) * 1000) as u32;
    match DateTime::<Utc>::from_timestamp(secs, nanos) {
        Some(d) if utc => d.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        Some(d) => d.naive_utc().format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
        None => micros.to_string(),
    }
}

fn date(days: i64) -> String {
    match days {
        d if d == i32::MAX as i64 => "infinity".into(),
        d if d == i32::MIN as i64 => "-infinity".into(),
        d => NaiveDate::from_ymd_opt(2000, 1, 1)
            .and_then(|e| e.checked_add_signed(chrono::Duration::days(d)))
            .map_or_else(|| d.to_string(), |x| x.format("%Y-%m-%d").to_string()),
    }
}

/// PostgreSQL's binary NUMERIC: base-10000 digits with a weight, sign and display scale.
mod numeric {
    const POS: u16 = 0x0000;
    const NEG: u16 = 0x4000;
    const NAN: u16 = 0xC000;
    const PINF: u16 = 0xD000;
    const NINF: u16 = 0xF000;

    /// The exact decimal text of a binary NUMERIC.
    pub fn decode(b: &[u8]) -> Option<String> {
        let word = |i: usize| -> Option<i16> {
            Some(i16::from_be_bytes([*b.get(i * 2)?, *b.get(i * 2 + 1)?]))
        };
        let ndigits = word(0)? as usize;
        let weight = word(1)? as i32;
        let sign = word(2)? as u16;
        let dscale = word(3)? as u16 as usize;
        match sign {
            NAN => return Some("NaN".into()),
            PINF => return Some("Infinity".into()),
            NINF => return Some("-Infinity".into()),
            POS | NEG => {}
            _ => return None,
        }
        let digits: Vec<i16> = (0..ndigits).map(|i| word(4 + i)).collect::<Option<_>>()?;
        let digit = |idx: i32| -> i16 {
            if idx >= 0 {
                digits.get(idx as usize).copied().unwrap_or(0)
            } else {
                0
            }
        };
        let mut s = String::new();
        if sign == NEG {
            s.push('-');
        }
        if weight < 0 {
            s.push('0');
        } else {
            for k in 0..=weight {
                if k == 0 {
                    s.push_str(&digit(k).to_string());
                } else {
                    s.push_str(&format!("{:04}", digit(k)));
                }
            }
        }
        if dscale > 0 {
            let mut frac = String::new();
            let mut k = weight + 1;
            while frac.len() < dscale {
                frac.push_str(&format!("{:04}", digit(k)));
                k += 1;
            }
            frac.truncate(dscale);
            s.push('.');
            s.push_str(&frac);
        }
        Some(s)
    }

    /// The binary NUMERIC of a plain decimal (`-12.50`, `3`, `.5`, `NaN`); `None` otherwise.
    pub fn encode(text: &str) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let put = |out: &mut Vec<u8>, w: u16| out.extend_from_slice(&w.to_be_bytes());
        match text {
            "NaN" => {
                for w in [0, 0, NAN, 0] {
                    put(&mut out, w);
                }
                return Some(out);
            }
            "Infinity" | "-Infinity" => {
                let sign = if text.starts_with('-') { NINF } else { PINF };
                for w in [0, 0, sign, 0] {
                    put(&mut out, w);
                }
                return Some(out);
            }
            _ => {}
        }
        let (neg, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        if (int.is_empty() && frac.is_empty())
            || !int.bytes().all(|c| c.is_ascii_digit())
            || !frac.bytes().all(|c| c.is_ascii_digit())
        {
            return None;
        }
        let dscale = u16::try_from(frac.len()).ok()?;
        let int = int.trim_start_matches('0');
        let pad_int = (4 - int.len() % 4) % 4;
        let int_digits = format!("{}{int}", "0".repeat(pad_int));
        let pad_frac = (4 - frac.len() % 4) % 4;
        let frac_digits = format!("{frac}{}", "0".repeat(pad_frac));
        let group = |s: &str| -> Vec<i16> {
            s.as_bytes()
                .chunks(4)
                .map(|c| {
                    std::str::from_utf8(c)
                        .ok()
                        .and_then(|x| x.parse().ok())
                        .unwrap_or(0)
                })
                .collect()
        };
        let int_groups = group(&int_digits);
        let mut groups = int_groups.clone();
        groups.extend(group(&frac_digits));
        let mut weight = int_groups.len() as i32 - 1;
        // Leading zero groups shift the weight; trailing ones carry nothing.
        let lead = groups.iter().take_while(|g| **g == 0).count();
        groups.drain(..lead);
        weight -= lead as i32;
        while groups.last() == Some(&0) {
            groups.pop();
        }
        if groups.is_empty() {
            weight = 0;
        }
        let sign = if neg && !groups.is_empty() { NEG } else { POS };
        put(&mut out, u16::try_from(groups.len()).ok()?);
        put(&mut out, i16::try_from(weight).ok()? as u16);
        put(&mut out, sign);
        put(&mut out, dscale);
        for g in groups {
            put(&mut out, g as u16);
        }
        Some(out)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn round_trips() {
            for (input, shown) in [
                ("0", "0"),
                ("1", "1"),
                ("-12.50", "-12.50"),
                ("123456789.000123", "123456789.000123"),
                ("0.0001", "0.0001"),
                (".5", "0.5"),
                ("10000", "10000"),
                (
                    "99999999999999999999999.123456789012345",
                    "99999999999999999999999.123456789012345",
                ),
                ("NaN", "NaN"),
                ("-0.000", "0.000"),
            ] {
                let b = encode(input).unwrap_or_else(|| panic!("{input}"));
                assert_eq!(decode(&b).as_deref(), Some(shown), "{input}");
            }
            assert!(encode("1e5").is_none());
            assert!(encode("abc").is_none());
            assert!(encode("").is_none());
        }
    }
}
