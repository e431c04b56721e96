//! Entra ID Access Reviews as Recert's distribution channel: publishing a campaign as one
//! `accessReviewScheduleDefinition` per directory role and kind, reading its decisions back
//! (every page), the reviewers Entra contacted, reminders, and stopping the instances at close;
//! and `users/{id}/sendMail` for reminders of reviews kept in Recert. Every request follows a
//! documented example (tests/fixtures/graph-docs/access-reviews.json and
//! access-review-operations.json). `applyDecisions` is never called: Recert removes access
//! itself, with its interlocks.

use chrono::NaiveDate;
use recert_domain::AssignmentKind;
use recert_domain::entra_reviews::scope_query;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{GraphClient, GraphError, RawPage};

const DEFINITIONS: &str = "/identityGovernance/accessReviews/definitions";

/// The campaign a publication belongs to, named in every review it creates.
#[derive(Clone, Debug)]
pub struct CampaignRef {
    pub id: String,
    pub name: String,
    /// The first and last day reviewers may decide (the campaign's window).
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// Whether approving needs a justification (the definition's rule, shown by Entra too).
    pub justification_on_approve: bool,
    /// Object ids of the definition's fallback reviewers, for principals without a manager.
    pub fallback_reviewers: Vec<String>,
}

/// One review to publish: a directory role and a kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewScope {
    pub role_id: String,
    pub role_name: String,
    pub kind: AssignmentKind,
}

/// A review created in Entra.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    pub role_id: String,
    pub kind: AssignmentKind,
    pub definition_id: String,
}

/// Why a publication failed, and what became of the reviews it had created.
#[derive(Debug, thiserror::Error)]
#[error("publishing the review of {role_name} ({kind}) failed: {error}{}", leftover_text(.left_behind))]
pub struct PublishError {
    pub role_name: String,
    pub kind: &'static str,
    pub error: GraphError,
    /// Reviews created before the failure that could not be deleted again (normally none).
    pub left_behind: Vec<Published>,
}

fn leftover_text(left: &[Published]) -> String {
    if left.is_empty() {
        "; nothing was left in Entra".into()
    } else {
        let ids: Vec<&str> = left.iter().map(|p| p.definition_id.as_str()).collect();
        format!(
            "; these reviews could not be deleted and must be removed by hand: {}",
            ids.join(", ")
        )
    }
}

fn kind_word(kind: AssignmentKind) -> &'static str {
    match kind {
        AssignmentKind::Eligible => "eligible",
        AssignmentKind::Active => "active",
    }
}

/// The body of one review (accessreviewset-post-definitions.md: displayName,
/// descriptionForAdmins, descriptionForReviewers and scope required; reviewers `./manager` with
/// `queryRoot: decisions` and fallbackReviewers as in Example 3; the scope of
/// accessreviews-scope-concept.md Examples 9b/9c). Decisions are never applied by Entra
/// (`autoApplyDecisionsEnabled: false`) and there is no default decision.
pub fn definition_body(campaign: &CampaignRef, scope: &ReviewScope) -> Value {
    let kind = kind_word(scope.kind);
    let days = (campaign.end - campaign.start).num_days().max(0) + 1;
    let role_id = scope.role_id.replace('\'', "''");
    let mut for_reviewers = format!(
        "Recert campaign \"{}\": does each of your reports still need {} ({kind})?",
        campaign.name, scope.role_name
    );
    // Email notifications carry at most 256 characters of it (the post page).
    if for_reviewers.chars().count() > 256 {
        for_reviewers = for_reviewers.chars().take(255).collect::<String>() + "…";
    }
    json!({
        "displayName": format!("Recert: {} – {} ({kind})", campaign.name, scope.role_name),
        "descriptionForAdmins": format!(
            "Published by Recert for campaign {} \"{}\". Recert collects these decisions and \
             removes access itself with its interlocks: do not apply them here.",
            campaign.id, campaign.name
        ),
        "descriptionForReviewers": for_reviewers,
        "scope": {
            "@odata.type": "#microsoft.graph.accessReviewQueryScope",
            "query": scope_query(&role_id, scope.kind),
            "queryType": "MicrosoftGraph"
        },
        "reviewers": [{"query": "./manager", "queryType": "MicrosoftGraph", "queryRoot": "decisions"}],
        "fallbackReviewers": campaign.fallback_reviewers.iter().map(|id| json!({
            "query": format!("/users/{id}"), "queryType": "MicrosoftGraph"
        })).collect::<Vec<_>>(),
        "settings": {
            "mailNotificationsEnabled": true,
            "reminderNotificationsEnabled": true,
            "justificationRequiredOnApproval": campaign.justification_on_approve,
            "defaultDecisionEnabled": false,
            "defaultDecision": "None",
            "instanceDurationInDays": days,
            "autoApplyDecisionsEnabled": false,
            "recommendationsEnabled": true,
            "recurrence": {
                "pattern": {"type": "weekly", "interval": 1},
                "range": {
                    "type": "numbered",
                    "startDate": campaign.start.format("%Y-%m-%d").to_string(),
                    "endDate": campaign.end.format("%Y-%m-%d").to_string()
                }
            }
        }
    })
}

