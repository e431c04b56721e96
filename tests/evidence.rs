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
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect("approve");
    h.app
        .decide(
            &campaign,
            vec![ids[2]],
            Verdict::Deny,
            "=HYPERLINK(\"x\") left the team".into(),
            recert_domain::review::DecisionSource::Cli,
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_behind_recerts_back_is_named_and_no_binder_is_made_from_it() {
    let f = closed_campaign().await;
    let out = f.dir.path().join("out");
    f.harness.app.evidence_export(&f.campaign, paths(&out)).await.expect("export");
    let app = &f.harness.app;

    // A denial turned into an approval, in both tables, as someone hiding it would.
    let (item, id): (u32, i64) = rusqlite::Connection::open(&f.db)
        .expect("open")
        .query_row("SELECT item_id, id FROM decision WHERE verdict = 'deny'", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("the denial");
    tamper(
        &f.db,
        &format!(
            "UPDATE decision SET verdict = 'approve', justification = 'needed' WHERE id = {id};
             UPDATE item SET verdict = 'approve', outcome = 'keep' WHERE id = {item}"
        ),
    );
    let report = app.verify(&f.campaign, paths(&out)).await.expect("verify");
    let problems = failed(&report);
    let decision = problems
        .iter()
        .find(|p| p.starts_with("decisions against the audit chain"))
        .unwrap_or_else(|| panic!("{problems:?}"));
    assert!(
        decision.contains(&format!("(item {item}): the table says verdict \"approve\""))
            && decision.contains("\"deny\"")
            && decision.contains("justification"),
        "{decision}"
    );
    assert!(
        problems.iter().any(|p| p.starts_with("items against the audit chain")
            && p.contains(&format!("item {item}: the table says verdict \"approve\""))),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.starts_with("outcomes against the audit chain")
            && p.contains(&format!("item {item}: the table says outcome \"keep\""))),
        "{problems:?}"
    );
    assert!(problems.iter().any(|p| p.starts_with("database against the export")), "{problems:?}");
    let refused = app
        .evidence_export(&f.campaign, paths(&f.dir.path().join("again")))
        .await
        .expect_err("no binder from edited data");
    assert!(refused.message.contains("modified outside Recert"), "{refused:?}");
    assert!(refused.message.contains(&format!("item {item}")), "{refused:?}");
    assert!(!f.dir.path().join("again").join("binder.pdf").exists());

    // Put back, the record proves itself again and exports.
    tamper(
        &f.db,
        &format!(
            "UPDATE decision SET verdict = 'deny', justification = '=HYPERLINK(\"x\") left the team' WHERE id = {id};
             UPDATE item SET verdict = 'deny', outcome = 'remove' WHERE id = {item}"
        ),
    );
    let report = app.verify(&f.campaign, paths(&out)).await.expect("verify");
    assert!(report.ok, "{:?}", failed(&report));

    // The export record, the settings, the campaign's own copy of its definition and an item's
    // row: each named, each refusing a re-export, each undone after.
    for (sql, undo, check, says) in [
        (
            "UPDATE evidence_export SET evidence_hash = 'abc' || evidence_hash",
            "UPDATE evidence_export SET evidence_hash = substr(evidence_hash, 4)",
            "exports against the audit chain",
            "evidence hash abc",
        ),
        (
            "INSERT INTO setting (key, value) VALUES ('remediation.safety/x', '{}')",
            "DELETE FROM setting WHERE key = 'remediation.safety/x'",
            "settings against the audit chain",
            "remediation.safety/x",
        ),
        (
            "UPDATE campaign SET definition = replace(definition, '\"autoApply\":false', '\"autoApply\":true')",
            "UPDATE campaign SET definition = replace(definition, '\"autoApply\":true', '\"autoApply\":false')",
            "campaign against the audit chain",
            "settings",
        ),
        (
            "UPDATE item SET role_name = role_name || ' (renamed)' WHERE id = 1",
            "UPDATE item SET role_name = replace(role_name, ' (renamed)', '') WHERE id = 1",
            "items against the audit chain",
            "changed since the campaign opened",
        ),
    ] {
        tamper(&f.db, sql);
        let report = app.verify(&f.campaign, EvidencePaths::default()).await.expect("verify");
        let problems = failed(&report);
        assert!(
            problems.iter().any(|p| p.starts_with(check) && p.contains(says)),
            "{sql}: {problems:?}"
        );
        assert!(
            app.evidence_export(&f.campaign, paths(&f.dir.path().join("x"))).await.is_err(),
            "{sql}: a re-export is refused"
        );
        tamper(&f.db, undo);
        let report = app.verify(&f.campaign, EvidencePaths::default()).await.expect("verify");
        assert!(report.ok, "{sql} undone: {:?}", failed(&report));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_binder_exported_at_close_still_verifies_after_remediation() {
    let f = closed_campaign().await;
    let app = &f.harness.app;
    let at_close = f.dir.path().join("at-close");
    app.evidence_export(&f.campaign, paths(&at_close)).await.expect("export at close");

    app.remediation_apply(
        &f.campaign,
        &crate::remediation::quiet(),
        recert_app::CancellationToken::new(),
    )
    .await
    .expect("apply");
    app.remediation_verify(&f.campaign).await.expect("verify removals");
    let state = app.campaign(&f.campaign).await.expect("detail").campaign.state;
    assert_ne!(state.as_str(), "closed", "remediation moved the campaign on");

    let report = app.verify(&f.campaign, paths(&at_close)).await.expect("verify");
    assert!(report.ok, "{:?}", failed(&report));

    // A later export does not make the earlier binder fail: each file set is checked against
    // the export that wrote it.
    let later = f.dir.path().join("later");
    app.evidence_export(&f.campaign, paths(&later)).await.expect("export after remediation");
    for dir in [&at_close, &later] {
        let report = app.verify(&f.campaign, paths(dir)).await.expect("verify");
        assert!(report.ok, "{}: {:?}", dir.display(), failed(&report));
    }
    let old = std::fs::read(at_close.join("binder.json")).expect("json");
    let new = std::fs::read(later.join("binder.json")).expect("json");
    assert_ne!(old, new, "the later binder tells the remediation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_with_an_expected_head_finds_a_cut_tail() {
    let f = closed_campaign().await;
    let app = &f.harness.app;
    let out = f.dir.path().join("out");
    app.evidence_export(&f.campaign, paths(&out)).await.expect("export");
    let head: String = rusqlite::Connection::open(&f.db)
        .expect("open")
        .query_row("SELECT hash FROM audit_event ORDER BY seq DESC LIMIT 1", [], |r| r.get(0))
        .expect("the head");
    let report =
        app.verify_with(&f.campaign, paths(&out), Some(head.clone())).await.expect("verify");
    assert!(report.ok, "{:?}", failed(&report));
    assert!(report.checks.iter().any(|c| c.name == "expected head" && c.ok), "{report:?}");

    // The tail cut: the export's own event and whatever came after it. The chain that is left
    // is intact, so only the expected head shows what is missing.
    tamper(
        &f.db,
        "DROP TRIGGER audit_event_no_delete; DELETE FROM audit_event WHERE seq = (SELECT MAX(seq) FROM audit_event)",
    );
    let report =
        app.verify_with(&f.campaign, EvidencePaths::default(), Some(head)).await.expect("verify");
    let problems = failed(&report);
    assert!(
        problems.iter().any(|p| p.starts_with("expected head") && p.contains("cut from its tail")),
        "{problems:?}"
    );
    assert!(
        report.checks.iter().any(|c| c.name == "audit chain" && c.ok),
        "the chain left is intact: {report:?}"
    );
}

/// An attached file's name and how to rewrite its bytes.
type AttachmentEdit<'a> = (&'a str, &'a dyn Fn(Vec<u8>) -> Vec<u8>);

/// Rewrites one attached file of a PDF (by name) or one page's content, as someone editing the
/// binder with a PDF tool would.
fn edit_pdf(pdf: &[u8], attachment: Option<AttachmentEdit>, page: Option<usize>) -> Vec<u8> {
    use std::io::{Read, Write};
    let inflate = |b: &[u8]| {
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(b).read_to_end(&mut out).expect("inflate");
        out
    };
    let deflate = |b: &[u8]| {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(b).expect("deflate");
        z.finish().expect("deflate")
    };
    let mut doc = lopdf::Document::load_mem(pdf).expect("a PDF");
    if let Some((name, change)) = attachment {
        let ids: Vec<lopdf::ObjectId> = doc.objects.keys().copied().collect();
        let spec = ids
            .into_iter()
            .find(|id| {
                doc.get_dictionary(*id).ok().is_some_and(|d| {
                    d.get(b"Type").and_then(|t| t.as_name()).ok() == Some(b"Filespec".as_slice())
                        && d.get(b"F").and_then(|f| f.as_str()).ok() == Some(name.as_bytes())
                })
            })
            .expect("the attachment");
        let file = doc
            .get_dictionary(spec)
            .and_then(|d| d.get(b"EF"))
            .and_then(|ef| ef.as_dict())
            .and_then(|ef| ef.get(b"F"))
            .and_then(|f| f.as_reference())
            .expect("its stream");
        let stream = doc.get_object_mut(file).and_then(|o| o.as_stream_mut()).expect("stream");
        let changed = change(inflate(&stream.content));
        stream.set_content(deflate(&changed));
    }
    if let Some(n) = page {
        let pages = doc.get_pages();
        let page_id = pages.values().nth(n).copied().expect("the page");
        let content = doc
            .get_dictionary(page_id)
            .and_then(|d| d.get(b"Contents"))
            .and_then(|c| c.as_reference())
            .expect("content");
        let stream = doc.get_object_mut(content).and_then(|o| o.as_stream_mut()).expect("stream");
        let mut text = inflate(&stream.content);
        // One more line of drawing: a white box over part of the page.
        text.extend_from_slice(b"\n1 1 1 rg 100 100 200 20 re f\n");
        stream.set_content(deflate(&text));
    }
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_binder_checks_itself_without_the_database() {
    let f = closed_campaign().await;
    let out = f.dir.path().join("out");
    let export = f.harness.app.evidence_export(&f.campaign, paths(&out)).await.expect("export");
    let fingerprint = export.signing_key.clone().expect("the PDF is signed");
    assert!(fingerprint.starts_with("SHA256:"), "{fingerprint}");
    let pdf_path = out.join("binder.pdf");
    let original = std::fs::read(&pdf_path).expect("pdf");

    let report = recert_app::evidence::verify_binder(&pdf_path).expect("readable");
    assert!(report.ok, "{:?}", failed(&report));
    let names: Vec<&str> = report.checks.iter().map(|c| c.name.as_str()).collect();
    for expected in
        ["signature", "attachment", "evidence hash", "pages", "raw pages", "population counts"]
    {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    assert!(
        report.checks.iter().any(|c| c.name == "signature" && c.detail.contains(&fingerprint)),
        "the fingerprint is printed: {report:?}"
    );
    assert!(
        report
            .checks
            .iter()
            .any(|c| c.name == "population counts" && c.ok && !c.detail.contains(" 0 Entra roles")),
        "{report:?}"
    );
    // The database check accepts the signed PDF too.
    let report = f.harness.app.verify(&f.campaign, paths(&out)).await.expect("verify");
    assert!(report.ok, "{:?}", failed(&report));

    let check = |bytes: Vec<u8>| {
        std::fs::write(&pdf_path, bytes).expect("write");
        failed(&recert_app::evidence::verify_binder(&pdf_path).expect("still readable"))
    };
    // A changed attachment: one decision in the CSV.
    let problems = check(edit_pdf(
        &original,
        Some(("decisions.csv", &|b| {
            String::from_utf8(b).expect("utf-8").replacen("deny", "approve", 1).into_bytes()
        })),
        None,
    ));
    assert!(
        problems.iter().any(|p| p.starts_with("attachment: decisions.csv was changed")),
        "{problems:?}"
    );
    // A changed raw page: the population no longer follows from what is attached.
    let problems = check(edit_pdf(
        &original,
        Some(("population-pages.ndjson", &|b| {
            let text = String::from_utf8(b).expect("utf-8");
            assert!(text.contains("roleDefinitionId"), "an instance");
            text.replacen("roleDefinitionId", "roleDefinitionID", 1).into_bytes()
        })),
        None,
    ));
    assert!(
        problems.iter().any(|p| p.starts_with("attachment: population-pages.ndjson")),
        "{problems:?}"
    );
    assert!(problems.iter().any(|p| p.starts_with("raw pages")), "{problems:?}");
    // A changed page.
    let problems = check(edit_pdf(&original, None, Some(2)));
    assert!(
        problems.iter().any(|p| p.starts_with("pages: the pages were changed")),
        "{problems:?}"
    );
    // A wrong signature: the seal re-signed by someone else's key, or its bytes changed.
    let problems = check(edit_pdf(
        &original,
        Some(("seal.json", &|b| {
            let mut seal: serde_json::Value = serde_json::from_slice(&b).expect("seal");
            let sig = seal["signature"].as_str().expect("signed").to_string();
            // Flip the first hex digit: the same length, a different signature.
            let flipped = match sig.strip_prefix('0') {
                Some(rest) => format!("1{rest}"),
                None => format!("0{}", &sig[1..]),
            };
            seal["signature"] = flipped.into();
            serde_json::to_vec_pretty(&seal).expect("json")
        })),
        None,
    ));
    assert!(
        problems.iter().any(|p| p.starts_with("signature: the signature does not match")),
        "{problems:?}"
    );
    // The database check names the edited PDF as well.
    let problems = failed(&f.harness.app.verify(&f.campaign, paths(&out)).await.expect("verify"));
    assert!(problems.iter().any(|p| p.contains("signature")), "{problems:?}");
    std::fs::write(&pdf_path, &original).expect("restore");
    assert!(recert_app::evidence::verify_binder(&pdf_path).expect("readable").ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_quarter_tells_what_changed_and_the_binder_lists_the_roles_in_scope() {
    let f = closed_campaign().await;
    let app = &f.harness.app;
    // The removal the first quarter decided is carried out and verified; then the tenant is
    // pulled again and the next quarter opens.
    app.remediation_apply(
        &f.campaign,
        &crate::remediation::quiet(),
        recert_app::CancellationToken::new(),
    )
    .await
    .expect("apply");
    app.remediation_verify(&f.campaign).await.expect("verify removals");
    f.harness.clock.set(at(2026, 3, 25, 12));
    f.harness.pull().await;
    f.harness.clock.set(at(2026, 4, 5, 10));
    let scheduler = app.as_application("scheduler");
    let next = scheduler.run_due().await.expect("run").opened.remove(0);

    let since = app.campaign_changes(&next).await.expect("changes").expect("a previous campaign");
    assert_eq!(since.campaign_id, f.campaign);
    use recert_app::campaigns::dto::ChangeKindDto as K;
    let removed: Vec<_> = since.changes.iter().filter(|c| c.kind == K::Removed).collect();
    assert!(!removed.is_empty(), "the access the first quarter removed is gone: {since:?}");
    assert!(
        since.changes.iter().all(|c| c.kind != K::CameBack && c.kind != K::NotRemoved),
        "nothing came back and every removal was carried out: {since:?}"
    );
    assert_eq!(app.campaign_changes(&f.campaign).await.expect("changes"), None, "the first");

    // The binder of the next quarter carries the same comparison, and the role catalogue.
    let out = f.dir.path().join("next");
    app.evidence_export(&next, paths(&out)).await.expect("export");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("binder.json")).expect("json"))
            .expect("JSON");
    let binder = &json["binder"];
    let changes = binder["since_previous"]["changes"].as_array().expect("changes in the binder");
    assert_eq!(changes.len(), since.changes.len());
    assert!(changes.iter().any(|c| c["kind"] == "removed by the previous campaign"));
    let catalogue = binder["role_catalogue"].as_array().expect("a role catalogue");
    assert!(!catalogue.is_empty());
    let tiers: Vec<&str> = catalogue.iter().filter_map(|r| r["tier"].as_str()).collect();
    let first_other = tiers.iter().position(|t| *t != "critical").unwrap_or(tiers.len());
    assert!(tiers[first_other..].iter().all(|t| *t != "critical"), "critical first: {tiers:?}");
    assert!(tiers.contains(&"critical"), "Global Administrator is in scope: {tiers:?}");
    for role in catalogue {
        if role["built_in"] == false && role["surface"] == "directoryRole" {
            // The demo's custom role grants what its definition in the raw pages lists.
            let permissions = role["permissions"].as_array().expect("permissions");
            assert!(
                permissions.iter().any(|p| p == "microsoft.directory/users/password/update"),
                "{role}"
            );
            assert!(role["permissions_source"].as_str().unwrap_or("").starts_with("raw page "));
        }
    }
    let text = std::process::Command::new("pdftotext")
        .args(["-raw", "-enc", "UTF-8"])
        .arg(out.join("binder.pdf"))
        .arg("-")
        .output()
        .expect("pdftotext runs (cargo xtask test installs poppler-utils)");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Role catalogue") && text.contains("Since the previous campaign"));
    assert!(text.contains("removed by the previous campaign"));
}

// See: issue 20 ("the same counts on the campaign page, the remediation screen, the dashboard and
// the binder").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_campaign_the_remediation_screen_and_the_binder_count_exceptions_alike() {
    let f = closed_campaign().await;
    let app = &f.harness.app;
    let plan = app.remediation_plan(&f.campaign).await.expect("the plan");
    let listed = app.campaigns(None).await.expect("the list");
    let campaign = listed.iter().find(|c| c.id == f.campaign).expect("the campaign");
    assert_eq!(campaign.tally, plan.tally, "the campaign page and the remediation screen agree");
    assert_eq!(
        plan.tally.held,
        plan.held.iter().filter(|h| h.confirmed_by.is_none()).count() as u32,
        "held: every hold nobody confirmed"
    );
    let out = f.dir.path().join("out");
    app.evidence_export(&f.campaign, paths(&out)).await.expect("export");
    let binder: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("binder.json")).expect("the JSON"))
            .expect("JSON");
    let exceptions = binder["binder"]["exceptions"].as_array().expect("the register").len();
    assert_eq!(exceptions as u32, plan.tally.exceptions, "the binder's register has as many");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_of_the_evidence_is_saved_to_any_folder_as_it_is_or_as_one_zip() {
    let f = closed_campaign().await;
    let app = &f.harness.app;
    let out = f.dir.path().join("out");
    app.evidence_export(&f.campaign, paths(&out)).await.expect("export");
    let evidence = app.campaign_evidence(&f.campaign, out.clone()).await.expect("the evidence");
    assert!(evidence.present, "{evidence:?}");
    assert_eq!(evidence.exports.len(), 1, "one export so far: {evidence:?}");
    assert_eq!(evidence.exports[0].files.len(), 5, "{evidence:?}");
    assert!(evidence.exports[0].files.iter().all(|f| std::path::Path::new(&f.path).exists()));
    let chosen = f.dir.path().join("for the auditor");
    std::fs::create_dir_all(&chosen).expect("a folder");

    let copied = app
        .evidence_save_copy(&f.campaign, out.clone(), chosen.clone(), false)
        .await
        .expect("a copy");
    assert_eq!(copied.files, 5, "{copied:?}");
    let pdf = std::fs::read(out.join("binder.pdf")).expect("the PDF");
    let copy = std::path::Path::new(&copied.path).join("binder.pdf");
    assert_eq!(std::fs::read(copy).expect("the copy"), pdf, "copied byte for byte");

    let zipped =
        app.evidence_save_copy(&f.campaign, out.clone(), chosen.clone(), true).await.expect("zip");
    assert!(zipped.path.ends_with("-evidence.zip"), "{zipped:?}");
    let zip = std::fs::read(&zipped.path).expect("the zip");
    assert!(zip.starts_with(b"PK"), "a zip file");
    // Stored, not compressed: the PDF's bytes are in it whole, so its hash still matches.
    assert!(zip.windows(pdf.len()).any(|w| w == pdf.as_slice()), "the PDF is in the zip whole");

    let err = app
        .evidence_save_copy(&f.campaign, out, f.dir.path().join("nowhere"), true)
        .await
        .expect_err("no such folder");
    assert_eq!(err.fields.len(), 1, "a folder that is not there is the form's field: {err:?}");
    let err = app
        .evidence_save_copy(&f.campaign, f.dir.path().join("empty"), chosen, true)
        .await
        .expect_err("nothing exported there");
    assert!(err.fields.is_empty() && err.message.contains("export first"), "{err:?}");
}

/// Records `pdf` as the PDF of another export of the latest export's cut, drawn by the layout
/// version `renderer` (`None`: made before versions were recorded), through the store's own API
/// as an earlier Recert would have recorded it; its other files as the latest export has them.
fn record_earlier_export(db: &std::path::Path, campaign: &str, pdf: &[u8], renderer: Option<&str>) {
    use sha2::Digest;
    let mut store = recert_store::Store::open(db).expect("the database");
    let mut record = store.exports(campaign).expect("the exports").pop().expect("an export");
    let mut files: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&record.files).expect("the files' hashes");
    files.insert("pdf".into(), hex::encode(sha2::Sha256::digest(pdf)));
    record.files = serde_json::to_string(&files).expect("JSON");
    record.renderer = renderer.map(str::to_string);
    store.record_export(&record).expect("the export is recorded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_binder_drawn_by_an_earlier_renderer_is_checked_by_its_record_not_drawn_again() {
    let f = closed_campaign().await;
    let out = f.dir.path().join("out");
    f.harness.app.evidence_export(&f.campaign, paths(&out)).await.expect("export");
    let pdf_path = out.join("binder.pdf");
    let today = std::fs::read(&pdf_path).expect("the PDF");
    // The same pages and attachments in a file laid out otherwise, as an earlier renderer's
    // binder is: drawing it again today would not give its bytes.
    let earlier = {
        let mut doc = lopdf::Document::load_mem(&today).expect("a PDF");
        // An object no page refers to, as another writer might leave: the same pages and
        // attachments, other bytes.
        doc.add_object(lopdf::dictionary! { "Earlier" => "layout" });
        let mut out = Vec::new();
        doc.save_to(&mut out).expect("saved");
        out
    };
    assert_ne!(earlier, today, "the file differs from today's rendering");
    std::fs::write(&pdf_path, &earlier).expect("write");
    record_earlier_export(&f.db, &f.campaign, &earlier, Some("recert-binder-pdf/0"));
    let report = f.harness.app.verify(&f.campaign, paths(&out)).await.expect("verify");
    assert!(report.ok, "{:?}", failed(&report));
    let files = report.checks.iter().find(|c| c.name == "export files").expect("the files' check");
    assert!(
        files
            .detail
            .contains("made by renderer version recert-binder-pdf/0 and is not re-rendered"),
        "{}",
        files.detail
    );

    // Its record still catches a change: a page drawn over, in a file of that version.
    let changed = edit_pdf(&earlier, None, Some(1));
    std::fs::write(&pdf_path, &changed).expect("write");
    record_earlier_export(&f.db, &f.campaign, &changed, Some("recert-binder-pdf/0"));
    let problems = failed(&f.harness.app.verify(&f.campaign, paths(&out)).await.expect("verify"));
    assert!(
        problems.iter().any(|p| p.contains("binder.pdf") && p.contains("pages were changed")),
        "{problems:?}"
    );

    // An export from before versions were recorded: drawn again first, and as that differs,
    // checked by its record, which holds.
    std::fs::write(&pdf_path, &earlier).expect("write");
    record_earlier_export(&f.db, &f.campaign, &earlier, None);
    let report = f.harness.app.verify(&f.campaign, paths(&out)).await.expect("verify");
    assert!(report.ok, "{:?}", failed(&report));
    assert!(
        report.checks.iter().any(|c| c.detail.contains("did not record its version")),
        "{report:?}"
    );
}

/// The scope page names the roles a definition's scope lists, as the role catalogue does: an
/// auditor reads "Global Administrator", not a role definition's id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scope_page_names_the_roles_in_scope() {
    const GA: &str = "62e90394-69f5-4237-9190-012177145e10";
    const PRA: &str = "e8611ab8-c189-46e8-94e1-60213ab1f814";
    let dir = tempfile::tempdir().expect("a temp dir");
    let tenant = Tenant::demo_at(at(2026, 1, 1, 0));
    let h = Harness::start_with_db(tenant.clone(), Options::default(), None).await;
    h.clock.set(at(2025, 12, 20, 12));
    h.pull().await;
    h.act_as_admin().await;
    let mut d = quarterly(&h.tenant_id, &lead(&tenant));
    d.scope.role_ids = vec![GA.into(), PRA.into()];
    let created = h.app.definition_create(d).await.expect("definition");
    let campaign = h.app.campaign_open(&created.definition.id).await.expect("open").id;
    let out = dir.path().join("out");
    h.app.evidence_export(&campaign, paths(&out)).await.expect("export");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("binder.json")).expect("json"))
            .expect("JSON");
    let roles = json["binder"]["scope_and_method"]
        .as_array()
        .expect("settings")
        .iter()
        .find(|s| s["label"] == "Roles")
        .and_then(|s| s["value"].as_str())
        .expect("the Roles line")
        .to_string();
    assert_eq!(roles, "Global Administrator, Privileged Role Administrator");
}
