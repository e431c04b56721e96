//! When campaigns happen: a start in a named time zone, a duration in days, a recurrence, and the
//! arithmetic that turns them into UTC review windows (month ends, leap years, DST) and decides
//! which occurrences are due, including catching up after nothing ran for a while.

use chrono::{
    DateTime, Datelike, Days, LocalResult, Months, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc,
};
use chrono_tz::Tz;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recurrence {
    None,
    Monthly,
    Quarterly,
    SemiAnnual,
    Annual,
}

impl Recurrence {
    /// Months between occurrences; `None` for a one-off.
    pub fn months(self) -> Option<u32> {
        match self {
            Recurrence::None => None,
            Recurrence::Monthly => Some(1),
            Recurrence::Quarterly => Some(3),
            Recurrence::SemiAnnual => Some(6),
            Recurrence::Annual => Some(12),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Recurrence::None => "none",
            Recurrence::Monthly => "monthly",
            Recurrence::Quarterly => "quarterly",
            Recurrence::SemiAnnual => "semiAnnual",
            Recurrence::Annual => "annual",
        }
    }

    pub fn parse(s: &str) -> Option<Recurrence> {
        [
            Recurrence::None,
            Recurrence::Monthly,
            Recurrence::Quarterly,
            Recurrence::SemiAnnual,
            Recurrence::Annual,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// When a recurrence stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecurrenceEnd {
    Never,
    /// No occurrence starts after this local date.
    OnDate(NaiveDate),
    /// At most this many occurrences.
    AfterCount(u32),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// The first occurrence's start, in `time_zone` local time.
    pub start: NaiveDateTime,
    /// An IANA name such as `Europe/Berlin`.
    pub time_zone: String,
    pub duration_days: u32,
    pub recurrence: Recurrence,
    pub end: RecurrenceEnd,
}

/// One review window. `index` counts from 0 for the first occurrence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Occurrence {
    pub index: u32,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// What a scheduler run should do with one definition.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Due {
    /// Windows that ended before anyone opened them: recorded as missed, never silently skipped.
    pub missed: Vec<Occurrence>,
    /// The window running now, if it is not open yet.
    pub open: Option<Occurrence>,
}

/// How many months the Gregorian calendar takes to repeat itself exactly (400 years): the gaps
/// between a recurrence's local start dates repeat with this period, so looking at one period of
/// a never-ending series sees every gap it will ever have.
const CALENDAR_CYCLE_MONTHS: u32 = 400 * 12;

/// Resolves a local time to UTC.
///
/// A time in a DST gap (spring forward) does not exist; it is read with the UTC offset in force
/// before the gap, which moves it forward by the length of the gap (02:30 in Berlin on the spring
/// day becomes 03:30 CEST). That is what iCalendar (RFC 5545), java.time and JavaScript's
/// Temporal do, so calendar invites agree with us. An ambiguous time (fall back) takes the
/// earlier instant, the first time the clock shows it.
fn to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(earlier, _) => earlier.with_timezone(&Utc),
        LocalResult::None => {
            // A day before, read as UTC, is well before the gap whatever the zone's offset (at
            // most 14 hours), and no zone changes its offset twice within a day and a half.
            let before = local.checked_sub_days(Days::new(1)).unwrap_or(local);
            let offset = tz.offset_from_utc_datetime(&before).fix();
            let seconds = chrono::Duration::seconds(i64::from(offset.local_minus_utc()));
            Utc.from_utc_datetime(&local.checked_sub_signed(seconds).unwrap_or(local))
        }
    }
}

/// The shortest distance between two consecutive starts of a series, in local days, with the
/// pair where it first happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ShortestGap {
    days: i64,
    from: NaiveDate,
    to: NaiveDate,
}

impl Schedule {
    /// The schedule as a reader says it: "every quarter, the first opening 7 September 2026 at
    /// 09:00 (Europe/Berlin), each open 14 days, with no end", dates written out like every
    /// other date the binder shows a person, never as a raw ISO time.
    pub fn in_words(&self) -> String {
        let every = match self.recurrence {
            Recurrence::None => "once",
            Recurrence::Monthly => "every month",
            Recurrence::Quarterly => "every quarter",
            Recurrence::SemiAnnual => "every six months",
            Recurrence::Annual => "every year",
        };
        let first =
            if self.recurrence == Recurrence::None { "opening" } else { "the first opening" };
        let days = self.duration_days;
        let open = format!("open {days} day{}", if days == 1 { "" } else { "s" });
        let end = match (self.recurrence, self.end) {
            (Recurrence::None, _) => String::new(),
            (_, RecurrenceEnd::Never) => ", with no end".into(),
            (_, RecurrenceEnd::OnDate(date)) => {
                format!(", none starting after {}", date.format("%-d %B %Y"))
            }
            (_, RecurrenceEnd::AfterCount(n)) => {
                format!(", {n} campaign{} in all", if n == 1 { "" } else { "s" })
            }
        };
        let each = if self.recurrence == Recurrence::None { "" } else { "each " };
        format!(
            "{every}, {first} {} at {} ({}), {each}{open}{end}",
            self.start.format("%-d %B %Y"),
            self.start.format("%H:%M"),
            self.time_zone
        )
    }

