//! The names of the scopes assignments are made at, so a reviewer reads "Administrative unit
//! Paris office" or "Subscription Production" rather than an id: subscriptions come named in the
//! subscriptions list the Azure stage reads anyway; administrative units are asked by id with
//! `directoryObjects/getByIds` (directoryobject-getbyids.md: `types` names any resource type
//! derived from directoryObject, as `administrativeUnit` is), `$select=id,displayName` as the
//! known issue asks, 1,000 ids a call like every getByIds.

use super::*;

/// The prefix of an administrative unit's `directoryScopeId`.
const UNIT_SCOPE: &str = "/administrativeunits/";

/// The administrative units the assignments are scoped to, by id (lowercase), each once.
pub(super) fn unit_ids(assignments: &[Assignment]) -> Vec<String> {
    let ids: BTreeSet<String> = assignments
        .iter()
        .filter(|a| a.surface == Surface::DirectoryRole)
        .filter_map(|a| {
            let scope = a.scope.to_ascii_lowercase();
            let id = scope.strip_prefix(UNIT_SCOPE)?.trim_end_matches('/').to_string();
            (!id.is_empty() && !id.contains('/')).then_some(id)
        })
        .collect();
    ids.into_iter().collect()
}

/// Reads the names of `ids`. A unit the identity may not read leaves its scope unnamed (the id
/// stands for it) with a note, never a failed pull.
pub(super) async fn unit_names(
    client: &GraphClient,
    ids: Vec<String>,
) -> Result<(Vec<ScopeName>, Vec<RawPage>, Vec<String>), GraphError> {
    if ids.is_empty() {
        return Ok((Vec::new(), Vec::new(), Vec::new()));
    }
    let url = client.cloud().graph_url("directoryObjects/getByIds?$select=id,displayName");
    #[derive(serde::Deserialize)]
    struct Found {
        value: Option<Vec<DirectoryObject>>,
    }
    let mut names = Vec::new();
    let mut pages = Vec::new();
    for chunk in ids.chunks(GET_BY_IDS_LIMIT) {
        let body = json!({ "ids": chunk, "types": ["administrativeUnit"] });
        let (found, raw) = match client.post_read_as::<Found>(&url, &body).await {
            Ok(answer) => answer,
            Err(err) if gap_reason(&err).is_some() => {
                return Ok((
                    names,
                    pages,
                    vec![format!("administrative unit names were not read: {err}")],
                ));
            }
            Err(err) => return Err(err),
        };
        let Some(items) = found.value else {
            return Err(malformed(&url, "getByIds answered without a `value` array"));
        };
        pages.push(RawPage {
            method: "POST".into(),
            url: url.clone(),
            request_body: serde_json::to_vec(&body).ok(),
            body: raw,
        });
        names.extend(items.into_iter().filter_map(|o| {
            Some(ScopeName {
                scope: format!("/administrativeUnits/{}", filled(o.id)?.to_ascii_lowercase()),
                display_name: filled(o.display_name)?,
            })
        }));
    }
    Ok((names, pages, Vec::new()))
}

/// The subscriptions' names, by their scope (`/subscriptions/{id}`).
pub(super) fn subscription_names(names: &HashMap<String, String>) -> Vec<ScopeName> {
    let mut out: Vec<ScopeName> = names
        .iter()
        .map(|(id, name)| ScopeName { scope: id.to_ascii_lowercase(), display_name: name.clone() })
        .collect();
    out.sort_by(|a, b| a.scope.cmp(&b.scope));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scoped(surface: Surface, scope: &str) -> Assignment {
        Assignment {
            surface,
            source_id: "i".into(),
            role_id: "r".into(),
            scope: scope.into(),
            principal_id: "p".into(),
            principal_kind: PrincipalKind::User,
            principal_name: "P".into(),
            principal_upn: None,
            kind: AssignmentKind::Eligible,
            membership: Membership::Direct,
            start: None,
            end: None,
        }
    }

    #[test]
    fn only_directory_roles_scoped_to_a_unit_name_one() {
        let ids = unit_ids(&[
            scoped(Surface::DirectoryRole, "/"),
            scoped(Surface::DirectoryRole, "/administrativeUnits/AU-1"),
            scoped(Surface::DirectoryRole, "/administrativeUnits/au-1"),
            scoped(Surface::DirectoryRole, "/administrativeUnits/au-2/"),
            scoped(Surface::AzureRole, "/administrativeUnits/au-3"),
            scoped(Surface::DirectoryRole, "/applications/app-1"),
        ]);
        assert_eq!(ids, vec!["au-1".to_string(), "au-2".to_string()]);
    }
}