/// Creates one review per scope. If one fails, every review this call created is deleted again
/// before the error is returned, so nothing is left half-published; one that cannot be deleted
/// is named in the error. Creating is a write: never retried.
pub async fn publish(
    client: &GraphClient,
    campaign: &CampaignRef,
    scopes: &[ReviewScope],
) -> Result<Vec<Published>, PublishError> {
    let url = client.cloud().graph_url(DEFINITIONS);
    let mut created: Vec<Published> = Vec::with_capacity(scopes.len());
    for scope in scopes {
        let body = definition_body(campaign, scope);
        let outcome = client.write_once(reqwest::Method::POST, &url, &body).await;
        let failure = match outcome {
            Ok(answer) => match answer.get("id").and_then(Value::as_str) {
                Some(id) => {
                    created.push(Published {
                        role_id: scope.role_id.clone(),
                        kind: scope.kind,
                        definition_id: id.to_string(),
                    });
                    continue;
                }
                None => GraphError::Malformed {
                    url: url.clone(),
                    message: "the created review has no id".into(),
                    request_id: None,
                },
            },
            Err((err, _)) => err,
        };
        let left_behind = withdraw(client, &created).await;
        return Err(PublishError {
            role_name: scope.role_name.clone(),
            kind: kind_word(scope.kind),
            error: failure,
            left_behind,
        });
    }
    Ok(created)
}

/// Deletes reviews (accessreviewscheduledefinition-delete.md); returns those that could not be
/// deleted. One already gone (404) counts as deleted.
pub async fn withdraw(client: &GraphClient, reviews: &[Published]) -> Vec<Published> {
    let mut left = Vec::new();
    for p in reviews {
        let url = client.cloud().graph_url(&format!("{DEFINITIONS}/{}", p.definition_id));
        match client.act_once(reqwest::Method::DELETE, &url).await {
            Ok(_) => {}
            Err((err, _)) if err.status() == Some(404) => {}
            Err((err, _)) => {
                tracing::warn!(definition = %p.definition_id, error = %err, "a review was not deleted");
                left.push(p.clone());
            }
        }
    }
    left
}

