//! Pulling the privileged population of Entra directory roles: the role catalogue, then per role
//! the eligibility and assignment schedule instances with their principals, a few roles at a time.

use chrono::{DateTime, Utc};
use futures_util::{StreamExt, TryStreamExt, stream};
use recert_domain::{
    Assignment, AssignmentKind, Membership, PrincipalKind, RoleDefinition, Surface,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{GraphClient, GraphError, RawPage};

/// Everything a pull found, with the raw pages that prove it.
#[derive(Debug)]
pub struct Population {
    pub roles: Vec<RoleDefinition>,
    pub assignments: Vec<Assignment>,
    /// `Activated` instances: usage evidence of an eligibility, not review items.
    pub activations: usize,
    pub pages: Vec<RawPage>,
}

impl Population {
    /// SHA-256 over every page's URL and body in a fixed order, so the same tenant state hashes
    /// the same whatever order the concurrent requests finished in.
    pub fn raw_sha256(&self) -> String {
        let mut hasher = Sha256::new();
        for page in &self.pages {
            hasher.update((page.url.len() as u64).to_be_bytes());
            hasher.update(page.url.as_bytes());
            hasher.update((page.body.len() as u64).to_be_bytes());
            hasher.update(&page.body);
        }
        hex::encode(hasher.finalize())
    }
}

/// PIM's throttling limits are unpublished; four requests in flight is the conservative figure
/// Microsoft's own PIM guidance works with.
pub const DEFAULT_CONCURRENCY: usize = 4;

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_string)
}

fn time(value: &Value, key: &str) -> Option<DateTime<Utc>> {
    let raw = value.get(key)?.as_str()?;
    let parsed = DateTime::parse_from_rfc3339(raw).ok()?.with_timezone(&Utc);
    // Graph uses year 1 as "no value" in some fields.
    (parsed.format("%Y").to_string() != "0001").then_some(parsed)
}

fn role_definition(value: &Value) -> Option<RoleDefinition> {
    Some(RoleDefinition {
        surface: Surface::DirectoryRole,
        id: text(value, "id")?,
        display_name: text(value, "displayName")?,
        is_built_in: value.get("isBuiltIn").and_then(Value::as_bool).unwrap_or(false),
    })
}

fn principal_kind(principal: &Value) -> PrincipalKind {
    match principal.get("@odata.type").and_then(Value::as_str).unwrap_or_default() {
        "#microsoft.graph.user" => PrincipalKind::User,
        "#microsoft.graph.group" => PrincipalKind::Group,
        "#microsoft.graph.servicePrincipal" => PrincipalKind::ServicePrincipal,
        _ => PrincipalKind::Unknown,
    }
}

/// Maps one schedule instance; `None` for activations. Errors name the field that is missing.
fn assignment(
    value: &Value,
    kind: AssignmentKind,
    url: &str,
) -> Result<Option<Assignment>, GraphError> {
    let missing = |field: &str| GraphError::Malformed {
        url: url.to_string(),
        message: format!("a schedule instance has no `{field}`"),
    };
    if value
        .get("assignmentType")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("Activated"))
    {
        return Ok(None);
    }
    let principal = value.get("principal").cloned().unwrap_or_default();
    let principal_id = text(value, "principalId").ok_or_else(|| missing("principalId"))?;
    let membership = match value.get("memberType").and_then(Value::as_str) {
        Some(t) if !t.eq_ignore_ascii_case("Direct") => Membership::Group,
        _ => Membership::Direct,
    };
    Ok(Some(Assignment {
        surface: Surface::DirectoryRole,
        source_id: text(value, "id").ok_or_else(|| missing("id"))?,
        role_id: text(value, "roleDefinitionId").ok_or_else(|| missing("roleDefinitionId"))?,
        scope: text(value, "directoryScopeId").unwrap_or_else(|| "/".into()),
        principal_kind: principal_kind(&principal),
        principal_name: text(&principal, "displayName").unwrap_or_else(|| principal_id.clone()),
        principal_upn: text(&principal, "userPrincipalName"),
        principal_id,
        kind,
        membership,
        start: time(value, "startDateTime"),
        end: time(value, "endDateTime"),
    }))
}

