//! `recert-cli campaign sign-off|sign-offs|correct`: the campaign owner and compliance sign a
//! closed campaign's binder after signing in again (the sign-in happens in this command, so it
//! is fresh; `--as` on the demo tenant is no authentication and is refused), list the binder's
//! versions and sign-offs, and record a correction after a sign-off.

use clap::{Args, ValueEnum};
use recert_app::AppError;
use recert_app::dto::{SignOffCapacityDto, SignOffStatusDto};

use crate::session::Session;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum CapacityArg {
    /// The campaign owner (a governance admin).
    Owner,
    /// Compliance: someone who took no part in the review's decisions.
    Compliance,
}

#[derive(Args, Debug)]
pub struct SignOffArgs {
    campaign: String,
    /// What you sign as.
    #[arg(long = "capacity", value_enum)]
    capacity: CapacityArg,
    /// Sign in with a device code instead of the browser.
    #[arg(long)]
    device_code: bool,
}

pub fn print_status(json: bool, status: &SignOffStatusDto) {
    if json {
        println!("{}", serde_json::to_string_pretty(status).unwrap_or_default());
        return;
    }
    println!("Campaign {}: binder version {}", status.campaign_id, status.version);
    for s in &status.sign_offs {
        let capacity = serde_json::to_value(s.capacity).unwrap_or_default();
        println!(
            "  v{} {:<14} {} <{}> at {} — {}",
            s.version,
            capacity.as_str().unwrap_or("?"),
            s.signer_name,
            s.signer_upn,
            s.signed_at,
            s.authentication.detail
        );
    }
    for c in &status.corrections {
        println!("  correction starting v{} by {} at {}: {}", c.version, c.by, c.at, c.note);
    }
    if status.missing.is_empty() {
        println!("Version {} is signed off.", status.version);
    } else {
        let missing: Vec<String> = status
            .missing
            .iter()
            .map(|c| serde_json::to_value(c).unwrap_or_default().as_str().unwrap_or("?").into())
            .collect();
        println!("Version {} still needs: {}", status.version, missing.join(", "));
    }
}

pub async fn sign_off(
    args: SignOffArgs,
    session: &mut Session,
    json: bool,
) -> Result<(), AppError> {
    let tenant = session.act_on_campaign(&args.campaign).await?;
    let app = &session.app;
    // With `--as` nobody signs in, and the sign-off is refused for it: acting as a demo user is
    // no authentication.
    if !session.acts_as_demo_user() {
        if args.device_code {
            app.sign_in_device_code(&tenant, |code| eprintln!("{}", code.message)).await?;
        } else {
            app.sign_in_interactive(&tenant, |url| {
                // The URL first: where no browser opens (a server, a test), the person opens
                // it themselves and this run waits for them.
                eprintln!("Sign in to sign off: {url}");
                if let Err(err) = open::that_detached(url) {
                    eprintln!("(no browser opened: {err}; open the address above)");
                }
                Ok(())
            })
            .await?;
        }
    }
    let capacity = match args.capacity {
        CapacityArg::Owner => SignOffCapacityDto::CampaignOwner,
        CapacityArg::Compliance => SignOffCapacityDto::Compliance,
    };
    let status = app.sign_off(&args.campaign, capacity).await?;
    print_status(json, &status);
    Ok(())
}

pub async fn status(campaign: &str, session: &mut Session, json: bool) -> Result<(), AppError> {
    let status = session.app.sign_off_status(campaign).await?;
    print_status(json, &status);
    Ok(())
}

pub async fn correct(
    campaign: &str,
    note: &str,
    session: &mut Session,
    json: bool,
) -> Result<(), AppError> {
    session.act_on_campaign(campaign).await?;
    let status = session.app.correct_campaign(campaign, note).await?;
    print_status(json, &status);
    Ok(())
}
