//! The shared store conformance suite (`weft-store-conformance`), run against PostgreSQL:
//! each check on a fresh database; checks that need two handles connect twice (two
//! processes, as far as the stores can tell).

use std::sync::Arc;
use weft_store_api::Store;
use weft_store_conformance::store::{BoxError, fixture};
use weft_store_pg::testing::TestDatabase;
use weft_store_pg::{PgOptions, PgStore};

weft_store_conformance::store_conformance!(async {
    let db = TestDatabase::create().await?;
    Ok::<_, BoxError>(fixture(db, |db| {
        Box::pin(async move {
            PgStore::connect_with(db.options(), PgOptions::default())
                .await
                .map(|s| s as Arc<dyn Store>)
        })
    }))
});
