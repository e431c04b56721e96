//! Real tenants: adding one (its cloud and sign-in method, saved without secrets), listing them,
//! connecting from the saved settings, and a person's sign-in and sign-out. The demo tenant is
//! connected by the shell as before.

use std::sync::Arc;
use std::time::Duration;

use recert_graph::preflight::CheckState;
use recert_graph::{Cloud, Identity, PublicClient};
use recert_store::{AuthMethod, ConnectionRecord, TenantKind, TenantRecord};

use crate::context::{Reach, Session, lock, tenant_dto};
use crate::dto::{
    CheckStateDto, DeviceCodeDto, SignedInDto, TenantCheckDto, TenantCheckRowDto, TenantDto,
    TenantListItemDto, TenantSettingsDto,
};
use crate::error::FieldErrorDto;
use crate::{App, AppError, ErrorCode, TenantAuth, TenantConnection};

/// Why the Azure CLI's sign-in cannot pull: its token for Graph is issued to the Azure CLI's own
/// app registration, whose fixed delegated permissions include none of PIM's.
pub const AZURE_CLI_REFUSED: &str = "the Azure CLI sign-in cannot pull: its token for \
    Microsoft Graph carries the Azure CLI's fixed permissions, which include none that PIM \
    needs (RoleEligibilitySchedule.*, RoleAssignmentSchedule.*, PrivilegedEligibilitySchedule.*, \
    PrivilegedAssignmentSchedule.*); register an app (see the README) and sign in through it, \
    interactively or app-only";

/// How long a browser sign-in may take before Recert stops waiting.
const BROWSER_SIGN_IN_TIMEOUT: Duration = Duration::from_secs(300);

fn invalid(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::Invalid, message)
}

fn identity_dto(identity: Identity) -> SignedInDto {
    SignedInDto { oid: identity.oid, tid: identity.tid, upn: identity.upn, name: identity.name }
}

fn settings_dto(tenant: &TenantRecord, c: &ConnectionRecord) -> TenantSettingsDto {
    TenantSettingsDto {
        id: tenant.id.clone(),
        name: tenant.name.clone(),
        tenant_guid: tenant.tenant_guid.clone(),
        cloud: c.cloud.clone(),
        base_url: c.base_url.clone(),
        auth: c.auth.as_str().to_string(),
        client_id: c.client_id.clone(),
        certificate_path: c.certificate_path.clone(),
    }
}

/// Checks the settings and makes the records to save.
fn validate(s: &TenantSettingsDto) -> Result<(TenantRecord, ConnectionRecord, Cloud), AppError> {
    let id = s.id.trim();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(invalid("the tenant id must be letters, digits, '-' or '_'"));
    }
    if id == "demo" {
        return Err(invalid("\"demo\" is the built-in demo tenant"));
    }
    if uuid_like(&s.tenant_guid).is_none() {
        return Err(invalid(format!("{:?} is not a directory (tenant) id", s.tenant_guid)));
    }
    let cloud = Cloud::by_name(&s.cloud, s.base_url.as_deref()).ok_or_else(|| {
        invalid("the cloud must be public, usGovernment, china, or custom with a base URL")
    })?;
    let auth = AuthMethod::parse(&s.auth).ok_or_else(|| {
        invalid("the sign-in must be interactive, appSecret, appCertificate or azureCli")
    })?;
    if auth == AuthMethod::AzureCli {
        return Err(AppError::fields(
            AZURE_CLI_REFUSED,
            vec![FieldErrorDto { field: "auth".into(), message: AZURE_CLI_REFUSED.into() }],
        ));
    }
    let client_id = s.client_id.as_deref().map(str::trim).filter(|c| !c.is_empty());
    if auth != AuthMethod::AzureCli && client_id.is_none() {
        return Err(invalid("an app registration (client id) is needed for this sign-in"));
    }
    if auth == AuthMethod::AppCertificate && s.certificate_path.is_none() {
        return Err(invalid("a certificate file (PEM) is needed for certificate sign-in"));
    }
    let tenant = TenantRecord {
        id: id.to_string(),
        name: if s.name.trim().is_empty() { id.to_string() } else { s.name.trim().to_string() },
        kind: TenantKind::Entra,
        tenant_guid: s.tenant_guid.trim().to_ascii_lowercase(),
    };
    let connection = ConnectionRecord {
        tenant_id: tenant.id.clone(),
        cloud: s.cloud.clone(),
        base_url: (s.cloud == "custom").then(|| s.base_url.clone()).flatten(),
        auth,
        client_id: client_id.map(str::to_string),
        certificate_path: s.certificate_path.clone(),
    };
    Ok((tenant, connection, cloud))
}

