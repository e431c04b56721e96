//! Rendering every export at once, and checking exports handed back later: each is rendered
//! again from the Binder and compared byte for byte, and a difference is located as precisely as
//! the format allows (CSV line and column, JSON path, PDF page and text line).
//!
//! This compares renderings only. Whether the Binder itself still matches the database and the
//! audit chain is the app's check.

use std::fmt;
use std::io::Write;

use std::collections::BTreeMap;
use std::sync::Mutex;

use sha2::Digest;

use crate::EvidenceError;
use crate::binder::{Closing, binder_document};
use crate::canvas::Embedded;
use crate::model::Binder;
use crate::seal::{SEAL_FORMAT, Seal, SigningKey};
use crate::tables::{
    BINDER_JSON, BINDER_PDF, DECISIONS_CSV, HISTORY_CSV, Hashing, REMEDIATION_CSV, SEAL_JSON,
    write_binder_json, write_decisions_csv, write_history_csv, write_remediation_csv,
};

/// Every export of one Binder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub pdf: Vec<u8>,
    pub decisions_csv: Vec<u8>,
    pub history_csv: Vec<u8>,
    pub remediation_csv: Vec<u8>,
    pub json: Vec<u8>,
    /// SHA-256 (hex) of `json`, printed on the PDF.
    pub evidence_hash: String,
}

impl Rendered {
    /// The exports with the file names the JSON and the reports use.
    pub fn files(&self) -> [(&'static str, &[u8]); 5] {
        [
            (BINDER_PDF, &self.pdf),
            (DECISIONS_CSV, &self.decisions_csv),
            (HISTORY_CSV, &self.history_csv),
            (REMEDIATION_CSV, &self.remediation_csv),
            (BINDER_JSON, &self.json),
        ]
    }
}

/// Renders every export into memory. A large campaign's exports are hundreds of megabytes
/// together: to write files, `write_all` streams each one instead.
pub fn render_all(binder: &Binder) -> Result<Rendered, EvidenceError> {
    let (mut pdf, mut decisions, mut history, mut remediation, mut json) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let written = write_all(
        binder,
        Sinks {
            pdf: Some(&mut pdf),
            decisions_csv: Some(&mut decisions),
            history_csv: Some(&mut history),
            remediation_csv: Some(&mut remediation),
            json: Some(&mut json),
        },
    )?;
    Ok(Rendered {
        pdf,
        decisions_csv: decisions,
        history_csv: history,
        remediation_csv: remediation,
        json,
        evidence_hash: written.evidence_hash,
    })
}

/// Where `write_all` writes each export. An export left out is still computed where another
/// depends on it (the CSVs' and the JSON's hashes), but never held in memory.
#[derive(Default)]
pub struct Sinks<'a> {
    pub pdf: Option<&'a mut dyn Write>,
    pub decisions_csv: Option<&'a mut dyn Write>,
    pub history_csv: Option<&'a mut dyn Write>,
    pub remediation_csv: Option<&'a mut dyn Write>,
    pub json: Option<&'a mut dyn Write>,
}

/// One export `write_all` wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenFile {
    pub file: ExportFile,
    /// SHA-256 (lower-case hex) of the bytes written.
    pub sha256: String,
    pub bytes: u64,
}

/// What `write_all` wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// SHA-256 (hex) of the JSON export, printed on the PDF.
    pub evidence_hash: String,
    /// The exports written, in the order written: the CSVs, the JSON, the PDF.
    pub files: Vec<WrittenFile>,
    /// The seal attached to the PDF, when one was signed.
    pub seal: Option<Seal>,
}

/// How the PDF is sealed.
#[derive(Default)]
pub enum Signer<'a> {
    /// Not sealed (previews, tests of the layout).
    #[default]
    None,
    /// Signed now with this key.
    Key(&'a SigningKey),
    /// The seal an export recorded: its public key and signature, put back as they were so
    /// the PDF renders again byte for byte.
    Recorded { public_key: String, signature: String },
}

