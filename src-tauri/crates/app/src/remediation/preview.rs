//! The remediation preview (before applying) and record (after), read from the journal: per
//! role and per person what is removed, changed or held back and why, with the counts.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use recert_domain::campaign::CampaignState;
use recert_domain::remediation::change::Change;
use recert_domain::remediation::{self, ActionState, Endpoint, Verification};
use recert_store::Store;
use recert_store::remediation::{ActionRecord, HoldRecord};
use recert_store::worklist::ItemRecord;

use super::campaign_tally;
use super::dto::{
    HeldItemDto, PersonRemediationDto, RemediationActionDto, RemediationCountsDto,
    RemediationPlanDto, RoleRemediationDto,
};
use super::plan::deadline;
use crate::campaigns::rfc3339;
use crate::{AppError, ErrorCode};

/// The preview and record, from the journal.
pub(super) fn plan_dto(
    store: &Store,
    campaign_id: &str,
    now: DateTime<Utc>,
) -> Result<RemediationPlanDto, AppError> {
    let record = store.campaign(campaign_id)?;
    let plan = store.remediation_plan(campaign_id)?.ok_or_else(|| {
        AppError::new(
            ErrorCode::NotFound,
            format!("campaign {campaign_id} has no remediation plan"),
        )
    })?;
    let (deadline, auto_apply) = deadline(store, campaign_id)?;
    let overdue = record.state != CampaignState::Completed && deadline.is_some_and(|d| now > d);
    let items: HashMap<u32, ItemRecord> =
        store.all_items(campaign_id)?.into_iter().map(|i| (i.id, i)).collect();
    let mut preview = Preview::default();
    for a in store.remediation_actions(campaign_id)? {
        preview.action(a, &items, overdue);
    }
    for h in store.remediation_holds(campaign_id)? {
        preview.hold(h, &items);
    }
    Ok(RemediationPlanDto {
        campaign_id: record.id.clone(),
        campaign_name: record.name.clone(),
        campaign_state: record.state,
        planned_at: rfc3339(plan.planned_at),
        deadline: deadline.map(rfc3339),
        overdue,
        auto_apply,
        counts: preview.counts,
        tally: campaign_tally(store, campaign_id)?,
        roles: preview.roles.into_values().collect(),
        people: preview.people.into_values().collect(),
        actions: preview.actions,
        held: preview.held,
    })
}

/// The preview as it is gathered, action by action and hold by hold.
#[derive(Default)]
struct Preview {
    counts: RemediationCountsDto,
    /// By role name and id.
    roles: BTreeMap<(String, String), RoleRemediationDto>,
    /// By lower-cased name and object id.
    people: BTreeMap<(String, String), PersonRemediationDto>,
    actions: Vec<RemediationActionDto>,
    held: Vec<HeldItemDto>,
}

impl Preview {
    fn role(&mut self, role_name: &str, role_id: &str) -> &mut RoleRemediationDto {
        self.roles.entry((role_name.to_string(), role_id.to_string())).or_insert_with(|| {
            RoleRemediationDto {
                role_id: role_id.to_string(),
                role_name: role_name.to_string(),
                ..Default::default()
            }
        })
    }

    fn person(&mut self, name: &str, id: &str, upn: Option<&String>) -> &mut PersonRemediationDto {
        self.people.entry((name.to_lowercase(), id.to_string())).or_insert_with(|| {
            PersonRemediationDto {
                principal_id: id.to_string(),
                principal_name: name.to_string(),
                principal_upn: upn.cloned(),
                ..Default::default()
            }
        })
    }

    /// The action's state and verification counted.
    fn count(&mut self, a: &ActionRecord) {
        let counts = &mut self.counts;
        counts.actions += 1;
        match a.state {
            ActionState::Planned => counts.planned += 1,
            ActionState::Submitted => counts.submitted += 1,
            ActionState::Succeeded => counts.succeeded += 1,
            ActionState::Failed => counts.failed += 1,
            ActionState::Skipped => counts.skipped += 1,
        }
        match a.verification {
            Some(Verification::VerifiedRemoved) => counts.verified_removed += 1,
            Some(Verification::StillPresent) => counts.still_present += 1,
            Some(Verification::Reappeared) => counts.reappeared += 1,
            Some(Verification::VerifiedChanged) => counts.verified_changed += 1,
            Some(Verification::NotChanged) => counts.not_changed += 1,
            None => {}
        }
        counts.conversions += u32::from(a.change == Change::Convert);
        counts.end_changes += u32::from(a.change == Change::SetEnd);
    }

