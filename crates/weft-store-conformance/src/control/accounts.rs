//! Organizations, users and keys: bootstrap, email uniqueness, authentication, expiry,
//! one-time sign-in links, listing, and isolation between organizations.

use super::*;

/// The first bootstrap creates the organization and its admin; later ones change nothing.
pub async fn bootstrap_creates_the_first_org_once(
    cp: Arc<dyn ControlPlane>,
    _st: Arc<dyn Store>,
) -> CheckResult {
    let acme = Org {
        id: "org-a".into(),
        name: "Acme".into(),
        created_at: t(0),
    };
    let admin = User {
        role: Role::Admin,
        ..user("u-admin", "org-a", "admin@acme.test")
    };
    let (o, u) = cp
        .bootstrap(acme.clone(), admin.clone())
        .await?
        .ok_or("the first bootstrap did nothing")?;
    assert_eq!((o, u), (acme.clone(), admin.clone()));
    assert_eq!(cp.get_org("org-a").await?, Some(acme));
    assert_eq!(
        cp.get_user(&org("org-a"), "u-admin").await?,
        Some(admin.clone())
    );

    let other = Org {
        id: "org-b".into(),
        name: "Other".into(),
        created_at: t(1),
    };
    let again = cp
        .bootstrap(other, user("u-b", "org-b", "b@other.test"))
        .await?;
    assert_eq!(again, None);
    assert_eq!(cp.get_org("org-b").await?, None);
    assert_eq!(cp.get_user(&org("org-b"), "u-b").await?, None);
    assert_eq!(cp.list_users(&org("org-a")).await?, vec![admin]);
    Ok(())
}

/// Of concurrent first bootstraps exactly one creates its organization.
pub async fn bootstrap_is_atomic_under_concurrency(
    cp: Arc<dyn ControlPlane>,
    _st: Arc<dyn Store>,
) -> CheckResult {
    let results = race(8, |i| {
        let cp = Arc::clone(&cp);
        let o = Org {
            id: format!("org-{i}"),
            name: format!("Org {i}"),
            created_at: t(i as i64),
        };
        let admin = user(&format!("u-{i}"), &o.id, &format!("admin{i}@test"));
        async move { cp.bootstrap(o, admin).await }
    })
    .await?;
    let winners: Vec<String> = results.into_iter().flatten().map(|(o, _)| o.id).collect();
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    for i in 0..8 {
        let id = format!("org-{i}");
        assert_eq!(cp.get_org(&id).await?.is_some(), winners[0] == id);
        let users = cp.list_users(&org(&id)).await?;
        assert_eq!(users.len(), usize::from(winners[0] == id));
    }
    Ok(())
}

/// Operators can add organizations and find users by email; without an email, the first
/// admin of the oldest organization.
pub async fn operators_create_orgs_and_find_users(
    cp: Arc<dyn ControlPlane>,
    _st: Arc<dyn Store>,
) -> CheckResult {
    assert_eq!(cp.find_user_by_email(None).await?, None);
    let first = Org {
        id: "org-a".into(),
        name: "Acme".into(),
        created_at: t(0),
    };
    let admin = User {
        role: Role::Admin,
        ..user("u-admin", "org-a", "admin@acme.test")
    };
    cp.bootstrap(first, admin.clone()).await?;
    let second = Org {
        id: "org-b".into(),
        name: "Other".into(),
        created_at: t(5),
    };
    assert_eq!(cp.create_org(second.clone()).await?, second);
    assert_eq!(cp.get_org("org-b").await?, Some(second.clone()));
    let err = cp
        .create_org(second)
        .await
        .err()
        .ok_or("a duplicate org id")?;
    assert!(matches!(err, StoreError::NameTaken { .. }), "{err:?}");
    let other_admin = User {
        role: Role::Admin,
        ..user("u-b", "org-b", "b@other.test")
    };
    cp.create_user(&org("org-b"), other_admin.clone()).await?;
    assert_eq!(cp.find_user_by_email(None).await?, Some(admin));
    assert_eq!(
        cp.find_user_by_email(Some("b@other.test")).await?,
        Some(other_admin)
    );
    assert_eq!(cp.find_user_by_email(Some("nobody@test")).await?, None);
    Ok(())
}

