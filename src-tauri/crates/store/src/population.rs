//! The latest pulled population of a tenant: role definitions and assignments, replaced whole by
//! each successful pull so a failed pull never leaves a half-updated picture.

use chrono::{DateTime, Utc};
use recert_domain::{
    Assignment, AssignmentKind, Membership, PrincipalKind, RoleDefinition, Surface,
};
use rusqlite::OptionalExtension;

use crate::stored::{Named, Time, time};
use crate::{Result, Store, StoreError};

/// What a pull did, for the extraction record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullRecord {
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub actor: String,
    pub requests: u32,
    /// SHA-256 over every raw response page, in request order.
    pub raw_sha256: String,
}

/// A tenant's population as last pulled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PopulationRecord {
    pub pull: PullRecord,
    pub roles: Vec<RoleDefinition>,
    pub assignments: Vec<Assignment>,
}

/// A role's permissions as stored (a JSON array, or NULL where none were read).
fn permissions_from(value: Option<String>) -> Result<Option<Vec<String>>> {
    value
        .map(|json| {
            serde_json::from_str(&json).map_err(|_| StoreError::Corrupt {
                table: "role_definition",
                column: "permissions",
                value: json,
            })
        })
        .transpose()
}

/// A role of the catalogue: built in or custom, and its permissions (`None` where none were read).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CatalogueRole {
    pub is_built_in: bool,
    pub permissions: Option<Vec<String>>,
}

/// What the latest pull read about a tenant's roles and scopes, for the reviewer's facts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleCatalogue {
    /// Each role by (surface, role id lowercase).
    pub roles: std::collections::HashMap<(String, String), CatalogueRole>,
    /// Scope names by scope, lowercase.
    pub scope_names: std::collections::HashMap<String, String>,
}

pub(crate) fn surface(value: String) -> Result<Surface> {
    Surface::parse(&value).ok_or(StoreError::Corrupt {
        table: "assignment",
        column: "surface",
        value,
    })
}

