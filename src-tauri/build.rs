//! Build script of the desktop shell: tauri-build reads `tauri.conf.json` beside the root manifest.
//!
//! Recert's own commands are declared in the app manifest, so each gets an `allow-<command>`
//! permission and is reachable only from a window whose capability grants it: the main window's
//! capability (`tauri.conf.json`) lists them, and nothing else — the sign-in window showing a
//! login page, or any other webview — can call any. Keep this list, `generate_handler!` in
//! `lib.rs` and the capability in step (`tests/tidy.rs` checks that they are).

/// Every command `lib.rs` registers.
const COMMANDS: &[&str] = &[
    "demo_tenant",
    "tenant_pull",
    "role_summary",
    "tenants",
    "tenant_add",
    "tenant_connect",
    "acting",
    "use_tenant",
    "act_as",
    "stop_acting",
    "find_person",
    "search_people",
    "sign_in",
    "sign_in_device_code",
    "sign_out",
    "tenant_check",
    "admins",
    "admin_add",
    "admin_remove",
    "admin_bootstrap",
    "definition_check",
    "definition_preview",
    "definition_create",
    "definitions",
    "campaigns",
    "campaign",
    "campaign_open",
    "campaign_gaps",
    "campaign_changes",
    "campaign_close",
    "campaign_advance_stage",
    "campaign_decisions",
    "run_due",
    "campaign_publish",
    "campaign_sync",
    "campaign_delivery",
    "campaign_entra_progress",
    "worklist",
    "decide",
    "withdraw_decisions",
    "accept_preview",
    "item_facts",
    "accept_recommendations",
    "justification_presets",
    "set_justification_presets",
    "evidence_export",
    "evidence_verify",
    "evidence_open_folder",
    "evidence_save_copy",
    "campaign_evidence",
    "sign_off_status",
    "sign_off",
    "correct_campaign",
    "exceptions",
    "register_exception",
    "evidence_sample",
    "remediation_plan",
    "remediation_confirm_held",
    "remediation_keep_held",
    "remediation_resolve",
    "remediation_apply",
    "remediation_cancel",
    "remediation_verify",
    "remediation_safety",
    "set_remediation_safety",
    "protection_suggestions",
    "dismiss_protection_suggestion",
    "audit_log",
    "audit_kinds",
    "audit_chain",
    "update_status",
    "update_install",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(err) = tauri_build::try_build(attributes) {
        // A build script reports by failing: say why, as tauri_build::build() does.
        panic!("tauri-build failed: {err:#}");
    }
}
