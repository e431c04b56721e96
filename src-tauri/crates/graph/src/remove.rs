//! Removal requests and the re-reads around them: the `adminRemove` body per surface (Entra
//! roles, PIM for Groups, ARM), sending it exactly once, and reading the live assignment before
//! (drift check) and after (verification). Re-reads are batched (`$batch`, 20 per request) and
//! retried like every read; a 404 on a re-read means "gone". Writes are never retried here: the
//! caller re-reads first (graph-pim §3.5, DESIGN.md invariant 4).

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use recert_domain::Membership;
use recert_domain::remediation::{Endpoint, LiveInstance};
use serde_json::{Value, json};

use crate::{BATCH_LIMIT, Cloud, GraphClient, GraphError};

const ARM_API: &str = "api-version=2020-10-01";

/// The assignment a removal is about: enough to address the request and to re-read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemovalTarget {
    pub endpoint: Endpoint,
    /// Role definition id (Entra), `member`/`owner` (PIM for Groups) or role GUID (Azure).
    pub role_id: String,
    /// Directory scope id (Entra), group id (PIM for Groups) or ARM scope (Azure).
    pub scope: String,
    pub principal_id: String,
}

/// How one removal request went.
#[derive(Debug)]
pub enum Sent {
    /// Accepted (201): the service's request object id and status (`Revoked`, `Provisioned`, a
    /// pending status, or `Failed`/`Denied`/`Canceled`).
    Accepted { request_id: Option<String>, status: Option<String> },
    /// `RoleAssignmentDoesNotExist`: verify by re-reading; gone is success.
    DoesNotExist(GraphError),
    /// `RoleAssignmentExists` (to a request that creates one): verify by re-reading; there is
    /// success.
    Exists(GraphError),
    /// The tenant refuses for a reason a person must handle (a policy rule, a request already
    /// pending): not worth resending.
    Refused { code: String, error: GraphError },
    /// Throttled, a 5xx, a dropped connection or a truncated answer: the removal may or may not
    /// have happened. Wait `retry_after`, re-read, then decide.
    Unknown { error: GraphError, retry_after: Option<Duration> },
    /// Anything else (sign-in, permission, a malformed request): a person must look.
    Failed(GraphError),
}

/// Codes with which the tenant refuses a removal that a person must handle instead: those
/// Microsoft names for PIM requests (the privilegedAccess request page's error table). An
/// activated or inherited assignment is never sent a removal: the re-read before each one holds
/// it (`recert_domain::remediation`), so no service code is relied on for that.
pub const REFUSALS: &[&str] =
    &["RoleAssignmentRequestPolicyValidationFailed", "PendingRoleAssignmentRequest"];

fn quote(s: &str) -> String {
    s.replace('\'', "''")
}

pub(crate) fn arm_scope(scope: &str) -> String {
    format!("/{}", scope.trim_matches('/'))
}

/// The full ARM role definition id for a role GUID at a scope: under the scope's subscription,
/// or tenant-level for management-group scopes.
pub(crate) fn arm_role_definition(scope: &str, role_guid: &str) -> String {
    let parts: Vec<&str> = scope.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        [first, sub, ..] if first.eq_ignore_ascii_case("subscriptions") => {
            format!(
                "/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}"
            )
        }
        _ => format!("/providers/Microsoft.Authorization/roleDefinitions/{role_guid}"),
    }
}

/// The request body for removing `target`. `justification` names the campaign; `ticket` (the
/// campaign id) goes into `ticketInfo` so the tenant's own records point back to the review.
pub fn removal_body(target: &RemovalTarget, justification: &str, ticket: &str) -> Value {
    let ticket_info = json!({ "ticketNumber": ticket, "ticketSystem": "Recert" });
    match target.endpoint {
        Endpoint::DirectoryEligibility | Endpoint::DirectoryAssignment => json!({
            "action": "adminRemove",
            "principalId": target.principal_id,
            "roleDefinitionId": target.role_id,
            "directoryScopeId": target.scope,
            "justification": justification,
            "ticketInfo": ticket_info,
        }),
        Endpoint::GroupEligibility | Endpoint::GroupAssignment => json!({
            "action": "adminRemove",
            "accessId": target.role_id,
            "principalId": target.principal_id,
            "groupId": target.scope,
            "justification": justification,
            "ticketInfo": ticket_info,
        }),
        Endpoint::AzureEligibility | Endpoint::AzureAssignment => json!({
            "properties": {
                "principalId": target.principal_id,
                "roleDefinitionId": arm_role_definition(&target.scope, &target.role_id),
                "requestType": "AdminRemove",
                "justification": justification,
                "ticketInfo": ticket_info,
            }
        }),
    }
}

