//! The worklist's search against its meaning: an item matches when every word typed, lowercased,
//! is a substring of its holder's name, UPN or role, lowercased. The trigram index and the short
//! words' scan must give exactly the items that rule gives, for any text a user can type.

use super::*;
use crate::campaigns::{NewItem, search_text};

/// Holders whose names, UPNs and roles hold what a search could trip on: several scripts, case
/// that only Unicode folds, and the characters LIKE, FTS5 and SQL give a meaning to.
const HOLDERS: &[(&str, Option<&str>, &str)] = &[
    ("Anna Müller", Some("anna.mueller@contoso.com"), "Global Administrator"),
    ("ÉMILE ZOLA", Some("emile@contoso.com"), "User Administrator"),
    ("Łukasz Żółć", Some("lukasz@contoso.com"), "Security Reader"),
    ("山田太郎", Some("yamada@contoso.com"), "Exchange Administrator"),
    ("Seán O'Brien", Some("sean.o'brien@contoso.com"), "Helpdesk Administrator"),
    ("50% Admin_Team", None, "Groups Administrator"),
    ("Quote\"d Name", Some("quoted@contoso.com"), "Reports Reader"),
    ("AND OR NOT", Some("and.or@contoso.com"), "Teams Administrator"),
    ("NEAR(x) Star*", Some("near@contoso.com"), "Owner"),
    ("Col:on Back\\slash", Some("colon@contoso.com"), "Reader"),
    ("ΣΊΣΥΦΟΣ", Some("sisyphus@contoso.com"), "Key Vault Administrator"),
    ("deploy-bot", None, "Contributor"),
];

const SEARCHES: &[&str] = &[
    "",
    " ",
    "a",
    "ad",
    "adm",
    "ADMIN",
    "administrator",
    "müller",
    "MÜLLER",
    "émile",
    "ÉMILE",
    "żółć",
    "ŻÓŁĆ",
    "山田",
    "山田太",
    "太郎",
    "o'brien",
    "'",
    "%",
    "_",
    "50%",
    "admin_team",
    "%_",
    "\"",
    "quote\"d",
    "\"quote",
    "and",
    "AND OR",
    "or not",
    "near(x)",
    "NEAR(",
    "star*",
    "*",
    "col:on",
    ":",
    "\\",
    "back\\slash",
    "anna global",
    "global anna",
    "zzz",
    "a b c",
    "-",
    "^adm",
    "deploy-bot",
    "σίσυφος",
    "ΣΊΣ",
    "@contoso",
    ".com",
    "ad min",
    "e r",
    "reader owner",
    "'; DROP TABLE item; --",
    "name:anna",
    "NOT anna",
];

fn seeded() -> Store {
    let store = Store::open_in_memory().expect("store");
    store
        .conn
        .execute_batch(
            "INSERT INTO tenant VALUES ('t', 'T', 'demo', 'g', '2026-01-01T00:00:00Z');
             INSERT INTO campaign_definition (id, tenant_id, name, definition, created_at, updated_at)
               VALUES ('d', 't', 'D', '{}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
             INSERT INTO campaign (id, definition_id, occurrence, name, state, period_start, period_end, definition)
               VALUES ('c', 'd', 0, 'C', 'open', '2026-01-01T00:00:00Z', '2026-01-22T00:00:00Z', '{}'),
                      ('other', 'd', 1, 'O', 'open', '2026-01-01T00:00:00Z', '2026-01-22T00:00:00Z', '{}');",
        )
        .expect("seed");
    for campaign in ["c", "other"] {
        for (n, (name, upn, role)) in HOLDERS.iter().enumerate() {
            let item = NewItem {
                surface: recert_domain::Surface::DirectoryRole,
                kind: recert_domain::AssignmentKind::Eligible,
                source_id: format!("s{n}"),
                role_id: format!("r{n}"),
                role_name: role.to_string(),
                scope: "/".into(),
                principal_id: format!("p{n}"),
                principal_kind: "user".into(),
                principal_name: name.to_string(),
                principal_upn: upn.map(str::to_string),
                user_type: None,
                account_enabled: None,
                membership: recert_domain::Membership::Direct,
                start_at: None,
                end_at: None,
                last_activation: None,
                recommendation: None,
                recommendation_code: None,
                recommendation_reason: None,
                reviewers: Vec::new(),
            };
            store
                .conn
                .execute(
                    "INSERT INTO item (campaign_id, id, surface, kind, source_id, role_id, role_name,
                       scope, principal_id, principal_kind, principal_name, principal_upn,
                       membership, search_text)
                     VALUES (?1, ?2, 'directoryRole', 'eligible', ?3, ?4, ?5, '/', ?6, 'user', ?7,
                       ?8, 'direct', ?9)",
                    params![
                        campaign,
                        n as u32 + 1,
                        item.source_id,
                        item.role_id,
                        item.role_name,
                        item.principal_id,
                        item.principal_name,
                        item.principal_upn,
                        search_text(&item)
                    ],
                )
                .expect("an item");
        }
    }
    store
}

