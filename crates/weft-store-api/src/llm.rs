//! LLM accounting: every model call an agent makes (tokens, latency, cost), the price table per
//! organization, budgets with atomic reservations, and the response cache.
//!
//! Money is kept in whole nano-dollars (`i64`, 1e-9 USD): sums and comparisons are exact, and
//! a price of $0.15 per million tokens is 150 nano-dollars per thousand tokens.
//!
//! **Budgets** hold a limit in tokens and/or money over a window (a UTC day, a UTC month, or
//! one run). [`crate::Store::reserve_llm`] reserves a call's worst case against every budget
//! that applies to it, atomically: the call is refused when `spent + reserved + worst` would
//! pass a limit, so concurrent runs cannot overspend by more than the calls already in flight.
//! [`crate::Store::settle_llm`] records the call, replaces the reservation by what was actually
//! spent and reports the thresholds (50, 75, 90, 100 %) the window crossed for the first time.

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Nano-dollars in one US dollar.
pub const NANOS_PER_USD: i64 = 1_000_000_000;

/// Thresholds reported once per budget window, in percent of the limit.
pub const THRESHOLDS: [u8; 4] = [50, 75, 90, 100];

/// Reservations older than this are taken as abandoned (their process died mid-call) and no
/// longer count against a budget.
pub const RESERVATION_TTL_SECS: i64 = 3600;

/// Dollars to nano-dollars (rounded).
pub fn usd_to_nanos(usd: f64) -> i64 {
    (usd * NANOS_PER_USD as f64).round() as i64
}

/// Nano-dollars to dollars.
pub fn nanos_to_usd(nanos: i64) -> f64 {
    nanos as f64 / NANOS_PER_USD as f64
}

/// The price of one model, in dollars per million tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LlmPrice {
    /// The model name (an exact name, or a prefix that names a family, e.g. `gpt-4o-mini`).
    pub model: String,
    /// Dollars per million prompt tokens.
    pub input_per_mtok: f64,
    /// Dollars per million completion tokens.
    pub output_per_mtok: f64,
}

impl LlmPrice {
    /// The cost of a call in nano-dollars.
    pub fn cost_nanos(&self, prompt_tokens: u64, completion_tokens: u64) -> i64 {
        // nanos = tokens × $/Mtok × 1e9 / 1e6 = tokens × $/Mtok × 1000
        let n = prompt_tokens as f64 * self.input_per_mtok * 1000.0
            + completion_tokens as f64 * self.output_per_mtok * 1000.0;
        n.round() as i64
    }
}

/// Built-in prices (dollars per million tokens, input then output) for common model names,
/// used when the organization set none. Prefix matches apply (`gpt-4o-mini-2024-07-18`).
pub const DEFAULT_PRICES: &[(&str, f64, f64)] = &[
    ("gpt-4o-mini", 0.15, 0.60),
    ("gpt-4o", 2.50, 10.00),
    ("gpt-4.1-nano", 0.10, 0.40),
    ("gpt-4.1-mini", 0.40, 1.60),
    ("gpt-4.1", 2.00, 8.00),
    ("gpt-4-turbo", 10.00, 30.00),
    ("gpt-3.5-turbo", 0.50, 1.50),
    ("o1-mini", 1.10, 4.40),
    ("o1", 15.00, 60.00),
    ("o3-mini", 1.10, 4.40),
    ("o4-mini", 1.10, 4.40),
    ("claude-3-5-haiku", 0.80, 4.00),
    ("claude-3-5-sonnet", 3.00, 15.00),
    ("claude-3-7-sonnet", 3.00, 15.00),
    ("claude-3-haiku", 0.25, 1.25),
    ("claude-3-opus", 15.00, 75.00),
    ("claude-sonnet-4", 3.00, 15.00),
    ("claude-opus-4", 15.00, 75.00),
    ("llama-3.1-8b-instant", 0.05, 0.08),
    ("llama-3.3-70b-versatile", 0.59, 0.79),
];

