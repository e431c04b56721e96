//! Multi-stage reviews in use: the verdict each stage reached on an item, moving a campaign to
//! its next stage (the items its "takes" passes on, routed to that stage's reviewers), sending
//! an item answered "don't know" to the stage's fallback reviewers when no later stage takes it,
//! and the verdict that stands at close — the last stage's decision that decided something.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use recert_domain::campaign::{CampaignDefinition, CampaignState, MultiReviewerRule, ReviewerRef};
use recert_domain::review::{self, OutcomeReason, Standing, Verdict};
use recert_domain::routing::route;
use recert_domain::stage::{self, DontKnowRoute};
use recert_domain::{Principal, PrincipalKind};
use recert_store::Store;
use recert_store::stages::{StageReviewer, StageRoute};
use recert_store::worklist::{DecisionRecord, ItemRecord};

use super::{campaign_dto, parse_definition, tenant_of};
use crate::authority::Acting;
use crate::campaigns::dto::{CampaignDto, DecisionTrailDto};
use crate::{App, AppError, ErrorCode};

/// Each reviewer's standing verdict per (item, stage), with the time of their first decision in
/// that stage.
pub(crate) fn standing_by_stage(
    decisions: &[DecisionRecord],
) -> HashMap<(u32, u32), Vec<Standing>> {
    let mut out: HashMap<(u32, u32), Vec<Standing>> = HashMap::new();
    // Decisions taken back (returned to undecided) no longer count.
    for d in recert_store::worklist::standing_rows(decisions) {
        let Some(verdict) = Verdict::parse(&d.verdict) else { continue };
        let standing = out.entry((d.item_id, d.stage)).or_default();
        match standing.iter_mut().find(|s| s.reviewer_id == d.reviewer_id) {
            Some(existing) => existing.verdict = verdict,
            None => standing.push(Standing {
                reviewer_id: d.reviewer_id.clone(),
                verdict,
                first_at: d.decided_at,
            }),
        }
    }
    out
}

/// The rule of stage `number` (1-based).
fn rule_of(definition: &CampaignDefinition, number: u32) -> MultiReviewerRule {
    match number {
        1 => definition.reviewers.rule,
        n => definition.stages.get(n as usize - 2).map_or(definition.reviewers.rule, |s| s.rule),
    }
}

/// The item's reviewers in stage `number`.
pub(crate) fn reviewers_in(item: &ItemRecord, number: u32) -> Vec<String> {
    item.reviewers.iter().filter(|r| r.stage == number).map(|r| r.id.clone()).collect()
}

/// What stage `number` reached on the item: its combined verdict, or "don't know" when someone
/// answered so and nobody decided; `None` when nobody answered.
pub(crate) fn stage_verdict(
    definition: &CampaignDefinition,
    item: &ItemRecord,
    number: u32,
    by_stage: &HashMap<(u32, u32), Vec<Standing>>,
) -> Option<(Verdict, OutcomeReason)> {
    let standing = by_stage.get(&(item.id, number)).map_or(&[][..], Vec::as_slice);
    let reviewers = reviewers_in(item, number);
    review::combined_verdict(rule_of(definition, number), &reviewers, standing).or_else(|| {
        standing
            .iter()
            .any(|s| s.verdict == Verdict::DontKnow)
            .then_some((Verdict::DontKnow, OutcomeReason::Approved))
    })
}

/// The verdict that stands for the item at close: over the stages it went through, the last
/// one that decided something.
pub(crate) fn item_verdict(
    definition: &CampaignDefinition,
    item: &ItemRecord,
    item_stage: u32,
    by_stage: &HashMap<(u32, u32), Vec<Standing>>,
) -> Option<(Verdict, OutcomeReason)> {
    let stages: Vec<Option<(Verdict, OutcomeReason)>> =
        (1..=item_stage).map(|n| stage_verdict(definition, item, n, by_stage)).collect();
    review::staged_verdict(&stages)
}