    pub fn tz(&self) -> Option<Tz> {
        self.time_zone.parse::<Tz>().ok()
    }

    /// Problems by field, for the definition's validation.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if self.tz().is_none() {
            problems.push((
                "schedule.timeZone",
                format!("{:?} is not a time zone name such as Europe/Berlin", self.time_zone),
            ));
        }
        if self.duration_days == 0 {
            problems.push(("schedule.durationDays", "a campaign lasts at least one day".into()));
        } else if let Some(gap) = self.shortest_gap()
            && i64::from(self.duration_days) > gap.days
        {
            problems.push((
                "schedule.durationDays",
                format!(
                    "{} campaign with this start can last at most {} days, or it would overlap \
                     the next one: the campaign starting on {} would still run when the next \
                     starts on {}",
                    match self.recurrence {
                        Recurrence::Monthly => "a monthly",
                        Recurrence::Quarterly => "a quarterly",
                        Recurrence::SemiAnnual => "a semi-annual",
                        Recurrence::Annual => "an annual",
                        Recurrence::None => "a one-off",
                    },
                    gap.days,
                    gap.from,
                    gap.to,
                ),
            ));
        } else if self.duration_days > 366 {
            problems.push(("schedule.durationDays", "a campaign lasts at most a year".into()));
        }
        match self.end {
            RecurrenceEnd::AfterCount(0) => {
                problems.push(("schedule.end", "end after at least one occurrence".into()));
            }
            RecurrenceEnd::OnDate(date) if date < self.start.date() => {
                problems.push(("schedule.end", "the end date is before the first start".into()));
            }
            _ => {}
        }
        problems
    }

    /// The local start of occurrence `index`: the first start's day of month, clamped to the
    /// month's last day (31 January → 30 April → 31 July), never drifting after a short month.
    fn local_start(&self, index: u32) -> Option<NaiveDateTime> {
        let months = match self.recurrence.months() {
            None if index == 0 => 0,
            None => return None,
            Some(m) => m.checked_mul(index)?,
        };
        let date = self.start.date().checked_add_months(Months::new(months))?;
        Some(date.and_time(self.start.time()))
    }

    /// The local start of occurrence `index` if the series has one: within the count and not
    /// after the end date.
    fn local_start_in_series(&self, index: u32) -> Option<NaiveDateTime> {
        if let RecurrenceEnd::AfterCount(count) = self.end
            && index >= count
        {
            return None;
        }
        let local_start = self.local_start(index)?;
        if let RecurrenceEnd::OnDate(last) = self.end
            && local_start.date() > last
        {
            return None;
        }
        Some(local_start)
    }

    /// The shortest gap between consecutive local starts of this series, or `None` when it has
    /// fewer than two occurrences. Every occurrence starts at the same local time and lasts whole
    /// local days, so "an occurrence's end is never after the next one's start" holds exactly
    /// when the duration is at most this many days, in every time zone and across DST changes.
    fn shortest_gap(&self) -> Option<ShortestGap> {
        let months = self.recurrence.months()?;
        let pairs = CALENDAR_CYCLE_MONTHS / months;
        let mut shortest: Option<ShortestGap> = None;
        let mut previous = self.local_start_in_series(0)?.date();
        for index in 1..=pairs {
            let Some(next) = self.local_start_in_series(index) else { break };
            let next = next.date();
            let days = (next - previous).num_days();
            if shortest.is_none_or(|gap| days < gap.days) {
                shortest = Some(ShortestGap { days, from: previous, to: next });
            }
            previous = next;
        }
        shortest
    }

    /// Occurrence `index`, or `None` past the recurrence's end.
    pub fn occurrence(&self, index: u32) -> Option<Occurrence> {
        let tz = self.tz()?;
        let local_start = self.local_start_in_series(index)?;
        let local_end = local_start.checked_add_days(Days::new(u64::from(self.duration_days)))?;
        Some(Occurrence { index, start: to_utc(tz, local_start), end: to_utc(tz, local_end) })
    }

    /// The first `n` occurrences that exist.
    pub fn next_occurrences(&self, from_index: u32, n: usize) -> Vec<Occurrence> {
        (from_index..).map_while(|i| self.occurrence(i)).take(n).collect()
    }

    /// What is due at `now`, given how many occurrences were already created (opened, missed or
    /// cancelled). Running it twice with the same inputs gives the same answer, and once the
    /// caller records the result, the next run returns nothing new.
    pub fn due(&self, created: u32, now: DateTime<Utc>) -> Due {
        let mut due = Due::default();
        let mut index = created;
        while let Some(occurrence) = self.occurrence(index) {
            if occurrence.start > now {
                break;
            }
            if occurrence.end <= now {
                due.missed.push(occurrence);
            } else {
                due.open = Some(occurrence);
                break;
            }
            index += 1;
        }
        due
    }
}

/// The calendar quarter (1–4) of a local date, for naming quarterly campaigns.
pub fn quarter(date: NaiveDate) -> u32 {
    (date.month() - 1) / 3 + 1
}

#[cfg(test)]
mod tests;
