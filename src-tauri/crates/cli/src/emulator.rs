//! `recert-cli emulator serve`: the fake tenant (demo, generated or from a fixture) as a standalone
//! server on 127.0.0.1, with its fault knobs set from flags.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use recert_emulator::{Emulator, Faults, GenerateOptions, Options, Tenant};

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Serve HTTPS with a self-signed certificate (the default).
    #[arg(long, overrides_with = "no_tls")]
    tls: bool,
    /// Serve plain HTTP instead of HTTPS.
    #[arg(long, overrides_with = "tls")]
    no_tls: bool,
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Serve a Graph-shaped JSON fixture instead of the demo tenant.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["generate_users", "generate_assignments"])]
    fixture: Option<PathBuf>,
    /// Generate a tenant with this many users (instead of the demo tenant).
    #[arg(long, value_name = "N")]
    generate_users: Option<usize>,
    /// Directory-role instances (eligible plus active) of the generated tenant.
    #[arg(long, value_name = "N")]
    generate_assignments: Option<usize>,
    /// Seed of the generated tenant.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write the tenant as a fixture file and exit instead of serving.
    #[arg(long, value_name = "PATH")]
    export: Option<PathBuf>,
    /// Items per page when the client sends no $top.
    #[arg(long, default_value_t = 100)]
    page_size: usize,
    /// Latency added to every Graph and ARM request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Answer every Nth Graph/ARM request with 429 Too Many Requests.
    #[arg(long, value_name = "N", default_value_t = 0)]
    throttle_every: u64,
    /// Answer Graph/ARM requests with 429 with this probability (0..1).
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    throttle_probability: f64,
    /// The Retry-After of a 429 (and 503), in seconds.
    #[arg(long, value_name = "S", default_value_t = 1)]
    retry_after: u64,
    /// Answer Graph/ARM requests with a 5xx with this probability (0..1).
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    error_rate: f64,
    /// Answer every Nth Graph/ARM request with a 5xx.
    #[arg(long, value_name = "N", default_value_t = 0)]
    error_every: u64,
    /// The status of injected server errors: 500, 502, 503 or 504.
    #[arg(long, default_value_t = 503)]
    error_status: u16,
    /// Drop the connection of Graph/ARM requests with this probability (0..1).
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    drop_rate: f64,
    /// Truncate response bodies with this probability (0..1).
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    truncate_rate: f64,
    /// Seed of the fault probabilities.
    #[arg(long, default_value_t = 7)]
    fault_seed: u64,
}

fn tenant(args: &ServeArgs) -> Result<Tenant, String> {
    if let Some(path) = &args.fixture {
        return Tenant::from_fixture_file(path).map_err(|e| e.to_string());
    }
    if args.generate_users.is_some() || args.generate_assignments.is_some() {
        let users = args.generate_users.unwrap_or(300);
        return Ok(Tenant::generate(&GenerateOptions {
            seed: args.seed,
            users,
            assignments: args.generate_assignments.unwrap_or(users * 3),
            ..GenerateOptions::default()
        }));
    }
    Ok(Tenant::demo())
}

pub async fn serve(args: ServeArgs) -> Result<(), String> {
    let tenant = tenant(&args)?;
    if let Some(path) = &args.export {
        let text =
            serde_json::to_string_pretty(&tenant.to_fixture_json()).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!(
            "wrote {} ({} users, {} role instances)",
            path.display(),
            tenant.users().len(),
            tenant.instance_count()
        );
        return Ok(());
    }
    let faults = Faults {
        latency_ms: args.latency_ms,
        throttle_every: args.throttle_every,
        throttle_probability: args.throttle_probability,
        retry_after_secs: args.retry_after,
        error_every: args.error_every,
        error_probability: args.error_rate,
        error_status: args.error_status,
        drop_probability: args.drop_rate,
        truncate_probability: args.truncate_rate,
        seed: args.fault_seed,
        ..Faults::default()
    };
    let options = Options {
        tls: !args.no_tls,
        port: args.port,
        latency: Duration::from_millis(args.latency_ms),
        page_size: args.page_size,
        faults,
        state_file: None,
    };
    let (users, instances) = (tenant.users().len(), tenant.instance_count());
    let emulator = Emulator::start(tenant, options).await.map_err(|e| e.to_string())?;
    let (client_id, secret) = emulator.app_client();
    let base = emulator.base_url();
    println!(
        "Recert tenant emulator: {} ({users} users, {instances} role instances)",
        emulator.tenant_name()
    );
    println!("base url:       {base}");
    println!("login (authority): {base}/login");
    println!("graph:          {base}/graph/v1.0");
    println!("arm:            {base}/arm");
    println!("faults:         {base}/_admin/faults");
    println!("tenant id:      {}", emulator.tenant_id());
    println!("client id:      {client_id}");
    println!("client secret:  {secret}");
    println!("public client:  {}", emulator.public_client_id());
    if let Some(pem) = emulator.certificate_pem() {
        println!("certificate (trust it to call the server over HTTPS):\n{pem}");
    }
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
    emulator.shutdown().await;
    Ok(())
}
