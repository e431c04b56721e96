//! Sign-off of a campaign's binder, and corrections after it. The campaign owner and compliance
//! sign a closed campaign in the window or the CLI after a fresh sign-in (within five minutes;
//! on the demo tenant, the demo sign-in — "act as" is no authentication); who, when, how they
//! were authenticated and the statement go into the audit chain, which is the only record of
//! them. A correction is a new audited event, and any change to the campaign's record after a
//! sign-off starts a new version of the binder, signed again. The rules are
//! `recert_domain::signoff`'s; this file reads the facts and records the result.

use chrono::{DateTime, Utc};
use recert_domain::authority::Action;
use recert_domain::identity::{AuthMethod, Authentication};
use recert_domain::signoff::{
    self, Capacity, RecordEvent, SignOffRefusal, SignOffRequest, SignedOff,
};
use recert_evidence::model::{CorrectionEntry, SignOffEntry};
use recert_store::audit::AuditEvent;
use recert_store::{CampaignEvent, Store};

use crate::campaigns::{parse_definition, rfc3339};
use crate::dto::{
    AuthMethodDto, AuthenticationDto, CorrectionDto, SignOffCapacityDto, SignOffDto,
    SignOffStatusDto,
};
use crate::{App, AppError, ErrorCode};

/// The statement a signer confirms, recorded with each sign-off.
pub(crate) const STATEMENT: &str = "By signing, I confirm that this review was performed as \
described in this binder: the population was complete as extracted, each decision was made by \
the named reviewer or by a governance admin acting for them, and the removals listed were \
carried out and verified, or are listed as exceptions with their reason and owner.";

pub(crate) const SIGNED_OFF: &str = "campaign.signedOff";
pub(crate) const CORRECTED: &str = "campaign.corrected";

fn method_dto(method: AuthMethod) -> AuthMethodDto {
    match method {
        AuthMethod::SignIn => AuthMethodDto::SignIn,
        AuthMethod::RestoredSignIn => AuthMethodDto::RestoredSignIn,
        AuthMethod::AccessReviews => AuthMethodDto::AccessReviews,
        AuthMethod::CsvImport => AuthMethodDto::CsvImport,
        AuthMethod::DemoActAs => AuthMethodDto::DemoActAs,
        AuthMethod::Unrecorded => AuthMethodDto::Unrecorded,
    }
}

pub(crate) fn authentication_dto(a: &Authentication) -> AuthenticationDto {
    let entra = a.entra();
    AuthenticationDto {
        method: method_dto(a.method()),
        authenticated: a.is_authenticated(),
        tenant_id: entra.map(|e| e.tenant_id.clone()),
        object_id: entra.map(|e| e.object_id.clone()),
        at: entra.map(|e| rfc3339(e.at)),
        imported_by: a.imported_by().map(str::to_string),
        detail: a.describe(crate::evidence::utc),
    }
}

/// As the chain records it (the same keys as a decision event's `authentication`).
fn authentication_json(a: &Authentication) -> serde_json::Value {
    let entra = a.entra();
    serde_json::json!({
        "method": a.method().as_str(),
        "tenant": entra.map(|e| e.tenant_id.as_str()),
        "object": entra.map(|e| e.object_id.as_str()),
        "at": entra.map(|e| rfc3339(e.at)),
        "by": a.imported_by(),
    })
}

fn authentication_from_json(v: &serde_json::Value) -> Authentication {
    let text = |k: &str| v[k].as_str();
    let at = text("at")
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    Authentication::from_parts(
        text("method").unwrap_or_default(),
        text("tenant"),
        text("object"),
        at,
        text("by"),
    )
    .unwrap_or(Authentication::Unrecorded)
}

fn capacity_dto(c: Capacity) -> SignOffCapacityDto {
    match c {
        Capacity::CampaignOwner => SignOffCapacityDto::CampaignOwner,
        Capacity::Compliance => SignOffCapacityDto::Compliance,
    }
}

fn capacity(c: SignOffCapacityDto) -> Capacity {
    match c {
        SignOffCapacityDto::CampaignOwner => Capacity::CampaignOwner,
        SignOffCapacityDto::Compliance => Capacity::Compliance,
    }
}

/// A campaign's sign-offs and corrections as its events (in chain order, up to some cut) tell.
#[derive(Clone, Debug, Default)]
pub(crate) struct SignOffRecord {
    pub version: u32,
    pub sign_offs: Vec<(SignOffDto, Capacity)>,
    pub corrections: Vec<CorrectionDto>,
    /// The sequence number of the last event read.
    pub last_seq: i64,
}

