//! `recert-cli campaign …`, `worklist`, `decide`, `decisions import` and `run-due`: campaigns
//! from definition to close, for scripts and schedulers.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use recert_app::Verdict;
use recert_app::campaigns::default_settings;
use recert_app::campaigns::dto::{
    DefinitionDto, Delivery, PrincipalTypesDto, ReviewerDto, ReviewersDto, ScheduleDto, ScopeDto,
    WorklistQueryDto,
};
use recert_app::{AppError, ErrorCode};

use crate::session::{DEMO, Session};

// Parsed once per process: the size of the largest variant costs nothing worth a Box.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum CampaignCommand {
    /// Define a recurring campaign (from flags, or a JSON file with --file).
    Create(CreateArgs),
    /// List campaign definitions and campaigns.
    List,
    /// Show one campaign with its progress per reviewer.
    Show { campaign: String },
    /// Open the definition's next campaign now: pull, seal the snapshot, route the items.
    Open {
        definition: String,
        /// Open even though the pull could not read part of the scope, for this reason
        /// (governance admins only; audited and stated in the binder).
        #[arg(long, value_name = "REASON")]
        accept_gap: Option<String>,
    },
    /// Close a campaign now; undecided items get the campaign's default outcome.
    Close {
        campaign: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Publish an open campaign's directory-role items to Entra Access Reviews, one review per
    /// role and kind; everything else stays in Recert's worklist.
    Publish { campaign: String },
    /// Read the decisions made in Entra Access Reviews and record those new or changed since
    /// the last sync; with --final, stop the reviews first (before closing).
    Sync {
        campaign: String,
        #[arg(long = "final")]
        last: bool,
    },
    /// Sign the closed campaign's binder as its owner or as compliance, after signing in again.
    SignOff(crate::signoff::SignOffArgs),
    /// The binder's version, its sign-offs and corrections, and what it still lacks.
    SignOffs { campaign: String },
    /// Record a correction to the campaign's record (governance admins; after a sign-off it
    /// starts a new version of the binder, signed again).
    Correct {
        campaign: String,
        #[arg(long)]
        note: String,
    },
    /// The campaign's exceptions register.
    Exceptions { campaign: String },
    /// Record an exception's owner, expiry and compensating control (governance admins).
    Exception {
        campaign: String,
        item: u32,
        /// Who answers for it (a UPN of the tenant).
        #[arg(long)]
        owner: String,
        /// YYYY-MM-DD, at most a year away.
        #[arg(long)]
        expires: String,
        /// What compensates for the access meanwhile.
        #[arg(long)]
        control: String,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ReviewerSourceArg {
    Manager,
    Named,
    #[value(name = "self")]
    SelfReview,
}

/// Where the reviewers decide.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DeliveryArg {
    /// Recert's worklist (the window, the CLI, a CSV imported by an admin).
    Recert,
    /// Entra Access Reviews: each directory role and kind published as a review of the
    /// holders' managers; everything else stays in Recert's worklist.
    Entra,
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// A definition as JSON (the same shape the window sends); other flags are ignored.
    #[arg(long)]
    file: Option<PathBuf>,
    #[arg(long, default_value = DEMO)]
    tenant: String,
    #[arg(long)]
    name: Option<String>,
    #[arg(long, default_value = "")]
    description: String,
    /// Surfaces to review, comma-separated: directoryRole, pimGroup, azureRole.
    #[arg(long, value_delimiter = ',', default_value = "directoryRole")]
    surfaces: Vec<String>,
    /// Role ids to review, comma-separated (default: all).
    #[arg(long, value_delimiter = ',')]
    roles: Vec<String>,
    /// eligible, active or both.
    #[arg(long, default_value = "both")]
    kinds: String,
    #[arg(long)]
    no_guests: bool,
    #[arg(long)]
    no_groups: bool,
    #[arg(long)]
    no_service_principals: bool,
    /// Principals never reviewed (object ids or UPNs), comma-separated.
    #[arg(long, value_delimiter = ',')]
    exclude: Vec<String>,
    /// Groups (object ids, comma-separated) whose PIM for Groups assignments are read besides the
    /// role-assignable ones and those earlier pulls found.
    #[arg(long, value_delimiter = ',')]
    pim_groups: Vec<String>,
    #[arg(long, value_enum, default_value = "manager")]
    reviewers: ReviewerSourceArg,
    /// Named reviewers' UPNs, comma-separated (with --reviewers named).
    #[arg(long, value_delimiter = ',')]
    named: Vec<String>,
    /// Fallback reviewers' UPNs, comma-separated. Required.
    #[arg(long, value_delimiter = ',')]
    fallback: Vec<String>,
    /// firstDecides or allMustApprove.
    #[arg(long, default_value = "firstDecides")]
    rule: String,
    /// First start, local time: 2026-04-01T09:00.
    #[arg(long)]
    start: Option<String>,
    #[arg(long, default_value = "UTC")]
    time_zone: String,
    #[arg(long, default_value_t = 14)]
    duration_days: u32,
    /// none, monthly, quarterly, semiAnnual, annual.
    #[arg(long, default_value = "quarterly")]
    recurrence: String,
    /// Stop after this local date (YYYY-MM-DD).
    #[arg(long)]
    end_date: Option<String>,
    /// Stop after this many occurrences.
    #[arg(long)]
    end_count: Option<u32>,
    #[arg(long)]
    justify_approve: bool,
    /// Do not require a justification to deny.
    #[arg(long)]
    no_justify_deny: bool,
    #[arg(long)]
    no_recommendations: bool,
    #[arg(long, default_value_t = 90)]
    look_back_days: u32,
    /// keep, remove or recommendation.
    #[arg(long, default_value = "keep")]
    no_response: String,
    #[arg(long)]
    auto_apply: bool,
    #[arg(long, default_value_t = 14)]
    remediation_deadline_days: u32,
    /// Where the reviewers decide.
    #[arg(long, value_enum, default_value = "recert")]
    delivery: DeliveryArg,
}

fn reviewer(upn: &str) -> ReviewerDto {
    ReviewerDto { id: String::new(), upn: upn.trim().to_string(), display_name: String::new() }
}

fn definition(args: CreateArgs) -> Result<DefinitionDto, AppError> {
    if let Some(path) = args.file {
        let text = std::fs::read_to_string(&path).map_err(|err| {
            AppError::new(ErrorCode::Invalid, format!("cannot read {}: {err}", path.display()))
        })?;
        return serde_json::from_str(&text).map_err(|err| {
            AppError::new(
                ErrorCode::Invalid,
                format!("{} is not a campaign definition: {err}", path.display()),
            )
        });
    }
    let mut settings = default_settings();
    settings.justification_on_approve = args.justify_approve;
    settings.justification_on_deny = !args.no_justify_deny;
    settings.recommendations = !args.no_recommendations;
    settings.look_back_days = args.look_back_days;
    settings.no_response = args.no_response;
    settings.auto_apply = args.auto_apply;
    settings.remediation_deadline_days = args.remediation_deadline_days;
    settings.delivery = match args.delivery {
        DeliveryArg::Recert => Delivery::InRecert,
        DeliveryArg::Entra => Delivery::EntraAccessReviews,
    };
    let (end, end_date, end_count) = match (args.end_date, args.end_count) {
        (Some(date), _) => ("onDate", Some(date), None),
        (None, Some(n)) => ("afterCount", None, Some(n)),
        (None, None) => ("never", None, None),
    };
    Ok(DefinitionDto {
        id: String::new(),
        tenant_id: args.tenant,
        name: args.name.unwrap_or_default(),
        description: args.description,
        scope: ScopeDto {
            surfaces: args.surfaces,
            role_ids: args.roles,
            kinds: args.kinds,
            principal_types: PrincipalTypesDto {
                users: true,
                guests: !args.no_guests,
                groups: !args.no_groups,
                service_principals: !args.no_service_principals,
            },
            exclusions: args.exclude,
            pim_groups: args.pim_groups,
        },
        reviewers: ReviewersDto {
            source: match args.reviewers {
                ReviewerSourceArg::Manager => "manager",
                ReviewerSourceArg::Named => "named",
                ReviewerSourceArg::SelfReview => "self",
            }
            .into(),
            named: args.named.iter().map(|u| reviewer(u)).collect(),
            fallback: args.fallback.iter().map(|u| reviewer(u)).collect(),
            rule: args.rule,
        },
        schedule: ScheduleDto {
            start: args.start.unwrap_or_default(),
            time_zone: args.time_zone,
            duration_days: args.duration_days,
            recurrence: args.recurrence,
            end: end.into(),
            end_date,
            end_count,
        },
        settings,
        stages: Vec::new(),
    })
}

fn print<T: serde::Serialize>(json: bool, value: &T, text: impl FnOnce()) {
    if json {
        println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
    } else {
        text();
    }
}

fn local(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| rfc3339.to_string())
}