fn uuid_like(s: &str) -> Option<()> {
    let s = s.trim();
    let groups: Vec<&str> = s.split('-').collect();
    let lengths = [8, 4, 4, 4, 12];
    (groups.len() == 5
        && groups
            .iter()
            .zip(lengths)
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit())))
    .then_some(())
}

impl App {
    /// Adds (or updates) a real tenant and how to reach it. No secret is stored.
    pub async fn add_tenant(&self, settings: TenantSettingsDto) -> Result<TenantDto, AppError> {
        let (tenant, connection, _) = validate(&settings)?;
        let actor = self.actor.clone();
        let now = self.now();
        self.with_store(move |store| {
            store.upsert_tenant(&tenant, &actor, now)?;
            store.save_connection(&connection, &actor, now)?;
            Ok(tenant_dto(&tenant))
        })
        .await
    }

    /// Every known tenant with its settings, whether it is connected, and who is signed in.
    pub async fn tenants(&self) -> Result<Vec<TenantListItemDto>, AppError> {
        let listed = self
            .with_store(|store| {
                store
                    .tenants()?
                    .into_iter()
                    .map(|t| {
                        let connection = store.connection(&t.id)?;
                        Ok((t, connection))
                    })
                    .collect::<Result<Vec<_>, AppError>>()
            })
            .await?;
        let mut out = Vec::with_capacity(listed.len());
        for (tenant, connection) in listed {
            let session = lock(&self.sessions).get(&tenant.id).cloned();
            let signed_in = match session.as_ref().and_then(|s| s.public.clone()) {
                Some(public) => public.identity().await.map(identity_dto),
                None => None,
            };
            let reach = session.as_ref().map(|s| s.reach()).unwrap_or_default();
            out.push(TenantListItemDto {
                settings: connection.as_ref().map(|c| settings_dto(&tenant, c)),
                tenant: tenant_dto(&tenant),
                connected: reach == Reach::Reached,
                problem: match reach {
                    Reach::Failed(why) => Some(why),
                    Reach::Untried if session.is_some() => {
                        Some("not checked yet: run the check, or pull".into())
                    }
                    _ => None,
                },
                signed_in,
            });
        }
        Ok(out)
    }

    /// Connects a saved tenant. App-only sign-in with a secret needs `secret` (given at run time,
    /// never stored); `extra_root` trusts a test server's certificate.
    pub async fn connect_saved(
        &self,
        tenant_id: &str,
        secret: Option<String>,
        extra_root: Option<Vec<u8>>,
    ) -> Result<TenantDto, AppError> {
        let id = tenant_id.to_string();
        let (tenant, connection) = self
            .with_store(move |store| {
                let tenant = store.tenant(&id)?;
                let connection = store.connection(&id)?.ok_or_else(|| {
                    invalid(format!("tenant {id:?} has no connection settings; add it first"))
                })?;
                Ok((tenant, connection))
            })
            .await?;
        let cloud = Cloud::by_name(&connection.cloud, connection.base_url.as_deref())
            .ok_or_else(|| invalid(format!("unknown cloud {:?}", connection.cloud)))?;
        let client_id = connection.client_id.clone().unwrap_or_default();
        let auth = match connection.auth {
            AuthMethod::Interactive => TenantAuth::Interactive { client_id },
            AuthMethod::AppSecret => TenantAuth::AppSecret {
                client_id,
                secret: secret.ok_or_else(|| {
                    invalid("app-only sign-in with a secret needs the client secret at run time")
                })?,
            },
            AuthMethod::AppCertificate => {
                let path = connection.certificate_path.clone().unwrap_or_default();
                let pem = tokio::fs::read(&path)
                    .await
                    .map_err(|err| invalid(format!("cannot read the certificate {path}: {err}")))?;
                TenantAuth::AppCertificate { client_id, pem }
            }
            AuthMethod::AzureCli => return Err(invalid(AZURE_CLI_REFUSED)),
        };
        self.connect(TenantConnection {
            id: tenant.id.clone(),
            name: tenant.name.clone(),
            is_demo: tenant.kind == TenantKind::Demo,
            tenant_guid: tenant.tenant_guid.clone(),
            cloud,
            auth,
            extra_root,
        })
    }

