//! Schedule arithmetic, case by case: review windows across month ends, leap years, quarter
//! boundaries and DST in Europe/Berlin and America/New_York; the overlap rule checked exactly
//! against every start date of a year; and what the scheduler finds due, including catch-up.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use expect_test::{Expect, expect};

use super::*;

/// Reads `2026-01-31 09:00 Europe/Berlin 14d monthly [until 2026-12-31 | count 4]`.
fn schedule(spec: &str) -> Schedule {
    let words: Vec<&str> = spec.split_whitespace().collect();
    let start =
        NaiveDateTime::parse_from_str(&format!("{} {}", words[0], words[1]), "%Y-%m-%d %H:%M")
            .unwrap_or_else(|e| panic!("bad start in {spec:?}: {e}"));
    let duration_days = words[3]
        .strip_suffix('d')
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("bad duration in {spec:?}"));
    let recurrence =
        Recurrence::parse(words[4]).unwrap_or_else(|| panic!("bad recurrence in {spec:?}"));
    let end = match words.get(5..) {
        Some(["until", date]) => RecurrenceEnd::OnDate(day(date)),
        Some(["count", n]) => RecurrenceEnd::AfterCount(n.parse().expect("count")),
        Some([]) | None => RecurrenceEnd::Never,
        Some(other) => panic!("bad end {other:?} in {spec:?}"),
    };
    Schedule { start, time_zone: words[2].into(), duration_days, recurrence, end }
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("bad date {s:?}: {e}"))
}

/// Reads `2026-04-01 12:00` as UTC.
fn utc(s: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .unwrap_or_else(|e| panic!("bad instant {s:?}: {e}"))
        .and_utc()
}

/// One line per window: local start and end in the schedule's zone, the same in UTC, and the
/// local start's quarter.
fn render(schedule: &Schedule, occurrence: &Occurrence) -> String {
    let tz = schedule.tz().expect("a valid zone");
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string();
    let z = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%MZ").to_string();
    let local_start = occurrence.start.with_timezone(&tz).date_naive();
    format!(
        "#{} Q{} {} .. {} = {} .. {}",
        occurrence.index,
        quarter(local_start),
        local(occurrence.start),
        local(occurrence.end),
        z(occurrence.start),
        z(occurrence.end),
    )
}

#[track_caller]
fn check_occurrences(spec: &str, n: usize, expect: Expect) {
    let schedule = schedule(spec);
    let mut out = String::new();
    for occurrence in schedule.next_occurrences(0, n) {
        writeln!(out, "{}", render(&schedule, &occurrence)).expect("write");
    }
    if out.is_empty() {
        out.push_str("no occurrences\n");
    }
    expect.assert_eq(&out);
}

