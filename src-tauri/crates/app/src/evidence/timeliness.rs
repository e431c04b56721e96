//! The binder's timeliness: the campaign's moments as of the cut against its schedule's window,
//! the remediation deadline and the cadence of the definition's campaigns, said in words.

use chrono::{DateTime, Duration, Utc};
use recert_domain::campaign::CampaignDefinition;
use recert_domain::findings::Milestones;
use recert_evidence::model::Timeliness;
use recert_store::Store;
use recert_store::campaigns::CampaignRecord;

use super::{opt, utc};
use crate::AppError;
use crate::campaigns::dto::DefinitionDto;
use crate::record::CampaignAsOf;

/// The campaign's moments as of the cut, and the schedule's window it is measured against.
pub(super) struct Schedule {
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub deadline: Option<DateTime<Utc>>,
}

/// A span in whole days, rounded up.
fn days(d: Duration) -> String {
    let n = d.num_hours().unsigned_abs().div_ceil(24);
    format!("{n} day{}", if n == 1 { "" } else { "s" })
}

impl Schedule {
    pub(super) fn of(
        campaign: &CampaignRecord,
        rules: &CampaignDefinition,
        definition: &DefinitionDto,
        as_of: &CampaignAsOf,
    ) -> Schedule {
        let parse = |at: &Option<String>| -> Option<DateTime<Utc>> {
            at.as_deref()
                .and_then(|a| DateTime::parse_from_rfc3339(a).ok())
                .map(|t| t.with_timezone(&Utc))
        };
        let closed_at = parse(&as_of.closed_at);
        // The schedule's window for this occurrence: what the campaign is measured against.
        let (window_start, window_end) = rules
            .schedule
            .occurrence(campaign.occurrence)
            .map(|o| (o.start, o.end))
            .unwrap_or((campaign.period_start, campaign.period_end));
        Schedule {
            window_start,
            window_end,
            opened_at: parse(&as_of.opened_at),
            closed_at,
            completed_at: parse(&as_of.completed_at),
            deadline: closed_at.map(|c| {
                c + Duration::days(i64::from(definition.settings.remediation_deadline_days))
            }),
        }
    }

    /// What the domain's findings measure lateness against.
    pub(super) fn milestones(&self, as_of: DateTime<Utc>) -> Milestones {
        Milestones {
            window_end: self.window_end,
            closed_at: self.closed_at,
            remediation_deadline: self.deadline,
            remediation_done_at: self.completed_at,
            as_of,
        }
    }

    /// The timeliness section: the moments, and notes on each against the schedule.
    pub(super) fn timeliness(
        &self,
        store: &Store,
        campaign: &CampaignRecord,
        rules: &CampaignDefinition,
        as_of: &CampaignAsOf,
        generated_at: DateTime<Utc>,
    ) -> Result<Timeliness, AppError> {
        let mut notes = Vec::new();
        if self.window_start != campaign.period_start || self.window_end != campaign.period_end {
            notes.push(format!(
                "the campaign's period ({} – {}) differs from its schedule's window",
                utc(campaign.period_start),
                utc(campaign.period_end)
            ));
        }
        self.opening_and_closing(as_of, &mut notes);
        match (self.completed_at, self.deadline) {
            (Some(done), Some(deadline)) if done > deadline => notes
                .push(format!("remediation finished {} after its deadline", days(done - deadline))),
            (Some(_), Some(_)) => notes.push("remediation finished by its deadline".into()),
            (None, Some(deadline)) if generated_at > deadline => notes.push(format!(
                "remediation not finished {} after its deadline",
                days(generated_at - deadline)
            )),
            _ => {}
        }
        if let Some(cadence) = self.cadence(store, campaign, rules)? {
            notes.push(cadence);
        }
        if let Some(reason) =
            as_of.state_reason.as_ref().filter(|r| Some(*r) != as_of.close_reason.as_ref())
        {
            notes.push(reason.clone());
        }
        Ok(Timeliness {
            scheduled_start: utc(self.window_start),
            scheduled_end: utc(self.window_end),
            opened_at: opt(self.opened_at),
            closed_at: opt(self.closed_at),
            remediation_deadline: opt(self.deadline),
            remediation_done_at: opt(self.completed_at),
            notes,
        })
    }

    /// When the campaign opened and closed against the schedule's window, and who closed it.
    fn opening_and_closing(&self, as_of: &CampaignAsOf, notes: &mut Vec<String>) {
        let (window_start, window_end) = (self.window_start, self.window_end);
        match self.opened_at {
            Some(opened) if opened - window_start > Duration::hours(24) => notes.push(format!(
                "opened {} after the schedule's window began",
                days(opened - window_start)
            )),
            Some(opened) if opened < window_start => notes.push(format!(
                "opened {} before the schedule's window began",
                days(window_start - opened)
            )),
            Some(_) => notes.push("opened on schedule".into()),
            None => notes.push("never opened".into()),
        }
        if let Some(closed) = self.closed_at {
            let by = as_of.closed_by.as_deref().unwrap_or("an unknown actor");
            let why = as_of
                .close_reason
                .as_deref()
                .filter(|r| !r.trim().is_empty())
                .map_or_else(|| "no reason was given".to_string(), |r| format!("reason: {r}"));
            notes.push(if closed < window_end {
                format!(
                    "closed early, {} before the end of the review window, by {by}; {why}",
                    days(window_end - closed)
                )
            } else if closed - window_end > Duration::hours(24) {
                format!(
                    "closed {} after the end of the review window, by {by}",
                    days(closed - window_end)
                )
            } else {
                format!("closed on schedule, by {by}")
            });
        } else {
            notes.push("still open".into());
        }
    }

    /// Cadence: the previous campaign of the same definition, against the recurrence.
    fn cadence(
        &self,
        store: &Store,
        campaign: &CampaignRecord,
        rules: &CampaignDefinition,
    ) -> Result<Option<String>, AppError> {
        let (Some(opened), Some(months)) = (self.opened_at, rules.schedule.recurrence.months())
        else {
            return Ok(None);
        };
        let previous = store
            .campaigns(Some(&campaign.definition_id))?
            .into_iter()
            .filter(|c| c.occurrence < campaign.occurrence)
            .filter_map(|c| c.opened_at.map(|at| (c.occurrence, at, c.name)))
            .max_by_key(|(occurrence, _, _)| *occurrence);
        Ok(Some(match previous {
            Some((_, at, name)) => format!(
                "opened {} after the previous campaign of this definition ({name}, opened {}); the \
                 schedule asks for one every {months} month{}",
                days(opened - at),
                utc(at),
                if months == 1 { "" } else { "s" }
            ),
            None => "the first campaign of this definition that opened".into(),
        }))
    }
}
