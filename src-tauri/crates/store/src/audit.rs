//! The append-only, hash-chained audit log: every state change writes one event in the same
//! transaction, and [`Store::verify_chain`] proves later that no row was edited, deleted or
//! reordered. [`Store::audit_page`] reads it a page at a time for the viewer.

use chrono::{DateTime, Utc};
use rusqlite::{Row, Transaction, params, params_from_iter};
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

/// Which events to read; `None` does not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Exactly this subject, e.g. `campaign/q1`.
    pub subject: Option<String>,
    /// This actor, ignoring case (actors are mostly UPNs).
    pub actor: Option<String>,
    /// Exactly this kind, e.g. `decision.recorded`.
    pub kind: Option<String>,
    /// Every word somewhere in the actor, kind, subject or payload (ASCII letters in any case).
    pub text: Option<String>,
}

/// One page of events, newest first, and how many match in all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    pub total: u32,
}

/// The last event of an intact chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: i64,
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

const EVENT_COLUMNS: &str = "seq, at, actor, kind, subject, payload, prev_hash, hash";

fn event_from_row(row: &Row<'_>) -> rusqlite::Result<AuditEvent> {
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
}

/// Builds the WHERE clause and its parameters. Subject, actor and kind each have an index
/// (migration 0007); text is a scan, bounded by whichever indexed filter comes with it.
fn filter_sql(filter: &AuditFilter) -> (String, Vec<String>) {
    let mut clauses = Vec::new();
    let mut values = Vec::new();
    let mut bind = |clause: &str, value: String| {
        values.push(value);
        clauses.push(clause.replace('$', &format!("?{}", values.len())));
    };
    if let Some(subject) = &filter.subject {
        bind("subject = $", subject.clone());
    }
    if let Some(actor) = &filter.actor {
        // The same collation as the index, or SQLite could not use it.
        bind("actor = $ COLLATE NOCASE", actor.clone());
    }
    if let Some(kind) = &filter.kind {
        bind("kind = $", kind.clone());
    }
    for word in filter.text.iter().flat_map(|text| text.split_whitespace()) {
        // Escaped so that `%` and `_` typed by a user match themselves.
        let escaped = word.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        bind(
            "(actor || ' ' || kind || ' ' || subject || ' ' || payload) LIKE $ ESCAPE '\\'",
            format!("%{escaped}%"),
        );
    }
    if clauses.is_empty() {
        clauses.push("1".into());
    }
    (clauses.join(" AND "), values)
}