/// What goes into the PDF besides its pages.
#[derive(Default)]
pub struct PdfOptions<'a> {
    /// Files attached besides the CSVs and the JSON (the raw population pages and their index).
    pub attachments: Vec<Attachment>,
    pub signer: Signer<'a>,
    /// The audit chain's last event in the binder, for the seal.
    pub audit_seq: i64,
}

/// A file to attach to the PDF, deflated as it was written: a large campaign's raw population
/// pages (tens of megabytes) are never held whole, only their deflated stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    pub name: String,
    /// e.g. `application/x-ndjson`.
    pub mime: &'static str,
    pub description: String,
    deflated: Vec<u8>,
    size: u64,
    sha256: String,
}

impl Attachment {
    /// An attachment of `bytes`.
    pub fn new(name: &str, mime: &'static str, description: &str, bytes: &[u8]) -> Attachment {
        let mut writer = Attachment::writer(name, mime, description);
        // Writing into memory cannot fail.
        let _ = writer.write_all(bytes);
        writer.finish()
    }

    /// An attachment written piece by piece (`Write`), each piece deflated and hashed as it
    /// comes; `AttachmentWriter::finish` gives the attachment.
    pub fn writer(name: &str, mime: &'static str, description: &str) -> AttachmentWriter {
        AttachmentWriter {
            name: name.to_string(),
            mime,
            description: description.to_string(),
            // The pieces may be small (a JSON writer's): deflate them in blocks.
            out: std::io::BufWriter::with_capacity(
                1 << 16,
                Hashing::new(crate::canvas::deflater()),
            ),
        }
    }

    /// The file's length in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The file's SHA-256 (lower-case hex), as the seal lists it.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }
}

/// Writes an [`Attachment`] piece by piece.
pub struct AttachmentWriter {
    name: String,
    mime: &'static str,
    description: String,
    out: std::io::BufWriter<Hashing<flate2::write::ZlibEncoder<Vec<u8>>>>,
}

impl Write for AttachmentWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl AttachmentWriter {
    pub fn finish(self) -> Attachment {
        let AttachmentWriter { name, mime, description, out } = self;
        // Writing into memory cannot fail, so neither can the buffer's last flush.
        let hashing = out.into_inner().unwrap_or_else(|e| e.into_inner().into_parts().0);
        let (encoder, sha256, size) = hashing.into_parts();
        // Deflating into memory cannot fail.
        let deflated = encoder.finish().unwrap_or_default();
        Attachment { name, mime, description, deflated, size, sha256 }
    }
}

/// A writer that passes bytes on and keeps a deflated copy for the PDF's attachment.
struct Teeing<'a> {
    sink: &'a mut dyn Write,
    copy: Option<flate2::write::ZlibEncoder<Vec<u8>>>,
}

impl Write for Teeing<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.sink.write(buf)?;
        if let Some(copy) = self.copy.as_mut() {
            copy.write_all(&buf[..n])?;
        }
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.sink.flush()
    }
}

/// Writes every export that has a sink, one after another, each hashed as it is written and
/// none kept: the CSVs, then the JSON (which carries their hashes), then the PDF (which
/// carries the JSON's hash). Sinks are not flushed beyond what was written to them.
pub fn write_all(binder: &Binder, sinks: Sinks<'_>) -> Result<Written, EvidenceError> {
    write_all_with(binder, sinks, PdfOptions::default())
}

