//! The evidence model: everything a campaign's binder shows, as plain text and numbers already
//! formatted for a reader. `recert-app` fills it from the store; the renderers here only lay it
//! out, so the PDF, the CSVs and the JSON can never disagree.
//!
//! Times are strings in UTC, formatted by the app (`2026-03-31 09:00:00 UTC`).
//!
//! The JSON export serialises this model as is: field order here is key order there, so
//! reordering fields changes every evidence hash computed from then on.

use serde::{Deserialize, Serialize};

/// The campaign this binder is about.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignInfo {
    pub id: String,
    pub name: String,
    pub definition_name: String,
    pub tenant_name: String,
    pub tenant_id: String,
    pub state: String,
    pub period_start: String,
    pub period_end: String,
    pub opened_at: Option<String>,
    pub closed_at: Option<String>,
    pub completed_at: Option<String>,
}

/// One line of the scope-and-method page: a label and its value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setting {
    pub label: String,
    pub value: String,
}

/// Population counts for one role.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleCount {
    pub surface: String,
    pub role: String,
    pub eligible: u32,
    pub active: u32,
    /// Items created for this role (in scope after the campaign's filters and exclusions).
    pub in_scope: u32,
}

/// How the reviewed listing was obtained: the answer to "how do I know it was complete?".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PopulationStatement {
    pub extracted_at: String,
    pub extracted_by: String,
    /// Each request as sent (endpoint, filters, expansions).
    pub endpoints: Vec<String>,
    pub requests: u32,
    /// SHA-256 over every raw response page, as sealed in the snapshot.
    pub raw_sha256: String,
    pub roles: Vec<RoleCount>,
    pub total_items: u32,
    /// Principals left out by the campaign's exclusions, e.g. break-glass accounts.
    pub excluded: Vec<String>,
    /// What the extraction could not read, one line per area or object with the reason.
    /// (Left out of the JSON when empty, so a complete extraction's export is unchanged.)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<String>,
    /// Who accepted the gaps in the campaign's scope to open it, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gap_accepted: Option<String>,
    /// Raw response pages sealed (a paged answer has a page per `@odata.nextLink`; a `$batch`
    /// answer is one page): what `raw_sha256` covers and the binder attaches.
    #[serde(default)]
    pub pages: u32,
    /// Access that came back for review because its exception in an earlier campaign of the
    /// definition expired. (Left out of the JSON when empty.)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub returning: Vec<String>,
}

/// The decision that stands for an item.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionInfo {
    pub verdict: String,
    pub by_upn: String,
    pub by_id: String,
    /// Set when a governance admin decided on a reviewer's behalf.
    pub acting_for: Option<String>,
    pub at: String,
    pub justification: String,
    /// window, cli, import, bulk, recommendation.
    pub source: String,
    /// How the decider was identified, in a few words: "signed in", or "asserted" with how
    /// ("CSV import", "demo act-as"), so an asserted identity never reads as an authenticated one.
    #[serde(default)]
    pub identity: String,
    /// What proves it: the Entra tenant and object id and the sign-in's time, or who imported it.
    #[serde(default)]
    pub authentication: String,
}

/// One review item with everything the auditor samples.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: u32,
    pub surface: String,
    pub role: String,
    pub scope: String,
    pub principal_name: String,
    pub principal_upn: String,
    pub principal_id: String,
    /// user, guest, group, servicePrincipal.
    pub principal_type: String,
    /// eligible or active.
    pub kind: String,
    /// direct, or `via group <name>`.
    pub membership: String,
    pub reviewers: Vec<String>,
    pub decision: Option<DecisionInfo>,
    pub recommendation: String,
    pub recommendation_reason: String,
    /// keep, remove or exception; empty while the campaign is open.
    pub outcome: String,
    pub outcome_reason: String,
}

