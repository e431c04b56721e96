//! Writing the binder's files: the binder cut from a record that proves itself, rendered and
//! streamed to each file beside its final name, and the export recorded with its audit event.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use recert_domain::authority::Action;
use recert_evidence::model::Binder;
use recert_evidence::{Attachment, ExportFile, PdfOptions, Signer, Sinks, Written, write_all_with};
use recert_store::Store;
use recert_store::evidence::ExportRecord;

use super::{EvidenceExportDto, EvidencePaths, ExportedFileDto, build_binder, sibling, utc};
use crate::{App, AppError, ErrorCode};

/// An export file being written beside its final name and renamed into place once complete,
/// so a crash never leaves half a binder under the final name.
struct Partial {
    path: PathBuf,
    partial: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
}

impl Partial {
    fn create(path: PathBuf) -> Result<Partial, AppError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|err| {
                AppError::new(ErrorCode::Export, format!("cannot create {}: {err}", dir.display()))
            })?;
        }
        // `binder.pdf.partial`, not `binder.partial`: the PDF and the JSON are open together.
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(".partial");
        let partial = path.with_file_name(name);
        let file = std::fs::File::create(&partial).map_err(|err| {
            AppError::new(ErrorCode::Export, format!("cannot write {}: {err}", path.display()))
        })?;
        Ok(Partial { path, partial, out: std::io::BufWriter::with_capacity(1 << 16, file) })
    }

    fn finish(self) -> Result<PathBuf, AppError> {
        let Partial { path, partial, out } = self;
        out.into_inner()
            .map_err(|err| err.into_error())
            .and_then(|_| std::fs::rename(&partial, &path))
            .map_err(|err| {
                AppError::new(ErrorCode::Export, format!("cannot write {}: {err}", path.display()))
            })?;
        Ok(path)
    }
}

/// The binder cut for an export, with what the export record needs of the cut.
struct Cut {
    binder: Binder,
    audit_seq: i64,
    audit_head: Option<String>,
    actor: String,
    attachments: Vec<Attachment>,
}

impl App {
    /// Writes the binder's files and records the export (with its audit event).
    pub async fn evidence_export(
        &self,
        campaign_id: &str,
        paths: EvidencePaths,
    ) -> Result<EvidenceExportDto, AppError> {
        if paths.pdf.is_none() && paths.csv.is_none() && paths.json.is_none() {
            return Err(AppError::new(
                ErrorCode::Invalid,
                "name at least one file to write (PDF, CSV or JSON)",
            ));
        }
        let id = campaign_id.to_string();
        let now = self.now();
        let app = self.clone();
        // The binder is read from the store as of its audit cut; rendering and writing it (seconds
        // for a large campaign, longer on a slow disk) happen without the store, so the window and
        // the other use cases go on meanwhile.
        let cut = self.with_store(move |store| app.cut(store, &id, now)).await?;
        let Cut { binder, audit_seq, audit_head, actor, attachments } = cut;
        let app = self.clone();
        let rendered = tokio::task::spawn_blocking(move || {
            let key = if paths.pdf.is_some() { Some(app.signing_key()?) } else { None };
            let options = PdfOptions {
                attachments,
                signer: key.as_ref().map_or(Signer::None, Signer::Key),
                audit_seq,
            };
            let (written, files) = write_files(&binder, paths, options)?;
            Ok::<_, AppError>((binder, written, files))
        })
        .await
        .map_err(|err| {
            AppError::new(ErrorCode::Export, format!("rendering the binder failed: {err}"))
        })?;
        let (binder, written, files) = rendered?;
        let id = campaign_id.to_string();
        self.with_store(move |store| {
            let record = ExportRecord {
                id: 0,
                campaign_id: id.clone(),
                generated_at: now,
                actor,
                audit_seq,
                evidence_hash: written.evidence_hash.clone(),
                files: serde_json::to_string(
                    &files
                        .iter()
                        .map(|f| (f.name.clone(), f.sha256.clone()))
                        .collect::<BTreeMap<_, _>>(),
                )
                .unwrap_or_default(),
                audit_head,
                signature: written.seal.as_ref().map(|s| s.signature.clone()),
                signing_key: written.seal.as_ref().map(|s| s.public_key.clone()),
                generator: Some(binder.generator.clone()),
                renderer: written
                    .files
                    .iter()
                    .any(|f| f.file == ExportFile::Pdf)
                    .then(|| recert_evidence::RENDERER.to_string()),
            };
            store.record_export(&record)?;
            Ok(EvidenceExportDto {
                campaign_id: id,
                generated_at: utc(now),
                evidence_hash: written.evidence_hash,
                items: binder.items.len() as u32,
                files,
                audit_head: record.audit_head.clone().unwrap_or_default(),
                signing_key: written.seal.as_ref().map(|s| s.fingerprint()),
            })
        })
        .await
    }

    /// The binder as of the audit head, for the person allowed to export it. Evidence is only
    /// made from a record that proves itself: an intact chain, and tables that replay from it.
    fn cut(&self, store: &Store, id: &str, now: DateTime<Utc>) -> Result<Cut, AppError> {
        let tenant = crate::campaigns::tenant_of(&store.campaign(id)?)?;
        let actor = self.authorize(store, &tenant, Action::Export)?.label;
        if let Err(b) = store.verify_chain()? {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!(
                    "the audit chain is broken at event {} ({}): no binder is exported from an \
                     altered record",
                    b.seq, b.problem
                ),
            ));
        }
        let events = store.audit_events(None)?;
        let altered: Vec<String> = crate::record::replay(store, id, &events)?
            .iter()
            .filter(|c| !c.ok())
            .map(|c| format!("{}: {}", c.area, c.detail()))
            .collect();
        if !altered.is_empty() {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!(
                    "the database was modified outside Recert, so no binder is exported from it; \
                     run verify for details. {}",
                    altered.join(" | ")
                ),
            ));
        }
        let audit_seq = store.audit_head_seq()?;
        let audit_head = events.iter().find(|e| e.seq == audit_seq).map(|e| e.hash.clone());
        let attachments = population_attachments(store, id)?;
        let binder = build_binder(store, id, now, audit_seq)?;
        Ok(Cut { binder, audit_seq, audit_head, actor, attachments })
    }
}