/// Who decided the item in stages before `number` (the deciders, not whom they acted for).
pub(crate) fn earlier_deciders(
    decisions: &[DecisionRecord],
    item: u32,
    number: u32,
) -> Vec<String> {
    decisions
        .iter()
        .filter(|d| d.item_id == item && d.stage < number)
        .map(|d| d.decided_by_id.clone())
        .collect()
}

fn stage_reviewers(routed: Vec<recert_domain::routing::Routed>) -> Vec<StageReviewer> {
    routed
        .into_iter()
        .map(|r| StageReviewer {
            id: r.reviewer.id,
            upn: r.reviewer.upn,
            name: r.reviewer.display_name,
            reroute_reason: r.fallback.map(|f| f.as_str().to_string()),
            conflict: r.conflict.map(|c| c.as_str().to_string()),
        })
        .collect()
}

/// The holder as routing knows them, from the directory or the item itself.
fn holder_of(item: &ItemRecord, directory: &HashMap<String, Principal>) -> Principal {
    directory.get(&item.principal_id).cloned().unwrap_or_else(|| Principal {
        id: item.principal_id.clone(),
        kind: PrincipalKind::parse(&item.principal_kind),
        display_name: item.principal_name.clone(),
        upn: item.principal_upn.clone(),
        mail: None,
        account_enabled: item.account_enabled,
        user_type: None,
        manager_id: None,
        last_sign_in: None,
    })
}

/// The routes of the items that go on from stage `from` to the next.
fn next_routes(
    store: &Store,
    campaign_id: &str,
    tenant_id: &str,
    definition: &CampaignDefinition,
    from: u32,
) -> Result<Vec<StageRoute>, AppError> {
    let Some(next) = definition.stages.get(from as usize - 1) else {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!("campaign {campaign_id} is in its last stage ({from})"),
        ));
    };
    let by_stage = standing_by_stage(&store.decisions(campaign_id)?);
    let stages = store.item_stages(campaign_id)?;
    let directory = super::directory(store, tenant_id)?;
    let separation = super::separation(store, tenant_id)?;
    let admins: Vec<ReviewerRef> = store
        .admins(tenant_id)?
        .into_iter()
        .map(|a| ReviewerRef { id: a.principal_id, upn: a.upn, display_name: a.display_name })
        .collect();
    let mut routes = Vec::new();
    for item in store.all_items(campaign_id)? {
        if stages.get(&item.id).copied().unwrap_or(1) != from {
            continue;
        }
        let verdict = stage_verdict(definition, &item, from, &by_stage).map(|v| v.0);
        if !next.takes.takes(verdict) {
            continue;
        }
        let policy = next.policy_for(&item.role_id, &admins);
        let holder = holder_of(&item, &directory);
        let routed = route(&policy, &holder, &item.role_id, &directory, &separation);
        routes.push(StageRoute { item_id: item.id, reviewers: stage_reviewers(routed) });
    }
    Ok(routes)
}

/// After decisions in stage `number`: each item answered "don't know" that no later stage takes
/// goes to the stage's fallback reviewers (never the holder), with the note in the decision log.
pub(crate) fn route_dont_know(
    store: &mut Store,
    campaign_id: &str,
    definition: &CampaignDefinition,
    number: u32,
    items: &[(ItemRecord, Verdict)],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if stage::after_dont_know(&definition.stages, number) != DontKnowRoute::Fallback {
        return Ok(());
    }
    let fallback = match number {
        1 => &definition.reviewers.fallback,
        n => match definition.stages.get(n as usize - 2) {
            Some(s) => &s.fallback,
            None => &definition.reviewers.fallback,
        },
    };
    for (item, verdict) in items {
        if *verdict != Verdict::DontKnow {
            continue;
        }
        let reviewers: Vec<StageReviewer> = fallback
            .iter()
            .filter(|f| !f.id.eq_ignore_ascii_case(&item.principal_id))
            .filter(|f| !item.reviewers.iter().any(|r| r.stage == number && r.id == f.id))
            .map(|f| StageReviewer {
                id: f.id.clone(),
                upn: f.upn.clone(),
                name: f.display_name.clone(),
                reroute_reason: Some("dontKnow".into()),
                conflict: None,
            })
            .collect();
        store.add_stage_reviewers(campaign_id, item.id, number, &reviewers, actor, now)?;
    }
    Ok(())
}

