//! Accepting recommendations over a worklist, and what it would do before it is confirmed: the
//! approvals and denials in all and per role, and the items it leaves to a person (no
//! recommendation, or standing access recommended for review rather than approval).

use recert_domain::review::{DecisionSource, Verdict};
use recert_store::Store;
use recert_store::worklist::WorklistFilter;

use super::dto::{AcceptPreviewDto, AcceptRoleDto, DecisionResultDto, WorklistQueryDto};
use super::open;
use crate::{App, AppError};

/// The store's filter for a worklist query; a reviewer named by UPN is looked up.
pub(crate) fn worklist_filter(
    store: &Store,
    campaign_id: &str,
    query: &WorklistQueryDto,
) -> Result<WorklistFilter, AppError> {
    let reviewer_id = match query.reviewer.as_deref() {
        Some(r) if r.contains('@') => {
            Some(open::reviewer_id_by_upn(store, campaign_id, r)?.unwrap_or_else(|| r.to_string()))
        }
        other => other.map(str::to_string),
    };
    Ok(WorklistFilter {
        reviewer_id,
        role_id: query.role_id.clone(),
        decision: query.decision.clone(),
        recommendation: query.recommendation.clone(),
        kind: query.kind.clone(),
        membership: query.membership.clone(),
        unrouted: query.unrouted,
        search: query.search.clone().filter(|s| !s.trim().is_empty()),
        by_person: query.group_by.as_deref() == Some("person"),
    })
}

/// Accepting takes only the items still undecided.
fn undecided(query: WorklistQueryDto) -> WorklistQueryDto {
    WorklistQueryDto { decision: Some("undecided".into()), ..query }
}

impl App {
    /// What accepting the recommendations over `query`'s undecided items would decide.
    pub async fn accept_preview(
        &self,
        campaign_id: &str,
        query: WorklistQueryDto,
    ) -> Result<AcceptPreviewDto, AppError> {
        let id = campaign_id.to_string();
        self.with_store(move |store| {
            let filter = worklist_filter(store, &id, &undecided(query))?;
            let mut preview = AcceptPreviewDto::default();
            for (role_name, recommendation, n) in store.recommendation_counts(&id, &filter)? {
                if preview.roles.last().is_none_or(|r| r.role_name != role_name) {
                    preview.roles.push(AcceptRoleDto { role_name, ..Default::default() });
                }
                let Some(role) = preview.roles.last_mut() else { continue };
                match recommendation.as_deref().and_then(Verdict::parse) {
                    Some(Verdict::Approve) => {
                        role.approve += n;
                        preview.approve += n;
                    }
                    Some(Verdict::Deny) => {
                        role.deny += n;
                        preview.deny += n;
                    }
                    _ => {
                        role.left_undecided += n;
                        preview.left_undecided += n;
                    }
                }
            }
            Ok(preview)
        })
        .await
    }

    /// Decides every undecided item matching `query` that has an approve or deny recommendation,
    /// as recommended, with the recommendation's reason as the justification.
    pub async fn accept_recommendations(
        &self,
        campaign_id: &str,
        query: WorklistQueryDto,
    ) -> Result<DecisionResultDto, AppError> {
        let query = undecided(query);
        let mut decisions = Vec::new();
        let mut offset = 0;
        loop {
            let page = self
                .worklist(campaign_id, WorklistQueryDto { offset, limit: 1000, ..query.clone() })
                .await?;
            for item in &page.items {
                if let (Some(v @ (Verdict::Approve | Verdict::Deny)), Some(reason)) = (
                    item.recommendation.as_deref().and_then(Verdict::parse),
                    &item.recommendation_reason,
                ) {
                    decisions.push((item.id, v, format!("Accepted the recommendation: {reason}")));
                }
            }
            offset += page.items.len() as u32;
            if page.items.is_empty() || offset >= page.total {
                break;
            }
        }
        if decisions.is_empty() {
            return Ok(DecisionResultDto { recorded: 0, batch: None, item_ids: Vec::new() });
        }
        self.record(campaign_id, decisions, DecisionSource::Recommendation).await
    }
}