/// Method and URL of the removal request. ARM requests are named by `key` (a GUID), so every
/// attempt of one action addresses the same request.
pub(crate) fn request_url(
    cloud: &Cloud,
    target: &RemovalTarget,
    key: &str,
) -> (reqwest::Method, String) {
    let graph = |path: &str| (reqwest::Method::POST, cloud.graph_url(path));
    let arm = |collection: &str| {
        (
            reqwest::Method::PUT,
            cloud.arm_url(&format!(
                "{}/providers/Microsoft.Authorization/{collection}/{key}?{ARM_API}",
                arm_scope(&target.scope)
            )),
        )
    };
    match target.endpoint {
        Endpoint::DirectoryEligibility => {
            graph("roleManagement/directory/roleEligibilityScheduleRequests")
        }
        Endpoint::DirectoryAssignment => {
            graph("roleManagement/directory/roleAssignmentScheduleRequests")
        }
        Endpoint::GroupEligibility => {
            graph("identityGovernance/privilegedAccess/group/eligibilityScheduleRequests")
        }
        Endpoint::GroupAssignment => {
            graph("identityGovernance/privilegedAccess/group/assignmentScheduleRequests")
        }
        Endpoint::AzureEligibility => arm("roleEligibilityScheduleRequests"),
        Endpoint::AzureAssignment => arm("roleAssignmentScheduleRequests"),
    }
}

/// Sends one removal request, once.
pub async fn send_removal(
    client: &GraphClient,
    target: &RemovalTarget,
    key: &str,
    body: &Value,
) -> Sent {
    let (method, url) = request_url(client.cloud(), target, key);
    send(client, method, &url, body).await
}

/// Sends one schedule request, once, and sorts its answer.
pub(crate) async fn send(
    client: &GraphClient,
    method: reqwest::Method,
    url: &str,
    body: &Value,
) -> Sent {
    match client.write_once(method, url, body).await {
        Ok(value) => {
            let props = value.get("properties").unwrap_or(&value);
            let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
            Sent::Accepted {
                request_id: text(&value, "id").or_else(|| text(&value, "name")),
                status: text(props, "status"),
            }
        }
        Err((error, retry_after)) => match &error {
            GraphError::Service { code, .. } if code == "RoleAssignmentDoesNotExist" => {
                Sent::DoesNotExist(error)
            }
            GraphError::Service { code, .. } if code == "RoleAssignmentExists" => {
                Sent::Exists(error)
            }
            GraphError::Service { status: 400 | 409, code, .. }
                if REFUSALS.iter().any(|r| r.eq_ignore_ascii_case(code)) =>
            {
                Sent::Refused { code: code.clone(), error }
            }
            GraphError::Service { status: 429 | 500 | 502 | 503 | 504, .. }
            | GraphError::Unreachable { .. }
            | GraphError::Malformed { .. } => Sent::Unknown { error, retry_after },
            _ => Sent::Failed(error),
        },
    }
}

/// Graph request statuses that mean the removal did not happen.
pub fn status_failed(status: &str) -> bool {
    ["Failed", "Denied", "Canceled", "Invalid", "TimedOut", "AdminDenied"]
        .iter()
        .any(|s| s.eq_ignore_ascii_case(status))
}

/// The relative Graph URL (for `$batch`) or absolute ARM URL that lists `target`'s live instances.
fn live_url(cloud: &Cloud, target: &RemovalTarget) -> String {
    let p = quote(&target.principal_id);
    match target.endpoint {
        Endpoint::DirectoryEligibility | Endpoint::DirectoryAssignment => {
            let collection = if target.endpoint == Endpoint::DirectoryEligibility {
                "roleEligibilityScheduleInstances"
            } else {
                "roleAssignmentScheduleInstances"
            };
            format!(
                "/roleManagement/directory/{collection}?$filter=principalId eq '{p}' and roleDefinitionId eq '{}'",
                quote(&target.role_id)
            )
        }
        Endpoint::GroupEligibility | Endpoint::GroupAssignment => {
            let collection = if target.endpoint == Endpoint::GroupEligibility {
                "eligibilityScheduleInstances"
            } else {
                "assignmentScheduleInstances"
            };
            format!(
                "/identityGovernance/privilegedAccess/group/{collection}?$filter=groupId eq '{}' and principalId eq '{p}'",
                quote(&target.scope)
            )
        }
        Endpoint::AzureEligibility | Endpoint::AzureAssignment => {
            let collection = if target.endpoint == Endpoint::AzureEligibility {
                "roleEligibilityScheduleInstances"
            } else {
                "roleAssignmentScheduleInstances"
            };
            cloud.arm_url(&format!(
                "{}/providers/Microsoft.Authorization/{collection}?{ARM_API}&$filter=principalId eq '{p}'",
                arm_scope(&target.scope)
            ))
        }
    }
}

