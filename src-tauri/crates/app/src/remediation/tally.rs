//! A campaign's unfinished removals counted in the four words every view uses (exceptions,
//! held, kept, needs a person), from the store as it is now, by `recert_domain::tally`.

use recert_domain::remediation;
use recert_domain::tally::{HoldFact, UnmadeFact, tally};
use recert_store::Store;

use super::dto::TallyDto;
use crate::AppError;

/// The tally of `campaign_id`: zero everywhere before its close.
pub(crate) fn campaign_tally(store: &Store, campaign_id: &str) -> Result<TallyDto, AppError> {
    let settled = store.exception_items(campaign_id)?;
    let holds: Vec<HoldFact> = store
        .remediation_holds(campaign_id)?
        .iter()
        .map(|h| HoldFact {
            item: h.item_id,
            confirmable: h.confirmable,
            confirmed: h.confirmed_by_upn.is_some(),
            kept: h.kept.is_some(),
        })
        .collect();
    // Not made (skipped or failed) and not verified removed since: kept, or waiting for a person.
    let unmade: Vec<UnmadeFact> = store
        .remediation_actions(campaign_id)?
        .iter()
        .filter(|a| a.state.can_retry() && !remediation::settled(a.state, a.verification, false))
        .map(|a| UnmadeFact { item: a.item_id, kept: a.kept.is_some() })
        .collect();
    let t = tally(&settled, &holds, &unmade);
    Ok(TallyDto {
        exceptions: t.exceptions,
        held: t.held,
        kept: t.kept,
        needs_person: t.needs_person,
    })
}
