//! `recert-cli justifications list|set --tenant <id>`: the canned justifications reviewers pick
//! from when they decide (`decide --preset`). Setting them is a governance admin's change,
//! audited with the list before and after.

use clap::Subcommand;
use recert_app::AppError;

use crate::admins::TenantArg;
use crate::session::Session;

#[derive(Subcommand, Debug)]
pub enum JustificationsCommand {
    /// The tenant's canned justifications, numbered as `decide --preset` takes them.
    List(TenantArg),
    /// Replace the tenant's canned justifications (none given: clear them).
    Set {
        #[command(flatten)]
        tenant: TenantArg,
        /// Each canned justification, in the order reviewers see them.
        presets: Vec<String>,
    },
}

pub async fn run(
    command: JustificationsCommand,
    session: &mut Session,
    json: bool,
) -> Result<(), AppError> {
    let presets = match command {
        JustificationsCommand::List(t) => {
            session.connect(&t.tenant).await?;
            session.app.justification_presets(&t.tenant).await?
        }
        JustificationsCommand::Set { tenant, presets } => {
            session.act(&tenant.tenant).await?;
            session.app.set_justification_presets(&tenant.tenant, presets).await?
        }
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&presets).unwrap_or_default());
    } else if presets.is_empty() {
        println!("No canned justification: reviewers write their own.");
    } else {
        for (n, preset) in presets.iter().enumerate() {
            println!("{:>3}  {preset}", n + 1);
        }
    }
    Ok(())
}
