//! Memoized results of pure nodes marked `cacheable`.
//!
//! The key is the node type and version, the params *as rendered for every input item*, and
//! the input itself: expressions that read other nodes, variables or the clock change the
//! rendered params and so miss the cache, as they must. Entries live in memory, bounded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use weft_node_api::{NodeInput, NodeOutput, StepContext};

/// Most entries kept; past it the oldest half is dropped.
const CAPACITY: usize = 4096;

/// Cached outputs by key, each with the logical time it was last used.
type Entries = HashMap<String, (u64, Arc<NodeOutput>)>;

/// A bounded map from cache key to output.
#[derive(Default)]
pub struct StepCache {
    /// The entries and a logical clock.
    entries: Mutex<(Entries, u64)>,
}

impl StepCache {
    /// The key of a step, or `None` when its params cannot be rendered (the step then runs
    /// and reports the error itself).
    pub fn key(type_ref: &str, ctx: &StepContext, input: &NodeInput) -> Option<String> {
        let items = input.main_items();
        let mut rendered = Vec::with_capacity(items.len().max(1));
        for i in 0..items.len().max(1) {
            rendered.push(ctx.render_params(items, i).ok()?);
        }
        let params = serde_json::to_string(&rendered).ok()?;
        let input = serde_json::to_string(input).ok()?;
        Some(format!("{type_ref}\u{0}{params}\u{0}{input}"))
    }

    /// A cached output.
    pub fn get(&self, key: &str) -> Option<Arc<NodeOutput>> {
        let mut guard = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let (map, clock) = &mut *guard;
        *clock += 1;
        let now = *clock;
        map.get_mut(key).map(|(used, out)| {
            *used = now;
            out.clone()
        })
    }

    /// Remembers an output.
    pub fn put(&self, key: String, output: NodeOutput) {
        let mut guard = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let (map, clock) = &mut *guard;
        *clock += 1;
        if map.len() >= CAPACITY {
            let mut ages: Vec<u64> = map.values().map(|(used, _)| *used).collect();
            ages.sort_unstable();
            let cutoff = ages[ages.len() / 2];
            map.retain(|_, (used, _)| *used > cutoff);
        }
        map.insert(key, (*clock, Arc::new(output)));
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.lock().map(|g| g.0.len()).unwrap_or(0)
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
