//! Tauri commands, one file per area. Each is parse, call `recert-app`, return.

pub mod admins;
pub mod audit;
pub mod campaigns;
pub mod evidence;
pub mod remediation;
pub mod tenant;
pub mod updates;
pub mod worklist;
