//! One conversion between each domain enum and the text its column holds, for every read and write.

use chrono::{DateTime, Utc};
use recert_domain::campaign::CampaignState;
use recert_domain::remediation::change::{Change, FirstStep};
use recert_domain::remediation::{ActionState, Verification};
use recert_domain::review::{DecisionSource, Outcome, Verdict};
use recert_domain::{AssignmentKind, Membership, Surface, UserType};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

/// A domain value kept in a column as its stable name.
pub trait StoredName: Sized + Copy {
    /// What a value of it is called when a stored one is not valid.
    const WHAT: &'static str;
    fn name(self) -> &'static str;
    fn from_name(name: &str) -> Option<Self>;
}

/// A column holding a [`StoredName`]: read with `row.get::<_, Named<Surface>>(i)?.0`, bound as a
/// parameter as its name. A stored text that names no value is an error, never a default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Named<T>(pub T);

impl<T: StoredName> FromSql for Named<T> {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        T::from_name(text)
            .map(Named)
            .ok_or_else(|| FromSqlError::Other(format!("{text:?} is not a {}", T::WHAT).into()))
    }
}

impl<T: StoredName> ToSql for Named<T> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Text(self.0.name().as_bytes())))
    }
}

/// A time column: RFC 3339 UTC text as [`crate::format_time`] writes it, read back into a
/// `DateTime<Utc>`. A text that is no time is an error naming it, never a default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Time(pub DateTime<Utc>);

impl FromSql for Time {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        DateTime::parse_from_rfc3339(text)
            .map(|t| Time(t.with_timezone(&Utc)))
            .map_err(|_| FromSqlError::Other(format!("{text:?} is not a time").into()))
    }
}

impl ToSql for Time {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(crate::format_time(self.0)))
    }
}

/// Reads an optional time column: `NULL` is `None`.
pub(crate) fn time(value: Option<Time>) -> Option<DateTime<Utc>> {
    value.map(|Time(t)| t)
}

/// Reads an optional named column: `NULL` is `None`.
pub(crate) fn optional<T>(value: Option<Named<T>>) -> Option<T> {
    value.map(|Named(v)| v)
}

macro_rules! stored_name {
    ($ty:ty, $what:literal) => {
        impl StoredName for $ty {
            const WHAT: &'static str = $what;
            fn name(self) -> &'static str {
                self.as_str()
            }
            fn from_name(name: &str) -> Option<Self> {
                <$ty>::parse(name)
            }
        }
    };
}

stored_name!(CampaignState, "campaign state");
stored_name!(Surface, "surface");
stored_name!(AssignmentKind, "assignment kind");
stored_name!(Membership, "membership");
stored_name!(UserType, "user type");
stored_name!(Outcome, "outcome");
stored_name!(DecisionSource, "decision source");
stored_name!(ActionState, "removal state");
stored_name!(Verification, "verification");
stored_name!(Change, "change");
stored_name!(FirstStep, "first step");

/// A verdict is stored as its name, with the date of "approve until" in a column beside it;
/// read back from the two joined (`approveUntil:2027-06-30`), never from loose spellings.
impl FromSql for Named<Verdict> {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        let (name, until) = match text.split_once(':') {
            Some((name, date)) => (name, Some(date)),
            None => (text, None),
        };
        let fixed =
            [Verdict::Approve, Verdict::Deny, Verdict::DontKnow, Verdict::ConvertToEligible];
        let verdict = match until {
            Some(date) if name == "approveUntil" => {
                chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok().map(Verdict::ApproveUntil)
            }
            Some(_) => None,
            None => fixed.into_iter().find(|v| v.as_str() == name),
        };
        verdict
            .map(Named)
            .ok_or_else(|| FromSqlError::Other(format!("{text:?} is not a verdict").into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_and_a_stranger_is_refused() {
        let conn = rusqlite::Connection::open_in_memory().expect("memory database");
        for surface in Surface::ALL {
            let back: Named<Surface> =
                conn.query_row("SELECT ?1", [Named(surface)], |r| r.get(0)).expect("reads back");
            assert_eq!(back.0, surface);
        }
        let stranger =
            conn.query_row("SELECT 'directoryrole'", [], |r| r.get::<_, Named<Surface>>(0));
        assert!(
            stranger
                .expect_err("refused")
                .to_string()
                .contains("\"directoryrole\" is not a surface")
        );
        let until: Named<Verdict> = conn
            .query_row("SELECT 'approveUntil:2027-06-30'", [], |r| r.get(0))
            .expect("reads back");
        assert_eq!(until.0.until().expect("a date").to_string(), "2027-06-30");
        let at: Time = conn
            .query_row("SELECT ?1", [Time(DateTime::<Utc>::UNIX_EPOCH)], |r| r.get(0))
            .expect("reads back");
        assert_eq!(at.0, DateTime::<Utc>::UNIX_EPOCH);
        assert!(conn.query_row("SELECT 'yesterday'", [], |r| r.get::<_, Time>(0)).is_err());
        for loose in ["keep", "approveUntil", "approve:2027-06-30", "approveUntil:someday"] {
            let read =
                conn.query_row(&format!("SELECT '{loose}'"), [], |r| r.get::<_, Named<Verdict>>(0));
            assert!(read.is_err(), "{loose} was read as a verdict");
        }
    }
}
