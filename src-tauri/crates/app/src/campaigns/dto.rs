//! Campaign DTOs: the definition form, campaigns with their progress, worklist pages, decisions.
//! Serialized camelCase and exported to TypeScript like every type crossing IPC.

use recert_domain::assignment::{AssignmentKind, Surface};
pub use recert_domain::campaign::CampaignState;
pub use recert_domain::entra_reviews::Delivery;
use recert_domain::review::DecisionSource;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReviewerDto {
    /// Entra object id; may be empty in input, then resolved from `upn`.
    #[serde(default)]
    pub id: String,
    pub upn: String,
    #[serde(default)]
    pub display_name: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PrincipalTypesDto {
    pub users: bool,
    pub guests: bool,
    pub groups: bool,
    pub service_principals: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ScopeDto {
    /// `directoryRole`, `pimGroup`, `azureRole`.
    pub surfaces: Vec<String>,
    /// Empty means every role.
    #[serde(default)]
    pub role_ids: Vec<String>,
    /// `eligible`, `active` or `both`.
    pub kinds: String,
    pub principal_types: PrincipalTypesDto,
    /// Object ids or UPNs never reviewed (break-glass accounts).
    #[serde(default)]
    pub exclusions: Vec<String>,
    /// Group object ids whose PIM for Groups assignments are read besides the role-assignable
    /// groups and those found by earlier pulls.
    #[serde(default)]
    pub pim_groups: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReviewersDto {
    /// `manager`, `named` or `self`.
    pub source: String,
    #[serde(default)]
    pub named: Vec<ReviewerDto>,
    pub fallback: Vec<ReviewerDto>,
    /// `firstDecides` or `allMustApprove`.
    pub rule: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ScheduleDto {
    /// Local date and time of the first start, `YYYY-MM-DDTHH:MM`.
    pub start: String,
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub time_zone: String,
    pub duration_days: u32,
    /// `none`, `monthly`, `quarterly`, `semiAnnual`, `annual`.
    pub recurrence: String,
    /// `never`, `onDate` or `afterCount`.
    pub end: String,
    #[serde(default)]
    pub end_date: Option<String>,
    #[serde(default)]
    pub end_count: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SettingsDto {
    pub justification_on_approve: bool,
    pub justification_on_deny: bool,
    pub recommendations: bool,
    pub look_back_days: u32,
    /// `keep`, `remove` or `recommendation`.
    pub no_response: String,
    pub auto_apply: bool,
    pub remediation_deadline_days: u32,
    /// How long the eligible assignment lasts that "convert to eligible" makes (definitions
    /// stored before it read as 180).
    #[serde(default = "convert_eligible_days")]
    pub convert_eligible_days: u32,
    /// Where the reviewers decide (definitions stored before it read as in Recert).
    #[serde(default)]
    pub delivery: Delivery,
}

fn convert_eligible_days() -> u32 {
    180
}

/// A stage after the first: its reviewers, its days of the review window and which of the
/// previous stage's items it takes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct StageDto {
    /// `manager`, `named`, `roleOwners` or `governanceAdmins`.
    pub reviewers: String,
    #[serde(default)]
    pub named: Vec<ReviewerDto>,
    #[serde(default)]
    pub role_owners: Vec<RoleOwnersDto>,
    pub fallback: Vec<ReviewerDto>,
    /// `firstDecides` or `allMustApprove`.
    pub rule: String,
    pub duration_days: u32,
    /// `all`, `approved`, `denied` or `dontKnow`.
    pub takes: String,
}

/// The owners of one role, for a `roleOwners` stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RoleOwnersDto {
    pub role_id: String,
    pub owners: Vec<ReviewerDto>,
}

/// A campaign definition as the wizard and the CLI write it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DefinitionDto {
    #[serde(default)]
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub scope: ScopeDto,
    pub reviewers: ReviewersDto,
    pub schedule: ScheduleDto,
    pub settings: SettingsDto,
    /// The stages after the first (whose reviewers are `reviewers`); empty for one stage.
    #[serde(default)]
    pub stages: Vec<StageDto>,
}

/// One scheduled window, for the wizard's preview and the dashboard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct OccurrenceDto {
    pub index: u32,
    pub start: String,
    pub end: String,
    /// The name its campaign takes, whenever it opens (on schedule or with "Open now").
    pub campaign_name: String,
}

/// A definition with what comes next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DefinitionSummaryDto {
    pub definition: DefinitionDto,
    pub next: Vec<OccurrenceDto>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ReviewerProgressDto {
    pub id: String,
    pub upn: String,
    pub display_name: String,
    pub assigned: u32,
    pub decided: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CampaignDto {
    pub id: String,
    pub definition_id: String,
    pub name: String,
    pub tenant_id: String,
    pub state: CampaignState,
    pub state_reason: Option<String>,
    pub period_start: String,
    pub period_end: String,
    pub opened_at: Option<String>,
    pub closed_at: Option<String>,
    pub items: u32,
    pub decided: u32,
    pub approved: u32,
    pub denied: u32,
    /// Items no reviewer could be found for: a governance admin must decide them.
    pub unrouted: u32,
    pub overdue: bool,
    /// The stage the review is in, of `stages` (1 of 1 for a one-stage review).
    pub stage: u32,
    pub stages: u32,
    /// Its unfinished removals in the words every view uses (zero before its close).
    pub tally: crate::remediation::dto::TallyDto,
}

/// A campaign with its reviewers' progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CampaignDetailDto {
    pub campaign: CampaignDto,
    pub definition: DefinitionDto,
    pub reviewers: Vec<ReviewerProgressDto>,
    pub snapshot_sha256: Option<String>,
    pub outcomes: OutcomeCountsDto,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct OutcomeCountsDto {
    pub keep: u32,
    pub remove: u32,
    pub exception: u32,
    /// Standing active assignments made eligible.
    pub convert: u32,
    /// Kept with a new end date.
    pub keep_until: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ItemReviewerDto {
    pub id: String,
    pub upn: String,
    pub display_name: String,
    /// Why the item went to this fallback reviewer; `None` for a primary reviewer.
    pub rerouted_because: Option<String>,
    /// A conflict of interest routing could not avoid (the reviewer holds the same role).
    pub conflict: Option<String>,
    /// The stage of the review they review the item in.
    pub stage: u32,
}

/// A reviewer's decision, as the worklist shows it and the window sends it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum VerdictDto {
    Approve,
    Deny,
    DontKnow,
    ConvertToEligible,
    ApproveUntil,
}

impl VerdictDto {
    /// The stored name (`item.verdict`, `decision.verdict`) back into its enum.
    pub fn parse(name: &str) -> Option<VerdictDto> {
        let name = name.split(':').next().unwrap_or_default();
        [
            VerdictDto::Approve,
            VerdictDto::Deny,
            VerdictDto::DontKnow,
            VerdictDto::ConvertToEligible,
            VerdictDto::ApproveUntil,
        ]
        .into_iter()
        .find(|v| v.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            VerdictDto::Approve => "approve",
            VerdictDto::Deny => "deny",
            VerdictDto::DontKnow => "dontKnow",
            VerdictDto::ConvertToEligible => "convertToEligible",
            VerdictDto::ApproveUntil => "approveUntil",
        }
    }
}

/// What an item became at close.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum OutcomeDto {
    Keep,
    Remove,
    Exception,
    Convert,
    KeepUntil,
}

impl OutcomeDto {
    /// The stored name (`keep`, `remove`, `exception`, `convert`, `keepUntil`).
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeDto::Keep => "keep",
            OutcomeDto::Remove => "remove",
            OutcomeDto::Exception => "exception",
            OutcomeDto::Convert => "convert",
            OutcomeDto::KeepUntil => "keepUntil",
        }
    }
}