/// The rule itself, applied to the holders directly.
fn expected(search: &str) -> Vec<u32> {
    let mut ids: Vec<(String, u32)> = HOLDERS
        .iter()
        .enumerate()
        .filter(|(_, (name, upn, role))| {
            let text = format!("{name} {} {role}", upn.unwrap_or_default()).to_lowercase();
            search.split_whitespace().all(|w| text.contains(&w.to_lowercase()))
        })
        .map(|(n, (name, _, role))| (format!("{role}\u{0}{name}"), n as u32 + 1))
        .collect();
    ids.sort();
    ids.into_iter().map(|(_, id)| id).collect()
}

/// The items a search finds, the same whether the trigram index or the scan answers it.
fn found(store: &Store, search: &str) -> (Vec<u32>, u32) {
    let filter = WorklistFilter { search: Some(search.to_string()), ..Default::default() };
    let mut answers = [Plan::Scan, Plan::Indexed].map(|plan| {
        let (items, total) = store.worklist_by("c", &filter, 0, 1000, plan).expect("a page");
        (items.iter().map(|i| i.id).collect::<Vec<_>>(), total)
    });
    assert_eq!(answers[0], answers[1], "{search:?}: the scan and the index disagree");
    let chosen = store.worklist("c", &filter, 0, 1000).expect("a page");
    assert_eq!(chosen.0.iter().map(|i| i.id).collect::<Vec<_>>(), answers[0].0);
    std::mem::take(&mut answers[0])
}

#[test]
fn search_finds_exactly_the_items_holding_every_word_whatever_is_typed() {
    let store = seeded();
    let mut wrong = Vec::new();
    for search in SEARCHES {
        let want = expected(search);
        let (ids, total) = found(&store, search);
        let mut sorted_ids = ids.clone();
        sorted_ids.sort();
        let mut sorted_want = want.clone();
        sorted_want.sort();
        if sorted_ids != sorted_want || total as usize != want.len() {
            wrong.push(format!("{search:?}: found {ids:?} (total {total}), expected {want:?}"));
        }
    }
    assert!(wrong.is_empty(), "searches that differ from the rule:\n{}", wrong.join("\n"));
}

#[test]
fn search_stays_inside_its_campaign_and_follows_the_items() {
    let mut store = seeded();
    // The other campaign holds the same people: none of its items may leak into this one's.
    let (ids, total) = found(&store, "müller");
    assert_eq!((ids, total), (vec![1], 1), "one campaign's search shows only its own items");
    // An item written later is found (the index follows inserts), and one renamed is found by its
    // new text only.
    store
        .conn
        .execute(
            "INSERT INTO item (campaign_id, id, surface, kind, source_id, role_id, role_name, scope,
               principal_id, principal_kind, principal_name, membership, search_text)
             VALUES ('c', 99, 'directoryRole', 'eligible', 's99', 'r', 'Owner', '/', 'p99', 'user',
               'Zelda Late', 'direct', 'zelda late  owner')",
            [],
        )
        .expect("a late item");
    assert_eq!(found(&store, "zelda").0, vec![99], "an item added later is found");
    store
        .conn
        .execute(
            "UPDATE item SET search_text = 'renamed  owner' WHERE campaign_id = 'c' AND id = 99",
            [],
        )
        .expect("rename");
    assert_eq!(found(&store, "zelda").0, Vec::<u32>::new(), "the old text is gone from the index");
    assert_eq!(found(&store, "renamed").0, vec![99], "the new text is found");
    let tx = store.conn.transaction().expect("tx");
    tx.execute("DELETE FROM item WHERE campaign_id = 'c' AND id = 99", []).expect("delete");
    tx.commit().expect("commit");
    assert_eq!(found(&store, "renamed").0, Vec::<u32>::new(), "a deleted item leaves the index");
}