/// Emails are unique in the deployment; users belong to the scope's organization.
pub async fn users_have_unique_emails(
    cp: Arc<dyn ControlPlane>,
    _st: Arc<dyn Store>,
) -> CheckResult {
    let (a, b) = (org("org-a"), org("org-b"));
    let u1 = cp.create_user(&a, user("u-1", "org-a", "ann@test")).await?;
    assert_eq!(u1, user("u-1", "org-a", "ann@test"));
    cp.create_user(&a, user("u-2", "org-a", "abe@test")).await?;
    // The scope decides the organization, whatever the record says.
    let u3 = cp.create_user(&b, user("u-3", "org-a", "bob@test")).await?;
    assert_eq!(u3.org_id, "org-b");

    assert_eq!(
        error(cp.create_user(&a, user("u-4", "org-a", "ann@test")).await)?,
        StoreError::NameTaken {
            what: "user",
            name: "ann@test".into(),
            other_id: "u-1".into()
        }
    );
    // Unique across organizations too (it is the sign-in name).
    match error(cp.create_user(&b, user("u-5", "org-b", "ann@test")).await)? {
        StoreError::NameTaken { what: "user", .. } => {}
        other => return Err(format!("expected NameTaken, got {other:?}").into()),
    }
    assert_eq!(cp.get_user(&a, "u-4").await?, None);
    assert_eq!(cp.get_user(&b, "u-5").await?, None);

    let emails: Vec<String> = cp
        .list_users(&a)
        .await?
        .into_iter()
        .map(|u| u.email)
        .collect();
    assert_eq!(emails, ["abe@test", "ann@test"]);
    assert_eq!(cp.list_users(&b).await?, vec![u3]);
    Ok(())
}

/// A key authenticates (with its user) until it is revoked.
pub async fn keys_authenticate_until_revoked(
    cp: Arc<dyn ControlPlane>,
    _st: Arc<dyn Store>,
) -> CheckResult {
    let a = org("org-a");
    let u1 = cp.create_user(&a, user("u-1", "org-a", "ann@test")).await?;
    let info = cp.create_key(&a, key("k1", "u-1", KeyKind::Api, 1)).await?;
    assert_eq!(
        (
            info.id.as_str(),
            info.org_id.as_str(),
            info.user_id.as_str()
        ),
        ("k1", "org-a", "u-1")
    );
    assert_eq!(info.kind, KeyKind::Api);
    assert_eq!(info.scopes, ["workflows:read", "runs:write"]);
    assert_eq!(
        (info.name.as_str(), info.prefix.as_str()),
        ("key k1", "weft_k1")
    );
    assert_eq!(info.created_at, t(1));
    assert_eq!(
        (info.expires_at, info.revoked_at, info.last_used_at),
        (None, None, None)
    );
    assert_eq!(cp.get_key(&a, "k1").await?, Some(info.clone()));

    let (k, u) = cp
        .authenticate(&hash("k1"), t(10))
        .await?
        .ok_or("a valid key did not authenticate")?;
    assert_eq!((k, u), (info, u1));
    assert_eq!(cp.authenticate(&hash("nope"), t(10)).await?, None);
    // An API key is not consumed by use.
    assert!(cp.authenticate(&hash("k1"), t(11)).await?.is_some());

    assert!(cp.revoke_key(&a, "k1", t(20)).await?);
    assert!(!cp.revoke_key(&a, "k1", t(21)).await?);
    assert!(!cp.revoke_key(&a, "unknown", t(21)).await?);
    assert_eq!(cp.authenticate(&hash("k1"), t(30)).await?, None);
    let revoked = cp.get_key(&a, "k1").await?.ok_or("revoked key vanished")?;
    assert_eq!(revoked.revoked_at, Some(t(20)));
    Ok(())
}

