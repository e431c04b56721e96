//! Recert's local store: one SQLite file per installation, opened through [`Store`].
//!
//! Every write that changes state commits together with its audit event (see [`audit`]); readers
//! get domain values back, never rows. Times are stored as RFC 3339 UTC strings, read and
//! written through one column type (`stored::Time`), and every enum through one conversion.

pub mod admins;
pub mod audit;
pub mod campaigns;
pub mod connections;
pub mod directory;
pub mod entra;
pub mod evidence;
pub mod lease;
mod migrate;
pub mod population;
pub mod remediation;
pub mod signoff;
pub mod stages;
pub mod stored;
pub mod tenants;
pub mod worklist;

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

pub use admins::{AdminRecord, AdminSource, NewAdmin};
pub use audit::{AuditEvent, AuditFilter, AuditPage, ChainBreak, ChainHead, NewAuditEvent};
pub use connections::{AuthMethod, ConnectionRecord};
pub use directory::{PageRef, PopulationRows, StoredPage};
pub use lease::LeaseHolder;
pub use population::{CatalogueRole, PopulationRecord, PullRecord, RoleCatalogue};
pub use signoff::CampaignEvent;
pub use tenants::{TenantKind, TenantRecord};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database at {path}: {source}")]
    Open { path: String, source: rusqlite::Error },
    #[error(
        "the database is at schema version {found}, newer than this Recert understands ({known}); \
         update Recert before opening it"
    )]
    TooNew { found: i64, known: i64 },
    #[error("migration {version} failed: {source}")]
    Migration { version: usize, source: rusqlite::Error },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored value in {table}.{column} is not valid: {value:?}")]
    Corrupt { table: &'static str, column: &'static str, value: String },
    #[error("no tenant named {0:?}")]
    NoSuchTenant(String),
    #[error("no {what} {id:?}")]
    NotFound { what: &'static str, id: String },
    #[error("{0}")]
    Transition(recert_domain::campaign::TransitionError),
    #[error("{0}")]
    Conflict(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An open database. Not `Sync`: the app keeps one behind a mutex and does its work in
/// blocking tasks.
pub struct Store {
    conn: Connection,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.conn.path()).finish()
    }
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store> {
        let conn = Connection::open(path)
            .map_err(|source| StoreError::Open { path: path.display().to_string(), source })?;
        Store::init(conn)
    }

    /// A private database for tests and one-shot runs.
    pub fn open_in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory()
            .map_err(|source| StoreError::Open { path: ":memory:".into(), source })?;
        Store::init(conn)
    }

    fn init(mut conn: Connection) -> Result<Store> {
        // For a new database only (an existing one keeps its own, and WAL fixes it): 16 KiB
        // pages split a third as often as SQLite's 4 KiB while a pull writes a hundred thousand
        // rows, which measured a third faster.
        conn.pragma_update(None, "page_size", 16_384)?;
        // WAL lets the window read while a pull or an apply writes; NORMAL is durable across
        // application crashes (the WAL is fsynced at checkpoints), which is what we need.
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // A scheduled CLI run and the window may share the file: wait rather than fail. Every
        // write transaction takes the write lock when it begins (IMMEDIATE): one that read first
        // under a deferred lock would fail at once, not wait, once another process had written.
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        // A 100,000-item campaign is ~100 MB, but a worklist page or count reads only the
        // covering index (~15 MB): a 32 MB page cache holds it (SQLite's default is 2 MB). No
        // memory-mapped reads: every page a scan touched would stay in the window's memory.
        conn.pragma_update(None, "cache_size", -32768)?;
        conn.pragma_update(None, "mmap_size", 0)?;
        migrate::run(&mut conn)?;
        Ok(Store { conn })
    }

    /// Frees the page cache's unused pages (all of them between calls): the window does this
    /// once it is idle, so the pages a search or a pull read do not stay in its memory. The
    /// next read fills the cache again from the file (and the system's file cache).
    pub fn release_cache(&self) -> Result<()> {
        Ok(self.conn.release_memory()?)
    }

    /// The schema version the database is at after opening.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self.conn.pragma_query_value(None, "user_version", |row| row.get(0))?)
    }

    /// Direct access for tests that must tamper with the file the way an attacker would.
    pub fn connection_for_tests(&self) -> &Connection {
        &self.conn
    }

    /// The connection with `synchronous=FULL` until the guard drops: a commit made through it is
    /// on disk (the WAL synced) before the commit returns, so it survives a power loss, not only
    /// a crash. The remediation journal commits this way: its intent must never be lost after
    /// a request was sent. Everything else keeps NORMAL, durable across application crashes.
    pub(crate) fn durable(&mut self) -> Result<Durable<'_>> {
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        Ok(Durable(&mut self.conn))
    }
}

/// See [`Store::durable`].
pub(crate) struct Durable<'a>(&'a mut Connection);

impl std::ops::Deref for Durable<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.0
    }
}

impl std::ops::DerefMut for Durable<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.0
    }
}

impl Drop for Durable<'_> {
    fn drop(&mut self) {
        // Back to the connection's default; failing that, the next journal write sets FULL again
        // and other writes are merely more durable than needed.
        let _ = self.0.pragma_update(None, "synchronous", "NORMAL");
    }
}

pub(crate) fn format_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The window and a scheduled CLI run write the same file at once. A write that read first
    /// (most do: the audit chain's head, the row it replaces) must wait for the other writer, not
    /// fail with "database is locked" because its read snapshot went stale.
    #[test]
    fn two_processes_writing_at_once_both_succeed() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("recert.db");
        Store::open(&path).expect("created");
        let now = chrono::Utc::now();
        let writers: Vec<_> = (0..2)
            .map(|w| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut store = Store::open(&path).expect("opened");
                    for i in 0..150 {
                        store
                            .set_setting(&format!("k{w}"), &i.to_string(), "writer", now)
                            .map_err(|err| format!("writer {w}, write {i}: {err}"))?;
                    }
                    Ok::<(), String>(())
                })
            })
            .collect();
        for writer in writers {
            writer.join().expect("joined").expect("every write succeeds");
        }
        let store = Store::open(&path).expect("opened");
        assert!(store.verify_chain().expect("read").is_ok(), "one chain, no fork");
        assert_eq!(store.audit_head_seq().expect("head"), 300);
    }
}