fn text<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or_default()
}

fn time(v: &Value, k: &str) -> Option<DateTime<Utc>> {
    let parsed = DateTime::parse_from_rfc3339(v.get(k)?.as_str()?).ok()?.with_timezone(&Utc);
    // Graph uses year 1 as "no value" in some fields.
    (parsed.format("%Y").to_string() != "0001").then_some(parsed)
}

/// The instances among `items` that are `target`'s (same principal, role, scope).
fn matching(target: &RemovalTarget, items: &[Value]) -> Vec<LiveInstance> {
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    let mut out = Vec::new();
    for item in items {
        let (props, id, role_ok, scope_ok) = match target.endpoint {
            Endpoint::DirectoryEligibility | Endpoint::DirectoryAssignment => {
                let scope = item.get("directoryScopeId").and_then(Value::as_str).unwrap_or("/");
                (
                    item,
                    text(item, "id"),
                    same(text(item, "roleDefinitionId"), &target.role_id),
                    same(scope, &target.scope),
                )
            }
            Endpoint::GroupEligibility | Endpoint::GroupAssignment => (
                item,
                text(item, "id"),
                same(text(item, "accessId"), &target.role_id),
                same(text(item, "groupId"), &target.scope),
            ),
            Endpoint::AzureEligibility | Endpoint::AzureAssignment => {
                let props = item.get("properties").unwrap_or(&Value::Null);
                let role = text(props, "roleDefinitionId");
                (
                    props,
                    text(item, "id"),
                    same(role.rsplit('/').next().unwrap_or(role), &target.role_id),
                    same(&arm_scope(text(props, "scope")), &arm_scope(&target.scope)),
                )
            }
        };
        if !(role_ok && scope_ok && same(text(props, "principalId"), &target.principal_id)) {
            continue;
        }
        let member_type = text(props, "memberType");
        out.push(LiveInstance {
            id: id.to_string(),
            membership: if member_type.is_empty() || same(member_type, "Direct") {
                Membership::Direct
            } else {
                Membership::Group
            },
            activated: same(text(props, "assignmentType"), "Activated"),
            end: time(props, "endDateTime"),
        });
    }
    out
}

fn is_not_found(err: &GraphError) -> bool {
    matches!(err, GraphError::Service { status: 404, .. })
}