/// Every decision ever recorded, including ones later changed: the item history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionEvent {
    pub item_id: u32,
    pub reviewer: String,
    pub verdict: String,
    pub by_upn: String,
    pub at: String,
    pub justification: String,
    pub source: String,
    /// False when a later decision by the same reviewer replaced it.
    pub stands: bool,
    /// The stage of the review it was made in (1 for a one-stage review).
    #[serde(default = "first_stage")]
    pub stage: u32,
    /// As [`DecisionInfo::identity`] and [`DecisionInfo::authentication`].
    #[serde(default)]
    pub identity: String,
    #[serde(default)]
    pub authentication: String,
}

fn first_stage() -> u32 {
    1
}

/// An item that went to a fallback reviewer, and why.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reroute {
    pub item_id: u32,
    pub principal: String,
    pub role: String,
    pub reviewer: String,
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReviewerStat {
    pub upn: String,
    pub name: String,
    pub assigned: u32,
    pub decided: u32,
    /// Median seconds between consecutive decisions of this reviewer; `None` below two.
    pub median_seconds: Option<f64>,
    /// Share of decisions made in bulk, 0–1.
    pub bulk_share: f64,
}

/// One removal and its proof.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemediationEntry {
    pub item_id: u32,
    pub principal: String,
    pub role: String,
    pub action: String,
    pub request_id: String,
    pub submitted_at: String,
    /// succeeded, failed, skipped …
    pub result: String,
    /// The latest verification since the last attempt: verified-removed, still-present,
    /// reappeared, or empty before verification.
    pub verified: String,
    pub verified_at: String,
    /// Every verification of this removal in order, across retries (removed → reappeared →
    /// removed again).
    #[serde(default)]
    pub history: Vec<VerificationRecord>,
}

/// One verification of a removal: when the tenant was read again and what it showed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationRecord {
    pub at: String,
    pub result: String,
}

/// An item that cannot be handled automatically, with its reason and who must act.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionEntry {
    pub item_id: u32,
    pub principal: String,
    pub role: String,
    pub reason: String,
    /// The register's terms, once a governance admin recorded them: who answers for the
    /// exception, until when (YYYY-MM-DD), and what compensates meanwhile. Empty until then.
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub expires_on: String,
    #[serde(default)]
    pub control: String,
    /// "no terms", "current" or "expired", as of the binder's generation.
    #[serde(default)]
    pub standing: String,
}

/// Whether the campaign kept to its schedule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeliness {
    pub scheduled_start: String,
    pub scheduled_end: String,
    pub opened_at: String,
    pub closed_at: String,
    pub remediation_deadline: String,
    pub remediation_done_at: String,
    /// Sentences such as "closed 2 days after the scheduled end".
    pub notes: Vec<String>,
}

/// The audit log's state at export.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditInfo {
    pub head_hash: String,
    pub events: u64,
    /// The campaign's own events, as `time · actor · kind` lines, in order.
    pub campaign_events: Vec<String>,
    pub chain_intact: bool,
}

/// Everything in one campaign's binder.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Binder {
    pub campaign: CampaignInfo,
    pub generated_at: String,
    pub generator: String,
    pub scope_and_method: Vec<Setting>,
    pub population: PopulationStatement,
    pub items: Vec<Item>,
    pub decision_history: Vec<DecisionEvent>,
    pub reroutes: Vec<Reroute>,
    /// Items where self-review was prevented (the reviewer would have been the holder).
    pub self_review_prevented: u32,
    pub reviewers: Vec<ReviewerStat>,
    pub remediation: Vec<RemediationEntry>,
    pub exceptions: Vec<ExceptionEntry>,
    pub timeliness: Timeliness,
    pub audit: AuditInfo,
    /// The statement of meaning printed above the signature lines.
    pub sign_off_statement: String,
    /// Who signs the binder, pre-printed under the signature lines; when empty the page shows
    /// blank lines for a campaign owner and a second reviewer.
    #[serde(default)]
    pub signatories: Vec<Signatory>,
    /// The auditor's tests, computed (the page first after the cover).
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// The rubber-stamp measures per reviewer behind the findings.
    #[serde(default)]
    pub reviewer_patterns: Vec<ReviewerPattern>,
    /// Each role in scope with its tier and, for a custom role, the permissions it grants.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role_catalogue: Vec<RoleEntry>,
    /// What changed since the previous campaign of the same definition; `None` for the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_previous: Option<SincePrevious>,
    /// This binder's version: 1 until a sign-off, then one more at the first change to the
    /// campaign's record after each signed version.
    #[serde(default = "first_version")]
    pub version: u32,
    /// The sign-offs recorded in Recert by the export's cut, of every version.
    #[serde(default)]
    pub sign_offs: Vec<SignOffEntry>,
    /// Corrections recorded after a sign-off, each starting a version.
    #[serde(default)]
    pub corrections: Vec<CorrectionEntry>,
}

