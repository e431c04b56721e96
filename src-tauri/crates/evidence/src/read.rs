//! Reading a binder PDF back with nothing but the file: its attached files and its page
//! content streams, and the checks that need no database — the seal's signature, each
//! attachment against the seal, the JSON against the evidence hash and the CSVs' hashes, the
//! pages against the seal.

use std::collections::BTreeMap;
use std::io::Read;

use sha2::{Digest, Sha256};

use crate::EvidenceError;
use crate::model::Binder;
use crate::seal::Seal;
use crate::tables::{BINDER_JSON, SEAL_JSON};
use crate::verify::{ExportFile, Mismatch, PdfOptions, Signer, Sinks, write_all};

/// A binder PDF's parts.
#[derive(Clone, Debug, Default)]
pub struct BinderFile {
    /// Each attached file by name, inflated.
    pub attachments: BTreeMap<String, Vec<u8>>,
    /// The SHA-256 the seal signs for the pages, computed from the file.
    pub pages_sha256: String,
    pub pages: usize,
}

/// One check `check_binder` made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BinderCheck {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

fn inflate(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(bytes)
        .read_to_end(&mut out)
        .map_err(|e| format!("cannot inflate: {e}"))?;
    Ok(out)
}

/// Reads the attachments and the pages of a PDF.
pub fn read_binder(pdf: &[u8]) -> Result<BinderFile, String> {
    use lopdf::Object;
    let doc = lopdf::Document::load_mem(pdf).map_err(|e| format!("not a readable PDF: {e}"))?;
    let mut out = BinderFile::default();
    let root = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .and_then(|r| doc.get_dictionary(r))
        .map_err(|e| format!("no catalog: {e}"))?;
    let names = root
        .get(b"Names")
        .and_then(|n| doc.dereference(n).map(|(_, o)| o))
        .and_then(Object::as_dict)
        .and_then(|n| n.get(b"EmbeddedFiles"))
        .and_then(|n| doc.dereference(n).map(|(_, o)| o))
        .and_then(Object::as_dict)
        .and_then(|n| n.get(b"Names"))
        .and_then(Object::as_array);
    if let Ok(names) = names {
        for pair in names.chunks(2) {
            let [name, spec] = pair else { continue };
            let name = name.as_str().map(|s| String::from_utf8_lossy(s).into_owned());
            let file = doc
                .dereference(spec)
                .and_then(|(_, o)| o.as_dict())
                .and_then(|d| d.get(b"EF"))
                .and_then(|ef| doc.dereference(ef).map(|(_, o)| o))
                .and_then(Object::as_dict)
                .and_then(|ef| ef.get(b"F"))
                .and_then(|f| doc.dereference(f).map(|(_, o)| o))
                .and_then(Object::as_stream);
            let (Ok(name), Ok(stream)) = (name, file) else { continue };
            let bytes = if stream.dict.get(b"Filter").is_ok() {
                inflate(&stream.content)?
            } else {
                stream.content.clone()
            };
            out.attachments.insert(name, bytes);
        }
    }
    let mut streams = Vec::new();
    for (_, page) in doc.get_pages() {
        let content = doc
            .get_dictionary(page)
            .and_then(|d| d.get(b"Contents"))
            .and_then(Object::as_reference)
            .and_then(|c| doc.get_object(c))
            .and_then(Object::as_stream)
            .map_err(|e| format!("a page has no content stream: {e}"))?;
        streams.push(content.content.clone());
    }
    out.pages = streams.len();
    out.pages_sha256 = crate::canvas::pages_sha256(streams.iter().map(Vec::as_slice));
    Ok(out)
}

