//! `verify`: a campaign's record re-checked against the audit chain, the sealed snapshot, the
//! tables replayed from the chain and its exports, and export files re-checked against the
//! binder rebuilt from the database, or a binder PDF alone.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::{DateTime, Utc};
use recert_evidence::model::Binder;
use recert_evidence::{Attachment, Exports, PdfOptions, verify_exports_with};
use recert_store::Store;
use recert_store::audit::AuditEvent;
use recert_store::evidence::ExportRecord;

use super::export::population_attachments;
use super::{EvidencePaths, VerifyCheckDto, VerifyReportDto, build_binder, read, sibling, utc};
use crate::{App, AppError, ErrorCode};

/// What re-rendering a recorded export needs besides its binder: the attachments, the recorded
/// signing key and signature, the audit cut and the renderer version that drew its PDF.
type Rerender = (Vec<Attachment>, Option<(String, String)>, i64, Option<String>);

/// The checks made so far.
#[derive(Default)]
struct Checks(Vec<VerifyCheckDto>);

impl Checks {
    fn check(&mut self, name: &str, ok: bool, detail: String) {
        self.0.push(VerifyCheckDto { name: name.into(), ok, detail });
    }
}

impl App {
    /// Re-checks a campaign's record: the audit chain, the sealed snapshot, the tables replayed
    /// from the chain, the database against an export, and any export files given.
    pub async fn verify(
        &self,
        campaign_id: &str,
        paths: EvidencePaths,
    ) -> Result<VerifyReportDto, AppError> {
        self.verify_with(campaign_id, paths, None).await
    }

    /// `verify`, and also that the audit chain still holds the head `expect_head` (a hash noted
    /// earlier, e.g. printed in a binder): nothing was cut from the chain's tail since.
    pub async fn verify_with(
        &self,
        campaign_id: &str,
        paths: EvidencePaths,
        expect_head: Option<String>,
    ) -> Result<VerifyReportDto, AppError> {
        // The files handed in, read first: their hashes say which export they are.
        let files = tokio::task::spawn_blocking(move || GivenFiles::read(&paths)).await.map_err(
            |err| AppError::new(ErrorCode::Export, format!("reading the files failed: {err}")),
        )??;
        let id = campaign_id.to_string();
        let hashes = files.hashes();
        let (mut checks, binder, generated_at) = self
            .with_store(move |store| {
                let mut checks = Checks::default();
                store.campaign(&id)?;
                let events = store.audit_events(None)?;
                let altered = check_record(store, &id, &events, expect_head, &mut checks)?;
                let Some(export) = export_of(store, &id, &hashes, &mut checks)? else {
                    return Ok((checks, None, DateTime::<Utc>::MIN_UTC));
                };
                let rebuilt = rebuild(store, &id, &events, &export, altered, &mut checks)?;
                Ok((checks, Some(rebuilt), export.generated_at))
            })
            .await?;
        let Some((binder, rerender)) = binder else {
            let ok = checks.0.iter().all(|c| c.ok);
            return Ok(VerifyReportDto {
                campaign_id: campaign_id.to_string(),
                ok,
                checks: checks.0,
            });
        };
        // Rendering the binder again to compare happens without the store.
        let id = campaign_id.to_string();
        tokio::task::spawn_blocking(move || {
            check_files(&binder, rerender, &files, generated_at, &mut checks)?;
            let ok = checks.0.iter().all(|c| c.ok);
            Ok(VerifyReportDto { campaign_id: id, ok, checks: checks.0 })
        })
        .await
        .map_err(|err| {
            AppError::new(ErrorCode::Export, format!("verifying the files failed: {err}"))
        })?
    }
}

