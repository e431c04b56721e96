//! The auditor's sample: the same seed draws the same items, and each trace sheet names the
//! sealed raw page its item was read from with that page's SHA-256 — the same hash the signed
//! binder's page index gives.

use recert_app::Verdict;

use crate::{close, decide, open_campaign, paths, pdf_text};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_draws_the_same_sample_and_each_trace_cites_its_sealed_page() {
    let o = open_campaign().await;
    o.h.act_as(&o.reviewer.upn).await;
    decide(&o, o.items[0], Verdict::Deny, "Left the team").await;
    close(&o).await;
    o.h.act_as_admin().await;

    let out = o.dir.path().join("samples");
    let a = o.h.app.evidence_sample(&o.campaign, 6, Some(42), out.join("a.pdf")).await.expect("a");
    let b = o.h.app.evidence_sample(&o.campaign, 6, Some(42), out.join("b.pdf")).await.expect("b");
    let c = o.h.app.evidence_sample(&o.campaign, 6, Some(43), out.join("c.pdf")).await.expect("c");
    assert_eq!(a.seed, "42");
    assert_eq!(a.items.len(), 6);
    assert_eq!(a.items, b.items, "the same seed draws the same items");
    assert_eq!(a.sha256, b.sha256, "and the same trace sheets, byte for byte");
    assert_ne!(a.items, c.items, "another seed draws others");
    assert!(a.population > 6, "{a:?}");

    // Every sheet cites a sealed page, and its hash is the one the signed binder's index gives.
    let files = paths(&o, "binder");
    o.h.app.evidence_export(&o.campaign, files.clone()).await.expect("export");
    let pdf = std::fs::read(files.pdf.as_deref().expect("pdf")).expect("the binder");
    let binder = recert_evidence::read_binder(&pdf).expect("a binder");
    let index = String::from_utf8(
        binder.attachments.get(recert_evidence::POPULATION_INDEX).expect("the page index").clone(),
    )
    .expect("text");
    let sealed: Vec<&str> = index.lines().skip(1).filter_map(|l| l.rsplit(',').next()).collect();
    for (item, hash) in a.items.iter().zip(&a.page_sha256) {
        assert!(!hash.is_empty(), "item {item} is traced to a page");
        assert!(sealed.contains(&hash.as_str()), "item {item}'s page {hash} is a sealed page");
    }

    let text = pdf_text(std::path::Path::new(&a.path));
    assert!(text.contains("Seed") && text.contains("42"), "the seed is printed");
    for (item, hash) in a.items.iter().zip(&a.page_sha256) {
        assert!(text.contains(&format!("Item {item}")), "a sheet for item {item}");
        assert!(text.contains(hash.as_str()), "item {item}'s page hash is on its sheet");
    }
    assert!(text.contains("value["), "the offset in the page");
    crate::keep(std::path::Path::new(&a.path), "sample-seed-42.pdf");
}
