//! Governance admins per tenant: who they are, how each became one, and every change with its
//! audit event. The first admins of a tenant are bootstrapped only while it has none; the last
//! one is never removed (a tenant without admins can only bootstrap again).

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use crate::audit::{self, NewAuditEvent};
use crate::stored::{Named, StoredName, Time};
use crate::{Result, Store, StoreError, format_time};

/// How a person became a governance admin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminSource {
    /// They actively held a governing directory role, read from the tenant when they asked.
    Bootstrap,
    /// Another governance admin added them.
    Added,
    /// The demo tenant's own admins, from its data.
    Demo,
    /// From the single list kept before admins were per tenant.
    Imported,
}

impl AdminSource {
    pub fn as_str(self) -> &'static str {
        match self {
            AdminSource::Bootstrap => "bootstrap",
            AdminSource::Added => "added",
            AdminSource::Demo => "demo",
            AdminSource::Imported => "imported",
        }
    }

    fn parse(s: &str) -> Option<AdminSource> {
        [AdminSource::Bootstrap, AdminSource::Added, AdminSource::Demo, AdminSource::Imported]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

/// A governance admin of a tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminRecord {
    /// Entra object id (stored lowercase).
    pub principal_id: String,
    pub upn: String,
    pub display_name: String,
    pub source: AdminSource,
    pub added_by: String,
    pub added_at: DateTime<Utc>,
}

/// A person about to become an admin, with why (a bootstrap's directory role, for the record).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAdmin<'a> {
    pub principal_id: &'a str,
    pub upn: &'a str,
    pub display_name: &'a str,
    pub source: AdminSource,
    /// What qualified them, e.g. "actively holds Global Administrator".
    pub because: &'a str,
}

fn insert(
    tx: &rusqlite::Transaction<'_>,
    tenant_id: &str,
    admin: &NewAdmin<'_>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let id = admin.principal_id.trim().to_ascii_lowercase();
    if id.is_empty() {
        return Err(StoreError::Conflict("a governance admin needs an object id".into()));
    }
    let exists: Option<String> = tx
        .query_row(
            "SELECT upn FROM governance_admin WHERE tenant_id = ?1 AND principal_id = ?2",
            params![tenant_id, id],
            |row| row.get(0),
        )
        .optional()?;
    if let Some(upn) = exists {
        return Err(StoreError::Conflict(format!("{upn} is already a governance admin")));
    }
    tx.execute(
        "INSERT INTO governance_admin (tenant_id, principal_id, upn, display_name, how, added_by, added_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            tenant_id,
            id,
            admin.upn,
            admin.display_name,
            admin.source.as_str(),
            actor,
            format_time(now)
        ],
    )?;
    audit::append(
        tx,
        &NewAuditEvent {
            at: now,
            actor,
            kind: "admin.added",
            subject: &format!("tenant/{tenant_id}"),
            payload: serde_json::json!({
                "admin": { "id": id, "upn": admin.upn, "name": admin.display_name },
                "how": admin.source.as_str(),
                "because": admin.because,
            }),
        },
    )?;
    Ok(())
}

fn count(conn: &rusqlite::Connection, tenant_id: &str) -> Result<u32> {
    Ok(conn.query_row(
        "SELECT count(*) FROM governance_admin WHERE tenant_id = ?1",
        [tenant_id],
        |row| row.get(0),
    )?)
}