/// The record itself: the audit chain (and the head expected in it), the sealed snapshot, and
/// the tables replayed from the chain. Returns whether a table was altered outside Recert.
fn check_record(
    store: &Store,
    id: &str,
    events: &[AuditEvent],
    expect_head: Option<String>,
    checks: &mut Checks,
) -> Result<bool, AppError> {
    match store.verify_chain()? {
        Ok(head) => checks.check(
            "audit chain",
            true,
            format!("{} events, head {head}", store.audit_head_seq()?),
        ),
        Err(b) => checks.check("audit chain", false, format!("event {} {}", b.seq, b.problem)),
    }
    if let Some(expected) = expect_head.as_deref().map(str::to_ascii_lowercase) {
        let head = events.last().map(|e| e.seq).unwrap_or(0);
        match events.iter().find(|e| expected.len() >= 16 && e.hash.starts_with(&expected)) {
            Some(e) => checks.check(
                "expected head",
                true,
                format!(
                    "the chain holds {} at event {} ({} events since)",
                    e.hash,
                    e.seq,
                    head - e.seq
                ),
            ),
            None => checks.check(
                "expected head",
                false,
                format!(
                    "the chain (head event {head}) does not hold {expected}: events were cut \
                     from its tail or rewritten"
                ),
            ),
        }
    }
    match store.snapshot(id) {
        Ok(snapshot) => {
            let pages: Vec<recert_graph::RawPage> = store
                .snapshot_pages(id)?
                .into_iter()
                .map(|p| recert_graph::RawPage {
                    method: p.method,
                    url: p.url,
                    request_body: p.request_body,
                    body: p.body,
                })
                .collect();
            let found = recert_graph::pages_sha256(&pages);
            let ok = found == snapshot.raw_sha256;
            checks.check(
                "sealed snapshot",
                ok,
                if ok {
                    format!(
                        "{} raw pages ({} requests) hash to {found}",
                        pages.len(),
                        snapshot.requests
                    )
                } else {
                    format!("the raw pages hash to {found}, the seal says {}", snapshot.raw_sha256)
                },
            );
        }
        Err(_) => checks.check("sealed snapshot", false, "the campaign has no snapshot".into()),
    }
    let record = crate::record::replay(store, id, events)?;
    for c in &record {
        checks.check(&format!("{} against the audit chain", c.area), c.ok(), c.detail());
    }
    Ok(record.iter().any(|c| !c.ok()))
}

