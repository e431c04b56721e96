//! The types that cross IPC and the CLI's `--json`: plain data, camelCase, exported to
//! TypeScript (`ui/src/ipc/bindings/`) so the UI and the backend cannot drift apart.

use recert_domain::assignment::Surface;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TenantDto {
    pub id: String,
    pub name: String,
    pub tenant_guid: String,
    pub is_demo: bool,
}

/// One role's eligible and active counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RoleCountDto {
    pub surface: Surface,
    pub role_id: String,
    pub display_name: String,
    pub eligible: u32,
    pub active: u32,
}

/// A tenant's latest population, summarised per role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RoleSummaryDto {
    pub tenant: TenantDto,
    /// RFC 3339 UTC; the UI shows it in local time.
    pub pulled_at: String,
    pub raw_sha256: String,
    pub eligible: u32,
    pub active: u32,
    pub roles: Vec<RoleCountDto>,
    /// What the latest pull could not read, per area and object.
    pub gaps: Vec<PullGapDto>,
}

/// What one pull did.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PullDto {
    pub tenant_id: String,
    pub roles: u32,
    pub eligible: u32,
    pub active: u32,
    pub activations: u32,
    pub requests: u32,
    pub raw_sha256: String,
    pub seconds: f64,
    /// Eligible and active counts per surface (directory roles, PIM for Groups, Azure roles).
    pub surfaces: Vec<SurfaceCountDto>,
    pub principals: u32,
    pub group_members: u32,
    /// What the pull could not read without failing (e.g. sign-in activity without a licence).
    pub notes: Vec<String>,
    /// What the pull could not read, per area and object, and why.
    pub gaps: Vec<PullGapDto>,
}

/// Which part of the tenant a gap is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum GapAreaDto {
    DirectoryRole,
    PimGroup,
    AzureRole,
    ActivationHistory,
    SignInActivity,
}

impl From<recert_domain::GapArea> for GapAreaDto {
    fn from(area: recert_domain::GapArea) -> Self {
        use recert_domain::GapArea as A;
        match area {
            A::DirectoryRole => GapAreaDto::DirectoryRole,
            A::PimGroup => GapAreaDto::PimGroup,
            A::AzureRole => GapAreaDto::AzureRole,
            A::ActivationHistory => GapAreaDto::ActivationHistory,
            A::SignInActivity => GapAreaDto::SignInActivity,
        }
    }
}

/// Why something was not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum GapReasonDto {
    Forbidden,
    NotFound,
    NotConsented,
    NotLicensed,
    PartialScope,
    NotGovernable,
}

impl From<recert_domain::GapReason> for GapReasonDto {
    fn from(reason: recert_domain::GapReason) -> Self {
        use recert_domain::GapReason as R;
        match reason {
            R::Forbidden => GapReasonDto::Forbidden,
            R::NotFound => GapReasonDto::NotFound,
            R::NotConsented => GapReasonDto::NotConsented,
            R::NotLicensed => GapReasonDto::NotLicensed,
            R::PartialScope => GapReasonDto::PartialScope,
            R::NotGovernable => GapReasonDto::NotGovernable,
        }
    }
}

/// One thing a pull could not read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PullGapDto {
    pub area: GapAreaDto,
    /// The group, subscription or role; `null` for the whole area.
    pub object_id: Option<String>,
    pub object_name: Option<String>,
    pub reason: GapReasonDto,
    /// The service's answer, for whoever fixes the access.
    pub detail: String,
    /// The whole gap in one line, as the binder states it.
    pub description: String,
}

impl From<&recert_domain::PullGap> for PullGapDto {
    fn from(gap: &recert_domain::PullGap) -> Self {
        PullGapDto {
            area: gap.area.into(),
            object_id: gap.object_id.clone(),
            object_name: gap.object_name.clone(),
            reason: gap.reason.into(),
            detail: gap.detail.clone(),
            description: gap.describe(),
        }
    }
}

/// Eligible and active grants on one surface.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SurfaceCountDto {
    pub surface: Surface,
    pub eligible: u32,
    pub active: u32,
}

/// How far a pull is: `done` of `total` partitions of `stage`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PullProgressDto {
    /// `directoryRoles`, `pimGroups`, `azureRoles`, `activity`, `principals`, `groupMembers`,
    /// `managers`.
    pub stage: String,
    pub done: u32,
    pub total: u32,
}