    fn action(&mut self, a: ActionRecord, items: &HashMap<u32, ItemRecord>, overdue: bool) {
        self.count(&a);
        let new_end = a.new_end.map(rfc3339);
        let settled = remediation::settled(a.state, a.verification, a.kept.is_some());
        let exception = a.state.can_retry() && !settled;
        let action_overdue = overdue && !settled;
        self.counts.overdue += u32::from(action_overdue);
        self.counts.exceptions += u32::from(exception);
        let upn = items.get(&a.item_id).and_then(|i| i.principal_upn.clone());
        let role = self.role(&a.role_name, &a.role_id);
        match a.change {
            Change::Remove => role.remove += 1,
            Change::Convert => role.convert += 1,
            Change::SetEnd => role.set_end += 1,
        }
        let person = self.person(&a.principal_name, &a.principal_id, upn.as_ref());
        let until = new_end.clone().unwrap_or_default();
        match a.change {
            Change::Remove => {
                person.remove.push(format!("{} ({}): {}", a.role_name, a.kind.as_str(), a.why))
            }
            Change::Convert => person
                .convert
                .push(format!("{}: active made eligible until {until} ({})", a.role_name, a.why)),
            Change::SetEnd => person.set_end.push(format!(
                "{} ({}): ends {until} ({})",
                a.role_name,
                a.kind.as_str(),
                a.why
            )),
        }
        self.actions.push(RemediationActionDto {
            item_id: a.item_id,
            change: a.change.into(),
            new_end,
            eligibility: a.first.as_ref().map(|f| f.state.as_str().to_string()),
            surface: a.surface,
            kind: a.kind,
            request: Endpoint::parse(&a.endpoint).map_or(String::new(), |e| a.change.describe(e)),
            endpoint: a.endpoint,
            role_id: a.role_id,
            role_name: a.role_name,
            scope: a.scope,
            principal_id: a.principal_id,
            principal_name: a.principal_name,
            principal_upn: upn,
            why: a.why,
            state: a.state,
            state_code: a.state_code,
            state_reason: a.state_reason,
            attempts: a.attempts,
            request_id: a.request_id,
            request_status: a.request_status,
            last_error: a.last_error,
            submitted_at: a.submitted_at.map(rfc3339),
            finished_at: a.finished_at.map(rfc3339),
            verification: a.verification,
            verification_note: a.verification_note,
            verified_at: a.verified_at.map(rfc3339),
            overdue: action_overdue,
            exception,
            kept_by: a.kept.as_ref().map(|k| k.by_upn.clone()),
            kept_at: a.kept.as_ref().map(|k| rfc3339(k.at)),
            kept_reason: a.kept.map(|k| k.reason),
            retries: a.retries,
        });
    }

    fn hold(&mut self, h: HoldRecord, items: &HashMap<u32, ItemRecord>) {
        let Some(item) = items.get(&h.item_id) else { return };
        // A confirmed hold is an action now; the hold stays as the record of who confirmed. A
        // kept one stays held back, decided: nobody needs to confirm it any more.
        if h.confirmed_by_upn.is_none() {
            self.counts.held += 1;
            self.counts.awaiting_confirmation += u32::from(h.confirmable && h.kept.is_none());
            self.role(&item.role_name, &item.role_id).held += 1;
            self.person(&item.principal_name, &item.principal_id, item.principal_upn.as_ref())
                .held
                .push(format!("{} ({}): {}", item.role_name, item.kind.as_str(), h.reason));
        }
        self.held.push(HeldItemDto {
            item_id: h.item_id,
            role_id: item.role_id.clone(),
            role_name: item.role_name.clone(),
            kind: item.kind,
            principal_id: item.principal_id.clone(),
            principal_name: item.principal_name.clone(),
            principal_upn: item.principal_upn.clone(),
            code: h.code,
            reason: h.reason,
            proposal: h.proposal,
            confirmable: h.confirmable,
            confirmed_by: h.confirmed_by_upn,
            confirmed_at: h.confirmed_at.map(rfc3339),
            kept_by: h.kept.as_ref().map(|k| k.by_upn.clone()),
            kept_at: h.kept.as_ref().map(|k| rfc3339(k.at)),
            kept_reason: h.kept.map(|k| k.reason),
        });
    }
}
