//! Who acts, and whether they may. The person acting on a tenant comes from the session only: the
//! one signed in (their ID token), or on the demo tenant the user chosen with "Act as"; an
//! unattended run acts as the application itself. No use case takes an identity from its caller:
//! each asks [`App::authorize`] for the action it is about to do, which looks the person up here,
//! works out their role from the tenant's governance admins and applies the domain's table.
//!
//! Governance admins are per tenant. The first is bootstrapped from Entra (a person who actively
//! holds a governing directory role, read from the tenant when they ask); the demo tenant's are
//! bootstrapped the same way from its own data.

use std::collections::BTreeSet;

use recert_domain::authority::{self, Action, ActiveRole, Refusal, Role};
use recert_domain::identity::{Authentication, EntraIdentity};
use recert_domain::{AssignmentKind, PrincipalKind};
use recert_store::{AdminRecord, AdminSource, NewAdmin, Store, TenantKind};

use crate::campaigns::dto::IdentityDto;
use crate::campaigns::rfc3339;
use crate::context::lock;
use crate::dto::{ActingDto, ActingRoleDto, AdminDto};
use crate::{App, AppError, ErrorCode};

/// Who acts on one tenant in this session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Actor {
    /// A person: signed in (an ID token), or chosen on the demo tenant (an asserted identity),
    /// with how they were identified: what their decisions and sign-offs record.
    Person { identity: IdentityDto, authentication: Authentication },
    /// The tenant's app-only credential, unattended, named so in the audit log.
    Application(String),
}

/// Whom an [`App`] handle acts for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The person acting on each tenant in this session (nobody until someone signs in).
    #[default]
    People,
    /// The application itself, named so in the audit log: the scheduler, an app-only CLI run.
    Application(String),
}

/// Who does one use case on one tenant, authorized for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Acting {
    /// What the audit log records as the actor: the person's UPN, or the application's name.
    pub label: String,
    pub person: Option<IdentityDto>,
    pub role: Role,
    /// How the person was identified; `Unrecorded` for the application and for nobody.
    pub authentication: Authentication,
}

impl Acting {
    pub fn is_admin(&self) -> bool {
        self.role == Role::GovernanceAdmin
    }

    /// The person, for use cases a named person must own; the table already refused the others.
    pub fn person(&self) -> Result<&IdentityDto, AppError> {
        self.person.as_ref().ok_or_else(|| {
            AppError::new(ErrorCode::Forbidden, "a named person must do this: sign in first")
        })
    }
}

fn refused(refusal: Refusal) -> AppError {
    AppError::new(ErrorCode::Forbidden, refusal.to_string())
}

fn admin_dto(a: AdminRecord) -> AdminDto {
    AdminDto {
        principal_id: a.principal_id,
        upn: a.upn,
        display_name: a.display_name,
        how: a.source.as_str().to_string(),
        added_by: a.added_by,
        added_at: rfc3339(a.added_at),
    }
}

fn role_dto(role: Role) -> ActingRoleDto {
    match role {
        Role::GovernanceAdmin => ActingRoleDto::GovernanceAdmin,
        Role::Person => ActingRoleDto::Person,
        Role::Application => ActingRoleDto::Application,
        Role::Nobody => ActingRoleDto::Nobody,
    }
}

/// A user of the tenant as last pulled, by UPN or object id.
pub(crate) fn user_by_upn(
    store: &Store,
    tenant_id: &str,
    upn: &str,
) -> Result<IdentityDto, AppError> {
    let tenant = store.tenant(tenant_id)?;
    let principal = crate::campaigns::principal_by_upn(store, tenant_id, upn)?
        .filter(|p| p.kind == PrincipalKind::User)
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::NotFound,
                format!(
                    "no user {:?} in {} (pull it first, or check the spelling)",
                    upn.trim(),
                    tenant.name
                ),
            )
        })?;
    Ok(IdentityDto {
        upn: principal.upn.clone().unwrap_or_else(|| upn.trim().to_string()),
        id: principal.id,
        display_name: principal.display_name,
        tenant_id: tenant_id.to_string(),
    })
}

