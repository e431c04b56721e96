//! The types that cross IPC and the CLI's `--json`: plain data, camelCase, exported to
//! TypeScript (`ui/src/ipc/bindings/`) so the UI and the backend cannot drift apart.

use serde::Serialize;
use ts_rs::TS;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TenantDto {
    pub id: String,
    pub name: String,
    pub tenant_guid: String,
    pub is_demo: bool,
}

/// One role's eligible and active counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RoleCountDto {
    pub surface: String,
    pub role_id: String,
    pub display_name: String,
    pub eligible: u32,
    pub active: u32,
}

/// A tenant's latest population, summarised per role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RoleSummaryDto {
    pub tenant: TenantDto,
    /// RFC 3339 UTC; the UI shows it in local time.
    pub pulled_at: String,
    pub raw_sha256: String,
    pub eligible: u32,
    pub active: u32,
    pub roles: Vec<RoleCountDto>,
}

/// What one pull did.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PullDto {
    pub tenant_id: String,
    pub roles: u32,
    pub eligible: u32,
    pub active: u32,
    pub activations: u32,
    pub requests: u32,
    pub raw_sha256: String,
    pub seconds: f64,
}
