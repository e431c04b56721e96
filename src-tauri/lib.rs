//! The desktop shell: builds the Tauri app, holds the state, registers the commands. No logic:
//! every command is a thin adapter over `recert-app` (see `commands/`).

mod commands;
mod demo;

use std::path::PathBuf;

use tauri::Manager;

/// Everything the commands share.
pub struct Shell {
    pub app: recert_app::App,
    pub demo: demo::DemoTenant,
}

fn data_dir(handle: &tauri::AppHandle) -> PathBuf {
    // RECERT_DATA_DIR lets tests and side-by-side installs keep separate databases.
    std::env::var_os("RECERT_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| handle.path().app_data_dir().ok())
        .unwrap_or_else(|| PathBuf::from(".recert"))
}

pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RECERT_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let result = tauri::Builder::default()
        .setup(|tauri_app| {
            let db = data_dir(tauri_app.handle()).join("recert.db");
            let app = recert_app::App::open(&db, recert_app::App::system_clock())?;
            let demo = demo::DemoTenant::start(app.clone());
            tauri_app.manage(Shell { app, demo });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::tenant::demo_tenant,
            commands::tenant::tenant_pull,
            commands::tenant::role_summary,
            commands::campaigns::definition_check,
            commands::campaigns::definition_create,
            commands::campaigns::definitions,
            commands::campaigns::campaigns,
            commands::campaigns::campaign,
            commands::campaigns::campaign_open,
            commands::campaigns::campaign_close,
            commands::campaigns::run_due,
            commands::worklist::worklist,
            commands::worklist::decide,
            commands::worklist::accept_recommendations,
            commands::worklist::demo_identity,
        ])
        .run(tauri::generate_context!());
    if let Err(err) = result {
        eprintln!("Recert could not start: {err}");
        std::process::exit(1);
    }
}