impl App {
    /// This application acting as itself, unattended (the scheduler, an app-only CLI run): it may
    /// do what the table lets the application do, recorded in the audit log as `label`.
    pub fn as_application(&self, label: &str) -> App {
        App { mode: Mode::Application(label.to_string()), ..self.clone() }
    }

    /// From now on the tenant's app-only credential acts on it, unattended (an app-only CLI run):
    /// it may do what the table lets the application do, recorded as that application. Refused
    /// for a tenant people sign in to: there, the person acts.
    pub fn act_unattended(&self, tenant_id: &str) -> Result<(), AppError> {
        let label = self.session(tenant_id)?.application.clone().ok_or_else(|| {
            AppError::new(
                ErrorCode::Forbidden,
                format!(
                    "tenant {tenant_id:?} is reached through a person's sign-in: sign in, the \
                     person acts"
                ),
            )
        })?;
        lock(&self.people).insert(tenant_id.to_string(), Actor::Application(label));
        Ok(())
    }

    /// Who acts on `tenant_id` through this handle, with their role. Reads the admins from
    /// `store`, so callers already inside a store task pass theirs.
    pub(crate) fn acting_on(&self, store: &Store, tenant_id: &str) -> Result<Acting, AppError> {
        match &self.mode {
            Mode::Application(label) => Ok(Acting {
                label: label.clone(),
                person: None,
                role: Role::Application,
                authentication: Authentication::Unrecorded,
            }),
            Mode::People => {
                let actor = lock(&self.people).get(tenant_id).cloned();
                match actor {
                    Some(Actor::Person { identity, authentication }) => {
                        let role = if store.is_admin(tenant_id, &identity.id)? {
                            Role::GovernanceAdmin
                        } else {
                            Role::Person
                        };
                        Ok(Acting {
                            label: identity.upn.clone(),
                            person: Some(identity),
                            role,
                            authentication,
                        })
                    }
                    Some(Actor::Application(label)) => Ok(Acting {
                        label,
                        person: None,
                        role: Role::Application,
                        authentication: Authentication::Unrecorded,
                    }),
                    None => Ok(Acting {
                        label: self.actor.clone(),
                        person: None,
                        role: Role::Nobody,
                        authentication: Authentication::Unrecorded,
                    }),
                }
            }
        }
    }

    /// Who acts on `tenant_id`, when they may do `action` there; the refusal otherwise says why
    /// and how to get the right (sign in, ask an admin, or bootstrap the first admin).
    pub(crate) fn authorize(
        &self,
        store: &Store,
        tenant_id: &str,
        action: Action,
    ) -> Result<Acting, AppError> {
        let acting = self.acting_on(store, tenant_id)?;
        let admins_exist = store.admin_count(tenant_id)? > 0;
        authority::authorize(acting.role, action, admins_exist).map_err(refused)?;
        Ok(acting)
    }

    /// Records the person who signed in to `tenant_id` (from their ID token, issued for the
    /// Entra tenant `tid`): they act there from now on, replacing anyone chosen before. `fresh`
    /// says they authenticated just now (browser or device code) rather than from the keychain's
    /// refresh token; a restore never hides the fresh sign-in of the same person in this session.
    pub(crate) fn signed_in_as(
        &self,
        tenant_id: &str,
        tid: &str,
        oid: &str,
        upn: Option<&str>,
        name: Option<&str>,
        fresh: bool,
    ) {
        let upn = upn.unwrap_or(oid).to_string();
        let identity = IdentityDto {
            id: oid.to_ascii_lowercase(),
            display_name: name.map(str::to_string).unwrap_or_else(|| upn.clone()),
            upn,
            tenant_id: tenant_id.to_string(),
        };
        let entra = EntraIdentity {
            tenant_id: tid.to_ascii_lowercase(),
            object_id: identity.id.clone(),
            at: self.now(),
        };
        let mut people = lock(&self.people);
        let kept = matches!(
            people.get(tenant_id),
            Some(Actor::Person { identity: same, authentication: Authentication::SignIn(_) })
                if !fresh && same.id == identity.id
        );
        if kept {
            return;
        }
        let authentication = if fresh {
            Authentication::SignIn(entra)
        } else {
            Authentication::RestoredSignIn(entra)
        };
        people.insert(tenant_id.to_string(), Actor::Person { identity, authentication });
    }

