//! Tidy checks on the tree itself: every source file says what it owns in its first line.

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
