//! Reading a binder PDF back with nothing but the file: its attached files and its page
//! content streams, and the checks that need no database — the seal's signature, each
//! attachment against the seal, the JSON against the evidence hash and the CSVs' hashes, the
//! pages against the seal.

use std::collections::BTreeMap;
use std::io::Read;

use sha2::{Digest, Sha256};

use crate::seal::Seal;
use crate::tables::{BINDER_JSON, SEAL_JSON};

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
