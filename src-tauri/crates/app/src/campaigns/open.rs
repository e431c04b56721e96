//! Opening a campaign: pull the population, seal it as the snapshot, select what is in scope,
//! route each item to its reviewers (keeping reviewers independent: no self-review, directly or
//! through a group, no reciprocal pairs, conflicts flagged) and compute its recommendation — then
//! store it all at once. A scope the pull could not read completely opens only with the gap
//! accepted by a governance admin, with a reason (recert-domain's gap.rs). Also the lookups that decisions need (principals by UPN, group
//! memberships) and CSV import.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};
use recert_domain::campaign::{CampaignDefinition, CampaignState};
use recert_domain::gap::{OpenRefusal, blocking, check_open};
use recert_domain::history::recorded_since;
use recert_domain::review::Verdict;
use recert_domain::routing::Separation;
use recert_domain::schedule::{Occurrence, Recurrence, quarter};
use recert_domain::worklist::{Derived, Sources};
use recert_domain::{Principal, PrincipalKind};
use recert_store::Store;
use recert_store::campaigns::{CampaignRecord, DefinitionRecord, GapAcceptance, NewSnapshot};

use super::campaign_dto;
use super::dto::{CampaignDto, DefinitionDto, ReviewerDto};
use crate::authority::Acting;
use crate::{App, AppError, ErrorCode};

/// The principals of a tenant as last pulled, by object id. Holders the directory pull did not
/// resolve (deleted since, or outside the tenant) are added from their assignments, so no item
/// loses its holder's name.
pub(crate) fn directory(
    store: &Store,
    tenant_id: &str,
) -> Result<HashMap<String, Principal>, AppError> {
    let mut out: HashMap<String, Principal> =
        store.principals(tenant_id)?.into_iter().map(|p| (p.id.clone(), p)).collect();
    let Some(population) = store.population(tenant_id)? else { return Ok(out) };
    for a in population.assignments {
        out.entry(a.principal_id.clone()).or_insert_with(|| a.named_holder());
    }
    Ok(out)
}

/// The latest activation per (principal, role), from the latest pull and the whole recorded
/// history; a group's is the latest of its members'.
fn last_activations(
    store: &Store,
    tenant_id: &str,
) -> Result<HashMap<(String, String), DateTime<Utc>>, AppError> {
    let mut latest: HashMap<(String, String), DateTime<Utc>> = HashMap::new();
    let recorded = store.recorded_activations(tenant_id)?.into_iter().map(|r| r.activation);
    for a in store.activations(tenant_id)?.into_iter().chain(recorded) {
        let key = (a.principal_id, a.role_id);
        let slot = latest.entry(key).or_insert(a.at);
        if a.at > *slot {
            *slot = a.at;
        }
    }
    let mut by_group: Vec<((String, String), DateTime<Utc>)> = Vec::new();
    let members = store.group_members(tenant_id)?;
    for ((principal, role), at) in &latest {
        for m in members.iter().filter(|m| &m.member_id == principal) {
            by_group.push(((m.group_id.clone(), role.clone()), *at));
        }
    }
    for (key, at) in by_group {
        let slot = latest.entry(key).or_insert(at);
        if at > *slot {
            *slot = at;
        }
    }
    Ok(latest)
}

pub(crate) fn principal_by_upn(
    store: &Store,
    tenant_id: &str,
    upn: &str,
) -> Result<Option<Principal>, AppError> {
    let wanted = upn.trim().to_lowercase();
    Ok(directory(store, tenant_id)?.into_values().find(|p| {
        p.id.eq_ignore_ascii_case(&wanted)
            || p.upn.as_deref().is_some_and(|u| u.to_lowercase() == wanted)
    }))
}