impl Store {
    /// Events matching `filter`, newest first: `limit` of them after skipping `offset`, with the
    /// number that match in all. Both are read in one transaction, so they agree even while
    /// another process appends.
    pub fn audit_page(&self, filter: &AuditFilter, offset: u32, limit: u32) -> Result<AuditPage> {
        let (clause, values) = filter_sql(filter);
        let tx = self.conn.unchecked_transaction()?;
        let total: u32 = tx.query_row(
            &format!("SELECT COUNT(*) FROM audit_event WHERE {clause}"),
            params_from_iter(values.iter()),
            |row| row.get(0),
        )?;
        let events = {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS} FROM audit_event WHERE {clause}
                 ORDER BY seq DESC LIMIT {limit} OFFSET {offset}"
            ))?;
            stmt.query_map(params_from_iter(values.iter()), event_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?
        };
        tx.finish()?;
        Ok(AuditPage { events, total })
    }

    /// The kinds of event in the log, for a filter's choices.
    pub fn audit_kinds(&self) -> Result<Vec<String>> {
        let mut stmt =
            self.conn.prepare_cached("SELECT DISTINCT kind FROM audit_event ORDER BY kind")?;
        let kinds = stmt.query_map([], |row| row.get(0))?;
        Ok(kinds.collect::<rusqlite::Result<_>>()?)
    }

    /// Events in order, optionally only those about `subject`.
    pub fn audit_events(&self, subject: Option<&str>) -> Result<Vec<AuditEvent>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {EVENT_COLUMNS} FROM audit_event WHERE ?1 IS NULL OR subject = ?1 ORDER BY seq"
        ))?;
        let rows = stmt.query_map([subject], event_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Recomputes every hash. `Ok(head)` is the hash of the last event (GENESIS when empty).
    pub fn verify_chain(&self) -> Result<Result<String, ChainBreak>> {
        Ok(self.verify_chain_head()?.map(|head| head.hash))
    }

    /// Recomputes every hash, reading the log as a stream so that a long log is never held in
    /// memory whole. `Ok` names the last event and its hash (`seq` 0 and GENESIS when empty).
    pub fn verify_chain_head(&self) -> Result<Result<ChainHead, ChainBreak>> {
        let mut stmt =
            self.conn.prepare(&format!("SELECT {EVENT_COLUMNS} FROM audit_event ORDER BY seq"))?;
        let mut rows = stmt.query([])?;
        let mut head = ChainHead { seq: 0, hash: GENESIS.to_string() };
        while let Some(row) = rows.next()? {
            let event = event_from_row(row)?;
            let expected_seq = head.seq + 1;
            if event.seq != expected_seq {
                return Ok(Err(ChainBreak {
                    seq: event.seq,
                    problem: format!("expected event {expected_seq} here: an event is missing"),
                }));
            }
            if event.prev_hash != head.hash {
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
                &head.hash,
            );
            if hash != event.hash {
                return Ok(Err(ChainBreak {
                    seq: event.seq,
                    problem: "its content was changed after it was written".into(),
                }));
            }
            head = ChainHead { seq: event.seq, hash };
        }
        Ok(Ok(head))
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

    /// A log about two campaigns and a tenant, by two people and the app, in a known order.
    fn mixed_log() -> Store {
        let mut store = Store::open_in_memory().expect("store");
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("valid time");
        let events = [
            ("recert@linux", "tenant.pulled", "tenant/demo", serde_json::json!({ "roles": 4 })),
            ("recert@linux", "campaign.opened", "campaign/q1", serde_json::json!({ "items": 3 })),
            (
                "Adele@contoso.com",
                "decision.recorded",
                "campaign/q1",
                serde_json::json!({ "why": "on call 100%" }),
            ),
            (
                "megan@contoso.com",
                "decision.recorded",
                "campaign/q1",
                serde_json::json!({ "why": "left the team" }),
            ),
            ("recert@linux", "campaign.opened", "campaign/q2", serde_json::json!({ "items": 5 })),
            (
                "adele@contoso.com",
                "decision.bulk",
                "campaign/q2",
                serde_json::json!({ "why": "still on call" }),
            ),
            (
                "recert@linux",
                "campaign.closed",
                "campaign/q1",
                serde_json::json!({ "reason": "done" }),
            ),
        ];
        let tx = store.conn.transaction().expect("tx");
        for (actor, kind, subject, payload) in events {
            append(&tx, &NewAuditEvent { at, actor, kind, subject, payload }).expect("append");
        }
        tx.commit().expect("commit");
        store
    }

    fn seqs(store: &Store, filter: &AuditFilter, offset: u32, limit: u32) -> (Vec<i64>, u32) {
        let page = store.audit_page(filter, offset, limit).expect("page");
        (page.events.iter().map(|e| e.seq).collect(), page.total)
    }

    #[test]
    fn pages_run_newest_first_and_count_every_match() {
        let store = mixed_log();
        let all = AuditFilter::default();
        assert_eq!(seqs(&store, &all, 0, 3), (vec![7, 6, 5], 7), "the newest page comes first");
        assert_eq!(seqs(&store, &all, 3, 3), (vec![4, 3, 2], 7), "the next page follows on");
        assert_eq!(seqs(&store, &all, 6, 3), (vec![1], 7), "the last page is short");
        assert_eq!(seqs(&store, &all, 9, 3), (vec![], 7), "past the end is empty, not an error");
        let page = store.audit_page(&all, 0, 1).expect("page");
        assert_eq!(page.events[0].kind, "campaign.closed", "rows carry their fields");
        assert_eq!(page.events[0].subject, "campaign/q1");
    }

    #[test]
    fn filters_by_subject_actor_kind_and_text_and_combine() {
        let store = mixed_log();
        let filter =
            |subject: Option<&str>, actor: Option<&str>, kind: Option<&str>, text: Option<&str>| {
                AuditFilter {
                    subject: subject.map(str::to_string),
                    actor: actor.map(str::to_string),
                    kind: kind.map(str::to_string),
                    text: text.map(str::to_string),
                }
            };
        let cases: [(AuditFilter, Vec<i64>, &str); 9] = [
            (filter(Some("campaign/q1"), None, None, None), vec![7, 4, 3, 2], "one campaign"),
            (filter(Some("campaign/q"), None, None, None), vec![], "a subject is matched whole"),
            (filter(None, Some("ADELE@contoso.com"), None, None), vec![6, 3], "actor ignores case"),
            (filter(None, None, Some("decision.recorded"), None), vec![4, 3], "one kind"),
            (
                filter(Some("campaign/q1"), Some("adele@contoso.com"), None, None),
                vec![3],
                "filters combine",
            ),
            (
                filter(None, None, None, Some("on CALL")),
                vec![6, 3],
                "every word, any case, in the payload",
            ),
            (filter(None, None, None, Some("q2")), vec![6, 5], "text looks at the subject too"),
            (filter(None, None, None, Some("100%")), vec![3], "a typed % is a percent sign"),
            (filter(None, None, None, Some("_")), vec![], "a typed _ is an underscore"),
        ];
        for (filter, expected, why) in cases {
            let total = expected.len() as u32;
            assert_eq!(seqs(&store, &filter, 0, 50), (expected, total), "{why}: {filter:?}");
        }
    }

    #[test]
    fn indexed_filters_read_a_page_without_scanning_or_sorting() {
        let store = mixed_log();
        let cases = [
            ("subject = 'campaign/q1'", "audit_event_subject"),
            ("actor = 'adele@contoso.com' COLLATE NOCASE", "audit_event_actor"),
            ("kind = 'decision.recorded'", "audit_event_kind"),
        ];
        for (clause, index) in cases {
            let sql = format!(
                "EXPLAIN QUERY PLAN SELECT {EVENT_COLUMNS} FROM audit_event WHERE {clause}
                 ORDER BY seq DESC LIMIT 50"
            );
            let mut stmt = store.conn.prepare(&sql).expect("plan");
            let plan: Vec<String> = stmt
                .query_map([], |row| row.get::<_, String>(3))
                .expect("plan rows")
                .collect::<rusqlite::Result<_>>()
                .expect("plan");
            let plan = plan.join("; ");
            assert!(plan.contains(index), "{clause} should use {index}: {plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{clause} should not sort: {plan}");
        }
    }

    #[test]
    fn kinds_are_listed_once_each() {
        let kinds = mixed_log().audit_kinds().expect("kinds");
        assert_eq!(
            kinds,
            [
                "campaign.closed",
                "campaign.opened",
                "decision.bulk",
                "decision.recorded",
                "tenant.pulled"
            ]
        );
    }

    #[test]
    fn the_head_names_the_last_event() {
        let empty = Store::open_in_memory().expect("store");
        let head = empty.verify_chain_head().expect("read").expect("intact");
        assert_eq!(head, ChainHead { seq: 0, hash: GENESIS.to_string() }, "an empty log");
        let store = store_with_events(5);
        let head = store.verify_chain_head().expect("read").expect("intact");
        let last = &store.audit_events(None).expect("events")[4];
        assert_eq!(head, ChainHead { seq: 5, hash: last.hash.clone() });
    }
}