impl App {
    /// Every decision of the campaign (of one item when `item` is given), in the order made,
    /// with its stage.
    pub async fn campaign_decisions(
        &self,
        campaign_id: &str,
        item: Option<u32>,
    ) -> Result<Vec<DecisionTrailDto>, AppError> {
        let id = campaign_id.to_string();
        self.with_store(move |store| {
            Ok(store
                .decisions(&id)?
                .into_iter()
                .filter(|d| item.is_none_or(|i| i == d.item_id))
                .map(|d| DecisionTrailDto {
                    item_id: d.item_id,
                    stage: d.stage,
                    verdict: d.verdict,
                    justification: d.justification,
                    decided_by: d.decided_by_upn,
                    decided_at: super::rfc3339(d.decided_at),
                    source: d.source,
                })
                .collect())
        })
        .await
    }

    /// Moves an open multi-stage review to its next stage now (by hand; the schedule does it when
    /// a stage's days are over): the items the next stage takes go to its reviewers.
    pub async fn campaign_advance_stage(&self, campaign_id: &str) -> Result<CampaignDto, AppError> {
        let id = campaign_id.to_string();
        let app = self.clone();
        let acting = self
            .with_store(move |store| {
                let tenant = tenant_of(&store.campaign(&id)?)?;
                app.authorize(store, &tenant, recert_domain::authority::Action::Close)
            })
            .await?;
        self.advance_as(campaign_id, &acting).await
    }

    pub(crate) async fn advance_as(
        &self,
        campaign_id: &str,
        acting: &Acting,
    ) -> Result<CampaignDto, AppError> {
        let id = campaign_id.to_string();
        let now = self.now();
        let actor = acting.label.clone();
        self.with_store(move |store| {
            let record = store.campaign(&id)?;
            if record.state != CampaignState::Open {
                return Err(AppError::new(
                    ErrorCode::Conflict,
                    format!("campaign {id} is {}, not open", record.state),
                ));
            }
            let (dto, definition) = parse_definition(&record.definition)?;
            let from = store.campaign_stage(&id)?;
            let routes = next_routes(store, &id, &dto.tenant_id, &definition, from)?;
            store.advance_stage(&id, from + 1, &routes, &actor, now)?;
            campaign_dto(store, &store.campaign(&id)?, &dto.tenant_id, now)
        })
        .await
    }

    /// The stages of open campaigns whose days are over, moved on (for the schedule).
    pub(crate) async fn advance_due_stages(
        &self,
        now: DateTime<Utc>,
    ) -> Vec<Result<String, String>> {
        let app = self.clone();
        let due = self
            .with_store(move |store| {
                let mut due = Vec::new();
                for c in store.campaigns(None)? {
                    if c.state != CampaignState::Open {
                        continue;
                    }
                    let (_, definition) = parse_definition(&c.definition)?;
                    if definition.stages.is_empty() {
                        continue;
                    }
                    let windows = stage::windows(&definition.stages, c.period_start, c.period_end);
                    let target = stage::current(&windows, now);
                    let at = store.campaign_stage(&c.id)?;
                    if target > at {
                        let tenant = tenant_of(&c)?;
                        let acting =
                            app.authorize(store, &tenant, recert_domain::authority::Action::RunDue);
                        due.push((c.id, target - at, acting));
                    }
                }
                Ok(due)
            })
            .await;
        let mut out = Vec::new();
        for (id, steps, acting) in due.unwrap_or_default() {
            let acting = match acting {
                Ok(acting) => acting,
                Err(err) => {
                    out.push(Err(format!("{id}: {}", err.message)));
                    continue;
                }
            };
            for _ in 0..steps {
                match self.advance_as(&id, &acting).await {
                    Ok(_) => out.push(Ok(id.clone())),
                    Err(err) => {
                        out.push(Err(format!("{id}: {}", err.message)));
                        break;
                    }
                }
            }
        }
        out
    }
}
