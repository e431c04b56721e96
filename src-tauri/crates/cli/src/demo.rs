//! `recert-cli demo`: the whole demo flow headless, on an in-process emulator tenant.

use std::path::{Path, PathBuf};

use clap::Args;
use recert_app::{App, AppError, Cloud, ErrorCode, TenantAuth, TenantConnection};
use recert_emulator::{Emulator, Options, Tenant};

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Where to write the population PDF (default: `demo-population.pdf` in the data directory).
    #[arg(long)]
    pdf: Option<PathBuf>,
}

pub async fn run(args: DemoArgs, data_dir: &Path, json: bool) -> Result<(), AppError> {
    let emulator = Emulator::start(Tenant::demo(), Options::default()).await.map_err(|err| {
        AppError::new(ErrorCode::Unreachable, format!("cannot start the demo tenant: {err}"))
    })?;
    let app = App::open(&data_dir.join("recert.db"), App::system_clock())?;
    let (client_id, secret) = emulator.app_client();
    let tenant = app.connect(TenantConnection {
        id: "demo".into(),
        name: emulator.tenant_name(),
        is_demo: true,
        tenant_guid: emulator.tenant_id(),
        cloud: Cloud::custom(&emulator.base_url())
            .map_err(|err| AppError::new(ErrorCode::Invalid, err.to_string()))?,
        auth: TenantAuth::AppSecret { client_id, secret },
        extra_root: emulator.certificate_der(),
    })?;
    let pull = app.pull(&tenant.id).await?;
    let summary = app.role_summary(&tenant.id).await?;
    let pdf = args.pdf.unwrap_or_else(|| data_dir.join("demo-population.pdf"));
    app.export_population_pdf(&tenant.id, &pdf).await?;
    emulator.shutdown().await;

    if json {
        let out = serde_json::json!({ "pull": pull, "summary": summary, "pdf": pdf });
        println!("{out:#}");
        return Ok(());
    }
    println!("Demo tenant: {} ({})", tenant.name, tenant.tenant_guid);
    println!(
        "Pulled {} roles: {} eligible and {} active assignments ({} activations set aside) in {} requests, {:.2} s",
        pull.roles, pull.eligible, pull.active, pull.activations, pull.requests, pull.seconds
    );
    println!("Raw responses SHA-256: {}", pull.raw_sha256);
    println!();
    println!("{:<48} {:>8} {:>8}", "Role", "Eligible", "Active");
    for role in summary.roles.iter().filter(|r| r.eligible + r.active > 0).take(15) {
        println!("{:<48} {:>8} {:>8}", role.display_name, role.eligible, role.active);
    }
    let held = summary.roles.iter().filter(|r| r.eligible + r.active > 0).count();
    if held > 15 {
        println!("… and {} more roles with assignments", held - 15);
    }
    println!();
    println!("Database: {}", data_dir.join("recert.db").display());
    println!("Evidence PDF: {}", pdf.display());
    Ok(())
}
