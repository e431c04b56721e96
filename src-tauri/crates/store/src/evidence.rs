//! Evidence exports: the record of each binder written, so that `verify` can rebuild the binder
//! exactly as it was and compare it with the database and with the files.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use crate::audit::{self, NewAuditEvent};
use crate::{Result, Store, StoreError, format_time, parse_time};

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
}

impl Store {
    /// Records an export with its audit event.
    pub fn record_export(&mut self, record: &ExportRecord) -> Result<i64> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO evidence_export (campaign_id, generated_at, actor, audit_seq, evidence_hash, files)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                record.campaign_id,
                format_time(record.generated_at),
                record.actor,
                record.audit_seq,
                record.evidence_hash,
                record.files
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
                    "files": serde_json::from_str::<serde_json::Value>(&record.files).unwrap_or_default(),
                }),
            },
        )?;
        tx.commit()?;
        Ok(id)
    }

    /// The campaign's latest export, if any.
    pub fn latest_export(&self, campaign_id: &str) -> Result<Option<ExportRecord>> {
        let raw = self
            .conn
            .query_row(
                "SELECT id, campaign_id, generated_at, actor, audit_seq, evidence_hash, files
                 FROM evidence_export WHERE campaign_id = ?1 ORDER BY id DESC LIMIT 1",
                [campaign_id],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, String>(3)?,
                        row.get::<_, i64>(4)?,
                        row.get::<_, String>(5)?,
                        row.get::<_, String>(6)?,
                    ))
                },
            )
            .optional()?;
        raw.map(|(id, campaign_id, at, actor, audit_seq, evidence_hash, files)| {
            Ok(ExportRecord {
                id,
                campaign_id,
                generated_at: parse_time("evidence_export", "generated_at", Some(at.clone()))?
                    .ok_or(StoreError::Corrupt {
                        table: "evidence_export",
                        column: "generated_at",
                        value: at,
                    })?,
                actor,
                audit_seq,
                evidence_hash,
                files,
            })
        })
        .transpose()
    }

    /// The sequence number of the audit log's last event (0 when empty).
    pub fn audit_head_seq(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM audit_event", [], |row| row.get(0))?)
    }
}
