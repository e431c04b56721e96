//! Evidence benchmark: a synthetic 100,000-item campaign exported to the PDF binder, the CSVs and
//! the JSON as `recert-app` writes them (streamed to files, each hashed while written; the PDF
//! signed, with the CSVs, the JSON and the raw population pages attached, and names in scripts
//! that need shaping), with wall time and peak memory (the targets: 5 s, 400 MB).

use std::time::Instant;

use recert_evidence::model::{
    AuditInfo, Binder, CampaignInfo, DecisionEvent, DecisionInfo, Item, PopulationStatement,
    RemediationEntry, ReviewerStat, RoleCount,
};

const ITEMS: u32 = 100_000;
const ROLES: [&str; 8] = [
    "Global Administrator",
    "Privileged Role Administrator",
    "Exchange Administrator",
    "SharePoint Administrator",
    "User Administrator",
    "Security Administrator",
    "Owner",
    "Contributor",
];

fn binder() -> Binder {
    // One name in four needs shaping: Devanagari, Arabic, Thai.
    let names = [
        "José Müller",
        "अमित सिंह",
        "Ελένη Παπαδοπούλου",
        "Жанна Иванова",
        "محمد العلي",
        "山田太郎",
        "Ana López",
        "สมชาย ศรีสุข",
    ];
    let items: Vec<Item> = (1..=ITEMS)
        .map(|id| {
            let decided = id % 12 != 0;
            let reviewer = format!("manager{}@contoso.example", id % 400);
            Item {
                id,
                surface: if id % 8 >= 6 { "azureRole" } else { "directoryRole" }.into(),
                role: ROLES[id as usize % ROLES.len()].into(),
                scope: "/".into(),
                principal_name: format!("{} {id}", names[id as usize % names.len()]),
                principal_upn: format!("user{id}@contoso.example"),
                principal_id: format!("00000000-0000-4000-8000-{id:012}"),
                principal_type: if id % 50 == 0 { "servicePrincipal" } else { "user" }.into(),
                kind: if id % 3 == 0 { "active" } else { "eligible" }.into(),
                membership: "direct".into(),
                reviewers: vec![reviewer.clone()],
                decision: decided.then(|| DecisionInfo {
                    verdict: if id % 9 == 0 { "deny" } else { "approve" }.into(),
                    by_upn: reviewer,
                    by_id: format!("r-{}", id % 400),
                    acting_for: None,
                    at: format!(
                        "2026-03-{:02} {:02}:{:02}:{:02} UTC",
                        10 + id % 5,
                        id % 24,
                        id % 60,
                        id % 59
                    ),
                    justification: "Still needed for the quarterly close and the on-call rota"
                        .into(),
                    source: if id % 4 == 0 { "bulk" } else { "window" }.into(),
                    identity: "signed in".into(),
                    authentication: format!("authenticated: interactive sign-in as r-{}", id % 400),
                }),
                recommendation: "approve".into(),
                recommendation_reason: "activated in the last 90 days".into(),
                outcome: if decided && id % 9 != 0 { "keep" } else { "remove" }.into(),
                outcome_reason: String::new(),
            }
        })
        .collect();
    let decision_history = items
        .iter()
        .filter_map(|i| i.decision.as_ref().map(|d| (i.id, d)))
        .map(|(item_id, d)| DecisionEvent {
            item_id,
            reviewer: d.by_upn.clone(),
            verdict: d.verdict.clone(),
            by_upn: d.by_upn.clone(),
            at: d.at.clone(),
            justification: d.justification.clone(),
            source: d.source.clone(),
            stands: true,
            stage: 1,
            identity: d.identity.clone(),
            authentication: d.authentication.clone(),
        })
        .collect();
    let remediation = items
        .iter()
        .filter(|i| i.outcome == "remove")
        .map(|i| RemediationEntry {
            item_id: i.id,
            principal: i.principal_name.clone(),
            role: i.role.clone(),
            action: "adminRemove".into(),
            request_id: format!("5e0c8a6d-2f3b-4c1e-9a7d-{:012}", i.id),
            submitted_at: "2026-03-17 08:00:00 UTC".into(),
            result: "succeeded".into(),
            verified: "verified-removed".into(),
            verified_at: "2026-03-17 09:00:00 UTC".into(),
            history: Vec::new(),
        })
        .collect();
    Binder {
        campaign: CampaignInfo {
            id: "bench".into(),
            name: "Benchmark campaign".into(),
            tenant_name: "Contoso".into(),
            tenant_id: "8f6d3c2a-1b4e-4f7a-9c0d-2e5b6a7c8d9e".into(),
            period_start: "2026-03-09".into(),
            period_end: "2026-03-16".into(),
            ..CampaignInfo::default()
        },
        generated_at: "2026-03-31 12:00:00 UTC".into(),
        generator: "Recert bench".into(),
        population: PopulationStatement {
            total_items: ITEMS,
            roles: ROLES
                .iter()
                .map(|r| RoleCount {
                    surface: "directoryRole".into(),
                    role: (*r).into(),
                    eligible: ITEMS / 8,
                    active: 0,
                    in_scope: ITEMS / 8,
                })
                .collect(),
            ..PopulationStatement::default()
        },
        reviewers: (0..400)
            .map(|n| ReviewerStat {
                upn: format!("manager{n}@contoso.example"),
                name: format!("Manager {n}"),
                assigned: 250,
                decided: 229,
                median_seconds: Some(12.0),
                bulk_share: 0.25,
            })
            .collect(),
        audit: AuditInfo { head_hash: "ab".repeat(32), events: 250_000, ..AuditInfo::default() },
        items,
        decision_history,
        remediation,
        ..Binder::default()
    }
}

