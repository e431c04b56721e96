//! The auditor's sample and trace: a reproducible draw of a campaign's items
//! (`recert_domain::sample`, the seed printed so anyone draws it again) and a trace sheet per
//! item, written as one PDF: the sealed raw Graph page and the offset the item was read from,
//! with the page's SHA-256, its routing and reroutes, every decision, the removal's request and
//! response ids, and every verification — all read from the store as a binder cut now would be.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use recert_domain::authority::Action;
use recert_evidence::model::Binder;
use recert_evidence::{SourcePage, TraceSample, TraceSheet};
use recert_store::Store;
use recert_store::campaigns::RawPageRecord;
use recert_store::remediation::ActionRecord;
use sha2::Digest;

use crate::dto::SampleDto;
use crate::evidence::{GENERATOR, utc};
use crate::{App, AppError, ErrorCode};

/// Where each wanted source id sits in the sealed pages: page number (from 1) and offset.
fn locate(pages: &[RawPageRecord], wanted: &HashSet<String>) -> HashMap<String, SourcePage> {
    let mut found = HashMap::new();
    let id_of = |v: &serde_json::Value| {
        ["id", "name"]
            .iter()
            .filter_map(|k| v[*k].as_str())
            .map(str::to_ascii_lowercase)
            .find(|id| wanted.contains(id))
    };
    for (n, page) in pages.iter().enumerate() {
        let Ok(body) = serde_json::from_slice::<serde_json::Value>(&page.body) else { continue };
        let source = |offset: String| SourcePage {
            page: n as u32 + 1,
            method: page.method.clone(),
            url: page.url.clone(),
            offset,
            sha256: hex::encode(sha2::Sha256::digest(&page.body)),
            bytes: page.body.len() as u64,
        };
        let mut note = |values: &serde_json::Value, prefix: &str| {
            for (i, v) in values.as_array().into_iter().flatten().enumerate() {
                if let Some(id) = id_of(v) {
                    found.entry(id).or_insert_with(|| source(format!("{prefix}value[{i}]")));
                }
            }
        };
        note(&body["value"], "");
        for (r, response) in body["responses"].as_array().into_iter().flatten().enumerate() {
            note(&response["body"]["value"], &format!("responses[{r}].body."));
        }
    }
    found
}

fn removal_lines(a: &ActionRecord) -> Vec<(String, String)> {
    let mut lines = vec![
        ("Action".to_string(), format!("{} ({})", a.why, a.endpoint)),
        ("Request key".to_string(), a.idempotency_key.clone()),
        ("Request sent".to_string(), a.request_body.clone()),
        ("Response (request id)".to_string(), a.request_id.clone().unwrap_or_else(|| "—".into())),
        ("Response status".to_string(), a.request_status.clone().unwrap_or_else(|| "—".into())),
        ("Journal state".to_string(), a.state.as_str().to_string()),
        ("Attempts".to_string(), a.attempts.to_string()),
    ];
    if let Some(at) = a.submitted_at {
        lines.push(("Submitted at".into(), utc(at)));
    }
    if let Some(err) = &a.last_error {
        lines.push(("Last error".into(), err.clone()));
    }
    if let Some(kept) = &a.kept {
        lines.push((
            "Kept".into(),
            format!("by {} on {}: {}", kept.by_upn, utc(kept.at), kept.reason),
        ));
    }
    lines
}