    /// Connects every saved tenant that needs nothing typed (a person's sign-in, a certificate,
    /// the Azure CLI) — what the window does as it starts, so that a person signed in before a
    /// restart is signed in again from the keychain. A tenant that needs its app secret waits
    /// for it. Returns the tenants that could not be connected, with why.
    /// `extra_root` trusts a test server's certificate, as in [`App::connect_saved`].
    pub async fn reconnect_saved(
        &self,
        extra_root: Option<&[u8]>,
    ) -> Result<Vec<(String, AppError)>, AppError> {
        let mut failed = Vec::new();
        for item in self.tenants().await? {
            let Some(settings) = item.settings else { continue };
            if item.connected || settings.auth == AuthMethod::AppSecret.as_str() {
                continue;
            }
            let root = extra_root.map(<[u8]>::to_vec);
            if let Err(err) = self.connect_saved(&item.tenant.id, None, root).await {
                failed.push((item.tenant.id, err));
            }
        }
        Ok(failed)
    }

    /// The preflight: a token, each permission the pull and the removals need, the licences,
    /// the person's directory roles and Azure access per subscription, each failure with its
    /// fix. The tenant shows as connected from now on only if a Graph read succeeded.
    pub async fn tenant_check(&self, tenant_id: &str) -> Result<TenantCheckDto, AppError> {
        let session = self.session(tenant_id)?;
        if session.application.is_none()
            && let Some(public) = &session.public
        {
            // A person signed in before (another run, or before a restart) is restored first.
            if public.restore().await.ok().flatten().is_none() {
                let message = "nobody is signed in: sign in, then check again".to_string();
                session.set_reach(Reach::Failed(message.clone()));
                return Ok(TenantCheckDto {
                    tenant_id: tenant_id.to_string(),
                    connected: false,
                    identity: None,
                    delegated: true,
                    checked_at: self.now().to_rfc3339(),
                    rows: vec![TenantCheckRowDto {
                        area: "token".into(),
                        name: "Token for Microsoft Graph".into(),
                        state: CheckStateDto::Fail,
                        detail: message,
                        fix: Some(
                            "Sign in (recert-cli tenant sign-in, or Sign in on the Tenants \
                             screen)"
                                .into(),
                        ),
                    }],
                });
            }
        }
        let found = recert_graph::preflight::preflight(&session.graph).await;
        let rows: Vec<TenantCheckRowDto> = found
            .checks
            .iter()
            .map(|c| TenantCheckRowDto {
                area: c.area.to_string(),
                name: c.name.clone(),
                state: match c.state {
                    CheckState::Pass => CheckStateDto::Pass,
                    CheckState::Fail => CheckStateDto::Fail,
                    CheckState::Skipped => CheckStateDto::Skipped,
                },
                detail: c.detail.clone(),
                fix: c.fix.clone(),
            })
            .collect();
        session.set_reach(if found.reachable {
            Reach::Reached
        } else {
            let first = rows.iter().find(|r| r.state == CheckStateDto::Fail);
            Reach::Failed(first.map_or_else(
                || "no Graph read succeeded".to_string(),
                |r| format!("{}: {}", r.name, r.detail),
            ))
        });
        Ok(TenantCheckDto {
            tenant_id: tenant_id.to_string(),
            connected: found.reachable,
            identity: found.identity,
            delegated: found.delegated,
            checked_at: self.now().to_rfc3339(),
            rows,
        })
    }

    fn public_client(
        &self,
        tenant_id: &str,
    ) -> Result<(Arc<Session>, Arc<PublicClient>), AppError> {
        let session = self.session(tenant_id)?;
        let public = session.public.clone().ok_or_else(|| {
            invalid(format!("tenant {tenant_id:?} uses app-only sign-in; nobody signs in to it"))
        })?;
        Ok((session, public))
    }

    /// Lets people sign in to a tenant whose reads run app-only (the demo tenant): decisions are
    /// then stamped with the person who signed in through `client_id`, not with the app.
    pub fn allow_people_sign_in(
        &self,
        tenant_id: &str,
        cloud: Cloud,
        tenant_guid: &str,
        client_id: &str,
        extra_root: Option<&[u8]>,
    ) -> Result<(), AppError> {
        let session = self.session(tenant_id)?;
        let http = recert_graph::http_client(extra_root)?;
        let vault = lock(&self.vault).clone();
        let public = PublicClient::new(
            cloud,
            http,
            tenant_guid,
            client_id,
            vault,
            &format!("{tenant_id}:{tenant_guid}:{client_id}"),
        );
        let graph = session.graph.clone();
        let application = session.application.clone();
        let replaced = Session::new(graph, Some(public), application);
        replaced.set_reach(session.reach());
        lock(&self.sessions).insert(tenant_id.to_string(), Arc::new(replaced));
        Ok(())
    }

