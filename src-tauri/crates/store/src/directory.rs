//! The directory behind a tenant's population (principals with their manager and last sign-in,
//! members of role-holding groups, activation history) and the digests of the latest pull's raw
//! pages, stored with the population in one transaction so a pull lands whole or not at all.

use recert_domain::history::{ReadWindow, RecordedActivation};
use recert_domain::{
    Activation, Assignment, AssignmentKind, GapArea, GapReason, GroupMember, Principal,
    PrincipalKind, PullGap, RoleDefinition, ScopeName, Surface, UserType,
};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::audit::{self, NewAuditEvent};
use crate::population::PullRecord;
use crate::stored::{Named, Time, optional, time};
use crate::{Result, Store, StoreError, format_time};

/// One raw response page as a pull got it, borrowed from the caller (pages can be large).
#[derive(Clone, Copy, Debug)]
pub struct PageRef<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub request_body: Option<&'a [u8]>,
    pub body: &'a [u8],
}

/// A raw page of the latest pull, as recorded: the request and the digest of the answer. (A
/// campaign's snapshot keeps the bytes themselves.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPage {
    pub method: String,
    pub url: String,
    pub request_body: Option<Vec<u8>>,
    /// SHA-256 of the response body, lowercase hex.
    pub body_sha256: String,
    pub body_length: u64,
}

/// Everything one pull found, replaced whole.
#[derive(Clone, Copy, Debug, Default)]
pub struct PopulationRows<'a> {
    pub roles: &'a [RoleDefinition],
    /// The names of administrative units and subscriptions assignments are scoped to.
    pub scope_names: &'a [ScopeName],
    pub assignments: &'a [Assignment],
    pub principals: &'a [Principal],
    pub group_members: &'a [GroupMember],
    pub activations: &'a [Activation],
    pub pages: &'a [PageRef<'a>],
    /// What the pull could not read, in words (e.g. no licence for sign-in activity).
    pub notes: &'a [String],
    /// What the pull could not read, per area and object, and why.
    pub gaps: &'a [PullGap],
    /// Activations with their event ids: appended to the tenant's history, never replaced.
    pub recorded: &'a [RecordedActivation],
    /// The stretch of the audit log this pull read completely, if it could read it.
    pub activity_read: Option<ReadWindow>,
}

/// From this many assignments on, a population is written without `assignment_role`, which is
/// built again after (the rebuild reads every tenant's rows, so a small pull keeps the index).
const REBUILD_INDEX_FROM: usize = 10_000;

/// `assignment_role` as migration 0001 made it.
const ASSIGNMENT_ROLE_INDEX: &str =
    "CREATE INDEX assignment_role ON assignment (tenant_id, surface, role_id)";

/// Page cache while a population is written: negative means KiB (256 MiB at most).
const BULK_CACHE_KIB: i64 = -262_144;

