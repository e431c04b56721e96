//! The wizard's preview of a definition against the tenant's last pull, before anything opens:
//! how many items it takes (what opening now would take, unless the tenant changed since the
//! pull), who reviews how many, the fallback reviewers' share (a warning above 10%), whose holders
//! have no manager, and — per critical role — what "remove on no response" would leave if nobody
//! answered. Routing is the one that opening runs (`recert_domain::routing`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use recert_domain::routing::{RerouteReason, RoutedItem, reroute_reciprocal};
use recert_domain::{Principal, PrincipalKind};
use serde::Serialize;
use ts_rs::TS;

use super::dto::DefinitionDto;
use super::open::{directory, resolve_reviewers, separation};
use super::{convert, invalid, rfc3339};
use crate::remediation::load_safety;
use crate::{App, AppError, ErrorCode};
use recert_domain::worklist::{excluded, holder_of, in_scope, routed_item};

/// How many reviewers and holders without a manager the preview names (the counts are whole).
const NAMED: usize = 40;

/// One reviewer and how many items would be theirs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PreviewReviewerDto {
    pub upn: String,
    pub display_name: String,
    pub items: u32,
    /// A fallback reviewer (items whose holder's primary reviewer could not be used).
    pub fallback: bool,
}

/// A critical role if nobody answered and no response removed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CriticalImpactDto {
    pub role_name: String,
    pub minimum: u32,
    /// Everyone holding it now, in scope or not.
    pub holders: u32,
    /// Holders whose every assignment of it is in scope: removed if nobody answers.
    pub removable: u32,
    /// Holders left; below the minimum, removals are held for a named admin.
    pub left: u32,
}

/// The preview of a definition against the last pull.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DefinitionPreviewDto {
    /// When the pull it rests on was made; opening pulls again.
    pub pulled_at: Option<String>,
    pub items: u32,
    /// The reviewers with the most items first (at most 40; `reviewerCount` counts them all).
    pub reviewers: Vec<PreviewReviewerDto>,
    pub reviewer_count: u32,
    /// Items routed to a fallback reviewer, and their share of all (0..1).
    pub fallback_items: u32,
    pub fallback_share: f64,
    /// Holders with no manager on record (at most 40 names; `noManagerCount` counts them all).
    pub no_manager: Vec<String>,
    pub no_manager_count: u32,
    /// Items nobody may review (every fallback reviewer is their holder): an admin decides them.
    pub unrouted: u32,
    /// Whether undecided items are removed at close.
    pub removes_on_no_response: bool,
    pub critical: Vec<CriticalImpactDto>,
}

impl App {
    /// Previews `dto` against its tenant's last pull (nothing is stored or opened).
    pub async fn definition_preview(
        &self,
        mut dto: DefinitionDto,
    ) -> Result<DefinitionPreviewDto, AppError> {
        self.with_store(move |store| {
            let tenant = dto.tenant_id.clone();
            store.tenant(&tenant)?;
            resolve_reviewers(store, &mut dto)?;
            let definition = convert::definition(&dto).map_err(invalid)?;
            let population = store.population(&tenant)?.ok_or_else(|| {
                AppError::new(ErrorCode::NotPulled, "pull the tenant first: nothing to preview")
            })?;
            let directory = directory(store, &tenant)?;
            let separation = separation(store, &tenant)?;
            let mut routed: Vec<RoutedItem> = population
                .assignments
                .iter()
                .filter_map(|a| {
                    let holder = holder_of(&directory, a);
                    (in_scope(&definition, a, &holder) && !excluded(&definition, &holder))
                        .then(|| routed_item(&definition, &holder, a, &directory, &separation))
                })
                .collect();
            reroute_reciprocal(&mut routed, &definition.reviewers.fallback, &separation);
            let Tally { reviewers, reviewer_count, fallback_items, unrouted, no_manager } =
                Tally::of(&routed, &directory);
            let items = routed.len() as u32;
            let removes =
                definition.settings.no_response == recert_domain::campaign::NoResponse::Remove;
            let critical = load_safety(store, &tenant)?
                .critical_roles
                .iter()
                .map(|c| {
                    let of_role = |id: &str| id.eq_ignore_ascii_case(&c.role_id);
                    let mut holders: BTreeMap<&str, bool> = BTreeMap::new();
                    for a in population.assignments.iter().filter(|a| of_role(&a.role_id)) {
                        let in_review = routed.iter().any(|r| {
                            r.holder_id.eq_ignore_ascii_case(&a.principal_id) && of_role(&r.role_id)
                        }) && directory.get(&a.principal_id).is_none_or(|h| {
                            in_scope(&definition, a, h) && !excluded(&definition, h)
                        });
                        let all = holders.entry(a.principal_id.as_str()).or_insert(true);
                        *all &= in_review;
                    }
                    let removable = holders.values().filter(|all| **all).count() as u32;
                    let total = holders.len() as u32;
                    CriticalImpactDto {
                        role_name: c.name.clone(),
                        minimum: c.minimum_holders,
                        holders: total,
                        removable,
                        left: total - removable,
                    }
                })
                .collect();
            Ok(DefinitionPreviewDto {
                pulled_at: Some(rfc3339(population.pull.finished_at)),
                items,
                reviewers,
                reviewer_count,
                fallback_items,
                fallback_share: if items == 0 {
                    0.0
                } else {
                    f64::from(fallback_items) / f64::from(items)
                },
                no_manager_count: no_manager.len() as u32,
                no_manager: no_manager.into_iter().take(NAMED).collect(),
                unrouted,
                removes_on_no_response: removes,
                critical,
            })
        })
        .await
    }
}

/// Who would review how many items, and the items routing could not give a primary reviewer.
struct Tally {
    /// The reviewers with the most items first, at most [`NAMED`].
    reviewers: Vec<PreviewReviewerDto>,
    reviewer_count: u32,
    fallback_items: u32,
    unrouted: u32,
    /// Users whose items went to a fallback reviewer for want of a manager.
    no_manager: BTreeSet<String>,
}

impl Tally {
    fn of(routed: &[RoutedItem], directory: &HashMap<String, Principal>) -> Tally {
        let mut no_manager = BTreeSet::new();
        let mut per: BTreeMap<String, PreviewReviewerDto> = BTreeMap::new();
        let (mut fallback_items, mut unrouted) = (0u32, 0u32);
        for item in routed {
            if item.reviewers.is_empty() {
                unrouted += 1;
            }
            if item.reviewers.iter().any(|r| r.fallback.is_some()) {
                fallback_items += 1;
            }
            for r in &item.reviewers {
                if r.fallback == Some(RerouteReason::NoManager)
                    && let Some(h) = directory.get(&item.holder_id)
                    && h.kind == PrincipalKind::User
                {
                    no_manager.insert(h.display_name.clone());
                }
                let e = per.entry(r.reviewer.upn.to_lowercase()).or_insert_with(|| {
                    PreviewReviewerDto {
                        upn: r.reviewer.upn.clone(),
                        display_name: r.reviewer.display_name.clone(),
                        items: 0,
                        fallback: false,
                    }
                });
                e.items += 1;
                e.fallback |= r.fallback.is_some();
            }
        }
        let reviewer_count = per.len() as u32;
        let mut reviewers: Vec<PreviewReviewerDto> = per.into_values().collect();
        reviewers.sort_by(|a, b| b.items.cmp(&a.items).then_with(|| a.upn.cmp(&b.upn)));
        reviewers.truncate(NAMED);
        Tally { reviewers, reviewer_count, fallback_items, unrouted, no_manager }
    }
}