#[test]
fn search_combines_with_the_other_filters() {
    let store = seeded();
    store
        .conn
        .execute("UPDATE item SET verdict = 'approve' WHERE campaign_id = 'c' AND id = 1", [])
        .expect("decide");
    let filter = WorklistFilter {
        search: Some("admin".into()),
        decision: Some("undecided".into()),
        ..Default::default()
    };
    let mut want = expected("admin");
    want.retain(|id| *id != 1);
    for plan in [Plan::Scan, Plan::Indexed] {
        let (items, total) = store.worklist_by("c", &filter, 0, 1000, plan).expect("a page");
        assert_eq!(items.iter().map(|i| i.id).collect::<Vec<_>>(), want, "{plan:?}");
        assert_eq!(total as usize, want.len(), "{plan:?}");
    }
}

#[test]
fn a_database_from_before_the_index_is_searched_through_it_once_migrated() {
    let conn = rusqlite::Connection::open_in_memory().expect("a database");
    let all = crate::migrate::MIGRATIONS;
    let index = all.iter().position(|(file, _)| *file == "0018_worklist.sql").expect("0018");
    let earlier = &all[..index];
    for (_, sql) in earlier {
        conn.execute_batch(sql).expect("an earlier migration");
    }
    conn.pragma_update(None, "user_version", earlier.len() as i64).expect("version");
    conn.execute_batch(
        "INSERT INTO tenant VALUES ('t', 'T', 'demo', 'g', '2026-01-01T00:00:00Z');
         INSERT INTO campaign_definition (id, tenant_id, name, definition, created_at, updated_at)
           VALUES ('d', 't', 'D', '{}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
         INSERT INTO campaign (id, definition_id, occurrence, name, state, period_start, period_end, definition)
           VALUES ('c', 'd', 0, 'C', 'open', '2026-01-01T00:00:00Z', '2026-01-22T00:00:00Z', '{}');
         INSERT INTO item (campaign_id, id, surface, kind, source_id, role_id, role_name, scope,
           principal_id, principal_kind, principal_name, membership, search_text)
           VALUES ('c', 1, 'directoryRole', 'eligible', 's1', 'r', 'Owner', '/', 'p1', 'user',
                   'Older Item', 'direct', 'older item  owner'),
                  ('c', 2, 'directoryRole', 'eligible', 's2', 'r', 'Owner', '/', 'p2', 'user',
                   'Another', 'direct', 'another  owner');",
    )
    .expect("an older campaign");
    let store = Store::init(conn).expect("migrated");
    let filter = WorklistFilter { search: Some("OLDER".into()), ..Default::default() };
    let (items, total) = store.worklist_by("c", &filter, 0, 10, Plan::Indexed).expect("a page");
    assert_eq!((items.iter().map(|i| i.id).collect::<Vec<_>>(), total), (vec![1], 1));
}

fn context(by: &str) -> DecisionContext<'_> {
    DecisionContext {
        decided_by_id: by,
        decided_by_upn: by,
        source: recert_domain::review::DecisionSource::Window,
        at: chrono::DateTime::parse_from_rfc3339("2026-01-05T10:00:00Z").expect("time").to_utc(),
        authentication: &Authentication::DemoActAs,
        entra: None,
    }
}

fn decide(store: &mut Store, item: u32, reviewer: &str, verdict: Verdict) {
    let decision = NewDecision {
        item_id: item,
        reviewer_id: reviewer.into(),
        verdict,
        justification: String::new(),
        stage: 1,
    };
    store.record_decisions("c", &[decision], &context(reviewer)).expect("decided");
}

