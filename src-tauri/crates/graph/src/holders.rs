//! Live reads of who holds a directory role, at the moment it matters: a role's holders (eligible
//! and active, at every scope) re-read just before a removal that could leave a critical role
//! under its minimum, and one person's active role assignments, read when they ask to become a
//! tenant's first governance admin.
//!
//! Request shapes, each documented for v1.0 (`reference/graph-docs/`):
//! - `GET /roleManagement/directory/role{Eligibility,Assignment}ScheduleInstances` supports
//!   `$select`, `$filter` and `$expand` (rbacapplication-list-role{eligibility,assignment}
//!   scheduleinstances.md, query-support.md); Microsoft's own access-review scopes filter these
//!   lists by `roleDefinitionId eq '{role ID}'` with `$expand=principal`
//!   (accessreviews-scope-concept.md). The plain `$expand=principal` of that page gives each
//!   holder's `@odata.type`; no nested option goes inside it (nested `$select` on these lists is
//!   reported to fail with 400, and the page documents none).
//! - A person's roles filter the assignment list by `principalId eq '{id}'` (the filter property
//!   the same pages declare); the list includes assignments made outside PIM (fact 4 of the
//!   graph-docs README), which is what "actively holds" must see.

use recert_domain::{AssignmentKind, Membership, PrincipalKind};
use serde::Deserialize;

use crate::{GraphClient, GraphError};

/// One live schedule instance of a role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveHolder {
    pub instance_id: String,
    pub kind: AssignmentKind,
    pub principal_id: String,
    pub principal_kind: PrincipalKind,
    /// `/` or an administrative unit.
    pub scope: String,
    /// Direct, or derived from a group's assignment.
    pub membership: Membership,
    /// A running activation (`assignmentType = Activated`), not a standing assignment.
    pub activated: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Instance {
    id: Option<String>,
    principal_id: Option<String>,
    role_definition_id: Option<String>,
    directory_scope_id: Option<String>,
    member_type: Option<String>,
    assignment_type: Option<String>,
    principal: Option<Expanded>,
}

#[derive(Debug, Default, Deserialize)]
struct Expanded {
    #[serde(rename = "@odata.type")]
    odata_type: Option<String>,
}

fn kind_of(odata_type: Option<&str>) -> PrincipalKind {
    match odata_type
        .unwrap_or_default()
        .trim_start_matches('#')
        .trim_start_matches("microsoft.graph.")
    {
        "user" => PrincipalKind::User,
        "group" => PrincipalKind::Group,
        "servicePrincipal" => PrincipalKind::ServicePrincipal,
        _ => PrincipalKind::Unknown,
    }
}

/// A GUID-like value safe to put between quotes in `$filter` (doubling quotes, as OData does).
fn quoted(value: &str) -> String {
    value.replace('\'', "''")
}

fn holder(kind: AssignmentKind, i: Instance) -> Option<LiveHolder> {
    let membership = match i.member_type.as_deref() {
        None | Some("") => Membership::Direct,
        Some(m) if m.eq_ignore_ascii_case("Direct") => Membership::Direct,
        Some(_) => Membership::Group,
    };
    Some(LiveHolder {
        instance_id: i.id.filter(|s| !s.is_empty())?,
        kind,
        principal_id: i.principal_id.filter(|s| !s.is_empty())?,
        principal_kind: kind_of(i.principal.as_ref().and_then(|p| p.odata_type.as_deref())),
        scope: i.directory_scope_id.filter(|s| !s.is_empty()).unwrap_or_else(|| "/".into()),
        membership,
        activated: i
            .assignment_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("Activated")),
    })
}

/// Everyone holding directory role `role_id` right now, eligible or active, at any scope: both
/// instance lists filtered by the role, every page.
pub async fn role_holders(
    client: &GraphClient,
    role_id: &str,
) -> Result<Vec<LiveHolder>, GraphError> {
    let cloud = client.cloud();
    let filter = format!("$filter=roleDefinitionId eq '{}'&$expand=principal", quoted(role_id));
    let eligible = cloud
        .graph_url(&format!("/roleManagement/directory/roleEligibilityScheduleInstances?{filter}"));
    let active = cloud
        .graph_url(&format!("/roleManagement/directory/roleAssignmentScheduleInstances?{filter}"));
    let (eligible, active) = futures_util::try_join!(
        client.get_all_as::<Instance>(&eligible),
        client.get_all_as::<Instance>(&active)
    )?;
    let same_role = |i: &Instance| {
        i.role_definition_id.as_deref().is_none_or(|r| r.eq_ignore_ascii_case(role_id))
    };
    Ok(eligible
        .0
        .into_iter()
        .filter(same_role)
        .filter_map(|i| holder(AssignmentKind::Eligible, i))
        .chain(
            active
                .0
                .into_iter()
                .filter(same_role)
                .filter_map(|i| holder(AssignmentKind::Active, i)),
        )
        .collect())
}

/// The directory roles `principal_id` holds actively right now (standing assignments and running
/// activations, direct or through a group), with their scope.
pub async fn active_roles(
    client: &GraphClient,
    principal_id: &str,
) -> Result<Vec<(String, LiveHolder)>, GraphError> {
    let url = client.cloud().graph_url(&format!(
        "/roleManagement/directory/roleAssignmentScheduleInstances?$filter=principalId eq '{}'",
        quoted(principal_id)
    ));
    let (items, _) = client.get_all_as::<Instance>(&url).await?;
    Ok(items
        .into_iter()
        .filter(|i| i.principal_id.as_deref().is_some_and(|p| p.eq_ignore_ascii_case(principal_id)))
        .filter_map(|mut i| {
            let role = i.role_definition_id.take()?;
            holder(AssignmentKind::Active, i).map(|h| (role, h))
        })
        .collect())
}
