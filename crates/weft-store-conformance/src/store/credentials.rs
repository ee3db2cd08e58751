//! Credentials: stored sealed, scoped to the organization, names unique, replace and delete.

use super::CheckResult;
use std::sync::Arc;
use weft_store_api::{NewCredential, Store, StoreError, TenantScope};

fn cred(id: &str, name: &str, sealed: &[u8]) -> NewCredential {
    NewCredential {
        id: id.into(),
        name: name.into(),
        kind: "bearer".into(),
        sealed: sealed.to_vec(),
    }
}

/// Credentials are stored and listed by name (bytewise), replaced in place keeping their
/// creation time, and deleted.
pub async fn credentials_put_get_list_replace_delete(store: Arc<dyn Store>) -> CheckResult {
    let org = TenantScope::org("acme");
    store
        .put_credential(&org, cred("c2", "zeta", b"\x01sealed-2\x00\xff"))
        .await?;
    store
        .put_credential(&org, cred("c1", "alpha", b"\x01sealed-1"))
        .await?;
    store
        .put_credential(&org, cred("c3", "Beta", b"\x01sealed-3"))
        .await?;
    let (info, sealed) = store
        .get_credential(&org, "c1")
        .await?
        .ok_or("c1 not stored")?;
    assert_eq!(
        (info.id.as_str(), info.name.as_str(), info.kind.as_str()),
        ("c1", "alpha", "bearer")
    );
    assert_eq!(sealed, b"\x01sealed-1");
    assert_eq!(info.created_at, info.updated_at);
    let (_, sealed) = store
        .get_credential(&org, "c2")
        .await?
        .ok_or("c2 not stored")?;
    assert_eq!(sealed, b"\x01sealed-2\x00\xff");
    let names: Vec<String> = store
        .list_credentials(&org)
        .await?
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["Beta", "alpha", "zeta"]);

    store
        .put_credential(&org, cred("c1", "alpha2", b"\x01sealed-1b"))
        .await?;
    let (again, sealed) = store
        .get_credential(&org, "c1")
        .await?
        .ok_or("c1 vanished")?;
    assert_eq!(again.created_at, info.created_at);
    assert!(again.updated_at >= info.updated_at);
    assert_eq!(
        (again.name.as_str(), sealed.as_slice()),
        ("alpha2", &b"\x01sealed-1b"[..])
    );
    assert_eq!(store.list_credentials(&org).await?.len(), 3);

    assert!(store.delete_credential(&org, "c2").await?);
    assert!(!store.delete_credential(&org, "c2").await?);
    assert!(store.get_credential(&org, "c2").await?.is_none());
    assert_eq!(store.list_credentials(&org).await?.len(), 2);
    Ok(())
}

/// A name is unique within an organization (a clash names the holder and changes nothing);
/// other organizations may use the same name and id without seeing each other's.
pub async fn credential_names_are_unique_per_org(store: Arc<dyn Store>) -> CheckResult {
    let (a, b) = (TenantScope::org("a"), TenantScope::org("b"));
    store
        .put_credential(&a, cred("c1", "github", b"\x01a"))
        .await?;
    match store
        .put_credential(&a, cred("c2", "github", b"\x01x"))
        .await
    {
        Err(StoreError::NameTaken { other_id, .. }) if other_id == "c1" => {}
        other => return Err(format!("expected NameTaken by c1, got {other:?}").into()),
    }
    assert!(store.get_credential(&a, "c2").await?.is_none());
    // Renaming onto a taken name is refused too, and leaves the credential as it was.
    store
        .put_credential(&a, cred("c3", "gitlab", b"\x01c"))
        .await?;
    assert!(matches!(
        store
            .put_credential(&a, cred("c3", "github", b"\x01z"))
            .await,
        Err(StoreError::NameTaken { .. })
    ));
    let (c3, sealed) = store.get_credential(&a, "c3").await?.ok_or("c3 lost")?;
    assert_eq!(
        (c3.name.as_str(), sealed.as_slice()),
        ("gitlab", &b"\x01c"[..])
    );

    store
        .put_credential(&b, cred("c1", "github", b"\x01b"))
        .await?;
    let (_, sealed) = store.get_credential(&a, "c1").await?.ok_or("a's c1")?;
    assert_eq!(sealed, b"\x01a");
    let other = TenantScope::org("c");
    assert!(store.get_credential(&other, "c1").await?.is_none());
    assert!(!store.delete_credential(&other, "c1").await?);
    assert_eq!(store.list_credentials(&b).await?.len(), 1);
    assert_eq!(store.list_credentials(&a).await?.len(), 2);
    Ok(())
}
