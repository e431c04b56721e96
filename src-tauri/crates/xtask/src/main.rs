//! `cargo xtask`: Recert's set-up and gates, so that two commands take a fresh clone to a running
//! app (`run`) and to a full verdict (`test`). Benchmarks live behind `bench`.
//!
//! Only std is used so that this builds in seconds before anything else is installed.

mod check;
mod dist;
mod setup;
mod shell;

use std::process::ExitCode;

use shell::{Tally, cmd, repo_root};

const USAGE: &str = "usage: cargo xtask <run | test | bench [name...] | dist [--check] ...>

  run     install what is missing, build, open the app on the demo tenant
          (headless: run the demo flow through the CLI and print where the PDF is)
  test    every gate: fmt, clippy, boundaries, Rust tests, UI checks, SDK check, window E2E
  bench   the performance figures, with the machine's description
  dist    the release packages, signed for the updater, and the update manifest
          (`cargo xtask dist --help` for its options)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(),
        Some("test") => test(),
        Some("bench") => bench(&args[1..]),
        Some("dist") if args.iter().any(|a| a == "--help" || a == "-h") => {
            println!("{}", dist::USAGE);
            return ExitCode::SUCCESS;
        }
        Some("dist") => dist::dist(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nxtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn has_display() -> bool {
    std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty())
        || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|d| !d.is_empty())
}

fn run() -> Result<(), String> {
    let root = repo_root();
    setup::system_packages(setup::RUN_PACKAGES)?;
    setup::node()?;
    setup::npm_ci(&root)?;
    shell::step("build the UI", cmd("npm", &["run", "build"]).current_dir(root.join("ui")))?;
    if has_display() {
        shell::step("build the app", cmd("cargo", &["build", "-p", "recert"]).current_dir(&root))?;
        println!("\nOpening Recert on the demo tenant…");
        shell::step(
            "run the app",
            &mut cmd(root.join("target/debug/recert").to_str().unwrap_or("recert"), &[]),
        )
    } else {
        println!("\nNo display: running the demo flow headless through recert-cli.");
        shell::step(
            "build the CLI",
            cmd("cargo", &["build", "-p", "recert-cli"]).current_dir(&root),
        )?;
        let data_dir = root.join("target/demo");
        shell::step(
            "run the demo",
            cmd(root.join("target/debug/recert-cli").to_str().unwrap_or("recert-cli"), &["demo"])
                .env("RECERT_DATA_DIR", &data_dir),
        )
    }
}

fn test() -> Result<(), String> {
    let root = repo_root();
    let mut tally = Tally::default();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    println!("Recert gate{}: set-up first.", if ci { " (CI)" } else { "" });
    tally.start();
    let since = std::time::Instant::now();
    setup::system_packages(setup::TEST_PACKAGES)?;
    setup::node()?;
    setup::npm_ci(&root)?;
    // The last two set-up steps feed one gate each: when they fail, that gate fails and the rest
    // still runs, so one run shows every problem.
    let driver = setup::tauri_driver();
    let python = setup::python_sdk(&root);
    tally.timed("set-up (system and Node packages, WebDriver, Python SDK)", since);

    // Formatting and boundaries are cheap and fail fast.
    tally.gate("cargo fmt --check", cmd("cargo", &["fmt", "--all", "--check"]).current_dir(&root));
    for (package, forbidden) in [
        ("recert-app", "tauri"),
        ("recert-cli", "tauri"),
        ("recert-domain", "rusqlite"),
        ("recert-domain", "reqwest"),
        ("recert-domain", "tokio"),
        ("recert-emulator", "recert-domain"),
        ("recert-emulator", "recert-store"),
        ("recert-emulator", "recert-graph"),
        ("recert-emulator", "recert-evidence"),
        ("recert-emulator", "recert-app"),
    ] {
        tally.check(&format!("boundary: no {forbidden} under {package}"), || {
            shell::not_in_tree(&root, package, forbidden)
        });
    }

    // The UI: the shell embeds ui/dist, so it is built before anything compiles the shell.
    let ui = root.join("ui");
    tally.gate("UI build", cmd("npm", &["run", "build"]).current_dir(&ui));
    tally.gate("UI typecheck", cmd("npm", &["run", "check"]).current_dir(&ui));
    tally.gate("UI lint", cmd("npm", &["run", "lint"]).current_dir(&ui));
    tally.vitest(&ui, &root.join("target/vitest.json"));

    tally.gate(
        "cargo clippy -D warnings",
        cmd(
            "cargo",
            &["clippy", "--workspace", "--all-targets", "--keep-going", "--", "-D", "warnings"],
        )
        .current_dir(&root),
    );
    tally.cargo_tests(
        "Rust tests",
        cmd("cargo", &["test", "--workspace", "--no-fail-fast"]).current_dir(&root),
    );
    tally.check("IPC bindings are committed and fresh", || shell::bindings_fresh(&root));

    match python {
        Ok(python) => tally.cargo_tests(
            "Graph SDK for Python against the emulator",
            cmd("cargo", &["test", "-p", "recert-tests", "--test", "sdk"])
                .current_dir(&root)
                .env("RECERT_PYTHON", &python),
        ),
        Err(why) => {
            tally.record("Graph SDK for Python against the emulator", Err(why));
        }
    }

    // The real window: the embed build of the app, driven through tauri-driver under Xvfb.
    let built =
        tally.gate("build the app", cmd("cargo", &["build", "-p", "recert"]).current_dir(&root));
    match driver {
        Err(why) => {
            tally.record("end-to-end in the real window", Err(why));
        }
        Ok(driver) if built => tally.cargo_tests(
            "end-to-end in the real window",
            // A window test that hangs (a wedged WebDriver session) must fail the gate, not eat
            // CI's time: the whole run is stopped after 20 minutes.
            cmd(
                "timeout",
                &[
                    "--kill-after=30",
                    "1200",
                    "xvfb-run",
                    XVFB[0],
                    XVFB[1],
                    XVFB[2],
                    "cargo",
                    "test",
                    "-p",
                    "recert-tests",
                    "--test",
                    "e2e",
                    "--",
                    "--test-threads=1",
                ],
            )
            .current_dir(&root)
            .envs(window_env(&driver)),
        ),
        Ok(_) => {}
    }
    tally.finish()
}

