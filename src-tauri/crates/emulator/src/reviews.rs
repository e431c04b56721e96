//! Entra ID Access Reviews as the emulator keeps them: schedule definitions, their one instance,
//! each instance's decisions with the reviewers who may make them, reminders sent, and the mail
//! sent through `users/{id}/sendMail`. The HTTP surface is `graph/reviews.rs`; this module holds
//! the state and the rules (who may decide, when an instance stops taking decisions).

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value, json};

use crate::store::Store;

/// The identity Graph shows for "nobody yet" (`reviewedBy`, `appliedBy` before a decision).
pub(crate) fn nobody() -> Value {
    json!({"id": "00000000-0000-0000-0000-000000000000", "displayName": "", "userPrincipalName": ""})
}

#[derive(Debug, Default)]
pub(crate) struct Reviews {
    pub definitions: Vec<Definition>,
    /// Every message sent through `sendMail`: `{"from", "sentDateTime", "message"}`.
    pub mail: Vec<Value>,
    /// Every `sendReminder`: `{"definitionId", "instanceId", "sentDateTime", "reviewers": [ids]}`.
    pub reminders: Vec<Value>,
}

#[derive(Debug)]
pub(crate) struct Definition {
    /// The definition as served (what was created, with the service's own fields added).
    pub body: Map<String, Value>,
    pub instances: Vec<Instance>,
}

impl Definition {
    pub(crate) fn id(&self) -> &str {
        self.body.get("id").and_then(Value::as_str).unwrap_or_default()
    }
}

#[derive(Debug)]
pub(crate) struct Instance {
    pub id: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub status: String,
    pub scope: Value,
    pub decisions: Vec<Decision>,
}

impl Instance {
    pub(crate) fn json(&self) -> Value {
        json!({
            "id": self.id,
            "startDateTime": stamp(self.start),
            "endDateTime": stamp(self.end),
            "status": self.status,
            "scope": self.scope,
        })
    }
}

#[derive(Debug)]
pub(crate) struct Decision {
    /// The decision as served.
    pub body: Map<String, Value>,
    /// Who may decide it: the principal's manager (`./manager`), else the fallback reviewers.
    pub reviewers: Vec<String>,
}

pub(crate) fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Why a reviewer's decision was not recorded.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum DecideError {
    NotFound,
    NotReviewer,
    Closed,
    Invalid(String),
}