#[derive(Debug, Deserialize)]
struct InstanceRow {
    id: String,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Identity {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    user_principal_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DecisionRow {
    id: String,
    #[serde(default)]
    decision: Option<String>,
    #[serde(default)]
    justification: Option<String>,
    #[serde(default)]
    reviewed_date_time: Option<String>,
    #[serde(default)]
    reviewed_by: Option<Identity>,
    #[serde(default)]
    principal: Option<Identity>,
}

/// The GUID Graph shows for "nobody" in `reviewedBy` before a decision.
const NOBODY: &str = "00000000-0000-0000-0000-000000000000";

/// One decision item as Entra holds it now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntraDecisionItem {
    pub decision_id: String,
    pub instance_id: String,
    pub principal_id: String,
    pub principal_name: Option<String>,
    /// `NotReviewed`, `Approve`, `Deny`, `DontKnow`.
    pub decision: String,
    pub justification: String,
    /// The reviewer's object id, display name and UPN; None until someone decided.
    pub reviewed_by: Option<(String, String, String)>,
    pub reviewed_at: Option<String>,
}

/// What one published review holds now.
#[derive(Clone, Debug)]
pub struct ReviewState {
    pub definition_id: String,
    /// Each instance's id and status (`InProgress`, `Completed`, …).
    pub instances: Vec<(String, String)>,
    pub decisions: Vec<EntraDecisionItem>,
    /// Every page read, verbatim, so the sync can keep their SHA-256.
    pub pages: Vec<RawPage>,
}

/// Reads a review's instances and every page of each instance's decisions
/// (accessreviewscheduledefinition-list-instances.md, accessreviewinstance-list-decisions.md,
/// followed through `@odata.nextLink`).
pub async fn read_review(
    client: &GraphClient,
    definition_id: &str,
) -> Result<ReviewState, GraphError> {
    let cloud = client.cloud();
    let base = format!("{DEFINITIONS}/{definition_id}/instances");
    let (instances, mut pages) = client.get_all_as::<InstanceRow>(&cloud.graph_url(&base)).await?;
    let mut decisions = Vec::new();
    for inst in &instances {
        let url = cloud.graph_url(&format!("{base}/{}/decisions", inst.id));
        let (rows, more) = client.get_all_as::<DecisionRow>(&url).await?;
        pages.extend(more);
        decisions.extend(rows.into_iter().map(|d| {
            let reviewed_by = d
                .reviewed_by
                .filter(|r| r.id.as_deref().is_some_and(|id| !id.is_empty() && id != NOBODY))
                .map(|r| {
                    (
                        r.id.unwrap_or_default(),
                        r.display_name.unwrap_or_default(),
                        r.user_principal_name.unwrap_or_default(),
                    )
                });
            let principal = d.principal.unwrap_or_default();
            EntraDecisionItem {
                decision_id: d.id,
                instance_id: inst.id.clone(),
                principal_id: principal.id.unwrap_or_default(),
                principal_name: principal.display_name,
                decision: d.decision.unwrap_or_else(|| "NotReviewed".into()),
                justification: d.justification.unwrap_or_default(),
                reviewed_by,
                reviewed_at: d.reviewed_date_time,
            }
        }));
    }
    Ok(ReviewState {
        definition_id: definition_id.to_string(),
        instances: instances.into_iter().map(|i| (i.id, i.status.unwrap_or_default())).collect(),
        decisions,
        pages,
    })
}

/// Stops every instance of a review that is not completed yet (accessreviewinstance-stop.md):
/// reviewers can no longer decide. Returns how many were stopped.
pub async fn stop(client: &GraphClient, state: &ReviewState) -> Result<usize, GraphError> {
    let mut stopped = 0;
    for (id, status) in &state.instances {
        if status.eq_ignore_ascii_case("Completed") {
            continue;
        }
        let url = client
            .cloud()
            .graph_url(&format!("{DEFINITIONS}/{}/instances/{id}/stop", state.definition_id));
        client.act_once(reqwest::Method::POST, &url).await.map_err(|(err, _)| err)?;
        stopped += 1;
    }
    Ok(stopped)
}

/// Asks Entra to remind the reviewers of every instance in progress
/// (accessreviewinstance-sendreminder.md). Returns how many instances were reminded.
pub async fn send_reminders(
    client: &GraphClient,
    state: &ReviewState,
) -> Result<usize, GraphError> {
    let mut sent = 0;
    for (id, status) in &state.instances {
        if !status.eq_ignore_ascii_case("InProgress") {
            continue;
        }
        let url = client.cloud().graph_url(&format!(
            "{DEFINITIONS}/{}/instances/{id}/sendReminder",
            state.definition_id
        ));
        client.act_once(reqwest::Method::POST, &url).await.map_err(|(err, _)| err)?;
        sent += 1;
    }
    Ok(sent)
}

/// A reviewer Entra contacted for an instance.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactedReviewer {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub user_principal_name: Option<String>,
}

/// The reviewers of one instance (accessreviewinstance-list-contactedreviewers.md).
pub async fn contacted_reviewers(
    client: &GraphClient,
    definition_id: &str,
    instance_id: &str,
) -> Result<Vec<ContactedReviewer>, GraphError> {
    let url = client.cloud().graph_url(&format!(
        "{DEFINITIONS}/{definition_id}/instances/{instance_id}/contactedReviewers"
    ));
    Ok(client.get_all_as::<ContactedReviewer>(&url).await?.0)
}

/// A mail to send from a mailbox.
#[derive(Clone, Debug)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    /// A file attached: name, content type, bytes.
    pub attachment: Option<(String, String, Vec<u8>)>,
}

/// Sends `mail` from the mailbox of user `from` (user-sendmail.md, Example 3: a file
/// attachment; `saveToSentItems` left to its default so the governance mailbox keeps a copy).
/// A write: never retried.
pub async fn send_mail(client: &GraphClient, from: &str, mail: &Mail) -> Result<(), GraphError> {
    use base64::Engine as _;
    let mut message = json!({
        "subject": mail.subject,
        "body": {"contentType": "Text", "content": mail.text},
        "toRecipients": [{"emailAddress": {"address": mail.to}}],
    });
    if let Some((name, content_type, bytes)) = &mail.attachment {
        message["attachments"] = json!([{
            "@odata.type": "#microsoft.graph.fileAttachment",
            "name": name,
            "contentType": content_type,
            "contentBytes": base64::engine::general_purpose::STANDARD.encode(bytes),
        }]);
    }
    let url = client.cloud().graph_url(&format!("/users/{from}/sendMail"));
    client
        .write_once(reqwest::Method::POST, &url, &json!({"message": message}))
        .await
        .map(|_| ())
        .map_err(|(err, _)| err)
}