    /// Nobody acts on `tenant_id` any more (sign-out).
    pub(crate) fn forget_person(&self, tenant_id: &str) {
        lock(&self.people).remove(tenant_id);
    }

    /// Who acts on `tenant_id` now and as what, restoring a person's sign-in from the keychain
    /// when nobody acts yet.
    pub async fn acting(&self, tenant_id: &str) -> Result<ActingDto, AppError> {
        let nobody = !lock(&self.people).contains_key(tenant_id);
        if nobody && self.mode == Mode::People {
            let public = self.session(tenant_id).ok().and_then(|s| s.public.clone());
            if let Some(public) = public
                && let Ok(Some(identity)) = public.restore().await
            {
                self.signed_in_as(
                    tenant_id,
                    &identity.tid,
                    &identity.oid,
                    identity.upn.as_deref(),
                    identity.name.as_deref(),
                    false,
                );
            }
        }
        let app = self.clone();
        let tenant = tenant_id.to_string();
        self.with_store(move |store| {
            store.tenant(&tenant)?;
            let acting = app.acting_on(store, &tenant)?;
            let signed_in = matches!(
                lock(&app.people).get(&tenant),
                Some(Actor::Person { authentication, .. }) if authentication.is_authenticated()
            );
            Ok(ActingDto {
                tenant_id: tenant.clone(),
                signed_in: signed_in && acting.person.is_some(),
                authentication: crate::signoff::authentication_dto(&acting.authentication),
                person: acting.person,
                role: role_dto(acting.role),
                admins_exist: store.admin_count(&tenant)? > 0,
            })
        })
        .await
    }

    /// Acts as a user of the demo tenant without signing in, until someone signs in, stops, or
    /// the window switches tenant. Refused for every other tenant: there, only a sign-in says who
    /// acts.
    pub async fn act_as(&self, tenant_id: &str, upn: &str) -> Result<ActingDto, AppError> {
        let (tenant, who) = (tenant_id.to_string(), upn.to_string());
        let identity = self
            .with_store(move |store| {
                let record = store.tenant(&tenant)?;
                if record.kind != TenantKind::Demo {
                    return Err(AppError::new(
                        ErrorCode::Forbidden,
                        "acting as another user is only possible on the demo tenant; sign in \
                         instead",
                    ));
                }
                user_by_upn(store, &tenant, &who)
            })
            .await?;
        lock(&self.people).insert(
            tenant_id.to_string(),
            Actor::Person { identity, authentication: Authentication::DemoActAs },
        );
        self.acting(tenant_id).await
    }

    /// Stops acting as the chosen demo user of `tenant_id` (a signed-in person stays: they sign
    /// out instead). The window calls it when it leaves the tenant.
    pub fn stop_acting(&self, tenant_id: &str) {
        let mut people = lock(&self.people);
        if matches!(
            people.get(tenant_id),
            Some(Actor::Person { authentication: Authentication::DemoActAs, .. })
        ) {
            people.remove(tenant_id);
        }
    }

    /// A user of the tenant, by UPN or object id, as last pulled: for forms that name people
    /// (reviewers, admins). Looking someone up never changes who acts.
    pub async fn find_person(&self, tenant_id: &str, upn: &str) -> Result<IdentityDto, AppError> {
        let (tenant, who) = (tenant_id.to_string(), upn.to_string());
        self.with_store(move |store| user_by_upn(store, &tenant, &who)).await
    }