/// A real tenant's connection settings, as entered. Never a secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TenantSettingsDto {
    /// Recert's handle, e.g. `fabrikam`.
    pub id: String,
    pub name: String,
    /// The directory (tenant) id, a GUID.
    pub tenant_guid: String,
    /// `public`, `usGovernment`, `china` or `custom`.
    pub cloud: String,
    /// For `custom`: the base URL serving login, `/graph` and `/arm`.
    #[ts(optional)]
    pub base_url: Option<String>,
    /// `interactive`, `appSecret`, `appCertificate` or `azureCli`.
    pub auth: String,
    /// The app registration (required except for `azureCli`).
    #[ts(optional)]
    pub client_id: Option<String>,
    /// For `appCertificate`: a PEM file with the certificate and its RSA key.
    #[ts(optional)]
    pub certificate_path: Option<String>,
}

/// Who is signed in to a tenant, from the ID token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SignedInDto {
    pub oid: String,
    pub tid: String,
    pub upn: Option<String>,
    pub name: Option<String>,
}

/// A known tenant with how it is reached and who is signed in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TenantListItemDto {
    pub tenant: TenantDto,
    pub settings: Option<TenantSettingsDto>,
    /// A token was obtained and a Graph read succeeded in this session (a check or a pull).
    pub connected: bool,
    /// Why it is not connected, when something was tried (or that nothing was yet).
    pub problem: Option<String>,
    pub signed_in: Option<SignedInDto>,
}

/// How one preflight check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum CheckStateDto {
    Pass,
    Fail,
    /// Not checked: a check it depends on (the token) failed.
    Skipped,
}

/// One row of a tenant's preflight.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TenantCheckRowDto {
    /// `token`, `permission`, `read`, `licence`, `role` or `azure`.
    pub area: String,
    pub name: String,
    pub state: CheckStateDto,
    pub detail: String,
    /// For a failure: exactly what to change.
    pub fix: Option<String>,
}

/// A tenant's preflight: can Recert pull it and make its removals, and if not, what to fix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TenantCheckDto {
    pub tenant_id: String,
    /// A token was obtained and a Graph read succeeded.
    pub connected: bool,
    /// Who the token names: the person's UPN or the application's id.
    pub identity: Option<String>,
    /// The token is a person's (delegated permissions) rather than the application's.
    pub delegated: bool,
    pub checked_at: String,
    pub rows: Vec<TenantCheckRowDto>,
}

/// A device-code sign-in waiting for the user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DeviceCodeDto {
    pub user_code: String,
    pub verification_uri: String,
    pub message: String,
}

/// Audit log filters; empty fields do not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AuditQueryDto {
    /// Only events about this campaign.
    pub campaign_id: Option<String>,
    /// Only events by this actor (a UPN or `recert@<os>`), in any case.
    pub actor: Option<String>,
    /// Only events of this kind, e.g. `decision.recorded`.
    pub kind: Option<String>,
    /// Every word must appear in the actor, kind, subject or details.
    pub search: Option<String>,
    pub offset: u32,
    /// At most 500; 100 when zero.
    pub limit: u32,
}

/// One audit event as the viewer shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AuditEventDto {
    /// Its place in the chain, from 1.
    pub seq: u32,
    /// RFC 3339 UTC; the UI shows it in local time.
    pub at: String,
    pub actor: String,
    /// What happened, e.g. `campaign.opened`.
    pub kind: String,
    /// What it happened to, e.g. `campaign/q1`, `tenant/demo`, `setting/safety`.
    pub subject: String,
    /// The event's details as the JSON that was hashed.
    pub details: String,
    pub hash: String,
    /// The subject's name beside its id (the campaign's, the definition's, the tenant's).
    pub subject_name: Option<String>,
    /// The review item the details name (`item`), as "holder (UPN) · role".
    pub item_name: Option<String>,
}

/// One page of the audit log, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AuditPageDto {
    pub events: Vec<AuditEventDto>,
    /// How many events match the filters in all.
    pub total: u32,
    pub offset: u32,
}

/// What re-hashing the whole audit log found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AuditChainDto {
    /// Whether every event chains to the one before and still hashes as written.
    pub intact: bool,
    /// Intact: the last event (0 when the log is empty). Broken: the first event that breaks it.
    pub seq: u32,
    /// Intact: the last event's hash, which every earlier event is bound to.
    pub head_hash: Option<String>,
    /// Broken: what is wrong with event `seq`.
    pub problem: Option<String>,
}

/// Who acts on a tenant in this session, and what they may do: the window shows or hides each
/// action by it (the backend refuses anyway).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ActingDto {
    pub tenant_id: String,
    /// The person acting, if anyone: signed in, or (demo tenant only) chosen.
    pub person: Option<crate::campaigns::dto::IdentityDto>,
    /// Whether `person` signed in (rather than being chosen with "Act as" on the demo tenant).
    pub signed_in: bool,
    /// How the person was identified: a sign-off needs a sign-in of the last five minutes.
    pub authentication: AuthenticationDto,
    pub role: ActingRoleDto,
    /// Whether the tenant has any governance admin; without one, a holder of a governing
    /// directory role bootstraps the first.
    pub admins_exist: bool,
}

