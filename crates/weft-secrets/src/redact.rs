//! Replacing secret values wherever they appear.

use serde_json::Value;

/// What a secret value is replaced with.
pub const REDACTED: &str = "«redacted»";

/// Values shorter than this are not redacted: replacing every "a" or "1" would destroy data
/// without protecting anything.
const MIN_LEN: usize = 4;

/// A set of secret values to remove from text and JSON.
#[derive(Debug, Default, Clone)]
pub struct Redactor {
    needles: Vec<String>,
}

impl Redactor {
    /// An empty redactor.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a secret value, and the forms it commonly takes on the wire (base64, and JSON
    /// string escaping).
    pub fn add(&mut self, secret: &str) {
        use base64::Engine;
        if secret.len() < MIN_LEN {
            return;
        }
        let mut forms = vec![secret.to_string()];
        forms.push(base64::engine::general_purpose::STANDARD.encode(secret));
        if let Ok(json) = serde_json::to_string(secret) {
            forms.push(json[1..json.len() - 1].to_string());
        }
        for form in forms {
            if !self.needles.contains(&form) {
                self.needles.push(form);
            }
        }
        // Longest first, so that a secret containing another is replaced whole.
        self.needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
    }

    /// Whether there is nothing to redact.
    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// The text with every secret replaced; borrowed when there was none.
    pub fn text<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        let mut out = std::borrow::Cow::Borrowed(text);
        for needle in &self.needles {
            if out.contains(needle.as_str()) {
                out = std::borrow::Cow::Owned(out.replace(needle.as_str(), REDACTED));
            }
        }
        out
    }

    /// Replaces secrets in every string and object key of a JSON value. Returns whether
    /// anything was replaced.
    pub fn value(&self, value: &mut Value) -> bool {
        if self.is_empty() {
            return false;
        }
        let mut changed = false;
        let mut stack = vec![value];
        while let Some(v) = stack.pop() {
            match v {
                Value::String(s) => {
                    if let std::borrow::Cow::Owned(r) = self.text(s) {
                        *s = r;
                        changed = true;
                    }
                }
                Value::Array(a) => stack.extend(a.iter_mut()),
                Value::Object(m) => {
                    let keys: Vec<String> = m
                        .keys()
                        .filter(|k| matches!(self.text(k), std::borrow::Cow::Owned(_)))
                        .cloned()
                        .collect();
                    for k in keys {
                        if let Some(inner) = m.remove(&k) {
                            m.insert(self.text(&k).into_owned(), inner);
                            changed = true;
                        }
                    }
                    stack.extend(m.values_mut());
                }
                _ => {}
            }
        }
        changed
    }
}
