//! Credentials: stored sealed, scoped to the organization, names unique, replace and delete.

use crate::{TestResult, open, reopen};
use weft_store_api::{NewCredential, Store, StoreError, TenantScope};

fn cred(id: &str, name: &str, sealed: &[u8]) -> NewCredential {
    NewCredential {
        id: id.into(),
        name: name.into(),
        kind: "bearer".into(),
        sealed: sealed.to_vec(),
    }
}

#[tokio::test]
async fn put_get_list_replace_delete() -> TestResult {
    let (dir, store) = open()?;
    let org = TenantScope::org("acme");
    store
        .put_credential(&org, cred("c2", "zeta", b"\x01sealed-2"))
        .await?;
    store
        .put_credential(&org, cred("c1", "alpha", b"\x01sealed-1"))
        .await?;
    let (info, sealed) = store.get_credential(&org, "c1").await?.expect("stored");
    assert_eq!(
        (info.name.as_str(), info.kind.as_str()),
        ("alpha", "bearer")
    );
    assert_eq!(sealed, b"\x01sealed-1");
    assert_eq!(info.created_at, info.updated_at);
    let names: Vec<String> = store
        .list_credentials(&org)
        .await?
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["alpha", "zeta"]);

    // Replacing keeps the creation time and the id.
    store
        .put_credential(&org, cred("c1", "alpha2", b"\x01sealed-1b"))
        .await?;
    let (again, sealed) = store.get_credential(&org, "c1").await?.expect("stored");
    assert_eq!(again.created_at, info.created_at);
    assert!(again.updated_at >= info.updated_at);
    assert_eq!(
        (again.name.as_str(), sealed.as_slice()),
        ("alpha2", &b"\x01sealed-1b"[..])
    );

    // Survives a restart.
    drop(store);
    let store = reopen(dir.path())?;
    assert!(store.get_credential(&org, "c2").await?.is_some());
    assert!(store.delete_credential(&org, "c2").await?);
    assert!(!store.delete_credential(&org, "c2").await?);
    assert!(store.get_credential(&org, "c2").await?.is_none());
    Ok(())
}

#[tokio::test]
async fn names_are_unique_per_org_and_ids_do_not_cross_orgs() -> TestResult {
    let (_dir, store) = open()?;
    let (a, b) = (TenantScope::org("a"), TenantScope::org("b"));
    store
        .put_credential(&a, cred("c1", "github", b"\x01a"))
        .await?;
    let err = store
        .put_credential(&a, cred("c2", "github", b"\x01x"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::NameTaken { other_id, .. } if other_id == "c1"),
        "{err}"
    );
    // Another organization may use the same name and even the same id.
    store
        .put_credential(&b, cred("c1", "github", b"\x01b"))
        .await?;
    let (_, sealed) = store.get_credential(&a, "c1").await?.expect("a's");
    assert_eq!(sealed, b"\x01a");
    assert!(
        store
            .get_credential(&TenantScope::org("c"), "c1")
            .await?
            .is_none()
    );
    assert!(
        !store
            .delete_credential(&TenantScope::org("c"), "c1")
            .await?
    );
    assert_eq!(store.list_credentials(&b).await?.len(), 1);
    Ok(())
}