/// A key with an expiry authenticates before it and not from it on.
pub async fn expired_keys_do_not_authenticate(
    cp: Arc<dyn ControlPlane>,
    _st: Arc<dyn Store>,
) -> CheckResult {
    let a = org("org-a");
    cp.create_user(&a, user("u-1", "org-a", "ann@test")).await?;
    for (id, kind) in [("s1", KeyKind::Session), ("k1", KeyKind::Api)] {
        let k = NewKey {
            expires_at: Some(t(100)),
            ..key(id, "u-1", kind, 1)
        };
        cp.create_key(&a, k).await?;
        assert!(cp.authenticate(&hash(id), t(99)).await?.is_some());
        assert_eq!(cp.authenticate(&hash(id), t(100)).await?, None);
        assert_eq!(cp.authenticate(&hash(id), t(5000)).await?, None);
        let stored = cp.get_key(&a, id).await?.ok_or("expired key vanished")?;
        assert_eq!(stored.expires_at, Some(t(100)));
    }
    Ok(())
}

/// A sign-in link authenticates once and is then revoked; an expired one is left alone.
pub async fn login_links_are_consumed_by_the_first_use(
    cp: Arc<dyn ControlPlane>,
    _st: Arc<dyn Store>,
) -> CheckResult {
    let a = org("org-a");
    cp.create_user(&a, user("u-1", "org-a", "ann@test")).await?;
    cp.create_key(&a, key("l1", "u-1", KeyKind::Login, 1))
        .await?;
    let (k, u) = cp
        .authenticate(&hash("l1"), t(5))
        .await?
        .ok_or("a fresh sign-in link did not authenticate")?;
    assert_eq!(
        (k.id.as_str(), k.kind, u.id.as_str()),
        ("l1", KeyKind::Login, "u-1")
    );
    assert_eq!(cp.authenticate(&hash("l1"), t(6)).await?, None);
    let used = cp.get_key(&a, "l1").await?.ok_or("used link vanished")?;
    assert_eq!(used.revoked_at, Some(t(5)));

    let expiring = NewKey {
        expires_at: Some(t(10)),
        ..key("l2", "u-1", KeyKind::Login, 1)
    };
    cp.create_key(&a, expiring).await?;
    assert_eq!(cp.authenticate(&hash("l2"), t(11)).await?, None);
    let expired = cp.get_key(&a, "l2").await?.ok_or("expired link vanished")?;
    assert_eq!(expired.revoked_at, None);
    Ok(())
}

/// Of concurrent uses of a sign-in link exactly one authenticates.
pub async fn login_links_are_consumed_once_under_concurrency(
    cp: Arc<dyn ControlPlane>,
    _st: Arc<dyn Store>,
) -> CheckResult {
    let a = org("org-a");
    cp.create_user(&a, user("u-1", "org-a", "ann@test")).await?;
    cp.create_key(&a, key("l1", "u-1", KeyKind::Login, 1))
        .await?;
    let results = race(16, |i| {
        let cp = Arc::clone(&cp);
        async move { cp.authenticate(&hash("l1"), t(10 + i as i64)).await }
    })
    .await?;
    let winners = results.iter().filter(|r| r.is_some()).count();
    assert_eq!(winners, 1);
    Ok(())
}