    /// Signs a person in with the system browser: `open` is given the URL to show (the shell and
    /// the CLI open the browser; tests drive the page themselves).
    pub async fn sign_in_interactive(
        &self,
        tenant_id: &str,
        open: impl FnOnce(&str) -> Result<(), String>,
    ) -> Result<SignedInDto, AppError> {
        self.sign_in_interactive_as(tenant_id, None, open).await
    }

    /// [`App::sign_in_interactive`] with the account to suggest on the sign-in page.
    pub async fn sign_in_interactive_as(
        &self,
        tenant_id: &str,
        login_hint: Option<&str>,
        open: impl FnOnce(&str) -> Result<(), String>,
    ) -> Result<SignedInDto, AppError> {
        let (_, public) = self.public_client(tenant_id)?;
        let pending = public.begin_interactive(login_hint).await?;
        open(&pending.url).map_err(|err| {
            AppError::new(ErrorCode::SignInFailed, format!("cannot open the browser: {err}"))
        })?;
        let identity = pending.finish(BROWSER_SIGN_IN_TIMEOUT).await?;
        Ok(self.person_signed_in(tenant_id, identity, true))
    }

    /// The person an ID token names acts on the tenant from now on; `fresh` when they just
    /// authenticated, not restored from the keychain.
    fn person_signed_in(&self, tenant_id: &str, identity: Identity, fresh: bool) -> SignedInDto {
        self.signed_in_as(
            tenant_id,
            &identity.tid,
            &identity.oid,
            identity.upn.as_deref(),
            identity.name.as_deref(),
            fresh,
        );
        identity_dto(identity)
    }

    /// Signs a person in with a device code: `show` tells the user where to go and what to type.
    pub async fn sign_in_device_code(
        &self,
        tenant_id: &str,
        show: impl FnOnce(&DeviceCodeDto),
    ) -> Result<SignedInDto, AppError> {
        let (_, public) = self.public_client(tenant_id)?;
        let code = public.begin_device_code().await?;
        show(&DeviceCodeDto {
            user_code: code.user_code.clone(),
            verification_uri: code.verification_uri.clone(),
            message: code.message.clone(),
        });
        let identity = public.finish_device_code(&code).await?;
        Ok(self.person_signed_in(tenant_id, identity, true))
    }

    /// Who is signed in to the tenant, restoring the sign-in from the keychain if needed: they
    /// act on it from now on.
    pub async fn signed_in(&self, tenant_id: &str) -> Result<Option<SignedInDto>, AppError> {
        let (_, public) = self.public_client(tenant_id)?;
        Ok(public
            .restore()
            .await?
            .map(|identity| self.person_signed_in(tenant_id, identity, false)))
    }

    /// Signs out: forgets the tokens in memory and in the keychain, and nobody acts on the tenant
    /// any more.
    pub async fn sign_out(&self, tenant_id: &str) -> Result<(), AppError> {
        let (_, public) = self.public_client(tenant_id)?;
        self.forget_person(tenant_id);
        public.sign_out().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> TenantSettingsDto {
        TenantSettingsDto {
            id: "fabrikam".into(),
            name: "Fabrikam".into(),
            tenant_guid: "72F988BF-86F1-41AF-91AB-2D7CD011DB47".into(),
            cloud: "public".into(),
            base_url: None,
            auth: "interactive".into(),
            client_id: Some("5d1a3f0e-7c1b-4e0a-9a57-2f2b0c8e1a03".into()),
            certificate_path: None,
        }
    }

    #[test]
    fn settings_are_checked_before_saving() {
        let (tenant, connection, cloud) = validate(&settings()).expect("valid");
        assert_eq!(tenant.tenant_guid, "72f988bf-86f1-41af-91ab-2d7cd011db47");
        assert_eq!(connection.auth, AuthMethod::Interactive);
        assert_eq!(cloud.name, "public");
        for broken in [
            TenantSettingsDto { id: "demo".into(), ..settings() },
            TenantSettingsDto { tenant_guid: "contoso".into(), ..settings() },
            TenantSettingsDto { cloud: "moon".into(), ..settings() },
            TenantSettingsDto { client_id: None, ..settings() },
            TenantSettingsDto { auth: "appCertificate".into(), ..settings() },
            TenantSettingsDto { cloud: "custom".into(), base_url: None, ..settings() },
        ] {
            let err = validate(&broken).expect_err("refused");
            assert_eq!(err.code, ErrorCode::Invalid, "{broken:?}");
        }
    }
}