impl From<recert_domain::review::Outcome> for OutcomeDto {
    fn from(o: recert_domain::review::Outcome) -> OutcomeDto {
        use recert_domain::review::Outcome;
        match o {
            Outcome::Keep => OutcomeDto::Keep,
            Outcome::Remove => OutcomeDto::Remove,
            Outcome::Exception => OutcomeDto::Exception,
            Outcome::Convert => OutcomeDto::Convert,
            Outcome::KeepUntil => OutcomeDto::KeepUntil,
        }
    }
}

/// One row of the worklist with the facts a reviewer needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ItemDto {
    pub id: u32,
    pub surface: Surface,
    pub kind: AssignmentKind,
    /// The assignment's (schedule instance's) id in the tenant.
    pub source_id: String,
    pub role_id: String,
    pub role_name: String,
    pub scope: String,
    pub principal_id: String,
    pub principal_type: String,
    pub principal_name: String,
    pub principal_upn: Option<String>,
    pub account_enabled: Option<bool>,
    pub membership: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub last_activation: Option<String>,
    pub recommendation: Option<String>,
    pub recommendation_reason: Option<String>,
    pub decision: Option<VerdictDto>,
    /// The end date (YYYY-MM-DD) of an "approve until" decision.
    pub decision_until: Option<String>,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
    pub outcome: Option<OutcomeDto>,
    pub outcome_reason: Option<String>,
    /// The last stage of the review that took the item.
    pub stage: u32,
    pub reviewers: Vec<ItemReviewerDto>,
}