/// Resolves every reviewer named in a definition from the tenant as last pulled: the object id
/// and name come from the directory, never from the caller (by UPN, or by object id when no UPN
/// is given), or the field says who cannot be found.
pub(crate) fn resolve_reviewers(store: &Store, dto: &mut DefinitionDto) -> Result<(), AppError> {
    let mut missing = Vec::new();
    let tenant_id = dto.tenant_id.clone();
    let mut fill = |field: &'static str, reviewer: &mut ReviewerDto| -> Result<(), AppError> {
        let key =
            if reviewer.upn.trim().is_empty() { reviewer.id.clone() } else { reviewer.upn.clone() };
        match principal_by_upn(store, &tenant_id, &key)? {
            Some(p) if p.kind == PrincipalKind::User => {
                reviewer.id = p.id;
                reviewer.upn = p.upn.unwrap_or(key);
                reviewer.display_name = p.display_name;
            }
            _ => missing.push(crate::error::FieldErrorDto {
                field: field.to_string(),
                message: format!(
                    "no user {:?} in the tenant (pull it first, or check the spelling)",
                    key
                ),
            }),
        }
        Ok(())
    };
    for reviewer in &mut dto.reviewers.fallback {
        fill("reviewers.fallback", reviewer)?;
    }
    for reviewer in &mut dto.reviewers.named {
        fill("reviewers.named", reviewer)?;
    }
    for stage in &mut dto.stages {
        for reviewer in &mut stage.named {
            fill("stages.named", reviewer)?;
        }
        for reviewer in &mut stage.fallback {
            fill("stages.fallback", reviewer)?;
        }
        for role in &mut stage.role_owners {
            for reviewer in &mut role.owners {
                fill("stages.roleOwners", reviewer)?;
            }
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        let summary = missing.iter().map(|m| m.message.clone()).collect::<Vec<_>>().join("; ");
        Err(AppError::fields(format!("the campaign definition is not valid: {summary}"), missing))
    }
}

/// What separation of duties knows of the tenant as last pulled: the transitive members of each
/// role-holding group, and who holds each role (directly or through a group).
pub(crate) fn separation(store: &Store, tenant_id: &str) -> Result<Separation, AppError> {
    let mut s = Separation::default();
    for m in store.group_members(tenant_id)? {
        s.members
            .entry(m.group_id.to_ascii_lowercase())
            .or_default()
            .insert(m.member_id.to_ascii_lowercase());
    }
    if let Some(population) = store.population(tenant_id)? {
        for a in population.assignments {
            let holders = s.holders.entry(a.role_id.to_ascii_lowercase()).or_default();
            holders.insert(a.principal_id.to_ascii_lowercase());
            if let Some(members) = s.members.get(&a.principal_id.to_ascii_lowercase()) {
                holders.extend(members.iter().cloned());
            }
        }
    }
    Ok(s)
}

/// A reviewer's object id from the campaign's own reviewer list.
pub(crate) fn reviewer_id_by_upn(
    store: &Store,
    campaign_id: &str,
    upn: &str,
) -> Result<Option<String>, AppError> {
    Ok(store.reviewer_id(campaign_id, upn)?)
}

