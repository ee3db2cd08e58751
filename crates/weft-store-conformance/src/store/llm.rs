//! LLM accounting: prices, recorded calls and their roll-ups, budgets with reservations and
//! thresholds, the response cache; reservations from two processes at once never overspend.

use super::{BoxError, CheckResult, Fixture, at, race};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use std::sync::Arc;
use weft_store_api::llm::{
    Budget, BudgetScope, BudgetWindow, LlmCall, LlmCaller, LlmPrice, Reservation, ReserveOutcome,
    ReserveRequest, UsageGroup, UsageQuery,
};
use weft_store_api::{Store, TenantScope};

fn caller(run: &str, workflow: Option<&str>, team: Option<&str>) -> LlmCaller {
    LlmCaller {
        team_id: team.map(str::to_owned),
        workflow_id: workflow.map(str::to_owned),
        workflow_name: workflow.unwrap_or("adhoc").to_owned(),
        run_id: run.to_owned(),
        node_id: "agent".to_owned(),
        attempt: 1,
    }
}

fn call(
    id: &str,
    who: &LlmCaller,
    prompt: u64,
    completion: u64,
    nanos: i64,
    when: DateTime<Utc>,
) -> LlmCall {
    LlmCall {
        id: id.to_owned(),
        caller: who.clone(),
        provider: "openai".to_owned(),
        model: "gpt-4o-mini".to_owned(),
        prompt_tokens: prompt,
        completion_tokens: completion,
        latency_ms: 12,
        cost_nanos: nanos,
        priced: true,
        cached: false,
        ok: true,
        at: when,
    }
}

fn budget(id: &str, window: BudgetWindow, tokens: Option<u64>, nanos: Option<i64>) -> Budget {
    Budget {
        id: id.to_owned(),
        name: format!("budget {id}"),
        scope: BudgetScope::Organization,
        scope_id: None,
        window,
        max_tokens: tokens,
        max_cost_nanos: nanos,
        created_at: at(0),
        updated_at: at(0),
    }
}

async fn reserve(
    store: &Arc<dyn Store>,
    scope: &TenantScope,
    who: &LlmCaller,
    tokens: u64,
    nanos: i64,
    when: DateTime<Utc>,
) -> Result<Option<Reservation>, BoxError> {
    let r = store
        .reserve_llm(
            scope,
            &ReserveRequest {
                caller: who.clone(),
                tokens,
                nanos,
                at: when,
            },
        )
        .await?;
    Ok(match r {
        ReserveOutcome::Reserved(r) => Some(r),
        ReserveOutcome::Refused(_) => None,
    })
}

