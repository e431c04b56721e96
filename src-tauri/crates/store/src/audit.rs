//! The append-only, hash-chained audit log: every state change writes one event in the same
//! transaction, and [`verify_chain`] proves later that no row was edited, deleted or reordered.

use chrono::{DateTime, Utc};
use rusqlite::{Transaction, params};
use sha2::{Digest, Sha256};

use crate::{Result, Store, format_time};

/// The hash that the first event chains to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event about to be written.
#[derive(Clone, Debug)]
pub struct NewAuditEvent<'a> {
    pub at: DateTime<Utc>,
    pub actor: &'a str,
    pub kind: &'a str,
    pub subject: &'a str,
    pub payload: serde_json::Value,
}

/// An event as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub kind: String,
    pub subject: String,
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Where and how the chain is broken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBreak {
    pub seq: i64,
    pub problem: String,
}

fn event_hash(
    seq: i64,
    at: &str,
    actor: &str,
    kind: &str,
    subject: &str,
    payload: &str,
    prev: &str,
) -> String {
    let mut hasher = Sha256::new();
    // Length-prefix every field so that moving bytes between fields changes the hash.
    for field in [seq.to_string().as_str(), at, actor, kind, subject, payload, prev] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Appends `event` inside `tx`; the caller commits it together with the change it describes.
pub fn append(tx: &Transaction<'_>, event: &NewAuditEvent<'_>) -> Result<i64> {
    let (last_seq, prev): (i64, String) = tx
        .query_row("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .or_else(|err| match err {
            rusqlite::Error::QueryReturnedNoRows => Ok((0, GENESIS.to_string())),
            other => Err(other),
        })?;
    let seq = last_seq + 1;
    let at = format_time(event.at);
    let payload = event.payload.to_string();
    let hash = event_hash(seq, &at, event.actor, event.kind, event.subject, &payload, &prev);
    tx.execute(
        "INSERT INTO audit_event (seq, at, actor, kind, subject, payload, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![seq, at, event.actor, event.kind, event.subject, payload, prev, hash],
    )?;
    Ok(seq)
}

impl Store {
    /// Events in order, optionally only those about `subject`.
    pub fn audit_events(&self, subject: Option<&str>) -> Result<Vec<AuditEvent>> {
        let mut stmt = self.conn.prepare(
            "SELECT seq, at, actor, kind, subject, payload, prev_hash, hash FROM audit_event
             WHERE ?1 IS NULL OR subject = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([subject], |row| {
            Ok(AuditEvent {
                seq: row.get(0)?,
                at: row.get(1)?,
                actor: row.get(2)?,
                kind: row.get(3)?,
                subject: row.get(4)?,
                payload: row.get(5)?,
                prev_hash: row.get(6)?,
                hash: row.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Recomputes every hash. `Ok(head)` is the hash of the last event (GENESIS when empty).
    pub fn verify_chain(&self) -> Result<Result<String, ChainBreak>> {
        let mut prev = GENESIS.to_string();
        for (expected_seq, event) in (1..).zip(self.audit_events(None)?) {
            if event.seq != expected_seq {
                return Ok(Err(ChainBreak {
                    seq: event.seq,
                    problem: format!("expected event {expected_seq} here: an event is missing"),
                }));
            }
            if event.prev_hash != prev {
                return Ok(Err(ChainBreak {
                    seq: event.seq,
                    problem: "does not chain to the event before it".into(),
                }));
            }
            let hash = event_hash(
                event.seq,
                &event.at,
                &event.actor,
                &event.kind,
                &event.subject,
                &event.payload,
                &prev,
            );
            if hash != event.hash {
                return Ok(Err(ChainBreak {
                    seq: event.seq,
                    problem: "its content was changed after it was written".into(),
                }));
            }
            prev = hash;
        }
        Ok(Ok(prev))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn store_with_events(n: usize) -> Store {
        let mut store = Store::open_in_memory().expect("store");
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("valid time");
        let tx = store.conn.transaction().expect("tx");
        for i in 0..n {
            append(
                &tx,
                &NewAuditEvent {
                    at,
                    actor: "tester",
                    kind: "test.event",
                    subject: "s",
                    payload: serde_json::json!({ "i": i }),
                },
            )
            .expect("append");
        }
        tx.commit().expect("commit");
        store
    }

    /// Tampering needs the triggers out of the way, as an attacker with the file would do.
    fn tamper(store: &Store, sql: &str) {
        store
            .conn
            .execute_batch(&format!(
                "DROP TRIGGER audit_event_no_update; DROP TRIGGER audit_event_no_delete; {sql}"
            ))
            .expect("tamper");
    }

    #[test]
    fn intact_chain_verifies() {
        let store = store_with_events(3);
        let head = store.verify_chain().expect("read").expect("intact");
        assert_eq!(head, store.audit_events(None).expect("events")[2].hash);
    }

    #[test]
    fn updates_and_deletes_are_refused_by_the_database() {
        let store = store_with_events(2);
        assert!(store.conn.execute("UPDATE audit_event SET actor = 'x'", []).is_err());
        assert!(store.conn.execute("DELETE FROM audit_event", []).is_err());
    }

    #[test]
    fn detects_edited_deleted_and_reordered_rows() {
        let cases = [
            ("UPDATE audit_event SET payload = '{\"i\":9}' WHERE seq = 2", 2, "changed"),
            ("DELETE FROM audit_event WHERE seq = 2", 3, "missing"),
            (
                "UPDATE audit_event SET seq = 10 WHERE seq = 2;
                 UPDATE audit_event SET seq = 2 WHERE seq = 3;
                 UPDATE audit_event SET seq = 3 WHERE seq = 10;",
                2,
                "chain",
            ),
        ];
        for (sql, seq, word) in cases {
            let store = store_with_events(4);
            tamper(&store, sql);
            let err = store.verify_chain().expect("read").expect_err(sql);
            assert_eq!(err.seq, seq, "{sql}: {err:?}");
            assert!(err.problem.contains(word), "{sql}: {err:?}");
        }
    }
}