/// Checks a binder with itself: the seal's signature, every attachment the seal lists (and no
/// other), the JSON against the evidence hash and the CSV hashes it carries, and the pages.
pub fn check_binder(file: &BinderFile) -> (Vec<BinderCheck>, Option<Seal>) {
    let mut checks = Vec::new();
    let mut check = |name, ok, detail: String| checks.push(BinderCheck { name, ok, detail });
    let seal: Option<Seal> =
        file.attachments.get(SEAL_JSON).and_then(|bytes| serde_json::from_slice(bytes).ok());
    let Some(seal) = seal else {
        check("seal", false, "the binder has no readable seal.json attached".into());
        return (checks, None);
    };
    match seal.check() {
        Ok(()) => check(
            "signature",
            true,
            format!("Ed25519 signature by key {} is valid", seal.fingerprint()),
        ),
        Err(e) => check("signature", false, format!("{e} (key {})", seal.fingerprint())),
    }
    for (name, expected) in &seal.attachments {
        match file.attachments.get(name) {
            Some(bytes) => {
                let found = hex::encode(Sha256::digest(bytes));
                if &found == expected {
                    check("attachment", true, format!("{name}: SHA-256 {found} as sealed"));
                } else {
                    check(
                        "attachment",
                        false,
                        format!("{name} was changed: SHA-256 {found}, the seal says {expected}"),
                    );
                }
            }
            None => check("attachment", false, format!("{name} is missing")),
        }
    }
    for name in file.attachments.keys() {
        if name != SEAL_JSON && !seal.attachments.contains_key(name) {
            check("attachment", false, format!("{name} is attached but not sealed"));
        }
    }
    match file.attachments.get(BINDER_JSON) {
        Some(json) => {
            let found = hex::encode(Sha256::digest(json));
            check(
                "evidence hash",
                found == seal.evidence_hash,
                format!("binder.json hashes to {found}; the seal says {}", seal.evidence_hash),
            );
            let doc: serde_json::Value = serde_json::from_slice(json).unwrap_or_default();
            for name in [crate::DECISIONS_CSV, crate::HISTORY_CSV, crate::REMEDIATION_CSV] {
                let carried = doc["exports"][name]["sha256"].as_str().unwrap_or_default();
                let found = file.attachments.get(name).map(|b| hex::encode(Sha256::digest(b)));
                check(
                    "CSV against the JSON",
                    found.as_deref() == Some(carried),
                    format!(
                        "{name}: binder.json carries {carried}, the attachment hashes to {}",
                        found.unwrap_or_else(|| "nothing (missing)".into())
                    ),
                );
            }
        }
        None => check("evidence hash", false, "binder.json is not attached".into()),
    }
    if file.pages_sha256 == seal.pages_sha256 {
        check(
            "pages",
            true,
            format!("{} pages hash to {} as sealed", file.pages, seal.pages_sha256),
        );
    } else {
        check(
            "pages",
            false,
            format!(
                "the pages were changed: their content hashes to {}, the seal says {}",
                file.pages_sha256, seal.pages_sha256
            ),
        );
    }
    (checks, Some(seal))
}

/// Checks a binder PDF drawn by another renderer version (today's layout would draw it
/// differently, so it is not rendered again) by its record instead: the checks of
/// `check_binder` (signature, pages and every attachment as sealed), and what the seal states
/// against what `binder` renders to now — the evidence hash, each attachment's SHA-256, the
/// campaign, the cut and the signing key. Empty means the PDF is the record's.
pub fn verify_pdf_record(
    binder: &Binder,
    pdf: &[u8],
    options: PdfOptions<'_>,
) -> Result<Vec<Mismatch>, EvidenceError> {
    let mismatch = |location: String, expected: String, found: String| Mismatch {
        file: ExportFile::Pdf,
        location,
        expected,
        found,
    };
    let file = match read_binder(pdf) {
        Ok(file) => file,
        Err(e) => return Ok(vec![mismatch(e, String::new(), String::new())]),
    };
    let (checks, seal) = check_binder(&file);
    let mut out: Vec<Mismatch> = checks
        .into_iter()
        .filter(|c| !c.ok)
        .map(|c| mismatch(format!("{}: {}", c.name, c.detail), String::new(), String::new()))
        .collect();
    let Some(seal) = seal else { return Ok(out) };

    // What the record renders to now: the CSVs and the JSON (hashed, not kept), the
    // exceptions register and the raw pages.
    let mut nowhere = [std::io::sink(), std::io::sink(), std::io::sink(), std::io::sink()];
    let [a, b, c, d] = &mut nowhere;
    let written = write_all(
        binder,
        Sinks {
            pdf: None,
            decisions_csv: Some(a),
            history_csv: Some(b),
            remediation_csv: Some(c),
            json: Some(d),
        },
    )?;
    let mut expected: BTreeMap<String, String> =
        written.files.iter().map(|f| (f.file.name().to_string(), f.sha256.clone())).collect();
    let register = crate::register::exceptions_csv(binder);
    expected.insert(crate::EXCEPTIONS_CSV.into(), hex::encode(Sha256::digest(&register)));
    for a in &options.attachments {
        expected.insert(a.name.clone(), a.sha256().to_string());
    }
    let mut stated = |what: &str, record: &str, sealed: &str| {
        if record != sealed {
            out.push(mismatch(
                format!("the seal's {what} differs from the record's"),
                record.to_string(),
                sealed.to_string(),
            ));
        }
    };
    stated("evidence hash", &written.evidence_hash, &seal.evidence_hash);
    stated("campaign", &binder.campaign.id, &seal.campaign_id);
    stated("generation time", &binder.generated_at, &seal.generated_at);
    stated("audit chain head", &binder.audit.head_hash, &seal.audit_head);
    stated("audit cut", &options.audit_seq.to_string(), &seal.audit_seq.to_string());
    if let Signer::Recorded { public_key, signature } = &options.signer {
        stated("signing key", public_key, &seal.public_key);
        stated("signature", signature, &seal.signature);
    }
    for (name, sha) in &expected {
        stated(&format!("SHA-256 of {name}"), sha, seal.attachments.get(name).map_or("", |s| s));
    }
    for name in seal.attachments.keys().filter(|n| !expected.contains_key(*n)) {
        out.push(mismatch(
            format!("{name} is sealed but not in the record"),
            String::new(),
            name.clone(),
        ));
    }
    Ok(out)
}