/// Renders the binder into the files named, each streamed as it is rendered and hashed on the
/// way, not held in memory; a failure leaves none of them behind.
fn write_files(
    binder: &Binder,
    paths: EvidencePaths,
    options: PdfOptions<'_>,
) -> Result<(Written, Vec<ExportedFileDto>), AppError> {
    let mut targets: Vec<(&str, ExportFile, PathBuf)> = Vec::new();
    if let Some(pdf) = paths.pdf {
        targets.push(("pdf", ExportFile::Pdf, pdf));
    }
    if let Some(csv) = paths.csv {
        targets.push(("history.csv", ExportFile::HistoryCsv, sibling(&csv, "history")));
        let remediation = sibling(&csv, "remediation");
        targets.push(("remediation.csv", ExportFile::RemediationCsv, remediation));
        targets.push(("decisions.csv", ExportFile::DecisionsCsv, csv));
    }
    if let Some(json) = paths.json {
        targets.push(("json", ExportFile::Json, json));
    }
    let mut open = Vec::new();
    for (name, file, path) in targets {
        open.push((name, file, Partial::create(path)?));
    }
    let mut sinks = Sinks::default();
    for (_, file, partial) in &mut open {
        let out: &mut dyn std::io::Write = &mut partial.out;
        match file {
            ExportFile::Pdf => sinks.pdf = Some(out),
            ExportFile::DecisionsCsv => sinks.decisions_csv = Some(out),
            ExportFile::HistoryCsv => sinks.history_csv = Some(out),
            ExportFile::RemediationCsv => sinks.remediation_csv = Some(out),
            ExportFile::Json => sinks.json = Some(out),
        }
    }
    let written = match write_all_with(binder, sinks, options) {
        Ok(written) => written,
        Err(err) => {
            for (_, _, partial) in open {
                let _ = std::fs::remove_file(&partial.partial);
            }
            return Err(err.into());
        }
    };
    let mut files = Vec::new();
    for (name, file, partial) in open {
        let path = partial.finish()?;
        let sha256 = written
            .files
            .iter()
            .find(|f| f.file == file)
            .map(|f| f.sha256.clone())
            .unwrap_or_default();
        files.push(ExportedFileDto { name: name.into(), path: path.display().to_string(), sha256 });
    }
    Ok((written, files))
}

/// The sealed raw population pages as attachments: one JSON object per line, each page's
/// request and body exactly as sealed (text, or hex where a body is not UTF-8), and an index
/// of the lines with each page's SHA-256. Each page is read, written on deflated and dropped,
/// so a large campaign's pages are never all in memory.
pub(super) fn population_attachments(
    store: &Store,
    campaign_id: &str,
) -> Result<Vec<Attachment>, AppError> {
    use sha2::Digest;
    use std::io::Write;
    let mut lines = Attachment::writer(
        recert_evidence::POPULATION_PAGES,
        "application/x-ndjson",
        "Every raw response page sealed when the campaign opened, one per line, with the \
         request that produced it",
    );
    let mut index = Attachment::writer(
        recert_evidence::POPULATION_INDEX,
        "text/csv",
        "The index of the raw pages: line, request, size and SHA-256 of each",
    );
    let text = |bytes: &[u8], key: &str| -> (String, serde_json::Value) {
        match std::str::from_utf8(bytes) {
            Ok(s) => (key.to_string(), serde_json::Value::String(s.to_string())),
            Err(_) => (format!("{key}Hex"), serde_json::Value::String(hex::encode(bytes))),
        }
    };
    let mut n = 0usize;
    let mut failed: Option<std::io::Error> = None;
    store.each_snapshot_page(campaign_id, |p| {
        if n == 0 {
            let _ = index.write_all(b"page,line,method,url,bytes,sha256\r\n");
        }
        n += 1;
        let mut line = serde_json::Map::new();
        line.insert("page".into(), n.into());
        line.insert("method".into(), p.method.clone().into());
        line.insert("url".into(), p.url.clone().into());
        match &p.request_body {
            Some(body) => {
                let (k, v) = text(body, "requestBody");
                line.insert(k, v);
            }
            None => {
                line.insert("requestBody".into(), serde_json::Value::Null);
            }
        }
        let (k, v) = text(&p.body, "body");
        line.insert(k, v);
        let written = serde_json::to_writer(&mut lines, &line)
            .map_err(std::io::Error::from)
            .and_then(|()| lines.write_all(b"\n"))
            .and_then(|()| {
                write!(
                    index,
                    "{n},{n},{},\"{}\",{},{}\r\n",
                    p.method,
                    p.url.replace('"', "\"\""),
                    p.body.len(),
                    hex::encode(sha2::Sha256::digest(&p.body))
                )
            });
        if let Err(e) = written {
            failed.get_or_insert(e);
        }
    })?;
    if let Some(e) = failed {
        return Err(AppError::new(ErrorCode::Export, format!("cannot write the raw pages: {e}")));
    }
    if n == 0 {
        return Ok(Vec::new());
    }
    Ok(vec![lines.finish(), index.finish()])
}