/// Re-reads the live instances of each target, in order. Graph targets go 20 to a `$batch`;
/// ARM targets one request each. A 404 (the scope or group is gone) reads as "no instances".
pub async fn read_live(
    client: &GraphClient,
    targets: &[RemovalTarget],
) -> Vec<Result<Vec<LiveInstance>, GraphError>> {
    let cloud = client.cloud();
    let mut out: Vec<Option<Result<Vec<LiveInstance>, GraphError>>> =
        (0..targets.len()).map(|_| None).collect();
    let (arm, graph): (Vec<usize>, Vec<usize>) = (0..targets.len()).partition(|i| {
        matches!(targets[*i].endpoint, Endpoint::AzureEligibility | Endpoint::AzureAssignment)
    });
    let graph_chunks: Vec<Vec<usize>> = graph.chunks(BATCH_LIMIT).map(<[_]>::to_vec).collect();
    let graph_reads = graph_chunks.iter().map(|chunk| async move {
        let urls: Vec<String> = chunk.iter().map(|i| live_url(cloud, &targets[*i])).collect();
        let answers = match client.batch_get_raw(&urls).await {
            Ok(answers) => answers,
            Err(err) => {
                let message = err.to_string();
                return chunk
                    .iter()
                    .map(|i| {
                        (
                            *i,
                            Err(GraphError::Unreachable {
                                url: urls.first().cloned().unwrap_or_default(),
                                message: message.clone(),
                                request_id: err.request_id().map(str::to_string),
                            }),
                        )
                    })
                    .collect::<Vec<_>>();
            }
        };
        let mut results = Vec::new();
        for (i, url) in chunk.iter().zip(&urls) {
            let Some(answer) = answers.iter().find(|a| &a.url == url) else {
                results.push((
                    *i,
                    Err(GraphError::Malformed {
                        url: url.clone(),
                        message: "the $batch answer left this step out".into(),
                        request_id: None,
                    }),
                ));
                continue;
            };
            let read = match client.batch_list_as::<Value>(answer).await {
                Ok((items, _)) => Ok(matching(&targets[*i], &items)),
                Err(err) if is_not_found(&err) => Ok(Vec::new()),
                Err(err) => Err(err),
            };
            results.push((*i, read));
        }
        results
    });
    let arm_reads = arm.iter().map(|i| async move {
        let read = match client.get_all(&live_url(cloud, &targets[*i])).await {
            Ok((items, _)) => Ok(matching(&targets[*i], &items)),
            Err(err) if is_not_found(&err) => Ok(Vec::new()),
            Err(err) => Err(err),
        };
        vec![(*i, read)]
    });
    let (graph_results, arm_results) =
        futures_util::join!(join_all(graph_reads), join_all(arm_reads));
    for (i, result) in graph_results.into_iter().chain(arm_results).flatten() {
        out[i] = Some(result);
    }
    out.into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(GraphError::Malformed {
                    url: String::new(),
                    message: "a re-read was not made".into(),
                    request_id: None,
                })
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(endpoint: Endpoint, role: &str, scope: &str) -> RemovalTarget {
        RemovalTarget {
            endpoint,
            role_id: role.into(),
            scope: scope.into(),
            principal_id: "p1".into(),
        }
    }

    #[test]
    fn bodies_name_the_campaign_and_address_the_assignment() {
        let t = target(Endpoint::DirectoryEligibility, "r1", "/administrativeUnits/au1");
        let body = removal_body(&t, "Recert review Q1: denied", "q1-1");
        assert_eq!(body["action"], "adminRemove");
        assert_eq!(body["directoryScopeId"], "/administrativeUnits/au1");
        assert_eq!(body["ticketInfo"]["ticketNumber"], "q1-1");
        let g = removal_body(&target(Endpoint::GroupAssignment, "owner", "g1"), "j", "c");
        assert_eq!((g["accessId"].as_str(), g["groupId"].as_str()), (Some("owner"), Some("g1")));
        let scope = "/subscriptions/s1/resourceGroups/rg1";
        let a = removal_body(&target(Endpoint::AzureAssignment, "guid", scope), "j", "c");
        assert_eq!(
            a["properties"]["roleDefinitionId"],
            "/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/guid"
        );
        assert_eq!(a["properties"]["requestType"], "AdminRemove");
        let cloud = Cloud::custom("https://127.0.0.1:1").expect("a URL");
        let (method, url) =
            request_url(&cloud, &target(Endpoint::AzureAssignment, "g", scope), "k");
        assert_eq!(method, reqwest::Method::PUT);
        assert!(url.ends_with(
            "/arm/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/k?api-version=2020-10-01"
        ), "{url}");
    }

    #[test]
    fn only_the_targets_own_instances_are_live() {
        let t = target(Endpoint::DirectoryAssignment, "r1", "/");
        let items = vec![
            json!({ "id": "a", "principalId": "P1", "roleDefinitionId": "R1", "directoryScopeId": "/",
                    "memberType": "Direct", "assignmentType": "Assigned", "endDateTime": null }),
            json!({ "id": "b", "principalId": "p1", "roleDefinitionId": "r1", "directoryScopeId": "/au",
                    "memberType": "Direct", "assignmentType": "Assigned" }),
            json!({ "id": "c", "principalId": "p1", "roleDefinitionId": "r1", "directoryScopeId": "/",
                    "memberType": "Group", "assignmentType": "Activated",
                    "endDateTime": "2026-01-01T00:00:00.1234567Z" }),
        ];
        let live = matching(&t, &items);
        assert_eq!(live.len(), 2, "{live:?}");
        assert_eq!((live[0].membership, live[0].activated), (Membership::Direct, false));
        assert_eq!((live[1].membership, live[1].activated), (Membership::Group, true));
        assert!(live[1].end.is_some());
    }
}