/// Peak resident memory of this process so far, in MB (Linux; 0 elsewhere).
fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Resets the peak to the current size, so earlier benchmarks in this process do not count
/// (Linux 4.0+; where it fails, the peak may include them, which only overstates it).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub async fn binder_100k() -> Vec<(String, f64, String)> {
    tokio::task::spawn_blocking(run).await.expect("the benchmark thread finishes")
}

/// Raw population pages as the pull seals them: a page of 100 instances per request, as NDJSON
/// lines with the request that fetched each, and their index, each line written on to the
/// attachment (deflated as it comes) as `recert-app` streams them from the snapshot.
fn population_pages() -> Vec<recert_evidence::Attachment> {
    use std::io::Write;
    let mut lines = recert_evidence::Attachment::writer(
        recert_evidence::POPULATION_PAGES,
        "application/x-ndjson",
        "raw pages",
    );
    let mut index = recert_evidence::Attachment::writer(
        recert_evidence::POPULATION_INDEX,
        "text/csv",
        "their index",
    );
    index.write_all(b"page,line,method,url,bytes,sha256\r\n").expect("written");
    for page in 0..ITEMS / 100 {
        let value: Vec<String> = (0..100)
            .map(|n| {
                let id = page * 100 + n + 1;
                format!(
                    "{{\"id\":\"{id}\",\"principalId\":\"00000000-0000-4000-8000-{id:012}\",\
                     \"roleDefinitionId\":\"62e90394-69f5-4237-9190-012177145e10\",\
                     \"directoryScopeId\":\"/\",\"memberType\":\"Direct\"}}"
                )
            })
            .collect();
        let body = format!("{{\"value\":[{}]}}", value.join(","));
        let url = format!(
            "https://graph.microsoft.com/v1.0/roleManagement/directory/roleEligibilityScheduleInstances?$skiptoken={page}"
        );
        writeln!(
            lines,
            "{{\"page\":{},\"method\":\"GET\",\"url\":\"{url}\",\"requestBody\":null,\"body\":{}}}",
            page + 1,
            serde_json::to_string(&body).expect("a JSON string")
        )
        .expect("written");
        write!(index, "{},{},GET,\"{url}\",{},-\r\n", page + 1, page + 1, body.len())
            .expect("written");
    }
    vec![lines.finish(), index.finish()]
}

