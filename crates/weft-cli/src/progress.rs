//! Printing live run progress for people (stderr) or as JSON lines (stdout).

use std::collections::HashMap;
use std::io::Write;
use weft_engine::{RunEvent, RunEventKind};
use weft_store_api::RunId;

/// Prints events of one run and its children.
pub struct Progress {
    json: bool,
    quiet: bool,
    root: Option<RunId>,
    depth: HashMap<RunId, usize>,
}

impl Progress {
    /// A printer; `json` prints every event as a JSON line on stdout.
    pub fn new(json: bool, quiet: bool) -> Self {
        Progress {
            json,
            quiet,
            root: None,
            depth: HashMap::new(),
        }
    }

    /// Follow this run (and its descendants).
    pub fn follow(&mut self, run: RunId) {
        self.root = Some(run);
        self.depth.insert(run, 0);
    }

    /// Prints an event if it belongs to the followed run tree.
    pub fn show(&mut self, event: &RunEvent) {
        let depth = match self.depth.get(&event.run_id) {
            Some(d) => *d,
            None => match event
                .parent_run_id
                .and_then(|p| self.depth.get(&p).copied())
            {
                Some(d) => {
                    self.depth.insert(event.run_id, d + 1);
                    d + 1
                }
                None => return,
            },
        };
        if self.json {
            if let Ok(line) = serde_json::to_string(event) {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}");
            }
            return;
        }
        if self.quiet {
            return;
        }
        let pad = "  ".repeat(depth);
        let line = match &event.kind {
            RunEventKind::RunStarted { workflow, resumed } => {
                let verb = if *resumed { "resuming" } else { "running" };
                format!("{pad}● {verb} {workflow:?} (run {})", event.run_id)
            }
            RunEventKind::StepStarted { node, attempt } if *attempt > 1 => {
                format!("{pad}  ▶ {node} (attempt {attempt})")
            }
            RunEventKind::StepStarted { node, .. } => format!("{pad}  ▶ {node}"),
            RunEventKind::StepRetrying {
                node,
                attempt,
                error,
                retry_at,
            } => {
                let wait = (*retry_at - chrono::Utc::now()).num_milliseconds().max(0);
                format!("{pad}  ↻ {node} attempt {attempt} failed: {error}; retrying in {wait} ms")
            }
            RunEventKind::StepSucceeded {
                node,
                items,
                ports,
                duration_ms,
                ..
            } => {
                let on = if ports.len() == 1 && ports[0] == "main" || ports.is_empty() {
                    String::new()
                } else {
                    format!(" on {}", ports.join(", "))
                };
                format!(
                    "{pad}  ✔ {node} — {items} item{}{on} in {duration_ms} ms",
                    if *items == 1 { "" } else { "s" }
                )
            }
            RunEventKind::StepFailed {
                node,
                code,
                error,
                handled,
                ..
            } => {
                let note = if *handled { " (handled)" } else { "" };
                format!("{pad}  ✖ {node} [{code}] {error}{note}")
            }
            // Token streams are for live views (`--json`, the API's event streams).
            RunEventKind::StepProgress { .. } | RunEventKind::LlmCall { .. } => return,
            RunEventKind::BudgetThreshold {
                node,
                budget_name,
                threshold,
                window,
                ..
            } => {
                format!("{pad}  ⚠ {node}: budget {budget_name:?} reached {threshold} % ({window})")
            }
            RunEventKind::StepSkipped { node } => format!("{pad}  ↷ {node} skipped"),
            RunEventKind::StepSleeping { node, until } => {
                format!("{pad}  ⏸ {node} sleeps until {}", until.to_rfc3339())
            }
            RunEventKind::StepAwaiting { node, until, .. } => match until {
                Some(t) => format!(
                    "{pad}  ⏸ {node} waits for a decision until {}",
                    t.to_rfc3339()
                ),
                None => format!("{pad}  ⏸ {node} waits for a decision"),
            },
            RunEventKind::RunWaiting { wake_at } => {
                format!("{pad}  … waiting until {}", wake_at.to_rfc3339())
            }
            RunEventKind::RunPaused => format!("{pad}  ⏸ paused"),
            RunEventKind::RunResumed => format!("{pad}  ▶ resumed"),
            RunEventKind::RunFinished { status, .. } => format!("{pad}● {status}"),
        };
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
    }
}
