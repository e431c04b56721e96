//! Reading the audit log: filtered pages for the viewer, the kinds of event to filter by, and the
//! chain's verification. Nothing here writes: events are written by the store with each change.

use recert_store::{AuditEvent, AuditFilter, Store};

use crate::dto::{AuditChainDto, AuditEventDto, AuditPageDto, AuditQueryDto};
use crate::{App, AppError, ErrorCode};

/// A page big enough to fill a tall window, small enough to send at once.
const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 500;

fn seq(value: i64) -> Result<u32, AppError> {
    u32::try_from(value).map_err(|_| {
        AppError::new(ErrorCode::Storage, format!("audit event number {value} is out of range"))
    })
}

fn event_dto(store: &Store, event: AuditEvent) -> Result<AuditEventDto, AppError> {
    let (subject_name, item_name) = names(store, &event.subject, &event.payload);
    Ok(AuditEventDto {
        seq: seq(event.seq)?,
        at: event.at,
        actor: event.actor,
        kind: event.kind,
        subject: event.subject,
        details: event.payload,
        hash: event.hash,
        subject_name,
        item_name,
    })
}

/// The names a person reads beside an event's ids: its subject's, and the review item its details
/// name. What no longer exists (or never had a name) stays an id.
fn names(store: &Store, subject: &str, payload: &str) -> (Option<String>, Option<String>) {
    let Some((area, id)) = subject.split_once('/') else { return (None, None) };
    let subject_name = match area {
        "campaign" => store.campaign(id).ok().map(|c| c.name),
        "definition" => store
            .definitions(None)
            .ok()
            .and_then(|all| all.into_iter().find(|d| d.id == id))
            .and_then(|d| crate::campaigns::parse_definition(&d.definition).ok())
            .map(|(dto, _)| dto.name),
        "tenant" => store.tenant(id).ok().map(|t| t.name),
        _ => None,
    };
    let item = serde_json::from_str::<serde_json::Value>(payload)
        .ok()
        .and_then(|p| p.get("item").and_then(serde_json::Value::as_u64))
        .and_then(|n| u32::try_from(n).ok());
    let item_name = match (area, item) {
        ("campaign", Some(item)) => {
            store.items(id, &[item]).ok().and_then(|mut items| items.pop()).map(|i| {
                match &i.principal_upn {
                    Some(upn) => format!("{} ({upn}) · {}", i.principal_name, i.role_name),
                    None => format!("{} · {}", i.principal_name, i.role_name),
                }
            })
        }
        _ => None,
    };
    (subject_name.filter(|n| !n.is_empty() && n != id), item_name)
}

