//! Remediation DTOs: the preview per role and per person, the journal's actions and held items,
//! apply progress, and the safety settings. Serialized camelCase and exported to TypeScript.

use recert_domain::assignment::{AssignmentKind, Surface};
use recert_domain::remediation::{ActionState, Verification};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What an action does to its assignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum ChangeDto {
    /// Removes it.
    Remove,
    /// Makes it eligible (a new eligibility, verified, then the active assignment removed).
    Convert,
    /// Gives it a new end.
    SetEnd,
}

impl From<recert_domain::remediation::change::Change> for ChangeDto {
    fn from(c: recert_domain::remediation::change::Change) -> ChangeDto {
        use recert_domain::remediation::change::Change;
        match c {
            Change::Remove => ChangeDto::Remove,
            Change::Convert => ChangeDto::Convert,
            Change::SetEnd => ChangeDto::SetEnd,
        }
    }
}

/// One removal action as the journal has it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RemediationActionDto {
    pub item_id: u32,
    /// Remove, convert to eligible, or set a new end.
    pub change: ChangeDto,
    /// The end the conversion's eligibility gets, or the assignment's new end.
    pub new_end: Option<String>,
    /// A conversion's eligibility step: planned, submitted or verified.
    pub eligibility: Option<String>,
    pub surface: Surface,
    pub kind: AssignmentKind,
    /// directoryEligibility, directoryAssignment, groupEligibility, groupAssignment,
    /// azureEligibility, azureAssignment.
    pub endpoint: String,
    /// The request in the service's words.
    pub request: String,
    pub role_id: String,
    pub role_name: String,
    pub scope: String,
    pub principal_id: String,
    pub principal_name: String,
    pub principal_upn: Option<String>,
    /// Why it is removed (the item's outcome).
    pub why: String,
    pub state: ActionState,
    /// removed, alreadyGone, drift, activated, inherited, or the service's error code.
    pub state_code: Option<String>,
    pub state_reason: Option<String>,
    pub attempts: u32,
    pub request_id: Option<String>,
    pub request_status: Option<String>,
    pub last_error: Option<String>,
    pub submitted_at: Option<String>,
    pub finished_at: Option<String>,
    pub verification: Option<Verification>,
    pub verification_note: Option<String>,
    pub verified_at: Option<String>,
    /// Past the remediation deadline and not done and verified.
    pub overdue: bool,
    /// Not made (skipped or failed) and not resolved: a governance admin must re-plan, retry or
    /// keep the access. The campaign stays open for it.
    pub exception: bool,
    /// Set when the removal was not made and a named admin kept the access: who (UPN), when, why.
    pub kept_by: Option<String>,
    pub kept_at: Option<String>,
    pub kept_reason: Option<String>,
    /// How many times a person sent it back to planned.
    pub retries: u32,
}

/// One item held back, with why and what a person could do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct HeldItemDto {
    pub item_id: u32,
    pub role_id: String,
    pub role_name: String,
    pub kind: AssignmentKind,
    pub principal_id: String,
    pub principal_name: String,
    pub principal_upn: Option<String>,
    /// viaGroup, protectedPrincipal, criticalRoleMinimum.
    pub code: String,
    pub reason: String,
    pub proposal: Option<String>,
    /// Waits for a named person's confirmation (critical roles).
    pub confirmable: bool,
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<String>,
    /// Set when a named admin decided the access stays: who (UPN), when and why.
    pub kept_by: Option<String>,
    pub kept_at: Option<String>,
    pub kept_reason: Option<String>,
}

/// Per role: how many removals and how many held back.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RoleRemediationDto {
    pub role_id: String,
    pub role_name: String,
    pub remove: u32,
    /// Standing active assignments made eligible.
    pub convert: u32,
    /// Assignments given a new end.
    pub set_end: u32,
    pub held: u32,
}

/// Per person: which roles are removed and which held back, with why.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PersonRemediationDto {
    pub principal_id: String,
    pub principal_name: String,
    pub principal_upn: Option<String>,
    /// "Role (kind): why", one per removal.
    pub remove: Vec<String>,
    /// "Role: eligible until …", one per conversion.
    pub convert: Vec<String>,
    /// "Role (kind): ends …", one per new end.
    pub set_end: Vec<String>,
    /// "Role (kind): why held", one per held item.
    pub held: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RemediationCountsDto {
    pub actions: u32,
    pub planned: u32,
    pub submitted: u32,
    pub succeeded: u32,
    pub failed: u32,
    pub skipped: u32,
    pub held: u32,
    pub awaiting_confirmation: u32,
    pub verified_removed: u32,
    pub still_present: u32,
    pub reappeared: u32,
    /// Conversions and new ends re-read as asked.
    pub verified_changed: u32,
    /// Conversions and new ends re-read and not found as asked.
    pub not_changed: u32,
    /// Actions that convert to eligible.
    pub conversions: u32,
    /// Actions that set a new end.
    pub end_changes: u32,
    pub overdue: u32,
    /// Removals not made and not resolved yet (see `RemediationActionDto::exception`).
    pub exceptions: u32,
}

/// A campaign's unfinished removals in the words every view uses (`recert_domain::tally`):
/// the same four counts on the campaign page, the remediation screen, the dashboard and the binder.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TallyDto {
    /// Items whose access stays although the review said remove, or that still wait: each once.
    pub exceptions: u32,
    /// Removals the safety rules held back and nobody confirmed since.
    pub held: u32,
    /// Held or not-made removals whose access a named admin decided stays.
    pub kept: u32,
    /// Held removals waiting for an admin's confirmation, and removals not made nobody resolved.
    pub needs_person: u32,
}

/// The plan and the journal of one campaign: the preview before applying, the record after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RemediationPlanDto {
    pub campaign_id: String,
    pub campaign_name: String,
    pub campaign_state: recert_domain::campaign::CampaignState,
    pub planned_at: String,
    /// Removals must be done and verified by then (close + the campaign's deadline days).
    pub deadline: Option<String>,
    pub overdue: bool,
    pub auto_apply: bool,
    pub counts: RemediationCountsDto,
    /// The four words' counts, as every view shows them.
    pub tally: TallyDto,
    pub roles: Vec<RoleRemediationDto>,
    pub people: Vec<PersonRemediationDto>,
    pub actions: Vec<RemediationActionDto>,
    pub held: Vec<HeldItemDto>,
}

/// One finished action during apply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RemediationProgressDto {
    pub done: u32,
    pub total: u32,
    pub item_id: u32,
    pub state: ActionState,
    pub principal_name: String,
    pub role_name: String,
    pub message: String,
}

/// A role that must keep at least `minimum_holders` holders through any review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CriticalRoleDto {
    /// Role template id (directory roles) or role GUID (Azure roles).
    pub role_id: String,
    pub name: String,
    pub minimum_holders: u32,
}

/// The safety interlocks of a tenant: protected principals (break-glass) and critical roles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SafetyDto {
    /// Object ids or UPNs that are never removed.
    pub protected_principals: Vec<String>,
    pub critical_roles: Vec<CriticalRoleDto>,
    /// Why no role needs a minimum of holders: required to save an empty critical-role list,
    /// recorded in the audit log with who saved it.
    #[serde(default)]
    #[ts(optional)]
    pub no_critical_roles_because: Option<String>,
}