pub async fn run(
    command: CampaignCommand,
    session: &mut Session,
    json: bool,
) -> Result<(), AppError> {
    match command {
        CampaignCommand::Create(args) => {
            let dto = definition(args)?;
            session.act(&dto.tenant_id).await?;
            let created = session.app.definition_create(dto).await?;
            print(json, &created, || {
                println!(
                    "Created campaign definition {:?} ({})",
                    created.definition.name, created.definition.id
                );
                println!("Next occurrences:");
                for o in &created.next {
                    println!("  {} → {}", local(&o.start), local(&o.end));
                }
            });
        }
        CampaignCommand::List => {
            let definitions = session.app.definitions(None).await?;
            let campaigns = session.app.campaigns(None).await?;
            print(
                json,
                &serde_json::json!({ "definitions": definitions, "campaigns": campaigns }),
                || {
                    println!("Definitions:");
                    for d in &definitions {
                        let next = d
                            .next
                            .first()
                            .map(|o| local(&o.start))
                            .unwrap_or_else(|| "none".into());
                        println!(
                            "  {:<36} {:<10} next {}",
                            d.definition.id, d.definition.schedule.recurrence, next
                        );
                    }
                    println!("Campaigns:");
                    for c in &campaigns {
                        println!(
                            "  {:<36} {:<10} {:>5}/{:<5} decided  due {}{}",
                            c.id,
                            c.state,
                            c.decided,
                            c.items,
                            local(&c.period_end),
                            if c.overdue { "  OVERDUE" } else { "" }
                        );
                    }
                },
            );
        }
        CampaignCommand::Show { campaign } => {
            let detail = session.app.campaign(&campaign).await?;
            print(json, &detail, || {
                let c = &detail.campaign;
                println!("{} ({})", c.name, c.id);
                println!(
                    "  state {}{}",
                    c.state,
                    c.state_reason.as_deref().map(|r| format!(" — {r}")).unwrap_or_default()
                );
                println!("  period {} → {}", local(&c.period_start), local(&c.period_end));
                if detail.definition.settings.delivery == Delivery::EntraAccessReviews {
                    println!(
                        "  delivered through Entra Access Reviews (directory roles held by users; \
                         the rest in Recert)"
                    );
                }
                println!(
                    "  {} items, {} decided ({} approved, {} denied), {} without a reviewer",
                    c.items, c.decided, c.approved, c.denied, c.unrouted
                );
                if let Some(sha) = &detail.snapshot_sha256 {
                    println!("  snapshot SHA-256 {sha}");
                }
                if c.state != recert_app::campaigns::dto::CampaignState::Open {
                    let o = &detail.outcomes;
                    println!(
                        "  outcomes: {} keep, {} remove, {} exceptions",
                        o.keep, o.remove, o.exception
                    );
                }
                println!("  reviewers:");
                for r in &detail.reviewers {
                    println!("    {:<40} {:>5}/{:<5}", r.upn, r.decided, r.assigned);
                }
            });
        }
        CampaignCommand::Open { definition, accept_gap } => {
            let tenant = session
                .app
                .definitions(None)
                .await?
                .into_iter()
                .find(|d| d.definition.id == definition)
                .map(|d| d.definition.tenant_id);
            if let Some(tenant) = tenant {
                session.act(&tenant).await?;
            }
            let campaign =
                match session.app.campaign_open_accepting(&definition, accept_gap.as_deref()).await
                {
                    Err(err) if err.code == ErrorCode::GapNotAccepted => {
                        return Err(AppError::new(
                            err.code,
                            format!(
                                "{} (to accept it: recert-cli campaign open {definition} \
                             --accept-gap \"<reason>\")",
                                err.message
                            ),
                        ));
                    }
                    other => other?,
                };
            let accepted = match &accept_gap {
                Some(_) => session.app.campaign_gaps(&definition).await?,
                None => Vec::new(),
            };
            print(json, &campaign, || {
                for gap in &accepted {
                    println!("accepted as not read: {}", gap.description);
                }
                println!(
                    "Opened {} ({}): {} items, due {}",
                    campaign.name,
                    campaign.id,
                    campaign.items,
                    local(&campaign.period_end)
                );
                if campaign.unrouted > 0 {
                    println!(
                        "  {} items have no reviewer: a governance admin must decide them",
                        campaign.unrouted
                    );
                }
            });
        }
        CampaignCommand::Publish { campaign } => {
            session.act_on_campaign(&campaign).await?;
            let count = session.app.campaign_publish(&campaign).await?;
            print(json, &serde_json::json!({ "published": count }), || {
                println!("Published {campaign} to Entra Access Reviews: {count} reviews");
            })
        }
        CampaignCommand::Sync { campaign, last } => {
            session.act_on_campaign(&campaign).await?;
            let report = session.app.campaign_sync(&campaign, last).await?;
            print(json, &report, || {
                println!(
                    "Synced {campaign}: {} recorded, {} unchanged, {} not decided yet, {} reset \
                     to not reviewed (taken back), {} stopped",
                    report.recorded, report.unchanged, report.pending, report.reset, report.stopped
                );
                for line in &report.unmatched {
                    println!("  unmatched (matches no item): {line}");
                }
                for line in &report.ambiguous {
                    println!("  ambiguous (matches several items, none decided): {line}");
                }
                for line in &report.not_recorded {
                    println!("  not recorded: {line}");
                }
                println!("  raw pages SHA-256: {}", report.pages_sha256);
            })
        }
        CampaignCommand::Close { campaign, reason } => {
            session.act_on_campaign(&campaign).await?;
            let app = &session.app;
            let closed = app.campaign_close(&campaign, reason).await?;
            let detail = app.campaign(&closed.id).await?;
            print(json, &detail, || {
                let o = &detail.outcomes;
                println!(
                    "Closed {}: {} keep, {} remove, {} exceptions",
                    closed.id, o.keep, o.remove, o.exception
                );
            });
        }
        CampaignCommand::SignOff(args) => crate::signoff::sign_off(args, session, json).await?,
        CampaignCommand::SignOffs { campaign } => {
            crate::signoff::status(&campaign, session, json).await?
        }
        CampaignCommand::Correct { campaign, note } => {
            crate::signoff::correct(&campaign, &note, session, json).await?
        }
        CampaignCommand::Exceptions { campaign } => {
            crate::exceptions::list(&campaign, session, json).await?
        }
        CampaignCommand::Exception { campaign, item, owner, expires, control } => {
            let terms = recert_app::dto::ExceptionTermsDto { owner, expires_on: expires, control };
            crate::exceptions::register(&campaign, item, terms, session, json).await?
        }
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct WorklistArgs {
    campaign: String,
    /// Only this reviewer's items (UPN or object id).
    #[arg(long)]
    reviewer: Option<String>,
    #[arg(long)]
    role: Option<String>,
    /// approve, deny or undecided.
    #[arg(long)]
    decision: Option<String>,
    #[arg(long)]
    recommendation: Option<String>,
    #[arg(long)]
    kind: Option<String>,
    #[arg(long)]
    membership: Option<String>,
    /// Only items without a reviewer.
    #[arg(long)]
    unrouted: bool,
    #[arg(long)]
    search: Option<String>,
    /// One person's items together (by name, then role) instead of by role.
    #[arg(long)]
    by_person: bool,
    #[arg(long, default_value_t = 0)]
    offset: u32,
    #[arg(long, default_value_t = 50)]
    limit: u32,
}

pub async fn worklist(args: WorklistArgs, session: &Session, json: bool) -> Result<(), AppError> {
    let page = session
        .app
        .worklist(
            &args.campaign,
            WorklistQueryDto {
                reviewer: args.reviewer,
                role_id: args.role,
                decision: args.decision,
                recommendation: args.recommendation,
                kind: args.kind,
                membership: args.membership,
                unrouted: args.unrouted,
                search: args.search,
                group_by: args.by_person.then(|| "person".to_string()),
                offset: args.offset,
                limit: args.limit,
            },
        )
        .await?;
    print(json, &page, || {
        println!(
            "{:>6}  {:<34} {:<30} {:<9} {:<8} {:<12} reviewer",
            "item", "principal", "role", "kind", "decision", "recommends"
        );
        for i in &page.items {
            let reviewers =
                i.reviewers.iter().map(|r| r.upn.as_str()).collect::<Vec<_>>().join(", ");
            println!(
                "{:>6}  {:<34} {:<30} {:<9} {:<8} {:<12} {}",
                i.id,
                truncate(i.principal_upn.as_deref().unwrap_or(&i.principal_name), 34),
                truncate(&i.role_name, 30),
                i.kind.as_str(),
                i.decision.map_or("—", |d| d.as_str()),
                i.recommendation.as_deref().unwrap_or("—"),
                reviewers
            );
        }
        println!("{} of {} items (from {})", page.items.len(), page.total, page.offset);
    });
    Ok(())
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

/// A decision as typed: `approve`, `deny`, `dont-know`, `convert` (to eligible), or
/// `approve-until:YYYY-MM-DD`.
fn verdict_arg(s: &str) -> Result<Verdict, String> {
    Verdict::parse(&s.replace("dont-know", "dontKnow").replace("approve-until", "approveUntil"))
        .ok_or_else(|| {
            format!(
                "{s:?} is not a decision: approve, deny, dont-know, convert or \
                 approve-until:YYYY-MM-DD"
            )
        })
}

#[derive(Args, Debug)]
pub struct DecideArgs {
    campaign: String,
    /// approve, deny, dont-know, convert (an active assignment to eligible), or
    /// approve-until:YYYY-MM-DD.
    #[arg(value_parser = verdict_arg)]
    verdict: Verdict,
    /// Item numbers, as the worklist shows them.
    #[arg(required = true)]
    items: Vec<u32>,
    /// Why (with `--preset`: words added after the canned justification).
    #[arg(long, short, default_value = "")]
    justification: String,
    /// One of the tenant's canned justifications, by its number in `justifications list` or
    /// its text.
    #[arg(long)]
    preset: Option<String>,
}

/// Who decides in this run: the person acting on the campaign's tenant (`--as` on the demo
/// tenant, or the person signed in); an app-only run decides nothing.
async fn decider(session: &mut Session, campaign: &str) -> Result<String, AppError> {
    let tenant = session.act_on_campaign(campaign).await?;
    let acting = session.app.acting(&tenant).await?;
    Ok(acting.person.map(|p| p.upn).unwrap_or_default())
}

pub async fn decide(args: DecideArgs, session: &mut Session, json: bool) -> Result<(), AppError> {
    let who = decider(session, &args.campaign).await?;
    let justification = match &args.preset {
        Some(pick) => {
            session.app.compose_justification(&args.campaign, pick, &args.justification).await?
        }
        None => args.justification,
    };
    let result = session
        .app
        .decide(
            &args.campaign,
            args.items,
            args.verdict,
            justification,
            recert_app::DecisionSource::Cli,
        )
        .await?;
    print(json, &result, || println!("Recorded {} decision(s) as {who}", result.recorded));
    Ok(())
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    campaign: String,
    /// CSV with a header row: item,decision,justification.
    file: PathBuf,
}

pub async fn import(args: ImportArgs, session: &mut Session, json: bool) -> Result<(), AppError> {
    let text = std::fs::read_to_string(&args.file).map_err(|err| {
        AppError::new(ErrorCode::Invalid, format!("cannot read {}: {err}", args.file.display()))
    })?;
    let who = decider(session, &args.campaign).await?;
    let result = session.app.import_decisions(&args.campaign, &text).await?;
    print(json, &result, || println!("Imported {} decision(s) as {who}", result.recorded));
    Ok(())
}

pub async fn run_due(session: &mut Session, json: bool) -> Result<(), AppError> {
    let mut tenants: Vec<String> =
        session.app.definitions(None).await?.into_iter().map(|d| d.definition.tenant_id).collect();
    tenants.sort();
    tenants.dedup();
    // One tenant that cannot be reached (a secret not given, a sign-in expired) fails its own
    // definitions, never the others'.
    let mut unreachable = Vec::new();
    for tenant in tenants {
        if let Err(err) = session.act(&tenant).await {
            unreachable.push(format!("tenant {tenant}: {}", err.message));
        }
    }
    let mut report = session.app.run_due().await?;
    report.failed.splice(0..0, unreachable);
    print(json, &report, || {
        for id in &report.opened {
            println!("opened {id}");
        }
        for id in &report.closed {
            println!("closed {id}");
        }
        for id in &report.missed {
            println!("missed {id} (its window passed while nothing ran)");
        }
        for id in &report.published {
            println!("published {id} to Entra Access Reviews");
        }
        for id in &report.synced {
            println!("synced {id} from Entra Access Reviews");
        }
        for f in &report.failed {
            println!("FAILED {f}");
        }
        if report.opened.is_empty()
            && report.closed.is_empty()
            && report.missed.is_empty()
            && report.published.is_empty()
            && report.synced.is_empty()
            && report.failed.is_empty()
        {
            println!("nothing due");
        }
    });
    if report.failed.is_empty() {
        Ok(())
    } else {
        Err(AppError::new(
            ErrorCode::Conflict,
            format!("{} definition(s) failed", report.failed.len()),
        ))
    }
}
