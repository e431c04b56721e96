//! Pulling a tenant's whole privileged population: Entra directory roles, PIM for Groups and Azure
//! resource roles, the principals behind them (with managers and last sign-in), the members of
//! groups that hold roles, and activation history.
//!
//! The work is split into partitions (a role, a group, a subscription) fetched concurrently; the
//! client's pacer bounds what is in flight and backs off under throttling. Results are put
//! together in partition order, never completion order, so the raw pages, and the snapshot hash
//! over them, are the same for the same tenant state.
//!
//! Most requests of a large pull are the `$batch` steps asking each holder's manager and last
//! sign-in. They do not wait for the whole population: each partition's holders are sent to
//! [`early_steps`] as the partition arrives. A step's page is the user's own, whichever batch
//! carried it, so the steps' pages are put in user order and the hash does not depend on timing.
//!
//! One object the identity may not read (a group answering 403, a subscription readable only
//! below it, an API without consent) does not fail the pull: it is recorded as a [`PullGap`] and
//! the rest is read. Anything else (throttling that never ends, a malformed answer, a cancel)
//! fails the pull, which then stores nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Datelike, Utc};
use futures_util::{StreamExt, TryStreamExt, stream};
use recert_domain::history::RecordedActivation;
use recert_domain::{
    Activation, Assignment, AssignmentKind, GapArea, GapReason, GroupMember, Membership, Principal,
    PrincipalKind, PullGap, RoleDefinition, ScopeName, Surface, UserType,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::client::BATCH_LIMIT;
use crate::{GraphClient, GraphError, RawBatchResponse, RawPage};

/// PIM for Groups: which groups are asked, and their instances.
mod groups;
/// The names of administrative units and subscriptions assignments are scoped to.
mod scopes;

/// Everything a pull found, with the raw pages that prove it.
#[derive(Debug, Default)]
pub struct Population {
    pub roles: Vec<RoleDefinition>,
    pub assignments: Vec<Assignment>,
    /// PIM activations (running `Activated` instances and audited ones): usage evidence, not
    /// review items.
    pub activations: Vec<Activation>,
    /// Every activation read with the id the tenant gave it (audit event, or `Activated`
    /// instance), for the history Recert appends to and never replaces.
    pub recorded: Vec<RecordedActivation>,
    pub principals: Vec<Principal>,
    /// The names of the administrative units and subscriptions assignments are made at.
    pub scope_names: Vec<ScopeName>,
    /// Transitive members of the groups that hold roles.
    pub group_members: Vec<GroupMember>,
    pub pages: Vec<RawPage>,
    /// What could not be read without failing the pull (e.g. sign-in activity on a tenant
    /// without the licence), in words for the operator.
    pub notes: Vec<String>,
    /// What could not be read, per area and per object, and why.
    pub gaps: Vec<PullGap>,
}

impl Population {
    /// SHA-256 over every page's request and body in a fixed order, so the same tenant state
    /// hashes the same whatever order the concurrent requests finished in.
    pub fn raw_sha256(&self) -> String {
        pages_sha256(&self.pages)
    }
}

/// SHA-256 over raw pages in order, each part length-prefixed: the seal of a snapshot, and what
/// `verify` recomputes from the stored pages years later.
pub fn pages_sha256(pages: &[RawPage]) -> String {
    let mut hasher = Sha256::new();
    for page in pages {
        for part in [
            page.method.as_bytes(),
            page.url.as_bytes(),
            page.request_body.as_deref().unwrap_or_default(),
            &page.body,
        ] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part);
        }
    }
    hex::encode(hasher.finalize())
}

/// Which part of a pull is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PullStage {
    DirectoryRoles,
    PimGroups,
    AzureRoles,
    Activity,
    Principals,
    GroupMembers,
    Managers,
}

impl PullStage {
    pub fn as_str(self) -> &'static str {
        match self {
            PullStage::DirectoryRoles => "directoryRoles",
            PullStage::PimGroups => "pimGroups",
            PullStage::AzureRoles => "azureRoles",
            PullStage::Activity => "activity",
            PullStage::Principals => "principals",
            PullStage::GroupMembers => "groupMembers",
            PullStage::Managers => "managers",
        }
    }
}

/// Partitions done out of the partitions of a stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PullProgress {
    pub stage: PullStage,
    pub done: usize,
    pub total: usize,
}

/// How to pull.
#[derive(Clone, Copy, Default)]
pub struct PullOptions<'a> {
    /// Activation history is read from this instant on (the directory audit log keeps 7 or 30
    /// days); `None` reads what the log has.
    pub activity_since: Option<DateTime<Utc>>,
    /// Called as partitions finish; must be quick.
    pub progress: Option<&'a (dyn Fn(PullProgress) + Send + Sync)>,
    /// Groups whose PIM for Groups instances are read besides the role-assignable ones (object
    /// ids): those named in a campaign definition's scope and those an earlier pull found
    /// holding PIM assignments. See `pull/groups.rs` for why not every group is asked.
    pub pim_groups: &'a [String],
}

impl std::fmt::Debug for PullOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PullOptions")
            .field("activity_since", &self.activity_since)
            .field("pim_groups", &self.pim_groups.len())
            .finish()
    }
}

/// Futures kept in flight per stage; the client's pacer decides how many requests actually run.
const FAN_OUT: usize = 64;
/// Graph's limit for `directoryObjects/getByIds`.
const GET_BY_IDS_LIMIT: usize = 1000;
/// Page size asked where the documentation states `$top` (`/groups`: "default and maximum page
/// sizes are 100 and 999"; the audit log). The PIM instance lists and `transitiveMembers` do not
/// document `$top`, so they are read at the service's own page size.
const TOP: usize = 999;
/// What `getByIds` is asked to return. Without `$select` Graph v1.0 answers "incomplete"
/// objects (graph-docs README fact 13, known-issues.md): `accountEnabled` and `userType` would
/// be missing, and with them the disabled-account and inactive-guest recommendations. Each
/// property is one Recert reads: users' `userPrincipalName`, `mail`, `accountEnabled` and
/// `userType`, service principals' `appId`, groups' `mailNickname`.
pub const GET_BY_IDS_SELECT: &str =
    "id,displayName,userPrincipalName,mail,accountEnabled,userType,appId,mailNickname";
const ACTIVATION_COMPLETED: &str = "Add member to role completed (PIM activation)";

struct Reporter<'a> {
    sink: Option<&'a (dyn Fn(PullProgress) + Send + Sync)>,
    stage: PullStage,
    total: AtomicUsize,
    done: AtomicUsize,
}

