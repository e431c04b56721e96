//! Quarter over quarter: what changed in a campaign's population since the previous campaign of
//! the same definition — who holds a role now and did not then, who held one then and does not
//! now (and whether the previous campaign removed it), access that came back after the previous
//! campaign removed it, access whose removal that campaign decided but never carried out, and a
//! role held differently (eligible or active, directly or through a group).
//!
//! Pure: the caller passes both campaigns' items. An assignment is the same across campaigns
//! when its holder's object id, its role's id and its scope are the same.

use std::collections::{BTreeMap, BTreeSet};

/// One item of a campaign, as far as the comparison needs it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeldAccess {
    /// The item's number in its campaign.
    pub item: u32,
    pub principal_id: String,
    /// How the holder is shown: name, or UPN.
    pub principal: String,
    pub role_id: String,
    pub role: String,
    pub scope: String,
    /// `eligible` or `active`.
    pub kind: String,
    /// `direct`, or `via group <name>`.
    pub membership: String,
    /// `keep`, `remove` or `exception` once the campaign closed; empty before.
    pub outcome: String,
    /// The removal was carried out: a verification found it removed at least once.
    pub removed: bool,
}

/// What happened to one assignment between the two campaigns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    /// The previous campaign removed it (verified), and it is held again now.
    CameBack,
    /// The previous campaign decided to remove it, but no removal was verified: still held.
    NotRemoved,
    /// Held now, not at the previous campaign.
    New,
    /// Held at the previous campaign, which decided to remove it; not held now.
    Removed,
    /// Held at the previous campaign, which kept it; not held now (removed outside a review,
    /// expired, or the role left the definition's scope).
    Gone,
    /// Held at both, but differently: eligible or active, directly or through a group.
    HeldDifferently,
}

impl ChangeKind {
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::CameBack => "came back after removal",
            ChangeKind::NotRemoved => "removal not carried out",
            ChangeKind::New => "new holder",
            ChangeKind::Removed => "removed by the previous campaign",
            ChangeKind::Gone => "no longer held",
            ChangeKind::HeldDifferently => "held differently",
        }
    }
}

/// One change, with the items behind it in each campaign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub kind: ChangeKind,
    pub principal: String,
    pub role: String,
    pub scope: String,
    /// How it was held at the previous campaign and now (`eligible, direct`), empty where it
    /// was not held.
    pub before: String,
    pub now: String,
    /// Item numbers in the previous campaign and in this one.
    pub previous_items: Vec<u32>,
    pub items: Vec<u32>,
}

/// The changes from `previous` to `current`, the ones an auditor asks about first (access
/// that came back) first, then by holder and role.
pub fn changes(previous: &[HeldAccess], current: &[HeldAccess]) -> Vec<Change> {
    let before = by_assignment(previous);
    let now = by_assignment(current);
    let keys: BTreeSet<&Key> = before.keys().chain(now.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        let (was, is) = (before.get(key), now.get(key));
        let any = was.or(is).and_then(|v| v.first()).copied();
        let Some(any) = any else { continue };
        let removed = was.is_some_and(|v| v.iter().any(|h| h.outcome == "remove"));
        let kind = match (was, is) {
            (None, Some(_)) => ChangeKind::New,
            (Some(_), None) if removed => ChangeKind::Removed,
            (Some(_), None) => ChangeKind::Gone,
            (Some(w), Some(_)) if removed && w.iter().any(|h| h.removed) => ChangeKind::CameBack,
            (Some(_), Some(_)) if removed => ChangeKind::NotRemoved,
            (Some(w), Some(i)) if how(w) != how(i) => ChangeKind::HeldDifferently,
            _ => continue,
        };
        out.push(Change {
            kind,
            // The current name where there is one: it is what the rest of the binder shows.
            principal: is.and_then(|v| v.first()).unwrap_or(&any).principal.clone(),
            role: is.and_then(|v| v.first()).unwrap_or(&any).role.clone(),
            scope: any.scope.clone(),
            before: was.map(|v| how(v)).unwrap_or_default(),
            now: is.map(|v| how(v)).unwrap_or_default(),
            previous_items: was.map(|v| v.iter().map(|h| h.item).collect()).unwrap_or_default(),
            items: is.map(|v| v.iter().map(|h| h.item).collect()).unwrap_or_default(),
        });
    }
    out.sort_by(|a, b| {
        (a.kind, &a.principal, &a.role, &a.scope).cmp(&(b.kind, &b.principal, &b.role, &b.scope))
    });
    out
}

/// How many changes of each kind, in the order `ChangeKind` lists them.
pub fn tally(changes: &[Change]) -> Vec<(ChangeKind, usize)> {
    let mut counts: BTreeMap<ChangeKind, usize> = BTreeMap::new();
    for c in changes {
        *counts.entry(c.kind).or_default() += 1;
    }
    counts.into_iter().collect()
}

/// Holder, role and scope, compared case-insensitively (Graph's ids are GUIDs in either case).
type Key = (String, String, String);