fn first_version() -> u32 {
    1
}

/// One sign-off recorded in Recert: who signed which version as what, when, how they were
/// authenticated, and the statement they confirmed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOffEntry {
    pub version: u32,
    /// "Campaign owner" or "Compliance".
    pub capacity: String,
    pub signer_name: String,
    pub signer_upn: String,
    pub signer_id: String,
    pub at: String,
    pub authentication: String,
    pub statement: String,
}

/// A correction to the campaign's record after a sign-off.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectionEntry {
    /// The version the correction starts.
    pub version: u32,
    pub by: String,
    pub at: String,
    pub note: String,
}

/// One role in the campaign's scope.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleEntry {
    pub surface: String,
    pub role: String,
    pub role_id: String,
    /// `critical` (the tenant's critical roles, whose holders the interlocks protect) or
    /// `privileged`.
    pub tier: String,
    /// Built in (Microsoft's), or custom (the tenant's own).
    pub built_in: bool,
    /// For a custom role, each action it allows, as its definition lists them.
    pub permissions: Vec<String>,
    /// Where the permissions were read: the raw page they came from, or why there are none.
    pub permissions_source: String,
    /// Items of this role in the campaign.
    pub items: u32,
}

/// The changes since the previous campaign of the same definition.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SincePrevious {
    pub campaign_id: String,
    pub campaign_name: String,
    pub period: String,
    pub changes: Vec<ChangeEntry>,
}

/// One assignment that changed between the two campaigns.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeEntry {
    /// e.g. `came back after removal`, `new holder`.
    pub kind: String,
    pub principal: String,
    pub role: String,
    pub scope: String,
    /// How it was held then and now (`eligible, direct`); empty where it was not held.
    pub before: String,
    pub now: String,
    pub previous_items: Vec<u32>,
    pub items: Vec<u32>,
}

/// One computed auditor finding and the rows behind it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub title: String,
    /// Needs the auditor's attention.
    pub raised: bool,
    pub measure: String,
    /// The binder section whose rows are behind it.
    pub section: String,
    /// The items behind it (ids as in every table), and the people.
    pub items: Vec<u32>,
    pub people: Vec<String>,
}

/// How one reviewer decided.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReviewerPattern {
    pub reviewer: String,
    pub decisions: u32,
    pub bulk_share: f64,
    pub agreement: Option<f64>,
    pub median_seconds: Option<f64>,
    pub identical_share: f64,
    pub flags: Vec<String>,
}

/// One signature block on the sign-off page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signatory {
    /// What the signer signs as, e.g. "Campaign owner".
    pub role: String,
    /// Pre-printed name; empty for a line to fill in by hand.
    pub name: String,
}

/// A surface in the words a reader uses ("Entra role", "PIM group", "Azure role"), for the PDF
/// and the CSVs; the JSON keeps the stored value (`directoryRole`, `pimGroup`, `azureRole`).
/// A value this does not know is shown as it is rather than guessed at.
pub fn surface_words(surface: &str) -> &str {
    match surface {
        "directoryRole" => "Entra role",
        "pimGroup" => "PIM group",
        "azureRole" => "Azure role",
        other => other,
    }
}
