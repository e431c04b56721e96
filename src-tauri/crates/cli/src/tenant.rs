//! `recert-cli tenant add|list|pull|sign-in|sign-out`: real tenants without a window. Settings are
//! saved without secrets; an app-only secret comes from `RECERT_CLIENT_SECRET` at run time and a
//! person's refresh token goes to the OS keychain.

use clap::{Args, Subcommand};
use recert_app::dto::{CheckStateDto, PullProgressDto, TenantSettingsDto};
use recert_app::{AppError, ErrorCode};

use crate::session::Session;

#[derive(Subcommand, Debug)]
pub enum TenantCommand {
    /// Add (or update) a tenant and how to sign in to it.
    Add(AddArgs),
    /// List the tenants Recert knows.
    List,
    /// Pull the tenant's whole privileged population into the database.
    Pull(TargetArgs),
    /// Sign a person in (system browser; `--device-code` where no browser can open).
    SignIn(SignInArgs),
    /// Forget the person's sign-in, in memory and in the keychain.
    SignOut(TargetArgs),
    /// Preflight: token, permissions, licences, directory roles, Azure access — each ✗ with
    /// its fix. Exits non-zero when a check fails.
    Check(TargetArgs),
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// Recert's handle for the tenant, e.g. `fabrikam`.
    id: String,
    /// The directory (tenant) id.
    #[arg(long)]
    tenant_guid: String,
    #[arg(long, default_value = "")]
    name: String,
    /// public, usGovernment, china or custom.
    #[arg(long, default_value = "public")]
    cloud: String,
    /// For `--cloud custom`: the base URL serving login, /graph and /arm.
    #[arg(long)]
    base_url: Option<String>,
    /// interactive, appSecret or appCertificate. (azureCli is refused: the Azure CLI's Graph
    /// token carries none of the permissions PIM needs.)
    #[arg(long, default_value = "interactive")]
    auth: String,
    /// The app registration's client id.
    #[arg(long)]
    client_id: Option<String>,
    /// For appCertificate: a PEM file with the certificate and its RSA key.
    #[arg(long)]
    certificate: Option<String>,
}

#[derive(Args, Debug)]
pub struct TargetArgs {
    /// The tenant's handle.
    id: String,
    /// For appSecret tenants: the client secret (never stored).
    #[arg(long, env = "RECERT_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
}

#[derive(Args, Debug)]
pub struct SignInArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// Show a code to enter on another device instead of opening a browser.
    #[arg(long)]
    device_code: bool,
}

fn print(json: bool, value: serde_json::Value, text: impl FnOnce()) {
    if json {
        println!("{value:#}");
    } else {
        text();
    }
}