/// Worklist filters; empty fields do not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct WorklistQueryDto {
    /// Only items this reviewer (object id or UPN) is assigned; "My reviews".
    pub reviewer: Option<String>,
    pub role_id: Option<String>,
    /// A verdict's name (`approve`, `deny`, `dontKnow`, `convertToEligible`, `approveUntil`)
    /// or `undecided`.
    pub decision: Option<String>,
    pub recommendation: Option<String>,
    pub kind: Option<String>,
    pub membership: Option<String>,
    pub unrouted: bool,
    pub search: Option<String>,
    /// `person`: one person's items together (by name, then role); otherwise by role.
    pub group_by: Option<String>,
    pub offset: u32,
    /// At most 1,000; 200 when zero.
    pub limit: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct WorklistPageDto {
    pub items: Vec<ItemDto>,
    /// The tier of each role on the page, once per role.
    pub roles: Vec<super::RoleFactDto>,
    pub total: u32,
    pub offset: u32,
}

/// A person of a tenant: the one acting (signed in, or chosen on the demo tenant), or one looked
/// up in the directory. Never taken from a caller as the one who acts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct IdentityDto {
    pub id: String,
    pub upn: String,
    pub display_name: String,
    pub tenant_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DecisionResultDto {
    pub recorded: u32,
    /// Set for bulk decisions; ties them together in the evidence.
    pub batch: Option<i64>,
    /// The items decided (or returned to undecided), so the window can undo exactly them.
    pub item_ids: Vec<u32>,
}

/// What "accept recommendations" would decide over a worklist's undecided items, before the
/// reviewer confirms: approvals and denials in all and per role, and what it leaves undecided
/// (no recommendation, or standing access recommended for a person's review).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AcceptPreviewDto {
    pub approve: u32,
    pub deny: u32,
    pub left_undecided: u32,
    pub roles: Vec<AcceptRoleDto>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AcceptRoleDto {
    pub role_name: String,
    pub approve: u32,
    pub deny: u32,
    pub left_undecided: u32,
}

/// What a scheduler run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RunDueDto {
    /// Campaigns moved to their next stage (once per stage).
    pub advanced: Vec<String>,
    pub opened: Vec<String>,
    pub closed: Vec<String>,
    pub missed: Vec<String>,
    /// Open campaigns published to Entra Access Reviews by this run (just opened, or a
    /// publication that had failed).
    pub published: Vec<String>,
    /// Open campaigns whose Entra Access Reviews decisions this run synced.
    pub synced: Vec<String>,
    /// Definitions whose due work failed, with the reason; the others still ran.
    pub failed: Vec<String>,
}

/// One decision of the record: who decided what on an item, in which stage, why and when. A
/// later stage's reviewer sees the earlier ones; the binder lists them all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DecisionTrailDto {
    pub item_id: u32,
    pub stage: u32,
    /// As stored: `approve`, `deny`, `dontKnow`, `convertToEligible`, `approveUntil:YYYY-MM-DD`.
    pub verdict: String,
    pub justification: String,
    pub decided_by: String,
    pub decided_at: String,
    pub source: DecisionSource,
}

/// What happened to one assignment since the previous campaign of the same definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum ChangeKindDto {
    /// The previous campaign removed it (verified), and it is held again.
    CameBack,
    /// The previous campaign decided to remove it, but no removal was verified: still held.
    NotRemoved,
    New,
    /// Removed as the previous campaign decided.
    Removed,
    /// No longer held, without the previous campaign removing it.
    Gone,
    /// Held another way: eligible or active, directly or through a group.
    HeldDifferently,
}

/// One assignment that changed since the previous campaign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PopulationChangeDto {
    pub kind: ChangeKindDto,
    pub principal: String,
    pub role: String,
    /// How it was held then and now (`eligible, direct`); empty where it was not held.
    pub before: String,
    pub now: String,
}

/// The changes since the previous campaign of the same definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SincePreviousDto {
    pub campaign_id: String,
    pub campaign_name: String,
    pub changes: Vec<PopulationChangeDto>,
}