/// `write_all`, the PDF with the CSVs, the JSON and `options.attachments` attached and sealed
/// as `options.signer` says. The PDF's pages are laid out on a thread of their own while the
/// CSVs and the JSON are written here: the cover waits for the JSON's hash, nothing else does.
pub fn write_all_with(
    binder: &Binder,
    sinks: Sinks<'_>,
    options: PdfOptions<'_>,
) -> Result<Written, EvidenceError> {
    let Sinks { pdf, decisions_csv, history_csv, remediation_csv, json } = sinks;
    let data = [decisions_csv, history_csv, remediation_csv, json];
    let Some(sink) = pdf else {
        let data = write_data(binder, data, false)?;
        return Ok(Written { evidence_hash: data.evidence_hash, files: data.files, seal: None });
    };
    let PdfOptions { attachments, signer, audit_seq } = options;
    let made: Mutex<Option<Seal>> = Mutex::new(None);
    let (tx, rx) = std::sync::mpsc::channel::<Closing<'_>>();
    let (data, document) = std::thread::scope(|scope| {
        let layout = scope.spawn(move || {
            binder_document(binder, move || {
                rx.recv()
                    .map_err(|_| EvidenceError::Write("the other exports were not written".into()))
            })
        });
        let pdf = PdfParts { attachments, signer: &signer, audit_seq };
        let data = write_data_for_pdf(binder, data, pdf, &made, tx);
        let document = layout
            .join()
            .unwrap_or_else(|_| Err(EvidenceError::Write("the binder's layout stopped".into())));
        (data, document)
    });
    // An export that failed to write is the cause; the layout then only lacked its hash.
    let mut files = data?;
    let mut document = document?;
    let mut out = Hashing::new(sink);
    crate::canvas::write_pdf(&mut document, &mut out)
        .map_err(|e| EvidenceError::Io { file: ExportFile::Pdf.name(), message: e.to_string() })?;
    let (sha256, bytes) = out.finish();
    files.files.push(WrittenFile { file: ExportFile::Pdf, sha256, bytes });
    let seal = made.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    Ok(Written { evidence_hash: files.evidence_hash, files: files.files, seal })
}

/// What `write_data` wrote: the evidence hash, the files written to a sink, and (for the PDF)
/// each export deflated with its SHA-256.
struct DataWritten {
    evidence_hash: String,
    files: Vec<WrittenFile>,
    embedded: Vec<Embedded>,
    digests: BTreeMap<String, String>,
}

/// Writes the CSVs, then the JSON (which carries their hashes), each hashed as it is written
/// and none kept; with `attach`, a deflated copy of each is kept for the PDF.
fn write_data(
    binder: &Binder,
    sinks: [Option<&mut dyn Write>; 4],
    attach: bool,
) -> Result<DataWritten, EvidenceError> {
    let mut files = Vec::new();
    let mut embedded: Vec<Embedded> = Vec::new();
    let mut digests: BTreeMap<String, String> = BTreeMap::new();
    let mut one = |file: ExportFile,
                   sink: Option<&mut dyn Write>,
                   write: &dyn Fn(&mut dyn Write) -> std::io::Result<()>|
     -> Result<String, EvidenceError> {
        let given = sink.is_some();
        let mut nowhere = std::io::sink();
        let mut tee = Teeing {
            sink: sink.unwrap_or(&mut nowhere),
            copy: attach
                .then(|| flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast())),
        };
        let mut out = Hashing::new(&mut tee);
        write(&mut out)
            .map_err(|e| EvidenceError::Io { file: file.name(), message: e.to_string() })?;
        let (sha256, bytes) = out.finish();
        if let Some(copy) = tee.copy.take() {
            let deflated = copy
                .finish()
                .map_err(|e| EvidenceError::Io { file: file.name(), message: e.to_string() })?;
            embedded.push(Embedded {
                name: file.name().to_string(),
                mime: file.mime(),
                description: file.description().to_string(),
                relationship: "Data",
                deflated,
                size: bytes,
            });
            digests.insert(file.name().to_string(), sha256.clone());
        }
        if given {
            files.push(WrittenFile { file, sha256: sha256.clone(), bytes });
        }
        Ok(sha256)
    };
    let [decisions, history, remediation, json] = sinks;
    let csvs = [
        one(ExportFile::DecisionsCsv, decisions, &|out| write_decisions_csv(binder, out))?,
        one(ExportFile::HistoryCsv, history, &|out| write_history_csv(binder, out))?,
        one(ExportFile::RemediationCsv, remediation, &|out| write_remediation_csv(binder, out))?,
    ];
    let evidence_hash =
        one(ExportFile::Json, json, &|out| write_binder_json(binder, csvs.clone(), out))?;
    Ok(DataWritten { evidence_hash, files, embedded, digests })
}

/// `PdfOptions` taken apart: the attachments are moved into the PDF, the signer lent.
struct PdfParts<'a, 'k> {
    attachments: Vec<Attachment>,
    signer: &'a Signer<'k>,
    audit_seq: i64,
}