impl SignOffRecord {
    pub fn of(campaign_events: &[&AuditEvent]) -> SignOffRecord {
        let mut record = SignOffRecord::default();
        let mut kinds = Vec::with_capacity(campaign_events.len());
        for e in campaign_events {
            record.last_seq = e.seq;
            let payload: serde_json::Value = serde_json::from_str(&e.payload).unwrap_or_default();
            let event = match e.kind.as_str() {
                SIGNED_OFF => {
                    let version = payload["version"].as_u64().unwrap_or(0) as u32;
                    let Some(cap) = payload["capacity"].as_str().and_then(Capacity::parse) else {
                        continue;
                    };
                    let signer = &payload["signer"];
                    let text = |k: &str| signer[k].as_str().unwrap_or_default().to_string();
                    record.sign_offs.push((
                        SignOffDto {
                            version,
                            capacity: capacity_dto(cap),
                            signer_upn: text("upn"),
                            signer_name: text("name"),
                            signer_id: text("id"),
                            signed_at: e.at.clone(),
                            authentication: authentication_dto(&authentication_from_json(
                                &payload["authentication"],
                            )),
                            statement: payload["statement"].as_str().unwrap_or_default().into(),
                        },
                        cap,
                    ));
                    RecordEvent::SignedOff { version }
                }
                kind if kind.starts_with("evidence.") => RecordEvent::Unchanged,
                _ => RecordEvent::Changed,
            };
            kinds.push(event);
            if e.kind == CORRECTED {
                record.corrections.push(CorrectionDto {
                    version: signoff::binder_version(kinds.iter().copied()),
                    by: e.actor.clone(),
                    at: e.at.clone(),
                    note: payload["note"].as_str().unwrap_or_default().into(),
                });
            }
        }
        record.version = signoff::binder_version(kinds);
        record
    }

    /// As the binder prints them.
    pub fn entries(&self) -> Vec<SignOffEntry> {
        self.sign_offs
            .iter()
            .map(|(s, cap)| SignOffEntry {
                version: s.version,
                capacity: cap.label().into(),
                signer_name: s.signer_name.clone(),
                signer_upn: s.signer_upn.clone(),
                signer_id: s.signer_id.clone(),
                at: binder_time(&s.signed_at),
                authentication: s.authentication.detail.clone(),
                statement: s.statement.clone(),
            })
            .collect()
    }

    fn signed(&self) -> Vec<SignedOff> {
        self.sign_offs
            .iter()
            .map(|(s, cap)| SignedOff {
                version: s.version,
                capacity: *cap,
                signer_id: s.signer_id.clone(),
                signer_upn: s.signer_upn.clone(),
            })
            .collect()
    }

    fn status(&self, campaign_id: &str, signable: bool) -> SignOffStatusDto {
        let missing = Capacity::ALL
            .into_iter()
            .filter(|c| {
                !self.sign_offs.iter().any(|(s, cap)| s.version == self.version && cap == c)
            })
            .map(capacity_dto)
            .collect();
        SignOffStatusDto {
            campaign_id: campaign_id.to_string(),
            version: self.version,
            sign_offs: self.sign_offs.iter().map(|(s, _)| s.clone()).collect(),
            corrections: self.corrections.clone(),
            missing,
            signable,
            statement: STATEMENT.into(),
        }
    }
}

/// An audit time (RFC 3339) as the binder writes times.
fn binder_time(at: &str) -> String {
    DateTime::parse_from_rfc3339(at)
        .map(|t| crate::evidence::utc(t.with_timezone(&Utc)))
        .unwrap_or_else(|_| at.to_string())
}

pub(crate) fn correction_entry(c: &CorrectionDto) -> CorrectionEntry {
    CorrectionEntry {
        version: c.version,
        by: c.by.clone(),
        at: binder_time(&c.at),
        note: c.note.clone(),
    }
}

/// The campaign's own events (subject `campaign/<id>`), in chain order.
fn campaign_events(store: &Store, campaign_id: &str) -> Result<Vec<AuditEvent>, AppError> {
    Ok(store.audit_events(Some(&format!("campaign/{campaign_id}")))?)
}

fn signable(state: recert_domain::campaign::CampaignState) -> bool {
    use recert_domain::campaign::CampaignState::{Closed, Completed, Remediating};
    matches!(state, Closed | Remediating | Completed)
}