/// `item,decision,justification` lines (header row first; `decision` is approve or deny).
pub(crate) fn parse_decisions_csv(text: &str) -> Result<Vec<(u32, Verdict, String)>, AppError> {
    let mut reader =
        csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|err| {
            AppError::new(ErrorCode::Invalid, format!("line 1: cannot read the header: {err}"))
        })?
        .clone();
    let column = |names: &[&str]| {
        headers.iter().position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let (Some(item_col), Some(decision_col)) =
        (column(&["item", "id", "itemId"]), column(&["decision", "verdict"]))
    else {
        return Err(AppError::new(
            ErrorCode::Invalid,
            "line 1: the header needs an `item` and a `decision` column",
        ));
    };
    let justification_col = column(&["justification", "reason", "comment"]);
    // "approveUntil" with its date in a column of its own, or written in the decision itself
    // (`approveUntil:2027-06-30`).
    let until_col = column(&["until", "endDate", "keepUntil"]);
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = match record {
            Ok(r) => r,
            Err(err) => {
                problems.push(format!("line {line}: {err}"));
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        let item = record.get(item_col).unwrap_or_default();
        let decision = record.get(decision_col).unwrap_or_default();
        let justification =
            justification_col.and_then(|c| record.get(c)).unwrap_or_default().to_string();
        let until = until_col.and_then(|c| record.get(c)).unwrap_or_default();
        let verdict = match Verdict::parse(decision) {
            None if !until.is_empty() => Verdict::parse(&format!("{decision}:{until}")),
            parsed => parsed,
        };
        match (item.parse::<u32>(), verdict) {
            (Ok(item), Some(verdict)) => out.push((item, verdict, justification)),
            (Err(_), _) => problems.push(format!("line {line}: {item:?} is not an item number")),
            (_, None) => problems.push(format!(
                "line {line}: {decision:?} is not approve, deny, dontKnow, convertToEligible or \
                 approveUntil with a date (YYYY-MM-DD)"
            )),
        }
    }
    if !problems.is_empty() {
        return Err(AppError::new(
            ErrorCode::Invalid,
            format!("nothing was imported: {}", problems.join("; ")),
        ));
    }
    if out.is_empty() {
        return Err(AppError::new(ErrorCode::Invalid, "the file has no decisions"));
    }
    Ok(out)
}

/// The name of the campaign of window `index`: the definition's name and the window's period, from
/// the window's scheduled start — so a campaign opened early ("Open now") is named after the
/// window it takes, as the window says beforehand; `start` where the schedule has no such window.
pub(crate) fn campaign_name(
    definition: &CampaignDefinition,
    index: u32,
    start: chrono::DateTime<chrono::Utc>,
) -> String {
    let start = definition.schedule.occurrence(index).map_or(start, |o| o.start);
    let local = definition
        .schedule
        .tz()
        .map(|tz| start.with_timezone(&tz).date_naive())
        .unwrap_or_else(|| start.date_naive());
    let period = match definition.schedule.recurrence {
        Recurrence::Quarterly => format!("Q{} {}", quarter(local), local.year()),
        Recurrence::Monthly => local.format("%B %Y").to_string(),
        Recurrence::SemiAnnual => {
            format!("H{} {}", if local.month() <= 6 { 1 } else { 2 }, local.year())
        }
        Recurrence::Annual => local.year().to_string(),
        Recurrence::None => local.format("%Y-%m-%d").to_string(),
    };
    format!("{} — {period}", definition.name)
}

/// The campaign row for an occurrence, named after its window's period.
pub(crate) fn campaign_record(
    record: &DefinitionRecord,
    definition: &CampaignDefinition,
    occurrence: &Occurrence,
    reason: Option<String>,
) -> CampaignRecord {
    CampaignRecord {
        id: format!("{}-{}", record.id, occurrence.index + 1),
        definition_id: record.id.clone(),
        occurrence: occurrence.index,
        name: campaign_name(definition, occurrence.index, occurrence.start),
        state: CampaignState::Scheduled,
        state_reason: reason,
        period_start: occurrence.start,
        period_end: occurrence.end,
        definition: record.definition.clone(),
        opened_at: None,
        closed_at: None,
        completed_at: None,
    }
}

/// The request URL without paging tokens: the endpoint and filters a reader can re-run.
fn endpoint(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            let kept: Vec<(String, String)> = parsed
                .query_pairs()
                .filter(|(k, _)| {
                    !k.eq_ignore_ascii_case("$skiptoken") && !k.eq_ignore_ascii_case("$skip")
                })
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            parsed.set_query(None);
            let path = parsed.path().to_string();
            if kept.is_empty() {
                path
            } else {
                format!(
                    "{path}?{}",
                    kept.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
                )
            }
        }
        Err(_) => url.to_string(),
    }
}

