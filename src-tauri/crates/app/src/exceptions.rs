//! The exceptions register: a governance admin records, for each exception of a campaign (access
//! kept or held although the review or an interlock said otherwise), who answers for it, until
//! when and what compensates meanwhile. The terms live in the audit chain (an
//! `exception.registered` event per item, the latest standing), so the binder reads them as of
//! its cut like everything else and an edit behind Recert's back breaks the chain. An expired
//! exception brings its access back as an item of the next campaign of the same definition
//! (`recert_domain::exceptions::returning`, applied when a campaign opens).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use recert_domain::authority::Action;
use recert_domain::exceptions::{self, PastException, Standing, Terms};
use recert_evidence::model::ExceptionEntry;
use recert_store::Store;
use recert_store::audit::AuditEvent;

use crate::campaigns::parse_definition;
use crate::dto::{ExceptionDto, ExceptionTermsDto};
use crate::error::FieldErrorDto;
use crate::{App, AppError, ErrorCode};

pub(crate) const REGISTERED: &str = "exception.registered";

/// The latest terms registered per item, as the campaign's events (in chain order) tell them.
pub(crate) fn registered_terms(campaign_events: &[&AuditEvent]) -> BTreeMap<u32, Terms> {
    let mut out = BTreeMap::new();
    for e in campaign_events.iter().filter(|e| e.kind == REGISTERED) {
        let p: serde_json::Value = serde_json::from_str(&e.payload).unwrap_or_default();
        let (Some(item), Some(expires_on)) = (
            p["item"].as_u64().and_then(|i| u32::try_from(i).ok()),
            p["expiresOn"].as_str().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
        ) else {
            continue;
        };
        let text = |k: &str| p[k].as_str().unwrap_or_default().to_string();
        out.insert(item, Terms { owner: text("owner"), expires_on, control: text("control") });
    }
    out
}

fn standing_word(s: Standing) -> &'static str {
    match s {
        Standing::Unregistered => "no terms",
        Standing::Current { .. } => "current",
        Standing::Expired { .. } => "expired",
    }
}

/// Puts the registered terms on the binder's exceptions, with where each stands on `as_of`.
pub(crate) fn fill_terms(
    entries: &mut [ExceptionEntry],
    campaign_events: &[&AuditEvent],
    as_of: DateTime<Utc>,
) {
    let terms = registered_terms(campaign_events);
    for e in entries {
        let t = terms.get(&e.item_id);
        if let Some(t) = t {
            e.owner = t.owner.clone();
            e.expires_on = t.expires_on.format("%Y-%m-%d").to_string();
            e.control = t.control.clone();
        }
        e.standing = standing_word(exceptions::standing(t, as_of.date_naive())).into();
    }
}

/// Every exception registered in the definition's campaigns before occurrence `before`, with the
/// access it covered: what a new campaign's opening checks for expiry.
pub(crate) fn past_exceptions(
    store: &Store,
    definition_id: &str,
    before: u32,
) -> Result<Vec<PastException>, AppError> {
    let mut out = Vec::new();
    for campaign in store.campaigns(Some(definition_id))? {
        if campaign.occurrence >= before {
            continue;
        }
        let events = store.audit_events(Some(&format!("campaign/{}", campaign.id)))?;
        let terms = registered_terms(&events.iter().collect::<Vec<_>>());
        if terms.is_empty() {
            continue;
        }
        let ids: Vec<u32> = terms.keys().copied().collect();
        for item in store.items(&campaign.id, &ids)? {
            out.push(PastException {
                campaign_id: campaign.id.clone(),
                item_id: item.id,
                surface: item.surface,
                role_id: item.role_id,
                scope: item.scope,
                principal_id: item.principal_id,
                kind: item.kind,
                terms: terms.get(&item.id).cloned(),
            });
        }
    }
    Ok(out)
}

fn entry_dto(e: ExceptionEntry) -> ExceptionDto {
    ExceptionDto {
        item_id: e.item_id,
        principal: e.principal,
        role: e.role,
        reason: e.reason,
        owner: (!e.owner.is_empty()).then_some(e.owner),
        expires_on: (!e.expires_on.is_empty()).then_some(e.expires_on),
        control: (!e.control.is_empty()).then_some(e.control),
        standing: e.standing,
    }
}

/// The campaign's register now: its exceptions as a binder cut now would list them.
fn register_now(
    store: &Store,
    campaign_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<ExceptionEntry>, AppError> {
    let head = store.audit_head_seq()?;
    Ok(crate::evidence::build_binder(store, campaign_id, now, head)?.exceptions)
}

impl App {
    /// The campaign's exceptions register.
    pub async fn exceptions(&self, campaign_id: &str) -> Result<Vec<ExceptionDto>, AppError> {
        let id = campaign_id.to_string();
        let now = self.now();
        self.with_store(move |store| {
            Ok(register_now(store, &id, now)?.into_iter().map(entry_dto).collect())
        })
        .await
    }

    /// A governance admin records an exception's owner, expiry and compensating control
    /// (audited; a later registration replaces the terms). Only an item the register lists.
    pub async fn register_exception(
        &self,
        campaign_id: &str,
        item_id: u32,
        terms: ExceptionTermsDto,
    ) -> Result<Vec<ExceptionDto>, AppError> {
        let id = campaign_id.to_string();
        let app = self.clone();
        let now = self.now();
        self.with_store(move |store| {
            let campaign = store.campaign(&id)?;
            let (definition, _) = parse_definition(&campaign.definition)?;
            let acting = app.authorize(store, &definition.tenant_id, Action::RegisterException)?;
            acting.person()?;
            let expires_on = NaiveDate::parse_from_str(terms.expires_on.trim(), "%Y-%m-%d")
                .map_err(|_| {
                    AppError::fields(
                        "the expiry is not a date",
                        vec![FieldErrorDto {
                            field: "expiresOn".into(),
                            message: "a date as YYYY-MM-DD".into(),
                        }],
                    )
                })?;
            let owner = crate::authority::user_by_upn(store, &definition.tenant_id, &terms.owner)?;
            let checked = Terms {
                owner: owner.upn.clone(),
                expires_on,
                control: terms.control.trim().to_string(),
            };
            exceptions::check_terms(&checked, now.date_naive()).map_err(|problems| {
                AppError::fields(
                    "the exception's terms are incomplete",
                    problems
                        .iter()
                        .map(|p| FieldErrorDto { field: p.field().into(), message: p.to_string() })
                        .collect(),
                )
            })?;
            if !register_now(store, &id, now)?.iter().any(|e| e.item_id == item_id) {
                return Err(AppError::new(
                    ErrorCode::NotFound,
                    format!("item {item_id} is not an exception of campaign {id}"),
                ));
            }
            let events = store.audit_events(Some(&format!("campaign/{id}")))?;
            let seen = events.last().map_or(0, |e| e.seq);
            store.append_campaign_event(&recert_store::CampaignEvent {
                campaign_id: &id,
                kind: REGISTERED,
                actor: &acting.label,
                at: now,
                payload: serde_json::json!({
                    "item": item_id,
                    "owner": checked.owner,
                    "ownerId": owner.id,
                    "expiresOn": checked.expires_on.format("%Y-%m-%d").to_string(),
                    "control": checked.control,
                }),
                seen,
            })?;
            Ok(register_now(store, &id, now)?.into_iter().map(entry_dto).collect())
        })
        .await
    }
}
