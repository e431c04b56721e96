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

/// The functions of a Rust source outside its tests, as (first line, name, lines): a function
/// runs from its `fn` line to the `}` at the same indentation (rustfmt's layout); a test module
/// (`#[cfg(test)]`) ends what counts.
fn functions(text: &str) -> Vec<(usize, String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim() == "#[cfg(test)]" {
            break;
        }
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        let Some(at) = body.find("fn ") else { continue };
        let before = &body[..at];
        let qualifiers = before
            .split_whitespace()
            .all(|w| w.starts_with("pub") || matches!(w, "async" | "const" | "unsafe" | "extern"));
        if !qualifiers || !body[at + 3..].starts_with(|c: char| c.is_alphabetic() || c == '_') {
            continue;
        }
        let name: String =
            body[at + 3..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        // A declaration without a body (in a trait) ends with `;` before any `{`.
        let opens = lines[i..].iter().position(|l| l.trim_end().ends_with('{'));
        let declares = lines[i..].iter().position(|l| l.trim_end().ends_with(';'));
        if opens.is_none() || declares.is_some_and(|d| Some(d) < opens) {
            continue;
        }
        if line.trim_end().ends_with('}') {
            out.push((i + 1, name, 1));
            continue;
        }
        let close = format!("{indent}}}");
        if let Some(end) = lines[i + 1..].iter().position(|l| *l == close) {
            out.push((i + 1, name, end + 2));
        }
    }
    out
}

#[test]
fn no_production_function_runs_over_120_lines_in_the_app_store_and_graph() {
    let root = repo_root();
    let mut rust = Vec::new();
    for krate in ["app", "store", "graph"] {
        files(&root.join("src-tauri/crates").join(krate).join("src"), &[".rs"], &mut rust);
    }
    assert!(rust.len() > 20, "the walk found the sources ({} files)", rust.len());
    let mut long = Vec::new();
    let mut counted = 0;
    for path in rust.iter().filter(|p| !p.ends_with("tests.rs")) {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for (line, name, length) in functions(&text) {
            counted += 1;
            if length > 120 {
                let file = path.strip_prefix(&root).unwrap_or(path).display().to_string();
                long.push(format!("{file}:{line} {name}: {length} lines"));
            }
        }
    }
    assert!(counted > 300, "the walk found the functions ({counted})");
    assert!(long.is_empty(), "split these functions (120 lines at most): {long:#?}");
}

#[test]
fn no_app_file_runs_over_700_lines() {
    let root = repo_root();
    let mut rust = Vec::new();
    files(&root.join("src-tauri/crates/app/src"), &[".rs"], &mut rust);
    assert!(rust.len() > 20, "the walk found the sources ({} files)", rust.len());
    let long: Vec<String> = rust
        .iter()
        .filter_map(|path| {
            let lines = std::fs::read_to_string(path).unwrap_or_default().lines().count();
            (lines > 700).then(|| {
                format!("{}: {lines} lines", path.strip_prefix(&root).unwrap_or(path).display())
            })
        })
        .collect();
    assert!(long.is_empty(), "split these files (700 lines at most): {long:#?}");
}

#[test]
fn the_function_walk_measures_bodies_and_skips_declarations_and_tests() {
    let text = "trait T {\n    fn declared(&self) -> u32;\n}\n\npub(crate) async fn two<T>(\n    a: T,\n) -> T {\n    let f = |x| {\n        x\n    };\n    f(a)\n}\n\nfn one() {}\n\n#[cfg(test)]\nmod tests {\n    fn ignored() {\n    }\n}\n";
    let found = functions(text);
    assert_eq!(found, vec![(5, "two".to_string(), 8), (14, "one".to_string(), 1)]);
}
