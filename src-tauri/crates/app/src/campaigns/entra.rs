//! A campaign distributed through Entra ID Access Reviews: publishing its directory-role items
//! (one review per role and kind; everything else stays in Recert's worklist), syncing the
//! decisions made there back as decisions by the Entra reviewer, and stopping the reviews at
//! close with a final sync. Matching a decision to an item is the domain's rule: anything
//! unmatched or ambiguous is reported, never guessed.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use futures_util::StreamExt as _;
use recert_domain::authority::Action;
use recert_domain::campaign::CampaignState;
use recert_domain::entra_reviews::{
    self, Candidate, EntraDecision, Match, Reading, channel, match_decision,
};
use recert_domain::identity::{Authentication, EntraIdentity};
use recert_domain::{AssignmentKind, PrincipalKind};
use recert_graph::reviews::ReviewState;
use recert_graph::reviews::{self, CampaignRef, ReviewScope};
use recert_store::entra::{EntraOrigin, PublicationRecord, SyncedDecisionRecord};
use recert_store::worklist::{
    DecisionContext, DecisionRecord, ItemRecord, NewDecision, Withdrawal, standing_rows,
};
use serde::Serialize;
use ts_rs::TS;

use super::{parse_definition, tenant_of};
use crate::{App, AppError, ErrorCode};

/// How many reviews run at once in a sync: enough to hide the service's latency, few enough
/// to stay under its throttling.
const SYNC_READERS: usize = 8;

/// How far a sync has read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SyncProgressDto {
    pub reviews_read: u32,
    pub reviews: u32,
    /// Decision items read so far.
    pub decisions: u32,
}

/// What a sync found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SyncReport {
    /// Decisions recorded by this sync (new, or changed in Entra since the last sync).
    pub recorded: u32,
    /// Decisions already recorded as they stand in Entra.
    pub unchanged: u32,
    /// Items not decided in Entra yet.
    pub pending: u32,
    /// Decision items that fit no item of the campaign (`decision id: principal, role, kind`).
    pub unmatched: Vec<String>,
    /// Decision items that fit several items (`decision id: item ids`).
    pub ambiguous: Vec<String>,
    /// Decisions that could not be recorded as they are (a "don't know" without a note, a
    /// value Recert does not know), with why.
    pub not_recorded: Vec<String>,
    /// Decisions reset to "not reviewed" in Entra since they were recorded: their Recert
    /// decisions were taken back (audited), so the items are undecided again.
    pub reset: u32,
    /// Reviews stopped by this sync (at close).
    pub stopped: u32,
    /// SHA-256 of the raw decision pages read.
    pub pages_sha256: String,
}

fn candidate(item: &ItemRecord) -> Option<Candidate> {
    Some(Candidate {
        item_id: i64::from(item.id),
        surface: item.surface,
        principal_id: item.principal_id.clone(),
        principal_kind: PrincipalKind::parse(&item.principal_kind),
        role_id: item.role_id.clone(),
        kind: item.kind,
        membership: item.membership,
    })
}

