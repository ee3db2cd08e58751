//! The shared store conformance suite (`weft-store-conformance`), run against SQLite: each
//! check on a fresh data directory; checks that need two handles open the directory twice.

use std::sync::Arc;
use weft_store::SqliteStore;
use weft_store_api::Store;
use weft_store_conformance::store::{BoxError, fixture};

weft_store_conformance::store_conformance!(async {
    let dir = tempfile::tempdir()?;
    Ok::<_, BoxError>(fixture(dir, |dir| {
        Box::pin(async move { SqliteStore::open(dir.path()).map(|s| s as Arc<dyn Store>) })
    }))
});
