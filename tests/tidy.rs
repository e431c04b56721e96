//! Tidy checks on the tree itself: every source file says what it owns in its first line, and
//! every command the shell registers is declared in the app manifest and granted to the main
//! window, no more and no fewer.

use std::path::{Path, PathBuf};

use recert_tests::repo_root;

fn files(dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !matches!(
                name.as_ref(),
                "target" | "node_modules" | "dist" | "bindings" | "gen" | ".git"
            ) {
                files(&path, extensions, out);
            }
        } else if extensions.iter().any(|ext| name.ends_with(ext)) {
            out.push(path);
        }
    }
}

#[test]
fn every_rust_file_opens_with_a_module_doc() {
    let root = repo_root();
    let mut rust = Vec::new();
    files(&root.join("src-tauri"), &[".rs"], &mut rust);
    files(&root.join("tests"), &[".rs"], &mut rust);
    assert!(rust.len() > 20, "the walk found the sources ({} files)", rust.len());
    let missing: Vec<_> = rust
        .iter()
        .filter(|path| !std::fs::read_to_string(path).unwrap_or_default().starts_with("//!"))
        .map(|path| path.strip_prefix(&root).unwrap_or(path).display().to_string())
        .collect();
    assert!(missing.is_empty(), "these files do not open with a `//!` line: {missing:#?}");
}

#[test]
fn every_ui_file_opens_with_a_comment() {
    let root = repo_root();
    let mut ui = Vec::new();
    files(&root.join("ui/src"), &[".ts", ".svelte"], &mut ui);
    assert!(!ui.is_empty(), "the walk found the UI sources");
    let missing: Vec<_> = ui
        .iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            !(text.starts_with("//") || text.starts_with("<!--"))
        })
        .map(|path| path.strip_prefix(&root).unwrap_or(path).display().to_string())
        .collect();
    assert!(missing.is_empty(), "these files do not open with a comment: {missing:#?}");
}

/// The quoted or path-named command names between `start` and the first `end` after it.
fn names_between(text: &str, start: &str, end: &str) -> Vec<String> {
    let from = text.find(start).map(|i| i + start.len()).expect("the list's start");
    let to = from + text[from..].find(end).expect("the list's end");
    text[from..to]
        .split([',', '\n'])
        .map(|s| s.trim().trim_matches('"').rsplit("::").next().unwrap_or_default().to_string())
        .filter(|s| !s.is_empty() && !s.starts_with("//"))
        .collect()
}

#[test]
fn every_command_is_declared_and_granted_to_the_main_window_only() {
    let root = repo_root();
    let read = |p: &str| std::fs::read_to_string(root.join(p)).expect(p);
    let mut registered = names_between(&read("src-tauri/lib.rs"), "generate_handler![", "]");
    let mut declared =
        names_between(&read("src-tauri/build.rs"), "const COMMANDS: &[&str] = &[", "];");
    let config: serde_json::Value =
        serde_json::from_str(&read("tauri.conf.json")).expect("tauri.conf.json is JSON");
    let capabilities = config["app"]["security"]["capabilities"].as_array().expect("capabilities");
    assert_eq!(capabilities.len(), 1, "one capability: the main window's");
    assert_eq!(capabilities[0]["windows"], serde_json::json!(["main"]));
    let mut granted: Vec<String> = capabilities[0]["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .filter_map(|p| p.as_str())
        .map(|p| p.strip_prefix("allow-").unwrap_or(p).replace('-', "_"))
        .collect();
    assert!(registered.len() > 30, "the shell's commands: {registered:?}");
    registered.sort();
    declared.sort();
    granted.sort();
    assert_eq!(declared, registered, "build.rs declares exactly the registered commands");
    assert_eq!(granted, registered, "the main window is granted exactly the registered commands");
}