fn withdraw(store: &mut Store, item: u32, reviewer: &str) -> Result<()> {
    let w = Withdrawal {
        item_id: item,
        reviewer_id: reviewer.into(),
        justification: "Undo".into(),
        stage: 1,
    };
    store.withdraw_decisions("c", &[w], &context(reviewer))
}

fn shown(store: &Store, item: u32) -> (Option<String>, Option<String>) {
    let i = store.items("c", &[item]).expect("item").remove(0);
    (i.verdict.map(|v| v.encode()), i.decided_by_upn)
}

#[test]
fn an_item_returned_to_undecided_shows_the_decision_still_standing_or_none() {
    let mut store = seeded();
    decide(&mut store, 1, "bob", Verdict::Approve);
    withdraw(&mut store, 1, "bob").expect("taken back");
    assert_eq!(shown(&store, 1), (None, None), "nothing stands: the item is undecided again");
    let undecided = WorklistFilter { decision: Some("undecided".into()), ..Default::default() };
    let (items, _) = store.worklist("c", &undecided, 0, 100).expect("page");
    assert!(items.iter().any(|i| i.id == 1), "it is back in the undecided list");
    assert!(!store.standing_decisions("c").expect("standing").contains_key(&1));
    let log = store.decisions("c").expect("log");
    assert_eq!(
        log.iter().map(|d| d.verdict.as_str()).collect::<Vec<_>>(),
        ["approve", "undecided"],
        "the log keeps the decision and its return"
    );
    assert!(standing_rows(&log).is_empty());

    // Taking back what is not there is refused, and changes nothing.
    let err = withdraw(&mut store, 1, "bob").expect_err("nothing to take back");
    assert!(err.to_string().contains("no decision of bob stands"), "{err}");
    assert_eq!(store.decisions("c").expect("log").len(), 2);

    // Deciding again counts again; with two reviewers, taking one back shows the other's.
    decide(&mut store, 1, "carol", Verdict::Deny);
    decide(&mut store, 1, "bob", Verdict::Approve);
    withdraw(&mut store, 1, "bob").expect("taken back");
    assert_eq!(shown(&store, 1), (Some("deny".into()), Some("carol".into())));
    let standing = store.standing_decisions("c").expect("standing");
    assert_eq!(
        standing[&1].iter().map(|s| s.reviewer_id.as_str()).collect::<Vec<_>>(),
        ["carol"],
        "only carol's decision stands"
    );
    // The audit event names each decision taken back.
    let events = store.audit_events(None).expect("events");
    let last = events.last().expect("an event");
    assert_eq!(last.kind, "decision.withdrawn");
    assert!(last.payload.contains("\"verdict\":\"undecided\""), "{}", last.payload);
}

#[test]
fn a_closed_campaign_takes_nothing_back() {
    let mut store = seeded();
    decide(&mut store, 2, "bob", Verdict::Deny);
    store.conn.execute("UPDATE campaign SET state = 'closed' WHERE id = 'c'", []).expect("close");
    let err = withdraw(&mut store, 2, "bob").expect_err("closed");
    assert!(err.to_string().contains("only be taken back while it is open"), "{err}");
    assert_eq!(shown(&store, 2).0.as_deref(), Some("deny"));
}

#[test]
fn by_person_lists_one_persons_items_together_by_name_then_role() {
    let store = seeded();
    let filter = WorklistFilter { by_person: true, ..Default::default() };
    let (items, total) = store.worklist("c", &filter, 0, 1000).expect("a page");
    let mut want: Vec<(String, String, String, u32)> = items
        .iter()
        .map(|i| (i.principal_name.clone(), i.principal_id.clone(), i.role_name.clone(), i.id))
        .collect();
    want.sort();
    let got: Vec<u32> = items.iter().map(|i| i.id).collect();
    assert_eq!(got, want.iter().map(|w| w.3).collect::<Vec<_>>());
    assert_eq!(total as usize, items.len());
    let (by_role, _) = store.worklist("c", &WorklistFilter::default(), 0, 1000).expect("a page");
    assert_ne!(
        by_role.iter().map(|i| i.id).collect::<Vec<_>>(),
        got,
        "the two orders differ on these holders"
    );
}
