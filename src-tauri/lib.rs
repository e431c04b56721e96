//! The desktop shell: builds the Tauri app, holds the state, registers the commands. No logic:
//! every command is a thin adapter over `recert-app` (see `commands/`).

mod commands;
mod demo;
mod memory;
mod scheduler;
mod updates;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use tauri::Manager;

/// Everything the commands share.
pub struct Shell {
    pub app: recert_app::App,
    pub demo: demo::DemoTenant,
    /// Where the database lives; evidence is written under `evidence/<campaign>/` beside it.
    pub data_dir: PathBuf,
    /// Remediation runs in progress, by campaign, so the window can cancel them.
    pub applying: Mutex<HashMap<String, recert_app::CancellationToken>>,
    /// The tenant the window works on; leaving it ends the "act as" choice made there.
    pub window_tenant: Mutex<Option<String>>,
}

impl Shell {
    /// The app, acting for the person of each tenant: the one signed in (from their ID token) or,
    /// on the demo tenant, the one chosen with "Act as". Commands never name who acts.
    pub fn acting(&self) -> &recert_app::App {
        &self.app
    }

    /// The tenant the window works on, once it chose one.
    pub fn window_tenant(&self) -> Option<String> {
        self.window_tenant.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Makes `tenant_id` the window's tenant; returns the one it left, if another.
    pub fn switch_tenant(&self, tenant_id: &str) -> Option<String> {
        let mut current =
            self.window_tenant.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        current.replace(tenant_id.to_string()).filter(|left| left != tenant_id)
    }

    /// Records (or, with `None`, forgets) the campaign's running remediation; returns the old one.
    pub fn running(
        &self,
        campaign_id: &str,
        cancel: Option<recert_app::CancellationToken>,
    ) -> Option<recert_app::CancellationToken> {
        let mut map = self.applying.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match cancel {
            Some(token) => map.insert(campaign_id.to_string(), token),
            None => map.remove(campaign_id),
        }
    }

    /// The campaign's evidence files (those asked for, in `[pdf, csv, json]` order).
    pub fn evidence_paths(
        &self,
        campaign_id: &str,
        wanted: [bool; 3],
    ) -> recert_app::evidence::EvidencePaths {
        recert_app::evidence::EvidencePaths::in_data_dir(&self.data_dir, campaign_id, wanted)
    }
}

fn data_dir(handle: &tauri::AppHandle) -> PathBuf {
    // RECERT_DATA_DIR lets tests and side-by-side installs keep separate databases.
    std::env::var_os("RECERT_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| handle.path().app_data_dir().ok())
        .unwrap_or_else(|| PathBuf::from(".recert"))
}

/// Who counts as the same instance on Linux (a D-Bus name): the app on the same data directory,
/// so a second launch hands over to the window already open on that database, while a
/// side-by-side install with its own `RECERT_DATA_DIR` runs as an instance of its own.
fn instance_id() -> String {
    use std::hash::{Hash, Hasher};
    let base = "app.recert.desktop";
    match std::env::var_os("RECERT_DATA_DIR") {
        None => base.into(),
        Some(dir) => {
            let dir = std::fs::canonicalize(&dir).unwrap_or_else(|_| PathBuf::from(dir));
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            dir.hash(&mut hasher);
            // A D-Bus name element may not start with a digit.
            format!("{base}.data{:016x}", hasher.finish())
        }
    }
}

/// Brings the main window to the front (a second launch of the app asked for it).
fn show_main_window(handle: &tauri::AppHandle) {
    if let Some(window) = handle.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
    tracing::info!("a second launch was handed over to this window");
}

pub fn run() {
    memory::limit_arenas();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RECERT_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let result = tauri::Builder::default()
        // First of all: a second launch on the same data focuses this window and exits before
        // it opens the database or starts anything.
        .plugin(
            tauri_plugin_single_instance::Builder::new()
                .dbus_id(instance_id())
                .callback(|handle, _args, _cwd| show_main_window(handle))
                .build(),
        )
        .plugin(tauri_plugin_updater::Builder::new().build())
        .setup(|tauri_app| {
            let data_dir = data_dir(tauri_app.handle());
            let app = recert_app::App::open(
                &data_dir.join("recert.db"),
                recert_app::App::system_clock(),
            )?;
            // Sign-ins live in the OS keychain (or the file RECERT_TOKEN_FILE names), chosen
            // before any tenant connects: a person signed in before a restart is signed in again.
            tauri::async_runtime::block_on(app.use_os_keychain());
            let reconnecting = app.clone();
            tauri::async_runtime::spawn(async move {
                match reconnecting.reconnect_saved(None).await {
                    Ok(failed) => {
                        for (tenant, err) in failed {
                            tracing::warn!(%tenant, %err, "a saved tenant did not connect");
                        }
                    }
                    Err(err) => tracing::error!(%err, "the saved tenants could not be read"),
                }
            });
            let demo = demo::DemoTenant::new(app.clone(), data_dir.clone());
            scheduler::start(app.clone(), demo.clone());
            memory::release_when_idle(app.clone());
            if let Some(window) = tauri_app.get_webview_window("main") {
                memory::lean_web_engine(&window);
            }
            tauri_app.manage(updates::Updates::new(tauri_app.handle(), &data_dir));
            updates::start(tauri_app.handle().clone());
            tauri_app.manage(Shell {
                app,
                demo,
                data_dir,
                applying: Mutex::default(),
                window_tenant: Mutex::default(),
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::tenant::demo_tenant,
            commands::tenant::tenant_pull,
            commands::tenant::role_summary,
            commands::tenant::tenants,
            commands::tenant::tenant_add,
            commands::tenant::tenant_connect,
            commands::tenant::acting,
            commands::tenant::use_tenant,
            commands::tenant::act_as,
            commands::tenant::stop_acting,
            commands::tenant::find_person,
            commands::tenant::search_people,
            commands::tenant::sign_in,
            commands::tenant::sign_in_device_code,
            commands::tenant::sign_out,
            commands::tenant::tenant_check,
            commands::admins::admins,
            commands::admins::admin_add,
            commands::admins::admin_remove,
            commands::admins::admin_bootstrap,
            commands::campaigns::definition_check,
            commands::campaigns::definition_preview,
            commands::campaigns::definition_create,
            commands::campaigns::definitions,
            commands::campaigns::campaigns,
            commands::campaigns::campaign,
            commands::campaigns::campaign_open,
            commands::campaigns::campaign_gaps,
            commands::campaigns::campaign_changes,
            commands::campaigns::campaign_close,
            commands::campaigns::campaign_advance_stage,
            commands::campaigns::campaign_decisions,
            commands::campaigns::run_due,
            commands::campaigns::campaign_publish,
            commands::campaigns::campaign_sync,
            commands::campaigns::campaign_delivery,
            commands::campaigns::campaign_entra_progress,
            commands::worklist::worklist,
            commands::worklist::decide,
            commands::worklist::withdraw_decisions,
            commands::worklist::accept_preview,
            commands::worklist::item_facts,
            commands::worklist::accept_recommendations,
            commands::worklist::justification_presets,
            commands::worklist::set_justification_presets,
            commands::evidence::evidence_export,
            commands::evidence::evidence_verify,
            commands::evidence::evidence_open_folder,
            commands::evidence::evidence_save_copy,
            commands::evidence::campaign_evidence,
            commands::evidence::sign_off_status,
            commands::evidence::sign_off,
            commands::evidence::correct_campaign,
            commands::evidence::exceptions,
            commands::evidence::register_exception,
            commands::evidence::evidence_sample,
            commands::remediation::remediation_plan,
            commands::remediation::remediation_confirm_held,
            commands::remediation::remediation_keep_held,
            commands::remediation::remediation_resolve,
            commands::remediation::remediation_apply,
            commands::remediation::remediation_cancel,
            commands::remediation::remediation_verify,
            commands::remediation::remediation_safety,
            commands::remediation::set_remediation_safety,
            commands::remediation::protection_suggestions,
            commands::remediation::dismiss_protection_suggestion,
            commands::audit::audit_log,
            commands::audit::audit_kinds,
            commands::audit::audit_chain,
            commands::updates::update_status,
            commands::updates::update_install,
        ])
        .run(tauri::generate_context!());
    if let Err(err) = result {
        eprintln!("Recert could not start: {err}");
        std::process::exit(1);
    }
}