/// Blank fields do not filter: the window sends what its inputs hold.
fn given(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

impl App {
    /// One page of the audit log, newest first, with the number of events that match.
    pub async fn audit_log(&self, query: AuditQueryDto) -> Result<AuditPageDto, AppError> {
        let filter = AuditFilter {
            subject: given(query.campaign_id).map(|id| format!("campaign/{id}")),
            actor: given(query.actor),
            kind: given(query.kind),
            text: given(query.search),
        };
        let limit = match query.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        };
        let offset = query.offset;
        self.with_store(move |store| {
            let page = store.audit_page(&filter, offset, limit)?;
            Ok(AuditPageDto {
                events: page
                    .events
                    .into_iter()
                    .map(|e| event_dto(store, e))
                    .collect::<Result<_, _>>()?,
                total: page.total,
                offset,
            })
        })
        .await
    }

    /// Every kind of event in the log, sorted.
    pub async fn audit_kinds(&self) -> Result<Vec<String>, AppError> {
        self.with_store(|store| Ok(store.audit_kinds()?)).await
    }

    /// Re-hashes the whole log: intact up to its last event, or the first event that breaks it.
    pub async fn audit_chain(&self) -> Result<AuditChainDto, AppError> {
        let verified = self.with_store(|store| Ok(store.verify_chain_head()?)).await?;
        Ok(match verified {
            Ok(head) => AuditChainDto {
                intact: true,
                seq: seq(head.seq)?,
                head_hash: Some(head.hash),
                problem: None,
            },
            Err(broken) => AuditChainDto {
                intact: false,
                seq: seq(broken.seq)?,
                head_hash: None,
                problem: Some(broken.problem),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{DateTime, TimeZone, Utc};
    use recert_domain::campaign::CampaignState;
    use recert_store::campaigns::{CampaignRecord, DefinitionRecord};
    use recert_store::{TenantKind, TenantRecord};

    use super::*;
    use crate::context::lock;
    use crate::remediation::dto::SafetyDto;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 31, 9, 0, 0).single().expect("valid time")
    }

    /// An app whose log holds, oldest first: the tenant, a setting, the definition, then two
    /// missed campaigns (`q1`, `q2`), written through the same store calls the use cases make.
    async fn app_with_a_log() -> App {
        let app = App::open_in_memory(Arc::new(now)).expect("app");
        {
            let mut store = lock(&app.store);
            let tenant = TenantRecord {
                id: "demo".into(),
                name: "Contoso".into(),
                kind: TenantKind::Demo,
                tenant_guid: "g".into(),
            };
            store.upsert_tenant(&tenant, "recert@test", now()).expect("tenant");
        }
        let safety = SafetyDto {
            protected_principals: vec!["breakglass@contoso.com".into()],
            critical_roles: Vec::new(),
            no_critical_roles_because: Some("a test tenant".into()),
        };
        let mut store = lock(&app.store);
        let json = serde_json::to_string(&safety).expect("json");
        store.set_setting("remediation.safety/demo", &json, "recert@test", now()).expect("safety");
        let definition = DefinitionRecord {
            id: "quarterly".into(),
            tenant_id: "demo".into(),
            name: "Quarterly".into(),
            definition: "{}".into(),
            created_at: now(),
            updated_at: now(),
        };
        store.insert_definition(&definition, "adele@contoso.com").expect("definition");
        for (occurrence, id) in [(1, "q1"), (2, "q2")] {
            let campaign = CampaignRecord {
                id: id.into(),
                definition_id: "quarterly".into(),
                occurrence,
                name: format!("Quarterly {id}"),
                state: CampaignState::Missed,
                state_reason: Some("nobody opened it".into()),
                period_start: now(),
                period_end: now(),
                definition: "{}".into(),
                opened_at: None,
                closed_at: None,
                completed_at: None,
            };
            store.record_missed(&campaign, "recert@test", now()).expect("missed");
        }
        drop(store);
        app
    }

    fn query() -> AuditQueryDto {
        AuditQueryDto::default()
    }

    #[tokio::test]
    async fn reads_pages_newest_first_filtered_by_campaign_actor_kind_and_text() {
        let app = app_with_a_log().await;
        let all = app.audit_log(query()).await.expect("page");
        assert_eq!(all.total, 5, "every event: {all:?}");
        let seqs: Vec<u32> = all.events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [5, 4, 3, 2, 1], "newest first");
        assert_eq!(all.events[0].subject, "campaign/q2");
        assert_eq!(all.events[0].kind, "campaign.missed");
        assert!(all.events[0].details.contains("nobody opened it"), "{:?}", all.events[0]);
        assert!(all.events[0].at.starts_with("2026-03-31T09:00:00"), "{:?}", all.events[0]);

        let q1 = app
            .audit_log(AuditQueryDto { campaign_id: Some("q1".into()), ..query() })
            .await
            .expect("campaign page");
        assert_eq!((q1.total, q1.events[0].seq), (1, 4), "only campaign q1's event");

        let page =
            app.audit_log(AuditQueryDto { offset: 1, limit: 2, ..query() }).await.expect("p");
        let seqs: Vec<u32> = page.events.iter().map(|e| e.seq).collect();
        assert_eq!((seqs, page.total, page.offset), (vec![4, 3], 5, 1), "a page further on");

        let by_actor = app
            .audit_log(AuditQueryDto { actor: Some(" ADELE@contoso.com ".into()), ..query() })
            .await
            .expect("actor page");
        assert_eq!(by_actor.total, 1, "the actor, trimmed and in any case: {by_actor:?}");
        assert_eq!(by_actor.events[0].kind, "definition.created");

        let by_kind = app
            .audit_log(AuditQueryDto { kind: Some("campaign.missed".into()), ..query() })
            .await
            .expect("kind page");
        assert_eq!(by_kind.total, 2);

        let by_text = app
            .audit_log(AuditQueryDto { search: Some("breakglass".into()), ..query() })
            .await
            .expect("text page");
        assert_eq!(by_text.total, 1, "the setting's details mention it: {by_text:?}");

        let blank = AuditQueryDto {
            campaign_id: Some(String::new()),
            actor: Some("  ".into()),
            kind: Some(String::new()),
            search: Some(" ".into()),
            ..query()
        };
        assert_eq!(
            app.audit_log(blank).await.expect("page").total,
            5,
            "blank fields do not filter"
        );
    }

    #[tokio::test]
    async fn kinds_and_the_chain_head_describe_the_whole_log() {
        let app = app_with_a_log().await;
        let kinds = app.audit_kinds().await.expect("kinds");
        assert!(kinds.contains(&"campaign.missed".to_string()), "{kinds:?}");
        assert!(kinds.windows(2).all(|w| w[0] < w[1]), "sorted, once each: {kinds:?}");

        let chain = app.audit_chain().await.expect("chain");
        let newest = app.audit_log(AuditQueryDto { limit: 1, ..query() }).await.expect("page");
        assert_eq!(
            chain,
            AuditChainDto {
                intact: true,
                seq: 5,
                head_hash: Some(newest.events[0].hash.clone()),
                problem: None
            },
            "intact up to the newest event, whose hash is the head"
        );
    }
}
