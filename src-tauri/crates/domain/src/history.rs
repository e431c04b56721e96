//! Activation history that tells the truth: Recert keeps every activation it has read, by event
//! id, so its history outgrows the audit log's 30 days; and it knows which stretch of time that
//! history covers without a hole, so a recommendation never claims a look-back it does not hold.

use chrono::{DateTime, Utc};

use crate::{Activation, Surface};

/// An activation as read, under the id the tenant gave it (an audit event's id, or the id of a
/// running `Activated` schedule instance): what Recert appends to its history and never replaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedActivation {
    pub event_id: String,
    pub activation: Activation,
}

/// A stretch of the audit log one pull read completely.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadWindow {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// Where the continuous history ending at the latest read starts: windows that touch or overlap
/// join; the first hole going back ends it (what happened in the hole is unknown). `None` when
/// nothing was ever read.
pub fn recorded_since(windows: &[ReadWindow]) -> Option<DateTime<Utc>> {
    let mut sorted: Vec<ReadWindow> =
        windows.iter().copied().filter(|w| w.since <= w.until).collect();
    // Latest end first; among equal ends, the widest first.
    sorted.sort_by(|a, b| b.until.cmp(&a.until).then(a.since.cmp(&b.since)));
    let mut start = sorted.first()?.since;
    for window in &sorted[1..] {
        if window.until < start {
            break;
        }
        start = start.min(window.since);
    }
    Some(start)
}

/// Which surfaces the audit log's history speaks for. Only directory-role activations have a
/// documented audit-log request; PIM for Groups and Azure activations are known only from the
/// `Activated` instances running at each pull, which is no continuous record.
pub fn audited(surface: Surface) -> bool {
    surface == Surface::DirectoryRole
}

#[cfg(test)]
mod tests;