fn by_assignment(items: &[HeldAccess]) -> BTreeMap<Key, Vec<&HeldAccess>> {
    let mut map: BTreeMap<Key, Vec<&HeldAccess>> = BTreeMap::new();
    for h in items {
        let key = (h.principal_id.to_lowercase(), h.role_id.to_lowercase(), h.scope.to_lowercase());
        map.entry(key).or_default().push(h);
    }
    map
}

/// How an assignment is held, every way at once: `active, direct; eligible, via group X`.
fn how(items: &[&HeldAccess]) -> String {
    let ways: BTreeSet<String> =
        items.iter().map(|h| format!("{}, {}", h.kind, h.membership)).collect();
    ways.into_iter().collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `holder role kind membership outcome`, one assignment per line; `-` for no outcome,
    /// `removed` for a removal carried out (verified).
    fn items(spec: &str) -> Vec<HeldAccess> {
        spec.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .enumerate()
            .map(|(i, line)| {
                let f: Vec<&str> = line.split_whitespace().collect();
                HeldAccess {
                    item: i as u32 + 1,
                    principal_id: format!("id-{}", f[0]),
                    principal: f[0].to_string(),
                    role_id: format!("role-{}", f[1]),
                    role: f[1].to_string(),
                    scope: "/".into(),
                    kind: f[2].into(),
                    membership: f[3].replace('_', " "),
                    outcome: match f[4] {
                        "-" => String::new(),
                        "removed" => "remove".into(),
                        other => other.into(),
                    },
                    removed: f[4] == "removed",
                }
            })
            .collect()
    }

    /// Each change as `kind holder role [before -> now]`.
    fn show(changes: &[Change]) -> Vec<String> {
        changes
            .iter()
            .map(|c| format!("{:?} {} {} [{} -> {}]", c.kind, c.principal, c.role, c.before, c.now))
            .collect()
    }

    #[test]
    fn each_kind_of_change_is_found() {
        // (name, previous campaign, this campaign, expected changes)
        let cases: &[(&str, &str, &str, &[&str])] = &[
            ("nothing changed", "ana GA eligible direct keep", "ana GA eligible direct -", &[]),
            (
                "a new holder",
                "ana GA eligible direct keep",
                "ana GA eligible direct -\nbob GA active direct -",
                &["New bob GA [ -> active, direct]"],
            ),
            (
                "removed as decided",
                "ana GA eligible direct removed",
                "",
                &["Removed ana GA [eligible, direct -> ]"],
            ),
            (
                "gone without a removal",
                "ana GA eligible direct keep",
                "",
                &["Gone ana GA [eligible, direct -> ]"],
            ),
            (
                "came back after a removal",
                "ana GA eligible direct removed",
                "ana GA eligible direct -",
                &["CameBack ana GA [eligible, direct -> eligible, direct]"],
            ),
            (
                "a removal decided but never carried out",
                "ana GA eligible direct remove",
                "ana GA eligible direct -",
                &["NotRemoved ana GA [eligible, direct -> eligible, direct]"],
            ),
            (
                "gone all the same when the removal was not verified",
                "ana GA eligible direct remove",
                "",
                &["Removed ana GA [eligible, direct -> ]"],
            ),
            (
                "eligible became active",
                "ana GA eligible direct keep",
                "ana GA active direct -",
                &["HeldDifferently ana GA [eligible, direct -> active, direct]"],
            ),
            (
                "now through a group as well",
                "ana GA eligible direct keep",
                "ana GA eligible direct -\nana GA eligible via_group_T0 -",
                &["HeldDifferently ana GA [eligible, direct -> eligible, direct; \
                     eligible, via group T0]"],
            ),
            (
                "moved from one role to another",
                "ana GA eligible direct keep",
                "ana PRA eligible direct -",
                &["New ana PRA [ -> eligible, direct]", "Gone ana GA [eligible, direct -> ]"],
            ),
            (
                "an exception kept is not a removal",
                "ana GA eligible direct exception",
                "ana GA eligible direct -",
                &[],
            ),
            (
                "came back is listed first",
                "ana GA eligible direct keep\nzed GA eligible direct removed",
                "zed GA eligible direct -\nbob GA eligible direct -",
                &[
                    "CameBack zed GA [eligible, direct -> eligible, direct]",
                    "New bob GA [ -> eligible, direct]",
                    "Gone ana GA [eligible, direct -> ]",
                ],
            ),
        ];
        for (name, before, now, expected) in cases {
            let found = changes(&items(before), &items(now));
            assert_eq!(show(&found), *expected, "{name}");
        }
    }

    #[test]
    fn ids_match_whatever_their_case_and_items_are_named() {
        let before = items("ana GA eligible direct removed");
        let mut now = items("ana GA eligible direct -");
        now[0].principal_id = now[0].principal_id.to_uppercase();
        now[0].item = 42;
        let found = changes(&before, &now);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, ChangeKind::CameBack);
        assert_eq!((found[0].previous_items.clone(), found[0].items.clone()), (vec![1], vec![42]));
        assert_eq!(tally(&found), vec![(ChangeKind::CameBack, 1)]);
    }
}
