//! A campaign's evidence as a screen shows it — where its files are kept and every export made —
//! and copies of it where the person chooses: the folder as it is, or one zip holding it, for
//! handing to an auditor. The files are copied byte for byte, so the hashes the binder and the
//! export record hold still match them.

use std::io::Write;
use std::path::{Path, PathBuf};

use recert_domain::authority::Action;
use serde::Serialize;
use ts_rs::TS;

use crate::campaigns::{rfc3339, tenant_of};
use crate::error::FieldErrorDto;
use crate::evidence::ExportedFileDto;
use crate::{App, AppError, ErrorCode};

/// Where a copy of the evidence went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SavedEvidenceDto {
    /// The folder or the zip written.
    pub path: String,
    /// How many files it holds.
    pub files: u32,
}

/// One export of the campaign's evidence, as its record has it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ExportRecordDto {
    pub generated_at: String,
    /// Who exported it (UPN, or the application).
    pub actor: String,
    pub evidence_hash: String,
    /// The audit chain's head the binder was cut at.
    pub audit_head: Option<String>,
    /// Whether the installation's key signed the PDF's seal.
    pub signed: bool,
    /// Each file with its path in the evidence folder (the latest export's files are there).
    pub files: Vec<ExportedFileDto>,
}

/// Where a campaign's evidence is kept and every export of it, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CampaignEvidenceDto {
    pub folder: String,
    /// Whether anything was exported into the folder yet.
    pub present: bool,
    pub exports: Vec<ExportRecordDto>,
}

/// Where an export's file `name` is in `folder`: the record names the binder and the JSON by
/// their format (`pdf`, `json`), the decisions CSV by its file name and the other CSVs by what
/// follows the decisions file's stem (`history.csv` for `decisions-history.csv`).
fn located(folder: &Path, name: &str) -> PathBuf {
    let exact = folder.join(name);
    if exact.exists() {
        return exact;
    }
    let suffix = format!("-{name}");
    std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            let file = p.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
            if name.contains('.') {
                file.ends_with(&suffix)
            } else {
                p.extension().is_some_and(|x| x.eq_ignore_ascii_case(name))
            }
        })
        .unwrap_or(exact)
}

/// The files under `dir`, with their paths relative to it, in a stable order.
fn files_under(dir: &Path) -> std::io::Result<Vec<(PathBuf, String)>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(relative) = path.strip_prefix(dir) {
                let name = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push((path.clone(), name));
            }
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

fn write_failed(what: &Path, err: impl std::fmt::Display) -> AppError {
    AppError::new(ErrorCode::Export, format!("cannot write {}: {err}", what.display()))
}

/// Copies `files` into `target` (a folder), keeping their relative paths.
fn copy_folder(files: &[(PathBuf, String)], target: &Path) -> Result<(), AppError> {
    for (from, name) in files {
        let to = target.join(name);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|err| write_failed(parent, err))?;
        }
        std::fs::copy(from, &to).map_err(|err| write_failed(&to, err))?;
    }
    Ok(())
}

/// Writes `files` into one zip at `target` (stored, not compressed), written beside and renamed
/// into place so a failed write never leaves half a zip under the final name.
fn write_zip(files: &[(PathBuf, String)], target: &Path) -> Result<(), AppError> {
    let partial = target.with_extension("zip.partial");
    let out = std::fs::File::create(&partial).map_err(|err| write_failed(&partial, err))?;
    let mut zip = zip::ZipWriter::new(out);
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (from, name) in files {
        let bytes = std::fs::read(from).map_err(|err| {
            AppError::new(ErrorCode::Export, format!("cannot read {}: {err}", from.display()))
        })?;
        zip.start_file(name.as_str(), options).map_err(|err| write_failed(&partial, err))?;
        zip.write_all(&bytes).map_err(|err| write_failed(&partial, err))?;
    }
    zip.finish().map_err(|err| write_failed(&partial, err))?;
    std::fs::rename(&partial, target).map_err(|err| write_failed(target, err))
}

impl App {
    /// The campaign's evidence folder `folder` and every export of the campaign, newest first.
    pub async fn campaign_evidence(
        &self,
        campaign_id: &str,
        folder: PathBuf,
    ) -> Result<CampaignEvidenceDto, AppError> {
        let id = campaign_id.to_string();
        let at = folder.clone();
        let exports = self
            .with_store(move |store| {
                store.campaign(&id)?;
                let mut out = Vec::new();
                for record in store.exports(&id)?.into_iter().rev() {
                    let files: std::collections::BTreeMap<String, String> =
                        serde_json::from_str(&record.files).unwrap_or_default();
                    out.push(ExportRecordDto {
                        generated_at: rfc3339(record.generated_at),
                        actor: record.actor,
                        evidence_hash: record.evidence_hash,
                        audit_head: record.audit_head,
                        signed: record.signature.is_some(),
                        files: files
                            .into_iter()
                            .map(|(name, sha256)| ExportedFileDto {
                                path: located(&at, &name).display().to_string(),
                                name,
                                sha256,
                            })
                            .collect(),
                    });
                }
                Ok(out)
            })
            .await?;
        Ok(CampaignEvidenceDto {
            present: files_under(&folder).is_ok_and(|f| !f.is_empty()),
            folder: folder.display().to_string(),
            exports,
        })
    }

    /// Saves a copy of the campaign's evidence folder `source` into the folder `destination` the
    /// person chose: as `<name>-evidence/` or, with `zip`, as `<name>-evidence.zip`. Anyone who
    /// may export the evidence may copy it.
    pub async fn evidence_save_copy(
        &self,
        campaign_id: &str,
        source: PathBuf,
        destination: PathBuf,
        zip: bool,
    ) -> Result<SavedEvidenceDto, AppError> {
        let id = campaign_id.to_string();
        let app = self.clone();
        let name = self
            .with_store(move |store| {
                let record = store.campaign(&id)?;
                app.authorize(store, &tenant_of(&record)?, Action::Export)?;
                Ok(record.id)
            })
            .await?;
        if !destination.is_dir() {
            let message = format!("{} is no folder on this computer", destination.display());
            return Err(AppError::fields(
                message.clone(),
                vec![FieldErrorDto { field: "folder".into(), message }],
            ));
        }
        let files = match files_under(&source) {
            Ok(files) if !files.is_empty() => files,
            _ => {
                return Err(AppError::new(
                    ErrorCode::NotFound,
                    "nothing has been exported for this campaign yet: export first",
                ));
            }
        };
        let safe: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
            .collect();
        let target = if zip {
            let target = destination.join(format!("{safe}-evidence.zip"));
            write_zip(&files, &target)?;
            target
        } else {
            let target = destination.join(format!("{safe}-evidence"));
            copy_folder(&files, &target)?;
            target
        };
        Ok(SavedEvidenceDto {
            path: target.display().to_string(),
            files: u32::try_from(files.len()).unwrap_or(u32::MAX),
        })
    }
}
