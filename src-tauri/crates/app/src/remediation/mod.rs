//! Remediation use cases: the plan made once at close (removals and holds), its preview per role
//! and per person, confirming held items, resolving removals that were not made, and verifying by
//! re-reading the tenant until the deadline (applying is in [`apply`]). The campaign goes Closed →
//! Remediating → Completed when every removal is verified removed or kept by a named person.

mod apply;
mod change;
pub mod dto;
mod holds;
mod plan;
mod preview;
mod resolve;
mod safety;
mod tally;
mod verify;

pub(crate) use safety::load_safety;
pub(crate) use tally::campaign_tally;

pub use apply::ApplyOptions;
pub use recert_domain::remediation::Resolution;

use chrono::{DateTime, Utc};
use recert_domain::PrincipalKind;
use recert_domain::campaign::CampaignState;
use recert_domain::remediation::{self, Directory, Endpoint, Target};
use recert_graph::remove::RemovalTarget;
use recert_store::Store;
use recert_store::remediation::ActionRecord;
use recert_store::worklist::ItemRecord;
use sha2::{Digest, Sha256};

use crate::{AppError, ErrorCode};
// The plan's pieces the apply run and the change actions use.
use plan::new_action;
use preview::plan_dto;
use safety::safety_from;

fn storage(err: impl std::fmt::Display) -> AppError {
    AppError::new(ErrorCode::Storage, err.to_string())
}

/// A GUID derived from the campaign and item: the same action always carries the same key, so
/// an ARM request is named the same on every attempt. A person's retry (`retries` > 0) names the
/// next attempts afresh.
fn idempotency_key(campaign_id: &str, item_id: u32, source_id: &str, retries: u32) -> String {
    let mut seed = format!("{campaign_id}\n{item_id}\n{source_id}");
    if retries > 0 {
        seed.push_str(&format!("\n{retries}"));
    }
    let digest = hex::encode(Sha256::digest(seed));
    format!(
        "{}-{}-{}-{}-{}",
        &digest[0..8],
        &digest[8..12],
        &digest[12..16],
        &digest[16..20],
        &digest[20..32]
    )
}

fn target_of(item: &ItemRecord) -> Target {
    Target {
        item_id: item.id,
        surface: item.surface,
        kind: item.kind,
        membership: item.membership,
        source_id: item.source_id.clone(),
        role_id: item.role_id.clone(),
        role_name: item.role_name.clone(),
        scope: item.scope.clone(),
        principal_id: item.principal_id.clone(),
        principal_kind: PrincipalKind::parse(&item.principal_kind),
        principal_name: item.principal_name.clone(),
        principal_upn: item.principal_upn.clone(),
        end: item.end_at,
    }
}

fn removal_target(
    endpoint: Endpoint,
    role_id: &str,
    scope: &str,
    principal: &str,
) -> RemovalTarget {
    RemovalTarget {
        endpoint,
        role_id: role_id.to_string(),
        scope: scope.to_string(),
        principal_id: principal.to_string(),
    }
}

/// The assignment a journaled action addresses.
fn action_target(a: &ActionRecord) -> Result<RemovalTarget, AppError> {
    let endpoint = Endpoint::parse(&a.endpoint).ok_or_else(|| {
        AppError::new(ErrorCode::Storage, format!("unknown endpoint {:?}", a.endpoint))
    })?;
    Ok(removal_target(endpoint, &a.role_id, &a.scope, &a.principal_id))
}

/// The tenant's directory as last pulled: group members, names, UPNs.
pub(crate) fn directory(store: &Store, tenant_id: &str) -> Result<Directory, AppError> {
    let mut dir = Directory::default();
    for m in store.group_members(tenant_id)? {
        dir.members.entry(m.group_id).or_default().push(m.member_id);
    }
    for p in store.principals(tenant_id)? {
        if let Some(upn) = &p.upn {
            dir.upns.insert(p.id.clone(), upn.clone());
        }
        dir.names.insert(p.id, p.display_name);
    }
    Ok(dir)
}

/// Remediating → Completed when every removal is settled — sent and verified removed, or not made
/// and kept by a named admin — and no held item waits for confirmation. A removal that was not
/// made and nobody resolved keeps the campaign open.
fn complete_if_done(
    store: &mut Store,
    campaign_id: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if store.campaign(campaign_id)?.state != CampaignState::Remediating {
        return Ok(());
    }
    let actions = store.remediation_actions(campaign_id)?;
    let done =
        actions.iter().all(|a| remediation::settled(a.state, a.verification, a.kept.is_some()));
    let waiting = store
        .remediation_holds(campaign_id)?
        .iter()
        .any(|h| h.confirmable && h.confirmed_by_upn.is_none() && h.kept.is_none());
    if done && !waiting {
        store.set_campaign_state(
            campaign_id,
            CampaignState::Completed,
            Some("every removal is verified removed or kept by a named admin"),
            actor,
            now,
        )?;
    }
    Ok(())
}
