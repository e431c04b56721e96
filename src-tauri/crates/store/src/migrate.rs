//! Forward-only schema migrations, numbered and embedded; `PRAGMA user_version` is the ledger.
//!
//! A shipped migration is never edited: changes are new files. A database newer than this
//! build is refused rather than half-understood.

use rusqlite::Connection;

use crate::{Result, StoreError};

/// Each migration's file name (for the schema snapshot) and its SQL, in order.
macro_rules! migrations {
    ($($file:literal),* $(,)?) => {
        &[$(($file, include_str!(concat!("../migrations/", $file)))),*]
    };
}

pub(crate) const MIGRATIONS: &[(&str, &str)] = migrations![
    "0001_init.sql",
    "0002_directory.sql",
    "0003_campaigns.sql",
    "0004_remediation.sql",
    "0005_evidence.sql",
    "0006_pull_page_digest.sql",
    "0007_audit_indexes.sql",
    "0008_remediation_keep.sql",
    "0009_trust.sql",
    "0010_pull_gaps.sql",
    "0012_evidence_record.sql",
    "0016_decision_authentication.sql",
    "0017_decisions.sql",
    "0018_worklist.sql",
    "0020_stage_reviewers.sql",
    // After 0020: databases migrated to 0020 already exist, and versions count the list.
    "0019_export_renderer.sql",
    "0023_role_facts.sql",
    "0025_entra_access_reviews.sql",
    "0029_group_roles.sql",
];

pub(crate) fn run(conn: &mut Connection) -> Result<()> {
    let known = MIGRATIONS.len() as i64;
    let found: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    for (index, (_, sql)) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = index + 1;
        // Each migration runs in its own IMMEDIATE transaction so a crash leaves the database
        // at a whole version, never between two.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(sql).map_err(|source| StoreError::Migration { version, source })?;
        tx.pragma_update(None, "user_version", version as i64)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_from_empty_and_is_idempotent() {
        let mut conn = Connection::open_in_memory().expect("in-memory database");
        run(&mut conn).expect("first migration");
        run(&mut conn).expect("second run is a no-op");
        let version: i64 =
            conn.pragma_query_value(None, "user_version", |r| r.get(0)).expect("version");
        assert_eq!(version, MIGRATIONS.len() as i64);
    }

    #[test]
    fn migrates_from_every_earlier_version_keeping_data() {
        for version in 1..MIGRATIONS.len() {
            let mut conn = Connection::open_in_memory().expect("in-memory database");
            // The database as an older Recert left it: the first `version` migrations and a tenant.
            for (_, sql) in &MIGRATIONS[..version] {
                conn.execute_batch(sql).expect("older migration");
            }
            conn.pragma_update(None, "user_version", version as i64).expect("version");
            conn.execute(
                "INSERT INTO tenant (id, name, kind, tenant_guid, created_at)
                 VALUES ('t', 'Contoso', 'entra', 'g', '2026-01-01T00:00:00.000Z')",
                [],
            )
            .expect("a tenant row");
            run(&mut conn).unwrap_or_else(|err| panic!("from version {version}: {err}"));
            let name: String = conn
                .query_row("SELECT name FROM tenant WHERE id = 't'", [], |r| r.get(0))
                .expect("the tenant survived");
            assert_eq!(name, "Contoso", "from version {version}");
            let latest: i64 =
                conn.pragma_query_value(None, "user_version", |r| r.get(0)).expect("version");
            assert_eq!(latest, MIGRATIONS.len() as i64, "from version {version}");
        }
    }

    /// The schema objects as SQLite keeps them, by `type name`, with their SQL.
    fn schema(conn: &Connection) -> std::collections::BTreeMap<String, String> {
        let mut statement = conn
            .prepare(
                "SELECT type, name, sql FROM sqlite_master
                 WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'",
            )
            .expect("schema query");
        statement
            .query_map([], |row| {
                let (kind, name, sql): (String, String, String) =
                    (row.get(0)?, row.get(1)?, row.get(2)?);
                // One line per object, whatever the migration's own layout and comments, so a
                // change reads as one changed line.
                let sql = sql
                    .lines()
                    .map(|line| line.split("--").next().unwrap_or_default())
                    .flat_map(str::split_whitespace)
                    .collect::<Vec<_>>()
                    .join(" ");
                Ok((format!("{kind} {name}"), sql))
            })
            .expect("schema rows")
            .collect::<rusqlite::Result<_>>()
            .expect("schema")
    }

    /// What each migration adds, changes and drops, as a reviewable text: a new migration shows up
    /// in review as a change to `migrations/schema.txt` (`UPDATE_EXPECT=1 cargo test -p
    /// recert-store` rewrites it).
    #[test]
    fn each_migration_changes_the_schema_as_the_snapshot_shows() {
        let conn = Connection::open_in_memory().expect("in-memory database");
        let mut before = schema(&conn);
        let mut text = String::new();
        for (file, sql) in MIGRATIONS {
            conn.execute_batch(sql).unwrap_or_else(|err| panic!("{file}: {err}"));
            let after = schema(&conn);
            text.push_str(&format!("{file}\n"));
            for (object, sql) in &after {
                match before.get(object) {
                    None => text.push_str(&format!("  + {sql}\n")),
                    Some(old) if old != sql => {
                        text.push_str(&format!("  - {old}\n  + {sql}\n"));
                    }
                    Some(_) => {}
                }
            }
            for (object, sql) in &before {
                if !after.contains_key(object) {
                    text.push_str(&format!("  - {sql}\n"));
                }
            }
            before = after;
        }
        expect_test::expect_file!["../migrations/schema.txt"].assert_eq(&text);
    }

    #[test]
    fn refuses_a_newer_database() {
        let mut conn = Connection::open_in_memory().expect("in-memory database");
        conn.pragma_update(None, "user_version", 99).expect("set version");
        let err = run(&mut conn).expect_err("a newer schema must be refused");
        assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
    }
}