pub async fn run(
    command: TenantCommand,
    session: &mut Session,
    json: bool,
) -> Result<(), AppError> {
    session.app.use_os_keychain().await;
    match command {
        TenantCommand::Add(a) => {
            let tenant = session
                .app
                .add_tenant(TenantSettingsDto {
                    id: a.id,
                    name: a.name,
                    tenant_guid: a.tenant_guid,
                    cloud: a.cloud,
                    base_url: a.base_url,
                    auth: a.auth,
                    client_id: a.client_id,
                    certificate_path: a.certificate,
                })
                .await?;
            print(json, serde_json::json!({ "tenant": tenant }), || {
                println!("Added {} ({})", tenant.name, tenant.tenant_guid);
            });
        }
        TenantCommand::List => {
            let tenants = session.app.tenants().await?;
            print(json, serde_json::json!({ "tenants": tenants }), || {
                for t in &tenants {
                    let how = t.settings.as_ref().map(|s| format!("{} / {}", s.cloud, s.auth));
                    println!(
                        "{:<16} {:<32} {:<38} {}",
                        t.tenant.id,
                        t.tenant.name,
                        t.tenant.tenant_guid,
                        how.unwrap_or_else(|| "demo".into())
                    );
                }
            });
        }
        TenantCommand::Pull(t) => {
            session.client_secret = t.client_secret;
            session.act(&t.id).await?;
            let app = &session.app;
            let progress = |p: PullProgressDto| {
                if !json {
                    eprint!("\r{:<14} {:>6}/{:<6}", p.stage, p.done, p.total);
                }
            };
            let pull = app
                .pull_with_progress(&t.id, &progress, recert_app::CancellationToken::new())
                .await?;
            if !json {
                eprintln!();
            }
            let summary = app.role_summary(&t.id).await?;
            print(json, serde_json::json!({ "pull": pull, "summary": summary }), || {
                println!(
                    "Pulled {} eligible and {} active assignments, {} principals, {} activations \
                     in {} requests, {:.2} s",
                    pull.eligible,
                    pull.active,
                    pull.principals,
                    pull.activations,
                    pull.requests,
                    pull.seconds
                );
                println!("Raw responses SHA-256: {}", pull.raw_sha256);
                for note in &pull.notes {
                    println!("note: {note}");
                }
                for gap in &pull.gaps {
                    println!("not read: {}", gap.description);
                }
                println!();
                println!("{:<14} {:<48} {:>8} {:>8}", "Surface", "Role", "Eligible", "Active");
                for s in &pull.surfaces {
                    println!(
                        "{:<14} {:<48} {:>8} {:>8}",
                        s.surface.as_str(),
                        "(all)",
                        s.eligible,
                        s.active
                    );
                }
                for r in summary.roles.iter().filter(|r| r.eligible + r.active > 0) {
                    println!(
                        "{:<14} {:<48} {:>8} {:>8}",
                        r.surface.as_str(),
                        r.display_name,
                        r.eligible,
                        r.active
                    );
                }
            });
        }
        TenantCommand::SignIn(s) => {
            // Each CLI command is a process of its own: a sign-in kept in memory would be gone
            // before the next command could use it.
            if !session.app.keeps_sign_ins() {
                return Err(AppError::new(
                    ErrorCode::SignInFailed,
                    format!(
                        "no OS keychain answers on this machine, so a sign-in would end with \
                         this process; set {} to a file only you can read to keep it there",
                        recert_app::TOKEN_FILE
                    ),
                ));
            }
            session.connect(&s.target.id).await?;
            let app = &session.app;
            let identity = if s.device_code {
                app.sign_in_device_code(&s.target.id, |code| eprintln!("{}", code.message)).await?
            } else {
                app.sign_in_interactive(&s.target.id, |url| {
                    eprintln!("Opening the browser to sign in: {url}");
                    open::that_detached(url).map_err(|err| err.to_string())
                })
                .await?
            };
            print(json, serde_json::json!({ "identity": identity }), || {
                println!(
                    "Signed in as {} ({})",
                    identity.name.as_deref().unwrap_or("?"),
                    identity.upn.as_deref().unwrap_or(&identity.oid)
                );
            });
        }
        TenantCommand::Check(t) => {
            session.client_secret = t.client_secret;
            session.connect(&t.id).await?;
            let check = session.app.tenant_check(&t.id).await?;
            print(json, serde_json::json!({ "check": check }), || {
                println!(
                    "{} — {}{}",
                    t.id,
                    if check.connected { "connected" } else { "NOT connected" },
                    check
                        .identity
                        .as_deref()
                        .map(|who| format!(
                            " as {who} ({})",
                            if check.delegated { "delegated" } else { "application" }
                        ))
                        .unwrap_or_default()
                );
                for row in &check.rows {
                    let mark = match row.state {
                        CheckStateDto::Pass => "✓",
                        CheckStateDto::Fail => "✗",
                        CheckStateDto::Skipped => "–",
                    };
                    println!("{mark} {:<10} {:<52} {}", row.area, row.name, row.detail);
                    if let Some(fix) = &row.fix {
                        println!("  {:<10} fix: {fix}", "");
                    }
                }
            });
            let failed = check.rows.iter().filter(|r| r.state == CheckStateDto::Fail).count();
            if failed > 0 {
                return Err(AppError::new(
                    ErrorCode::PermissionDenied,
                    format!("{failed} check(s) failed; each says how to fix it"),
                ));
            }
        }
        TenantCommand::SignOut(t) => {
            session.connect(&t.id).await?;
            session.app.sign_out(&t.id).await?;
            print(json, serde_json::json!({ "signedOut": t.id }), || println!("Signed out"));
        }
    }
    Ok(())
}