/// `write_data` for a binder being laid out: then the exceptions register and the other
/// attachments are deflated, and all of it is sent to the layout with the means to seal it.
fn write_data_for_pdf<'a>(
    binder: &Binder,
    sinks: [Option<&mut dyn Write>; 4],
    options: PdfParts<'a, '_>,
    made: &'a Mutex<Option<Seal>>,
    layout: std::sync::mpsc::Sender<Closing<'a>>,
) -> Result<DataWritten, EvidenceError> {
    let mut data = write_data(binder, sinks, true)?;
    // The exceptions register rides in the PDF only: its rows are in the JSON already.
    let register = crate::register::exceptions_csv(binder);
    data.digests.insert(
        crate::register::EXCEPTIONS_CSV.into(),
        hex::encode(sha2::Sha256::digest(&register)),
    );
    data.embedded.push(Embedded {
        name: crate::register::EXCEPTIONS_CSV.into(),
        mime: "text/csv",
        description: "The exceptions register: each exception with its owner, reason, expiry and \
                      compensating control"
            .into(),
        relationship: "Data",
        deflated: crate::canvas::deflate(&register),
        size: register.len() as u64,
    });
    let PdfParts { attachments, signer, audit_seq } = options;
    for a in attachments {
        data.digests.insert(a.name.clone(), a.sha256);
        data.embedded.push(Embedded {
            name: a.name,
            mime: a.mime,
            description: a.description,
            relationship: "Source",
            deflated: a.deflated,
            size: a.size,
        });
    }
    let seal = Seal {
        format: SEAL_FORMAT.into(),
        campaign_id: binder.campaign.id.clone(),
        generated_at: binder.generated_at.clone(),
        evidence_hash: data.evidence_hash.clone(),
        audit_seq,
        audit_head: binder.audit.head_hash.clone(),
        attachments: std::mem::take(&mut data.digests),
        ..Seal::default()
    };
    let public_key = match signer {
        Signer::None => None,
        Signer::Key(key) => Some(key.public_key()),
        Signer::Recorded { public_key, .. } => Some(public_key.clone()),
    };
    let sealing = move |pages_sha256: &str| -> Option<Embedded> {
        let mut seal = Seal { pages_sha256: pages_sha256.to_string(), ..seal };
        match signer {
            Signer::None => return None,
            Signer::Key(key) => key.sign(&mut seal),
            Signer::Recorded { public_key, signature } => {
                seal.public_key = public_key.clone();
                seal.signature = signature.clone();
            }
        }
        let json = serde_json::to_vec_pretty(&seal).unwrap_or_default();
        *made.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(seal);
        Some(Embedded {
            name: SEAL_JSON.into(),
            mime: "application/json",
            description: "The seal: what this export states about itself, signed with Ed25519 by \
                          the installation that exported it"
                .into(),
            relationship: "Supplement",
            deflated: crate::canvas::deflate(&json),
            size: json.len() as u64,
        })
    };
    // A layout that has stopped reports why itself.
    let _ = layout.send(Closing {
        hash: data.evidence_hash.clone(),
        public_key,
        embedded: std::mem::take(&mut data.embedded),
        seal: Box::new(sealing),
    });
    Ok(data)
}

/// The exports to check; leave out what you do not have.
#[derive(Clone, Copy, Debug, Default)]
pub struct Exports<'a> {
    pub pdf: Option<&'a [u8]>,
    pub decisions_csv: Option<&'a [u8]>,
    pub history_csv: Option<&'a [u8]>,
    pub remediation_csv: Option<&'a [u8]>,
    pub json: Option<&'a [u8]>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFile {
    Pdf,
    DecisionsCsv,
    HistoryCsv,
    RemediationCsv,
    Json,
}