impl<'a> Reporter<'a> {
    fn new(options: &PullOptions<'a>, stage: PullStage) -> Reporter<'a> {
        Reporter {
            sink: options.progress,
            stage,
            total: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
        }
    }
    fn add(&self, n: usize) {
        let total = self.total.fetch_add(n, Ordering::Relaxed) + n;
        self.emit(self.done.load(Ordering::Relaxed), total);
    }
    fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        self.emit(done, self.total.load(Ordering::Relaxed));
    }
    fn emit(&self, done: usize, total: usize) {
        if let Some(sink) = self.sink {
            sink(PullProgress { stage: self.stage, done, total });
        }
    }
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

fn time(value: &Value, key: &str) -> Option<DateTime<Utc>> {
    parse_time(value.get(key)?.as_str())
}

fn parse_time(raw: Option<&str>) -> Option<DateTime<Utc>> {
    let parsed = DateTime::parse_from_rfc3339(raw?).ok()?.with_timezone(&Utc);
    // Graph uses year 1 as "no value" in some fields. (Asked of the date, not by formatting it:
    // a pull reads a few hundred thousand times.)
    (parsed.year() != 1).then_some(parsed)
}

/// Why an error leaves one object (or one area) unread without failing the pull: the service
/// refused this identity, the object is gone, or the tenant lacks the licence. Anything else —
/// throttling past every retry, an unreachable service, a malformed answer — fails the pull.
fn gap_reason(err: &GraphError) -> Option<GapReason> {
    match err {
        GraphError::PermissionMissing { .. } | GraphError::Service { status: 403, .. } => {
            Some(GapReason::Forbidden)
        }
        GraphError::Service { status: 404, .. } => Some(GapReason::NotFound),
        GraphError::NotLicensed { .. } => Some(GapReason::NotLicensed),
        _ => None,
    }
}

/// As [`gap_reason`], for ARM: no token for it (consent missing, or no ARM in the tenant) is a
/// gap too, and never the end of the person's sign-in to Graph.
fn arm_gap_reason(err: &GraphError) -> Option<GapReason> {
    match err {
        GraphError::Auth(_) | GraphError::SignInRequired(_) => Some(GapReason::NotConsented),
        other => gap_reason(other),
    }
}

fn gap(
    area: GapArea,
    object: Option<(&str, Option<&str>)>,
    reason: GapReason,
    err: &GraphError,
) -> PullGap {
    PullGap {
        area,
        object_id: object.map(|(id, _)| id.to_string()),
        object_name: object.and_then(|(_, name)| name.map(str::to_string)),
        reason,
        detail: err.to_string(),
    }
}

/// A surface's first list the service will not let us read: the surface is a gap in the pull,
/// not a failed pull (`Err(part)` is the whole part to return); other errors still fail it.
fn or_unread<T>(
    read: Result<T, GraphError>,
    area: GapArea,
    reason_of: fn(&GraphError) -> Option<GapReason>,
) -> Result<Result<T, Part>, GraphError> {
    match read {
        Ok(found) => Ok(Ok(found)),
        Err(err) => match reason_of(&err) {
            Some(reason) => {
                Ok(Err(Part { gaps: vec![gap(area, None, reason, &err)], ..Part::default() }))
            }
            None => Err(err),
        },
    }
}

/// Adds a gap unless the same object already has one for the same reason (the eligibility and
/// the assignment list of one role or group usually fail together: one line is enough).
fn push_gap(gaps: &mut Vec<PullGap>, new: PullGap) {
    let same =
        |g: &PullGap| g.area == new.area && g.object_id == new.object_id && g.reason == new.reason;
    if !gaps.iter().any(same) {
        gaps.push(new);
    }
}

fn malformed(url: &str, message: impl Into<String>) -> GraphError {
    GraphError::Malformed { url: url.to_string(), message: message.into(), request_id: None }
}

fn is(value: &Value, key: &str, expected: &str) -> bool {
    value.get(key).and_then(Value::as_str).is_some_and(|v| v.eq_ignore_ascii_case(expected))
}

/// A string field that is present and not empty.
fn filled(field: Option<String>) -> Option<String> {
    field.filter(|s| !s.is_empty())
}

fn equals(field: &Option<String>, expected: &str) -> bool {
    field.as_deref().is_some_and(|v| v.eq_ignore_ascii_case(expected))
}

fn principal_kind(odata_type: &str) -> PrincipalKind {
    match odata_type.trim_start_matches('#').trim_start_matches("microsoft.graph.") {
        "user" | "User" => PrincipalKind::User,
        "group" | "Group" => PrincipalKind::Group,
        "servicePrincipal" | "ServicePrincipal" => PrincipalKind::ServicePrincipal,
        _ => PrincipalKind::Unknown,
    }
}

/// One partition's items and pages, with what it was (a kind) and its URL.
type Fetched<T, K> = (Vec<T>, Vec<RawPage>, K, String);

// What a pull reads of the objects it gets most of, parsed straight from the bytes: a tenant of
// 100,000 assignments is a few hundred thousand objects, and a `serde_json::Value` tree costs an
// allocation per key and per string of each, most of it for fields nobody reads. Unknown fields
// are skipped; a missing or `null` one is `None`, as it was in the tree.

/// An Entra-role schedule instance (eligibility or assignment).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct DirectoryInstance {
    id: Option<String>,
    principal_id: Option<String>,
    role_definition_id: Option<String>,
    directory_scope_id: Option<String>,
    start_date_time: Option<String>,
    end_date_time: Option<String>,
    member_type: Option<String>,
    assignment_type: Option<String>,
    principal: Option<ExpandedPrincipal>,
}

/// The principal an instance carries when it was asked with `$expand=principal`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExpandedPrincipal {
    #[serde(rename = "@odata.type")]
    odata_type: Option<String>,
    display_name: Option<String>,
    user_principal_name: Option<String>,
}

/// A PIM for Groups schedule instance (eligibility or assignment).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupInstance {
    id: Option<String>,
    principal_id: Option<String>,
    group_id: Option<String>,
    access_id: Option<String>,
    start_date_time: Option<String>,
    end_date_time: Option<String>,
    member_type: Option<String>,
    assignment_type: Option<String>,
}

/// A directory object as `getByIds` returns it.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct DirectoryObject {
    #[serde(rename = "@odata.type")]
    odata_type: Option<String>,
    id: Option<String>,
    display_name: Option<String>,
    user_principal_name: Option<String>,
    app_id: Option<String>,
    mail_nickname: Option<String>,
    mail: Option<String>,
    account_enabled: Option<bool>,
    user_type: Option<String>,
}

/// Only the id of an object (a group member, a manager).
#[derive(Debug, Default, serde::Deserialize)]
struct IdOnly {
    id: Option<String>,
}

/// A user's `$batch` step: `$select=id,signInActivity&$expand=manager($levels=1;$select=id)`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserStep {
    manager: Option<IdOnly>,
    sign_in_activity: Option<SignInActivity>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignInActivity {
    last_successful_sign_in_date_time: Option<String>,
    last_sign_in_date_time: Option<String>,
    last_non_interactive_sign_in_date_time: Option<String>,
}