/// One sheet per drawn item, from the binder as of now and the store's journal and pages.
/// (The binder model has no source ids: `sources` gives the drawn items'.)
fn sheets(
    binder: &Binder,
    drawn: &[u32],
    sources: &HashMap<u32, String>,
    pages: &[RawPageRecord],
    actions: &[ActionRecord],
) -> Vec<TraceSheet> {
    let source_of = |id: u32| sources.get(&id).map_or("", String::as_str);
    let items: HashMap<u32, &recert_evidence::model::Item> =
        binder.items.iter().map(|i| (i.id, i)).collect();
    let wanted: HashSet<String> = drawn
        .iter()
        .filter_map(|id| items.get(id))
        .map(|i| source_of(i.id).to_ascii_lowercase())
        .collect();
    let located = locate(pages, &wanted);
    drawn
        .iter()
        .filter_map(|id| items.get(id))
        .map(|i| {
            let source = source_of(i.id);
            let routing = if i.reviewers.is_empty() {
                Vec::new()
            } else {
                i.reviewers
                    .iter()
                    .map(|r| {
                        match binder.reroutes.iter().find(|x| x.item_id == i.id && &x.reviewer == r)
                        {
                            Some(x) => format!("{r} — rerouted: {}", x.reason),
                            None => format!("{r} — routed by the definition's reviewer rule"),
                        }
                    })
                    .collect()
            };
            let decisions = binder
                .decision_history
                .iter()
                .filter(|d| d.item_id == i.id)
                .map(|d| {
                    format!(
                        "{} · {} (for {}) · {} · {:?} · {}{}",
                        d.at,
                        d.by_upn,
                        d.reviewer,
                        d.verdict,
                        d.justification,
                        d.identity,
                        if d.stands { "" } else { " · replaced later" }
                    )
                })
                .collect();
            let action = actions.iter().find(|a| a.item_id == i.id);
            let entry = binder.remediation.iter().find(|r| r.item_id == i.id);
            let verifications = entry
                .map(|e| e.history.iter().map(|v| format!("{} · {}", v.at, v.result)).collect())
                .unwrap_or_default();
            TraceSheet {
                item_id: i.id,
                principal: i.principal_name.clone(),
                principal_upn: i.principal_upn.clone(),
                principal_id: i.principal_id.clone(),
                role: i.role.clone(),
                scope: i.scope.clone(),
                surface: i.surface.clone(),
                kind: i.kind.clone(),
                membership: i.membership.clone(),
                source_id: source.to_string(),
                source: located.get(&source.to_ascii_lowercase()).cloned(),
                routing,
                decisions,
                recommendation: format!("{} — {}", i.recommendation, i.recommendation_reason),
                outcome: format!("{} — {}", i.outcome, i.outcome_reason),
                removal: action.map(removal_lines).unwrap_or_default(),
                verifications,
                exception: binder
                    .exceptions
                    .iter()
                    .find(|e| e.item_id == i.id)
                    .map(|e| e.reason.clone())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

impl App {
    /// Draws `size` items of the campaign with `seed` (a new one from the clock when none is
    /// given; it is returned so anyone draws the same sample again) and writes their trace
    /// sheets to `pdf`.
    pub async fn evidence_sample(
        &self,
        campaign_id: &str,
        size: u32,
        seed: Option<u64>,
        pdf: PathBuf,
    ) -> Result<SampleDto, AppError> {
        if size == 0 {
            return Err(AppError::new(ErrorCode::Invalid, "a sample needs at least one item"));
        }
        let now = self.now();
        let seed = seed.unwrap_or_else(|| now.timestamp_micros().unsigned_abs());
        let id = campaign_id.to_string();
        let app = self.clone();
        let trace = self
            .with_store(move |store| {
                let tenant = crate::campaigns::tenant_of(&store.campaign(&id)?)?;
                app.authorize(store, &tenant, Action::Export)?;
                trace_of(store, &id, size, seed, now)
            })
            .await?;
        let bytes = tokio::task::spawn_blocking(move || {
            recert_evidence::trace_pdf(&trace).map(|b| (b, trace))
        })
        .await
        .map_err(|err| AppError::new(ErrorCode::Export, format!("the trace task failed: {err}")))?
        .map_err(|err| AppError::new(ErrorCode::Export, err.to_string()))?;
        let (bytes, trace) = bytes;
        if let Some(dir) = pdf.parent() {
            std::fs::create_dir_all(dir).map_err(|err| {
                AppError::new(ErrorCode::Export, format!("cannot create {}: {err}", dir.display()))
            })?;
        }
        std::fs::write(&pdf, &bytes).map_err(|err| {
            AppError::new(ErrorCode::Export, format!("cannot write {}: {err}", pdf.display()))
        })?;
        Ok(SampleDto {
            campaign_id: trace.campaign_id,
            seed: seed.to_string(),
            size: trace.sheets.len() as u32,
            population: trace.population,
            items: trace.sheets.iter().map(|s| s.item_id).collect(),
            page_sha256: trace
                .sheets
                .iter()
                .map(|s| s.source.as_ref().map(|p| p.sha256.clone()).unwrap_or_default())
                .collect(),
            path: pdf.display().to_string(),
            sha256: hex::encode(sha2::Sha256::digest(&bytes)),
        })
    }
}

fn trace_of(
    store: &Store,
    campaign_id: &str,
    size: u32,
    seed: u64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<TraceSample, AppError> {
    let head = store.audit_head_seq()?;
    let binder = crate::evidence::build_binder(store, campaign_id, now, head)?;
    let ids: Vec<u32> = binder.items.iter().map(|i| i.id).collect();
    let drawn = recert_domain::sample::draw(&ids, size as usize, seed);
    let sources: HashMap<u32, String> =
        store.items(campaign_id, &drawn)?.into_iter().map(|i| (i.id, i.source_id)).collect();
    let pages = store.snapshot_pages(campaign_id)?;
    let actions = store.remediation_actions(campaign_id)?;
    let sheets = sheets(&binder, &drawn, &sources, &pages, &actions);
    Ok(TraceSample {
        campaign_id: binder.campaign.id.clone(),
        campaign_name: binder.campaign.name.clone(),
        tenant: format!("{} ({})", binder.campaign.tenant_name, binder.campaign.tenant_id),
        seed,
        size,
        population: ids.len() as u32,
        generated_at: utc(now),
        generator: GENERATOR.into(),
        raw_sha256: binder.population.raw_sha256.clone(),
        sheets,
    })
}
