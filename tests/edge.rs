//! The edge between the window and the backend: every Tauri command has one TypeScript wrapper
//! in `ui/src/ipc/index.ts` that calls it by its name with exactly the arguments it takes (Tauri
//! names them in camelCase), so a renamed command or argument fails here instead of at the
//! window as an argument Tauri cannot decode.

use std::collections::{BTreeMap, BTreeSet};

use recert_tests::repo_root;

/// Arguments Tauri fills in itself: the window never passes them.
const INJECTED: &[&str] = &["State<", "AppHandle", "Window", "WebviewWindow", "Webview"];

/// The parameters between the `(` at `open` and its matching `)`, split at top-level commas.
fn parameters(text: &str, open: usize) -> Vec<String> {
    let mut depth = 0;
    let mut current = String::new();
    let mut out = Vec::new();
    for c in text[open..].chars() {
        match c {
            '(' | '<' | '[' | '{' => {
                depth += 1;
                if depth > 1 {
                    current.push(c);
                }
            }
            ')' | '>' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
                current.push(c);
            }
            ',' if depth == 1 => out.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    out.push(current);
    out.into_iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Each command of the shell by name, with the arguments the window passes: (name, optional).
fn rust_commands(text: &str, out: &mut BTreeMap<String, BTreeMap<String, bool>>) {
    let mut rest = text;
    while let Some(at) = rest.find("#[tauri::command") {
        rest = &rest[at..];
        let Some(fn_at) = rest.find("fn ") else { break };
        let name: String =
            rest[fn_at + 3..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let open = rest[fn_at..].find('(').map(|o| fn_at + o).expect("a command's parameters");
        let mut args = BTreeMap::new();
        for p in parameters(rest, open) {
            let Some((arg, ty)) = p.split_once(':') else { continue };
            let ty = ty.trim();
            if INJECTED.iter().any(|i| ty.starts_with(i) || ty.starts_with(&format!("tauri::{i}")))
            {
                continue;
            }
            let arg = arg.trim().trim_start_matches("mut ").trim();
            args.insert(camel(arg), ty.starts_with("Option<"));
        }
        out.insert(name, args);
        rest = &rest[open..];
    }
}

/// Each `call<…>("command", { … })` of the wrappers: the command and the argument keys.
fn ts_calls(text: &str) -> Vec<(String, BTreeSet<String>)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("call<") {
        rest = &rest[at + 5..];
        let Some(quote) = rest.find("(\"") else { break };
        if rest[..quote].contains(['\n', '(']) {
            continue;
        }
        let after = &rest[quote + 2..];
        let name: String = after.chars().take_while(|c| *c != '"').collect();
        let after = &after[name.len() + 1..];
        let mut keys = BTreeSet::new();
        if let Some(args) = after.strip_prefix(", {") {
            let open = rest.len() - args.len() - 1;
            for p in parameters(rest, open) {
                assert!(!p.starts_with("..."), "{name}: name each argument, no spread ({p})");
                let key = p.split(':').next().unwrap_or_default().trim();
                keys.insert(key.to_string());
            }
        }
        out.push((name, keys));
    }
    out
}

#[test]
fn every_command_and_its_wrapper_agree_in_name_and_arguments() {
    let root = repo_root();
    let mut commands = BTreeMap::new();
    let mut sources = vec![root.join("src-tauri/lib.rs")];
    for entry in std::fs::read_dir(root.join("src-tauri/commands")).expect("the commands") {
        sources.push(entry.expect("a command file").path());
    }
    for path in sources {
        rust_commands(&std::fs::read_to_string(&path).unwrap_or_default(), &mut commands);
    }
    let wrappers =
        ts_calls(&std::fs::read_to_string(root.join("ui/src/ipc/index.ts")).expect("the wrappers"));
    assert!(commands.len() > 30, "the shell's commands: {:?}", commands.keys());
    let mut problems = Vec::new();
    let mut wrapped = BTreeSet::new();
    for (name, keys) in &wrappers {
        wrapped.insert(name.clone());
        let Some(args) = commands.get(name) else {
            problems.push(format!("the window calls {name:?}, which no command is named"));
            continue;
        };
        for key in keys.iter().filter(|k| !args.contains_key(*k)) {
            problems.push(format!(
                "{name}: the window passes {key:?}, the command takes no such argument"
            ));
        }
        for (arg, optional) in args {
            if !optional && !keys.contains(arg) {
                problems.push(format!(
                    "{name}: the command needs {arg:?}, the window does not pass it"
                ));
            }
        }
    }
    for name in commands.keys().filter(|n| !wrapped.contains(*n)) {
        problems.push(format!("{name}: a command the window has no wrapper for"));
    }
    assert!(problems.is_empty(), "the window and the backend disagree: {problems:#?}");
}

#[test]
fn the_edge_reader_sees_injected_arguments_optional_ones_and_spreads() {
    let rust = "#[tauri::command]\npub async fn campaign_open(\n    shell: State<'_, Shell>,\n    definition_id: String,\n    accept_gap: Option<String>,\n) -> Result<CampaignDto, AppError> {\n}\n";
    let mut commands = BTreeMap::new();
    rust_commands(rust, &mut commands);
    let args = &commands["campaign_open"];
    assert_eq!(args.get("definitionId"), Some(&false));
    assert_eq!(args.get("acceptGap"), Some(&true));
    assert_eq!(args.len(), 2, "State is Tauri's, not the window's: {args:?}");
    let ts = "  x: (id: string, g: string | null) =>\n    call<CampaignDto>(\"campaign_open\", { definitionId: id, acceptGap: g }),\n  y: () => call<void>(\"run_due\"),\n";
    let calls = ts_calls(ts);
    assert_eq!(calls[0].0, "campaign_open");
    assert_eq!(calls[0].1, BTreeSet::from(["definitionId".to_string(), "acceptGap".to_string()]));
    assert_eq!(calls[1], ("run_due".to_string(), BTreeSet::new()));
}