/// The built-in price table.
pub fn default_prices() -> Vec<LlmPrice> {
    DEFAULT_PRICES
        .iter()
        .map(|(m, i, o)| LlmPrice {
            model: (*m).to_owned(),
            input_per_mtok: *i,
            output_per_mtok: *o,
        })
        .collect()
}

/// The price of `model`: the organization's exact entry, else the built-in exact entry, else
/// the longest prefix among the organization's, else among the built-in ones. `None` when the
/// model is unknown (its calls cost 0 and are flagged unpriced, never guessed).
pub fn price_for(org_prices: &[LlmPrice], model: &str) -> Option<LlmPrice> {
    let defaults = default_prices();
    let exact = |t: &[LlmPrice]| t.iter().find(|p| p.model == model).cloned();
    let prefix = |t: &[LlmPrice]| {
        t.iter()
            .filter(|p| !p.model.is_empty() && model.starts_with(&p.model))
            .max_by_key(|p| p.model.len())
            .cloned()
    };
    exact(org_prices)
        .or_else(|| exact(&defaults))
        .or_else(|| prefix(org_prices))
        .or_else(|| prefix(&defaults))
}

/// What a budget counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BudgetScope {
    /// Every call of the organization.
    Organization,
    /// Calls of runs of one team (`scope_id` is the team id).
    Team,
    /// Calls of runs of one workflow (`scope_id` is the workflow id).
    Workflow,
}

impl BudgetScope {
    /// The name used in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            BudgetScope::Organization => "organization",
            BudgetScope::Team => "team",
            BudgetScope::Workflow => "workflow",
        }
    }
}

/// Over what a budget's limit applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BudgetWindow {
    /// A UTC calendar day.
    Day,
    /// A UTC calendar month.
    Month,
    /// Each run separately.
    Run,
}

impl BudgetWindow {
    /// The window a call at `at` in run `run_id` falls in: `d:2026-12-06`, `m:2026-12` or
    /// `r:{run_id}`.
    pub fn key(self, at: DateTime<Utc>, run_id: &str) -> String {
        match self {
            BudgetWindow::Day => format!("d:{:04}-{:02}-{:02}", at.year(), at.month(), at.day()),
            BudgetWindow::Month => format!("m:{:04}-{:02}", at.year(), at.month()),
            BudgetWindow::Run => format!("r:{run_id}"),
        }
    }
}

/// A spending limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Budget {
    /// Id, unique in the organization.
    pub id: String,
    /// A name for people.
    pub name: String,
    /// What it counts.
    pub scope: BudgetScope,
    /// The team or workflow id (none for the organization).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_id: Option<String>,
    /// The window.
    pub window: BudgetWindow,
    /// Most tokens (prompt + completion) per window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// Most nano-dollars per window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_cost_nanos: Option<i64>,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

impl Budget {
    /// Whether the budget counts a call made in this context.
    pub fn applies_to(&self, who: &LlmCaller) -> bool {
        match self.scope {
            BudgetScope::Organization => true,
            BudgetScope::Team => self.scope_id.is_some() && self.scope_id == who.team_id,
            BudgetScope::Workflow => self.scope_id.is_some() && self.scope_id == who.workflow_id,
        }
    }

    /// The highest share of a limit that `tokens` and `nanos` use, in percent (0 without
    /// limits).
    pub fn percent(&self, tokens: u64, nanos: i64) -> f64 {
        let mut p: f64 = 0.0;
        if let Some(max) = self.max_tokens {
            p = p.max(if max == 0 {
                if tokens > 0 { f64::INFINITY } else { 100.0 }
            } else {
                tokens as f64 * 100.0 / max as f64
            });
        }
        if let Some(max) = self.max_cost_nanos {
            p = p.max(if max <= 0 {
                if nanos > 0 { f64::INFINITY } else { 100.0 }
            } else {
                nanos as f64 * 100.0 / max as f64
            });
        }
        p
    }

    /// Whether `tokens` and `nanos` stay within every limit.
    pub fn allows(&self, tokens: u64, nanos: i64) -> bool {
        self.max_tokens.is_none_or(|m| tokens <= m)
            && self.max_cost_nanos.is_none_or(|m| nanos <= m)
    }
}