fn refused(refusal: SignOffRefusal) -> AppError {
    let code = match refusal {
        SignOffRefusal::NotClosed(_) | SignOffRefusal::AlreadySigned { .. } => ErrorCode::Conflict,
        SignOffRefusal::Stale(_) => ErrorCode::FreshSignInRequired,
        _ => ErrorCode::Forbidden,
    };
    AppError::new(code, refusal.to_string())
}

impl App {
    /// The campaign's binder version, its sign-offs and corrections, and what it still lacks.
    pub async fn sign_off_status(&self, campaign_id: &str) -> Result<SignOffStatusDto, AppError> {
        let id = campaign_id.to_string();
        self.with_store(move |store| {
            let campaign = store.campaign(&id)?;
            let events = campaign_events(store, &id)?;
            let record = SignOffRecord::of(&events.iter().collect::<Vec<_>>());
            Ok(record.status(&id, signable(campaign.state)))
        })
        .await
    }

    /// The person acting on the campaign's tenant signs the binder's current version as
    /// `capacity`, if they authenticated within five minutes and the domain's rules let them.
    pub async fn sign_off(
        &self,
        campaign_id: &str,
        as_capacity: SignOffCapacityDto,
    ) -> Result<SignOffStatusDto, AppError> {
        let id = campaign_id.to_string();
        let app = self.clone();
        let now = self.now();
        self.with_store(move |store| {
            let campaign = store.campaign(&id)?;
            let (definition, _) = parse_definition(&campaign.definition)?;
            let acting = app.authorize(store, &definition.tenant_id, Action::SignOff)?;
            let person = acting.person()?.clone();
            let events = campaign_events(store, &id)?;
            let record = SignOffRecord::of(&events.iter().collect::<Vec<_>>());
            let decided = store.decisions(&id)?.iter().any(|d| d.decided_by_id == person.id);
            let signed = record.signed();
            let request = SignOffRequest {
                capacity: capacity(as_capacity),
                state: campaign.state,
                signer_id: &person.id,
                is_admin: acting.is_admin(),
                decided_in_campaign: decided,
                authentication: &acting.authentication,
                version: record.version,
                signed: &signed,
            };
            signoff::check_sign_off(&request, now).map_err(refused)?;
            store.append_campaign_event(&CampaignEvent {
                campaign_id: &id,
                kind: SIGNED_OFF,
                actor: &acting.label,
                at: now,
                payload: serde_json::json!({
                    "version": record.version,
                    "capacity": request.capacity.as_str(),
                    "signer": { "id": person.id, "upn": person.upn, "name": person.display_name },
                    "authentication": authentication_json(&acting.authentication),
                    "statement": STATEMENT,
                }),
                seen: record.last_seq,
            })?;
            let events = campaign_events(store, &id)?;
            let record = SignOffRecord::of(&events.iter().collect::<Vec<_>>());
            Ok(record.status(&id, signable(campaign.state)))
        })
        .await
    }

    /// A governance admin records a correction to a campaign's record (what was wrong and what
    /// stands instead). Audited; after a sign-off it starts the binder's next version, which is
    /// signed again.
    pub async fn correct_campaign(
        &self,
        campaign_id: &str,
        note: &str,
    ) -> Result<SignOffStatusDto, AppError> {
        let note = note.trim().to_string();
        if note.chars().count() < 10 {
            return Err(AppError::new(
                ErrorCode::Invalid,
                "say what the correction is and why, in at least 10 characters",
            ));
        }
        let id = campaign_id.to_string();
        let app = self.clone();
        let now = self.now();
        self.with_store(move |store| {
            let campaign = store.campaign(&id)?;
            let (definition, _) = parse_definition(&campaign.definition)?;
            let acting = app.authorize(store, &definition.tenant_id, Action::Correct)?;
            acting.person()?;
            let events = campaign_events(store, &id)?;
            let record = SignOffRecord::of(&events.iter().collect::<Vec<_>>());
            store.append_campaign_event(&CampaignEvent {
                campaign_id: &id,
                kind: CORRECTED,
                actor: &acting.label,
                at: now,
                payload: serde_json::json!({
                    "note": note,
                    "correctsVersion": record.version,
                    "authentication": authentication_json(&acting.authentication),
                }),
                seen: record.last_seq,
            })?;
            let events = campaign_events(store, &id)?;
            let record = SignOffRecord::of(&events.iter().collect::<Vec<_>>());
            Ok(record.status(&id, signable(campaign.state)))
        })
        .await
    }
}
