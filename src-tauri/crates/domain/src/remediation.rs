//! Remediation planning: which removal request each `remove` outcome becomes, which items are
//! held back instead (access through a group, protected principals, a critical role that would
//! fall under its minimum holder count, drift), the same interlocks re-checked at the moment of
//! each removal against live state and every removal pending in the tenant, how the live
//! assignment read before and after a removal is judged, and when a removal is settled (removed
//! and verified, or kept by a named person). Pure: the caller passes the population, the
//! settings and `now`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use crate::{Assignment, AssignmentKind, Membership, PrincipalKind, Surface};

pub mod change;
pub mod next;

/// Global Administrator's role template id (the same in every tenant).
pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
/// Privileged Role Administrator's role template id.
pub const PRIVILEGED_ROLE_ADMINISTRATOR: &str = "e8611ab8-c189-46e8-94e1-60213ab1f814";

/// The request that removes one assignment, per surface and kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    /// Graph `roleEligibilityScheduleRequests` with `adminRemove`.
    DirectoryEligibility,
    /// Graph `roleAssignmentScheduleRequests` with `adminRemove` (Assigned instances only).
    DirectoryAssignment,
    /// Graph PIM for Groups `eligibilityScheduleRequests` with `adminRemove`.
    GroupEligibility,
    /// Graph PIM for Groups `assignmentScheduleRequests` with `adminRemove`.
    GroupAssignment,
    /// ARM `roleEligibilityScheduleRequests/{guid}` PUT with `AdminRemove`.
    AzureEligibility,
    /// ARM `roleAssignmentScheduleRequests/{guid}` PUT with `AdminRemove`.
    AzureAssignment,
}

impl Endpoint {
    pub const ALL: [Endpoint; 6] = [
        Endpoint::DirectoryEligibility,
        Endpoint::DirectoryAssignment,
        Endpoint::GroupEligibility,
        Endpoint::GroupAssignment,
        Endpoint::AzureEligibility,
        Endpoint::AzureAssignment,
    ];

    pub fn of(surface: Surface, kind: AssignmentKind) -> Endpoint {
        match (surface, kind) {
            (Surface::DirectoryRole, AssignmentKind::Eligible) => Endpoint::DirectoryEligibility,
            (Surface::DirectoryRole, AssignmentKind::Active) => Endpoint::DirectoryAssignment,
            (Surface::PimGroup, AssignmentKind::Eligible) => Endpoint::GroupEligibility,
            (Surface::PimGroup, AssignmentKind::Active) => Endpoint::GroupAssignment,
            (Surface::AzureRole, AssignmentKind::Eligible) => Endpoint::AzureEligibility,
            (Surface::AzureRole, AssignmentKind::Active) => Endpoint::AzureAssignment,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::DirectoryEligibility => "directoryEligibility",
            Endpoint::DirectoryAssignment => "directoryAssignment",
            Endpoint::GroupEligibility => "groupEligibility",
            Endpoint::GroupAssignment => "groupAssignment",
            Endpoint::AzureEligibility => "azureEligibility",
            Endpoint::AzureAssignment => "azureAssignment",
        }
    }

    pub fn parse(s: &str) -> Option<Endpoint> {
        Endpoint::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// The request in the service's words, for previews and evidence.
    pub fn describe(self) -> &'static str {
        match self {
            Endpoint::DirectoryEligibility => "roleEligibilityScheduleRequests adminRemove",
            Endpoint::DirectoryAssignment => "roleAssignmentScheduleRequests adminRemove",
            Endpoint::GroupEligibility => {
                "privilegedAccess/group/eligibilityScheduleRequests adminRemove"
            }
            Endpoint::GroupAssignment => {
                "privilegedAccess/group/assignmentScheduleRequests adminRemove"
            }
            Endpoint::AzureEligibility => "ARM roleEligibilityScheduleRequests AdminRemove",
            Endpoint::AzureAssignment => "ARM roleAssignmentScheduleRequests AdminRemove",
        }
    }
}

/// Where one removal action is in its life. `Succeeded`, `Failed` and `Skipped` are final.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum ActionState {
    Planned,
    /// The request was (or was about to be) sent; its result is not recorded yet.
    Submitted,
    Succeeded,
    Failed,
    /// Not sent: drift, or the tenant refused for a reason a person must handle.
    Skipped,
}