    /// The tenant's governance admins.
    pub async fn admins(&self, tenant_id: &str) -> Result<Vec<AdminDto>, AppError> {
        let tenant = tenant_id.to_string();
        self.with_store(move |store| {
            store.tenant(&tenant)?;
            Ok(store.admins(&tenant)?.into_iter().map(admin_dto).collect())
        })
        .await
    }

    /// A governance admin makes another user of the tenant an admin (audited).
    pub async fn add_admin(&self, tenant_id: &str, upn: &str) -> Result<Vec<AdminDto>, AppError> {
        let (tenant, who) = (tenant_id.to_string(), upn.to_string());
        let app = self.clone();
        let now = self.now();
        self.with_store(move |store| {
            let acting = app.authorize(store, &tenant, Action::ManageAdmins)?;
            let user = user_by_upn(store, &tenant, &who)?;
            let because = format!("added by {}", acting.label);
            store.add_admin(
                &tenant,
                &NewAdmin {
                    principal_id: &user.id,
                    upn: &user.upn,
                    display_name: &user.display_name,
                    source: AdminSource::Added,
                    because: &because,
                },
                &acting.label,
                now,
            )?;
            Ok(store.admins(&tenant)?.into_iter().map(admin_dto).collect())
        })
        .await
    }

    /// A governance admin removes an admin (by object id or UPN); the last one stays.
    pub async fn remove_admin(
        &self,
        tenant_id: &str,
        who: &str,
    ) -> Result<Vec<AdminDto>, AppError> {
        let (tenant, who) = (tenant_id.to_string(), who.trim().to_string());
        let app = self.clone();
        let now = self.now();
        self.with_store(move |store| {
            let acting = app.authorize(store, &tenant, Action::ManageAdmins)?;
            let admin = store
                .admins(&tenant)?
                .into_iter()
                .find(|a| {
                    a.principal_id.eq_ignore_ascii_case(&who) || a.upn.eq_ignore_ascii_case(&who)
                })
                .ok_or_else(|| {
                    AppError::new(ErrorCode::NotFound, format!("{who} is not a governance admin"))
                })?;
            store.remove_admin(&tenant, &admin.principal_id, &acting.label, now)?;
            Ok(store.admins(&tenant)?.into_iter().map(admin_dto).collect())
        })
        .await
    }

    /// Makes the person acting on a tenant without admins its first governance admin, if they
    /// actively hold Privileged Role Administrator, Global Administrator or Identity Governance
    /// Administrator tenant-wide — read from the tenant now, not from the last pull.
    pub async fn bootstrap_admin(&self, tenant_id: &str) -> Result<Vec<AdminDto>, AppError> {
        let tenant = tenant_id.to_string();
        let app = self.clone();
        let person = self
            .with_store(move |store| {
                store.tenant(&tenant)?;
                if store.admin_count(&tenant)? > 0 {
                    return Err(AppError::new(
                        ErrorCode::Conflict,
                        "this tenant already has governance admins: one of them adds you",
                    ));
                }
                let acting = app.acting_on(store, &tenant)?;
                acting.person.ok_or_else(|| {
                    AppError::new(
                        ErrorCode::Forbidden,
                        "sign in as the person to make an admin: an unattended run bootstraps \
                         nobody",
                    )
                })
            })
            .await?;
        let graph = self.session(tenant_id)?.graph.clone();
        let active: Vec<ActiveRole> = recert_graph::holders::active_roles(&graph, &person.id)
            .await?
            .into_iter()
            .map(|(role_id, h)| ActiveRole { role_id, scope: h.scope })
            .collect();
        let Some(role) = authority::bootstrap_role(&active) else {
            return Err(AppError::new(
                ErrorCode::Forbidden,
                format!(
                    "{} does not actively hold Privileged Role Administrator, Global Administrator \
                     or Identity Governance Administrator across the tenant (read from the tenant \
                     just now): ask someone who does to sign in and bootstrap, or activate the \
                     role in PIM first",
                    person.upn
                ),
            ));
        };
        let tenant = tenant_id.to_string();
        let now = self.now();
        self.with_store(move |store| {
            let because = format!("actively holds {role} (read from the tenant)");
            store.bootstrap_admins(
                &tenant,
                &[NewAdmin {
                    principal_id: &person.id,
                    upn: &person.upn,
                    display_name: &person.display_name,
                    source: AdminSource::Bootstrap,
                    because: &because,
                }],
                &person.upn,
                now,
            )?;
            Ok(store.admins(&tenant)?.into_iter().map(admin_dto).collect())
        })
        .await
    }

