//! Installing what the build and the gates need, only when it is missing: Debian/Ubuntu system
//! packages, Node packages, tauri-driver, and the Python SDK used to cross-check the emulator.

use std::path::{Path, PathBuf};

use crate::shell::{cmd, step};

/// What building and running the window needs.
pub const RUN_PACKAGES: &[&str] =
    &["libwebkit2gtk-4.1-dev", "build-essential", "pkg-config", "curl", "file"];

/// What `cargo xtask dist` needs: the same as building (Tauri's bundler makes the .deb and the
/// .rpm itself).
pub const DIST_PACKAGES: &[&str] = RUN_PACKAGES;

/// Plus what the gates need: a virtual display and the WebDriver for WebKitGTK, a D-Bus session
/// bus and a window tool (to see which window has the focus) for the single-instance test, PDF tools for the evidence checks, and venv support for the
/// Python SDK check.
pub const TEST_PACKAGES: &[&str] = &[
    "libwebkit2gtk-4.1-dev",
    "build-essential",
    "pkg-config",
    "curl",
    "file",
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "dbus-daemon",
    "dbus-bin",
    "xdotool",
    "poppler-utils",
    "qpdf",
    "python3",
    "python3-venv",
];

/// Node 20.19 is the oldest that Vite 8 runs on.
const NODE_MIN: (u32, u32) = (20, 19);

fn is_root() -> bool {
    cmd("id", &["-u"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn installed(package: &str) -> bool {
    cmd("dpkg-query", &["-W", "-f=${Status}", package])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

fn apt(args: &[&str]) -> Result<(), String> {
    let mut command =
        if is_root() { cmd("apt-get", args) } else { cmd("sudo", &[&["apt-get"], args].concat()) };
    command.env("DEBIAN_FRONTEND", "noninteractive");
    step(&format!("apt-get {}", args.first().unwrap_or(&"")), &mut command)
}

pub fn system_packages(packages: &[&str]) -> Result<(), String> {
    if !cfg!(target_os = "linux") || cmd("dpkg-query", &["--version"]).output().is_err() {
        let missing = packages.join(" ");
        println!(
            "This set-up installs packages on Debian and Ubuntu only. Elsewhere, install the Tauri \
             prerequisites for your system (WebView2 on Windows, Xcode command-line tools on macOS), \
             Node.js 20.19 or newer, and for the gates the equivalents of: {missing}"
        );
        return if cfg!(target_os = "linux") {
            Err("not a Debian-based system".into())
        } else {
            Ok(())
        };
    }
    let missing: Vec<&str> = packages.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!("Installing system packages: {}", missing.join(" "));
    apt(&["update", "-q"])?;
    apt(&[&["install", "-y", "-q", "--no-install-recommends"], missing.as_slice()].concat())
}

fn node_version() -> Option<(u32, u32)> {
    let out = cmd("node", &["--version"]).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.trim().trim_start_matches('v').split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

pub fn node() -> Result<(), String> {
    if node_version().is_some_and(|v| v >= NODE_MIN) {
        return Ok(());
    }
    if node_version().is_none() && cmd("dpkg-query", &["--version"]).output().is_ok() {
        apt(&["update", "-q"])?;
        apt(&["install", "-y", "-q", "nodejs", "npm"])?;
    }
    match node_version() {
        Some(v) if v >= NODE_MIN => Ok(()),
        found => Err(format!(
            "Node.js {}.{} or newer is needed to build the UI (found {}); install it from your \
             distribution's backports or the Node.js project's packages and run this again",
            NODE_MIN.0,
            NODE_MIN.1,
            found.map(|(a, b)| format!("{a}.{b}")).unwrap_or_else(|| "none".into())
        )),
    }
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// `npm ci` when node_modules is missing or older than the lockfile.
pub fn npm_ci(root: &Path) -> Result<(), String> {
    let ui = root.join("ui");
    let lock = modified(&ui.join("package-lock.json"));
    let installed = modified(&ui.join("node_modules/.package-lock.json"));
    if matches!((lock, installed), (Some(lock), Some(installed)) if installed >= lock) {
        return Ok(());
    }
    step(
        "install the UI's Node packages",
        cmd("npm", &["ci", "--no-audit", "--no-fund"]).current_dir(&ui),
    )
}

fn cargo_bin(name: &str) -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let path = home.join("bin").join(name);
    path.exists().then_some(path)
}

/// tauri-driver bridges WebDriver clients to WebKitWebDriver for the window E2E tests.
pub fn tauri_driver() -> Result<PathBuf, String> {
    if let Some(path) = cargo_bin("tauri-driver") {
        return Ok(path);
    }
    // 2.x: the 3.0 alpha drives a different Tauri major.
    step(
        "install tauri-driver",
        &mut cmd("cargo", &["install", "tauri-driver", "--locked", "--version", "^2.1"]),
    )?;
    cargo_bin("tauri-driver")
        .ok_or_else(|| "tauri-driver was installed but is not in cargo's bin directory".into())
}

/// A private virtualenv with Microsoft's Graph SDK for Python, pinned by tests/sdk/requirements.txt.
pub fn python_sdk(root: &Path) -> Result<PathBuf, String> {
    let venv = root.join("target/sdk-venv");
    let python = venv.join("bin/python");
    let requirements = root.join("tests/sdk/requirements.txt");
    let wanted = std::fs::read_to_string(&requirements)
        .map_err(|err| format!("cannot read {}: {err}", requirements.display()))?;
    let stamp = venv.join("installed-requirements.txt");
    if python.exists() && std::fs::read_to_string(&stamp).is_ok_and(|had| had == wanted) {
        return Ok(python);
    }
    let _ = std::fs::remove_dir_all(&venv);
    step("create the Python venv", cmd("python3", &["-m", "venv"]).arg(&venv))?;
    step(
        "install the Graph SDK for Python",
        cmd(&python, &["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&requirements),
    )?;
    std::fs::write(&stamp, wanted)
        .map_err(|err| format!("cannot write {}: {err}", stamp.display()))?;
    Ok(python)
}