impl ActionState {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionState::Planned => "planned",
            ActionState::Submitted => "submitted",
            ActionState::Succeeded => "succeeded",
            ActionState::Failed => "failed",
            ActionState::Skipped => "skipped",
        }
    }

    pub fn parse(s: &str) -> Option<ActionState> {
        [
            ActionState::Planned,
            ActionState::Submitted,
            ActionState::Succeeded,
            ActionState::Failed,
            ActionState::Skipped,
        ]
        .into_iter()
        .find(|state| state.as_str() == s)
    }

    pub fn is_final(self) -> bool {
        matches!(self, ActionState::Succeeded | ActionState::Failed | ActionState::Skipped)
    }

    /// Whether a person may send the action back to `Planned` (retry or re-plan): only a removal
    /// that was not made.
    pub fn can_retry(self) -> bool {
        matches!(self, ActionState::Skipped | ActionState::Failed)
    }

    /// Whether `self → to` is a legal step of the journal.
    pub fn can_become(self, to: ActionState) -> bool {
        use ActionState::*;
        matches!(
            (self, to),
            (Planned, Submitted | Succeeded | Skipped | Failed)
                | (Submitted, Submitted | Succeeded | Failed | Skipped)
        )
    }
}

/// What re-reading the tenant after a removal found.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum Verification {
    VerifiedRemoved,
    /// Still there (e.g. through a group, or the removal did not take).
    StillPresent,
    /// Verified removed (or converted) once, present again now.
    Reappeared,
    /// A conversion or a new end: re-read and found as asked.
    VerifiedChanged,
    /// A conversion or a new end: re-read and not found as asked.
    NotChanged,
}

impl Verification {
    pub fn as_str(self) -> &'static str {
        match self {
            Verification::VerifiedRemoved => "verified-removed",
            Verification::StillPresent => "still-present",
            Verification::Reappeared => "reappeared",
            Verification::VerifiedChanged => "verified-changed",
            Verification::NotChanged => "not-changed",
        }
    }

    pub fn parse(s: &str) -> Option<Verification> {
        [
            Verification::VerifiedRemoved,
            Verification::StillPresent,
            Verification::Reappeared,
            Verification::VerifiedChanged,
            Verification::NotChanged,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }

    /// Whether the re-read found what the action asked for.
    pub fn verified(self) -> bool {
        matches!(self, Verification::VerifiedRemoved | Verification::VerifiedChanged)
    }
}

/// A role whose holders must never fall under `minimum` through a review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CriticalRole {
    /// Role template id (directory roles) or role GUID (Azure roles).
    pub role_id: String,
    pub name: String,
    pub minimum: u32,
}

/// The safety interlocks (DESIGN.md invariant 5). No campaign default can switch them off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Safety {
    /// Object ids or UPNs never removed (break-glass accounts).
    pub protected: Vec<String>,
    pub critical_roles: Vec<CriticalRole>,
}

impl Default for Safety {
    fn default() -> Safety {
        Safety {
            protected: Vec::new(),
            critical_roles: vec![
                CriticalRole {
                    role_id: GLOBAL_ADMINISTRATOR.into(),
                    name: "Global Administrator".into(),
                    minimum: 2,
                },
                CriticalRole {
                    role_id: PRIVILEGED_ROLE_ADMINISTRATOR.into(),
                    name: "Privileged Role Administrator".into(),
                    minimum: 2,
                },
            ],
        }
    }
}

impl Safety {
    /// Whether the principal is on the protected list, by object id or UPN.
    pub fn protects(&self, id: &str, upn: Option<&str>) -> bool {
        self.protected.iter().any(|p| {
            let p = p.trim();
            !p.is_empty()
                && (p.eq_ignore_ascii_case(id) || upn.is_some_and(|u| p.eq_ignore_ascii_case(u)))
        })
    }
}

/// One review item whose outcome asks for removal (or that could not be removed because the
/// access comes through a group), as the snapshot recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub item_id: u32,
    pub surface: Surface,
    pub kind: AssignmentKind,
    pub membership: Membership,
    /// The schedule instance id at the snapshot.
    pub source_id: String,
    pub role_id: String,
    pub role_name: String,
    pub scope: String,
    pub principal_id: String,
    pub principal_kind: PrincipalKind,
    pub principal_name: String,
    pub principal_upn: Option<String>,
    pub end: Option<DateTime<Utc>>,
}