/// Prices are per organization and replaceable; calls are recorded once per id, listed per run
/// and rolled up by run, workflow, team, organization and model within a time range; budgets
/// round-trip and are per organization.
pub async fn llm_prices_calls_rollups_and_budgets_round_trip(store: Arc<dyn Store>) -> CheckResult {
    let acme = TenantScope::org("acme");
    let other = TenantScope::org("other");
    let p = LlmPrice {
        model: "local-7b".into(),
        input_per_mtok: 0.5,
        output_per_mtok: 1.5,
    };
    store.put_llm_price(&acme, &p, at(0)).await?;
    store
        .put_llm_price(
            &acme,
            &LlmPrice {
                input_per_mtok: 0.25,
                ..p.clone()
            },
            at(1),
        )
        .await?;
    let prices = store.list_llm_prices(&acme).await?;
    assert_eq!(prices.len(), 1);
    assert_eq!(prices[0].input_per_mtok, 0.25);
    assert!(store.list_llm_prices(&other).await?.is_empty());
    assert!(store.delete_llm_price(&acme, "local-7b").await?);
    assert!(!store.delete_llm_price(&acme, "local-7b").await?);

    let a = caller("run-a", Some("wf-1"), Some("team-x"));
    let b = caller("run-b", Some("wf-1"), None);
    let c = caller("run-c", None, None);
    let none = Reservation { id: None };
    store
        .settle_llm(&acme, &none, &call("c1", &a, 100, 10, 1000, at(10)))
        .await?;
    store
        .settle_llm(&acme, &none, &call("c2", &a, 200, 20, 2000, at(20)))
        .await?;
    // Recording the same call twice counts it once.
    store
        .settle_llm(&acme, &none, &call("c2", &a, 200, 20, 2000, at(20)))
        .await?;
    store
        .settle_llm(&acme, &none, &call("c3", &b, 50, 5, 500, at(30)))
        .await?;
    let mut cached = call("c4", &c, 70, 7, 0, at(40));
    cached.cached = true;
    cached.model = "mystery".into();
    cached.priced = false;
    store.settle_llm(&acme, &none, &cached).await?;
    store
        .settle_llm(&other, &none, &call("o1", &a, 1, 1, 1, at(10)))
        .await?;

    let q = |group_by| UsageQuery {
        group_by,
        from: None,
        to: None,
        run_id: None,
    };
    let by_run = store.llm_usage(&acme, &q(UsageGroup::Run)).await?;
    assert_eq!(by_run.len(), 3);
    assert_eq!(by_run[0].key, "run-a", "largest cost first");
    assert_eq!(
        (
            by_run[0].calls,
            by_run[0].prompt_tokens,
            by_run[0].completion_tokens,
            by_run[0].cost_nanos
        ),
        (2, 300, 30, 3000)
    );
    let by_wf = store.llm_usage(&acme, &q(UsageGroup::Workflow)).await?;
    let wf1 = by_wf
        .iter()
        .find(|r| r.key == "wf-1")
        .ok_or("no wf-1 row")?;
    assert_eq!((wf1.calls, wf1.cost_nanos), (3, 3500));
    assert!(
        by_wf.iter().any(|r| r.key == "adhoc"),
        "unstored workflows group by name"
    );
    let by_team = store.llm_usage(&acme, &q(UsageGroup::Team)).await?;
    assert_eq!(
        by_team.iter().find(|r| r.key == "team-x").map(|r| r.calls),
        Some(2)
    );
    let org = store.llm_usage(&acme, &q(UsageGroup::Organization)).await?;
    assert_eq!(org.len(), 1);
    assert_eq!(
        (
            org[0].calls,
            org[0].cached_calls,
            org[0].unpriced_calls,
            org[0].cost_nanos
        ),
        (4, 1, 1, 3500)
    );
    let by_model = store.llm_usage(&acme, &q(UsageGroup::Model)).await?;
    assert_eq!(by_model.len(), 2);
    let ranged = store
        .llm_usage(
            &acme,
            &UsageQuery {
                from: Some(at(15)),
                to: Some(at(30)),
                ..q(UsageGroup::Organization)
            },
        )
        .await?;
    assert_eq!(
        (ranged[0].calls, ranged[0].cost_nanos),
        (1, 2000),
        "from inclusive, to exclusive"
    );
    let one_run = store
        .llm_usage(
            &acme,
            &UsageQuery {
                run_id: Some("run-b".into()),
                ..q(UsageGroup::Node)
            },
        )
        .await?;
    assert_eq!(one_run.len(), 1);
    assert_eq!((one_run[0].key.as_str(), one_run[0].calls), ("agent", 1));

    let calls = store.list_llm_calls(&acme, "run-a").await?;
    assert_eq!(
        calls.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["c1", "c2"]
    );
    assert_eq!(calls[1], call("c2", &a, 200, 20, 2000, at(20)));
    assert!(store.list_llm_calls(&other, "run-b").await?.is_empty());

    // Budgets.
    let mut bud = budget("monthly", BudgetWindow::Month, None, Some(5_000_000));
    bud.scope = BudgetScope::Workflow;
    bud.scope_id = Some("wf-1".into());
    store.put_budget(&acme, &bud).await?;
    store
        .put_budget(&acme, &budget("daily", BudgetWindow::Day, Some(10), None))
        .await?;
    assert_eq!(store.get_budget(&acme, "monthly").await?, Some(bud.clone()));
    assert_eq!(store.get_budget(&other, "monthly").await?, None);
    let ids: Vec<String> = store
        .list_budgets(&acme)
        .await?
        .into_iter()
        .map(|b| b.id)
        .collect();
    assert_eq!(ids, ["daily", "monthly"]);
    bud.name = "renamed".into();
    store.put_budget(&acme, &bud).await?;
    assert_eq!(
        store.get_budget(&acme, "monthly").await?.map(|b| b.name),
        Some("renamed".into())
    );
    assert!(store.delete_budget(&acme, "daily").await?);
    assert!(!store.delete_budget(&acme, "daily").await?);
    assert_eq!(store.list_budgets(&acme).await?.len(), 1);
    Ok(())
}

