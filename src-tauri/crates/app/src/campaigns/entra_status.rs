//! What the campaign page says of a campaign delivered through Entra Access Reviews: the reviews
//! published (and whether stopped), which items stay in Recert's worklist and why, and — read from
//! Entra when asked — the reviewers Entra contacted with how many decisions each made there.

use std::collections::{BTreeMap, HashMap};

use recert_domain::entra_reviews::{Delivery, StaysInRecert, channel};
use recert_domain::{AssignmentKind, PrincipalKind};
use recert_graph::reviews;
use serde::Serialize;
use ts_rs::TS;

use super::{parse_definition, rfc3339, tenant_of};
use crate::{App, AppError};

/// One review published in Entra for the campaign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PublishedReviewDto {
    pub role_id: String,
    pub role_name: String,
    pub kind: AssignmentKind,
    /// The `accessReviewScheduleDefinition` id in Entra.
    pub definition_id: String,
    pub published_at: String,
    /// When Recert stopped it (at close); `None` while reviewers can still decide there.
    pub stopped_at: Option<String>,
}

/// Items that stay in Recert's worklist for one reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct StayInRecertDto {
    pub why: StaysInRecert,
    /// The sentence the page shows.
    pub reason: String,
    pub items: u32,
}

/// Where a campaign's reviewers decide, and what of it is in Entra.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DeliveryStatusDto {
    pub delivery: Delivery,
    pub reviews: Vec<PublishedReviewDto>,
    /// Items Entra Access Reviews carry (decided there, synced back).
    pub in_entra: u32,
    /// Items that stay in Recert's worklist, per reason (empty for a campaign in Recert).
    pub stay_in_recert: Vec<StayInRecertDto>,
    /// Decisions recorded from Entra so far.
    pub synced_decisions: u32,
}

/// A reviewer Entra contacted, with the decisions they made there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct EntraReviewerDto {
    pub id: String,
    pub upn: String,
    pub display_name: String,
    /// Decisions of theirs standing in Entra now.
    pub decided: u32,
}

/// The published reviews as Entra holds them now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct EntraProgressDto {
    /// Every reviewer Entra contacted, most decisions first.
    pub reviewers: Vec<EntraReviewerDto>,
    /// Decision items decided in Entra, and not yet.
    pub decided: u32,
    pub pending: u32,
}

impl App {
    /// The campaign's delivery: its published reviews and which items stay in Recert (from the
    /// store; nothing is asked of Entra).
    pub async fn campaign_delivery_status(
        &self,
        campaign_id: &str,
    ) -> Result<DeliveryStatusDto, AppError> {
        let id = campaign_id.to_string();
        self.with_store(move |store| {
            let record = store.campaign(&id)?;
            let (_, definition) = parse_definition(&record.definition)?;
            let delivery = definition.settings.delivery;
            let items = store.all_items(&id)?;
            let names: HashMap<String, String> = items
                .iter()
                .map(|i| (i.role_id.to_ascii_lowercase(), i.role_name.clone()))
                .collect();
            let mut in_entra = 0;
            let mut stay: BTreeMap<StaysInRecert, u32> = BTreeMap::new();
            if delivery == Delivery::EntraAccessReviews {
                for item in &items {
                    match channel(item.surface, PrincipalKind::parse(&item.principal_kind)) {
                        Ok(()) => in_entra += 1,
                        Err(why) => *stay.entry(why).or_default() += 1,
                    }
                }
            }
            let reviews = store
                .publications(&id)?
                .into_iter()
                .map(|p| PublishedReviewDto {
                    role_name: names
                        .get(&p.role_id.to_ascii_lowercase())
                        .cloned()
                        .unwrap_or_else(|| p.role_id.clone()),
                    role_id: p.role_id,
                    kind: p.kind,
                    definition_id: p.definition_id,
                    published_at: rfc3339(p.published_at),
                    stopped_at: p.stopped_at.map(rfc3339),
                })
                .collect();
            Ok(DeliveryStatusDto {
                delivery,
                reviews,
                in_entra,
                stay_in_recert: stay
                    .into_iter()
                    .map(|(why, items)| StayInRecertDto {
                        why,
                        reason: why.reason().to_string(),
                        items,
                    })
                    .collect(),
                synced_decisions: store.synced_decisions(&id)?.len() as u32,
            })
        })
        .await
    }

    /// Reads the campaign's published reviews from Entra now: the reviewers each instance
    /// contacted and the decisions made there, per reviewer.
    pub async fn campaign_entra_progress(
        &self,
        campaign_id: &str,
    ) -> Result<EntraProgressDto, AppError> {
        let id = campaign_id.to_string();
        let (tenant, publications) = self
            .with_store(move |store| {
                let record = store.campaign(&id)?;
                Ok((tenant_of(&record)?, store.publications(&id)?))
            })
            .await?;
        let client = self.session(&tenant)?.graph.clone();
        let mut by_id: BTreeMap<String, EntraReviewerDto> = BTreeMap::new();
        let (mut decided, mut pending) = (0, 0);
        for p in &publications {
            let state = reviews::read_review(&client, &p.definition_id).await?;
            for (instance, _) in &state.instances {
                for r in reviews::contacted_reviewers(&client, &p.definition_id, instance).await? {
                    by_id.entry(r.id.to_ascii_lowercase()).or_insert(EntraReviewerDto {
                        upn: r.user_principal_name.unwrap_or_default(),
                        display_name: r.display_name.unwrap_or_default(),
                        id: r.id,
                        decided: 0,
                    });
                }
            }
            for d in &state.decisions {
                match &d.reviewed_by {
                    Some((reviewer, name, upn)) if d.decision != "NotReviewed" => {
                        decided += 1;
                        by_id
                            .entry(reviewer.to_ascii_lowercase())
                            .or_insert_with(|| EntraReviewerDto {
                                id: reviewer.clone(),
                                upn: upn.clone(),
                                display_name: name.clone(),
                                decided: 0,
                            })
                            .decided += 1;
                    }
                    _ => pending += 1,
                }
            }
        }
        let mut reviewers: Vec<EntraReviewerDto> = by_id.into_values().collect();
        reviewers.sort_by(|a, b| b.decided.cmp(&a.decided).then_with(|| a.upn.cmp(&b.upn)));
        Ok(EntraProgressDto { reviewers, decided, pending })
    }
}