/// Keys are listed per kind, newest first, optionally for one user; uses are recorded.
pub async fn keys_are_listed_by_kind_newest_first(
    cp: Arc<dyn ControlPlane>,
    _st: Arc<dyn Store>,
) -> CheckResult {
    let (a, b) = (org("org-a"), org("org-b"));
    cp.create_user(&a, user("u-1", "org-a", "ann@test")).await?;
    cp.create_user(&a, user("u-2", "org-a", "abe@test")).await?;
    cp.create_user(&b, user("u-3", "org-b", "bob@test")).await?;
    cp.create_key(&a, key("k1", "u-1", KeyKind::Api, 1)).await?;
    cp.create_key(&a, key("k2", "u-2", KeyKind::Api, 2)).await?;
    cp.create_key(&a, key("k3", "u-1", KeyKind::Api, 3)).await?;
    cp.create_key(&a, key("s1", "u-1", KeyKind::Session, 4))
        .await?;
    cp.create_key(&b, key("k4", "u-3", KeyKind::Api, 5)).await?;

    let ids = |keys: Vec<weft_store_api::control::KeyInfo>| {
        keys.into_iter().map(|k| k.id).collect::<Vec<_>>()
    };
    assert_eq!(
        ids(cp.list_keys(&a, KeyKind::Api, None).await?),
        ["k3", "k2", "k1"]
    );
    assert_eq!(
        ids(cp.list_keys(&a, KeyKind::Api, Some("u-1")).await?),
        ["k3", "k1"]
    );
    assert_eq!(ids(cp.list_keys(&a, KeyKind::Session, None).await?), ["s1"]);
    assert!(cp.list_keys(&a, KeyKind::Login, None).await?.is_empty());
    assert!(
        cp.list_keys(&a, KeyKind::Api, Some("u-3"))
            .await?
            .is_empty()
    );
    assert_eq!(ids(cp.list_keys(&b, KeyKind::Api, None).await?), ["k4"]);

    let last_used = |cp: Arc<dyn ControlPlane>| async move {
        let k = cp.get_key(&org("org-a"), "k1").await?;
        Ok::<_, StoreError>(k.and_then(|k| k.last_used_at))
    };
    cp.touch_key("k1", t(100)).await?;
    assert_eq!(last_used(Arc::clone(&cp)).await?, Some(t(100)));
    cp.touch_key("k1", t(300)).await?;
    assert_eq!(last_used(Arc::clone(&cp)).await?, Some(t(300)));
    // Within a minute the write may be skipped.
    cp.touch_key("k1", t(310)).await?;
    let seen = last_used(Arc::clone(&cp)).await?;
    assert!(seen == Some(t(300)) || seen == Some(t(310)), "{seen:?}");
    cp.touch_key("unknown", t(400)).await?;
    Ok(())
}

/// A key can only be created for a user of the scope's organization.
pub async fn keys_need_a_user_of_the_org(
    cp: Arc<dyn ControlPlane>,
    _st: Arc<dyn Store>,
) -> CheckResult {
    let (a, b) = (org("org-a"), org("org-b"));
    cp.create_user(&b, user("u-3", "org-b", "bob@test")).await?;
    not_found(cp.create_key(&a, key("k1", "u-3", KeyKind::Api, 1)).await)?;
    not_found(
        cp.create_key(&a, key("k2", "nobody", KeyKind::Api, 1))
            .await,
    )?;
    assert_eq!(cp.authenticate(&hash("k1"), t(2)).await?, None);
    assert!(cp.list_keys(&a, KeyKind::Api, None).await?.is_empty());
    assert!(cp.list_keys(&b, KeyKind::Api, None).await?.is_empty());
    Ok(())
}

/// Another organization's users and keys are not found, listed or revoked.
pub async fn accounts_are_isolated_by_org(
    cp: Arc<dyn ControlPlane>,
    _st: Arc<dyn Store>,
) -> CheckResult {
    let (a, b) = (org("org-a"), org("org-b"));
    cp.create_user(&a, user("u-1", "org-a", "ann@test")).await?;
    cp.create_user(&b, user("u-3", "org-b", "bob@test")).await?;
    cp.create_key(&a, key("k1", "u-1", KeyKind::Api, 1)).await?;
    assert_eq!(cp.get_user(&b, "u-1").await?, None);
    assert_eq!(cp.get_key(&b, "k1").await?, None);
    assert!(!cp.revoke_key(&b, "k1", t(2)).await?);
    assert!(cp.authenticate(&hash("k1"), t(3)).await?.is_some());
    let users: Vec<String> = cp.list_users(&b).await?.into_iter().map(|u| u.id).collect();
    assert_eq!(users, ["u-3"]);
    assert!(
        cp.list_keys(&b, KeyKind::Api, Some("u-1"))
            .await?
            .is_empty()
    );
    Ok(())
}