/// The export the files handed in belong to (the newest that recorded their hashes), else the
/// latest; none when the campaign was never exported.
fn export_of(
    store: &Store,
    id: &str,
    hashes: &[(&'static str, String)],
    checks: &mut Checks,
) -> Result<Option<ExportRecord>, AppError> {
    let mut exports = store.exports(id)?;
    let Some(latest) = exports.len().checked_sub(1) else {
        checks.check("export", false, "no evidence was exported for this campaign yet".into());
        return Ok(None);
    };
    let matching = exports.iter().rposition(|e| {
        let recorded: BTreeMap<String, String> = serde_json::from_str(&e.files).unwrap_or_default();
        hashes.iter().all(|(name, sha)| recorded.get(*name) == Some(sha))
    });
    let at = match (matching, hashes.is_empty()) {
        (Some(at), _) => at,
        (None, true) => latest,
        (None, false) => {
            checks.check(
                "export",
                false,
                format!(
                    "no export of this campaign recorded these files' hashes; they are compared \
                     with the latest, of {}",
                    utc(exports[latest].generated_at)
                ),
            );
            latest
        }
    };
    Ok(Some(exports.swap_remove(at)))
}

/// The export's cut against the chain, and the binder rebuilt from the database as of that cut
/// against the evidence hash recorded then.
fn rebuild(
    store: &Store,
    id: &str,
    events: &[AuditEvent],
    export: &ExportRecord,
    altered: bool,
    checks: &mut Checks,
) -> Result<(Binder, Rerender), AppError> {
    let cut = events.iter().find(|e| e.seq == export.audit_seq);
    match (&export.audit_head, cut) {
        (Some(head), Some(e)) if &e.hash == head => checks.check(
            "export's cut",
            true,
            format!(
                "export {} of {} was cut at event {} with head {head}",
                export.id,
                utc(export.generated_at),
                export.audit_seq
            ),
        ),
        (Some(head), _) => checks.check(
            "export's cut",
            false,
            format!(
                "export {} was cut at event {} with head {head}, which the chain no longer holds",
                export.id, export.audit_seq
            ),
        ),
        (None, _) => {}
    }
    let mut binder = build_binder(store, id, export.generated_at, export.audit_seq)?;
    // The binder names the Recert that made it: rebuilt as that one named it.
    if let Some(generator) = &export.generator {
        binder.generator = generator.clone();
    }
    let rerender = (
        population_attachments(store, id)?,
        export.signing_key.clone().zip(export.signature.clone()),
        export.audit_seq,
        export.renderer.clone(),
    );
    let evidence_hash = recert_evidence::evidence_hash(&binder);
    let when = utc(export.generated_at);
    if evidence_hash == export.evidence_hash {
        checks.check(
            "database against the export",
            true,
            format!("the binder of {when} rebuilds to evidence hash {}", export.evidence_hash),
        );
    } else {
        checks.check(
            "database against the export",
            false,
            if altered {
                format!(
                    "the database no longer rebuilds the export of {when}: it was modified \
                     outside Recert (see above; evidence hash {evidence_hash} now, {} when \
                     exported)",
                    export.evidence_hash
                )
            } else {
                format!(
                    "the database no longer rebuilds the export of {when} and no audited change \
                     explains it: it was modified outside Recert (evidence hash {evidence_hash} \
                     now, {} when exported)",
                    export.evidence_hash
                )
            },
        );
    }
    Ok((binder, rerender))
}

/// The files handed in against the rebuilt binder: the PDF's own seal, then the CSVs and the
/// JSON rendered again and compared, and the PDF as its renderer version allows (see
/// pdf_record).
fn check_files(
    binder: &Binder,
    (attachments, recorded, audit_seq, renderer): Rerender,
    files: &GivenFiles,
    generated_at: DateTime<Utc>,
    checks: &mut Checks,
) -> Result<(), AppError> {
    let exports = files.exports();
    let given = files.count();
    if let Some(pdf) = &files.pdf {
        // The seal inside the PDF handed in: its signature and what it lists.
        match recert_evidence::read_binder(pdf) {
            Ok(file) => {
                let (found, _) = recert_evidence::check_binder(&file);
                for c in found.into_iter().filter(|c| !c.ok || c.name == "signature") {
                    checks.check(&format!("binder {}", c.name), c.ok, c.detail);
                }
            }
            Err(err) => checks.check("binder", false, err),
        }
    }
    if given == 0 {
        return Ok(());
    }
    let data = Exports { pdf: None, ..exports };
    let mut mismatches =
        verify_exports_with(binder, &data, PdfOptions { audit_seq, ..Default::default() })?;
    let mut how = String::new();
    if let Some(pdf) = exports.pdf {
        let pdf = crate::pdf_record::check_pdf(
            binder,
            pdf,
            renderer.as_deref(),
            &attachments,
            recorded.as_ref(),
            audit_seq,
        )?;
        mismatches.extend(pdf.mismatches);
        how = format!("; {}", pdf.how);
    }
    if mismatches.is_empty() {
        checks.check(
            "export files",
            true,
            format!("{given} file(s) match the export of {}{how}", utc(generated_at)),
        );
    } else {
        for m in mismatches {
            checks.check("export files", false, m.to_string());
        }
    }
    Ok(())
}

/// Re-checks a binder PDF with the file alone (no database): the seal's signature, every
/// attachment against the seal, the JSON against the evidence hash and the CSVs, the pages,
/// and that the population statement's counts follow from the raw pages attached.
pub fn verify_binder(path: &Path) -> Result<VerifyReportDto, AppError> {
    let pdf = read(path)?;
    let file = recert_evidence::read_binder(&pdf)
        .map_err(|e| AppError::new(ErrorCode::Invalid, format!("{}: {e}", path.display())))?;
    let (found, seal) = recert_evidence::check_binder(&file);
    let mut checks: Vec<VerifyCheckDto> = found
        .into_iter()
        .map(|c| VerifyCheckDto { name: c.name.into(), ok: c.ok, detail: c.detail })
        .collect();
    let json: serde_json::Value = file
        .attachments
        .get(recert_evidence::BINDER_JSON)
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or_default();
    population_from_pages(&file, &json["binder"]["population"], &mut checks);
    let campaign_id = seal.map(|s| s.campaign_id).unwrap_or_default();
    let ok = checks.iter().all(|c| c.ok);
    Ok(VerifyReportDto { campaign_id, ok, checks })
}

/// Re-counts the population from the attached raw pages: their digest against the one sealed
/// at opening, the number of pages, and per Entra role the eligible and active assignments
/// (activations are usage, not assignments) against the statement.
fn population_from_pages(
    file: &recert_evidence::BinderFile,
    statement: &serde_json::Value,
    checks: &mut Vec<VerifyCheckDto>,
) {
    let mut check = |name: &str, ok: bool, detail: String| {
        checks.push(VerifyCheckDto { name: name.into(), ok, detail })
    };
    let Some(ndjson) = file.attachments.get(recert_evidence::POPULATION_PAGES) else {
        check("population", false, "the raw population pages are not attached".into());
        return;
    };
    let mut pages = Vec::new();
    for (n, line) in ndjson.split(|b| *b == b'\n').filter(|l| !l.is_empty()).enumerate() {
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(line) else {
            check("population", false, format!("raw page line {} is not JSON", n + 1));
            return;
        };
        let bytes = |key: &str| -> Option<Vec<u8>> {
            v[key]
                .as_str()
                .map(|s| s.as_bytes().to_vec())
                .or_else(|| v[format!("{key}Hex")].as_str().and_then(|h| hex::decode(h).ok()))
        };
        pages.push(recert_graph::RawPage {
            method: v["method"].as_str().unwrap_or_default().to_string(),
            url: v["url"].as_str().unwrap_or_default().to_string(),
            request_body: bytes("requestBody"),
            body: bytes("body").unwrap_or_default(),
        });
    }
    let sealed = statement["raw_sha256"].as_str().unwrap_or_default();
    let found = recert_graph::pages_sha256(&pages);
    check(
        "raw pages",
        found == sealed,
        format!(
            "{} raw pages hash to {found}; the population statement cites {sealed}",
            pages.len()
        ),
    );
    let cited = statement["pages"].as_u64();
    if let Some(cited) = cited {
        check(
            "raw page count",
            cited == pages.len() as u64,
            format!("the statement cites {cited} raw pages; {} are attached", pages.len()),
        );
    }
    // Entra roles: names from the role definitions, counts from the schedule instances.
    let mut names: HashMap<String, String> = HashMap::new();
    let mut counted: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for p in &pages {
        let Ok(body) = serde_json::from_slice::<serde_json::Value>(&p.body) else { continue };
        let values = body["value"].as_array().cloned().unwrap_or_default();
        let directory = p.url.contains("/roleManagement/directory/");
        if directory && p.url.contains("/roleDefinitions") {
            for v in &values {
                if let (Some(id), Some(name)) = (v["id"].as_str(), v["displayName"].as_str()) {
                    names.insert(id.to_string(), name.to_string());
                }
            }
        } else if directory && p.url.contains("/roleEligibilityScheduleInstances") {
            for v in &values {
                let role = v["roleDefinitionId"].as_str().unwrap_or_default().to_string();
                counted.entry(role).or_default().0 += 1;
            }
        } else if directory && p.url.contains("/roleAssignmentScheduleInstances") {
            for v in values.iter().filter(|v| v["assignmentType"].as_str() != Some("Activated")) {
                let role = v["roleDefinitionId"].as_str().unwrap_or_default().to_string();
                counted.entry(role).or_default().1 += 1;
            }
        }
    }
    let by_name: BTreeMap<String, (u64, u64)> =
        counted.into_iter().map(|(id, n)| (names.get(&id).cloned().unwrap_or(id), n)).collect();
    let mut differ = Vec::new();
    let mut roles = 0;
    for r in statement["roles"].as_array().into_iter().flatten() {
        if r["surface"].as_str() != Some("directoryRole") {
            continue;
        }
        roles += 1;
        let role = r["role"].as_str().unwrap_or_default();
        let stated = (r["eligible"].as_u64().unwrap_or(0), r["active"].as_u64().unwrap_or(0));
        let from_pages = by_name.get(role).copied().unwrap_or_default();
        if stated != from_pages {
            differ.push(format!(
                "{role}: the statement says {} eligible and {} active, the raw pages hold {} and {}",
                stated.0, stated.1, from_pages.0, from_pages.1
            ));
        }
    }
    check(
        "population counts",
        differ.is_empty(),
        if differ.is_empty() {
            format!(
                "the eligible and active counts of {roles} Entra roles follow from the raw pages"
            )
        } else {
            differ.join("; ")
        },
    );
}

/// The export files handed to `verify`, read.
struct GivenFiles {
    pdf: Option<Vec<u8>>,
    csv: Option<Vec<u8>>,
    history: Option<Vec<u8>>,
    remediation: Option<Vec<u8>>,
    json: Option<Vec<u8>>,
}

impl GivenFiles {
    fn read(paths: &EvidencePaths) -> Result<GivenFiles, AppError> {
        let beside = |suffix: &str| -> Result<Option<Vec<u8>>, AppError> {
            paths
                .csv
                .as_deref()
                .map(|p| sibling(p, suffix))
                .filter(|p| p.exists())
                .map(|p| read(&p))
                .transpose()
        };
        Ok(GivenFiles {
            pdf: paths.pdf.as_deref().map(read).transpose()?,
            csv: paths.csv.as_deref().map(read).transpose()?,
            history: beside("history")?,
            remediation: beside("remediation")?,
            json: paths.json.as_deref().map(read).transpose()?,
        })
    }

    /// Each file given, by the name the export record uses, with its SHA-256.
    fn hashes(&self) -> Vec<(&'static str, String)> {
        use sha2::Digest;
        [
            ("pdf", &self.pdf),
            ("decisions.csv", &self.csv),
            ("history.csv", &self.history),
            ("remediation.csv", &self.remediation),
            ("json", &self.json),
        ]
        .into_iter()
        .filter_map(|(name, bytes)| {
            bytes.as_ref().map(|b| (name, hex::encode(sha2::Sha256::digest(b))))
        })
        .collect()
    }

    fn count(&self) -> usize {
        [&self.pdf, &self.csv, &self.history, &self.remediation, &self.json]
            .iter()
            .filter(|f| f.is_some())
            .count()
    }

    fn exports(&self) -> Exports<'_> {
        Exports {
            pdf: self.pdf.as_deref(),
            decisions_csv: self.csv.as_deref(),
            history_csv: self.history.as_deref(),
            remediation_csv: self.remediation.as_deref(),
            json: self.json.as_deref(),
        }
    }
}