impl App {
    /// Pulls, seals and creates the campaign for one occurrence, open from now. When the pull
    /// could not read part of the scope, the campaign opens only with `accept_gap` (a reason, given
    /// by someone already authorized to accept gaps); otherwise nothing is opened and the error
    /// says what was not read. The pull itself is kept either way, gaps and all.
    pub(crate) async fn open_occurrence(
        &self,
        record: &DefinitionRecord,
        definition: &CampaignDefinition,
        occurrence: Occurrence,
        acting: &Acting,
        accept_gap: Option<&str>,
    ) -> Result<CampaignDto, AppError> {
        let tenant_id = record.tenant_id.clone();
        let (pull, pages) = self.pull_population(&tenant_id, &acting.label).await?;
        let now = self.now();
        let campaign = campaign_record(record, definition, &occurrence, None);
        let definition = definition.clone();
        let actor = acting.label.clone();
        let accept_gap = accept_gap.map(str::to_string);
        let (definition_id, occurrence_index) = (record.id.clone(), occurrence.index);
        self.with_store(move |store| {
            // Exceptions of earlier campaigns of this definition: an expired one brings its access
            // back for review, even past the scope's exclusions.
            let past = crate::exceptions::past_exceptions(store, &definition_id, occurrence_index)?;
            let gaps = store.pull_gaps(&tenant_id)?;
            let holes = blocking(&gaps, &definition.scope.surfaces);
            let accepted = check_open(&holes, accept_gap.as_deref()).map_err(|refusal| {
                let code = match refusal {
                    OpenRefusal::GapsNotAccepted(_) => ErrorCode::GapNotAccepted,
                    OpenRefusal::ReasonRequired => ErrorCode::Invalid,
                };
                AppError::new(code, refusal.to_string())
            })?;
            let gap_accepted = accepted.map(|reason| GapAcceptance {
                gaps: holes.iter().map(|g| g.describe()).collect(),
                reason,
            });
            let separation = separation(store, &tenant_id)?;
            let population = store.population(&tenant_id)?.ok_or_else(|| {
                AppError::new(ErrorCode::NotPulled, "the pull stored no population")
            })?;
            let directory = directory(store, &tenant_id)?;
            let activations = last_activations(store, &tenant_id)?;
            // Where the recorded history starts, for the surfaces it speaks for.
            let history_since = recorded_since(&store.activation_reads(&tenant_id)?);
            let derived = Sources {
                definition: &definition,
                past: &past,
                directory: &directory,
                separation: &separation,
                activations: &activations,
                history_since,
                now,
            }
            .derive(&population.roles, &population.assignments);
            let Derived { items, counts, excluded: excluded_names, returning } = derived;
            let returning: Vec<_> = returning
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "principal": r.principal,
                        "role": r.role,
                        "campaign": r.campaign,
                        "item": r.item,
                        "expiredOn": r.expired_on.map(|d| d.to_string()),
                    })
                })
                .collect();
            let endpoints =
                endpoint_summary(pages.iter().map(|p| (p.method.as_str(), p.url.as_str())));
            let snapshot_record = serde_json::json!({
                "endpoints": endpoints,
                "pulledBy": actor,
                "pull": pull,
                "roles": counts.iter().map(|((surface, role), (e, a, scope))| serde_json::json!({
                    "surface": surface, "role": role, "eligible": e, "active": a, "inScope": scope,
                })).collect::<Vec<_>>(),
                "excluded": excluded_names,
                "returningExceptions": returning,
                "gaps": gaps.iter().map(|g| g.describe()).collect::<Vec<_>>(),
                "gapAccepted": gap_accepted.as_ref().map(|a| serde_json::json!({
                    "by": actor, "reason": a.reason, "gaps": a.gaps,
                })),
            });
            let snapshot = NewSnapshot {
                requests: pull.requests,
                raw_sha256: pull.raw_sha256.clone(),
                record: snapshot_record.to_string(),
                pages: pages
                    .into_iter()
                    .map(|p| recert_store::campaigns::RawPageRecord {
                        method: p.method,
                        url: p.url,
                        request_body: p.request_body,
                        body: p.body,
                    })
                    .collect(),
                gap_accepted,
            };
            store.open_campaign(&campaign, &snapshot, &items, &actor, now)?;
            campaign_dto(store, &store.campaign(&campaign.id)?, &tenant_id, now)
        })
        .await
    }
}

/// A quoted id in a filter (`'8424c6f0-…'`) replaced by `{id}`, so per-role requests group; so
/// is an object id in the path (`/users/{id}`, `/groups/{id}/transitiveMembers`), so the
/// per-holder look-ups are one line rather than pages of them. A subscription's id stays: it
/// says which part of Azure was read.
fn templated(endpoint: &str) -> String {
    let (path, query) = endpoint.split_once('?').map_or((endpoint, None), |(p, q)| (p, Some(q)));
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        let is_guid = segment.len() == 36
            && segment.char_indices().all(|(i, c)| {
                if matches!(i, 8 | 13 | 18 | 23) { c == '-' } else { c.is_ascii_hexdigit() }
            });
        let subscription = segments.last().is_some_and(|s| s.eq_ignore_ascii_case("subscriptions"));
        segments.push(if is_guid && !subscription { "{id}" } else { segment });
    }
    let path = segments.join("/");
    let endpoint = match query {
        Some(query) => format!("{path}?{query}"),
        None => path,
    };
    let mut out = String::with_capacity(endpoint.len());
    let mut rest = endpoint.as_str();
    while let Some(open) = rest.find('\'') {
        let Some(close) = rest[open + 1..].find('\'') else { break };
        let inner = &rest[open + 1..open + 1 + close];
        out.push_str(&rest[..open]);
        let looks_like_id = inner.len() >= 8
            && inner.chars().all(|c| c.is_ascii_hexdigit() || c == '-' || c == '/');
        out.push_str(if looks_like_id { "'{id}'" } else { &rest[open..open + close + 2] });
        rest = &rest[open + close + 2..];
    }
    out.push_str(rest);
    out
}