/// What the one acting on a tenant is, for what they may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum ActingRoleDto {
    /// A governance admin of the tenant: holds the keys.
    GovernanceAdmin,
    /// A person who is no admin: decides their own review items, verifies, exports.
    Person,
    /// The application, unattended.
    Application,
    /// Nobody signed in (or chosen): nothing changes.
    Nobody,
}

/// One governance admin of a tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AdminDto {
    pub principal_id: String,
    pub upn: String,
    pub display_name: String,
    /// `bootstrap`, `added`, `demo` or `imported`.
    pub how: String,
    pub added_by: String,
    /// RFC 3339 UTC.
    pub added_at: String,
}

/// How a person was identified when they acted (`recert_domain::identity::AuthMethod`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum AuthMethodDto {
    /// Signed in interactively in this session.
    SignIn,
    /// A sign-in restored from the keychain: authenticated earlier.
    RestoredSignIn,
    /// Decided in Entra Access Reviews with the reviewer's Entra identity.
    AccessReviews,
    /// Imported from a CSV file by a governance admin: asserted, not authenticated.
    CsvImport,
    /// The demo tenant's "act as": asserted, not authenticated.
    DemoActAs,
    /// Recorded before Recert kept it, or nobody (the application, no one signed in).
    Unrecorded,
}

/// How a person was identified, with what proves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AuthenticationDto {
    pub method: AuthMethodDto,
    /// Entra vouched for the person (a sign-in), rather than someone asserting who they are.
    pub authenticated: bool,
    /// The ID token's Entra tenant and object id, and when (RFC 3339), for a sign-in.
    pub tenant_id: Option<String>,
    pub object_id: Option<String>,
    pub at: Option<String>,
    /// The admin who imported a CSV line.
    pub imported_by: Option<String>,
    /// One line for a reader.
    pub detail: String,
}

/// What a signer signs a campaign's binder as (`recert_domain::signoff::Capacity`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum SignOffCapacityDto {
    /// A governance admin who answers for the review.
    CampaignOwner,
    /// A second person who took no part in the review's decisions.
    Compliance,
}

/// One sign-off of a binder version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SignOffDto {
    pub version: u32,
    pub capacity: SignOffCapacityDto,
    pub signer_upn: String,
    pub signer_name: String,
    pub signer_id: String,
    /// RFC 3339.
    pub signed_at: String,
    pub authentication: AuthenticationDto,
    pub statement: String,
}

/// A correction recorded after a sign-off: what changed and why, by whom.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CorrectionDto {
    /// The binder version the correction starts.
    pub version: u32,
    pub by: String,
    pub at: String,
    pub note: String,
}

/// A campaign's binder version and its sign-offs, for the evidence view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SignOffStatusDto {
    pub campaign_id: String,
    /// The binder's version now: a change after a sign-off starts the next.
    pub version: u32,
    /// Every sign-off, of every version, in the order recorded.
    pub sign_offs: Vec<SignOffDto>,
    pub corrections: Vec<CorrectionDto>,
    /// The capacities the current version still lacks.
    pub missing: Vec<SignOffCapacityDto>,
    /// The campaign's review is over, so it may be signed.
    pub signable: bool,
    /// The statement a signer confirms.
    pub statement: String,
}

/// What a governance admin records for one exception.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ExceptionTermsDto {
    /// Who answers for it: a user of the tenant, by UPN.
    pub owner: String,
    /// YYYY-MM-DD, after today and at most a year away.
    pub expires_on: String,
    /// What compensates for the access meanwhile.
    pub control: String,
}

/// One exception of a campaign's register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ExceptionDto {
    pub item_id: u32,
    pub principal: String,
    pub role: String,
    pub reason: String,
    pub owner: Option<String>,
    pub expires_on: Option<String>,
    pub control: Option<String>,
    /// "no terms", "current" or "expired".
    pub standing: String,
}

/// An auditor's sample: the seed that draws it again, the items, and the trace sheets' file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SampleDto {
    pub campaign_id: String,
    /// Decimal: give it again (`--seed`) to draw the same sample.
    pub seed: String,
    pub size: u32,
    /// Items the sample was drawn from.
    pub population: u32,
    /// The drawn items, ascending.
    pub items: Vec<u32>,
    /// Per drawn item, the SHA-256 of the sealed raw page it was read from ("" when none).
    pub page_sha256: Vec<String>,
    /// The trace sheets (one PDF) and its SHA-256.
    pub path: String,
    pub sha256: String,
}
