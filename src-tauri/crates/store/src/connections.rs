//! How to reach each real tenant: its cloud and sign-in method. Never a secret: a client secret is
//! supplied at run time and refresh tokens live in the OS keychain (DESIGN.md invariant 7).

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use crate::audit::{self, NewAuditEvent};
use crate::{Result, Store, StoreError, format_time};

/// The sign-in method of a tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    /// A person signs in (authorization code + PKCE, or device code).
    Interactive,
    /// App-only with a client secret given at run time.
    AppSecret,
    /// App-only with a certificate read from `certificate_path`.
    AppCertificate,
    /// The developer's Azure CLI sign-in.
    AzureCli,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Interactive => "interactive",
            AuthMethod::AppSecret => "appSecret",
            AuthMethod::AppCertificate => "appCertificate",
            AuthMethod::AzureCli => "azureCli",
        }
    }

    pub fn parse(s: &str) -> Option<AuthMethod> {
        [
            AuthMethod::Interactive,
            AuthMethod::AppSecret,
            AuthMethod::AppCertificate,
            AuthMethod::AzureCli,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

/// A tenant's connection settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionRecord {
    pub tenant_id: String,
    /// `public`, `usGovernment`, `china` or `custom`.
    pub cloud: String,
    /// The base URL of a `custom` cloud.
    pub base_url: Option<String>,
    pub auth: AuthMethod,
    pub client_id: Option<String>,
    pub certificate_path: Option<String>,
}

impl Store {
    /// Saves how to reach a tenant (which must exist), audited.
    pub fn save_connection(
        &mut self,
        connection: &ConnectionRecord,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let known: Option<String> = tx
            .query_row("SELECT id FROM tenant WHERE id = ?1", [&connection.tenant_id], |r| r.get(0))
            .optional()?;
        if known.is_none() {
            return Err(StoreError::NoSuchTenant(connection.tenant_id.clone()));
        }
        tx.execute(
            "INSERT INTO tenant_connection (tenant_id, cloud, base_url, auth, client_id,
               certificate_path, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (tenant_id) DO UPDATE SET cloud = excluded.cloud,
               base_url = excluded.base_url, auth = excluded.auth, client_id = excluded.client_id,
               certificate_path = excluded.certificate_path, updated_at = excluded.updated_at",
            params![
                connection.tenant_id,
                connection.cloud,
                connection.base_url,
                connection.auth.as_str(),
                connection.client_id,
                connection.certificate_path,
                format_time(now)
            ],
        )?;
        audit::append(
            &tx,
            &NewAuditEvent {
                at: now,
                actor,
                kind: "tenant.connectionSaved",
                subject: &format!("tenant/{}", connection.tenant_id),
                payload: serde_json::json!({
                    "cloud": connection.cloud,
                    "baseUrl": connection.base_url,
                    "auth": connection.auth.as_str(),
                    "clientId": connection.client_id,
                }),
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The connection settings of a tenant, if saved.
    pub fn connection(&self, tenant_id: &str) -> Result<Option<ConnectionRecord>> {
        self.conn
            .query_row(
                "SELECT tenant_id, cloud, base_url, auth, client_id, certificate_path
                 FROM tenant_connection WHERE tenant_id = ?1",
                [tenant_id],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, Option<String>>(2)?,
                        row.get::<_, String>(3)?,
                        row.get::<_, Option<String>>(4)?,
                        row.get::<_, Option<String>>(5)?,
                    ))
                },
            )
            .optional()?
            .map(|(tenant_id, cloud, base_url, auth, client_id, certificate_path)| {
                let auth = AuthMethod::parse(&auth).ok_or(StoreError::Corrupt {
                    table: "tenant_connection",
                    column: "auth",
                    value: auth.clone(),
                })?;
                Ok(ConnectionRecord {
                    tenant_id,
                    cloud,
                    base_url,
                    auth,
                    client_id,
                    certificate_path,
                })
            })
            .transpose()
    }

    /// Every tenant Recert knows, by id.
    pub fn tenants(&self) -> Result<Vec<crate::TenantRecord>> {
        let ids: Vec<String> = self
            .conn
            .prepare("SELECT id FROM tenant ORDER BY id")?
            .query_map([], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter().map(|id| self.tenant(id)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{TenantKind, TenantRecord};
    use chrono::TimeZone;

    #[test]
    fn connection_settings_round_trip_without_secrets() {
        let now = Utc.with_ymd_and_hms(2026, 3, 31, 12, 0, 0).single().expect("time");
        let mut store = Store::open_in_memory().expect("store");
        let tenant = TenantRecord {
            id: "fab".into(),
            name: "Fabrikam".into(),
            kind: TenantKind::Entra,
            tenant_guid: "g".into(),
        };
        store.upsert_tenant(&tenant, "tester", now).expect("tenant");
        assert_eq!(store.connection("fab").expect("read"), None);
        let record = ConnectionRecord {
            tenant_id: "fab".into(),
            cloud: "usGovernment".into(),
            base_url: None,
            auth: AuthMethod::AppSecret,
            client_id: Some("c".into()),
            certificate_path: None,
        };
        store.save_connection(&record, "tester", now).expect("saved");
        assert_eq!(store.connection("fab").expect("read"), Some(record));
        assert_eq!(store.tenants().expect("list"), vec![tenant]);
        let unknown = ConnectionRecord {
            tenant_id: "nope".into(),
            ..store.connection("fab").expect("read").expect("saved")
        };
        assert!(matches!(
            store.save_connection(&unknown, "tester", now),
            Err(StoreError::NoSuchTenant(_))
        ));
    }
}
