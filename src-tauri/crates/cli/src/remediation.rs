//! `recert-cli remediation plan|apply|verify|confirm|keep|resolve <campaign>`: preview the
//! removals and what is held back, apply them with progress lines (resumable: run it again after
//! an interruption; one apply per tenant at a time), re-check them until the deadline, confirm a
//! held critical-role removal or keep the access with a reason, and resolve removals that were
//! not made. The governance admin is whoever acts in this run (`--as` on the demo tenant, or the
//! person signed in).

use clap::{Subcommand, ValueEnum};
use recert_app::remediation::dto::{RemediationPlanDto, RemediationProgressDto};
use recert_app::remediation::{ApplyOptions, Resolution};
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
    /// Confirm a removal held for a critical role (a governance admin).
    Confirm { campaign: String, item: u32 },
    /// Keep the access critical-role holds protect (all the items named, or none): the removals
    /// are not sent, and the evidence lists them as exceptions with the admin and the reason.
    Keep {
        campaign: String,
        #[arg(required = true)]
        items: Vec<u32>,
        /// Why the access stays (shown to auditors).
        #[arg(long)]
        reason: String,
    },
    /// Resolve removals that were not made (skipped or failed): retry them, re-plan them at the
    /// live assignment, or keep the access with a reason. All the items named, or none.
    Resolve {
        campaign: String,
        resolution: ResolutionArg,
        #[arg(required = true)]
        items: Vec<u32>,
        /// Why the access stays (required with `keep`).
        #[arg(long)]
        reason: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ResolutionArg {
    Retry,
    Replan,
    Keep,
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
    let flagged: Vec<_> =
        plan.actions.iter().filter(|a| a.exception || a.kept_by.is_some() || a.overdue).collect();
    if !flagged.is_empty() {
        println!("Needs attention:");
        for a in flagged {
            let kept = match (&a.kept_by, &a.kept_reason) {
                (Some(by), Some(reason)) => format!(" — kept by {by}: {reason}"),
                _ if a.exception => " — resolve it: retry, replan or keep".to_string(),
                _ => String::new(),
            };
            println!(
                "  item {:<6} {:<9} {} — {}: {}{kept}",
                a.item_id,
                a.state.as_str(),
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
            session.act_on_campaign(&campaign).await?;
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
                        p.state.as_str(),
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
            if plan.counts.exceptions > 0 {
                return Err(AppError::new(
                    ErrorCode::Conflict,
                    format!(
                        "{} removal(s) were not made; see `remediation plan` and resolve them",
                        plan.counts.exceptions
                    ),
                ));
            }
        }
        RemediationCommand::Verify { campaign } => {
            session.act_on_campaign(&campaign).await?;
            let plan = session.app.remediation_verify(&campaign).await?;
            output(json, &plan, false);
        }
        RemediationCommand::Confirm { campaign, item } => {
            session.act_on_campaign(&campaign).await?;
            let plan = session.app.remediation_confirm_held(&campaign, item).await?;
            output(json, &plan, false);
        }
        RemediationCommand::Keep { campaign, items, reason } => {
            session.act_on_campaign(&campaign).await?;
            let plan = session.app.remediation_keep_held(&campaign, items, reason).await?;
            output(json, &plan, false);
        }
        RemediationCommand::Resolve { campaign, resolution, items, reason } => {
            session.act_on_campaign(&campaign).await?;
            let resolution = match resolution {
                ResolutionArg::Retry => Resolution::Retry,
                ResolutionArg::Replan => Resolution::Replan,
                ResolutionArg::Keep => Resolution::Keep,
            };
            let plan =
                session.app.remediation_resolve(&campaign, items, resolution, reason).await?;
            output(json, &plan, true);
        }
    }
    Ok(())
}
