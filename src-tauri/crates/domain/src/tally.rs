//! The four words every view counts a campaign's unfinished removals with — exceptions, held,
//! kept, needs a person — and the one rule that counts them, so the campaign page, the
//! remediation screen, the dashboard and the binder cannot disagree.
//!
//! - **held**: a removal the safety rules kept back at planning (a critical role under its
//!   minimum, access through a group, a protected account) and nobody confirmed since;
//! - **kept**: a held removal, or one that was not made, whose access a named admin decided stays;
//! - **needs a person**: a held removal waiting for an admin's confirmation, or a removal that was
//!   not made and that nobody retried, re-planned or kept;
//! - **exceptions**: every item whose access stays although the review said remove, or that still
//!   waits: the items settled as exceptions at close, the held ones and the ones not made — each
//!   item once, as the binder's exceptions register lists them.

use std::collections::BTreeSet;

/// One removal held back at planning, as it stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HoldFact {
    pub item: u32,
    /// Waits for a named admin's confirmation (a critical role); the others are never removed here.
    pub confirmable: bool,
    pub confirmed: bool,
    pub kept: bool,
}

/// One removal that was sent for and not made (skipped or failed) and not verified removed since.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnmadeFact {
    pub item: u32,
    /// A named admin kept the access; otherwise it waits for a retry, a re-plan or a keep.
    pub kept: bool,
}

/// The four counts, each with the meaning in the module's header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub exceptions: u32,
    pub held: u32,
    pub kept: u32,
    pub needs_person: u32,
}

/// Counts a campaign's unfinished removals. `settled_exceptions` are the items whose outcome at
/// close was an exception (access through a group, a principal that cannot be removed here).
pub fn tally(settled_exceptions: &[u32], holds: &[HoldFact], unmade: &[UnmadeFact]) -> Tally {
    let mut exceptions: BTreeSet<u32> = settled_exceptions.iter().copied().collect();
    let mut t = Tally::default();
    for h in holds.iter().filter(|h| !h.confirmed) {
        t.held += 1;
        exceptions.insert(h.item);
        if h.kept {
            t.kept += 1;
        } else if h.confirmable {
            t.needs_person += 1;
        }
    }
    for u in unmade {
        exceptions.insert(u.item);
        if u.kept {
            t.kept += 1;
        } else {
            t.needs_person += 1;
        }
    }
    t.exceptions = u32::try_from(exceptions.len()).unwrap_or(u32::MAX);
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hold(item: u32, confirmable: bool, confirmed: bool, kept: bool) -> HoldFact {
        HoldFact { item, confirmable, confirmed, kept }
    }

    #[test]
    fn a_confirmed_hold_is_a_removal_not_a_hold() {
        let t = tally(&[], &[hold(1, true, true, false)], &[]);
        assert_eq!(t, Tally::default(), "a confirmed hold went ahead: nothing is held or waits");
    }

    #[test]
    fn a_hold_waits_for_a_person_until_kept() {
        let waiting = tally(&[], &[hold(1, true, false, false)], &[]);
        assert_eq!(waiting, Tally { exceptions: 1, held: 1, kept: 0, needs_person: 1 });
        let kept = tally(&[], &[hold(1, true, false, true)], &[]);
        assert_eq!(
            kept,
            Tally { exceptions: 1, held: 1, kept: 1, needs_person: 0 },
            "a kept hold is still held back and an exception, but nobody needs to act on it"
        );
    }

    #[test]
    fn a_hold_nobody_may_confirm_needs_no_person() {
        let t = tally(&[], &[hold(1, false, false, false)], &[]);
        assert_eq!(
            t,
            Tally { exceptions: 1, held: 1, kept: 0, needs_person: 0 },
            "a protected account's removal is never sent: nobody is asked to confirm it"
        );
    }

    #[test]
    fn an_item_counts_once_among_the_exceptions() {
        // Access through a group is settled as an exception at close and also held at planning.
        let t = tally(
            &[1, 2],
            &[hold(1, false, false, false)],
            &[UnmadeFact { item: 2, kept: false }, UnmadeFact { item: 3, kept: true }],
        );
        assert_eq!(t, Tally { exceptions: 3, held: 1, kept: 1, needs_person: 1 });
    }
}
