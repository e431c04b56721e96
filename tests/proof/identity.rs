//! Each decision records how its decider was identified — a sign-in through the login page,
//! the demo tenant's "act as", a CSV import by an admin — and the binder's decision rows and CSVs
//! say it, so an asserted identity is never read as an authenticated one.

use recert_app::Verdict;
use recert_app::dto::AuthMethodDto;
use recert_tests::login::sign_in;

use crate::{Open, close, csv_rows, decide, open_campaign, paths, pdf_text};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_decision_says_whether_its_decider_signed_in_or_was_only_asserted() {
    let o: Open = open_campaign().await;
    let (signed, acted, imported) = (o.items[0], o.items[1], o.items[2]);
    let tid = o.h.emulator.tenant_id().to_ascii_lowercase();

    // The reviewer signs in on the login page and decides.
    let who = sign_in(&o.h, &o.reviewer.upn).await;
    assert_eq!(who.oid.to_ascii_lowercase(), o.reviewer.id.to_ascii_lowercase());
    let acting = o.h.app.acting(&o.h.tenant_id).await.expect("who acts");
    assert_eq!(acting.authentication.method, AuthMethodDto::SignIn, "{acting:?}");
    assert!(acting.authentication.authenticated);
    decide(&o, signed, Verdict::Approve, "Runs the on-call rota").await;

    // The same reviewer, chosen with "act as": nobody signed in.
    o.h.act_as(&o.reviewer.upn).await;
    let acting = o.h.app.acting(&o.h.tenant_id).await.expect("who acts");
    assert_eq!(acting.authentication.method, AuthMethodDto::DemoActAs, "{acting:?}");
    assert!(!acting.authentication.authenticated);
    decide(&o, acted, Verdict::Approve, "Still in the team").await;

    // A governance admin imports the reviewer's answer from a file.
    let admin = o.h.act_as_admin_except(&[&o.reviewer.upn]).await;
    let csv = format!("item,decision,justification\n{imported},deny,Left the team in March\n");
    o.h.app.import_decisions(&o.campaign, &csv).await.expect("imported");

    close(&o).await;
    let files = paths(&o, "out");
    o.h.app.evidence_export(&o.campaign, files.clone()).await.expect("export");

    let rows = csv_rows(files.csv.as_deref().expect("csv"));
    let row = |id: u32| {
        rows.iter().find(|r| r["item_id"] == id.to_string()).expect("the item's row").clone()
    };
    let s = row(signed);
    assert_eq!(s["decided_by_identity"], "signed in");
    let proof = &s["decided_by_authentication"];
    assert!(proof.starts_with("authenticated: interactive sign-in"), "{proof}");
    assert!(proof.contains(&tid), "the Entra tenant id: {proof}");
    assert!(proof.contains(&o.reviewer.id.to_ascii_lowercase()), "the object id: {proof}");
    assert!(proof.contains("2026-01-05 10:00:00 UTC"), "when they signed in: {proof}");

    let a = row(acted);
    assert_eq!(a["decided_by_identity"], "asserted: act-as");
    assert!(a["decided_by_authentication"].contains("nobody signed in"), "{a:?}");

    let i = row(imported);
    assert_eq!(i["decided_by_identity"], "asserted: CSV");
    assert_eq!(i["decided_by_upn"], admin.upn);
    assert!(i["decided_by_authentication"].contains(&admin.upn), "who imported it: {i:?}");

    // The history CSV says it of every decision too.
    let history = files.csv.as_deref().expect("csv").with_file_name("decisions-history.csv");
    let identities: Vec<String> =
        csv_rows(&history).iter().map(|r| r["decided_by_identity"].clone()).collect();
    assert_eq!(
        identities,
        ["signed in", "asserted: act-as", "asserted: CSV"],
        "in the order decided"
    );

    // The PDF's decision rows carry the same words.
    let text = pdf_text(files.pdf.as_deref().expect("pdf"));
    // (The cell wraps after "asserted:".)
    for words in ["signed in", "asserted:", "act-as", "CSV"] {
        assert!(text.contains(words), "the PDF shows {words:?}");
    }

    crate::keep(files.pdf.as_deref().expect("pdf"), "identity-binder.pdf");
    // And `verify` re-renders it all from the store.
    let report = o.h.app.verify(&o.campaign, files).await.expect("verify");
    assert!(report.ok, "{:?}", report.checks.iter().filter(|c| !c.ok).collect::<Vec<_>>());

    // Turning the act-as decision into a sign-in behind Recert's back is named: the audit chain
    // recorded how its decider was identified.
    let db = rusqlite::Connection::open(o.dir.path().join("recert.db")).expect("the file");
    db.execute(
        "UPDATE decision SET auth_method = 'signIn', auth_tenant = ?2, auth_object = ?3,
           auth_at = '2026-01-05T10:00:00.000Z' WHERE item_id = ?1",
        rusqlite::params![acted, tid, o.reviewer.id.to_ascii_lowercase()],
    )
    .expect("tamper");
    let report = o.h.app.verify(&o.campaign, paths(&o, "out")).await.expect("verify");
    let named: Vec<String> = report
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect();
    assert!(
        named.iter().any(|d| d.contains("authentication") && d.contains("demoActAs")),
        "{named:?}"
    );
}
