//! Tenants Recert knows: the built-in demo tenant and connected Entra tenants. No secrets here:
//! credentials live in memory or the OS keychain (DESIGN.md invariant 7).

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use crate::audit::{self, NewAuditEvent};
use crate::{Result, Store, StoreError, format_time};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TenantKind {
    Demo,
    Entra,
}

impl TenantKind {
    fn as_str(self) -> &'static str {
        match self {
            TenantKind::Demo => "demo",
            TenantKind::Entra => "entra",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantRecord {
    pub id: String,
    pub name: String,
    pub kind: TenantKind,
    pub tenant_guid: String,
}

impl Store {
    /// Adds the tenant, or updates its name and GUID; audited either way when something changed.
    pub fn upsert_tenant(
        &mut self,
        tenant: &TenantRecord,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let existing: Option<(String, String)> = tx
            .query_row("SELECT name, tenant_guid FROM tenant WHERE id = ?1", [&tenant.id], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()?;
        let unchanged = existing
            .as_ref()
            .is_some_and(|(name, guid)| *name == tenant.name && *guid == tenant.tenant_guid);
        if !unchanged {
            tx.execute(
                "INSERT INTO tenant (id, name, kind, tenant_guid, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, tenant_guid = excluded.tenant_guid",
                params![tenant.id, tenant.name, tenant.kind.as_str(), tenant.tenant_guid, format_time(now)],
            )?;
            audit::append(
                &tx,
                &NewAuditEvent {
                    at: now,
                    actor,
                    kind: if existing.is_some() { "tenant.updated" } else { "tenant.added" },
                    subject: &format!("tenant/{}", tenant.id),
                    payload: serde_json::json!({
                        "name": tenant.name,
                        "kind": tenant.kind.as_str(),
                        "tenantGuid": tenant.tenant_guid,
                    }),
                },
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn tenant(&self, id: &str) -> Result<TenantRecord> {
        self.conn
            .query_row(
                "SELECT id, name, kind, tenant_guid FROM tenant WHERE id = ?1",
                [id],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get(1)?,
                        row.get::<_, String>(2)?,
                        row.get(3)?,
                    ))
                },
            )
            .optional()?
            .ok_or_else(|| StoreError::NoSuchTenant(id.to_string()))
            .and_then(|(id, name, kind, tenant_guid)| {
                let kind = match kind.as_str() {
                    "demo" => TenantKind::Demo,
                    "entra" => TenantKind::Entra,
                    _ => {
                        return Err(StoreError::Corrupt {
                            table: "tenant",
                            column: "kind",
                            value: kind,
                        });
                    }
                };
                Ok(TenantRecord { id, name, kind, tenant_guid })
            })
    }
}