/// What the tenant's directory says about groups and people, for naming and for group effects.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Directory {
    /// Group id → member ids.
    pub members: BTreeMap<String, Vec<String>>,
    /// Object id → display name.
    pub names: HashMap<String, String>,
    /// Object id → UPN (users).
    pub upns: HashMap<String, String>,
}

impl Directory {
    fn members_of(&self, group: &str) -> &[String] {
        self.members
            .iter()
            .find(|(g, _)| g.eq_ignore_ascii_case(group))
            .map_or(&[][..], |(_, m)| m.as_slice())
    }

    fn name(&self, id: &str) -> String {
        self.names.get(id).cloned().unwrap_or_else(|| id.to_string())
    }
}

/// A group through which a principal holds access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRef {
    pub id: String,
    pub name: String,
}

/// Why an item is not removed automatically.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hold {
    /// The access comes through group membership; a person must change the group.
    ViaGroup { groups: Vec<GroupRef> },
    /// The principal is protected (break-glass), or a protected principal is a member of the
    /// group whose assignment would be removed.
    Protected { via_member: Option<String> },
    /// Removing would leave a critical role with fewer holders than its minimum. Held until a
    /// named person confirms.
    CriticalRole { role: String, holders_before: u32, holders_after: u32, minimum: u32 },
    /// The live assignment is not the one the reviewer saw.
    Drift(String),
    /// Only a PIM activation is live; the eligibility behind it is what can be removed.
    Activated,
    /// The live assignment is inherited (from a group or a parent scope).
    Inherited,
}

impl Hold {
    pub fn code(&self) -> &'static str {
        match self {
            Hold::ViaGroup { .. } => "viaGroup",
            Hold::Protected { .. } => "protectedPrincipal",
            Hold::CriticalRole { .. } => "criticalRoleMinimum",
            Hold::Drift(_) => "drift",
            Hold::Activated => "activated",
            Hold::Inherited => "inherited",
        }
    }

    /// Only the critical-role hold waits for a person's confirmation; the others are
    /// exceptions handled outside Recert.
    pub fn confirmable(&self) -> bool {
        matches!(self, Hold::CriticalRole { .. })
    }

    pub fn describe(&self) -> String {
        match self {
            Hold::ViaGroup { groups } if groups.is_empty() => {
                "the access comes through a group membership".into()
            }
            Hold::ViaGroup { groups } => format!(
                "the access comes through membership of {}",
                groups.iter().map(|g| format!("{:?}", g.name)).collect::<Vec<_>>().join(", ")
            ),
            Hold::Protected { via_member: None } => {
                "a protected principal (break-glass): never removed".into()
            }
            Hold::Protected { via_member: Some(member) } => format!(
                "the group's members include the protected principal {member}: never removed"
            ),
            Hold::CriticalRole { role, holders_before, holders_after, minimum } => format!(
                "{role} would be left with {holders_after} holder(s) (now {holders_before}, \
                 minimum {minimum}): held until a named person confirms"
            ),
            Hold::Drift(what) => format!("the assignment changed since the snapshot: {what}"),
            Hold::Activated => "only a PIM activation is live: remove the eligibility behind it, \
                 or let the activation expire"
                .into(),
            Hold::Inherited => "the live assignment is inherited (from a group or a parent \
                 scope): change it where it is made"
                .into(),
        }
    }

    /// What a person should do instead, when there is a concrete change to propose.
    pub fn proposal(&self, target: &Target) -> Option<String> {
        match self {
            Hold::ViaGroup { groups } if !groups.is_empty() => Some(format!(
                "remove {} from {}, or review the group's {} assignment",
                target.principal_name,
                groups.iter().map(|g| format!("{:?}", g.name)).collect::<Vec<_>>().join(" or "),
                target.role_name
            )),
            Hold::ViaGroup { .. } => Some(format!(
                "find the group that gives {} the {} role and remove them from it",
                target.principal_name, target.role_name
            )),
            Hold::CriticalRole { .. } => {
                Some(format!("assign another {} first, or confirm the removal", target.role_name))
            }
            _ => None,
        }
    }
}

