//! A campaign distributed through Entra Access Reviews, end to end against the emulator over
//! HTTPS: published as one review per directory role and kind, two managers decide in Entra,
//! Recert syncs their decisions as decisions by the Entra reviewer, a reviewer changes their mind
//! before close and the next sync records it, the close's final sync stops the reviews.

use recert_app::campaigns::dto::Delivery;
use recert_emulator::{Options, Tenant};
use recert_tests::Harness;

use crate::remediation::{definition, upn_of};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_decided_in_entra_synced_and_stopped() {
    let tenant = Tenant::demo_at(recert_tests::at(2026, 1, 1, 0));
    let h = Harness::start(tenant.clone(), Options::default()).await;
    h.clock.set(recert_tests::at(2026, 1, 5, 9));
    h.pull().await;
    h.act_as_admin().await;
    let fallback =
        upn_of(&tenant, "").into_iter().find(|u| !u.starts_with("breakglass")).expect("a user");
    let created = h
        .app
        .definition_create(definition(&h.tenant_id, &["directoryRole"], &fallback))
        .await
        .expect("a valid definition");
    let campaign = h.app.campaign_open(&created.definition.id).await.expect("open");

    let published = h.app.campaign_publish(&campaign.id).await.expect("published");
    assert!(published > 0);
    assert_eq!(h.emulator.access_review_definitions().len(), published as usize);
    for d in h.emulator.access_review_definitions() {
        assert!(d["displayName"].as_str().is_some_and(|n| n.contains(&campaign.name)), "{d}");
        assert_eq!(d["settings"]["autoApplyDecisionsEnabled"], false);
    }
    assert!(h.app.campaign_publish(&campaign.id).await.is_err(), "published once only");

    // Two managers decide in Entra.
    let items = h.emulator.access_review_decisions();
    let mut picked: Vec<(String, String)> = Vec::new();
    for item in &items {
        let reviewer = item["reviewers"][0].as_str().unwrap_or_default().to_string();
        if reviewer.is_empty() || picked.iter().any(|(_, r)| *r == reviewer) {
            continue;
        }
        picked.push((item["decision"]["id"].as_str().unwrap_or_default().to_string(), reviewer));
        if picked.len() == 2 {
            break;
        }
    }
    assert_eq!(picked.len(), 2, "two managers review something");
    let (first, first_reviewer) = &picked[0];
    let (second, second_reviewer) = &picked[1];
    h.emulator
        .decide_access_review(first, first_reviewer, "Approve", "still needed")
        .expect("decided");
    h.emulator
        .decide_access_review(second, second_reviewer, "Deny", "left the team")
        .expect("decided");

    let synced = h.app.campaign_sync(&campaign.id, false).await.expect("synced");
    assert_eq!(synced.recorded, 2, "{synced:?}");
    assert!(synced.pending > 0);
    assert_eq!(synced.pages_sha256.len(), 64);
    // Nothing changed: nothing recorded again.
    let again = h.app.campaign_sync(&campaign.id, false).await.expect("synced");
    assert_eq!((again.recorded, again.unchanged), (0, 2), "{again:?}");

    // A reviewer changes their mind before close: the next sync records the change.
    h.clock.set(recert_tests::at(2026, 1, 6, 9));
    h.emulator
        .decide_access_review(second, second_reviewer, "Approve", "moved back to the team")
        .expect("changed");
    let changed = h.app.campaign_sync(&campaign.id, false).await.expect("synced");
    assert_eq!((changed.recorded, changed.unchanged), (1, 1), "{changed:?}");

    // The final sync stops every review: nobody can decide in Entra any more.
    let last = h.app.campaign_sync(&campaign.id, true).await.expect("final sync");
    assert_eq!(last.stopped, published, "{last:?}");
    assert!(h.emulator.decide_access_review(first, first_reviewer, "Deny", "too late").is_err());
    assert!(
        h.emulator.access_review_decisions().iter().all(|d| d["instanceStatus"] == "Completed")
    );

    h.clock.set(recert_tests::at(2026, 1, 20, 9));
    h.app.campaign_close(&campaign.id, None).await.expect("closed");
    // Entra never applied anything: no removal was sent by it.
    assert!(h.emulator.mutation_log().iter().all(|m| !m.path.contains("applyDecisions")));
}

