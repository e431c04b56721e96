//! Evidence end to end: export a closed campaign's binder, verify it, then tamper with the
//! database (without and with an audited change), the audit chain, the sealed snapshot and each
//! export file, and check that `verify` names what changed.

use recert_app::Verdict;
use recert_app::campaigns::dto::WorklistQueryDto;
use recert_app::evidence::EvidencePaths;
use recert_emulator::{Options, Tenant};
use recert_tests::{Harness, at, lead, quarterly};

struct Fixture {
    harness: Harness,
    campaign: String,
    db: std::path::PathBuf,
    dir: tempfile::TempDir,
}

async fn closed_campaign() -> Fixture {
    let dir = tempfile::tempdir().expect("a temp dir");
    let db = dir.path().join("recert.db");
    let tenant = Tenant::demo_at(at(2026, 1, 1, 0));
    let h = Harness::start_with_db(tenant.clone(), Options::default(), Some(&db)).await;
    h.clock.set(at(2025, 12, 20, 12));
    h.pull().await;
    h.act_as_admin().await;
    h.app.definition_create(quarterly(&h.tenant_id, &lead(&tenant))).await.expect("definition");
    h.clock.set(at(2026, 1, 5, 10));
    let scheduler = h.app.as_application("scheduler");
    let campaign = scheduler.run_due().await.expect("run").opened.remove(0);
    let detail = h.app.campaign(&campaign).await.expect("detail");
    let reviewer = detail.reviewers.iter().max_by_key(|r| r.assigned).expect("a reviewer");
    h.act_as(&reviewer.upn).await;
    let mine = h
        .app
        .worklist(
            &campaign,
            WorklistQueryDto {
                reviewer: Some(reviewer.id.clone()),
                limit: 5,
                ..Default::default()
            },
        )
        .await
        .expect("page");
    let ids: Vec<u32> = mine.items.iter().map(|i| i.id).collect();
    h.app
        .decide(
            &campaign,
            ids[..2].to_vec(),
            Verdict::Approve,
            "Still on call; Ωμέγα Жук 山田".into(),
            "window",
        )
        .await
        .expect("approve");
    h.app
        .decide(
            &campaign,
            vec![ids[2]],
            Verdict::Deny,
            "=HYPERLINK(\"x\") left the team".into(),
            "cli",
        )
        .await
        .expect("deny");
    h.clock.set(at(2026, 1, 23, 9));
    scheduler.run_due().await.expect("close");
    // Compliance staff export: any person of the tenant.
    h.act_as_admin().await;
    Fixture { harness: h, campaign, db, dir }
}

fn paths(dir: &std::path::Path) -> EvidencePaths {
    EvidencePaths {
        pdf: Some(dir.join("binder.pdf")),
        csv: Some(dir.join("decisions.csv")),
        json: Some(dir.join("binder.json")),
    }
}

fn failed(report: &recert_app::evidence::VerifyReportDto) -> Vec<String> {
    report.checks.iter().filter(|c| !c.ok).map(|c| format!("{}: {}", c.name, c.detail)).collect()
}

/// Runs SQL on the database file behind the app's back, as someone with the file could.
fn tamper(db: &std::path::Path, sql: &str) {
    let conn = rusqlite::Connection::open(db).expect("open the file");
    conn.execute_batch(sql).expect("tamper");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untouched_record_verifies() {
    let f = closed_campaign().await;
    let out = f.dir.path().join("out");
    let export = f.harness.app.evidence_export(&f.campaign, paths(&out)).await.expect("export");
    assert_eq!(export.files.len(), 5, "PDF, three CSVs and JSON: {export:?}");
    let pdf = std::fs::read(out.join("binder.pdf")).expect("the PDF exists");
    assert!(pdf.starts_with(b"%PDF-"));
    let report = f.harness.app.verify(&f.campaign, paths(&out)).await.expect("verify");
    assert!(report.ok, "{:?}", failed(&report));

    // Re-rendering from the database gives the same bytes: the PDF check above compared them.
    assert!(report.checks.iter().any(|c| c.name == "export files" && c.ok), "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_names_each_kind_of_tampering() {
    let f = closed_campaign().await;
    let out = f.dir.path().join("out");
    f.harness.app.evidence_export(&f.campaign, paths(&out)).await.expect("export");

    // Each export file, altered by one character.
    for (file, named, from, to) in [
        ("decisions.csv", "decisions.csv", "approve", "deny"),
        ("binder.json", "binder.json", "approve", "deny"),
        ("decisions-history.csv", "history", "approve", "deny"),
    ] {
        let path = out.join(file);
        let original = std::fs::read_to_string(&path).expect("read");
        std::fs::write(&path, original.replacen(from, to, 1)).expect("write");
        let report = f.harness.app.verify(&f.campaign, paths(&out)).await.expect("verify");
        let problems = failed(&report);
        assert!(problems.iter().any(|p| p.contains(named)), "{file}: {problems:?}");
        std::fs::write(&path, original).expect("restore");
    }
    let pdf_path = out.join("binder.pdf");
    let original = std::fs::read(&pdf_path).expect("pdf");
    let mut altered = original.clone();
    let at = altered.len() / 2;
    altered[at] ^= 0x20;
    std::fs::write(&pdf_path, &altered).expect("write");
    let problems = failed(&f.harness.app.verify(&f.campaign, paths(&out)).await.expect("verify"));
    assert!(problems.iter().any(|p| p.contains("binder.pdf")), "{problems:?}");
    std::fs::write(&pdf_path, &original).expect("restore");
    assert!(
        f.harness.app.verify(&f.campaign, paths(&out)).await.expect("verify").ok,
        "restored files verify again"
    );

    // The database, edited behind Recert's back: a decision's justification.
    tamper(
        &f.db,
        "UPDATE decision SET justification = 'Approved by the CEO' WHERE id = (SELECT MIN(id) FROM decision)",
    );
    let problems =
        failed(&f.harness.app.verify(&f.campaign, EvidencePaths::default()).await.expect("verify"));
    assert!(problems.iter().any(|p| p.contains("modified outside Recert")), "{problems:?}");
    tamper(
        &f.db,
        "UPDATE decision SET justification = 'Still on call; Ωμέγα Жук 山田' WHERE id = (SELECT MIN(id) FROM decision)",
    );

    // The sealed snapshot: one raw page's body.
    tamper(&f.db, "UPDATE snapshot_page SET body = CAST('{\"value\":[]}' AS BLOB) WHERE seq = 3");
    let problems =
        failed(&f.harness.app.verify(&f.campaign, EvidencePaths::default()).await.expect("verify"));
    assert!(problems.iter().any(|p| p.starts_with("sealed snapshot")), "{problems:?}");

    // The audit log: an event's payload, with the triggers that forbid it dropped first.
    tamper(
        &f.db,
        "DROP TRIGGER audit_event_no_update; UPDATE audit_event SET actor = 'someone else' WHERE seq = 2",
    );
    let problems =
        failed(&f.harness.app.verify(&f.campaign, EvidencePaths::default()).await.expect("verify"));
    assert!(
        problems.iter().any(|p| p.starts_with("audit chain") && p.contains("event 2")),
        "{problems:?}"
    );
}
