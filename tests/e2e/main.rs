//! End-to-end tests in the real window: the embed build of the app, driven through tauri-driver
//! and WebKitWebDriver under Xvfb. `cargo xtask test` builds the app, installs the driver and
//! runs these; each test saves screenshots under `target/e2e-shots/`.

mod admin;
mod campaign;
mod decisions;
mod exceptions;
mod layout;
mod population;
mod single_instance;
mod tenants;
mod update;
mod window;
mod worklist;