/// What happens to one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Remove(Endpoint),
    Hold(Hold),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    pub item_id: u32,
    pub step: Step,
}

fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// The groups that give `target` its access: groups holding the same role at the same scope (and
/// kind) of which the principal is a member.
fn granting_groups(target: &Target, population: &[Assignment], dir: &Directory) -> Vec<GroupRef> {
    let mut out: Vec<GroupRef> = Vec::new();
    for a in population {
        let is_group = a.principal_kind == PrincipalKind::Group;
        if is_group
            && a.surface == target.surface
            && a.kind == target.kind
            && same(&a.role_id, &target.role_id)
            && same(&a.scope, &target.scope)
            && dir.members_of(&a.principal_id).iter().any(|m| same(m, &target.principal_id))
            && !out.iter().any(|g| same(&g.id, &a.principal_id))
        {
            out.push(GroupRef { id: a.principal_id.clone(), name: a.principal_name.clone() });
        }
    }
    out
}

/// Whether removing `removals` takes `a` away: it is one of them, or it is a member's instance
/// derived from a group assignment that is removed.
fn taken_away(a: &Assignment, removals: &[&Target], dir: &Directory) -> bool {
    removals.iter().any(|t| {
        (t.surface == a.surface && t.kind == a.kind && same(&t.source_id, &a.source_id))
            || (a.membership == Membership::Group
                && t.principal_kind == PrincipalKind::Group
                && t.surface == a.surface
                && t.kind == a.kind
                && same(&t.role_id, &a.role_id)
                && same(&t.scope, &a.scope)
                && dir.members_of(&t.principal_id).iter().any(|m| same(m, &a.principal_id)))
    })
}

/// The people (users, service principals) holding `role_id`, eligible or active, at any scope,
/// after `removals`. Groups are not counted themselves: their members are, through their
/// group-derived instances.
pub fn holders(
    role_id: &str,
    population: &[Assignment],
    removals: &[&Target],
    dir: &Directory,
) -> BTreeSet<String> {
    population
        .iter()
        .filter(|a| same(&a.role_id, role_id) && a.principal_kind != PrincipalKind::Group)
        .filter(|a| !taken_away(a, removals, dir))
        .map(|a| a.principal_id.to_ascii_lowercase())
        .collect()
}

/// Plans every target: a removal request, or a hold with its reason. `confirmed` lists the item
/// ids whose critical-role hold a named person has confirmed; nothing else lifts a hold.
pub fn plan(
    targets: &[Target],
    population: &[Assignment],
    dir: &Directory,
    safety: &Safety,
    confirmed: &BTreeSet<u32>,
) -> Vec<Planned> {
    let mut steps: Vec<Step> = targets
        .iter()
        .map(|t| {
            let protected = protection(t, dir, safety);
            if let Some(hold @ Hold::Protected { via_member: None }) = protected {
                return Step::Hold(hold);
            }
            if t.membership == Membership::Group {
                return Step::Hold(Hold::ViaGroup { groups: granting_groups(t, population, dir) });
            }
            match protected {
                Some(hold) => Step::Hold(hold),
                None => Step::Remove(Endpoint::of(t.surface, t.kind)),
            }
        })
        .collect();

    // Critical roles: count who still holds the role after every planned removal. When that is
    // under the minimum, every removal that takes a holder away entirely is held.
    for critical in &safety.critical_roles {
        let removals: Vec<&Target> = targets
            .iter()
            .zip(&steps)
            .filter(|(_, s)| matches!(s, Step::Remove(_)))
            .map(|(t, _)| t)
            .collect();
        let before = holders(&critical.role_id, population, &[], dir);
        let after = holders(&critical.role_id, population, &removals, dir);
        if after.len() >= critical.minimum as usize {
            continue;
        }
        let losing: BTreeSet<&String> = before.difference(&after).collect();
        if losing.is_empty() {
            continue;
        }
        let reduces = |t: &Target| {
            losing.contains(&t.principal_id.to_ascii_lowercase())
                || (t.principal_kind == PrincipalKind::Group
                    && dir
                        .members_of(&t.principal_id)
                        .iter()
                        .any(|m| losing.contains(&m.to_ascii_lowercase())))
        };
        for (t, step) in targets.iter().zip(steps.iter_mut()) {
            if matches!(step, Step::Remove(_))
                && same(&t.role_id, &critical.role_id)
                && !confirmed.contains(&t.item_id)
                && reduces(t)
            {
                *step = Step::Hold(Hold::CriticalRole {
                    role: if critical.name.is_empty() {
                        t.role_name.clone()
                    } else {
                        critical.name.clone()
                    },
                    holders_before: before.len() as u32,
                    holders_after: after.len() as u32,
                    minimum: critical.minimum,
                });
            }
        }
    }
    targets.iter().zip(steps).map(|(t, step)| Planned { item_id: t.item_id, step }).collect()
}