#[test]
fn quarter_boundaries() {
    check_occurrences(
        "2026-01-01 00:00 Europe/Berlin 14d quarterly",
        5,
        expect![[r#"
        #0 Q1 2026-01-01 00:00 CET .. 2026-01-15 00:00 CET = 2025-12-31 23:00Z .. 2026-01-14 23:00Z
        #1 Q2 2026-04-01 00:00 CEST .. 2026-04-15 00:00 CEST = 2026-03-31 22:00Z .. 2026-04-14 22:00Z
        #2 Q3 2026-07-01 00:00 CEST .. 2026-07-15 00:00 CEST = 2026-06-30 22:00Z .. 2026-07-14 22:00Z
        #3 Q4 2026-10-01 00:00 CEST .. 2026-10-15 00:00 CEST = 2026-09-30 22:00Z .. 2026-10-14 22:00Z
        #4 Q1 2027-01-01 00:00 CET .. 2027-01-15 00:00 CET = 2026-12-31 23:00Z .. 2027-01-14 23:00Z
    "#]],
    );
    // The quarter is the local date's: 23:30 on 31 March in New York is already April in UTC.
    check_occurrences(
        "2026-03-31 23:30 America/New_York 7d quarterly count 3",
        5,
        expect![[r#"
            #0 Q1 2026-03-31 23:30 EDT .. 2026-04-07 23:30 EDT = 2026-04-01 03:30Z .. 2026-04-08 03:30Z
            #1 Q2 2026-06-30 23:30 EDT .. 2026-07-07 23:30 EDT = 2026-07-01 03:30Z .. 2026-07-08 03:30Z
            #2 Q3 2026-09-30 23:30 EDT .. 2026-10-07 23:30 EDT = 2026-10-01 03:30Z .. 2026-10-08 03:30Z
        "#]],
    );
    check_occurrences(
        "2026-12-31 22:00 America/New_York 1d annual count 2",
        5,
        expect![[r#"
        #0 Q4 2026-12-31 22:00 EST .. 2027-01-01 22:00 EST = 2027-01-01 03:00Z .. 2027-01-02 03:00Z
        #1 Q4 2027-12-31 22:00 EST .. 2028-01-01 22:00 EST = 2028-01-01 03:00Z .. 2028-01-02 03:00Z
    "#]],
    );
}

#[test]
fn month_ends_clamp_without_drifting() {
    // 31 January: the last day of every month, never sliding to the 28th after February.
    check_occurrences(
        "2026-01-31 09:00 Europe/Berlin 7d monthly count 14",
        20,
        expect![[r#"
        #0 Q1 2026-01-31 09:00 CET .. 2026-02-07 09:00 CET = 2026-01-31 08:00Z .. 2026-02-07 08:00Z
        #1 Q1 2026-02-28 09:00 CET .. 2026-03-07 09:00 CET = 2026-02-28 08:00Z .. 2026-03-07 08:00Z
        #2 Q1 2026-03-31 09:00 CEST .. 2026-04-07 09:00 CEST = 2026-03-31 07:00Z .. 2026-04-07 07:00Z
        #3 Q2 2026-04-30 09:00 CEST .. 2026-05-07 09:00 CEST = 2026-04-30 07:00Z .. 2026-05-07 07:00Z
        #4 Q2 2026-05-31 09:00 CEST .. 2026-06-07 09:00 CEST = 2026-05-31 07:00Z .. 2026-06-07 07:00Z
        #5 Q2 2026-06-30 09:00 CEST .. 2026-07-07 09:00 CEST = 2026-06-30 07:00Z .. 2026-07-07 07:00Z
        #6 Q3 2026-07-31 09:00 CEST .. 2026-08-07 09:00 CEST = 2026-07-31 07:00Z .. 2026-08-07 07:00Z
        #7 Q3 2026-08-31 09:00 CEST .. 2026-09-07 09:00 CEST = 2026-08-31 07:00Z .. 2026-09-07 07:00Z
        #8 Q3 2026-09-30 09:00 CEST .. 2026-10-07 09:00 CEST = 2026-09-30 07:00Z .. 2026-10-07 07:00Z
        #9 Q4 2026-10-31 09:00 CET .. 2026-11-07 09:00 CET = 2026-10-31 08:00Z .. 2026-11-07 08:00Z
        #10 Q4 2026-11-30 09:00 CET .. 2026-12-07 09:00 CET = 2026-11-30 08:00Z .. 2026-12-07 08:00Z
        #11 Q4 2026-12-31 09:00 CET .. 2027-01-07 09:00 CET = 2026-12-31 08:00Z .. 2027-01-07 08:00Z
        #12 Q1 2027-01-31 09:00 CET .. 2027-02-07 09:00 CET = 2027-01-31 08:00Z .. 2027-02-07 08:00Z
        #13 Q1 2027-02-28 09:00 CET .. 2027-03-07 09:00 CET = 2027-02-28 08:00Z .. 2027-03-07 08:00Z
    "#]],
    );
    // In a leap year February has its 29th.
    check_occurrences(
        "2028-01-31 09:00 Europe/Berlin 7d monthly count 3",
        5,
        expect![[r#"
        #0 Q1 2028-01-31 09:00 CET .. 2028-02-07 09:00 CET = 2028-01-31 08:00Z .. 2028-02-07 08:00Z
        #1 Q1 2028-02-29 09:00 CET .. 2028-03-07 09:00 CET = 2028-02-29 08:00Z .. 2028-03-07 08:00Z
        #2 Q1 2028-03-31 09:00 CEST .. 2028-04-07 09:00 CEST = 2028-03-31 07:00Z .. 2028-04-07 07:00Z
    "#]],
    );
    // The 30th and the 29th come back in March after a short February.
    check_occurrences(
        "2026-01-30 09:00 Europe/Berlin 7d monthly count 3",
        5,
        expect![[r#"
        #0 Q1 2026-01-30 09:00 CET .. 2026-02-06 09:00 CET = 2026-01-30 08:00Z .. 2026-02-06 08:00Z
        #1 Q1 2026-02-28 09:00 CET .. 2026-03-07 09:00 CET = 2026-02-28 08:00Z .. 2026-03-07 08:00Z
        #2 Q1 2026-03-30 09:00 CEST .. 2026-04-06 09:00 CEST = 2026-03-30 07:00Z .. 2026-04-06 07:00Z
    "#]],
    );
    check_occurrences(
        "2026-01-29 09:00 Europe/Berlin 7d monthly count 3",
        5,
        expect![[r#"
        #0 Q1 2026-01-29 09:00 CET .. 2026-02-05 09:00 CET = 2026-01-29 08:00Z .. 2026-02-05 08:00Z
        #1 Q1 2026-02-28 09:00 CET .. 2026-03-07 09:00 CET = 2026-02-28 08:00Z .. 2026-03-07 08:00Z
        #2 Q1 2026-03-29 09:00 CEST .. 2026-04-05 09:00 CEST = 2026-03-29 07:00Z .. 2026-04-05 07:00Z
    "#]],
    );
    check_occurrences(
        "2028-01-29 09:00 Europe/Berlin 7d monthly count 3",
        5,
        expect![[r#"
        #0 Q1 2028-01-29 09:00 CET .. 2028-02-05 09:00 CET = 2028-01-29 08:00Z .. 2028-02-05 08:00Z
        #1 Q1 2028-02-29 09:00 CET .. 2028-03-07 09:00 CET = 2028-02-29 08:00Z .. 2028-03-07 08:00Z
        #2 Q1 2028-03-29 09:00 CEST .. 2028-04-05 09:00 CEST = 2028-03-29 07:00Z .. 2028-04-05 07:00Z
    "#]],
    );
    // Starting on 28 February is the 28th, not "the last day".
    check_occurrences(
        "2026-02-28 09:00 Europe/Berlin 7d monthly count 3",
        5,
        expect![[r#"
        #0 Q1 2026-02-28 09:00 CET .. 2026-03-07 09:00 CET = 2026-02-28 08:00Z .. 2026-03-07 08:00Z
        #1 Q1 2026-03-28 09:00 CET .. 2026-04-04 09:00 CEST = 2026-03-28 08:00Z .. 2026-04-04 07:00Z
        #2 Q2 2026-04-28 09:00 CEST .. 2026-05-05 09:00 CEST = 2026-04-28 07:00Z .. 2026-05-05 07:00Z
    "#]],
    );
    // Quarterly from 30 November, semi-annually from 31 August.
    check_occurrences(
        "2026-11-30 09:00 Europe/Berlin 14d quarterly",
        5,
        expect![[r#"
        #0 Q4 2026-11-30 09:00 CET .. 2026-12-14 09:00 CET = 2026-11-30 08:00Z .. 2026-12-14 08:00Z
        #1 Q1 2027-02-28 09:00 CET .. 2027-03-14 09:00 CET = 2027-02-28 08:00Z .. 2027-03-14 08:00Z
        #2 Q2 2027-05-30 09:00 CEST .. 2027-06-13 09:00 CEST = 2027-05-30 07:00Z .. 2027-06-13 07:00Z
        #3 Q3 2027-08-30 09:00 CEST .. 2027-09-13 09:00 CEST = 2027-08-30 07:00Z .. 2027-09-13 07:00Z
        #4 Q4 2027-11-30 09:00 CET .. 2027-12-14 09:00 CET = 2027-11-30 08:00Z .. 2027-12-14 08:00Z
    "#]],
    );
    check_occurrences(
        "2025-08-31 09:00 Europe/Berlin 14d semiAnnual",
        6,
        expect![[r#"
        #0 Q3 2025-08-31 09:00 CEST .. 2025-09-14 09:00 CEST = 2025-08-31 07:00Z .. 2025-09-14 07:00Z
        #1 Q1 2026-02-28 09:00 CET .. 2026-03-14 09:00 CET = 2026-02-28 08:00Z .. 2026-03-14 08:00Z
        #2 Q3 2026-08-31 09:00 CEST .. 2026-09-14 09:00 CEST = 2026-08-31 07:00Z .. 2026-09-14 07:00Z
        #3 Q1 2027-02-28 09:00 CET .. 2027-03-14 09:00 CET = 2027-02-28 08:00Z .. 2027-03-14 08:00Z
        #4 Q3 2027-08-31 09:00 CEST .. 2027-09-14 09:00 CEST = 2027-08-31 07:00Z .. 2027-09-14 07:00Z
        #5 Q1 2028-02-29 09:00 CET .. 2028-03-14 09:00 CET = 2028-02-29 08:00Z .. 2028-03-14 08:00Z
    "#]],
    );
}

#[test]
fn leap_years() {
    check_occurrences(
        "2024-02-29 09:00 Europe/Berlin 14d annual",
        5,
        expect![[r#"
        #0 Q1 2024-02-29 09:00 CET .. 2024-03-14 09:00 CET = 2024-02-29 08:00Z .. 2024-03-14 08:00Z
        #1 Q1 2025-02-28 09:00 CET .. 2025-03-14 09:00 CET = 2025-02-28 08:00Z .. 2025-03-14 08:00Z
        #2 Q1 2026-02-28 09:00 CET .. 2026-03-14 09:00 CET = 2026-02-28 08:00Z .. 2026-03-14 08:00Z
        #3 Q1 2027-02-28 09:00 CET .. 2027-03-14 09:00 CET = 2027-02-28 08:00Z .. 2027-03-14 08:00Z
        #4 Q1 2028-02-29 09:00 CET .. 2028-03-14 09:00 CET = 2028-02-29 08:00Z .. 2028-03-14 08:00Z
    "#]],
    );
    // Fourteen days from 20 February end on 5 March in a leap year and on 6 March in a common
    // year: a duration counts days, it does not shift dates.
    check_occurrences(
        "2028-02-20 09:00 Europe/Berlin 14d annual count 2",
        5,
        expect![[r#"
        #0 Q1 2028-02-20 09:00 CET .. 2028-03-05 09:00 CET = 2028-02-20 08:00Z .. 2028-03-05 08:00Z
        #1 Q1 2029-02-20 09:00 CET .. 2029-03-06 09:00 CET = 2029-02-20 08:00Z .. 2029-03-06 08:00Z
    "#]],
    );
}

#[test]
fn dst_in_berlin() {
    // Spring forward on 29 March 2026: 02:00-03:00 does not exist; the start moves forward by
    // the gap. The next month's 02:30 exists again.
    check_occurrences(
        "2026-03-29 02:30 Europe/Berlin 7d monthly count 2",
        5,
        expect![[r#"
        #0 Q1 2026-03-29 03:30 CEST .. 2026-04-05 02:30 CEST = 2026-03-29 01:30Z .. 2026-04-05 00:30Z
        #1 Q2 2026-04-29 02:30 CEST .. 2026-05-06 02:30 CEST = 2026-04-29 00:30Z .. 2026-05-06 00:30Z
    "#]],
    );
    check_occurrences(
        "2026-03-29 02:00 Europe/Berlin 7d none",
        5,
        expect![[r#"
        #0 Q1 2026-03-29 03:00 CEST .. 2026-04-05 02:00 CEST = 2026-03-29 01:00Z .. 2026-04-05 00:00Z
    "#]],
    );
    // Fall back on 25 October 2026: 02:00-03:00 happens twice; the earlier (CEST) instant wins.
    check_occurrences(
        "2026-10-25 02:30 Europe/Berlin 7d monthly count 2",
        5,
        expect![[r#"
        #0 Q4 2026-10-25 02:30 CEST .. 2026-11-01 02:30 CET = 2026-10-25 00:30Z .. 2026-11-01 01:30Z
        #1 Q4 2026-11-25 02:30 CET .. 2026-12-02 02:30 CET = 2026-11-25 01:30Z .. 2026-12-02 01:30Z
    "#]],
    );
    // A 09:00 window over the spring change ends at 09:00 local, an hour shorter in UTC.
    check_occurrences(
        "2026-03-20 09:00 Europe/Berlin 14d none",
        5,
        expect![[r#"
        #0 Q1 2026-03-20 09:00 CET .. 2026-04-03 09:00 CEST = 2026-03-20 08:00Z .. 2026-04-03 07:00Z
    "#]],
    );
    // A quarterly series crossing both changes: always 09:00 local, so 08:00Z in winter and
    // 07:00Z in summer, with windows that span each change.
    check_occurrences(
        "2025-12-01 09:00 Europe/Berlin 75d quarterly",
        5,
        expect![[r#"
            #0 Q4 2025-12-01 09:00 CET .. 2026-02-14 09:00 CET = 2025-12-01 08:00Z .. 2026-02-14 08:00Z
            #1 Q1 2026-03-01 09:00 CET .. 2026-05-15 09:00 CEST = 2026-03-01 08:00Z .. 2026-05-15 07:00Z
            #2 Q2 2026-06-01 09:00 CEST .. 2026-08-15 09:00 CEST = 2026-06-01 07:00Z .. 2026-08-15 07:00Z
            #3 Q3 2026-09-01 09:00 CEST .. 2026-11-15 09:00 CET = 2026-09-01 07:00Z .. 2026-11-15 08:00Z
            #4 Q4 2026-12-01 09:00 CET .. 2027-02-14 09:00 CET = 2026-12-01 08:00Z .. 2027-02-14 08:00Z
        "#]],
    );
}

#[test]
fn dst_in_new_york() {
    // Spring forward on 8 March 2026 at 02:00.
    check_occurrences(
        "2026-03-08 02:30 America/New_York 7d monthly count 2",
        5,
        expect![[r#"
        #0 Q1 2026-03-08 03:30 EDT .. 2026-03-15 02:30 EDT = 2026-03-08 07:30Z .. 2026-03-15 06:30Z
        #1 Q2 2026-04-08 02:30 EDT .. 2026-04-15 02:30 EDT = 2026-04-08 06:30Z .. 2026-04-15 06:30Z
    "#]],
    );
    // Fall back on 1 November 2026: 01:00-02:00 twice; the earlier (EDT) instant wins.
    check_occurrences(
        "2026-11-01 01:30 America/New_York 7d monthly count 2",
        5,
        expect![[r#"
        #0 Q4 2026-11-01 01:30 EDT .. 2026-11-08 01:30 EST = 2026-11-01 05:30Z .. 2026-11-08 06:30Z
        #1 Q4 2026-12-01 01:30 EST .. 2026-12-08 01:30 EST = 2026-12-01 06:30Z .. 2026-12-08 06:30Z
    "#]],
    );
    check_occurrences(
        "2025-12-01 09:00 America/New_York 75d quarterly",
        5,
        expect![[r#"
            #0 Q4 2025-12-01 09:00 EST .. 2026-02-14 09:00 EST = 2025-12-01 14:00Z .. 2026-02-14 14:00Z
            #1 Q1 2026-03-01 09:00 EST .. 2026-05-15 09:00 EDT = 2026-03-01 14:00Z .. 2026-05-15 13:00Z
            #2 Q2 2026-06-01 09:00 EDT .. 2026-08-15 09:00 EDT = 2026-06-01 13:00Z .. 2026-08-15 13:00Z
            #3 Q3 2026-09-01 09:00 EDT .. 2026-11-15 09:00 EST = 2026-09-01 13:00Z .. 2026-11-15 14:00Z
            #4 Q4 2026-12-01 09:00 EST .. 2027-02-14 09:00 EST = 2026-12-01 14:00Z .. 2027-02-14 14:00Z
        "#]],
    );
}

#[test]
fn ends() {
    // No occurrence starts after the end date; one starting on it still counts.
    check_occurrences(
        "2026-01-01 09:00 Europe/Berlin 14d quarterly until 2026-07-01",
        10,
        expect![[r#"
            #0 Q1 2026-01-01 09:00 CET .. 2026-01-15 09:00 CET = 2026-01-01 08:00Z .. 2026-01-15 08:00Z
            #1 Q2 2026-04-01 09:00 CEST .. 2026-04-15 09:00 CEST = 2026-04-01 07:00Z .. 2026-04-15 07:00Z
            #2 Q3 2026-07-01 09:00 CEST .. 2026-07-15 09:00 CEST = 2026-07-01 07:00Z .. 2026-07-15 07:00Z
        "#]],
    );
    check_occurrences(
        "2026-01-01 09:00 Europe/Berlin 14d quarterly until 2026-06-30",
        10,
        expect![[r#"
            #0 Q1 2026-01-01 09:00 CET .. 2026-01-15 09:00 CET = 2026-01-01 08:00Z .. 2026-01-15 08:00Z
            #1 Q2 2026-04-01 09:00 CEST .. 2026-04-15 09:00 CEST = 2026-04-01 07:00Z .. 2026-04-15 07:00Z
        "#]],
    );
    check_occurrences(
        "2026-01-01 09:00 Europe/Berlin 14d quarterly count 2",
        10,
        expect![[r#"
        #0 Q1 2026-01-01 09:00 CET .. 2026-01-15 09:00 CET = 2026-01-01 08:00Z .. 2026-01-15 08:00Z
        #1 Q2 2026-04-01 09:00 CEST .. 2026-04-15 09:00 CEST = 2026-04-01 07:00Z .. 2026-04-15 07:00Z
    "#]],
    );
    check_occurrences(
        "2026-05-04 09:00 Europe/Berlin 30d none",
        10,
        expect![[r#"
        #0 Q2 2026-05-04 09:00 CEST .. 2026-06-03 09:00 CEST = 2026-05-04 07:00Z .. 2026-06-03 07:00Z
    "#]],
    );
    check_occurrences(
        "2026-05-04 09:00 Mars/Olympus 30d none",
        10,
        expect![[r#"
        no occurrences
    "#]],
    );
}

#[track_caller]
fn check_problems(spec: &str, expect: Expect) {
    let problems = schedule(spec).problems();
    let mut out = String::new();
    for (field, message) in &problems {
        writeln!(out, "{field}: {message}").expect("write");
    }
    if problems.is_empty() {
        out.push_str("ok\n");
    }
    expect.assert_eq(&out);
}

#[test]
fn overlap_is_refused_exactly() {
    // Monthly: 28 days fit from any start. From the 31st the shortest gap is 31 Jan → 28 Feb.
    check_problems(
        "2026-01-31 09:00 Europe/Berlin 28d monthly",
        expect![[r#"
        ok
    "#]],
    );
    check_problems(
        "2026-01-31 09:00 Europe/Berlin 29d monthly",
        expect![[r#"
        schedule.durationDays: a monthly campaign with this start can last at most 28 days, or it would overlap the next one: the campaign starting on 2026-01-31 would still run when the next starts on 2026-02-28
    "#]],
    );
    // From the 30th and the 29th, February is clamped and March is not: 29 days fit.
    check_problems(
        "2026-01-30 09:00 Europe/Berlin 29d monthly",
        expect![[r#"
        ok
    "#]],
    );
    check_problems(
        "2026-01-30 09:00 Europe/Berlin 30d monthly",
        expect![[r#"
        schedule.durationDays: a monthly campaign with this start can last at most 29 days, or it would overlap the next one: the campaign starting on 2026-01-30 would still run when the next starts on 2026-02-28
    "#]],
    );
    check_problems(
        "2026-01-29 09:00 Europe/Berlin 29d monthly",
        expect![[r#"
        ok
    "#]],
    );
    check_problems(
        "2026-01-29 09:00 Europe/Berlin 30d monthly",
        expect![[r#"
        schedule.durationDays: a monthly campaign with this start can last at most 29 days, or it would overlap the next one: the campaign starting on 2026-02-28 would still run when the next starts on 2026-03-29
    "#]],
    );
    // From mid-month, February to March of a common year is 28 days...
    check_problems(
        "2026-01-15 09:00 Europe/Berlin 29d monthly",
        expect![[r#"
        schedule.durationDays: a monthly campaign with this start can last at most 28 days, or it would overlap the next one: the campaign starting on 2026-02-15 would still run when the next starts on 2026-03-15
    "#]],
    );
    // ...even when the series starts in a leap year: the first common year catches it...
    check_problems(
        "2028-01-15 09:00 Europe/Berlin 29d monthly",
        expect![[r#"
        schedule.durationDays: a monthly campaign with this start can last at most 28 days, or it would overlap the next one: the campaign starting on 2029-02-15 would still run when the next starts on 2029-03-15
    "#]],
    );
    // ...unless the series ends before then.
    check_problems(
        "2028-01-15 09:00 Europe/Berlin 29d monthly count 12",
        expect![[r#"
        ok
    "#]],
    );
    check_problems(
        "2028-01-15 09:00 Europe/Berlin 29d monthly until 2028-12-31",
        expect![[r#"
        ok
    "#]],
    );
    // Quarterly: February to May is 89 days; a series from 1 January never has less than 90.
    check_problems(
        "2026-02-15 09:00 Europe/Berlin 89d quarterly",
        expect![[r#"
        ok
    "#]],
    );
    check_problems(
        "2026-02-15 09:00 Europe/Berlin 90d quarterly",
        expect![[r#"
        schedule.durationDays: a quarterly campaign with this start can last at most 89 days, or it would overlap the next one: the campaign starting on 2026-02-15 would still run when the next starts on 2026-05-15
    "#]],
    );
    check_problems(
        "2026-01-01 09:00 Europe/Berlin 90d quarterly",
        expect![[r#"
        ok
    "#]],
    );
    check_problems(
        "2026-01-01 09:00 Europe/Berlin 91d quarterly",
        expect![[r#"
        schedule.durationDays: a quarterly campaign with this start can last at most 90 days, or it would overlap the next one: the campaign starting on 2026-01-01 would still run when the next starts on 2026-04-01
    "#]],
    );
    // Semi-annual and annual.
    check_problems(
        "2025-08-31 09:00 Europe/Berlin 181d semiAnnual",
        expect![[r#"
        ok
    "#]],
    );
    check_problems(
        "2025-08-31 09:00 Europe/Berlin 182d semiAnnual",
        expect![[r#"
            schedule.durationDays: a semi-annual campaign with this start can last at most 181 days, or it would overlap the next one: the campaign starting on 2025-08-31 would still run when the next starts on 2026-02-28
        "#]],
    );
    check_problems(
        "2024-02-29 09:00 Europe/Berlin 365d annual",
        expect![[r#"
        ok
    "#]],
    );
    check_problems(
        "2024-02-29 09:00 Europe/Berlin 366d annual",
        expect![[r#"
            schedule.durationDays: an annual campaign with this start can last at most 365 days, or it would overlap the next one: the campaign starting on 2024-02-29 would still run when the next starts on 2025-02-28
        "#]],
    );
    // Two annual occurrences over a leap day are 366 days apart; a longer one is over a year.
    check_problems(
        "2023-03-01 09:00 Europe/Berlin 366d annual count 2",
        expect![[r#"
        ok
    "#]],
    );
    check_problems(
        "2023-03-01 09:00 Europe/Berlin 367d annual count 2",
        expect![[r#"
            schedule.durationDays: an annual campaign with this start can last at most 366 days, or it would overlap the next one: the campaign starting on 2023-03-01 would still run when the next starts on 2024-03-01
        "#]],
    );
    // A single occurrence overlaps nothing, but lasts at most a year.
    check_problems(
        "2026-01-01 09:00 Europe/Berlin 366d none",
        expect![[r#"
        ok
    "#]],
    );
    check_problems(
        "2026-01-01 09:00 Europe/Berlin 367d none",
        expect![[r#"
        schedule.durationDays: a campaign lasts at most a year
    "#]],
    );
    check_problems(
        "2026-01-01 09:00 Europe/Berlin 200d quarterly count 1",
        expect![[r#"
        ok
    "#]],
    );
}

#[test]
fn other_problems() {
    check_problems(
        "2026-01-01 09:00 Europe/Berlin 0d quarterly",
        expect![[r#"
        schedule.durationDays: a campaign lasts at least one day
    "#]],
    );
    check_problems(
        "2026-01-01 09:00 Europe/Berlin 14d quarterly count 0",
        expect![[r#"
        schedule.end: end after at least one occurrence
    "#]],
    );
    check_problems(
        "2026-01-01 09:00 Europe/Berlin 14d quarterly until 2025-12-31",
        expect![[r#"
            schedule.end: the end date is before the first start
        "#]],
    );
    // The start date itself is a valid end: one occurrence.
    check_problems(
        "2026-01-01 09:00 Europe/Berlin 14d quarterly until 2026-01-01",
        expect![[r#"
            ok
        "#]],
    );
    // Every problem at once.
    check_problems(
        "2026-01-01 09:00 Berlin 0d monthly count 0",
        expect![[r#"
        schedule.timeZone: "Berlin" is not a time zone name such as Europe/Berlin
        schedule.durationDays: a campaign lasts at least one day
        schedule.end: end after at least one occurrence
    "#]],
    );
}

/// The overlap rule, against every start date of a leap year and the common years after it,
/// at a time that falls in a DST gap or overlap on some of those dates: at the limit that
/// `problems` allows, no window's end is after the next window's start (in UTC, as the
/// scheduler sees them); one day more, some window within twelve years overlaps the next.
#[test]
fn overlap_limit_is_exact_for_every_start() {
    let mut limits: Vec<(Recurrence, i64, u32)> = Vec::new();
    for recurrence in
        [Recurrence::Monthly, Recurrence::Quarterly, Recurrence::SemiAnnual, Recurrence::Annual]
    {
        let months = recurrence.months().expect("recurring");
        let horizon = 12 * 12 / months;
        for (zone, time) in [("Europe/Berlin", "02:30"), ("America/New_York", "01:30")] {
            let mut date = day("2024-01-01");
            while date <= day("2024-12-31") {
                let start =
                    NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y-%m-%d %H:%M")
                        .expect("start");
                let mut schedule = Schedule {
                    start,
                    time_zone: zone.into(),
                    duration_days: 1,
                    recurrence,
                    end: RecurrenceEnd::Never,
                };
                let limit = schedule.shortest_gap().expect("a recurring series").days;
                let overlaps = |schedule: &Schedule| {
                    let windows = schedule.next_occurrences(0, horizon as usize + 1);
                    assert_eq!(windows.len(), horizon as usize + 1);
                    windows.windows(2).any(|pair| pair[0].end > pair[1].start)
                };
                schedule.duration_days = u32::try_from(limit).expect("positive");
                assert_eq!(schedule.problems(), vec![], "{zone} {start} {recurrence:?}");
                assert!(!overlaps(&schedule), "{zone} {start} {recurrence:?} {limit}d overlaps");
                schedule.duration_days += 1;
                assert_eq!(
                    schedule.problems().iter().map(|p| p.0).collect::<Vec<_>>(),
                    vec!["schedule.durationDays"],
                    "{zone} {start} {recurrence:?} {}d",
                    schedule.duration_days
                );
                assert!(overlaps(&schedule), "{zone} {start} {recurrence:?} {}d", limit + 1);
                if zone == "Europe/Berlin" {
                    match limits.iter_mut().find(|l| l.0 == recurrence && l.1 == limit) {
                        Some(entry) => entry.2 += 1,
                        None => limits.push((recurrence, limit, 1)),
                    }
                }
                date = date.succ_opt().expect("next day");
            }
        }
    }
    limits.sort_by_key(|l| (l.0.months(), l.1));
    let out: String = limits
        .iter()
        .map(|(r, days, starts)| {
            format!("{} up to {days} days: {starts} start dates\n", r.as_str())
        })
        .collect();
    // The shortest limits are the old fixed table (28, 89, 181, 365): right as a floor, but
    // most starts allow more.
    expect![[r#"
        monthly up to 28 days: 343 start dates
        monthly up to 29 days: 23 start dates
        quarterly up to 89 days: 115 start dates
        quarterly up to 90 days: 251 start dates
        semiAnnual up to 181 days: 241 start dates
        semiAnnual up to 182 days: 125 start dates
        annual up to 365 days: 366 start dates
    "#]]
    .assert_eq(&out);
}

#[track_caller]
fn check_due(spec: &str, created: u32, now: &str, expect: Expect) {
    let schedule = schedule(spec);
    let due = schedule.due(created, utc(now));
    assert_eq!(due, schedule.due(created, utc(now)), "due is a function of its inputs");
    expect.assert_eq(&render_due(&schedule, &due));
}

fn render_due(schedule: &Schedule, due: &Due) -> String {
    let mut out = String::new();
    for missed in &due.missed {
        writeln!(out, "missed {}", render(schedule, missed)).expect("write");
    }
    if let Some(open) = &due.open {
        writeln!(out, "open   {}", render(schedule, open)).expect("write");
    }
    if out.is_empty() {
        out.push_str("nothing due\n");
    }
    out
}

const QUARTERLY: &str = "2026-01-01 09:00 Europe/Berlin 14d quarterly";

#[test]
fn due_at_the_edges_of_a_window() {
    check_due(
        QUARTERLY,
        0,
        "2026-01-01 07:59",
        expect![[r#"
        nothing due
    "#]],
    );
    // The start is inclusive...
    check_due(
        QUARTERLY,
        0,
        "2026-01-01 08:00",
        expect![[r#"
        open   #0 Q1 2026-01-01 09:00 CET .. 2026-01-15 09:00 CET = 2026-01-01 08:00Z .. 2026-01-15 08:00Z
    "#]],
    );
    // ...the end is not: a window nobody opened before its end is missed.
    check_due(
        QUARTERLY,
        0,
        "2026-01-15 07:59",
        expect![[r#"
        open   #0 Q1 2026-01-01 09:00 CET .. 2026-01-15 09:00 CET = 2026-01-01 08:00Z .. 2026-01-15 08:00Z
    "#]],
    );
    check_due(
        QUARTERLY,
        0,
        "2026-01-15 08:00",
        expect![[r#"
        missed #0 Q1 2026-01-01 09:00 CET .. 2026-01-15 09:00 CET = 2026-01-01 08:00Z .. 2026-01-15 08:00Z
    "#]],
    );
    // Between windows, with the first one created, nothing is due.
    check_due(
        QUARTERLY,
        1,
        "2026-02-15 12:00",
        expect![[r#"
        nothing due
    "#]],
    );
    // A created count past a finished series finds nothing.
    check_due(
        "2026-01-01 09:00 Europe/Berlin 14d quarterly count 2",
        2,
        "2027-01-01 12:00",
        expect![[r#"
            nothing due
        "#]],
    );
}

#[test]
fn due_catches_up_after_the_app_was_off() {
    // Q1 was opened; the app then stayed off until early July: Q2 is missed, Q3 opens.
    check_due(
        QUARTERLY,
        1,
        "2026-07-05 12:00",
        expect![[r#"
        missed #1 Q2 2026-04-01 09:00 CEST .. 2026-04-15 09:00 CEST = 2026-04-01 07:00Z .. 2026-04-15 07:00Z
        open   #2 Q3 2026-07-01 09:00 CEST .. 2026-07-15 09:00 CEST = 2026-07-01 07:00Z .. 2026-07-15 07:00Z
    "#]],
    );
    // Off from before the first start until after two whole windows, with a series end.
    check_due(
        "2026-01-01 09:00 Europe/Berlin 14d quarterly count 3",
        0,
        "2026-12-01 00:00",
        expect![[r#"
            missed #0 Q1 2026-01-01 09:00 CET .. 2026-01-15 09:00 CET = 2026-01-01 08:00Z .. 2026-01-15 08:00Z
            missed #1 Q2 2026-04-01 09:00 CEST .. 2026-04-15 09:00 CEST = 2026-04-01 07:00Z .. 2026-04-15 07:00Z
            missed #2 Q3 2026-07-01 09:00 CEST .. 2026-07-15 09:00 CEST = 2026-07-01 07:00Z .. 2026-07-15 07:00Z
        "#]],
    );
    // Monthly, off for a whole year, back between two windows.
    check_due(
        "2026-01-31 09:00 America/New_York 7d monthly",
        1,
        "2026-12-20 00:00",
        expect![[r#"
            missed #1 Q1 2026-02-28 09:00 EST .. 2026-03-07 09:00 EST = 2026-02-28 14:00Z .. 2026-03-07 14:00Z
            missed #2 Q1 2026-03-31 09:00 EDT .. 2026-04-07 09:00 EDT = 2026-03-31 13:00Z .. 2026-04-07 13:00Z
            missed #3 Q2 2026-04-30 09:00 EDT .. 2026-05-07 09:00 EDT = 2026-04-30 13:00Z .. 2026-05-07 13:00Z
            missed #4 Q2 2026-05-31 09:00 EDT .. 2026-06-07 09:00 EDT = 2026-05-31 13:00Z .. 2026-06-07 13:00Z
            missed #5 Q2 2026-06-30 09:00 EDT .. 2026-07-07 09:00 EDT = 2026-06-30 13:00Z .. 2026-07-07 13:00Z
            missed #6 Q3 2026-07-31 09:00 EDT .. 2026-08-07 09:00 EDT = 2026-07-31 13:00Z .. 2026-08-07 13:00Z
            missed #7 Q3 2026-08-31 09:00 EDT .. 2026-09-07 09:00 EDT = 2026-08-31 13:00Z .. 2026-09-07 13:00Z
            missed #8 Q3 2026-09-30 09:00 EDT .. 2026-10-07 09:00 EDT = 2026-09-30 13:00Z .. 2026-10-07 13:00Z
            missed #9 Q4 2026-10-31 09:00 EDT .. 2026-11-07 09:00 EST = 2026-10-31 13:00Z .. 2026-11-07 14:00Z
            missed #10 Q4 2026-11-30 09:00 EST .. 2026-12-07 09:00 EST = 2026-11-30 14:00Z .. 2026-12-07 14:00Z
        "#]],
    );
}

/// Runs the scheduler at each instant, twice (the second run must agree with the first), and
/// records its answer the way the store does: every missed or opened window is created.
#[track_caller]
fn check_runs(spec: &str, runs: &[&str], expect: Expect) {
    let schedule = schedule(spec);
    let mut created = 0;
    let mut out = String::new();
    for now in runs {
        let due = schedule.due(created, utc(now));
        assert_eq!(due, schedule.due(created, utc(now)), "running twice changes nothing");
        writeln!(out, "at {now}Z, {created} created:").expect("write");
        for line in render_due(&schedule, &due).lines() {
            writeln!(out, "  {line}").expect("write");
        }
        let recorded = due.missed.len() + usize::from(due.open.is_some());
        created += u32::try_from(recorded).expect("small");
        // Once recorded, the same instant has nothing new.
        assert_eq!(schedule.due(created, utc(now)), Due::default(), "at {now}");
    }
    expect.assert_eq(&out);
}

#[test]
fn scheduler_runs() {
    check_runs(
        QUARTERLY,
        &[
            "2025-12-31 12:00",
            "2026-01-01 08:00",
            "2026-01-02 08:00",
            // Off for two quarters.
            "2026-07-05 12:00",
            "2026-09-30 12:00",
            "2026-10-01 07:00",
        ],
        expect![[r#"
            at 2025-12-31 12:00Z, 0 created:
              nothing due
            at 2026-01-01 08:00Z, 0 created:
              open   #0 Q1 2026-01-01 09:00 CET .. 2026-01-15 09:00 CET = 2026-01-01 08:00Z .. 2026-01-15 08:00Z
            at 2026-01-02 08:00Z, 1 created:
              nothing due
            at 2026-07-05 12:00Z, 1 created:
              missed #1 Q2 2026-04-01 09:00 CEST .. 2026-04-15 09:00 CEST = 2026-04-01 07:00Z .. 2026-04-15 07:00Z
              open   #2 Q3 2026-07-01 09:00 CEST .. 2026-07-15 09:00 CEST = 2026-07-01 07:00Z .. 2026-07-15 07:00Z
            at 2026-09-30 12:00Z, 3 created:
              nothing due
            at 2026-10-01 07:00Z, 3 created:
              open   #3 Q4 2026-10-01 09:00 CEST .. 2026-10-15 09:00 CEST = 2026-10-01 07:00Z .. 2026-10-15 07:00Z
        "#]],
    );
    check_runs(
        "2025-12-01 09:00 America/New_York 60d quarterly until 2026-09-30",
        &["2026-05-01 12:00", "2026-06-01 12:59", "2026-06-01 13:00", "2027-06-01 00:00"],
        expect![[r#"
            at 2026-05-01 12:00Z, 0 created:
              missed #0 Q4 2025-12-01 09:00 EST .. 2026-01-30 09:00 EST = 2025-12-01 14:00Z .. 2026-01-30 14:00Z
              missed #1 Q1 2026-03-01 09:00 EST .. 2026-04-30 09:00 EDT = 2026-03-01 14:00Z .. 2026-04-30 13:00Z
            at 2026-06-01 12:59Z, 2 created:
              nothing due
            at 2026-06-01 13:00Z, 2 created:
              open   #2 Q2 2026-06-01 09:00 EDT .. 2026-07-31 09:00 EDT = 2026-06-01 13:00Z .. 2026-07-31 13:00Z
            at 2027-06-01 00:00Z, 3 created:
              missed #3 Q3 2026-09-01 09:00 EDT .. 2026-10-31 09:00 EDT = 2026-09-01 13:00Z .. 2026-10-31 13:00Z
        "#]],
    );
}

#[test]
fn dst_gaps_move_forward_by_their_length() {
    // A time in a gap is read with the offset before the gap, as iCalendar does: every minute
    // of the gap moves forward by the gap's length. (The first version probed in 30-minute
    // steps and sent 02:30 to 03:00 but 02:15 to 03:15.) Samoa skipped 30 December 2011
    // whole; Lord Howe Island springs forward by half an hour.
    let mut out = String::new();
    for (zone, local) in [
        ("Europe/Berlin", "2026-03-29 01:59"),
        ("Europe/Berlin", "2026-03-29 02:00"),
        ("Europe/Berlin", "2026-03-29 02:15"),
        ("Europe/Berlin", "2026-03-29 02:30"),
        ("Europe/Berlin", "2026-03-29 02:59"),
        ("Europe/Berlin", "2026-03-29 03:00"),
        ("America/New_York", "2026-03-08 02:30"),
        ("Pacific/Apia", "2011-12-30 09:00"),
        ("Australia/Lord_Howe", "2026-10-04 02:15"),
    ] {
        let tz: Tz = zone.parse().expect("zone");
        let naive = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").expect("local");
        let at = to_utc(tz, naive);
        writeln!(
            out,
            "{zone} {local} -> {} = {}",
            at.with_timezone(&tz).format("%Y-%m-%d %H:%M %:z"),
            at.format("%Y-%m-%d %H:%MZ")
        )
        .expect("write");
    }
    expect![[r#"
        Europe/Berlin 2026-03-29 01:59 -> 2026-03-29 01:59 +01:00 = 2026-03-29 00:59Z
        Europe/Berlin 2026-03-29 02:00 -> 2026-03-29 03:00 +02:00 = 2026-03-29 01:00Z
        Europe/Berlin 2026-03-29 02:15 -> 2026-03-29 03:15 +02:00 = 2026-03-29 01:15Z
        Europe/Berlin 2026-03-29 02:30 -> 2026-03-29 03:30 +02:00 = 2026-03-29 01:30Z
        Europe/Berlin 2026-03-29 02:59 -> 2026-03-29 03:59 +02:00 = 2026-03-29 01:59Z
        Europe/Berlin 2026-03-29 03:00 -> 2026-03-29 03:00 +02:00 = 2026-03-29 01:00Z
        America/New_York 2026-03-08 02:30 -> 2026-03-08 03:30 -04:00 = 2026-03-08 07:30Z
        Pacific/Apia 2011-12-30 09:00 -> 2011-12-31 09:00 +14:00 = 2011-12-30 19:00Z
        Australia/Lord_Howe 2026-10-04 02:15 -> 2026-10-04 02:45 +11:00 = 2026-10-03 15:45Z
    "#]]
    .assert_eq(&out);
}

#[test]
fn a_schedule_in_words_writes_its_dates_out() {
    let said = [
        "2026-09-07 09:00 Europe/Berlin 14d quarterly",
        "2026-01-31 18:30 America/New_York 1d monthly until 2026-12-31",
        "2026-03-01 08:00 UTC 30d semiAnnual count 4",
        "2026-06-15 07:05 Asia/Kolkata 7d none",
    ]
    .map(|spec| schedule(spec).in_words())
    .join("\n");
    expect![[r#"
        every quarter, the first opening 7 September 2026 at 09:00 (Europe/Berlin), each open 14 days, with no end
        every month, the first opening 31 January 2026 at 18:30 (America/New_York), each open 1 day, none starting after 31 December 2026
        every six months, the first opening 1 March 2026 at 08:00 (UTC), each open 30 days, 4 campaigns in all
        once, opening 15 June 2026 at 07:05 (Asia/Kolkata), open 7 days"#]]
    .assert_eq(&said);
}