impl Store {
    /// The tenant's role permissions and scope names as the latest pull read them: small tables
    /// (a role catalogue, a few units and subscriptions), read whole.
    pub fn role_catalogue(&self, tenant_id: &str) -> Result<RoleCatalogue> {
        let mut catalogue = RoleCatalogue::default();
        let mut stmt = self.conn.prepare_cached(
            "SELECT surface, id, is_built_in, permissions FROM role_definition
             WHERE tenant_id = ?1",
        )?;
        let rows = stmt.query_map([tenant_id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, bool>(2)?,
                row.get::<_, Option<String>>(3)?,
            ))
        })?;
        for row in rows {
            let (surface, id, is_built_in, permissions) = row?;
            let role = CatalogueRole { is_built_in, permissions: permissions_from(permissions)? };
            catalogue.roles.insert((surface, id.to_ascii_lowercase()), role);
        }
        let mut stmt = self
            .conn
            .prepare_cached("SELECT scope, display_name FROM scope_name WHERE tenant_id = ?1")?;
        let rows = stmt.query_map([tenant_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
        for row in rows {
            let (scope, name): (String, String) = row?;
            catalogue.scope_names.insert(scope, name);
        }
        Ok(catalogue)
    }

    /// The Entra and Azure roles each of `group_ids` holds in the tenant's latest pull, as
    /// (group id, surface, role id, role name), the name the role id where the catalogue has
    /// none. Each role once per group, whatever its scopes and kinds.
    pub fn roles_held_by_groups(
        &self,
        tenant_id: &str,
        group_ids: &[&str],
    ) -> Result<Vec<(String, String, String, String)>> {
        // `principal_kind = 'group'` lets the partial index `assignment_group_principal` answer.
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT a.surface, a.role_id, COALESCE(r.display_name, a.role_id)
             FROM assignment a
             LEFT JOIN role_definition r
               ON r.tenant_id = a.tenant_id AND r.surface = a.surface AND r.id = a.role_id
             WHERE a.tenant_id = ?1 AND a.principal_kind = 'group' AND a.principal_id = ?2
               AND a.surface IN ('directoryRole', 'azureRole')
             ORDER BY 3, 2",
        )?;
        let mut out = Vec::new();
        for group in group_ids {
            let rows = stmt.query_map(rusqlite::params![tenant_id, group], |row| {
                Ok((group.to_string(), row.get(0)?, row.get(1)?, row.get(2)?))
            })?;
            for row in rows {
                out.push(row?);
            }
        }
        Ok(out)
    }

    /// Replaces the tenant's roles and assignments (and, with them, its directory data, emptied)
    /// in one transaction, with its audit event. A full pull uses
    /// [`Store::replace_population_full`].
    pub fn replace_population(
        &mut self,
        tenant_id: &str,
        pull: &PullRecord,
        roles: &[RoleDefinition],
        assignments: &[Assignment],
    ) -> Result<i64> {
        let rows = crate::directory::PopulationRows { roles, assignments, ..Default::default() };
        self.replace_population_full(tenant_id, pull, &rows)
    }

    /// The latest population, or `None` before the first pull.
    pub fn population(&self, tenant_id: &str) -> Result<Option<PopulationRecord>> {
        let pull = self
            .conn
            .query_row(
                "SELECT started_at, finished_at, actor, requests, raw_sha256 FROM pull
                 WHERE tenant_id = ?1 ORDER BY id DESC LIMIT 1",
                [tenant_id],
                |row| {
                    Ok(PullRecord {
                        started_at: row.get::<_, Time>(0)?.0,
                        finished_at: row.get::<_, Time>(1)?.0,
                        actor: row.get(2)?,
                        requests: row.get(3)?,
                        raw_sha256: row.get(4)?,
                    })
                },
            )
            .optional()?;
        let Some(pull) = pull else {
            return Ok(None);
        };

        let mut stmt = self.conn.prepare(
            "SELECT surface, id, display_name, is_built_in, permissions FROM role_definition
             WHERE tenant_id = ?1 ORDER BY surface, display_name",
        )?;
        let roles = stmt
            .query_map([tenant_id], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get::<_, Option<String>>(4)?,
                ))
            })?
            .map(|row| {
                let (s, id, display_name, is_built_in, permissions) = row?;
                Ok(RoleDefinition {
                    surface: surface(s)?,
                    id,
                    display_name,
                    is_built_in,
                    permissions: permissions_from(permissions)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;

        let mut stmt = self.conn.prepare(
            "SELECT surface, kind, source_id, role_id, scope, principal_id, principal_kind,
                    principal_name, principal_upn, membership, start_at, end_at
             FROM assignment WHERE tenant_id = ?1 ORDER BY surface, role_id, kind, source_id",
        )?;
        let assignments = stmt
            .query_map([tenant_id], |row| {
                Ok(Assignment {
                    surface: row.get::<_, Named<Surface>>(0)?.0,
                    kind: row.get::<_, Named<AssignmentKind>>(1)?.0,
                    source_id: row.get(2)?,
                    role_id: row.get(3)?,
                    scope: row.get(4)?,
                    principal_id: row.get(5)?,
                    principal_kind: PrincipalKind::parse(&row.get::<_, String>(6)?),
                    principal_name: row.get(7)?,
                    principal_upn: row.get(8)?,
                    membership: row.get::<_, Named<Membership>>(9)?.0,
                    start: time(row.get(10)?),
                    end: time(row.get(11)?),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Some(PopulationRecord { pull, roles, assignments }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{TenantKind, TenantRecord};
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 31, 12, 0, 0).single().expect("valid time")
    }

    fn demo(store: &mut Store) {
        let tenant = TenantRecord {
            id: "demo".into(),
            name: "Contoso (demo)".into(),
            kind: TenantKind::Demo,
            tenant_guid: "t".into(),
        };
        store.upsert_tenant(&tenant, "tester", now()).expect("tenant");
    }

    fn pull() -> PullRecord {
        PullRecord {
            started_at: now(),
            finished_at: now(),
            actor: "tester".into(),
            requests: 3,
            raw_sha256: "ab".into(),
        }
    }

    fn grant(source_id: &str, kind: AssignmentKind) -> Assignment {
        Assignment {
            surface: Surface::DirectoryRole,
            source_id: source_id.into(),
            role_id: "ga".into(),
            scope: "/".into(),
            principal_id: "u1".into(),
            principal_kind: PrincipalKind::User,
            principal_name: "Łukasz Żółć".into(),
            principal_upn: Some("lukasz@contoso.test".into()),
            kind,
            membership: Membership::Direct,
            start: Some(now()),
            end: None,
        }
    }

    #[test]
    fn population_round_trips_and_is_replaced_whole() {
        let mut store = Store::open_in_memory().expect("store");
        demo(&mut store);
        assert_eq!(store.population("demo").expect("read"), None);
        let roles = [RoleDefinition {
            surface: Surface::DirectoryRole,
            id: "ga".into(),
            display_name: "Global Administrator".into(),
            is_built_in: true,
            permissions: None,
        }];
        let first = [grant("a", AssignmentKind::Active), grant("b", AssignmentKind::Eligible)];
        store.replace_population("demo", &pull(), &roles, &first).expect("first pull");
        let second = [grant("c", AssignmentKind::Eligible)];
        store.replace_population("demo", &pull(), &roles, &second).expect("second pull");
        let got = store.population("demo").expect("read").expect("pulled");
        assert_eq!(got.assignments, second.to_vec(), "the second pull replaces the first");
        assert_eq!(got.roles, roles.to_vec());
        let kinds: Vec<_> = store
            .audit_events(Some("tenant/demo"))
            .expect("events")
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, ["tenant.added", "tenant.pulled", "tenant.pulled"]);
    }

    #[test]
    fn a_pull_for_an_unknown_tenant_writes_nothing() {
        let mut store = Store::open_in_memory().expect("store");
        let err = store.replace_population("nope", &pull(), &[], &[]).expect_err("unknown tenant");
        assert!(matches!(err, StoreError::NoSuchTenant(_)));
        assert!(store.audit_events(None).expect("events").is_empty());
    }

    #[test]
    fn the_roles_a_group_holds_are_read_by_the_group_through_its_own_index() {
        let mut store = Store::open_in_memory().expect("store");
        demo(&mut store);
        let role = |id: &str, name: &str| RoleDefinition {
            surface: Surface::DirectoryRole,
            id: id.into(),
            display_name: name.into(),
            is_built_in: true,
            permissions: None,
        };
        let roles = [role("ga", "Global Administrator"), role("hd", "Helpdesk Administrator")];
        let by_group = |source: &str, role_id: &str, kind: AssignmentKind| Assignment {
            role_id: role_id.into(),
            principal_id: "g1".into(),
            principal_kind: PrincipalKind::Group,
            principal_name: "Tier 0 operators".into(),
            principal_upn: None,
            ..grant(source, kind)
        };
        let assignments = [
            grant("a", AssignmentKind::Active),
            by_group("b", "hd", AssignmentKind::Eligible),
            by_group("c", "hd", AssignmentKind::Active),
            by_group("d", "custom-unknown", AssignmentKind::Active),
        ];
        store.replace_population("demo", &pull(), &roles, &assignments).expect("pull");
        let held = store.roles_held_by_groups("demo", &["g1", "u1", "g2"]).expect("read");
        let line =
            |r: &(String, String, String, String)| format!("{} {} {} {}", r.0, r.1, r.2, r.3);
        assert_eq!(
            held.iter().map(line).collect::<Vec<_>>(),
            [
                "g1 directoryRole hd Helpdesk Administrator",
                "g1 directoryRole custom-unknown custom-unknown",
            ],
            "once per role, named from the catalogue (the id where it has none); a user is no group"
        );
        let plan: String = store
            .conn
            .query_row(
                "EXPLAIN QUERY PLAN SELECT role_id FROM assignment
                 WHERE tenant_id = 'demo' AND principal_kind = 'group' AND principal_id = 'g1'",
                [],
                |row| row.get(3),
            )
            .expect("a plan");
        assert!(plan.contains("assignment_group_principal"), "{plan}");
    }
}
