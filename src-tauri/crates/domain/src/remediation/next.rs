//! The removal step machine: after each re-read of the tenant, what a journaled action does next.
//! The app sends, journals and re-reads; the choices between those steps are made here.

use super::change::Change;
use super::{ActionState, Hold, Live};

/// After this many attempts the service answered with an error, an action gives up. An attempt a
/// crash or kill cut short left no answer and does not count: resending it is the resumed work.
pub const MAX_ATTEMPTS: u32 = 12;

/// After this many failed re-reads in a row (each already retried by the client) an action is
/// failed as unreadable instead of waiting on the tenant forever.
pub const MAX_READ_FAILURES: u32 = 3;

/// How an action ended as asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Done {
    /// Recert's request removed it, confirmed by the re-read.
    Removed,
    /// Gone before Recert sent anything.
    AlreadyGone,
    /// The eligibility is in place and the standing active assignment gone.
    Converted,
    /// The assignment ends as the reviewer chose.
    EndSet,
}

impl Done {
    /// The code the journal and the evidence give the result.
    pub fn code(self) -> &'static str {
        match self {
            Done::Removed => "removed",
            Done::AlreadyGone => "alreadyGone",
            Done::Converted => "converted",
            Done::EndSet => "endSet",
        }
    }
}

/// What an action does after a re-read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    Done(Done),
    /// Not made: the assignment changed since the plan; the hold says how.
    Skip(Hold),
    /// A new end for an assignment no longer there: nothing to set.
    NothingToChange,
    /// Too many answered failures: failed, for a person to retry.
    GiveUp,
    /// Send the request (again).
    Send,
}

/// The next step of a removal, or of a conversion's removal once its eligibility is verified,
/// after a re-read found `live`. `answered_error`: the last attempt got an error answer.
pub fn after_reread(
    change: Change,
    state: ActionState,
    live: Live,
    attempts: u32,
    answered_error: bool,
) -> Next {
    match live {
        Live::Gone if change == Change::Convert => Next::Done(Done::Converted),
        // Sent and now gone: Recert's request did it. Never sent: it was gone already.
        Live::Gone if state == ActionState::Submitted => Next::Done(Done::Removed),
        Live::Gone => Next::Done(Done::AlreadyGone),
        Live::Changed(hold) => Next::Skip(hold),
        Live::Present => send_or_give_up(attempts, answered_error),
    }
}

/// The next step of a new end, after a re-read found `live`; `end_in_place` when the direct,
/// standing assignment already ends as asked.
pub fn after_reread_set_end(
    end_in_place: bool,
    live: Live,
    attempts: u32,
    answered_error: bool,
) -> Next {
    if end_in_place {
        return Next::Done(Done::EndSet);
    }
    match live {
        Live::Gone => Next::NothingToChange,
        Live::Changed(hold) => Next::Skip(hold),
        Live::Present => send_or_give_up(attempts, answered_error),
    }
}

fn send_or_give_up(attempts: u32, answered_error: bool) -> Next {
    if attempts >= MAX_ATTEMPTS && answered_error { Next::GiveUp } else { Next::Send }
}

/// Whether a run of failed re-reads is enough to fail the action as unreadable.
pub fn unreadable(failures_in_a_row: u32) -> bool {
    failures_in_a_row >= MAX_READ_FAILURES
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drift() -> Hold {
        Hold::Drift("the end changed".into())
    }

    #[test]
    fn a_removal_steps_from_what_the_reread_found() {
        use ActionState::{Planned, Submitted};
        use Change::{Convert, Remove};
        let cases: [(Change, ActionState, Live, u32, bool, Next); 9] = [
            (Remove, Planned, Live::Gone, 0, false, Next::Done(Done::AlreadyGone)),
            (Remove, Submitted, Live::Gone, 1, false, Next::Done(Done::Removed)),
            (Convert, Submitted, Live::Gone, 1, false, Next::Done(Done::Converted)),
            (Convert, Planned, Live::Gone, 0, false, Next::Done(Done::Converted)),
            (Remove, Planned, Live::Changed(drift()), 0, false, Next::Skip(drift())),
            (Remove, Planned, Live::Present, 0, false, Next::Send),
            // Twelve attempts cut short by kills left no answer: sending again is resuming.
            (Remove, Submitted, Live::Present, MAX_ATTEMPTS, false, Next::Send),
            (Remove, Submitted, Live::Present, MAX_ATTEMPTS, true, Next::GiveUp),
            (Remove, Submitted, Live::Present, MAX_ATTEMPTS - 1, true, Next::Send),
        ];
        for (change, state, live, attempts, answered, want) in cases {
            let got = after_reread(change, state, live.clone(), attempts, answered);
            assert_eq!(got, want, "{change:?} {state:?} {live:?} {attempts} {answered}");
        }
    }

    #[test]
    fn a_new_end_is_done_when_in_place_and_nothing_to_change_when_gone() {
        let cases: [(bool, Live, u32, bool, Next); 5] = [
            (true, Live::Present, 0, false, Next::Done(Done::EndSet)),
            (true, Live::Gone, 0, false, Next::Done(Done::EndSet)),
            (false, Live::Gone, 0, false, Next::NothingToChange),
            (false, Live::Changed(drift()), 0, false, Next::Skip(drift())),
            (false, Live::Present, MAX_ATTEMPTS, true, Next::GiveUp),
        ];
        for (in_place, live, attempts, answered, want) in cases {
            assert_eq!(after_reread_set_end(in_place, live.clone(), attempts, answered), want);
        }
    }

    #[test]
    fn three_failed_rereads_in_a_row_make_it_unreadable() {
        assert!(!unreadable(2));
        assert!(unreadable(MAX_READ_FAILURES));
    }

    #[test]
    fn each_result_has_its_journal_code() {
        let codes: Vec<_> = [Done::Removed, Done::AlreadyGone, Done::Converted, Done::EndSet]
            .into_iter()
            .map(Done::code)
            .collect();
        assert_eq!(codes, ["removed", "alreadyGone", "converted", "endSet"]);
    }
}