/// A directory audit event, as far as an activation needs it: a tenant's log holds tens of
/// thousands of them, each mostly fields nobody reads here.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuditEvent {
    id: Option<String>,
    category: Option<String>,
    activity_date_time: Option<String>,
    target_resources: Option<Vec<AuditTarget>>,
    additional_details: Option<Vec<AuditDetail>>,
    initiated_by: Option<AuditInitiator>,
}

#[derive(Debug, Default, serde::Deserialize)]
struct AuditTarget {
    #[serde(rename = "type")]
    kind: Option<String>,
    id: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
struct AuditDetail {
    key: Option<String>,
    value: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
struct AuditInitiator {
    user: Option<IdOnly>,
}

/// A part of the population, as one stage found it.
#[derive(Default)]
struct Part {
    roles: Vec<RoleDefinition>,
    scope_names: Vec<ScopeName>,
    assignments: Vec<Assignment>,
    activations: Vec<Activation>,
    recorded: Vec<RecordedActivation>,
    pages: Vec<RawPage>,
    notes: Vec<String>,
    gaps: Vec<PullGap>,
}

impl Part {
    /// Keeps an activation, and records it under its id when it has one.
    fn activated(&mut self, id: Option<String>, activation: Activation) {
        if let Some(event_id) = filled(id) {
            self.recorded.push(RecordedActivation { event_id, activation: activation.clone() });
        }
        self.activations.push(activation);
    }
}

/// Maps one Entra-role schedule instance: `Ok(Err(activation))` for an activation.
fn directory_instance(
    value: DirectoryInstance,
    kind: AssignmentKind,
    url: &str,
) -> Result<Result<Assignment, Activation>, GraphError> {
    let missing = |field: &str| malformed(url, format!("a schedule instance has no `{field}`"));
    let principal_id = filled(value.principal_id).ok_or_else(|| missing("principalId"))?;
    let role_id = filled(value.role_definition_id).ok_or_else(|| missing("roleDefinitionId"))?;
    let scope = filled(value.directory_scope_id).unwrap_or_else(|| "/".into());
    let start = parse_time(value.start_date_time.as_deref());
    if equals(&value.assignment_type, "Activated") {
        return Ok(Err(Activation {
            surface: Surface::DirectoryRole,
            role_id,
            scope,
            principal_id,
            at: start.unwrap_or_default(),
        }));
    }
    let membership = match value.member_type.as_deref() {
        Some(t) if !t.eq_ignore_ascii_case("Direct") => Membership::Group,
        _ => Membership::Direct,
    };
    // `$expand=principal` is not asked for (principals are resolved in bulk), but a saved
    // response that has it still names the principal.
    let principal = value.principal.unwrap_or_default();
    Ok(Ok(Assignment {
        surface: Surface::DirectoryRole,
        source_id: filled(value.id).ok_or_else(|| missing("id"))?,
        role_id,
        scope,
        principal_kind: principal_kind(principal.odata_type.as_deref().unwrap_or_default()),
        principal_name: filled(principal.display_name).unwrap_or_else(|| principal_id.clone()),
        principal_upn: filled(principal.user_principal_name),
        principal_id,
        kind,
        membership,
        start,
        end: parse_time(value.end_date_time.as_deref()),
    }))
}

/// Entra directory roles: the catalogue, then per role its eligibility and assignment instances.
async fn directory_roles(
    client: &GraphClient,
    options: &PullOptions<'_>,
    holders: &Holders,
) -> Result<Part, GraphError> {
    let report = Reporter::new(options, PullStage::DirectoryRoles);
    let cloud = client.cloud();
    // rbacapplication-list-roledefinitions.md documents `$filter` and `$expand` only: no `$select`.
    let roles_url = cloud.graph_url("roleManagement/directory/roleDefinitions");
    let (role_values, mut pages) =
        match or_unread(client.get_all(&roles_url).await, GapArea::DirectoryRole, gap_reason)? {
            Ok(found) => found,
            Err(unread) => return Ok(unread),
        };
    let roles = role_values
        .iter()
        .map(|v| {
            let role = || {
                Some(RoleDefinition {
                    surface: Surface::DirectoryRole,
                    id: text(v, "id")?,
                    display_name: text(v, "displayName")?,
                    is_built_in: v.get("isBuiltIn").and_then(Value::as_bool).unwrap_or(false),
                    permissions: Some(entra_permissions(v)),
                })
            };
            role()
                .ok_or_else(|| malformed(&roles_url, "a role definition has no id or displayName"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Owned (not borrowed from `roles`): a stream of borrowed items makes this future not `Send`
    // for every lifetime, which the window's command runtime requires.
    let partitions: Vec<(String, AssignmentKind, (String, String))> = roles
        .iter()
        .flat_map(|role| {
            // `$select`, `$filter` and `$expand` are what these lists document; the filter is
            // the one Microsoft's own access-review scopes use. No `$top` (undocumented here) and
            // no nested options in an `$expand` (reported to fail with 400): the holders' types
            // come from `getByIds`, which resolves them anyway.
            let query = format!("$filter=roleDefinitionId eq '{}'", role.id);
            [
                (
                    cloud.graph_url(&format!(
                        "roleManagement/directory/roleEligibilityScheduleInstances?{query}"
                    )),
                    AssignmentKind::Eligible,
                    (role.id.clone(), role.display_name.clone()),
                ),
                (
                    cloud.graph_url(&format!(
                        "roleManagement/directory/roleAssignmentScheduleInstances?{query}"
                    )),
                    AssignmentKind::Active,
                    (role.id.clone(), role.display_name.clone()),
                ),
            ]
        })
        .collect();
    report.add(partitions.len());
    // `buffered` (not `buffer_unordered`) keeps results in partition order.
    type Read = Result<Fetched<DirectoryInstance, AssignmentKind>, PullGap>;
    let results: Vec<Read> = stream::iter(partitions)
        .map(|(url, kind, role)| {
            let report = &report;
            async move {
                let read = match client.get_all_as::<DirectoryInstance>(&url).await {
                    Ok((items, pages)) => {
                        // An instance names its principal without its type: every holder is
                        // asked, and a group or an application simply answers 404.
                        holders.send(
                            items
                                .iter()
                                .filter(|i| !equals(&i.assignment_type, "Activated"))
                                .filter_map(|i| i.principal_id.as_deref())
                                .map(str::to_ascii_lowercase)
                                .collect(),
                        );
                        Ok((items, pages, kind, url))
                    }
                    Err(err) => match gap_reason(&err) {
                        Some(reason) => Err(gap(
                            GapArea::DirectoryRole,
                            Some((&role.0, Some(&role.1))),
                            reason,
                            &err,
                        )),
                        None => return Err(err),
                    },
                };
                report.tick();
                Ok::<_, GraphError>(read)
            }
        })
        .buffered(FAN_OUT)
        .try_collect()
        .await?;
    let mut part = Part { roles, ..Part::default() };
    for read in results {
        let (items, partition_pages, kind, url) = match read {
            Ok(fetched) => fetched,
            Err(gap) => {
                push_gap(&mut part.gaps, gap);
                continue;
            }
        };
        for item in items {
            let id = item.id.clone();
            match directory_instance(item, kind, &url)? {
                Ok(a) => part.assignments.push(a),
                Err(activation) => part.activated(id, activation),
            }
        }
        pages.extend(partition_pages);
    }
    part.pages = pages;
    Ok(part)
}

/// What an Entra role allows: every `rolePermissions[].allowedResourceActions` entry
/// (rbacapplication-list-roledefinitions.md shows them in the list's answer, no `$select` needed).
fn entra_permissions(role: &Value) -> Vec<String> {
    strings_under(role.get("rolePermissions"), "allowedResourceActions")
}

/// What an Azure role allows: `properties.permissions[].actions` of the role definitions list;
/// `None` when the answer has no permissions block.
fn azure_permissions(props: &Value) -> Option<Vec<String>> {
    props.get("permissions")?;
    Some(strings_under(props.get("permissions"), "actions"))
}

/// The strings of `key` in each object of an array, in order, each once.
fn strings_under(list: Option<&Value>, key: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for entry in list.and_then(Value::as_array).into_iter().flatten() {
        for s in entry.get(key).and_then(Value::as_array).into_iter().flatten() {
            if let Some(s) = s.as_str().filter(|s| !out.iter().any(|o| o == s)) {
                out.push(s.to_string());
            }
        }
    }
    out
}

/// The role GUID at the end of an ARM role definition id: the same role in every subscription.
fn arm_role_guid(id: &str) -> String {
    id.rsplit('/').next().unwrap_or(id).to_ascii_lowercase()
}

/// Azure resource roles: every subscription the identity sees, and per subscription its role
/// definitions and eligibility and assignment instances (at, above and below it). An instance
/// made above a subscription shows in each; it is kept once.
async fn azure_roles(client: &GraphClient, options: &PullOptions<'_>) -> Result<Part, GraphError> {
    let report = Reporter::new(options, PullStage::AzureRoles);
    let cloud = client.cloud();
    let subs_url = cloud.arm_url("subscriptions?api-version=2022-12-01");
    let (subs, mut pages) =
        match or_unread(client.get_all(&subs_url).await, GapArea::AzureRole, arm_gap_reason)? {
            Ok(found) => found,
            Err(unread) => return Ok(unread),
        };
    let mut sub_ids: Vec<String> = subs.iter().filter_map(|s| text(s, "id")).collect();
    sub_ids.sort();
    sub_ids.dedup();
    let auth = "providers/Microsoft.Authorization";
    let sub_names: HashMap<String, String> =
        subs.iter().filter_map(|s| Some((text(s, "id")?, text(s, "displayName")?))).collect();
    let partitions: Vec<(String, Option<AssignmentKind>, String)> = sub_ids
        .iter()
        .flat_map(|id| {
            let sub = id.trim_start_matches('/');
            [
                (
                    cloud.arm_url(&format!("{sub}/{auth}/roleDefinitions?api-version=2022-04-01")),
                    None,
                    id.clone(),
                ),
                (
                    cloud.arm_url(&format!(
                        "{sub}/{auth}/roleEligibilityScheduleInstances?api-version=2020-10-01"
                    )),
                    Some(AssignmentKind::Eligible),
                    id.clone(),
                ),
                (
                    cloud.arm_url(&format!(
                        "{sub}/{auth}/roleAssignmentScheduleInstances?api-version=2020-10-01"
                    )),
                    Some(AssignmentKind::Active),
                    id.clone(),
                ),
            ]
        })
        .collect();
    report.add(partitions.len());
    type Read = Result<Fetched<Value, Option<AssignmentKind>>, PullGap>;
    let sub_names = &sub_names;
    let results: Vec<Read> = stream::iter(partitions)
        .map(|(url, kind, sub)| {
            let report = &report;
            async move {
                let read = match client.get_all(&url).await {
                    Ok((items, pages)) => Ok((items, pages, kind, url)),
                    Err(err) => match arm_gap_reason(&err) {
                        // A subscription listed for this identity whose instances it may not
                        // read there: its access is granted below the subscription.
                        Some(GapReason::Forbidden) => Err(gap(
                            GapArea::AzureRole,
                            Some((&sub, sub_names.get(&sub).map(String::as_str))),
                            GapReason::PartialScope,
                            &err,
                        )),
                        Some(reason) => Err(gap(
                            GapArea::AzureRole,
                            Some((&sub, sub_names.get(&sub).map(String::as_str))),
                            reason,
                            &err,
                        )),
                        None => return Err(err),
                    },
                };
                report.tick();
                Ok::<_, GraphError>(read)
            }
        })
        .buffered(FAN_OUT)
        .try_collect()
        .await?;
    let mut part = Part::default();
    let mut roles: BTreeMap<String, RoleDefinition> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for read in results {
        let (items, partition_pages, kind, url) = match read {
            Ok(fetched) => fetched,
            Err(gap) => {
                push_gap(&mut part.gaps, gap);
                continue;
            }
        };
        pages.extend(partition_pages);
        for item in &items {
            let props = item.get("properties").unwrap_or(&Value::Null);
            let Some(kind) = kind else {
                let Some(name) = text(item, "name") else { continue };
                let role =
                    roles.entry(name.to_ascii_lowercase()).or_insert_with(|| RoleDefinition {
                        surface: Surface::AzureRole,
                        id: name.to_ascii_lowercase(),
                        display_name: text(props, "roleName").unwrap_or(name),
                        is_built_in: is(props, "type", "BuiltInRole"),
                        permissions: None,
                    });
                if role.permissions.is_none() {
                    role.permissions = azure_permissions(props);
                }
                continue;
            };
            let missing =
                |f: &str| malformed(&url, format!("an ARM schedule instance has no `{f}`"));
            let id = text(item, "id").ok_or_else(|| missing("id"))?;
            if !seen.insert(id.to_ascii_lowercase()) {
                continue;
            }
            let principal_id = text(props, "principalId").ok_or_else(|| missing("principalId"))?;
            let role_def =
                text(props, "roleDefinitionId").ok_or_else(|| missing("roleDefinitionId"))?;
            let role_id = arm_role_guid(&role_def);
            let scope = text(props, "scope").ok_or_else(|| missing("scope"))?;
            let expanded = props.get("expandedProperties").unwrap_or(&Value::Null);
            if let Some(name) =
                expanded.pointer("/roleDefinition/displayName").and_then(Value::as_str)
            {
                roles.entry(role_id.clone()).or_insert_with(|| RoleDefinition {
                    surface: Surface::AzureRole,
                    id: role_id.clone(),
                    display_name: name.to_string(),
                    is_built_in: is(&expanded["roleDefinition"], "type", "BuiltInRole"),
                    permissions: None,
                });
            }
            let start = time(props, "startDateTime");
            if is(props, "assignmentType", "Activated") {
                let activation = Activation {
                    surface: Surface::AzureRole,
                    role_id,
                    scope,
                    principal_id,
                    at: start.unwrap_or_default(),
                };
                part.activated(Some(id), activation);
                continue;
            }
            part.assignments.push(Assignment {
                surface: Surface::AzureRole,
                source_id: id,
                role_id,
                scope,
                principal_kind: principal_kind(
                    props.get("principalType").and_then(Value::as_str).unwrap_or_default(),
                ),
                principal_name: expanded
                    .pointer("/principal/displayName")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| principal_id.clone()),
                principal_upn: None,
                principal_id,
                kind,
                membership: if is(props, "memberType", "Group") {
                    Membership::Group
                } else {
                    Membership::Direct
                },
                start,
                end: time(props, "endDateTime"),
            });
        }
    }
    part.roles = roles.into_values().collect();
    part.scope_names = scopes::subscription_names(sub_names);
    part.pages = pages;
    Ok(part)
}

/// Activation history from the directory audit log. A tenant or identity that cannot read the log
/// still gets its population; the gap is noted.
async fn activity(client: &GraphClient, options: &PullOptions<'_>) -> Result<Part, GraphError> {
    let report = Reporter::new(options, PullStage::Activity);
    report.add(1);
    let mut filter = format!("activityDisplayName eq '{ACTIVATION_COMPLETED}'");
    if let Some(since) = options.activity_since {
        filter
            .push_str(&format!(" and activityDateTime ge {}", since.format("%Y-%m-%dT%H:%M:%SZ")));
    }
    let url =
        client.cloud().graph_url(&format!("auditLogs/directoryAudits?$filter={filter}&$top={TOP}"));
    let (events, pages) = match client.get_all_as::<AuditEvent>(&url).await {
        Ok(found) => found,
        Err(err @ (GraphError::PermissionMissing { .. } | GraphError::NotLicensed { .. })) => {
            report.tick();
            let reason = gap_reason(&err).unwrap_or(GapReason::Forbidden);
            return Ok(Part {
                notes: vec![format!("activation history was not read: {err}")],
                gaps: vec![gap(GapArea::ActivationHistory, None, reason, &err)],
                ..Part::default()
            });
        }
        Err(err) => return Err(err),
    };
    report.tick();
    let mut part = Part { pages, ..Part::default() };
    for event in events {
        let surface = match event.category.as_deref() {
            Some("GroupManagement") => Surface::PimGroup,
            Some("ResourceManagement") => Surface::AzureRole,
            _ => Surface::DirectoryRole,
        };
        let targets = event.target_resources.unwrap_or_default();
        let target = |kind: &str| {
            targets
                .iter()
                .find(|t| t.kind.as_deref().is_some_and(|k| k.eq_ignore_ascii_case(kind)))
                .and_then(|t| filled(t.id.clone()))
        };
        let details = event.additional_details.unwrap_or_default();
        let detail = |key: &str| {
            details
                .iter()
                .find(|d| d.key.as_deref().is_some_and(|k| k.eq_ignore_ascii_case(key)))
                .and_then(|d| filled(d.value.clone()))
        };
        let role = detail("RoleDefinitionOriginId").or_else(|| target("Role"));
        let principal = target("User")
            .or_else(|| event.initiated_by.and_then(|by| by.user).and_then(|user| filled(user.id)));
        let (Some(role_id), Some(principal_id), Some(at)) =
            (role, principal, parse_time(event.activity_date_time.as_deref()))
        else {
            continue;
        };
        let activation = Activation {
            surface,
            role_id: if surface == Surface::AzureRole { arm_role_guid(&role_id) } else { role_id },
            scope: if surface == Surface::DirectoryRole { "/".into() } else { String::new() },
            principal_id,
            at,
        };
        part.activated(event.id, activation);
    }
    Ok(part)
}

fn principal(value: DirectoryObject) -> Option<Principal> {
    let kind = principal_kind(value.odata_type.as_deref().unwrap_or_default());
    let id = filled(value.id)?;
    let upn = match kind {
        PrincipalKind::User => filled(value.user_principal_name),
        PrincipalKind::ServicePrincipal => filled(value.app_id),
        _ => filled(value.mail_nickname),
    };
    Some(Principal {
        display_name: filled(value.display_name).unwrap_or_else(|| id.clone()),
        id,
        kind,
        upn,
        mail: filled(value.mail),
        account_enabled: value.account_enabled,
        user_type: filled(value.user_type).and_then(|t| UserType::parse(&t)),
        manager_id: None,
        last_sign_in: None,
    })
}

/// Resolves ids with `directoryObjects/getByIds`, 1,000 per call. Ids the directory no longer has
/// (deleted objects) are simply absent from the answer.
async fn resolve(
    client: &GraphClient,
    ids: &[String],
    report: &Reporter<'_>,
) -> Result<(Vec<Principal>, Vec<RawPage>), GraphError> {
    let url =
        client.cloud().graph_url(&format!("directoryObjects/getByIds?$select={GET_BY_IDS_SELECT}"));
    // Owned chunks: a stream over borrowed slices makes this future not `Send` for every
    // lifetime, which the window's command runtime requires.
    let chunks: Vec<Vec<String>> = ids.chunks(GET_BY_IDS_LIMIT).map(<[String]>::to_vec).collect();
    report.add(chunks.len());
    /// `getByIds` answers one page, never a next link.
    #[derive(serde::Deserialize)]
    struct Found {
        value: Option<Vec<DirectoryObject>>,
    }
    let answers: Vec<(Vec<DirectoryObject>, RawPage)> = stream::iter(chunks)
        .map(|chunk: Vec<String>| {
            let url = &url;
            async move {
                let body = json!({ "ids": chunk, "types": ["user", "group", "servicePrincipal"] });
                let (found, raw) = client.post_read_as::<Found>(url, &body).await?;
                let Some(items) = found.value else {
                    return Err(malformed(url, "getByIds answered without a `value` array"));
                };
                report.tick();
                let page = RawPage {
                    method: "POST".into(),
                    url: url.clone(),
                    request_body: serde_json::to_vec(&body).ok(),
                    body: raw,
                };
                Ok((items, page))
            }
        })
        .buffered(FAN_OUT)
        .try_collect()
        .await?;
    let mut principals = Vec::new();
    let mut pages = Vec::new();
    for (items, page) in answers {
        principals.extend(items.into_iter().filter_map(principal));
        pages.push(page);
    }
    Ok((principals, pages))
}

/// Runs `$batch` steps, 20 per batch, and returns each step's answer in order.
async fn batched(
    client: &GraphClient,
    urls: Vec<String>,
    report: &Reporter<'_>,
) -> Result<Vec<RawBatchResponse>, GraphError> {
    let chunks: Vec<Vec<String>> = urls.chunks(BATCH_LIMIT).map(<[_]>::to_vec).collect();
    report.add(chunks.len());
    let answers: Vec<Vec<RawBatchResponse>> = stream::iter(chunks)
        .map(|chunk| async move {
            let answers = client.batch_get_raw(&chunk).await?;
            report.tick();
            Ok::<_, GraphError>(answers)
        })
        .buffered(FAN_OUT)
        .try_collect()
        .await?;
    Ok(answers.into_iter().flatten().collect())
}

fn last_sign_in(activity: Option<SignInActivity>) -> Option<DateTime<Utc>> {
    let activity = activity?;
    parse_time(activity.last_successful_sign_in_date_time.as_deref()).or_else(|| {
        [
            parse_time(activity.last_sign_in_date_time.as_deref()),
            parse_time(activity.last_non_interactive_sign_in_date_time.as_deref()),
        ]
        .into_iter()
        .flatten()
        .max()
    })
}

/// Whether `signInActivity` can be read: it needs AuditLog.Read.All and a P1/P2 licence. Asked
/// once, at the start, so that the per-user steps can carry it or leave it out.
async fn sign_in_readable(
    client: &GraphClient,
) -> Result<Result<(), (String, PullGap)>, GraphError> {
    let probe = client.cloud().graph_url("users?$select=id,signInActivity&$top=1");
    match client.get(&probe).await {
        Ok(_) => Ok(Ok(())),
        Err(err @ (GraphError::PermissionMissing { .. } | GraphError::NotLicensed { .. })) => {
            let reason = gap_reason(&err).unwrap_or(GapReason::Forbidden);
            Ok(Err((
                format!("last sign-in was not read: {err}"),
                gap(GapArea::SignInActivity, None, reason, &err),
            )))
        }
        Err(err) => Err(err),
    }
}

/// The part of a pull that hangs off the assignments: who holds them, what the holding groups
/// contain, and each user's manager and last sign-in.
#[derive(Default)]
struct Directory {
    principals: BTreeMap<String, Principal>,
    group_members: Vec<GroupMember>,
    pages: Vec<RawPage>,
    notes: Vec<String>,
    gaps: Vec<PullGap>,
}

/// Pulls the whole privileged population. What the identity may not read is recorded in
/// [`Population::gaps`]; any other failure is an error and nothing comes back.
///
/// The activation history does not depend on anything else and runs beside the rest. The
/// holders' managers and last sign-ins are asked as the partitions naming them arrive
/// ([`early_steps`]); resolving the principals needs every assignment first.
pub async fn pull(
    client: &GraphClient,
    options: &PullOptions<'_>,
) -> Result<Population, GraphError> {
    let managers_report = Reporter::new(options, PullStage::Managers);
    let assignments_and_directory = async {
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
        let parts = async move {
            let holders = Holders(sender);
            let (directory, groups, azure) = futures_util::try_join!(
                directory_roles(client, options, &holders),
                async {
                    let part = groups::pim_groups(client, options).await?;
                    holders.send(holders_of(&part));
                    Ok(part)
                },
                async {
                    let part = azure_roles(client, options).await?;
                    holders.send(holders_of(&part));
                    Ok(part)
                },
            )?;
            // Dropping the last sender tells the steps that no more holders come.
            drop(holders);
            Ok::<_, GraphError>([directory, groups, azure])
        };
        let (parts, early) =
            futures_util::try_join!(parts, early_steps(client, receiver, &managers_report))?;
        let units = scopes::unit_ids(&parts[0].assignments);
        let (found, units) = futures_util::try_join!(
            principals(client, options, &parts, early, &managers_report),
            scopes::unit_names(client, units),
        )?;
        Ok::<_, GraphError>((parts, (found, units)))
    };
    let ((parts, (found, units)), activity) =
        futures_util::try_join!(assignments_and_directory, activity(client, options))?;
    let mut population = Population::default();
    let (unit_names, unit_pages, unit_notes) = units;
    let mut instance_activations = Vec::new();
    for part in parts {
        population.roles.extend(part.roles);
        population.scope_names.extend(part.scope_names);
        population.assignments.extend(part.assignments);
        instance_activations.extend(part.activations);
        population.recorded.extend(part.recorded);
        population.pages.extend(part.pages);
        population.notes.extend(part.notes);
        population.gaps.extend(part.gaps);
    }
    population.pages.extend(activity.pages);
    population.notes.extend(activity.notes);
    population.gaps.extend(activity.gaps);
    population.recorded.extend(activity.recorded);
    population.activations = merge_activations(activity.activations, instance_activations);
    population.pages.extend(found.pages);
    population.pages.extend(unit_pages);
    population.notes.extend(unit_notes);
    population.scope_names.extend(unit_names);
    population.notes.extend(found.notes);
    population.gaps.extend(found.gaps);
    population.group_members = found.group_members;
    let principals = found.principals;
    // Hashed once: every assignment looks its principal up, most by an id already lowercase.
    let by_id: HashMap<&str, &Principal> =
        principals.iter().map(|(id, p)| (id.as_str(), p)).collect();
    for a in &mut population.assignments {
        let id = &a.principal_id;
        let found = if id.bytes().any(|b| b.is_ascii_uppercase()) {
            by_id.get(id.to_ascii_lowercase().as_str()).copied()
        } else {
            by_id.get(id.as_str()).copied()
        };
        if let Some(p) = found {
            a.principal_kind = p.kind;
            a.principal_name = p.display_name.clone();
            a.principal_upn = if p.kind == PrincipalKind::User { p.upn.clone() } else { None };
        }
    }
    population.principals = principals.into_values().collect();
    Ok(population)
}

/// Where the stages send the holders they find, for [`early_steps`]: lowercase object ids of
/// principals that may be users.
struct Holders(tokio::sync::mpsc::UnboundedSender<Vec<String>>);

impl Holders {
    fn send(&self, ids: Vec<String>) {
        if !ids.is_empty() {
            // The receiver is gone only when the pull has already failed.
            let _ = self.0.send(ids);
        }
    }
}

/// The holders of a part that may be users: ARM names its principals' type, Graph's lists do
/// not, and a step for a group or an application answers 404, which costs one step.
fn holders_of(part: &Part) -> Vec<String> {
    part.assignments
        .iter()
        .filter(|a| matches!(a.principal_kind, PrincipalKind::User | PrincipalKind::Unknown))
        .map(|a| a.principal_id.to_ascii_lowercase())
        .collect()
}

/// A user's manager and last sign-in, and the page they came from (`None`: the user is gone,
/// or the id was not a user's).
type Step = (Option<String>, Option<DateTime<Utc>>, Option<RawPage>);

/// What [`early_steps`] learnt: whether last sign-ins can be read, and the answer for each
/// holder it asked.
struct Early {
    sign_in: Result<(), (String, PullGap)>,
    steps: BTreeMap<String, Step>,
}

/// `$batch`es the early steps keep in flight while the stages still read; the pacer decides how
/// many are sent, and lets the role lists' next pages go first.
const EARLY_IN_FLIGHT: usize = 16;

/// Asks each holder's manager and last sign-in as the holders arrive, 20 to a `$batch`, until
/// the stages have all finished and every step has answered.
async fn early_steps(
    client: &GraphClient,
    mut holders: tokio::sync::mpsc::UnboundedReceiver<Vec<String>>,
    report: &Reporter<'_>,
) -> Result<Early, GraphError> {
    let sign_in = sign_in_readable(client).await?;
    let select = if sign_in.is_ok() { "id,signInActivity" } else { "id" };
    let mut asked: HashSet<String> = HashSet::new();
    let mut waiting: Vec<String> = Vec::new();
    let mut in_flight = futures_util::stream::FuturesUnordered::new();
    let mut steps = BTreeMap::new();
    let mut open = true;
    loop {
        // Full batches go at once; the last, partial one once no holder can come any more.
        while in_flight.len() < if open { EARLY_IN_FLIGHT } else { FAN_OUT }
            && (waiting.len() >= BATCH_LIMIT || (!open && !waiting.is_empty()))
        {
            let chunk: Vec<String> = waiting.drain(..waiting.len().min(BATCH_LIMIT)).collect();
            in_flight.push(user_steps(client, chunk, select, report));
        }
        if !open && waiting.is_empty() && in_flight.is_empty() {
            break;
        }
        tokio::select! {
            ids = holders.recv(), if open => match ids {
                Some(ids) => waiting.extend(ids.into_iter().filter(|id| asked.insert(id.clone()))),
                None => open = false,
            },
            Some(answers) = in_flight.next(), if !in_flight.is_empty() => {
                for (user, manager, signed_in, page) in answers? {
                    steps.insert(user, (manager, signed_in, page));
                }
            }
        }
    }
    Ok(Early { sign_in, steps })
}

/// Asks each user's manager and last sign-in, one `$batch` step per user: `$expand=manager`
/// rather than `/manager`, which answers 404 for "no manager" and would need a second step, and
/// only the manager's id (`getByIds` resolves managers with everyone else): the whole object
/// would be most of the bytes of 20,000 steps, read for nothing. The nested `$select` comes with
/// `$levels`, as user-list-manager.md requires (`$levels=1`: the immediate manager only).
/// Returns the answers in the order of `users`, each with its page.
async fn user_steps(
    client: &GraphClient,
    users: Vec<String>,
    select: &str,
    report: &Reporter<'_>,
) -> Result<Vec<(String, Option<String>, Option<DateTime<Utc>>, Option<RawPage>)>, GraphError> {
    let urls: Vec<String> = users
        .iter()
        .map(|u| format!("/users/{u}?$select={select}&$expand=manager($levels=1;$select=id)"))
        .collect();
    let answers = batched(client, urls, report).await?;
    let mut out = Vec::with_capacity(users.len());
    for (user, answer) in users.into_iter().zip(answers) {
        let url = client.cloud().graph_url(&answer.url);
        match answer.status {
            200..=299 => {
                // The step's body is the page, as the service wrote it.
                let body = answer.body_text();
                let step: UserStep =
                    serde_json::from_str(body).map_err(|err| GraphError::Malformed {
                        url: url.clone(),
                        message: err.to_string(),
                        request_id: None,
                    })?;
                let manager = step.manager.and_then(|m| filled(m.id));
                let signed_in = last_sign_in(step.sign_in_activity);
                let page = RawPage {
                    method: "GET".into(),
                    body: body.as_bytes().to_vec(),
                    url,
                    request_body: None,
                };
                out.push((user, manager, signed_in, Some(page)));
            }
            // Deleted since the assignment was read: nothing more to know.
            404 => out.push((user, None, None, None)),
            _ => return Err(answer.error(&url)),
        }
    }
    Ok(out)
}

/// Resolves everyone holding something (and the groups PIM for Groups governs), the members of
/// groups holding directory or Azure roles, and each user's manager and last sign-in.
///
/// The holders' own steps were asked as they were found ([`early_steps`]); users found only
/// now (members of role-holding groups) follow here.
async fn principals(
    client: &GraphClient,
    options: &PullOptions<'_>,
    parts: &[Part],
    early: Early,
    managers_report: &Reporter<'_>,
) -> Result<Directory, GraphError> {
    // Each request here waits on the one before (ids, then groups' members, then theirs),
    // while the holders' steps may still be queueing: these go first.
    let client = &client.urgent();
    let mut out = Directory::default();
    let select = match early.sign_in {
        Ok(()) => "id,signInActivity",
        Err((note, gap)) => {
            out.notes.push(note);
            out.gaps.push(gap);
            "id"
        }
    };
    let assignments = || parts.iter().flat_map(|p| p.assignments.iter());
    let principals_report = Reporter::new(options, PullStage::Principals);
    let members_report = Reporter::new(options, PullStage::GroupMembers);
    let mut wanted: BTreeSet<String> =
        assignments().map(|a| a.principal_id.to_ascii_lowercase()).collect();
    wanted.extend(
        assignments()
            .filter(|a| a.surface == Surface::PimGroup)
            .map(|a| a.scope.to_ascii_lowercase()),
    );
    // Every id already asked for its step, a user's or not.
    let known_users: BTreeSet<String> = early.steps.keys().cloned().collect();
    let first: Vec<_> = early
        .steps
        .into_iter()
        .map(|(user, (m, signed_in, page))| (user, m, signed_in, page))
        .collect();
    let rest = async {
        let mut pages = Vec::new();
        let ids: Vec<String> = wanted.iter().cloned().collect();
        let (found, found_pages) = resolve(client, &ids, &principals_report).await?;
        pages.extend(found_pages);
        let mut principals: BTreeMap<String, Principal> =
            found.into_iter().map(|p| (p.id.to_ascii_lowercase(), p)).collect();

        // Users `getByIds` typed that no step asked yet (none, unless a stage sent holders
        // too late or not at all), beside the members of role-holding groups (their own users
        // follow).
        let resolved_users: Vec<String> = principals
            .iter()
            .filter(|(id, p)| p.kind == PrincipalKind::User && !known_users.contains(*id))
            .map(|(id, _)| id.clone())
            .collect();
        let resolved_steps = user_steps(client, resolved_users, select, managers_report);
        let members = async {
            let mut pages = Vec::new();
            let mut group_members = Vec::new();
            let mut gaps = Vec::new();
            // Members of the groups that hold directory or Azure roles, so "via group X" can be
            // shown.
            let holders: BTreeSet<String> = assignments()
                .filter(|a| a.surface != Surface::PimGroup)
                .map(|a| a.principal_id.to_ascii_lowercase())
                .filter(|id| principals.get(id).is_some_and(|p| p.kind == PrincipalKind::Group))
                .collect();
            let holders: Vec<String> = holders.into_iter().collect();
            let urls: Vec<String> = holders
                .iter()
                // group-list-transitivemembers.md states `$search`, `$count`, `$filter` and
                // shows `$select`; `$top` is not stated, so the service's page size applies.
                .map(|g| format!("/groups/{g}/transitiveMembers?$select=id"))
                .collect();
            let answers = batched(client, urls, &members_report).await?;
            for (group, answer) in holders.iter().zip(answers) {
                let (members, member_pages) = match client.batch_list_as::<IdOnly>(&answer).await {
                    Ok(found) => found,
                    Err(err) => {
                        let Some(reason) = gap_reason(&err) else { return Err(err) };
                        // Who reaches a role through this group is unknown: a hole in that surface.
                        let surface = assignments()
                            .find(|a| a.principal_id.eq_ignore_ascii_case(group))
                            .map_or(Surface::DirectoryRole, |a| a.surface);
                        let name = principals.get(group).map(|p| p.display_name.as_str());
                        push_gap(
                            &mut gaps,
                            gap(GapArea::of(surface), Some((group, name)), reason, &err),
                        );
                        continue;
                    }
                };
                pages.extend(member_pages);
                for member in members.into_iter().filter_map(|m| filled(m.id)) {
                    group_members.push(GroupMember {
                        group_id: group.clone(),
                        member_id: member.to_ascii_lowercase(),
                    });
                }
            }
            let missing: Vec<String> = group_members
                .iter()
                .map(|m: &GroupMember| m.member_id.clone())
                .filter(|id| !principals.contains_key(id))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let (found, found_pages) = resolve(client, &missing, &members_report).await?;
            pages.extend(found_pages);
            let found: Vec<Principal> = found;
            let member_users: Vec<String> = found
                .iter()
                .filter(|p| p.kind == PrincipalKind::User)
                .map(|p| p.id.to_ascii_lowercase())
                .filter(|id| !known_users.contains(id))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let later = user_steps(client, member_users, select, managers_report).await?;
            Ok::<_, GraphError>((found, group_members, pages, gaps, later))
        };
        let (resolved, (found, group_members, member_pages, gaps, later)) =
            futures_util::try_join!(resolved_steps, members)?;
        pages.extend(member_pages);
        principals.extend(found.into_iter().map(|p| (p.id.to_ascii_lowercase(), p)));
        let later: Vec<_> = resolved.into_iter().chain(later).collect();
        Ok::<_, GraphError>((principals, group_members, pages, gaps, later))
    };
    let (mut principals, group_members, pages, gaps, later) = rest.await?;
    out.pages.extend(pages);
    out.gaps.extend(gaps);
    out.group_members = group_members;
    for (user, manager, signed_in, page) in first.into_iter().chain(later) {
        out.pages.extend(page);
        if let Some(p) = principals.get_mut(&user) {
            p.manager_id = manager;
            p.last_sign_in = signed_in;
        }
    }
    // Managers must be known by name and address to be asked to review.
    let missing: Vec<String> = principals
        .values()
        .filter_map(|p| p.manager_id.as_ref().map(|m| m.to_ascii_lowercase()))
        .filter(|id| !principals.contains_key(id))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let (found, pages) = resolve(client, &missing, managers_report).await?;
    out.pages.extend(pages);
    principals.extend(found.into_iter().map(|p| (p.id.to_ascii_lowercase(), p)));
    out.principals = principals;
    Ok(out)
}

/// Audited activations first; a running `Activated` instance is added unless the audit log already
/// has it (the log stamps completion a moment after the instance starts).
fn merge_activations(audited: Vec<Activation>, instances: Vec<Activation>) -> Vec<Activation> {
    let mut by_key: HashMap<(Surface, String, String), Vec<DateTime<Utc>>> = HashMap::new();
    for a in &audited {
        by_key
            .entry((a.surface, a.role_id.to_ascii_lowercase(), a.principal_id.to_ascii_lowercase()))
            .or_default()
            .push(a.at);
    }
    let mut out = audited;
    for a in instances {
        let key = (a.surface, a.role_id.to_ascii_lowercase(), a.principal_id.to_ascii_lowercase());
        let known = by_key
            .get(&key)
            .is_some_and(|times| times.iter().any(|t| (*t - a.at).num_minutes().abs() <= 10));
        if !known {
            out.push(a);
        }
    }
    out
}

#[cfg(test)]
mod conformance;

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(value: Value) -> DirectoryInstance {
        serde_json::from_value(value).expect("a schedule instance")
    }

    #[test]
    fn maps_instances_and_sets_activations_aside() {
        let direct = json!({
            "id": "i1", "principalId": "u1", "roleDefinitionId": "r1", "directoryScopeId": "/",
            "startDateTime": "2026-01-01T00:00:00Z", "endDateTime": null, "memberType": "Direct",
            "principal": {"@odata.type": "#microsoft.graph.user", "displayName": "Ада Лавлейс", "userPrincipalName": "ada@contoso.test"}
        });
        let got = directory_instance(instance(direct), AssignmentKind::Eligible, "u")
            .expect("valid")
            .expect("not an activation");
        assert_eq!(got.principal_name, "Ада Лавлейс");
        assert_eq!(got.principal_kind, PrincipalKind::User);
        assert_eq!(got.membership, Membership::Direct);
        assert!(got.start.is_some() && got.end.is_none(), "null end means permanent");

        let activated = json!({"id": "i2", "principalId": "u1", "roleDefinitionId": "r1", "assignmentType": "Activated", "startDateTime": "2026-01-02T00:00:00Z"});
        let activation = directory_instance(instance(activated), AssignmentKind::Active, "u")
            .expect("valid")
            .expect_err("an activation");
        assert_eq!(activation.principal_id, "u1");

        let via_group = json!({"id": "i3", "principalId": "g1", "roleDefinitionId": "r1", "memberType": "Group"});
        assert_eq!(
            directory_instance(instance(via_group), AssignmentKind::Active, "u")
                .expect("valid")
                .expect("kept")
                .membership,
            Membership::Group
        );

        let broken = json!({"id": "i4", "roleDefinitionId": "r1"});
        let err = directory_instance(instance(broken), AssignmentKind::Active, "u")
            .expect_err("no principal");
        assert!(err.to_string().contains("principalId"), "{err}");
    }

    #[test]
    fn an_audited_activation_is_not_counted_twice() {
        let at = |m: i64| {
            DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z").expect("time").with_timezone(&Utc)
                + chrono::Duration::minutes(m)
        };
        let act = |m| Activation {
            surface: Surface::DirectoryRole,
            role_id: "r".into(),
            scope: "/".into(),
            principal_id: "u".into(),
            at: at(m),
        };
        let merged = merge_activations(vec![act(0)], vec![act(1), act(120)]);
        assert_eq!(merged.len(), 2, "the instance a minute later is the audited one");
    }
}
