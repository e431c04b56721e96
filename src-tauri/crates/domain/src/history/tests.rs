//! The coverage of recorded history, case by case: joined windows, a hole, nothing read.

use chrono::NaiveDate;

use super::*;

fn day(d: &str) -> DateTime<Utc> {
    NaiveDate::parse_from_str(d, "%Y-%m-%d")
        .unwrap_or_else(|e| panic!("bad day {d:?}: {e}"))
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
}

fn w(since: &str, until: &str) -> ReadWindow {
    ReadWindow { since: day(since), until: day(until) }
}

#[test]
fn history_runs_back_to_the_first_hole() {
    // (windows read, start of the continuous history)
    let cases: Vec<(Vec<ReadWindow>, Option<&str>)> = vec![
        (vec![], None),
        (vec![w("2026-08-08", "2026-09-07")], Some("2026-08-08")),
        // Monthly pulls of 30 days overlap: the history grows with each.
        (
            vec![
                w("2026-06-09", "2026-07-09"),
                w("2026-07-09", "2026-08-08"),
                w("2026-08-08", "2026-09-07"),
            ],
            Some("2026-06-09"),
        ),
        // Order of reading does not matter.
        (vec![w("2026-08-08", "2026-09-07"), w("2026-07-20", "2026-08-19")], Some("2026-07-20")),
        // Three months without a pull leave a hole: history starts again after it.
        (vec![w("2026-03-01", "2026-03-31"), w("2026-08-08", "2026-09-07")], Some("2026-08-08")),
        // A window inside a later one adds nothing.
        (vec![w("2026-08-20", "2026-08-21"), w("2026-08-08", "2026-09-07")], Some("2026-08-08")),
        // A window that ends exactly where the next starts joins it.
        (vec![w("2026-07-01", "2026-08-08"), w("2026-08-08", "2026-09-07")], Some("2026-07-01")),
        // An inverted window is no read at all.
        (vec![w("2026-09-07", "2026-08-08")], None),
    ];
    for (windows, expected) in cases {
        assert_eq!(recorded_since(&windows), expected.map(day), "{windows:?}");
    }
}

#[test]
fn only_directory_roles_have_an_audited_history() {
    let got: Vec<bool> = Surface::ALL.into_iter().map(audited).collect();
    assert_eq!(got, [true, false, false]);
}
