//! `recert-cli remediation plan|apply|verify|confirm|keep <campaign>`: preview the removals and
//! what is held back, apply them with progress lines (resumable: run it again after an
//! interruption), re-check them until the deadline, and confirm a held critical-role removal or
//! keep the access with a reason.

use clap::Subcommand;
use recert_app::remediation::ApplyOptions;
use recert_app::remediation::dto::{RemediationPlanDto, RemediationProgressDto};
use recert_app::{AppError, CancellationToken, ErrorCode};

use crate::session::Session;

#[derive(Subcommand, Debug)]
pub enum RemediationCommand {
    /// Preview: per role and per person, what will be removed and why, what is held back and why.
    Plan { campaign: String },
    /// Apply the removals (journaled, resumable), then verify them by re-reading the tenant.
    Apply {
        campaign: String,
        /// Requests in flight at most; throttling lowers it further.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
    },
    /// Re-read the tenant for every removal: verified-removed, still-present or reappeared.
    Verify { campaign: String },
    /// Confirm a removal held for a critical role, as a named user of the demo tenant.
    Confirm {
        campaign: String,
        item: u32,
        #[arg(long = "as")]
        as_user: String,
    },
    /// Keep the access critical-role holds protect (all the items named, or none): the removals
    /// are not sent, and the evidence lists them as exceptions with the named user and the reason.
    Keep {
        campaign: String,
        #[arg(required = true)]
        items: Vec<u32>,
        #[arg(long = "as")]
        as_user: String,
        /// Why the access stays (shown to auditors).
        #[arg(long)]
        reason: String,
    },
}

fn summary(plan: &RemediationPlanDto) {
    let c = &plan.counts;
    println!("{} ({}) — {}", plan.campaign_name, plan.campaign_id, plan.campaign_state);
    if let Some(deadline) = &plan.deadline {
        println!("  deadline {deadline}{}", if plan.overdue { "  OVERDUE" } else { "" });
    }
    println!(
        "  {} removals: {} planned, {} submitted, {} succeeded, {} failed, {} skipped",
        c.actions, c.planned, c.submitted, c.succeeded, c.failed, c.skipped
    );
    println!(
        "  verified: {} removed, {} still present, {} reappeared; {} held back ({} awaiting confirmation)",
        c.verified_removed, c.still_present, c.reappeared, c.held, c.awaiting_confirmation
    );
}

fn print_plan(plan: &RemediationPlanDto) {
    summary(plan);
    println!("Per role:");
    for r in &plan.roles {
        println!("  {:<48} {:>5} remove {:>5} held", r.role_name, r.remove, r.held);
    }
    println!("Per person:");
    for p in &plan.people {
        println!(
            "  {} ({})",
            p.principal_name,
            p.principal_upn.as_deref().unwrap_or(&p.principal_id)
        );
        for r in &p.remove {
            println!("    remove  {r}");
        }
        for h in &p.held {
            println!("    HELD    {h}");
        }
    }
    let flagged: Vec<_> = plan
        .actions
        .iter()
        .filter(|a| a.state == "failed" || a.state == "skipped" || a.overdue)
        .collect();
    if !flagged.is_empty() {
        println!("Needs attention:");
        for a in flagged {
            println!(
                "  item {:<6} {:<9} {} — {}: {}",
                a.item_id,
                a.state,
                a.principal_name,
                a.role_name,
                a.state_reason.as_deref().unwrap_or(if a.overdue { "overdue" } else { "" })
            );
        }
    }
    for h in &plan.held {
        if let (Some(by), Some(reason)) = (&h.kept_by, &h.kept_reason) {
            println!("  item {:<6} kept by {by}: {reason}", h.item_id);
        } else if h.confirmed_by.is_none()
            && let Some(proposal) = &h.proposal
        {
            println!("  item {:<6} proposal: {proposal}", h.item_id);
        }
    }
}

fn output(json: bool, plan: &RemediationPlanDto, full: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(plan).unwrap_or_default());
    } else if full {
        print_plan(plan);
    } else {
        summary(plan);
    }
}

async fn connect_campaign_tenant(session: &mut Session, campaign: &str) -> Result<(), AppError> {
    let tenant = session.app.campaign(campaign).await?.campaign.tenant_id;
    session.connect(&tenant).await
}

pub async fn run(
    command: RemediationCommand,
    session: &mut Session,
    json: bool,
) -> Result<(), AppError> {
    match command {
        RemediationCommand::Plan { campaign } => {
            let plan = session.app.remediation_plan(&campaign).await?;
            output(json, &plan, true);
        }
        RemediationCommand::Apply { campaign, concurrency } => {
            connect_campaign_tenant(session, &campaign).await?;
            let progress = move |p: RemediationProgressDto| {
                // One line per finished action; with --json they are JSON lines on stderr so
                // stdout stays one document.
                if json {
                    eprintln!("{}", serde_json::to_string(&p).unwrap_or_default());
                } else {
                    println!(
                        "[{}/{}] {:<9} item {} {} — {}: {}",
                        p.done,
                        p.total,
                        p.state,
                        p.item_id,
                        p.principal_name,
                        p.role_name,
                        p.message
                    );
                }
            };
            let cancel = CancellationToken::new();
            let on_signal = cancel.clone();
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    on_signal.cancel();
                }
            });
            let plan = session
                .app
                .remediation_apply_with(&campaign, ApplyOptions { concurrency }, &progress, cancel)
                .await?;
            output(json, &plan, false);
            if plan.counts.failed > 0 {
                return Err(AppError::new(
                    ErrorCode::Conflict,
                    format!("{} removal(s) failed; see `remediation plan`", plan.counts.failed),
                ));
            }
        }
        RemediationCommand::Verify { campaign } => {
            connect_campaign_tenant(session, &campaign).await?;
            let plan = session.app.remediation_verify(&campaign).await?;
            output(json, &plan, false);
        }
        RemediationCommand::Confirm { campaign, item, as_user } => {
            let tenant = session.app.campaign(&campaign).await?.campaign.tenant_id;
            let who = session.app.demo_identity(&tenant, &as_user).await?;
            let plan = session.app.remediation_confirm_held(&campaign, item, who).await?;
            output(json, &plan, false);
        }
        RemediationCommand::Keep { campaign, items, as_user, reason } => {
            let tenant = session.app.campaign(&campaign).await?.campaign.tenant_id;
            let who = session.app.demo_identity(&tenant, &as_user).await?;
            let plan = session.app.remediation_keep_held(&campaign, items, who, reason).await?;
            output(json, &plan, false);
        }
    }
    Ok(())
}
