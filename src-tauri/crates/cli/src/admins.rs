//! `recert-cli admins list|add|remove|bootstrap --tenant <id>`: a tenant's governance admins.
//! Adding and removing is an admin's decision (each change audited); the first admin bootstraps
//! themselves when Entra says they actively hold Privileged Role Administrator, Global
//! Administrator or Identity Governance Administrator.

use clap::{Args, Subcommand};
use recert_app::AppError;
use recert_app::dto::AdminDto;

use crate::session::{DEMO, Session};

#[derive(Subcommand, Debug)]
pub enum AdminsCommand {
    /// The tenant's governance admins.
    List(TenantArg),
    /// Make a user of the tenant (by UPN) a governance admin.
    Add {
        #[command(flatten)]
        tenant: TenantArg,
        upn: String,
    },
    /// Remove a governance admin (by UPN or object id); the last one stays.
    Remove {
        #[command(flatten)]
        tenant: TenantArg,
        who: String,
    },
    /// Make the person acting the tenant's first admin, checked against their roles in Entra.
    Bootstrap(TenantArg),
}

#[derive(Args, Debug)]
pub struct TenantArg {
    /// The tenant's handle.
    #[arg(long, default_value = DEMO)]
    pub tenant: String,
}

fn print(json: bool, admins: &[AdminDto]) {
    if json {
        println!("{}", serde_json::to_string_pretty(admins).unwrap_or_default());
        return;
    }
    if admins.is_empty() {
        println!(
            "No governance admin yet: a holder of a governing directory role runs `admins bootstrap`."
        );
    }
    for a in admins {
        println!(
            "{:<40} {:<24} {:<10} added by {} on {}",
            a.upn, a.display_name, a.how, a.added_by, a.added_at
        );
    }
}

pub async fn run(
    command: AdminsCommand,
    session: &mut Session,
    json: bool,
) -> Result<(), AppError> {
    let admins = match command {
        AdminsCommand::List(t) => {
            session.connect(&t.tenant).await?;
            session.app.admins(&t.tenant).await?
        }
        AdminsCommand::Add { tenant, upn } => {
            session.act(&tenant.tenant).await?;
            session.app.add_admin(&tenant.tenant, &upn).await?
        }
        AdminsCommand::Remove { tenant, who } => {
            session.act(&tenant.tenant).await?;
            session.app.remove_admin(&tenant.tenant, &who).await?
        }
        AdminsCommand::Bootstrap(t) => {
            session.act(&t.tenant).await?;
            session.app.bootstrap_admin(&t.tenant).await?
        }
    };
    print(json, &admins);
    Ok(())
}