/// The pull's directory: role definitions, scope names, assignments, principals, group members
/// and the activations it read.
fn insert_directory(
    tx: &Connection,
    tenant_id: &str,
    pull_id: i64,
    rows: &PopulationRows<'_>,
) -> Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO role_definition (tenant_id, surface, id, display_name, is_built_in,
           permissions)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for role in rows.roles {
        let permissions = role
            .permissions
            .as_ref()
            .map(|p| serde_json::to_string(p).unwrap_or_else(|_| "[]".into()));
        insert.execute(params![
            tenant_id,
            role.surface.as_str(),
            role.id,
            role.display_name,
            role.is_built_in,
            permissions
        ])?;
    }
    // One name per scope: a subscription listed twice keeps its first name.
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO scope_name (tenant_id, scope, display_name)
         VALUES (?1, ?2, ?3)",
    )?;
    for name in rows.scope_names {
        insert.execute(params![tenant_id, name.scope.to_ascii_lowercase(), name.display_name])?;
    }
    insert_assignments(tx, tenant_id, pull_id, rows.assignments)?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO principal (tenant_id, id, kind, display_name, upn, mail,
           account_enabled, user_type, manager_id, last_sign_in, pull_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    for p in rows.principals {
        insert.execute(params![
            tenant_id,
            p.id,
            p.kind.as_str(),
            p.display_name,
            p.upn,
            p.mail,
            p.account_enabled,
            p.user_type.map(UserType::as_str),
            p.manager_id,
            p.last_sign_in.map(format_time),
            pull_id
        ])?;
    }
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO group_member (tenant_id, group_id, member_id, pull_id)
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    for m in rows.group_members {
        insert.execute(params![tenant_id, m.group_id, m.member_id, pull_id])?;
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO activation (tenant_id, surface, role_id, scope, principal_id, at, pull_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for a in rows.activations {
        insert.execute(params![
            tenant_id,
            a.surface.as_str(),
            a.role_id,
            a.scope,
            a.principal_id,
            format_time(a.at),
            pull_id
        ])?;
    }
    Ok(())
}

/// The pull's assignments, in key order.
fn insert_assignments(
    tx: &Connection,
    tenant_id: &str,
    pull_id: i64,
    assignments_in: &[Assignment],
) -> Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO assignment (tenant_id, surface, kind, source_id, role_id, scope,
           principal_id, principal_kind, principal_name, principal_upn, membership,
           start_at, end_at, pull_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?;
    // In key order: a hundred thousand inserts in random key order each walk the
    // primary-key index to a different page; in order they append.
    let mut assignments: Vec<&Assignment> = assignments_in.iter().collect();
    assignments.sort_unstable_by(|a, b| {
        (a.surface.as_str(), a.kind.as_str(), a.source_id.as_str()).cmp(&(
            b.surface.as_str(),
            b.kind.as_str(),
            b.source_id.as_str(),
        ))
    });
    // A large population goes in without the role index, which is built again after, by
    // sorting: inserting into it row by row, in an order that cannot suit both of the table's
    // indexes, took as long as writing the table.
    let rebuild_index = assignments_in.len() >= REBUILD_INDEX_FROM;
    if rebuild_index {
        tx.execute_batch("DROP INDEX IF EXISTS assignment_role")?;
    }
    for a in assignments {
        insert.execute(params![
            tenant_id,
            a.surface.as_str(),
            a.kind.as_str(),
            a.source_id,
            a.role_id,
            a.scope,
            a.principal_id,
            a.principal_kind.as_str(),
            a.principal_name,
            a.principal_upn,
            a.membership.as_str(),
            a.start.map(format_time),
            a.end.map(format_time),
            pull_id
        ])?;
    }
    if rebuild_index {
        tx.execute_batch(ASSIGNMENT_ROLE_INDEX)?;
    }
    Ok(())
}

/// What the pull read and how: its pages' digests, notes, the activation history it added, the
/// stretch of the audit log it read in full, and what it could not read.
fn insert_pull_record(
    tx: &Connection,
    tenant_id: &str,
    pull_id: i64,
    rows: &PopulationRows<'_>,
) -> Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO pull_page (pull_id, seq, method, url, request_body, body_sha256,
           body_length)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (seq, page) in rows.pages.iter().enumerate() {
        insert.execute(params![
            pull_id,
            seq as i64,
            page.method,
            page.url,
            page.request_body,
            hex::encode(Sha256::digest(page.body)),
            page.body.len() as i64
        ])?;
    }
    let mut insert =
        tx.prepare_cached("INSERT INTO pull_note (pull_id, seq, note) VALUES (?1, ?2, ?3)")?;
    for (seq, note) in rows.notes.iter().enumerate() {
        insert.execute(params![pull_id, seq as i64, note])?;
    }
    // History outlives the pull: an event already held keeps its first pull.
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO activation_event (tenant_id, event_id, surface, role_id,
           scope, principal_id, at, first_pull_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    // In key order, as the assignments; stable, so that of two events with one id the
    // first is still the one kept.
    let mut recorded: Vec<&RecordedActivation> = rows.recorded.iter().collect();
    recorded.sort_by(|a, b| a.event_id.cmp(&b.event_id));
    for r in recorded {
        let a = &r.activation;
        insert.execute(params![
            tenant_id,
            r.event_id,
            a.surface.as_str(),
            a.role_id,
            a.scope,
            a.principal_id,
            format_time(a.at),
            pull_id
        ])?;
    }
    if let Some(read) = rows.activity_read {
        tx.execute(
            "INSERT INTO activation_read (tenant_id, pull_id, since, until)
             VALUES (?1, ?2, ?3, ?4)",
            params![tenant_id, pull_id, format_time(read.since), format_time(read.until)],
        )?;
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO pull_gap (pull_id, seq, area, object_id, object_name, reason, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (seq, gap) in rows.gaps.iter().enumerate() {
        insert.execute(params![
            pull_id,
            seq as i64,
            gap.area.as_str(),
            gap.object_id,
            gap.object_name,
            gap.reason.as_str(),
            gap.detail
        ])?;
    }
    Ok(())
}

fn corrupt(table: &'static str, column: &'static str, value: String) -> StoreError {
    StoreError::Corrupt { table, column, value }
}

impl Store {
    /// Replaces the tenant's whole population (roles, assignments, principals, group members,
    /// activations, raw pages) in one transaction, with its audit event. Returns the pull's id.
    pub fn replace_population_full(
        &mut self,
        tenant_id: &str,
        pull: &PullRecord,
        rows: &PopulationRows<'_>,
    ) -> Result<i64> {
        // A large tenant writes tens of megabytes in this one transaction. With SQLite's default
        // 2 MB page cache the b-trees spill to the WAL half-way and are read back page by page;
        // a bigger cache for the write (memory is only taken as pages are used) avoids that.
        let cache: i64 = self.conn.pragma_query_value(None, "cache_size", |r| r.get(0))?;
        self.conn.pragma_update(None, "cache_size", BULK_CACHE_KIB)?;
        // Copying those megabytes from the WAL into the database is not part of the pull: the
        // commit leaves them in the WAL (readers and the next writer see them there, and a
        // crash loses nothing), and a connection of its own copies them back meanwhile.
        let checkpoint: i64 =
            self.conn.pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0))?;
        self.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let written = self.write_population(tenant_id, pull, rows);
        self.conn.pragma_update(None, "cache_size", cache)?;
        self.conn.pragma_update(None, "wal_autocheckpoint", checkpoint)?;
        if written.is_ok() {
            self.checkpoint_aside();
        }
        written
    }

    /// Copies the WAL back into the database on a thread and connection of its own. PASSIVE:
    /// it never waits for, or blocks, a reader or a writer; whatever it could not copy the next
    /// automatic checkpoint does.
    fn checkpoint_aside(&self) {
        let Some(path) = self.conn.path().filter(|p| !p.is_empty()).map(str::to_string) else {
            return;
        };
        let spawned =
            std::thread::Builder::new().name("recert-checkpoint".into()).spawn(move || {
                if let Ok(conn) = rusqlite::Connection::open(&path) {
                    let _ = conn.busy_timeout(std::time::Duration::from_secs(5));
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            });
        // No thread to be had: the next automatic checkpoint does it.
        drop(spawned);
    }

    fn write_population(
        &mut self,
        tenant_id: &str,
        pull: &PullRecord,
        rows: &PopulationRows<'_>,
    ) -> Result<i64> {
        let tx = self.conn.transaction()?;
        let known: Option<String> = tx
            .query_row("SELECT id FROM tenant WHERE id = ?1", [tenant_id], |r| r.get(0))
            .optional()?;
        if known.is_none() {
            return Err(StoreError::NoSuchTenant(tenant_id.to_string()));
        }
        tx.execute(
            "INSERT INTO pull (tenant_id, started_at, finished_at, actor, requests, raw_sha256)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                tenant_id,
                format_time(pull.started_at),
                format_time(pull.finished_at),
                pull.actor,
                pull.requests,
                pull.raw_sha256
            ],
        )?;
        let pull_id = tx.last_insert_rowid();
        // Only the latest pull's pages are kept; older pulls keep their record and hash.
        tx.execute(
            "DELETE FROM pull_page WHERE pull_id IN (SELECT id FROM pull WHERE tenant_id = ?1)",
            [tenant_id],
        )?;
        for table in [
            "assignment",
            "role_definition",
            "scope_name",
            "principal",
            "group_member",
            "activation",
        ] {
            tx.execute(&format!("DELETE FROM {table} WHERE tenant_id = ?1"), [tenant_id])?;
        }
        insert_directory(&tx, tenant_id, pull_id, rows)?;
        insert_pull_record(&tx, tenant_id, pull_id, rows)?;
        let count = |surface: Surface, kind: AssignmentKind| {
            rows.assignments.iter().filter(|a| a.surface == surface && a.kind == kind).count()
        };
        let surfaces: serde_json::Map<String, serde_json::Value> = Surface::ALL
            .into_iter()
            .map(|s| {
                (
                    s.as_str().to_string(),
                    serde_json::json!({
                        "eligible": count(s, AssignmentKind::Eligible),
                        "active": count(s, AssignmentKind::Active),
                    }),
                )
            })
            .collect();
        let eligible =
            rows.assignments.iter().filter(|a| a.kind == AssignmentKind::Eligible).count();
        audit::append(
            &tx,
            &NewAuditEvent {
                at: pull.finished_at,
                actor: &pull.actor,
                kind: "tenant.pulled",
                subject: &format!("tenant/{tenant_id}"),
                payload: serde_json::json!({
                    "pull": pull_id,
                    "roles": rows.roles.len(),
                    "eligible": eligible,
                    "active": rows.assignments.len() - eligible,
                    "surfaces": surfaces,
                    "principals": rows.principals.len(),
                    "groupMembers": rows.group_members.len(),
                    "activations": rows.activations.len(),
                    "requests": pull.requests,
                    "rawSha256": pull.raw_sha256,
                    "notes": rows.notes,
                    "gaps": rows.gaps.iter().map(PullGap::describe).collect::<Vec<_>>(),
                }),
            },
        )?;
        tx.commit()?;
        Ok(pull_id)
    }

    /// The principals of the latest pull, by id.
    pub fn principals(&self, tenant_id: &str) -> Result<Vec<Principal>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, kind, display_name, upn, mail, account_enabled, user_type, manager_id,
                    last_sign_in
             FROM principal WHERE tenant_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([tenant_id], |row| {
            Ok(Principal {
                id: row.get(0)?,
                kind: PrincipalKind::parse(&row.get::<_, String>(1)?),
                display_name: row.get(2)?,
                upn: row.get(3)?,
                mail: row.get(4)?,
                account_enabled: row.get(5)?,
                user_type: optional(row.get(6)?),
                manager_id: row.get(7)?,
                last_sign_in: time(row.get(8)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Transitive members of the groups that hold roles, as of the latest pull.
    pub fn group_members(&self, tenant_id: &str) -> Result<Vec<GroupMember>> {
        let mut stmt = self.conn.prepare(
            "SELECT group_id, member_id FROM group_member WHERE tenant_id = ?1
             ORDER BY group_id, member_id",
        )?;
        let rows = stmt.query_map([tenant_id], |row| {
            Ok(GroupMember { group_id: row.get(0)?, member_id: row.get(1)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Activation history as of the latest pull, newest first.
    pub fn activations(&self, tenant_id: &str) -> Result<Vec<Activation>> {
        let mut stmt = self.conn.prepare(
            "SELECT surface, role_id, scope, principal_id, at FROM activation WHERE tenant_id = ?1
             ORDER BY at DESC, principal_id, role_id",
        )?;
        let rows = stmt.query_map([tenant_id], |row| {
            Ok(Activation {
                surface: row.get::<_, Named<Surface>>(0)?.0,
                role_id: row.get(1)?,
                scope: row.get(2)?,
                principal_id: row.get(3)?,
                at: row.get::<_, Time>(4)?.0,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The raw pages of the tenant's latest pull, by digest, in hash order.
    pub fn pull_pages(&self, tenant_id: &str) -> Result<Vec<StoredPage>> {
        let mut stmt = self.conn.prepare(
            "SELECT method, url, request_body, body_sha256, body_length FROM pull_page
             WHERE pull_id = (SELECT MAX(id) FROM pull WHERE tenant_id = ?1) ORDER BY seq",
        )?;
        let rows = stmt.query_map([tenant_id], |row| {
            Ok(StoredPage {
                method: row.get(0)?,
                url: row.get(1)?,
                request_body: row.get(2)?,
                body_sha256: row.get(3)?,
                body_length: row.get::<_, i64>(4)?.max(0) as u64,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Every activation the tenant's pulls ever read (by event id), oldest first.
    pub fn recorded_activations(&self, tenant_id: &str) -> Result<Vec<RecordedActivation>> {
        let mut stmt = self.conn.prepare(
            "SELECT event_id, surface, role_id, scope, principal_id, at FROM activation_event
             WHERE tenant_id = ?1 ORDER BY at, event_id",
        )?;
        let rows = stmt.query_map([tenant_id], |row| {
            Ok(RecordedActivation {
                event_id: row.get(0)?,
                activation: Activation {
                    surface: row.get::<_, Named<Surface>>(1)?.0,
                    role_id: row.get(2)?,
                    scope: row.get(3)?,
                    principal_id: row.get(4)?,
                    at: row.get::<_, Time>(5)?.0,
                },
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Each stretch of the audit log the tenant's pulls read completely, oldest first.
    pub fn activation_reads(&self, tenant_id: &str) -> Result<Vec<ReadWindow>> {
        let mut stmt = self.conn.prepare(
            "SELECT since, until FROM activation_read WHERE tenant_id = ?1 ORDER BY pull_id",
        )?;
        let rows = stmt.query_map([tenant_id], |row| {
            Ok(ReadWindow { since: row.get::<_, Time>(0)?.0, until: row.get::<_, Time>(1)?.0 })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// What the tenant's latest pull could not read, per area and object, in the pull's order.
    pub fn pull_gaps(&self, tenant_id: &str) -> Result<Vec<PullGap>> {
        let mut stmt = self.conn.prepare(
            "SELECT area, object_id, object_name, reason, detail FROM pull_gap
             WHERE pull_id = (SELECT MAX(id) FROM pull WHERE tenant_id = ?1) ORDER BY seq",
        )?;
        let rows = stmt.query_map([tenant_id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
            ))
        })?;
        rows.map(|row| {
            let (area, object_id, object_name, reason, detail) = row?;
            Ok(PullGap {
                area: GapArea::parse(&area).ok_or_else(|| corrupt("pull_gap", "area", area))?,
                object_id,
                object_name,
                reason: GapReason::parse(&reason)
                    .ok_or_else(|| corrupt("pull_gap", "reason", reason))?,
                detail,
            })
        })
        .collect()
    }

    /// What the tenant's latest pull could not read.
    pub fn pull_notes(&self, tenant_id: &str) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare(
            "SELECT note FROM pull_note
             WHERE pull_id = (SELECT MAX(id) FROM pull WHERE tenant_id = ?1) ORDER BY seq",
        )?;
        let rows = stmt.query_map([tenant_id], |row| row.get(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The groups Recert has seen PIM for Groups govern in this tenant (object ids, lowercase,
    /// sorted): holding assignments in the latest pull, activated in any recorded activation, or
    /// left unread or ungovernable by the latest pull. A pull asks these again, so a group stays
    /// read (or stays reported) once found, even when it is not role-assignable.
    pub fn known_pim_groups(&self, tenant_id: &str) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare(
            "SELECT lower(scope) FROM assignment WHERE tenant_id = ?1 AND surface = 'pimGroup'
             UNION SELECT lower(scope) FROM activation_event
                 WHERE tenant_id = ?1 AND surface = 'pimGroup' AND scope <> ''
             UNION SELECT lower(object_id) FROM pull_gap
                 WHERE pull_id = (SELECT MAX(id) FROM pull WHERE tenant_id = ?1)
                   AND area = 'pimGroup' AND object_id IS NOT NULL
             ORDER BY 1",
        )?;
        let rows = stmt.query_map([tenant_id], |row| row.get(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{TenantKind, TenantRecord};
    use chrono::{DateTime, TimeZone, Utc};
    use recert_domain::Membership;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 31, 12, 0, 0).single().expect("valid time")
    }

    fn tenant(store: &mut Store) {
        let record = TenantRecord {
            id: "t".into(),
            name: "Fabrikam".into(),
            kind: TenantKind::Entra,
            tenant_guid: "g".into(),
        };
        store.upsert_tenant(&record, "tester", now()).expect("tenant");
    }

    fn pull() -> PullRecord {
        PullRecord {
            started_at: now(),
            finished_at: now(),
            actor: "tester".into(),
            requests: 2,
            raw_sha256: "cd".into(),
        }
    }

    fn user(id: &str, manager: Option<&str>) -> Principal {
        Principal {
            id: id.into(),
            kind: PrincipalKind::User,
            display_name: format!("山田 {id}"),
            upn: Some(format!("{id}@fabrikam.test")),
            mail: None,
            account_enabled: Some(true),
            user_type: Some(UserType::Guest),
            manager_id: manager.map(str::to_string),
            last_sign_in: Some(now()),
        }
    }

    #[test]
    fn the_directory_round_trips_and_is_replaced_with_the_population() {
        let mut store = Store::open_in_memory().expect("store");
        tenant(&mut store);
        let roles = [RoleDefinition {
            surface: Surface::PimGroup,
            id: "member".into(),
            display_name: "Group member".into(),
            is_built_in: true,
            permissions: None,
        }];
        let assignments = [Assignment {
            surface: Surface::PimGroup,
            source_id: "s1".into(),
            role_id: "member".into(),
            scope: "g1".into(),
            principal_id: "u1".into(),
            principal_kind: PrincipalKind::User,
            principal_name: "山田 u1".into(),
            principal_upn: None,
            kind: AssignmentKind::Eligible,
            membership: Membership::Direct,
            start: None,
            end: None,
        }];
        let principals = [user("u1", Some("u2")), user("u2", None)];
        let members = [GroupMember { group_id: "g1".into(), member_id: "u1".into() }];
        let activations = [Activation {
            surface: Surface::DirectoryRole,
            role_id: "r".into(),
            scope: "/".into(),
            principal_id: "u1".into(),
            at: now(),
        }];
        let pages = [PageRef {
            method: "POST",
            url: "https://g/v1.0/directoryObjects/getByIds",
            request_body: Some(b"{}"),
            body: b"{\"value\":[]}",
        }];
        let notes = ["last sign-in was not read".to_string()];
        let gaps = [PullGap {
            area: GapArea::PimGroup,
            object_id: Some("g2".into()),
            object_name: Some("Finance admins".into()),
            reason: GapReason::Forbidden,
            detail: "Authorization_RequestDenied".into(),
        }];
        let rows = PopulationRows {
            roles: &roles,
            assignments: &assignments,
            principals: &principals,
            group_members: &members,
            activations: &activations,
            pages: &pages,
            notes: &notes,
            gaps: &gaps,
            ..Default::default()
        };
        store.replace_population_full("t", &pull(), &rows).expect("stored");
        assert_eq!(store.pull_gaps("t").expect("read"), gaps.to_vec());
        assert_eq!(store.principals("t").expect("read"), principals.to_vec());
        assert_eq!(store.group_members("t").expect("read"), members.to_vec());
        assert_eq!(store.activations("t").expect("read"), activations.to_vec());
        assert_eq!(store.pull_notes("t").expect("read"), notes.to_vec());
        let stored = store.pull_pages("t").expect("read");
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].request_body.as_deref(), Some(&b"{}"[..]));
        // `printf '{"value":[]}' | sha256sum`
        assert_eq!(
            stored[0].body_sha256,
            "99bcfca61a865fe7ac5bb675250de956e8e0fb175d59adac80bb2fb177154a2c"
        );
        assert_eq!(stored[0].body_length, 12);
        let population = store.population("t").expect("read").expect("pulled");
        assert_eq!(population.assignments, assignments.to_vec());
        // The groups a next pull asks again: one holding an assignment, one it could not read.
        assert_eq!(store.known_pim_groups("t").expect("read"), vec!["g1", "g2"]);

        // The next pull replaces all of it, pages included — but not the recorded history.
        store.replace_population("t", &pull(), &roles, &[]).expect("second pull");
        assert!(store.principals("t").expect("read").is_empty());
        assert!(store.group_members("t").expect("read").is_empty());
        assert!(store.activations("t").expect("read").is_empty());
        assert!(store.pull_pages("t").expect("read").is_empty());
        assert!(store.pull_gaps("t").expect("read").is_empty(), "gaps are the latest pull's");
        let event = store.audit_events(Some("tenant/t")).expect("events").pop().expect("one");
        assert_eq!(event.kind, "tenant.pulled");
    }

    #[test]
    fn a_large_population_is_written_whole_and_keeps_the_role_index() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut store = Store::open(&dir.path().join("large.db")).expect("store");
        tenant(&mut store);
        let assignment = |i: usize| Assignment {
            surface: Surface::DirectoryRole,
            source_id: format!("{:08x}", i.wrapping_mul(2_654_435_761) % 1_000_000_007),
            role_id: format!("role-{}", i % 7),
            scope: "/".into(),
            principal_id: format!("u{}", i % 900),
            principal_kind: PrincipalKind::User,
            principal_name: format!("山田 {i}"),
            principal_upn: None,
            kind: if i.is_multiple_of(3) {
                AssignmentKind::Active
            } else {
                AssignmentKind::Eligible
            },
            membership: Membership::Direct,
            start: Some(now()),
            end: None,
        };
        let assignments: Vec<Assignment> = (0..REBUILD_INDEX_FROM + 5).map(assignment).collect();
        let rows = PopulationRows { assignments: &assignments, ..Default::default() };
        store.replace_population_full("t", &pull(), &rows).expect("stored");
        let population = store.population("t").expect("read").expect("pulled");
        assert_eq!(population.assignments.len(), assignments.len());
        let mut expected = assignments.clone();
        expected.sort_by(|a, b| {
            (&a.role_id, a.kind.as_str(), &a.source_id).cmp(&(
                &b.role_id,
                b.kind.as_str(),
                &b.source_id,
            ))
        });
        assert_eq!(population.assignments, expected, "every row, as written");
        let index: String = store
            .conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'assignment_role'",
                [],
                |r| r.get(0),
            )
            .expect("the role index is back");
        assert_eq!(index, ASSIGNMENT_ROLE_INDEX);
        let plan: String = store
            .conn
            .query_row(
                "EXPLAIN QUERY PLAN SELECT count(*) FROM assignment
                 WHERE tenant_id = 't' AND surface = 'directoryRole' AND role_id = 'role-3'",
                [],
                |r| r.get(3),
            )
            .expect("a plan");
        assert!(plan.contains("assignment_role"), "{plan}");
        // New databases take 16 KiB pages.
        let page: i64 =
            store.conn.pragma_query_value(None, "page_size", |r| r.get(0)).expect("page size");
        assert_eq!(page, 16_384);
    }

    #[test]
    fn a_failed_write_leaves_the_previous_pull_in_place() {
        let mut store = Store::open_in_memory().expect("store");
        tenant(&mut store);
        let principals = [user("u1", None)];
        let rows = PopulationRows { principals: &principals, ..Default::default() };
        store.replace_population_full("t", &pull(), &rows).expect("first pull");
        // Two principals with the same id violate the key half-way through the second write.
        let twice = [user("u9", None), user("u9", None)];
        let rows = PopulationRows { principals: &twice, ..Default::default() };
        store.replace_population_full("t", &pull(), &rows).expect_err("duplicate key");
        assert_eq!(store.principals("t").expect("read"), principals.to_vec());
    }
}

#[cfg(test)]
mod migration_tests {
    use rusqlite::Connection;

    /// A database written by a build that only knew 0001 keeps its data and gains the directory
    /// tables, empty, when opened by this one.
    #[test]
    fn a_0001_database_migrates_with_its_data() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("old.db");
        {
            let conn = Connection::open(&path).expect("open");
            conn.execute_batch(include_str!("../migrations/0001_init.sql")).expect("0001");
            conn.pragma_update(None, "user_version", 1).expect("version");
            conn.execute_batch(
                "INSERT INTO tenant VALUES ('demo', 'Contoso', 'demo', 'g', '2026-01-01T00:00:00.000Z');
                 INSERT INTO pull VALUES (1, 'demo', '2026-01-01T00:00:00.000Z',
                   '2026-01-01T00:00:01.000Z', 'tester', 3, 'ab');
                 INSERT INTO assignment VALUES ('demo', 'directoryRole', 'active', 's1', 'ga', '/',
                   'u1', 'user', 'Ada', NULL, 'direct', NULL, NULL, 1);",
            )
            .expect("0001 data");
        }
        let store = crate::Store::open(&path).expect("migrated");
        assert!(store.schema_version().expect("version") >= 2);
        let population = store.population("demo").expect("read").expect("kept");
        assert_eq!(population.assignments.len(), 1, "0001 rows survive");
        assert!(store.principals("demo").expect("read").is_empty());
        assert!(store.pull_pages("demo").expect("read").is_empty());
        assert_eq!(store.connection("demo").expect("read"), None);
    }
}

#[cfg(test)]
mod history_tests {
    use super::*;
    use crate::population::PullRecord;
    use crate::{TenantKind, TenantRecord};
    use chrono::{DateTime, Duration, TimeZone, Utc};

    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 9, d, 12, 0, 0).single().expect("valid time")
    }

    fn recorded(id: &str, at: DateTime<Utc>) -> RecordedActivation {
        RecordedActivation {
            event_id: id.into(),
            activation: Activation {
                surface: Surface::DirectoryRole,
                role_id: "r".into(),
                scope: "/".into(),
                principal_id: "u1".into(),
                at,
            },
        }
    }

    fn pull_at(store: &mut Store, at: DateTime<Utc>, events: &[RecordedActivation], read: bool) {
        let record = PullRecord {
            started_at: at,
            finished_at: at,
            actor: "tester".into(),
            requests: 1,
            raw_sha256: "ab".into(),
        };
        let window = read.then_some(ReadWindow { since: at - Duration::days(30), until: at });
        let rows = PopulationRows { recorded: events, activity_read: window, ..Default::default() };
        store.replace_population_full("t", &record, &rows).expect("stored");
    }

    /// Each pull appends the events it read by id; an event read again is kept once, with its
    /// first reading; the population's replacement leaves the history alone.
    #[test]
    fn activation_history_is_appended_by_event_id_and_never_replaced() {
        let mut store = Store::open_in_memory().expect("store");
        let tenant = TenantRecord {
            id: "t".into(),
            name: "Fabrikam".into(),
            kind: TenantKind::Entra,
            tenant_guid: "g".into(),
        };
        store.upsert_tenant(&tenant, "tester", day(1)).expect("tenant");
        pull_at(&mut store, day(1), &[recorded("e1", day(1) - Duration::days(20))], true);
        pull_at(
            &mut store,
            day(20),
            &[recorded("e1", day(1) - Duration::days(20)), recorded("e2", day(19))],
            true,
        );
        // A pull that could not read the log adds no window and no events.
        pull_at(&mut store, day(25), &[], false);
        let ids: Vec<String> = store
            .recorded_activations("t")
            .expect("read")
            .into_iter()
            .map(|r| r.event_id)
            .collect();
        assert_eq!(ids, ["e1", "e2"], "appended by id, kept across later pulls");
        let reads = store.activation_reads("t").expect("read");
        assert_eq!(reads.len(), 2);
        assert_eq!(
            recert_domain::history::recorded_since(&reads),
            Some(day(1) - Duration::days(30)),
            "two overlapping reads make one history"
        );
    }
}