    /// The demo tenant's governance admins, bootstrapped the way a real tenant's first admin is:
    /// every enabled user who actively holds a governing directory role tenant-wide, read from
    /// the tenant. Nothing changes when it has admins already. Refused for real tenants.
    pub async fn bootstrap_demo_admins(&self, tenant_id: &str) -> Result<Vec<AdminDto>, AppError> {
        let tenant = tenant_id.to_string();
        let existing = self
            .with_store(move |store| {
                if store.tenant(&tenant)?.kind != TenantKind::Demo {
                    return Err(AppError::new(
                        ErrorCode::Forbidden,
                        "only the demo tenant's admins come from its data; a real tenant's first \
                         admin bootstraps themselves",
                    ));
                }
                Ok(store.admin_count(&tenant)?)
            })
            .await?;
        if existing > 0 {
            return self.admins(tenant_id).await;
        }
        let graph = self.session(tenant_id)?.graph.clone();
        let mut qualified: Vec<(String, &'static str)> = Vec::new();
        for (role_id, role) in authority::BOOTSTRAP_ROLES {
            for h in recert_graph::holders::role_holders(&graph, role_id).await? {
                let active_user = h.kind == AssignmentKind::Active
                    && h.principal_kind == PrincipalKind::User
                    && h.scope == "/";
                if active_user
                    && !qualified.iter().any(|(id, _)| id.eq_ignore_ascii_case(&h.principal_id))
                {
                    qualified.push((h.principal_id.to_ascii_lowercase(), role));
                }
            }
        }
        let tenant = tenant_id.to_string();
        let actor = match &self.mode {
            Mode::Application(label) => label.clone(),
            Mode::People => self.actor.clone(),
        };
        let now = self.now();
        self.with_store(move |store| {
            let directory = crate::campaigns::directory(store, &tenant)?;
            let mut seen = BTreeSet::new();
            let mut chosen = Vec::new();
            for (id, role) in &qualified {
                let Some(p) = directory.values().find(|p| p.id.eq_ignore_ascii_case(id)) else {
                    continue;
                };
                if p.account_enabled == Some(false) || !seen.insert(id.clone()) {
                    continue;
                }
                let Some(upn) = p.upn.clone() else { continue };
                chosen.push((
                    id.clone(),
                    upn,
                    p.display_name.clone(),
                    format!("actively holds {role} in the demo tenant"),
                ));
            }
            if chosen.is_empty() {
                return Err(AppError::new(
                    ErrorCode::NotFound,
                    "nobody in the demo tenant actively holds a governing directory role",
                ));
            }
            let admins: Vec<NewAdmin<'_>> = chosen
                .iter()
                .map(|(id, upn, name, because)| NewAdmin {
                    principal_id: id,
                    upn,
                    display_name: name,
                    source: AdminSource::Demo,
                    because,
                })
                .collect();
            store.bootstrap_admins(&tenant, &admins, &actor, now)?;
            Ok(store.admins(&tenant)?.into_iter().map(admin_dto).collect())
        })
        .await
    }
}