/// What a budget window has used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowSpend {
    /// Tokens of settled calls.
    pub spent_tokens: u64,
    /// Nano-dollars of settled calls.
    pub spent_nanos: i64,
    /// Worst-case tokens of calls in flight.
    pub reserved_tokens: u64,
    /// Worst-case nano-dollars of calls in flight.
    pub reserved_nanos: i64,
    /// Thresholds already reported (bit i for [`THRESHOLDS`]\[i\]).
    pub alerted: u8,
}

/// Who makes a call: what budgets and roll-ups group by.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LlmCaller {
    /// The run's team.
    pub team_id: Option<String>,
    /// The stored workflow of the run, when it has one.
    pub workflow_id: Option<String>,
    /// The workflow's name.
    pub workflow_name: String,
    /// The run.
    pub run_id: String,
    /// The step's node id.
    pub node_id: String,
    /// The step's attempt.
    pub attempt: u32,
}

/// A call's worst case, to reserve before it is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReserveRequest {
    /// Who calls.
    pub caller: LlmCaller,
    /// Prompt tokens estimated plus the most completion tokens.
    pub tokens: u64,
    /// Their price in nano-dollars.
    pub nanos: i64,
    /// Now.
    pub at: DateTime<Utc>,
}

/// A reservation held while a call is in flight; hand it to [`crate::Store::settle_llm`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    /// Its id (none when no budget applied: nothing was reserved).
    pub id: Option<String>,
}

/// Why a call was refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BudgetRefusal {
    /// The budget that would be passed.
    pub budget: Budget,
    /// Its window.
    pub window: String,
    /// What the window has used and has in flight.
    pub spend: WindowSpend,
    /// The refused call's worst case: tokens.
    pub wanted_tokens: u64,
    /// The refused call's worst case: nano-dollars.
    pub wanted_nanos: i64,
}

/// What [`crate::Store::reserve_llm`] decided.
#[derive(Debug, Clone, PartialEq)]
pub enum ReserveOutcome {
    /// The call may go ahead.
    Reserved(Reservation),
    /// A budget would be passed.
    Refused(Box<BudgetRefusal>),
}

/// One model call as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LlmCall {
    /// Unique id.
    pub id: String,
    /// Who called.
    #[serde(flatten)]
    pub caller: LlmCaller,
    /// Provider kind (`openai`, `anthropic`).
    pub provider: String,
    /// The model.
    pub model: String,
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Completion tokens.
    pub completion_tokens: u64,
    /// Wall time.
    pub latency_ms: u64,
    /// Cost in nano-dollars (0 when cached or unpriced).
    pub cost_nanos: i64,
    /// False when no price was known for the model.
    pub priced: bool,
    /// Answered from the response cache.
    pub cached: bool,
    /// False when the call failed (a fallback moved on, or the step failed).
    pub ok: bool,
    /// When it finished.
    pub at: DateTime<Utc>,
}

/// A threshold a budget window crossed for the first time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BudgetCrossing {
    /// The budget.
    pub budget: Budget,
    /// The window.
    pub window: String,
    /// 50, 75, 90 or 100.
    pub threshold: u8,
    /// Spend after the call.
    pub spend: WindowSpend,
}

/// The thresholds `after` reaches that `alerted` has not reported yet; returns them and the
/// new mask.
pub fn new_crossings(budget: &Budget, spend: &WindowSpend) -> (Vec<u8>, u8) {
    let pct = budget.percent(spend.spent_tokens, spend.spent_nanos);
    let mut mask = spend.alerted;
    let mut out = Vec::new();
    if budget.max_tokens.is_none() && budget.max_cost_nanos.is_none() {
        return (out, mask);
    }
    for (i, t) in THRESHOLDS.iter().enumerate() {
        let bit = 1u8 << i;
        if pct >= f64::from(*t) && mask & bit == 0 {
            mask |= bit;
            out.push(*t);
        }
    }
    (out, mask)
}

