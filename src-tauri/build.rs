//! Build script of the desktop shell: tauri-build reads `tauri.conf.json` beside the root manifest.

fn main() {
    tauri_build::build()
}
