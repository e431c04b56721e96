//! Sign-off that means something: the campaign owner and compliance sign a closed campaign only
//! after a sign-in of the last five minutes (acting as a demo user is none), compliance is not
//! the owner and took no part in the decisions, and a correction after the sign-off is audited
//! and starts a new version of the binder that is signed again — while the binder exported at
//! version 1 still verifies.

use chrono::Duration;
use recert_app::ErrorCode;
use recert_app::Verdict;
use recert_app::dto::{AuditQueryDto, AuthMethodDto, SignOffCapacityDto as Capacity};
use recert_tests::login::sign_in;

use crate::{close, decide, open_campaign, paths, pdf_text};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_and_compliance_sign_each_version_after_a_fresh_sign_in() {
    let o = open_campaign().await;
    let h = &o.h;
    h.act_as(&o.reviewer.upn).await;
    decide(&o, o.items[0], Verdict::Approve, "Runs the on-call rota").await;

    // Not before the review is over.
    let owner = h.act_as_admin_except(&[&o.reviewer.upn]).await;
    sign_in(h, &owner.upn).await;
    let err = h.app.sign_off(&o.campaign, Capacity::CampaignOwner).await.expect_err("open");
    assert_eq!(err.code, ErrorCode::Conflict, "{err:?}");
    close(&o).await;

    // Acting as the owner is no authentication; a sign-in six minutes old is stale.
    h.act_as(&owner.upn).await;
    let err = h.app.sign_off(&o.campaign, Capacity::CampaignOwner).await.expect_err("act as");
    assert_eq!(err.code, ErrorCode::FreshSignInRequired, "{err:?}");
    assert!(err.message.contains("not an authentication"), "{err:?}");
    sign_in(h, &owner.upn).await;
    h.clock.set(h.clock.now() + Duration::minutes(6));
    let err = h.app.sign_off(&o.campaign, Capacity::CampaignOwner).await.expect_err("stale");
    assert_eq!(err.code, ErrorCode::FreshSignInRequired, "{err:?}");
    assert!(err.message.contains("6 minutes old"), "{err:?}");

    // Signed in again: the owner signs version 1.
    sign_in(h, &owner.upn).await;
    let signed_at = h.clock.now();
    let status = h.app.sign_off(&o.campaign, Capacity::CampaignOwner).await.expect("owner signs");
    assert_eq!((status.version, status.missing.clone()), (1, vec![Capacity::Compliance]));
    let s = &status.sign_offs[0];
    assert_eq!(
        (s.signer_upn.as_str(), s.authentication.method),
        (owner.upn.as_str(), AuthMethodDto::SignIn)
    );
    let at = signed_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(s.authentication.at.as_deref(), Some(at.as_str()), "when they signed in");
    // Not twice, and the owner is not also compliance.
    let err = h.app.sign_off(&o.campaign, Capacity::CampaignOwner).await.expect_err("twice");
    assert_eq!(err.code, ErrorCode::Conflict, "{err:?}");
    let err = h.app.sign_off(&o.campaign, Capacity::Compliance).await.expect_err("same person");
    assert_eq!(err.code, ErrorCode::Forbidden, "{err:?}");

    // The reviewer who decided is not independent; someone who took no part is.
    sign_in(h, &o.reviewer.upn).await;
    let err = h.app.sign_off(&o.campaign, Capacity::Compliance).await.expect_err("a decider");
    assert!(err.message.contains("recorded decisions"), "{err:?}");
    let admins = h.admins().await;
    let compliance =
        o.h.app
            .campaign(&o.campaign)
            .await
            .expect("detail")
            .reviewers
            .into_iter()
            .find(|r| r.decided == 0 && !admins.contains(&r.upn) && r.upn != owner.upn)
            .expect("a reviewer who decided nothing");
    sign_in(h, &compliance.upn).await;
    let status = h.app.sign_off(&o.campaign, Capacity::Compliance).await.expect("compliance signs");
    assert!(status.missing.is_empty(), "version 1 is signed off: {status:?}");

    // The binder of version 1 records both, with how each signer was authenticated.
    let v1 = paths(&o, "v1");
    h.app.evidence_export(&o.campaign, v1.clone()).await.expect("export v1");
    let text = pdf_text(v1.pdf.as_deref().expect("pdf"));
    assert!(text.contains("1, signed off in Recert by campaign owner and compliance"), "cover");
    for words in [owner.upn.as_str(), compliance.upn.as_str(), "interactive sign-in to tenant"] {
        assert!(text.contains(words), "the sign-off page shows {words:?}");
    }

    // A correction after the sign-off: audited, a new version, signed again.
    sign_in(h, &owner.upn).await;
    let status = h
        .app
        .correct_campaign(&o.campaign, "Item 1's justification named the wrong rota")
        .await
        .expect("corrected");
    assert_eq!(status.version, 2);
    assert_eq!(status.missing, vec![Capacity::CampaignOwner, Capacity::Compliance]);
    assert_eq!(status.corrections.len(), 1);
    let audit = h
        .app
        .audit_log(AuditQueryDto {
            campaign_id: Some(o.campaign.clone()),
            kind: Some("campaign.corrected".into()),
            ..Default::default()
        })
        .await
        .expect("the audit log");
    assert_eq!(audit.events.len(), 1, "the correction is audited: {audit:?}");
    assert_eq!(audit.events[0].actor, owner.upn);
    h.app.sign_off(&o.campaign, Capacity::CampaignOwner).await.expect("owner signs v2");
    let v2 = paths(&o, "v2");
    h.app.evidence_export(&o.campaign, v2.clone()).await.expect("export v2");
    let text = pdf_text(v2.pdf.as_deref().expect("pdf"));
    assert!(text.contains("2, signed off in Recert by campaign owner; started by a correction"));
    assert!(text.contains("named the wrong rota"), "the correction is in the binder");
    crate::keep(v2.pdf.as_deref().expect("pdf"), "signed-binder-v2.pdf");

    // Both binders verify: version 1 as of its own cut.
    for files in [v1, v2] {
        let report = h.app.verify(&o.campaign, files).await.expect("verify");
        assert!(report.ok, "{:?}", report.checks.iter().filter(|c| !c.ok).collect::<Vec<_>>());
    }
}