/// Each distinct request template with how many requests it stood for, in first-seen order:
/// the endpoints and filters a reader can re-run, without one line per role.
fn endpoint_summary<'a>(requests: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<String> {
    let mut order: Vec<String> = Vec::new();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for (method, url) in requests {
        let key = format!("{method} {}", templated(&endpoint(url)));
        if !counts.contains_key(&key) {
            order.push(key.clone());
        }
        *counts.entry(key).or_default() += 1;
    }
    order
        .into_iter()
        .map(|key| {
            let n = counts[&key];
            if n > 1 { format!("{key}  ({n} requests)") } else { key }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_drop_paging_tokens_only() {
        assert_eq!(
            endpoint("https://h/graph/v1.0/x?$filter=roleDefinitionId eq 'a'&$skiptoken=abc"),
            "/graph/v1.0/x?$filter=roleDefinitionId eq 'a'"
        );
    }

    #[test]
    fn per_role_requests_group_into_one_template() {
        let got = endpoint_summary(
            [
                ("GET", "https://h/graph/v1.0/x?$filter=roleDefinitionId eq '62e90394-69f5-4237-9190-012177145e10'"),
                ("GET", "https://h/graph/v1.0/x?$filter=roleDefinitionId eq '729827e3-9c14-49f7-bb1b-9608f156bbb8'&$skiptoken=a"),
                ("POST", "https://h/graph/v1.0/$batch"),
            ]
            .into_iter(),
        );
        assert_eq!(
            got,
            [
                "GET /graph/v1.0/x?$filter=roleDefinitionId eq '{id}'  (2 requests)",
                "POST /graph/v1.0/$batch"
            ]
        );
    }

    #[test]
    fn per_holder_look_ups_group_and_subscriptions_stay_apart() {
        let got = endpoint_summary(
            [
                ("GET", "https://h/graph/v1.0/users/08232297-ec15-4963-adbd-588ba641ca1c?$select=id"),
                ("GET", "https://h/graph/v1.0/users/09817959-874b-47e5-8a19-db5c8a483995?$select=id"),
                ("GET", "https://h/graph/v1.0/groups/12b7125b-6fab-4558-86d3-628efa846696/transitiveMembers"),
                ("GET", "https://h/arm/subscriptions/0ef0dfae-ffb0-4571-9c6c-c27729384efa/providers/x"),
                ("GET", "https://h/arm/subscriptions/9fa37bad-5570-4537-b22c-290207b630a5/providers/x"),
            ]
            .into_iter(),
        );
        assert_eq!(
            got,
            [
                "GET /graph/v1.0/users/{id}?$select=id  (2 requests)",
                "GET /graph/v1.0/groups/{id}/transitiveMembers",
                "GET /arm/subscriptions/0ef0dfae-ffb0-4571-9c6c-c27729384efa/providers/x",
                "GET /arm/subscriptions/9fa37bad-5570-4537-b22c-290207b630a5/providers/x",
            ]
        );
    }

    #[test]
    fn csv_import_reports_every_bad_line() {
        let err =
            parse_decisions_csv("item,decision,justification\n1,approve,ok\nx,deny,\n3,maybe,\n")
                .expect_err("two bad lines");
        assert!(
            err.message.contains("line 3") && err.message.contains("line 4"),
            "{}",
            err.message
        );
        let ok = parse_decisions_csv("Item,Decision\n1,Approve\n\n2,deny\n").expect("valid");
        assert_eq!(
            ok,
            vec![(1, Verdict::Approve, String::new()), (2, Verdict::Deny, String::new())]
        );
    }
}