/// `xvfb-run`'s arguments for the real window: a display of its own, big enough for the app.
pub(crate) const XVFB: [&str; 3] = ["-a", "-s", "-screen 0 1280x800x24"];

/// What the real window needs under Xvfb: the WebDriver, and WebKit's shared-memory renderer
/// (a virtual display has no GPU buffers to share).
pub(crate) fn window_env(driver: &std::path::Path) -> [(&'static str, &std::ffi::OsStr); 2] {
    [
        ("RECERT_TAURI_DRIVER", driver.as_os_str()),
        ("WEBKIT_DISABLE_DMABUF_RENDERER", std::ffi::OsStr::new("1")),
    ]
}

fn bench(names: &[String]) -> Result<(), String> {
    let root = repo_root();
    println!("Machine: {}", shell::machine_description());
    // The same set-up as the gates: the window benchmark needs the virtual display, the WebDriver
    // and the built UI; `large-pull` needs the Python SDK's venv.
    setup::system_packages(setup::TEST_PACKAGES)?;
    setup::node()?;
    setup::npm_ci(&root)?;
    let wanted = |name: &str| names.is_empty() || names.iter().any(|n| n == name);
    // Both window benchmarks drive the real window.
    let windowed = wanted("window") || wanted("remediation-window");
    let driver = if windowed { Some(setup::tauri_driver()?) } else { None };
    if wanted("large-pull") {
        setup::python_sdk(&root)?;
    }
    shell::step("build the UI", cmd("npm", &["run", "build"]).current_dir(root.join("ui")))?;
    // `large-pull` serves the SDK's tenant with `recert-cli emulator serve` in its own process,
    // found beside `recert-bench`; `window` measures the release app.
    shell::step(
        "build the benchmarks, recert-cli and the app (release)",
        cmd(
            "cargo",
            &[
                "build",
                "--release",
                "-p",
                "recert-tests",
                "--bin",
                "recert-bench",
                "-p",
                "recert-cli",
                "--bin",
                "recert-cli",
                "-p",
                "recert",
                "--bin",
                "recert",
            ],
        )
        .current_dir(&root),
    )?;
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let bench = root.join("target/release/recert-bench");
    let bench = bench.to_str().unwrap_or("recert-bench");
    let mut run = match &driver {
        // The window benchmark drives the real window: under a virtual display, like the gate.
        Some(driver) => {
            let mut args = XVFB.to_vec();
            args.push(bench);
            args.extend(&names);
            let mut run = cmd("xvfb-run", &args);
            run.envs(window_env(driver));
            run
        }
        None => cmd(bench, &names),
    };
    shell::step("run the benchmarks", run.current_dir(&root))
}