/// The reviews a campaign's items make: one per directory role and kind Entra can carry.
pub(crate) fn review_scopes(items: &[ItemRecord]) -> Vec<ReviewScope> {
    let mut scopes: BTreeMap<(String, &'static str), ReviewScope> = BTreeMap::new();
    for c in items.iter().filter_map(|i| candidate(i).map(|c| (i, c))) {
        let (item, c) = c;
        if channel(c.surface, c.principal_kind).is_err() {
            continue;
        }
        scopes.entry((c.role_id.to_ascii_lowercase(), c.kind.as_str())).or_insert(ReviewScope {
            role_id: c.role_id.clone(),
            role_name: item.role_name.clone(),
            kind: c.kind,
        });
    }
    scopes.into_values().collect()
}

fn when(at: Option<&str>, fallback: DateTime<Utc>) -> DateTime<Utc> {
    at.and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(fallback)
}

impl App {
    /// Publishes an open campaign's directory-role items to Entra Access Reviews (once): a
    /// governance admin or the schedule. A failure part-way removes what was created.
    pub async fn campaign_publish(&self, campaign_id: &str) -> Result<u32, AppError> {
        let id = campaign_id.to_string();
        let app = self.clone();
        let (tenant, acting, campaign, scopes) = self
            .with_store(move |store| {
                let record = store.campaign(&id)?;
                let tenant = tenant_of(&record)?;
                let acting = app.authorize(store, &tenant, Action::RunDue)?;
                if record.state != CampaignState::Open {
                    return Err(AppError::new(
                        ErrorCode::Conflict,
                        format!(
                            "campaign {id} is {}: only an open campaign is published",
                            record.state
                        ),
                    ));
                }
                if !store.publications(&id)?.is_empty() {
                    return Err(AppError::new(
                        ErrorCode::Conflict,
                        format!("campaign {id} is already published to Entra Access Reviews"),
                    ));
                }
                let (_, definition) = parse_definition(&record.definition)?;
                let campaign = CampaignRef {
                    id: id.clone(),
                    name: record.name.clone(),
                    start: record.period_start.date_naive(),
                    end: record.period_end.date_naive(),
                    justification_on_approve: definition.settings.justification_on_approve,
                    fallback_reviewers: definition
                        .reviewers
                        .fallback
                        .iter()
                        .map(|r| r.id.clone())
                        .collect(),
                };
                let scopes = review_scopes(&store.all_items(&id)?);
                Ok((tenant, acting, campaign, scopes))
            })
            .await?;
        let client = self.session(&tenant)?.graph.clone();
        let published = reviews::publish(&client, &campaign, &scopes)
            .await
            .map_err(|err| AppError::new(crate::error::graph_code(&err.error), err.to_string()))?;
        let count = published.len() as u32;
        let now = self.now();
        let id = campaign_id.to_string();
        self.with_store(move |store| {
            let rows: Vec<(String, AssignmentKind, String)> =
                published.into_iter().map(|p| (p.role_id, p.kind, p.definition_id)).collect();
            store.record_publication(&id, &rows, now, &acting.label)?;
            Ok(())
        })
        .await?;
        Ok(count)
    }

    /// Reads every published review's decisions and records those new or changed since the
    /// last sync as decisions by the Entra reviewer. With `stop`, the reviews are stopped first
    /// (at close), so this is the final sync.
    pub async fn campaign_sync(
        &self,
        campaign_id: &str,
        stop: bool,
    ) -> Result<SyncReport, AppError> {
        self.campaign_sync_reporting(campaign_id, stop, &|_| {}).await
    }

    /// As [`App::campaign_sync`], reporting each review read (the window's Sync button).
    pub async fn campaign_sync_reporting(
        &self,
        campaign_id: &str,
        stop: bool,
        progress: &(dyn Fn(SyncProgressDto) + Send + Sync),
    ) -> Result<SyncReport, AppError> {
        let id = campaign_id.to_string();
        let app = self.clone();
        let (tenant, acting, publications) = self
            .with_store(move |store| {
                let record = store.campaign(&id)?;
                let tenant = tenant_of(&record)?;
                let acting = app.authorize(store, &tenant, Action::RunDue)?;
                Ok((tenant, acting, store.publications(&id)?))
            })
            .await?;
        if publications.is_empty() {
            return Err(AppError::new(
                ErrorCode::Invalid,
                format!("campaign {campaign_id} is not published to Entra Access Reviews"),
            ));
        }
        let client = self.session(&tenant)?.graph.clone();
        let mut report = SyncReport::default();
        let (states, stopped_ids) =
            read_reviews(&client, publications, stop, &mut report, progress).await?;
        let pages: Vec<recert_graph::RawPage> =
            states.iter().flat_map(|(_, s)| s.pages.iter().cloned()).collect();
        report.pages_sha256 = recert_graph::pages_sha256(&pages);
        let now = self.now();
        let id = campaign_id.to_string();
        self.with_store(move |store| {
            let record = store.campaign(&id)?;
            let candidates: Vec<Candidate> =
                store.all_items(&id)?.iter().filter_map(candidate).collect();
            let recorded = store.synced_decision_times(&id)?;
            let by_reviewer = plan(&states, &candidates, &recorded, &mut report);
            let resets = resets(&states, &store.synced_decisions(&id)?, &store.decisions(&id)?);
            if record.state == CampaignState::Open && !resets.is_empty() {
                // Entra does not say who reset a decision (`reviewedBy` is nobody again): the
                // return to undecided is recorded as the sync's, naming the Entra decision.
                let context = DecisionContext {
                    decided_by_id: acting.person.as_ref().map_or(&acting.label, |p| &p.id),
                    decided_by_upn: &acting.label,
                    source: recert_domain::review::DecisionSource::EntraAccessReviews,
                    at: now,
                    authentication: &acting.authentication,
                    entra: None,
                };
                store.withdraw_decisions(&id, &resets, &context)?;
                report.reset = resets.len() as u32;
            }
            if record.state == CampaignState::Open {
                let mut groups: Vec<_> = by_reviewer.into_iter().collect();
                groups.sort_by(|a, b| a.0.cmp(&b.0));
                for ((reviewer, upn), rows) in groups {
                    let at = when(rows.iter().filter_map(|r| r.2.as_deref()).max(), now);
                    let decisions: Vec<NewDecision> = rows.iter().map(|r| r.0.clone()).collect();
                    let ids: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
                    let times: Vec<Option<String>> = rows.iter().map(|r| r.2.clone()).collect();
                    let authentication = Authentication::AccessReviews(EntraIdentity {
                        tenant_id: tenant.clone(),
                        object_id: reviewer.clone(),
                        at,
                    });
                    let context = DecisionContext {
                        decided_by_id: &reviewer,
                        decided_by_upn: &upn,
                        source: recert_domain::review::DecisionSource::EntraAccessReviews,
                        at: now,
                        authentication: &authentication,
                        entra: Some(EntraOrigin {
                            decision_ids: &ids,
                            reviewed_at: &times,
                            pages_sha256: &report.pages_sha256,
                        }),
                    };
                    store.record_decisions(&id, &decisions, &context)?;
                    report.recorded += decisions.len() as u32;
                }
            } else if !by_reviewer.is_empty() {
                report.not_recorded.push(format!(
                    "{} decisions made in Entra after the campaign left the open state",
                    by_reviewer.values().map(Vec::len).sum::<usize>()
                ));
            }
            if !stopped_ids.is_empty() {
                store.record_reviews_stopped(&id, &stopped_ids, now, &acting.label)?;
            }
            Ok(report)
        })
        .await
    }
}

/// Reads every published review (stopping it first with `stop`, then reading it again), a few
/// at a time: each is a chain of pages, and a campaign over a hundred roles would otherwise wait
/// for every page in turn. Returns what each holds and the reviews stopped.
async fn read_reviews(
    client: &recert_graph::GraphClient,
    publications: Vec<PublicationRecord>,
    stop: bool,
    report: &mut SyncReport,
    progress: &(dyn Fn(SyncProgressDto) + Send + Sync),
) -> Result<(Vec<(PublicationRecord, ReviewState)>, Vec<String>), AppError> {
    let total = publications.len() as u32;
    let read = |p: PublicationRecord| {
        let client = client.clone();
        async move {
            let state = reviews::read_review(&client, &p.definition_id).await?;
            if !(stop && p.stopped_at.is_none()) {
                return Ok::<_, AppError>((p, state, None));
            }
            let stopped = reviews::stop(&client, &state).await?;
            // The final read, after nobody can decide any more.
            let state = reviews::read_review(&client, &p.definition_id).await?;
            Ok((p, state, Some(stopped)))
        }
    };
    let mut reading =
        futures_util::stream::iter(publications.into_iter().map(read)).buffered(SYNC_READERS);
    let mut states = Vec::with_capacity(total as usize);
    let mut stopped_ids = Vec::new();
    let mut decisions = 0;
    while let Some(done) = reading.next().await {
        let (p, state, stopped) = done?;
        if let Some(stopped) = stopped {
            report.stopped += stopped as u32;
            stopped_ids.push(p.definition_id.clone());
        }
        decisions += state.decisions.len() as u32;
        states.push((p, state));
        progress(SyncProgressDto { reviews_read: states.len() as u32, reviews: total, decisions });
    }
    Ok((states, stopped_ids))
}

/// The Recert decisions to take back because their Entra decision is "not reviewed" again: the
/// latest decision synced from that Entra decision item, while it still stands.
fn resets(
    states: &[(PublicationRecord, ReviewState)],
    synced: &[SyncedDecisionRecord],
    log: &[DecisionRecord],
) -> Vec<Withdrawal> {
    let latest: HashMap<&str, i64> =
        synced.iter().map(|s| (s.entra_decision_id.as_str(), s.decision_row)).collect();
    let standing: HashMap<i64, &DecisionRecord> =
        standing_rows(log).into_iter().map(|d| (d.id, d)).collect();
    let mut out = Vec::new();
    for d in states.iter().flat_map(|(_, state)| &state.decisions) {
        if !matches!(entra_reviews::read_decision(&d.decision, &d.justification), Reading::Pending)
        {
            continue;
        }
        let Some(row) = latest.get(d.decision_id.as_str()).and_then(|r| standing.get(r)) else {
            continue;
        };
        out.push(Withdrawal {
            item_id: row.item_id,
            reviewer_id: row.reviewer_id.clone(),
            justification: format!(
                "reset to not reviewed in Entra Access Reviews (decision {})",
                d.decision_id
            ),
            stage: row.stage,
        });
    }
    out
}

/// Decisions to record, per Entra reviewer (object id, UPN): each with its Entra decision id
/// and `reviewedDateTime`.
type ByReviewer = HashMap<(String, String), Vec<(NewDecision, String, Option<String>)>>;

/// Reads every decision item: pending, unmatched, ambiguous and unrecordable ones go to the
/// report; decisions new or changed since the last sync are returned per reviewer.
fn plan(
    states: &[(PublicationRecord, ReviewState)],
    candidates: &[Candidate],
    recorded: &HashMap<String, Option<String>>,
    report: &mut SyncReport,
) -> ByReviewer {
    let mut by_reviewer: ByReviewer = HashMap::new();
    for (p, state) in states {
        for d in &state.decisions {
            let decision = EntraDecision {
                decision_id: d.decision_id.clone(),
                principal_id: d.principal_id.clone(),
                role_id: p.role_id.clone(),
                kind: p.kind,
                decision: d.decision.clone(),
                justification: d.justification.clone(),
            };
            let verdict = match entra_reviews::read_decision(&d.decision, &d.justification) {
                Reading::Pending => {
                    report.pending += 1;
                    continue;
                }
                Reading::Decided(v) => v,
                Reading::DontKnowWithoutNote => {
                    report
                        .not_recorded
                        .push(format!("{}: \"don't know\" without a justification", d.decision_id));
                    continue;
                }
                Reading::Unknown(v) => {
                    report.not_recorded.push(format!("{}: unknown decision {v}", d.decision_id));
                    continue;
                }
            };
            let item = match match_decision(candidates, &decision) {
                Match::One(item) => item,
                Match::Unmatched => {
                    report.unmatched.push(format!(
                        "{}: {}, {}, {}",
                        d.decision_id,
                        d.principal_id,
                        p.role_id,
                        p.kind.as_str()
                    ));
                    continue;
                }
                Match::Ambiguous(items) => {
                    report.ambiguous.push(format!("{}: items {items:?}", d.decision_id));
                    continue;
                }
            };
            let Some((reviewer, _, upn)) = d.reviewed_by.clone() else {
                report.not_recorded.push(format!("{}: decided by nobody named", d.decision_id));
                continue;
            };
            if recorded.get(&d.decision_id).is_some_and(|at| *at == d.reviewed_at) {
                report.unchanged += 1;
                continue;
            }
            let Ok(item_id) = u32::try_from(item) else { continue };
            by_reviewer.entry((reviewer.to_ascii_lowercase(), upn)).or_default().push((
                NewDecision {
                    item_id,
                    reviewer_id: reviewer.to_ascii_lowercase(),
                    verdict,
                    justification: d.justification.clone(),
                    stage: 1,
                },
                d.decision_id.clone(),
                d.reviewed_at.clone(),
            ));
        }
    }
    by_reviewer
}
