//! The ten port types and the one table that says which connections are allowed.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The type of the items that flow through a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PortType {
    /// Anything; fits every other type in both directions.
    Any,
    /// A text value.
    String,
    /// A number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// A JSON object.
    Object,
    /// A JSON array.
    Array,
    /// A reference to binary content (file, image) with its MIME type.
    Binary,
    /// Rows with named columns.
    Table,
    /// A chat message (`role`, `content`, optional tool calls).
    Message,
    /// An error with `code`, `message` and `details`.
    Error,
}

impl PortType {
    /// All port types, in the order the UI lists them.
    pub const ALL: [PortType; 10] = [
        PortType::Any,
        PortType::String,
        PortType::Number,
        PortType::Boolean,
        PortType::Object,
        PortType::Array,
        PortType::Binary,
        PortType::Table,
        PortType::Message,
        PortType::Error,
    ];

    /// The lowercase name used in documents and schemas.
    pub fn as_str(self) -> &'static str {
        match self {
            PortType::Any => "any",
            PortType::String => "string",
            PortType::Number => "number",
            PortType::Boolean => "boolean",
            PortType::Object => "object",
            PortType::Array => "array",
            PortType::Binary => "binary",
            PortType::Table => "table",
            PortType::Message => "message",
            PortType::Error => "error",
        }
    }
}

impl fmt::Display for PortType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether an output of one type may feed an input of another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Compatibility {
    /// Same type, or `any` on either side.
    Exact,
    /// Allowed; the value is converted as described.
    Coerce {
        /// How the value is converted, shown to users.
        how: &'static str,
    },
    /// Refused.
    Incompatible,
}

impl Compatibility {
    /// True unless the connection is refused.
    pub fn is_allowed(self) -> bool {
        !matches!(self, Compatibility::Incompatible)
    }
}

/// The coercions allowed between distinct, non-`any` types: (from, to, how). This table is the
/// single source of truth; the UI shows it and validation uses it.
pub const COERCIONS: &[(PortType, PortType, &str)] = &[
    (
        PortType::Number,
        PortType::String,
        "the number is written in decimal",
    ),
    (
        PortType::Boolean,
        PortType::String,
        "written as \"true\" or \"false\"",
    ),
    (PortType::Boolean, PortType::Number, "true is 1, false is 0"),
    (
        PortType::String,
        PortType::Number,
        "parsed as a decimal number; a step error if it is not one",
    ),
    (
        PortType::String,
        PortType::Boolean,
        "\"true\"/\"false\"; a step error otherwise",
    ),
    (
        PortType::Object,
        PortType::Table,
        "the object becomes one row",
    ),
    (
        PortType::Array,
        PortType::Table,
        "each element becomes a row; objects give named columns",
    ),
    (
        PortType::Table,
        PortType::Array,
        "each row becomes an object",
    ),
    (
        PortType::Table,
        PortType::Object,
        "each row becomes an item",
    ),
    (
        PortType::Message,
        PortType::Object,
        "the message as an object with role and content",
    ),
    (PortType::Message, PortType::String, "the message content"),
    (
        PortType::String,
        PortType::Message,
        "a user message with this content",
    ),
    (
        PortType::Error,
        PortType::Object,
        "the error as an object with code, message and details",
    ),
    (PortType::Error, PortType::String, "the error message"),
    (
        PortType::Binary,
        PortType::Object,
        "the binary reference: name, MIME type, size, key",
    ),
];

/// Looks up whether `from` may connect to `to`.
pub fn coercion(from: PortType, to: PortType) -> Compatibility {
    if from == to || from == PortType::Any || to == PortType::Any {
        return Compatibility::Exact;
    }
    COERCIONS
        .iter()
        .find(|(f, t, _)| *f == from && *t == to)
        .map(|(_, _, how)| Compatibility::Coerce { how })
        .unwrap_or(Compatibility::Incompatible)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_fits_everything() {
        for t in PortType::ALL {
            assert_eq!(coercion(PortType::Any, t), Compatibility::Exact);
            assert_eq!(coercion(t, PortType::Any), Compatibility::Exact);
            assert_eq!(coercion(t, t), Compatibility::Exact);
        }
    }

    #[test]
    fn table_has_no_duplicates_or_identities() {
        for (i, (f, t, _)) in COERCIONS.iter().enumerate() {
            assert_ne!(f, t);
            assert_ne!(*f, PortType::Any);
            assert_ne!(*t, PortType::Any);
            assert!(
                !COERCIONS[i + 1..]
                    .iter()
                    .any(|(f2, t2, _)| f2 == f && t2 == t)
            );
        }
    }

    #[test]
    fn refuses_what_makes_no_sense() {
        assert_eq!(
            coercion(PortType::Binary, PortType::Number),
            Compatibility::Incompatible
        );
        assert_eq!(
            coercion(PortType::Object, PortType::Number),
            Compatibility::Incompatible
        );
        assert!(coercion(PortType::Number, PortType::String).is_allowed());
    }
}