/// How usage is grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum UsageGroup {
    /// Per run.
    Run,
    /// Per workflow (its id, or its name for runs of unstored documents).
    Workflow,
    /// Per team (empty key: no team).
    Team,
    /// The whole organization in one row.
    Organization,
    /// Per model.
    Model,
    /// Per step (node id) — useful within one run.
    Node,
}

impl UsageGroup {
    /// The SQL expression of the group key over `llm_calls` (the same for both backends).
    pub fn sql_key(self) -> &'static str {
        match self {
            UsageGroup::Run => "run_id",
            UsageGroup::Workflow => "COALESCE(workflow_id, workflow_name)",
            UsageGroup::Team => "COALESCE(team_id, '')",
            UsageGroup::Organization => "org_id",
            UsageGroup::Model => "model",
            UsageGroup::Node => "node_id",
        }
    }
}

/// A roll-up query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageQuery {
    /// Grouping.
    pub group_by: UsageGroup,
    /// Calls at or after.
    pub from: Option<DateTime<Utc>>,
    /// Calls before.
    pub to: Option<DateTime<Utc>>,
    /// Only this run's calls.
    pub run_id: Option<String>,
}

/// One row of a roll-up.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageRow {
    /// The group's key (run id, workflow id, team id, org id, model or node id).
    pub key: String,
    /// Calls made.
    pub calls: u64,
    /// Calls answered from the cache.
    pub cached_calls: u64,
    /// Calls of models without a price.
    pub unpriced_calls: u64,
    /// Calls that failed.
    pub failed_calls: u64,
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Completion tokens.
    pub completion_tokens: u64,
    /// Nano-dollars.
    pub cost_nanos: i64,
}

/// A cached model response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedResponse {
    /// The response as the agent stored it.
    pub response: Value,
    /// When it stops being served.
    pub expires_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_match_exactly_then_by_longest_prefix_org_first() {
        let org = vec![LlmPrice {
            model: "gpt-4o".into(),
            input_per_mtok: 1.0,
            output_per_mtok: 2.0,
        }];
        assert_eq!(
            price_for(&org, "gpt-4o").map(|p| p.input_per_mtok),
            Some(1.0)
        );
        assert_eq!(
            price_for(&org, "gpt-4o-mini-2024-07-18").map(|p| p.input_per_mtok),
            Some(1.0),
            "the org's prefix wins over a longer built-in prefix"
        );
        assert_eq!(
            price_for(&[], "gpt-4o-mini-2024").map(|p| p.input_per_mtok),
            Some(0.15)
        );
        assert_eq!(price_for(&[], "smollm2"), None);
        let p = price_for(&[], "gpt-4o-mini").unwrap_or_else(|| unreachable!());
        // 1M prompt tokens = $0.15, 1M completion = $0.60.
        assert_eq!(p.cost_nanos(1_000_000, 1_000_000), 750_000_000);
        assert_eq!(p.cost_nanos(10, 0), 1500);
    }

    #[test]
    fn windows_and_thresholds() {
        let at = DateTime::<Utc>::from_timestamp(1_765_000_000, 0).unwrap_or_default();
        assert_eq!(BudgetWindow::Day.key(at, "r1"), "d:2025-12-06");
        assert_eq!(BudgetWindow::Month.key(at, "r1"), "m:2025-12");
        assert_eq!(BudgetWindow::Run.key(at, "r1"), "r:r1");
        let b = Budget {
            id: "b".into(),
            name: "b".into(),
            scope: BudgetScope::Organization,
            scope_id: None,
            window: BudgetWindow::Run,
            max_tokens: Some(100),
            max_cost_nanos: None,
            created_at: at,
            updated_at: at,
        };
        let mut s = WindowSpend {
            spent_tokens: 80,
            ..Default::default()
        };
        let (c, mask) = new_crossings(&b, &s);
        assert_eq!(c, vec![50, 75]);
        s.alerted = mask;
        s.spent_tokens = 85;
        assert!(new_crossings(&b, &s).0.is_empty(), "each threshold once");
        s.spent_tokens = 100;
        assert_eq!(new_crossings(&b, &s).0, vec![90, 100]);
        assert!(b.allows(100, 0) && !b.allows(101, 0));
    }
}