/// Writes every export to files as `recert-app` does (buffered, each file hashed while it is
/// written, the PDF signed with the raw pages attached), returning the evidence hash.
fn export(
    binder: &Binder,
    dir: &std::path::Path,
    key: &recert_evidence::seal::SigningKey,
    attachments: Vec<recert_evidence::Attachment>,
) -> String {
    use std::io::{BufWriter, Write};
    let open = |name: &str| {
        BufWriter::with_capacity(1 << 16, std::fs::File::create(dir.join(name)).expect("a file"))
    };
    let (mut pdf, mut decisions, mut history, mut remediation, mut json) = (
        open("binder.pdf"),
        open("decisions.csv"),
        open("decisions-history.csv"),
        open("decisions-remediation.csv"),
        open("binder.json"),
    );
    let written = recert_evidence::write_all_with(
        binder,
        recert_evidence::Sinks {
            pdf: Some(&mut pdf),
            decisions_csv: Some(&mut decisions),
            history_csv: Some(&mut history),
            remediation_csv: Some(&mut remediation),
            json: Some(&mut json),
        },
        recert_evidence::PdfOptions {
            attachments,
            signer: recert_evidence::Signer::Key(key),
            audit_seq: 250_000,
        },
    )
    .expect("the binder renders");
    for mut file in [pdf, decisions, history, remediation, json] {
        file.flush().expect("the file is written");
    }
    written.evidence_hash
}

fn run() -> Vec<(String, f64, String)> {
    reset_peak();
    let before = peak_mb();
    let binder = binder();
    let attachments = population_pages();
    let key = recert_evidence::seal::SigningKey::generate()
        .and_then(|k| recert_evidence::seal::SigningKey::from_pkcs8(&k))
        .expect("a signing key");
    let model = peak_mb();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let size =
        |name: &str| std::fs::metadata(dir.path().join(name)).map_or(0.0, |m| m.len() as f64 / 1e6);

    let start = Instant::now();
    let hash = export(&binder, dir.path(), &key, attachments);
    let all_s = start.elapsed().as_secs_f64();
    let peak = peak_mb();
    let (csv_mb, json_mb) = (size("decisions.csv"), size("binder.json"));
    let pdf_path = dir.path().join("binder.pdf");
    let written = std::fs::read(&pdf_path).expect("the PDF was written");

    let start = Instant::now();
    let csv = recert_evidence::decisions_csv(&binder);
    let csv_s = start.elapsed().as_secs_f64();
    drop(csv);
    let start = Instant::now();
    let pdf = recert_evidence::binder_pdf(&binder).expect("the PDF renders");
    let pdf_s = start.elapsed().as_secs_f64();
    assert_eq!(hash, recert_evidence::evidence_hash(&binder), "the same evidence hash");
    // The signed binder checks with the file alone.
    let read = recert_evidence::read_binder(&written).expect("the binder reads back");
    let (checks, _) = recert_evidence::check_binder(&read);
    assert!(checks.iter().all(|c| c.ok), "{checks:?}");
    let text = String::from_utf8_lossy(&pdf);
    let pages = text
        .find("/Type/Pages/Count ")
        .and_then(|at| text[at + 18..].split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse::<f64>().ok())
        .unwrap_or(0.0);
    vec![
        ("binder: items".into(), f64::from(ITEMS), "items".into()),
        ("binder: decisions CSV".into(), csv_s, "s".into()),
        ("binder: PDF alone".into(), pdf_s, "s".into()),
        ("binder: PDF + 3 CSV + JSON + hash, written (target <= 5 s)".into(), all_s, "s".into()),
        (
            "binder: PDF size (signed, files attached)".into(),
            written.len() as f64 / 1e6,
            "MB".into(),
        ),
        ("binder: PDF pages".into(), pages, "pages".into()),
        ("binder: decisions CSV size".into(), csv_mb, "MB".into()),
        ("binder: JSON size".into(), json_mb, "MB".into()),
        ("binder: resident before the model".into(), before, "MB".into()),
        ("binder: peak with the model built".into(), model, "MB".into()),
        ("binder: peak while exporting (target <= 400 MB)".into(), peak, "MB".into()),
    ]
}