/// Whether removing `t` takes `a` away: the same principal's direct assignment of the same role,
/// scope and kind (what `adminRemove` addresses, whatever the instance id is now), or a member's
/// instance derived from a group assignment that `t` removes.
fn removes(t: &Target, a: &Assignment, dir: &Directory) -> bool {
    let same_grant = t.surface == a.surface
        && t.kind == a.kind
        && same(&t.role_id, &a.role_id)
        && same(&t.scope, &a.scope);
    same_grant
        && ((a.membership == Membership::Direct && same(&t.principal_id, &a.principal_id))
            || (a.membership == Membership::Group
                && t.principal_kind == PrincipalKind::Group
                && dir.members_of(&t.principal_id).iter().any(|m| same(m, &a.principal_id))))
}

/// The protected-principal interlock for one target: the principal itself, or a protected
/// member of the group whose assignment would be removed.
pub(crate) fn protection(t: &Target, dir: &Directory, safety: &Safety) -> Option<Hold> {
    let upn = t.principal_upn.as_deref().or(dir.upns.get(&t.principal_id).map(|s| &**s));
    if safety.protects(&t.principal_id, upn) {
        return Some(Hold::Protected { via_member: None });
    }
    if t.principal_kind == PrincipalKind::Group
        && let Some(member) = dir
            .members_of(&t.principal_id)
            .iter()
            .find(|m| safety.protects(m, dir.upns.get(m.as_str()).map(String::as_str)))
    {
        return Some(Hold::Protected { via_member: Some(dir.name(member)) });
    }
    None
}

/// The interlocks at the moment `target` is about to be removed, against what is true now: the
/// protected list in force, and — when its role is critical — the role's live holders (`live`,
/// re-read just now) after every removal still pending in any campaign of the tenant
/// (`pending`, which includes `target`). `accepted` is the holder count a named admin accepted
/// when they confirmed this removal at planning: the removal goes ahead if it leaves at least
/// that many, and is held again if live state is worse than what they accepted.
///
/// `None`: remove it now. `Some(hold)`: do not send; a person must resolve it.
pub fn recheck(
    target: &Target,
    safety: &Safety,
    dir: &Directory,
    live: &[Assignment],
    pending: &[&Target],
    accepted: Option<u32>,
) -> Option<Hold> {
    if let Some(hold) = protection(target, dir, safety) {
        return Some(hold);
    }
    let critical = safety.critical_roles.iter().find(|c| same(&c.role_id, &target.role_id))?;
    let holding = |removals: &[&Target]| -> BTreeSet<String> {
        live.iter()
            .filter(|a| {
                same(&a.role_id, &critical.role_id) && a.principal_kind != PrincipalKind::Group
            })
            .filter(|a| !removals.iter().any(|t| removes(t, a, dir)))
            .map(|a| a.principal_id.to_ascii_lowercase())
            .collect()
    };
    let mut removals: Vec<&Target> = pending.to_vec();
    if !removals
        .iter()
        .any(|t| t.item_id == target.item_id && same(&t.source_id, &target.source_id))
    {
        removals.push(target);
    }
    let before = holding(&[]);
    let after = holding(&removals);
    // Only a removal that takes a holder away entirely lowers the count: hold it when the count
    // that would be left (after every pending removal) is under the minimum.
    let takes_away = before.difference(&after).any(|lost| {
        same(lost, &target.principal_id)
            || (target.principal_kind == PrincipalKind::Group
                && dir.members_of(&target.principal_id).iter().any(|m| same(m, lost)))
    });
    let left = after.len() as u32;
    if !takes_away || left >= critical.minimum || accepted.is_some_and(|a| left >= a) {
        return None;
    }
    Some(Hold::CriticalRole {
        role: if critical.name.is_empty() {
            target.role_name.clone()
        } else {
            critical.name.clone()
        },
        holders_before: before.len() as u32,
        holders_after: left,
        minimum: critical.minimum,
    })
}