/// The users a reviewer scope names: `/users/{id}` (the documented form, accessreviewset-post-
/// definitions.md Example 1) and `/groups/{id}/transitiveMembers` (Example 3, members that are
/// users).
pub(crate) fn scope_users(s: &Store, scopes: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for sc in scopes {
        let q = sc.get("query").and_then(Value::as_str).unwrap_or_default();
        let q = q.trim_start_matches("/v1.0");
        if let Some(id) = q.strip_prefix("/users/")
            && let Some(u) = s.user(id)
        {
            out.push(u.id().to_ascii_lowercase());
        } else if let Some(rest) = q.strip_prefix("/groups/")
            && let Some(gid) = rest.strip_suffix("/transitiveMembers")
        {
            let mut stack = vec![gid.to_ascii_lowercase()];
            let mut seen = std::collections::HashSet::new();
            while let Some(g) = stack.pop() {
                if !seen.insert(g.clone()) {
                    continue;
                }
                for m in s.members.get(&g).into_iter().flatten() {
                    match s.object(m).map(|o| o.kind) {
                        Some(crate::store::Kind::User) => out.push(m.clone()),
                        Some(crate::store::Kind::Group) => stack.push(m.clone()),
                        _ => {}
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A user's identity as a decision shows it (`userIdentity`).
pub(crate) fn user_identity(s: &Store, id: &str) -> Value {
    match s.user(id) {
        Some(u) => json!({
            "id": u.id(),
            "displayName": u.props.get("displayName").cloned().unwrap_or(Value::Null),
            "userPrincipalName": u.props.get("userPrincipalName").cloned().unwrap_or(Value::Null),
        }),
        None => nobody(),
    }
}

impl Reviews {
    pub(crate) fn definition(&self, id: &str) -> Option<&Definition> {
        self.definitions.iter().find(|d| d.id().eq_ignore_ascii_case(id))
    }
    pub(crate) fn definition_mut(&mut self, id: &str) -> Option<&mut Definition> {
        self.definitions.iter_mut().find(|d| d.id().eq_ignore_ascii_case(id))
    }

    /// Records `reviewer`'s decision on decision item `decision_id`, as Entra's reviewer page
    /// does: only a reviewer of that item, only while its instance is in progress; a changed
    /// mind overwrites the earlier decision (Entra keeps the latest).
    pub(crate) fn decide(
        &mut self,
        s: &Store,
        decision_id: &str,
        reviewer: &str,
        verdict: &str,
        justification: &str,
        now: DateTime<Utc>,
    ) -> Result<Value, DecideError> {
        let verdict = match verdict.to_ascii_lowercase().as_str() {
            "approve" => "Approve",
            "deny" => "Deny",
            "dontknow" => "DontKnow",
            // The reviewer page's "reset decision": the item is not reviewed again.
            "notreviewed" => "NotReviewed",
            other => return Err(DecideError::Invalid(format!("unknown decision '{other}'"))),
        };
        for def in &mut self.definitions {
            let needs_reason = def
                .body
                .get("settings")
                .and_then(|x| x.get("justificationRequiredOnApproval"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            for inst in &mut def.instances {
                let Some(d) = inst
                    .decisions
                    .iter_mut()
                    .find(|d| d.body.get("id").and_then(Value::as_str) == Some(decision_id))
                else {
                    continue;
                };
                if inst.status != "InProgress" || now >= inst.end {
                    return Err(DecideError::Closed);
                }
                let reviewer = reviewer.to_ascii_lowercase();
                let reviewer =
                    s.user(&reviewer).map(|u| u.id().to_ascii_lowercase()).unwrap_or(reviewer);
                if !d.reviewers.contains(&reviewer) {
                    return Err(DecideError::NotReviewer);
                }
                if verdict == "Approve" && needs_reason && justification.trim().is_empty() {
                    return Err(DecideError::Invalid(
                        "a justification is required to approve".into(),
                    ));
                }
                d.body.insert("decision".into(), json!(verdict));
                if verdict == "NotReviewed" {
                    // As before any decision: nobody reviewed it, at no time.
                    d.body.insert("justification".into(), json!(""));
                    d.body.insert("reviewedDateTime".into(), Value::Null);
                    d.body.insert("reviewedBy".into(), nobody());
                } else {
                    d.body.insert("justification".into(), json!(justification));
                    d.body.insert("reviewedDateTime".into(), json!(stamp(now)));
                    d.body.insert("reviewedBy".into(), user_identity(s, &reviewer));
                }
                return Ok(Value::Object(d.body.clone()));
            }
        }
        Err(DecideError::NotFound)
    }

    /// Every decision item with the reviewers who may decide it, for the admin surface and the
    /// reviewer page: `{"definitionId", "instanceId", "reviewers", "decision": {...}}`.
    pub(crate) fn all_decisions(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for def in &self.definitions {
            for inst in &def.instances {
                for d in &inst.decisions {
                    out.push(json!({
                        "definitionId": def.id(),
                        "definitionName": def.body.get("displayName"),
                        "instanceId": inst.id,
                        "instanceStatus": inst.status,
                        "reviewers": d.reviewers,
                        "decision": d.body,
                    }));
                }
            }
        }
        out
    }
}

/// The instance a new definition starts with: the scope's principals now, each a decision to be
/// made by its manager (or the fallback reviewers), open for `instanceDurationInDays`.
pub(crate) fn first_instance(
    s: &Store,
    graph_base: &str,
    body: &Map<String, Value>,
    principals: Vec<String>,
    now: DateTime<Utc>,
) -> Instance {
    let days = body
        .get("settings")
        .and_then(|x| x.get("instanceDurationInDays"))
        .and_then(Value::as_i64)
        .filter(|d| *d > 0)
        .unwrap_or(1);
    let instance_id = uuid::Uuid::new_v4().to_string();
    let by_manager = body.get("reviewers").and_then(Value::as_array).is_some_and(|list| {
        list.iter().any(|r| {
            r.get("query").and_then(Value::as_str) == Some("./manager")
                && r.get("queryRoot").and_then(Value::as_str).is_none_or(|q| q == "decisions")
        })
    });
    let named: Vec<Value> =
        body.get("reviewers").and_then(Value::as_array).cloned().unwrap_or_default();
    let fallback: Vec<Value> =
        body.get("fallbackReviewers").and_then(Value::as_array).cloned().unwrap_or_default();
    let named = scope_users(s, &named);
    let fallback = scope_users(s, &fallback);
    let decisions = principals
        .into_iter()
        .map(|p| {
            let mut reviewers = named.clone();
            if by_manager {
                match s.managers.get(&p) {
                    Some(m) => reviewers.push(m.clone()),
                    None => reviewers.extend(fallback.iter().cloned()),
                }
            }
            reviewers.sort();
            reviewers.dedup();
            let principal = match s.object(&p) {
                Some(o) => json!({
                    "@odata.type": "#microsoft.graph.userIdentity",
                    "id": o.id(),
                    "displayName": o.props.get("displayName").cloned().unwrap_or(Value::Null),
                    "userPrincipalName": o.props.get("userPrincipalName").cloned().unwrap_or(Value::Null),
                }),
                None => json!({"@odata.type": "#microsoft.graph.userIdentity", "id": p}),
            };
            let recent = s
                .user(&p)
                .and_then(|u| u.props.get("signInActivity"))
                .and_then(|a| a.get("lastSignInDateTime"))
                .and_then(Value::as_str)
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .is_some_and(|t| now - t.with_timezone(&Utc) < Duration::days(30));
            let body = json!({
                "id": uuid::Uuid::new_v4().to_string(),
                "accessReviewId": instance_id,
                "reviewedDateTime": null,
                "decision": "NotReviewed",
                "justification": "",
                "appliedDateTime": null,
                "applyResult": "New",
                "recommendation": if recent { "Approve" } else { "Deny" },
                "principalLink": format!("{graph_base}/v1.0/users/{p}"),
                "resourceLink": null,
                "resource": null,
                "reviewedBy": nobody(),
                "appliedBy": nobody(),
                "principal": principal,
            })
            .as_object()
            .cloned()
            .unwrap_or_default();
            Decision { body, reviewers }
        })
        .collect();
    Instance {
        id: instance_id,
        start: now,
        end: now + Duration::days(days),
        status: "InProgress".into(),
        scope: body.get("scope").cloned().unwrap_or(Value::Null),
        decisions,
    }
}