impl Store {
    /// The tenant's governance admins, by UPN.
    pub fn admins(&self, tenant_id: &str) -> Result<Vec<AdminRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT principal_id, upn, display_name, how, added_by, added_at
             FROM governance_admin WHERE tenant_id = ?1 ORDER BY upn COLLATE NOCASE",
        )?;
        let rows = stmt.query_map([tenant_id], |row| {
            Ok(AdminRecord {
                principal_id: row.get(0)?,
                upn: row.get(1)?,
                display_name: row.get(2)?,
                source: row.get::<_, Named<AdminSource>>(3)?.0,
                added_by: row.get(4)?,
                added_at: row.get::<_, Time>(5)?.0,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Whether the object id is one of the tenant's governance admins.
    pub fn is_admin(&self, tenant_id: &str, principal_id: &str) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM governance_admin WHERE tenant_id = ?1 AND principal_id = ?2",
                params![tenant_id, principal_id.trim().to_ascii_lowercase()],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// How many governance admins the tenant has.
    pub fn admin_count(&self, tenant_id: &str) -> Result<u32> {
        count(&self.conn, tenant_id)
    }

    /// The tenant's first admins, only while it has none: a second bootstrap (say, two people
    /// racing) is refused, whoever came first holds the keys. All or nothing.
    pub fn bootstrap_admins(
        &mut self,
        tenant_id: &str,
        admins: &[NewAdmin<'_>],
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if count(&tx, tenant_id)? > 0 {
            return Err(StoreError::Conflict(format!(
                "tenant {tenant_id} already has governance admins: an admin adds more"
            )));
        }
        for admin in admins {
            insert(&tx, tenant_id, admin, actor, now)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Adds an admin (an existing admin's decision, checked by the caller).
    pub fn add_admin(
        &mut self,
        tenant_id: &str,
        admin: &NewAdmin<'_>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        insert(&tx, tenant_id, admin, actor, now)?;
        tx.commit()?;
        Ok(())
    }

    /// Removes an admin; the tenant's last admin stays.
    pub fn remove_admin(
        &mut self,
        tenant_id: &str,
        principal_id: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let id = principal_id.trim().to_ascii_lowercase();
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let upn: Option<String> = tx
            .query_row(
                "SELECT upn FROM governance_admin WHERE tenant_id = ?1 AND principal_id = ?2",
                params![tenant_id, id],
                |row| row.get(0),
            )
            .optional()?;
        let Some(upn) = upn else {
            return Err(StoreError::NotFound { what: "governance admin", id: principal_id.into() });
        };
        if count(&tx, tenant_id)? <= 1 {
            return Err(StoreError::Conflict(format!(
                "{upn} is the tenant's last governance admin: add another before removing them"
            )));
        }
        tx.execute(
            "DELETE FROM governance_admin WHERE tenant_id = ?1 AND principal_id = ?2",
            params![tenant_id, id],
        )?;
        audit::append(
            &tx,
            &NewAuditEvent {
                at: now,
                actor,
                kind: "admin.removed",
                subject: &format!("tenant/{tenant_id}"),
                payload: serde_json::json!({ "admin": { "id": id, "upn": upn } }),
            },
        )?;
        tx.commit()?;
        Ok(())
    }
}

impl StoredName for AdminSource {
    const WHAT: &'static str = "way a governance admin was added";
    fn name(self) -> &'static str {
        self.as_str()
    }
    fn from_name(name: &str) -> Option<Self> {
        AdminSource::parse(name)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 4, 1, 9, 0, 0).single().expect("a valid time")
    }

    fn store() -> Store {
        let store = Store::open_in_memory().expect("store");
        store
            .conn
            .execute_batch(
                "INSERT INTO tenant VALUES ('t', 'T', 'entra', 'g', '2026-01-01T00:00:00Z');
                 INSERT INTO tenant VALUES ('u', 'U', 'entra', 'h', '2026-01-01T00:00:00Z');",
            )
            .expect("seed");
        store
    }

    fn admin<'a>(id: &'a str, upn: &'a str) -> NewAdmin<'a> {
        NewAdmin {
            principal_id: id,
            upn,
            display_name: "A",
            source: AdminSource::Bootstrap,
            because: "actively holds Global Administrator",
        }
    }

    #[test]
    fn admins_are_per_tenant_bootstrapped_once_and_the_last_one_stays() {
        let mut s = store();
        s.bootstrap_admins("t", &[admin("ID-1", "a@t.test")], "a@t.test", now()).expect("first");
        let again = s.bootstrap_admins("t", &[admin("id-2", "b@t.test")], "b@t.test", now());
        assert!(matches!(again, Err(StoreError::Conflict(_))), "only while there is none");
        assert!(s.is_admin("t", "id-1").expect("read") && s.is_admin("t", "Id-1").expect("read"));
        assert!(!s.is_admin("u", "id-1").expect("read"), "an admin of one tenant only");
        let last = s.remove_admin("t", "id-1", "a@t.test", now());
        assert!(matches!(last, Err(StoreError::Conflict(_))), "{last:?}");
        let added = NewAdmin { source: AdminSource::Added, ..admin("id-2", "b@t.test") };
        s.add_admin("t", &added, "a@t.test", now()).expect("added");
        assert!(s.add_admin("t", &added, "a@t.test", now()).is_err(), "once");
        s.remove_admin("t", "ID-1", "b@t.test", now()).expect("removed");
        let left = s.admins("t").expect("admins");
        assert_eq!(
            left.iter().map(|a| (a.upn.as_str(), a.source)).collect::<Vec<_>>(),
            [("b@t.test", AdminSource::Added)]
        );
        let kinds: Vec<(String, String)> = s
            .audit_events(Some("tenant/t"))
            .expect("events")
            .into_iter()
            .map(|e| (e.kind, e.actor))
            .collect();
        assert_eq!(
            kinds,
            [
                ("admin.added".to_string(), "a@t.test".to_string()),
                ("admin.added".to_string(), "a@t.test".to_string()),
                ("admin.removed".to_string(), "b@t.test".to_string()),
            ]
        );
    }

    #[test]
    fn the_old_single_list_is_imported_per_tenant() {
        let mut conn = rusqlite::Connection::open_in_memory().expect("db");
        for (_, sql) in &crate::migrate::MIGRATIONS[..8] {
            conn.execute_batch(sql).expect("older migration");
        }
        conn.pragma_update(None, "user_version", 8).expect("version");
        conn.execute_batch(
            r#"INSERT INTO tenant VALUES ('t', 'T', 'demo', 'g', '2026-01-01T00:00:00Z');
               INSERT INTO setting VALUES ('governance.admins',
                 '[{"id":"ID-1","upn":"a@t.test","displayName":"A","tenantId":"t"},
                   {"id":"id-2","upn":"b@x.test","displayName":"B","tenantId":"gone"},
                   {"id":"","upn":"c@t.test","displayName":"C","tenantId":"t"}]');"#,
        )
        .expect("an old list");
        crate::migrate::run(&mut conn).expect("migrated");
        let s = Store { conn };
        let admins = s.admins("t").expect("admins");
        assert_eq!(admins.len(), 1, "{admins:?}");
        assert_eq!(
            (admins[0].principal_id.as_str(), admins[0].source),
            ("id-1", AdminSource::Imported)
        );
    }
}