/// Pulls every directory role and its eligible and active assignments. Either the whole
/// population comes back or an error does: nothing half-done.
pub async fn pull_directory_roles(
    client: &GraphClient,
    concurrency: usize,
) -> Result<Population, GraphError> {
    let cloud = client.cloud();
    let roles_url = cloud.graph_url(
        "roleManagement/directory/roleDefinitions?$select=id,displayName,isBuiltIn,templateId",
    );
    let (role_values, mut pages) = client.get_all(&roles_url).await?;
    let roles = role_values
        .iter()
        .map(|v| {
            role_definition(v).ok_or_else(|| GraphError::Malformed {
                url: roles_url.clone(),
                message: "a role definition has no id or displayName".into(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;

    let partitions: Vec<(String, AssignmentKind)> = roles
        .iter()
        .flat_map(|role| {
            let filter = format!("$filter=roleDefinitionId eq '{}'&$expand=principal", role.id);
            [
                (
                    cloud.graph_url(&format!(
                        "roleManagement/directory/roleEligibilityScheduleInstances?{filter}"
                    )),
                    AssignmentKind::Eligible,
                ),
                (
                    cloud.graph_url(&format!(
                        "roleManagement/directory/roleAssignmentScheduleInstances?{filter}"
                    )),
                    AssignmentKind::Active,
                ),
            ]
        })
        .collect();

    // `buffered` (not `buffer_unordered`) keeps results in partition order, which makes the
    // page order, and so the snapshot hash, deterministic.
    let results: Vec<(Vec<Value>, Vec<RawPage>, AssignmentKind)> = stream::iter(partitions)
        .map(|(url, kind)| async move {
            let (items, pages) = client.get_all(&url).await?;
            Ok::<_, GraphError>((items, pages, kind))
        })
        .buffered(concurrency.max(1))
        .try_collect()
        .await?;

    let mut assignments = Vec::new();
    let mut activations = 0;
    for (items, partition_pages, kind) in results {
        let url = partition_pages.first().map(|p| p.url.clone()).unwrap_or_default();
        for item in &items {
            match assignment(item, kind, &url)? {
                Some(a) => assignments.push(a),
                None => activations += 1,
            }
        }
        pages.extend(partition_pages);
    }
    Ok(Population { roles, assignments, activations, pages })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_instances_and_sets_activations_aside() {
        let direct = json!({
            "id": "i1", "principalId": "u1", "roleDefinitionId": "r1", "directoryScopeId": "/",
            "startDateTime": "2026-01-01T00:00:00Z", "endDateTime": null, "memberType": "Direct",
            "principal": {"@odata.type": "#microsoft.graph.user", "displayName": "Ада Лавлейс", "userPrincipalName": "ada@contoso.test"}
        });
        let got = assignment(&direct, AssignmentKind::Eligible, "u")
            .expect("valid")
            .expect("not an activation");
        assert_eq!(got.principal_name, "Ада Лавлейс");
        assert_eq!(got.principal_kind, PrincipalKind::User);
        assert_eq!(got.membership, Membership::Direct);
        assert!(got.start.is_some() && got.end.is_none(), "null end means permanent");

        let activated = json!({"id": "i2", "principalId": "u1", "roleDefinitionId": "r1", "assignmentType": "Activated"});
        assert!(assignment(&activated, AssignmentKind::Active, "u").expect("valid").is_none());

        let via_group = json!({"id": "i3", "principalId": "g1", "roleDefinitionId": "r1", "memberType": "Group"});
        assert_eq!(
            assignment(&via_group, AssignmentKind::Active, "u")
                .expect("valid")
                .expect("kept")
                .membership,
            Membership::Group
        );

        let broken = json!({"id": "i4", "roleDefinitionId": "r1"});
        let err = assignment(&broken, AssignmentKind::Active, "u").expect_err("no principal");
        assert!(err.to_string().contains("principalId"), "{err}");
    }
}