/// Whether a removal no longer keeps its campaign open: sent and verified removed, or not made
/// and kept by a named person. A removal that was not made and not kept is an open exception.
pub fn settled(state: ActionState, verification: Option<Verification>, kept: bool) -> bool {
    kept || (matches!(state, ActionState::Succeeded | ActionState::Failed)
        && verification.is_some_and(Verification::verified))
}

/// What a named admin decides about a removal that was not made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resolution {
    /// Send it again as planned: the interlocks and the drift check run again first.
    Retry,
    /// Aim it at the assignment as it is now (after drift), then send it: the reviewer's
    /// decision was about this principal's role, and the live grant is what they hold.
    Replan,
    /// The access stays, with the admin's reason; the evidence lists it as an exception.
    Keep,
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Retry => "retry",
            Resolution::Replan => "replan",
            Resolution::Keep => "keep",
        }
    }

    pub fn parse(s: &str) -> Option<Resolution> {
        [Resolution::Retry, Resolution::Replan, Resolution::Keep]
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
    }
}

/// One live schedule instance for the target's principal, role, scope and kind, as re-read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveInstance {
    pub id: String,
    pub membership: Membership,
    /// `assignmentType = Activated`: a running activation, not a standing assignment.
    pub activated: bool,
    pub end: Option<DateTime<Utc>>,
}

/// The drift check before a removal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Live {
    /// The assignment the reviewer saw is there, unchanged: remove it.
    Present,
    /// Nothing to remove: already gone (idempotent success).
    Gone,
    /// Not removable as planned; the hold says why.
    Changed(Hold),
}

/// Judges the live instances (already narrowed to the target's principal, role, scope and kind).
pub fn check_live(target: &Target, live: &[LiveInstance]) -> Live {
    if live.is_empty() {
        return Live::Gone;
    }
    let standing: Vec<&LiveInstance> =
        live.iter().filter(|i| i.membership == Membership::Direct && !i.activated).collect();
    if standing.is_empty() {
        return if live.iter().any(|i| i.activated) {
            Live::Changed(Hold::Activated)
        } else {
            Live::Changed(Hold::Inherited)
        };
    }
    match standing.iter().find(|i| same(&i.id, &target.source_id)) {
        // Whole seconds: the store keeps milliseconds, Graph sends up to seven digits.
        Some(i) if i.end.map(|t| t.timestamp()) != target.end.map(|t| t.timestamp()) => {
            Live::Changed(Hold::Drift(format!(
                "its end changed from {} to {}",
                target.end.map_or("none".into(), |e| e.to_rfc3339()),
                i.end.map_or("none".into(), |e| e.to_rfc3339()),
            )))
        }
        Some(_) => Live::Present,
        None => Live::Changed(Hold::Drift(
            "it was replaced by another assignment of the same role".into(),
        )),
    }
}

/// The verification of one removal from a re-read, given what was found last time.
pub fn verify(previous: Option<Verification>, live: &[LiveInstance]) -> (Verification, String) {
    let present: Vec<&LiveInstance> = live.iter().filter(|i| !i.activated).collect();
    if present.is_empty() {
        let note = if live.is_empty() {
            "not found in the tenant"
        } else {
            "only a running activation remains; it ends on its own"
        };
        return (Verification::VerifiedRemoved, note.into());
    }
    let how = if present.iter().all(|i| i.membership == Membership::Group) {
        "present through a group"
    } else {
        "present as a direct assignment"
    };
    match previous {
        Some(Verification::VerifiedRemoved | Verification::Reappeared) => {
            (Verification::Reappeared, format!("{how} again after it was verified removed"))
        }
        _ => (Verification::StillPresent, how.into()),
    }
}

#[cfg(test)]
mod tests;