impl ExportFile {
    fn mime(self) -> &'static str {
        match self {
            ExportFile::Pdf => "application/pdf",
            ExportFile::Json => "application/json",
            _ => "text/csv",
        }
    }

    fn description(self) -> &'static str {
        match self {
            ExportFile::Pdf => "The binder",
            ExportFile::DecisionsCsv => "Every review item with the decision that stands, in full",
            ExportFile::HistoryCsv => "Every decision recorded, including those later replaced",
            ExportFile::RemediationCsv => "Every removal, its request id and its verifications",
            ExportFile::Json => {
                "Everything in this binder as JSON; its SHA-256 is the evidence hash"
            }
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ExportFile::Pdf => BINDER_PDF,
            ExportFile::DecisionsCsv => DECISIONS_CSV,
            ExportFile::HistoryCsv => HISTORY_CSV,
            ExportFile::RemediationCsv => REMEDIATION_CSV,
            ExportFile::Json => BINDER_JSON,
        }
    }
}

/// One export that differs from its re-rendering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    pub file: ExportFile,
    /// Where: `line 4, column principal_name`, `binder.items[3].decision.verdict`,
    /// `page 5 of 12, text line 7`, or a byte offset when nothing finer can be said.
    pub location: String,
    /// What the re-rendering has there, and what the file has (shortened for display).
    pub expected: String,
    pub found: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} differs at {}", self.file.name(), self.location)?;
        if !self.expected.is_empty() || !self.found.is_empty() {
            write!(f, ": expected {:?}, found {:?}", self.expected, self.found)?;
        }
        Ok(())
    }
}

/// Re-renders `binder` and reports every given export that differs; empty means all match.
pub fn verify_exports(
    binder: &Binder,
    exports: &Exports<'_>,
) -> Result<Vec<Mismatch>, EvidenceError> {
    verify_exports_with(binder, exports, PdfOptions::default())
}

/// `verify_exports`, the PDF rendered again with the attachments and seal it was written with.
pub fn verify_exports_with(
    binder: &Binder,
    exports: &Exports<'_>,
    options: PdfOptions<'_>,
) -> Result<Vec<Mismatch>, EvidenceError> {
    // Only what was handed in is rendered again into memory.
    let (mut pdf, mut decisions, mut history, mut remediation, mut json) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    write_all_with(
        binder,
        Sinks {
            pdf: wanted(exports.pdf, &mut pdf),
            decisions_csv: wanted(exports.decisions_csv, &mut decisions),
            history_csv: wanted(exports.history_csv, &mut history),
            remediation_csv: wanted(exports.remediation_csv, &mut remediation),
            json: wanted(exports.json, &mut json),
        },
        options,
    )?;
    let mut out = Vec::new();
    let csvs = [
        (ExportFile::DecisionsCsv, exports.decisions_csv, &decisions),
        (ExportFile::HistoryCsv, exports.history_csv, &history),
        (ExportFile::RemediationCsv, exports.remediation_csv, &remediation),
    ];
    for (file, given, expected) in csvs {
        if let Some(found) = given {
            out.extend(diff_csv(file, expected, found));
        }
    }
    if let Some(found) = exports.json {
        out.extend(diff_json(&json, found));
    }
    if let Some(found) = exports.pdf {
        out.extend(diff_pdf(&pdf, found));
    }
    Ok(out)
}

/// A sink for an export that was handed in, none for one that was not.
fn wanted<'a>(given: Option<&[u8]>, buf: &'a mut Vec<u8>) -> Option<&'a mut dyn Write> {
    given.map(|_| buf as &mut dyn Write)
}

// ---- helpers ----------------------------------------------------------------------------------

/// Text shortened for a report line.
fn shorten(s: &str) -> String {
    const MAX: usize = 160;
    if s.chars().count() <= MAX {
        return s.to_string();
    }
    let mut out: String = s.chars().take(MAX).collect();
    out.push('…');
    out
}

fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()))
}