/// A reservation counts against the window while in flight: the next worst case that would
/// pass the limit is refused; settling replaces it with what was spent; each threshold is
/// reported once per window; a cached call spends nothing; budgets of another team or
/// workflow do not apply; another window starts from zero.
pub async fn llm_budget_reservations_settle_and_report_thresholds_once(
    store: Arc<dyn Store>,
) -> CheckResult {
    let acme = TenantScope::org("acme");
    store
        .put_budget(
            &acme,
            &budget("per-run", BudgetWindow::Run, Some(1000), None),
        )
        .await?;
    let mut teams = budget("team-y", BudgetWindow::Day, Some(1), None);
    teams.scope = BudgetScope::Team;
    teams.scope_id = Some("team-y".into());
    store.put_budget(&acme, &teams).await?;
    let who = caller("run-1", Some("wf"), Some("team-x"));

    let r1 = reserve(&store, &acme, &who, 400, 0, at(1))
        .await?
        .ok_or("first refused")?;
    let r2 = reserve(&store, &acme, &who, 400, 0, at(2))
        .await?
        .ok_or("second refused")?;
    assert!(r1.id.is_some() && r1.id != r2.id);
    let refused = store
        .reserve_llm(
            &acme,
            &ReserveRequest {
                caller: who.clone(),
                tokens: 400,
                nanos: 0,
                at: at(3),
            },
        )
        .await?;
    match refused {
        ReserveOutcome::Refused(r) => {
            assert_eq!(r.budget.id, "per-run");
            assert_eq!(r.window, "r:run-1");
            assert_eq!(
                (
                    r.spend.spent_tokens,
                    r.spend.reserved_tokens,
                    r.wanted_tokens
                ),
                (0, 800, 400)
            );
        }
        other => return Err(format!("expected a refusal, got {other:?}").into()),
    }
    let spend = store.budget_spend(&acme, "per-run", "r:run-1").await?;
    assert_eq!((spend.spent_tokens, spend.reserved_tokens), (0, 800));

    let x = store
        .settle_llm(&acme, &r1, &call("a", &who, 250, 50, 0, at(4)))
        .await?;
    assert!(x.is_empty(), "30 % crosses nothing: {x:?}");
    let x = store
        .settle_llm(&acme, &r2, &call("b", &who, 250, 50, 0, at(5)))
        .await?;
    assert_eq!(x.iter().map(|c| c.threshold).collect::<Vec<_>>(), [50]);
    assert_eq!(x[0].spend.spent_tokens, 600);
    assert_eq!(x[0].spend.reserved_tokens, 0);
    let r3 = reserve(&store, &acme, &who, 400, 0, at(6))
        .await?
        .ok_or("exactly the limit is allowed")?;
    let x = store
        .settle_llm(&acme, &r3, &call("c", &who, 300, 50, 0, at(7)))
        .await?;
    assert_eq!(x.iter().map(|c| c.threshold).collect::<Vec<_>>(), [75, 90]);
    assert!(
        reserve(&store, &acme, &who, 100, 0, at(8)).await?.is_none(),
        "950 + 100 > 1000"
    );
    let mut hit = call("d", &who, 500, 500, 0, at(9));
    hit.cached = true;
    let x = store
        .settle_llm(&acme, &Reservation { id: None }, &hit)
        .await?;
    assert!(x.is_empty(), "a cached call spends nothing");
    assert!(reserve(&store, &acme, &who, 50, 0, at(10)).await?.is_some());
    // Another run: a fresh window.
    let other_run = caller("run-2", Some("wf"), Some("team-x"));
    assert!(
        reserve(&store, &acme, &other_run, 1000, 0, at(11))
            .await?
            .is_some()
    );
    // A call without a reservation still counts, and 100 % is reported once.
    let x = store
        .settle_llm(
            &acme,
            &Reservation { id: None },
            &call("e", &who, 100, 0, 0, at(12)),
        )
        .await?;
    assert_eq!(x.iter().map(|c| c.threshold).collect::<Vec<_>>(), [100]);
    let x = store
        .settle_llm(
            &acme,
            &Reservation { id: None },
            &call("f", &who, 100, 0, 0, at(13)),
        )
        .await?;
    assert!(x.is_empty(), "thresholds are reported once per window");
    // Money budgets, independently of tokens.
    store
        .put_budget(
            &acme,
            &budget("dollars", BudgetWindow::Month, None, Some(1_000_000)),
        )
        .await?;
    let who3 = caller("run-3", None, None);
    assert!(
        reserve(&store, &acme, &who3, 10, 1_000_001, at(14))
            .await?
            .is_none()
    );
    assert!(
        reserve(&store, &acme, &who3, 10, 999_999, at(15))
            .await?
            .is_some()
    );
    Ok(())
}

