//! Requests that change an assignment instead of removing it: the eligibility a conversion makes
//! (`adminAssign` on the eligibility requests, ARM `AdminAssign`) and a new end (`adminUpdate`,
//! ARM `AdminUpdate`), each with the `scheduleInfo` the documented examples send
//! (`startDateTime`, `expiration` `afterDateTime` with its `endDateTime`). Sent exactly once like
//! removals; the caller re-reads before any further attempt. Documentation they rest on:
//! unifiedroleeligibilityschedulerequest-post and unifiedroleassignmentschedulerequest-post
//! (graph-docs `role-requests.json`: the adminAssign and adminExtend examples),
//! privilegedaccessgroup-post-eligibilityschedulerequests (`group-pim.json`), and the ARM
//! 2020-10-01 roleEligibilityScheduleRequests / roleAssignmentScheduleRequests spec (`arm.json`).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::GraphClient;
use crate::remove::{RemovalTarget, Sent, arm_role_definition, request_url, send};
use recert_domain::remediation::Endpoint;

/// What a change request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeRequest {
    /// Make the principal eligible (the target's endpoint is an eligibility one).
    Assign,
    /// Give the assignment a new end.
    Update,
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The body of a change request for `target`: from `start` until `end`. `justification` names the
/// campaign; `ticket` (the campaign id) goes into `ticketInfo`, as for removals.
pub fn change_body(
    request: ChangeRequest,
    target: &RemovalTarget,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    justification: &str,
    ticket: &str,
) -> Value {
    let ticket_info = json!({ "ticketNumber": ticket, "ticketSystem": "Recert" });
    let is_arm = matches!(target.endpoint, Endpoint::AzureEligibility | Endpoint::AzureAssignment);
    let action = match (request, is_arm) {
        (ChangeRequest::Assign, false) => "adminAssign",
        (ChangeRequest::Update, false) => "adminUpdate",
        (ChangeRequest::Assign, true) => "AdminAssign",
        (ChangeRequest::Update, true) => "AdminUpdate",
    };
    let schedule = json!({
        "startDateTime": stamp(start),
        "expiration": {
            "type": if is_arm { "AfterDateTime" } else { "afterDateTime" },
            "endDateTime": stamp(end),
        },
    });
    match target.endpoint {
        Endpoint::DirectoryEligibility | Endpoint::DirectoryAssignment => json!({
            "action": action,
            "principalId": target.principal_id,
            "roleDefinitionId": target.role_id,
            "directoryScopeId": target.scope,
            "justification": justification,
            "scheduleInfo": schedule,
            "ticketInfo": ticket_info,
        }),
        Endpoint::GroupEligibility | Endpoint::GroupAssignment => json!({
            "action": action,
            "accessId": target.role_id,
            "principalId": target.principal_id,
            "groupId": target.scope,
            "justification": justification,
            "scheduleInfo": schedule,
            "ticketInfo": ticket_info,
        }),
        Endpoint::AzureEligibility | Endpoint::AzureAssignment => json!({
            "properties": {
                "principalId": target.principal_id,
                "roleDefinitionId": arm_role_definition(&target.scope, &target.role_id),
                "requestType": action,
                "justification": justification,
                "scheduleInfo": schedule,
                "ticketInfo": ticket_info,
            }
        }),
    }
}

/// Sends one change request, once. ARM requests are named by `key`, so every attempt of one step
/// addresses the same request.
pub async fn send_change(
    client: &GraphClient,
    target: &RemovalTarget,
    key: &str,
    body: &Value,
) -> Sent {
    let (method, url) = request_url(client.cloud(), target, key);
    send(client, method, &url, body).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn target(endpoint: Endpoint, role: &str, scope: &str) -> RemovalTarget {
        RemovalTarget {
            endpoint,
            role_id: role.into(),
            scope: scope.into(),
            principal_id: "p1".into(),
        }
    }

    #[test]
    fn bodies_carry_the_documented_schedule() {
        let start = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).single().expect("start");
        let end = Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).single().expect("end");
        let t = target(Endpoint::DirectoryEligibility, "r1", "/");
        let b = change_body(ChangeRequest::Assign, &t, start, end, "j", "c1");
        assert_eq!(b["action"], "adminAssign");
        assert_eq!(b["scheduleInfo"]["startDateTime"], "2026-06-01T09:00:00Z");
        assert_eq!(b["scheduleInfo"]["expiration"]["type"], "afterDateTime");
        assert_eq!(b["scheduleInfo"]["expiration"]["endDateTime"], "2026-11-28T09:00:00Z");
        assert_eq!(b["directoryScopeId"], "/");
        let g = change_body(
            ChangeRequest::Update,
            &target(Endpoint::GroupAssignment, "member", "g1"),
            start,
            end,
            "j",
            "c1",
        );
        assert_eq!(
            (g["action"].as_str(), g["groupId"].as_str()),
            (Some("adminUpdate"), Some("g1"))
        );
        let scope = "/subscriptions/s1/resourceGroups/rg1";
        let a = change_body(
            ChangeRequest::Assign,
            &target(Endpoint::AzureEligibility, "guid", scope),
            start,
            end,
            "j",
            "c1",
        );
        assert_eq!(a["properties"]["requestType"], "AdminAssign");
        assert_eq!(a["properties"]["scheduleInfo"]["expiration"]["type"], "AfterDateTime");
        assert_eq!(
            a["properties"]["roleDefinitionId"],
            "/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/guid"
        );
    }
}
