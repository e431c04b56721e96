//! Evidence exports: the record of each binder written, so that `verify` can rebuild the binder
//! exactly as it was and compare it with the database and with the files.

use chrono::{DateTime, Utc};
use rusqlite::params;

use crate::audit::{self, NewAuditEvent};
use crate::stored::Time;
use crate::{Result, Store, format_time};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportRecord {
    pub id: i64,
    pub campaign_id: String,
    pub generated_at: DateTime<Utc>,
    pub actor: String,
    pub audit_seq: i64,
    pub evidence_hash: String,
    /// JSON object: file name → SHA-256.
    pub files: String,
    /// The hash of audit event `audit_seq`: the chain's head the binder was cut at.
    pub audit_head: Option<String>,
    /// Hex Ed25519 signature over the export's signed statement, and the public key (hex).
    pub signature: Option<String>,
    pub signing_key: Option<String>,
    /// The Recert that made the export (`Recert 0.1.0`), which the binder's JSON names; `None`
    /// for exports made before it was recorded.
    pub generator: Option<String>,
    /// The binder PDF layout's version (`recert_evidence::RENDERER`) that drew the PDF; `None`
    /// for exports made before it was recorded.
    pub renderer: Option<String>,
}

const EXPORT_COLUMNS: &str = "id, campaign_id, generated_at, actor, audit_seq, evidence_hash, files, audit_head, signature, signing_key, generator, renderer";

fn export_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ExportRecord> {
    Ok(ExportRecord {
        id: row.get(0)?,
        campaign_id: row.get(1)?,
        generated_at: row.get::<_, Time>(2)?.0,
        actor: row.get(3)?,
        audit_seq: row.get(4)?,
        evidence_hash: row.get(5)?,
        files: row.get(6)?,
        audit_head: row.get(7)?,
        signature: row.get(8)?,
        signing_key: row.get(9)?,
        generator: row.get(10)?,
        renderer: row.get(11)?,
    })
}

impl Store {
    /// Records an export with its audit event.
    pub fn record_export(&mut self, record: &ExportRecord) -> Result<i64> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO evidence_export (campaign_id, generated_at, actor, audit_seq, evidence_hash,
               files, audit_head, signature, signing_key, generator, renderer)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                record.campaign_id,
                format_time(record.generated_at),
                record.actor,
                record.audit_seq,
                record.evidence_hash,
                record.files,
                record.audit_head,
                record.signature,
                record.signing_key,
                record.generator,
                record.renderer
            ],
        )?;
        let id = tx.last_insert_rowid();
        audit::append(
            &tx,
            &NewAuditEvent {
                at: record.generated_at,
                actor: &record.actor,
                kind: "evidence.exported",
                subject: &format!("campaign/{}", record.campaign_id),
                payload: serde_json::json!({
                    "export": id,
                    "evidenceHash": record.evidence_hash,
                    "auditSeq": record.audit_seq,
                    "auditHead": record.audit_head,
                    "signature": record.signature,
                    "signingKey": record.signing_key,
                    "generator": record.generator,
                    "renderer": record.renderer,
                    "files": serde_json::from_str::<serde_json::Value>(&record.files).unwrap_or_default(),
                }),
            },
        )?;
        tx.commit()?;
        Ok(id)
    }

    /// The campaign's latest export, if any.
    pub fn latest_export(&self, campaign_id: &str) -> Result<Option<ExportRecord>> {
        Ok(self.exports(campaign_id)?.pop())
    }

    /// Every export of the campaign, oldest first.
    pub fn exports(&self, campaign_id: &str) -> Result<Vec<ExportRecord>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {EXPORT_COLUMNS} FROM evidence_export WHERE campaign_id = ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([campaign_id], export_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The sequence number of the audit log's last event (0 when empty).
    pub fn audit_head_seq(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM audit_event", [], |row| row.get(0))?)
    }
}