/// Two decision items of the emulator's reviews, each reviewed by a different manager:
/// `(decision id, reviewer id)`.
fn two_managers(h: &Harness) -> [(String, String); 2] {
    let mut picked: Vec<(String, String)> = Vec::new();
    for item in h.emulator.access_review_decisions() {
        let reviewer = item["reviewers"][0].as_str().unwrap_or_default().to_string();
        if reviewer.is_empty() || picked.iter().any(|(_, r)| *r == reviewer) {
            continue;
        }
        picked.push((item["decision"]["id"].as_str().unwrap_or_default().to_string(), reviewer));
    }
    assert!(picked.len() >= 2, "two managers review something");
    [picked[0].clone(), picked[1].clone()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entra_delivery_publishes_at_open_syncs_on_schedule_takes_back_a_reset_and_stops_at_close()
{
    let tenant = Tenant::demo_at(recert_tests::at(2026, 1, 1, 0));
    let h = Harness::start(tenant.clone(), Options::default()).await;
    h.clock.set(recert_tests::at(2026, 1, 5, 9));
    h.pull().await;
    h.act_as_admin().await;
    let mut dto = recert_tests::quarterly(&h.tenant_id, &recert_tests::lead(&tenant));
    dto.settings.delivery = Delivery::EntraAccessReviews;
    dto.scope.surfaces.push("azureRole".into());
    let created = h.app.definition_create(dto).await.expect("a valid definition");
    assert_eq!(created.definition.settings.delivery, Delivery::EntraAccessReviews, "stored");

    // Opening publishes: one review per directory role and kind, nothing else.
    let campaign = h.app.campaign_open(&created.definition.id).await.expect("opened");
    let reviews = h.emulator.access_review_definitions();
    assert!(!reviews.is_empty(), "published at open");
    assert!(
        reviews
            .iter()
            .all(|d| d["displayName"].as_str().is_some_and(|n| n.contains(&campaign.name)))
    );
    let status = h.app.campaign_delivery_status(&campaign.id).await.expect("status");
    assert_eq!(status.reviews.len(), reviews.len());
    assert!(
        status.stay_in_recert.iter().any(|s| s.reason.contains("Azure")),
        "Azure roles stay in Recert: {status:?}"
    );

    let [(first, first_reviewer), (second, second_reviewer)] = two_managers(&h);
    h.emulator
        .decide_access_review(&first, &first_reviewer, "Approve", "still needed")
        .expect("ok");
    h.emulator.decide_access_review(&second, &second_reviewer, "Deny", "left").expect("ok");

    // The schedule syncs the open campaign.
    let run = h.app.run_due().await.expect("run");
    assert_eq!(run.synced, vec![campaign.id.clone()], "{run:?}");
    assert!(run.failed.is_empty(), "{run:?}");
    assert_eq!(h.app.campaign(&campaign.id).await.expect("detail").campaign.decided, 2);

    // One decision reset to "not reviewed" in Entra: its Recert decision is taken back.
    h.emulator.decide_access_review(&first, &first_reviewer, "NotReviewed", "").expect("reset");
    let synced = h.app.campaign_sync(&campaign.id, false).await.expect("synced");
    assert_eq!((synced.reset, synced.recorded), (1, 0), "{synced:?}");
    assert_eq!(h.app.campaign(&campaign.id).await.expect("detail").campaign.decided, 1);
    let again = h.app.campaign_sync(&campaign.id, false).await.expect("synced");
    assert_eq!(again.reset, 0, "taken back once: {again:?}");
    let log = h
        .app
        .audit_log(recert_app::dto::AuditQueryDto {
            campaign_id: Some(campaign.id.clone()),
            actor: None,
            kind: None,
            search: Some("reset to not reviewed".into()),
            offset: 0,
            limit: 10,
        })
        .await
        .expect("audit");
    assert_eq!(log.total, 1, "the return to undecided is audited once");

    // The close stops every review and takes the final sync first.
    h.emulator.decide_access_review(&first, &first_reviewer, "Deny", "gone after all").expect("ok");
    h.clock.set(recert_tests::at(2026, 1, 9, 9));
    let closed = h.app.campaign_close(&campaign.id, None).await.expect("closed");
    assert_eq!(closed.denied, 2, "the decision made just before the close counts: {closed:?}");
    assert!(
        h.emulator.access_review_decisions().iter().all(|d| d["instanceStatus"] == "Completed"),
        "every review stopped"
    );
    let status = h.app.campaign_delivery_status(&campaign.id).await.expect("status");
    assert!(status.reviews.iter().all(|r| r.stopped_at.is_some()), "{status:?}");

    // The binder names each Entra reviewer, where their decision was made and how Entra
    // identified them; the decision history keeps the one taken back.
    let dir = tempfile::tempdir().expect("a folder");
    let paths = recert_app::evidence::EvidencePaths {
        pdf: Some(dir.path().join("binder.pdf")),
        csv: Some(dir.path().join("decisions.csv")),
        json: Some(dir.path().join("binder.json")),
    };
    h.app.evidence_export(&campaign.id, paths.clone()).await.expect("export");
    if let Ok(keep) = std::env::var("RECERT_KEEP_BINDER") {
        let _ = std::fs::copy(dir.path().join("binder.pdf"), keep);
    }
    let binder: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("binder.json")).expect("written"),
    )
    .expect("JSON");
    let from_entra: Vec<&serde_json::Value> = binder["binder"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["decision"].as_object().map(|_| &i["decision"]))
        .filter(|d| d["source"] == "entraAccessReviews")
        .collect();
    assert_eq!(from_entra.len(), 2, "both standing decisions were made in Entra");
    let upn = |id: &str| {
        tenant
            .user(id)
            .and_then(|u| u["userPrincipalName"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    for reviewer in [&first_reviewer, &second_reviewer] {
        let named = from_entra.iter().any(|d| d["by_upn"] == upn(reviewer).as_str());
        assert!(named, "the binder names {reviewer}: {from_entra:?}");
    }
    for d in &from_entra {
        assert_eq!(d["identity"], "Entra reviews", "{d}");
        assert!(
            d["authentication"].as_str().is_some_and(|a| a.contains("Entra Access Reviews")),
            "{d}"
        );
    }
    let history =
        std::fs::read_to_string(dir.path().join("decisions-history.csv")).expect("history");
    assert!(history.contains("reset to not reviewed"), "the taken-back decision is kept");
    let report = h.app.verify(&campaign.id, paths).await.expect("verify");
    assert!(report.ok, "{:?}", report.checks.iter().filter(|c| !c.ok).collect::<Vec<_>>());
}