/// Abandoned reservations (older than the TTL) stop counting.
pub async fn llm_abandoned_reservations_expire(store: Arc<dyn Store>) -> CheckResult {
    let acme = TenantScope::org("acme");
    store
        .put_budget(&acme, &budget("b", BudgetWindow::Month, Some(100), None))
        .await?;
    let who = caller("run-1", None, None);
    assert!(reserve(&store, &acme, &who, 100, 0, at(0)).await?.is_some());
    assert!(reserve(&store, &acme, &who, 1, 0, at(60)).await?.is_none());
    let later = at(0) + TimeDelta::seconds(weft_store_api::llm::RESERVATION_TTL_SECS + 1);
    assert!(reserve(&store, &acme, &who, 100, 0, later).await?.is_some());
    Ok(())
}

/// A cached response is served until it expires, per organization; a put replaces it.
pub async fn llm_cache_serves_until_expiry(store: Arc<dyn Store>) -> CheckResult {
    let acme = TenantScope::org("acme");
    let v = json!({"content": "hi", "usage": {"promptTokens": 3}});
    store.put_llm_cache(&acme, "k", &v, at(100), at(0)).await?;
    let got = store
        .get_llm_cache(&acme, "k", at(50))
        .await?
        .ok_or("missing")?;
    assert_eq!(got.response, v);
    assert_eq!(got.expires_at, at(100));
    assert!(
        store.get_llm_cache(&acme, "k", at(100)).await?.is_none(),
        "expired at its time"
    );
    assert!(
        store
            .get_llm_cache(&TenantScope::org("other"), "k", at(50))
            .await?
            .is_none()
    );
    let v2 = json!({"content": "again"});
    store
        .put_llm_cache(&acme, "k", &v2, at(300), at(200))
        .await?;
    assert_eq!(
        store
            .get_llm_cache(&acme, "k", at(250))
            .await?
            .map(|c| c.response),
        Some(v2)
    );
    Ok(())
}

/// Two processes reserving against one budget at once: exactly as many calls get through as
/// the limit holds worst cases, never more; settling frees room for the rest.
pub async fn concurrent_reservations_never_overspend<F: Fixture>(fixture: &F) -> CheckResult {
    let one = fixture.open().await?;
    let two = fixture.open().await?;
    let acme = TenantScope::org("acme");
    one.put_budget(
        &acme,
        &budget("shared", BudgetWindow::Month, None, Some(1_000)),
    )
    .await?;
    let stores = [one.clone(), two.clone()];
    let results = race(24, |i| {
        let store = stores[i % 2].clone();
        let acme = acme.clone();
        async move {
            store
                .reserve_llm(
                    &acme,
                    &ReserveRequest {
                        caller: caller(&format!("run-{i}"), None, None),
                        tokens: 1,
                        nanos: 150,
                        at: at(i as i64),
                    },
                )
                .await
        }
    })
    .await?;
    let granted: Vec<Reservation> = results
        .into_iter()
        .filter_map(|r| match r {
            ReserveOutcome::Reserved(r) => Some(r),
            ReserveOutcome::Refused(_) => None,
        })
        .collect();
    assert_eq!(granted.len(), 6, "1000 holds six worst cases of 150");
    let window = BudgetWindow::Month.key(at(0), "");
    let s = two.budget_spend(&acme, "shared", &window).await?;
    assert_eq!((s.reserved_nanos, s.spent_nanos), (900, 0));
    // Each settles at 100: 600 spent, and one more 150 fits twice over (600 + 150 × 2 ≤ 1000).
    for (k, r) in granted.iter().enumerate() {
        let who = caller(&format!("settled-{k}"), None, None);
        stores[k % 2]
            .settle_llm(&acme, r, &call(&format!("s{k}"), &who, 1, 0, 100, at(30)))
            .await?;
    }
    let s = one.budget_spend(&acme, "shared", &window).await?;
    assert_eq!((s.reserved_nanos, s.spent_nanos), (0, 600));
    let more = race(6, |i| {
        let store = stores[i % 2].clone();
        let acme = acme.clone();
        async move {
            store
                .reserve_llm(
                    &acme,
                    &ReserveRequest {
                        caller: caller("late", None, None),
                        tokens: 1,
                        nanos: 150,
                        at: at(40),
                    },
                )
                .await
        }
    })
    .await?;
    let n = more
        .iter()
        .filter(|r| matches!(r, ReserveOutcome::Reserved(_)))
        .count();
    assert_eq!(n, 2);
    Ok(())
}
