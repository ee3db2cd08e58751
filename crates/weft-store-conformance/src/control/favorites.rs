//! Favourite workflows, per user.

use super::*;

/// Favourites belong to one user of one organization, are idempotent both ways, need a
/// workflow of the organization, and disappear with the workflow.
pub async fn favorites_are_per_user_and_follow_deletes(
    cp: Arc<dyn ControlPlane>,
    _st: Arc<dyn Store>,
) -> CheckResult {
    let (a, b) = (org("org-a"), org("org-b"));
    create(&cp, &a, "wf-2", "orders").await?;
    create(&cp, &a, "wf-1", "billing").await?;
    create(&cp, &b, "wf-9", "theirs").await?;
    assert!(cp.favorite_workflows(&a, "u-1").await?.is_empty());

    cp.set_favorite(&a, "u-1", "wf-2", true).await?;
    cp.set_favorite(&a, "u-1", "wf-1", true).await?;
    cp.set_favorite(&a, "u-1", "wf-1", true).await?; // twice: no change
    assert_eq!(cp.favorite_workflows(&a, "u-1").await?, ["wf-1", "wf-2"]);
    // Another user's favourites are their own.
    assert!(cp.favorite_workflows(&a, "u-2").await?.is_empty());
    cp.set_favorite(&a, "u-2", "wf-2", true).await?;
    assert_eq!(cp.favorite_workflows(&a, "u-2").await?, ["wf-2"]);

    cp.set_favorite(&a, "u-1", "wf-2", false).await?;
    cp.set_favorite(&a, "u-1", "wf-2", false).await?; // not one: no change
    assert_eq!(cp.favorite_workflows(&a, "u-1").await?, ["wf-1"]);

    // Another organization's workflow, or none at all, is not found; nothing is recorded.
    not_found(cp.set_favorite(&a, "u-1", "wf-9", true).await)?;
    not_found(cp.set_favorite(&a, "u-1", "wf-404", true).await)?;
    assert!(cp.favorite_workflows(&b, "u-1").await?.is_empty());
    assert_eq!(cp.favorite_workflows(&a, "u-1").await?, ["wf-1"]);

    // Deleting a workflow removes it from every favourite list.
    assert!(cp.delete_workflow(&a, "wf-2", None).await?);
    assert!(cp.favorite_workflows(&a, "u-2").await?.is_empty());
    assert_eq!(cp.favorite_workflows(&a, "u-1").await?, ["wf-1"]);
    Ok(())
}
