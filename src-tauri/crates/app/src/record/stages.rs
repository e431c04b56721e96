//! The stages of a multi-stage review replayed from the audit chain: the stage the campaign and
//! each item reached (`campaign.stageAdvanced`), and the reviewers each stage added after the
//! opening (`campaign.stageAdvanced` for the next stage's reviewers, `item.rerouted` for a
//! "don't know" sent to a stage's fallback reviewers) — compared with the tables. The opening's
//! reviewers are checked against the seal of the opening instead, so they are set apart here.

use std::collections::{BTreeSet, HashMap};

use recert_store::audit::AuditEvent;
use recert_store::worklist::ItemRecord;
use serde_json::Value;

use super::{Comparison, u32_of};

/// A reviewer given to an item in a stage, as `(item, stage, UPN in lower case)`.
type Given = (u32, u32, String);

/// What the chain says of a review's stages.
#[derive(Clone, Debug, Default)]
pub(crate) struct ChainStages {
    /// The stage the campaign is in (1 until a stage was advanced).
    pub campaign: u32,
    /// Per item taken by a later stage: the last stage that took it.
    pub items: HashMap<u32, u32>,
    /// The reviewers added after the opening.
    pub added: BTreeSet<Given>,
}

impl ChainStages {
    /// Whether the chain added this reviewer of `item` after the opening.
    pub fn added_later(&self, item: u32, stage: u32, upn: &str) -> bool {
        self.added.contains(&(item, stage, upn.to_lowercase()))
    }

    /// The item as it was opened: without the reviewers added later.
    pub fn as_opened(&self, item: &ItemRecord) -> ItemRecord {
        let mut opened = item.clone();
        opened.reviewers.retain(|r| !self.added_later(item.id, r.stage, &r.upn));
        opened
    }
}

fn upns(v: &Value) -> impl Iterator<Item = String> + '_ {
    v.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_lowercase)
}

/// The stages as the campaign's events tell them.
pub(crate) fn chain_stages(campaign_events: &[&AuditEvent]) -> ChainStages {
    let mut out = ChainStages { campaign: 1, ..ChainStages::default() };
    for e in campaign_events {
        let p: Value = serde_json::from_str(&e.payload).unwrap_or_default();
        match e.kind.as_str() {
            "campaign.stageAdvanced" => {
                let Some(to) = u32_of(&p["to"]) else { continue };
                out.campaign = to;
                for route in p["items"].as_array().into_iter().flatten() {
                    let Some(item) = u32_of(&route["item"]) else { continue };
                    out.items.insert(item, to);
                    out.added.extend(upns(&route["reviewers"]).map(|u| (item, to, u)));
                }
            }
            "item.rerouted" => {
                let (Some(item), Some(stage)) = (u32_of(&p["item"]), u32_of(&p["stage"])) else {
                    continue;
                };
                out.added.extend(upns(&p["reviewers"]).map(|u| (item, stage, u)));
            }
            _ => {}
        }
    }
    out
}

/// The stages in the tables against the chain: the campaign's stage, each item's, and every
/// reviewer of a later stage or a "don't know" explained by an event (and every reviewer an event
/// added still there).
pub(crate) fn compare_stages(
    campaign_stage: u32,
    items: &[ItemRecord],
    chain: &ChainStages,
) -> Comparison {
    let mut c = Comparison::new("stages");
    if campaign_stage != chain.campaign {
        c.differences.push(format!(
            "the table says the campaign is in stage {campaign_stage}, the audit chain {}",
            chain.campaign
        ));
    }
    let mut found: BTreeSet<Given> = BTreeSet::new();
    for i in items {
        let stage = chain.items.get(&i.id).copied().unwrap_or(1);
        if i.stage != stage {
            c.differences.push(format!(
                "item {}: the table says stage {}, the audit chain {stage}",
                i.id, i.stage
            ));
        }
        for r in &i.reviewers {
            let later = r.stage > 1 || r.reroute_reason.as_deref() == Some("dontKnow");
            if later && !chain.added_later(i.id, r.stage, &r.upn) {
                c.differences.push(format!(
                    "item {}: the table gives it reviewer {} in stage {}, no audit event did",
                    i.id, r.upn, r.stage
                ));
            }
            found.insert((i.id, r.stage, r.upn.to_lowercase()));
        }
    }
    for (item, stage, upn) in chain.added.difference(&found) {
        c.differences.push(format!(
            "item {item}: the audit chain gives it reviewer {upn} in stage {stage}, the table \
             does not"
        ));
    }
    c.compared = if chain.campaign == 1 && chain.added.is_empty() {
        "one stage: every reviewer was given at the opening".into()
    } else {
        format!(
            "stage {} of the review, {} items taken on and {} reviewers added match their \
             audit events",
            chain.campaign,
            chain.items.len(),
            chain.added.len()
        )
    };
    c
}
