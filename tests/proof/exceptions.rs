//! The exceptions register: an exception gets an owner, an expiry and a compensating control
//! (checked, audited), the binder lists them on its register page and in `exceptions.csv`, and
//! once expired the access comes back for review in the next campaign of the definition.

use recert_app::Verdict;
use recert_app::campaigns::dto::WorklistQueryDto;
use recert_app::dto::ExceptionTermsDto;
use recert_tests::at;

use crate::{close, open_campaign, paths, pdf_text};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exception_has_an_owner_an_expiry_and_a_control_and_comes_back_once_expired() {
    let o = open_campaign().await;
    let h = &o.h;
    // Access through a group cannot be removed per person: denying it makes an exception.
    let admin = h.act_as_admin().await;
    let group = h
        .app
        .worklist(
            &o.campaign,
            WorklistQueryDto { membership: Some("group".into()), limit: 50, ..Default::default() },
        )
        .await
        .expect("page")
        .items
        .into_iter()
        .find(|i| !i.principal_upn.as_deref().unwrap_or_default().eq_ignore_ascii_case(&admin.upn))
        .expect("an item held through a group");
    h.app
        .decide(
            &o.campaign,
            vec![group.id],
            Verdict::Deny,
            "Not needed any more".into(),
            recert_domain::review::DecisionSource::Window,
        )
        .await
        .expect("denied");
    close(&o).await;

    let register = h.app.exceptions(&o.campaign).await.expect("the register");
    let entry = register.iter().find(|e| e.item_id == group.id).expect("the exception");
    assert_eq!(entry.standing, "no terms", "{entry:?}");

    // Terms are checked: a past expiry and no control are refused, field by field.
    let bad = ExceptionTermsDto {
        owner: admin.upn.clone(),
        expires_on: "2026-01-01".into(),
        control: "SOC".into(),
    };
    let err = h.app.register_exception(&o.campaign, group.id, bad).await.expect_err("refused");
    let fields: Vec<&str> = err.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["expiresOn", "control"], "{err:?}");
    let terms = ExceptionTermsDto {
        owner: admin.upn.clone(),
        expires_on: "2026-03-31".into(),
        control: "Members' sign-ins are alerted to the SOC until the group is split".into(),
    };
    let register = h.app.register_exception(&o.campaign, group.id, terms).await.expect("ok");
    let entry = register.iter().find(|e| e.item_id == group.id).expect("the exception");
    assert_eq!(
        (entry.owner.as_deref(), entry.expires_on.as_deref(), entry.standing.as_str()),
        (Some(admin.upn.as_str()), Some("2026-03-31"), "current")
    );

    // The binder: the register page, and exceptions.csv attached.
    let files = paths(&o, "binder");
    h.app.evidence_export(&o.campaign, files.clone()).await.expect("export");
    let text = pdf_text(files.pdf.as_deref().expect("pdf"));
    assert!(text.contains("Exceptions register"), "the page");
    assert!(text.contains("2026-03-31"), "the expiry on the page");
    crate::keep(files.pdf.as_deref().expect("pdf"), "exceptions-binder.pdf");
    let pdf = std::fs::read(files.pdf.as_deref().expect("pdf")).expect("pdf");
    let binder = recert_evidence::read_binder(&pdf).expect("a binder");
    let csv = String::from_utf8(
        binder.attachments.get(recert_evidence::EXCEPTIONS_CSV).expect("exceptions.csv").clone(),
    )
    .expect("text");
    assert!(csv.contains("compensating_control"), "{csv}");
    assert!(csv.contains("alerted to the SOC"), "{csv}");
    let report = h.app.verify(&o.campaign, files).await.expect("verify");
    assert!(report.ok, "{:?}", report.checks.iter().filter(|c| !c.ok).collect::<Vec<_>>());

    // The next quarter, after the expiry: the access is an item again, and the snapshot says why.
    h.clock.set(at(2026, 4, 6, 10));
    let next = h.app.as_application("scheduler").run_due().await.expect("run").opened;
    let next = next.first().expect("the next campaign opened").clone();
    let back = h
        .app
        .worklist(&next, WorklistQueryDto { limit: 1000, ..Default::default() })
        .await
        .expect("page")
        .items
        .into_iter()
        .any(|i| i.principal_id == group.principal_id && i.role_id == group.role_id);
    assert!(back, "the expired exception's access is reviewed again");
    let files = paths(&o, "next");
    h.app.evidence_export(&next, files.clone()).await.expect("export");
    let text = pdf_text(files.pdf.as_deref().expect("pdf"));
    assert!(text.contains("exception expired"), "the population statement says it came back");
    crate::keep(files.pdf.as_deref().expect("pdf"), "next-quarter-binder.pdf");
}
