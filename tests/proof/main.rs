//! What an auditor signs without a follow-up question: how each decider was identified, sign-off
//! after a fresh authentication with versions after corrections. The real `recert-app` against
//! the emulator over HTTPS, people signing in through its login page.

mod exceptions;
mod identity;
mod sample;
mod signoff;

use recert_app::Verdict;
use recert_app::campaigns::dto::{ReviewerProgressDto, WorklistQueryDto};
use recert_emulator::{Options, Tenant};
use recert_tests::{Harness, at, lead, quarterly};

/// An open campaign of the demo tenant on a database file, people allowed to sign in.
pub struct Open {
    pub h: Harness,
    pub campaign: String,
    /// The reviewer with the most items, and the first of their items.
    pub reviewer: ReviewerProgressDto,
    pub items: Vec<u32>,
    pub dir: tempfile::TempDir,
}

pub async fn open_campaign() -> Open {
    let dir = tempfile::tempdir().expect("a temp dir");
    let db = dir.path().join("recert.db");
    let tenant = Tenant::demo_at(at(2026, 1, 1, 0));
    let h = Harness::start_with_db(tenant.clone(), Options::default(), Some(&db)).await;
    recert_tests::login::allow_sign_in(&h);
    h.clock.set(at(2025, 12, 20, 12));
    h.pull().await;
    h.act_as_admin().await;
    h.app.definition_create(quarterly(&h.tenant_id, &lead(&tenant))).await.expect("definition");
    h.clock.set(at(2026, 1, 5, 10));
    let scheduler = h.app.as_application("scheduler");
    let campaign = scheduler.run_due().await.expect("run").opened.remove(0);
    let detail = h.app.campaign(&campaign).await.expect("detail");
    let reviewer = detail.reviewers.iter().max_by_key(|r| r.assigned).expect("a reviewer").clone();
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
    let items = mine.items.iter().map(|i| i.id).collect();
    Open { h, campaign, reviewer, items, dir }
}

/// Closes the campaign at its deadline, as the schedule does.
pub async fn close(o: &Open) {
    o.h.clock.set(at(2026, 1, 23, 9));
    o.h.app.as_application("scheduler").run_due().await.expect("close");
}

/// Decides `item` as whoever acts now.
pub async fn decide(o: &Open, item: u32, verdict: Verdict, why: &str) {
    o.h.app
        .decide(
            &o.campaign,
            vec![item],
            verdict,
            why.into(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .unwrap_or_else(|err| panic!("decide {item}: {err}"));
}

/// The binder's files in a folder of the fixture's temp dir.
pub fn paths(o: &Open, name: &str) -> recert_app::evidence::EvidencePaths {
    let out = o.dir.path().join(name);
    recert_app::evidence::EvidencePaths {
        pdf: Some(out.join("binder.pdf")),
        csv: Some(out.join("decisions.csv")),
        json: Some(out.join("binder.json")),
    }
}

/// The PDF's text as `pdftotext -layout` extracts it.
pub fn pdf_text(pdf: &std::path::Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs (poppler-utils)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `decisions.csv` as rows of named cells.
pub fn csv_rows(path: &std::path::Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("the CSV");
    let headers = reader.headers().expect("headers").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("a row");
            headers.iter().map(str::to_string).zip(r.iter().map(str::to_string)).collect()
        })
        .collect()
}

/// Keeps a copy of `file` under `target/evidence-proof/` as `name`, for a person to render and
/// read (the temp dir goes with the test).
pub fn keep(file: &std::path::Path, name: &str) {
    let dir = recert_tests::repo_root().join("target").join("evidence-proof");
    std::fs::create_dir_all(&dir).expect("the folder");
    std::fs::copy(file, dir.join(name)).expect("a copy");
}