/// 1-based line of byte `at`.
fn line_of(bytes: &[u8], at: usize) -> usize {
    bytes[..at.min(bytes.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

fn line_at(bytes: &[u8], line: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    shorten(text.lines().nth(line.saturating_sub(1)).unwrap_or(""))
}

/// The bytes differ but nothing finer was found: say where, by line.
fn by_line(file: ExportFile, expected: &[u8], found: &[u8]) -> Mismatch {
    let at = first_difference(expected, found);
    let line = line_of(found, at);
    Mismatch {
        file,
        location: format!("line {line} (byte {at})"),
        expected: line_at(expected, line),
        found: line_at(found, line),
    }
}

// ---- CSV --------------------------------------------------------------------------------------

/// A CSV record's cells, with the line it starts on.
type Record = (u64, Vec<String>);

/// Records with the line each starts on; `Err` carries the line where parsing failed.
fn csv_records(bytes: &[u8]) -> Result<Vec<Record>, (u64, String)> {
    let body = bytes.strip_prefix("\u{FEFF}".as_bytes()).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(body);
    let mut out = Vec::new();
    let mut record = csv::ByteRecord::new();
    // Lines are counted from byte offsets: a quoted cell may span lines, and the file's own
    // line numbers (BOM included) are what a reader sees in an editor.
    // The csv crate's record offsets point at the previous record's line end; skip it.
    let line_of_byte = |byte: u64| {
        let mut at = byte as usize;
        while matches!(body.get(at), Some(b'\r' | b'\n')) {
            at += 1;
        }
        line_of(body, at) as u64
    };
    loop {
        let line = line_of_byte(reader.position().byte());
        match reader.read_byte_record(&mut record) {
            Ok(false) => return Ok(out),
            Ok(true) => {
                let line = record.position().map_or(line, |p| line_of_byte(p.byte()));
                let cells = record.iter().map(|c| String::from_utf8_lossy(c).into_owned());
                out.push((line, cells.collect()));
            }
            Err(e) => {
                let line = e.position().map_or(line, |p| line_of_byte(p.byte()));
                return Err((line, e.to_string()));
            }
        }
    }
}

fn diff_csv(file: ExportFile, expected: &[u8], found: &[u8]) -> Option<Mismatch> {
    if expected == found {
        return None;
    }
    let exp = match csv_records(expected) {
        Ok(r) => r,
        Err(_) => return Some(by_line(file, expected, found)),
    };
    let got = match csv_records(found) {
        Ok(r) => r,
        Err((line, message)) => {
            return Some(Mismatch {
                file,
                location: format!("line {line}: not valid CSV ({message})"),
                expected: String::new(),
                found: String::new(),
            });
        }
    };
    let header = exp.first().map(|(_, h)| h.clone()).unwrap_or_default();
    for (i, (e, g)) in exp.iter().zip(&got).enumerate() {
        if e.1 == g.1 {
            continue;
        }
        let column = (0..e.1.len().max(g.1.len())).find(|&j| e.1.get(j) != g.1.get(j)).unwrap_or(0);
        let name = header.get(column).cloned().unwrap_or_else(|| format!("#{}", column + 1));
        let what = if i == 0 { "header" } else { "row" };
        return Some(Mismatch {
            file,
            location: format!("line {} ({what} {}), column {name}", g.0, i),
            expected: shorten(e.1.get(column).map_or("(no cell)", String::as_str)),
            found: shorten(g.1.get(column).map_or("(no cell)", String::as_str)),
        });
    }
    if exp.len() != got.len() {
        let n = exp.len().min(got.len());
        let (location, expected, found) = if got.len() < exp.len() {
            (format!("line {}: the file ends early", exp[n].0), exp[n].1.join(","), String::new())
        } else {
            (format!("line {}: an extra row", got[n].0), String::new(), got[n].1.join(","))
        };
        return Some(Mismatch {
            file,
            location,
            expected: shorten(&expected),
            found: shorten(&found),
        });
    }
    // Same cells, different bytes: quoting, line ends or the byte-order mark.
    Some(by_line(file, expected, found))
}

// ---- JSON -------------------------------------------------------------------------------------

fn diff_json(expected: &[u8], found: &[u8]) -> Option<Mismatch> {
    let file = ExportFile::Json;
    if expected == found {
        return None;
    }
    let got: serde_json::Value = match serde_json::from_slice(found) {
        Ok(v) => v,
        Err(e) => {
            return Some(Mismatch {
                file,
                location: format!("line {}, column {}: not valid JSON ({e})", e.line(), e.column()),
                expected: String::new(),
                found: String::new(),
            });
        }
    };
    let Ok(exp) = serde_json::from_slice::<serde_json::Value>(expected) else {
        return Some(by_line(file, expected, found));
    };
    match first_json_difference(String::new(), &exp, &got) {
        Some((path, e, g)) => Some(Mismatch { file, location: path, expected: e, found: g }),
        // Same values, different bytes: whitespace or key order was changed.
        None => Some(by_line(file, expected, found)),
    }
}

fn compact(v: Option<&serde_json::Value>) -> String {
    v.map_or("(absent)".into(), |v| shorten(&v.to_string()))
}

fn first_json_difference(
    path: String,
    exp: &serde_json::Value,
    got: &serde_json::Value,
) -> Option<(String, String, String)> {
    use serde_json::Value;
    if exp == got {
        return None;
    }
    let at = |path: &str| if path.is_empty() { "(document)".to_string() } else { path.to_string() };
    match (exp, got) {
        (Value::Object(e), Value::Object(g)) => {
            for (k, ev) in e {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                match g.get(k) {
                    Some(gv) => {
                        if let Some(d) = first_json_difference(p, ev, gv) {
                            return Some(d);
                        }
                    }
                    None => return Some((p, compact(Some(ev)), "(absent)".into())),
                }
            }
            let extra = g.keys().find(|k| !e.contains_key(*k))?;
            let p = if path.is_empty() { extra.clone() } else { format!("{path}.{extra}") };
            Some((p, "(absent)".into(), compact(g.get(extra))))
        }
        (Value::Array(e), Value::Array(g)) => {
            for i in 0..e.len().max(g.len()) {
                let p = format!("{path}[{i}]");
                match (e.get(i), g.get(i)) {
                    (Some(ev), Some(gv)) => {
                        if let Some(d) = first_json_difference(p, ev, gv) {
                            return Some(d);
                        }
                    }
                    (ev, gv) => return Some((p, compact(ev), compact(gv))),
                }
            }
            None
        }
        _ => Some((at(&path), compact(Some(exp)), compact(Some(got)))),
    }
}

// ---- PDF --------------------------------------------------------------------------------------

fn diff_pdf(expected: &[u8], found: &[u8]) -> Option<Mismatch> {
    let file = ExportFile::Pdf;
    if expected == found {
        return None;
    }
    let at = first_difference(expected, found);
    let bytes_only = |why: &str| Mismatch {
        file,
        location: format!("byte {at} ({why})"),
        expected: format!("{} bytes", expected.len()),
        found: format!("{} bytes", found.len()),
    };
    let (Ok(exp), Ok(got)) =
        (lopdf::Document::load_mem(expected), lopdf::Document::load_mem(found))
    else {
        return Some(bytes_only("the file no longer reads as a PDF"));
    };
    let (exp_pages, got_pages) = (exp.get_pages(), got.get_pages());
    if exp_pages.len() != got_pages.len() {
        return Some(Mismatch {
            file,
            location: "page count".into(),
            expected: exp_pages.len().to_string(),
            found: got_pages.len().to_string(),
        });
    }
    let total = exp_pages.len();
    for ((n, e), (_, g)) in exp_pages.iter().zip(&got_pages) {
        if exp.get_page_content(*e) == got.get_page_content(*g) {
            continue;
        }
        let location = format!("page {n} of {total}");
        let text = |doc: &lopdf::Document| doc.extract_text(&[*n]).unwrap_or_default();
        let (et, gt) = (text(&exp), text(&got));
        let (el, gl): (Vec<&str>, Vec<&str>) = (et.lines().collect(), gt.lines().collect());
        let line = (0..el.len().max(gl.len())).find(|&i| el.get(i) != gl.get(i));
        return Some(match line {
            Some(i) => Mismatch {
                file,
                location: format!("{location}, text line {}", i + 1),
                expected: shorten(el.get(i).copied().unwrap_or("")),
                found: shorten(gl.get(i).copied().unwrap_or("")),
            },
            None => Mismatch {
                file,
                location: format!("{location}: the drawing differs, the text is the same"),
                expected: String::new(),
                found: String::new(),
            },
        });
    }
    Some(bytes_only("outside the page content: fonts, metadata or file structure"))
}
