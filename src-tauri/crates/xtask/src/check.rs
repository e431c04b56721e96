//! `cargo xtask dist --check`: installs the packages just built on a clean machine and starts
//! them there. The .deb goes into a Debian 12 root made here with debootstrap (Debian's own
//! packages, nothing from this machine or the repository), the AppImage (when one was built)
//! into a fresh directory; each installed app is started under Xvfb and driven through WebDriver
//! (`tests/install`): its window must show the demo tenant, with the UI's fonts loaded.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::setup;
use crate::shell::{cmd, step};

/// What the check needs on the building machine: debootstrap, minisign (the signatures are
/// checked the way the README tells users to), and the window test's tools.
const CHECK_PACKAGES: &[&str] = &["debootstrap", "minisign", "xvfb", "xauth", "webkit2gtk-driver"];

/// Where the clean system's packages come from.
const MIRROR: &str = "http://deb.debian.org/debian";

/// Everything mounted below `dir`, deepest first (from /proc/self/mounts).
fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    let mut found: Vec<PathBuf> = mounts
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .map(|p| PathBuf::from(p.replace("\\040", " ")))
        .filter(|p| p.starts_with(dir))
        .collect();
    found.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    found
}

/// Unmounts whatever an earlier run left mounted in the clean root, then removes it; the
/// removal never crosses into another file system, so a mount missed here is left alone.
fn remove_root(work: &Path) -> Result<(), String> {
    for mount in mounts_under(work) {
        let _ = cmd("umount", &["-l"]).arg(&mount).status();
    }
    if let Some(left) = mounts_under(work).first() {
        return Err(format!("{} is still mounted; unmount it and run again", left.display()));
    }
    if work.exists() {
        step("remove the previous clean root", cmd("rm", &["-rf", "--one-file-system"]).arg(work))?;
    }
    Ok(())
}

fn chroot(root: &Path, args: &[&str]) -> std::process::Command {
    let mut command = cmd("chroot", &[]);
    command.arg(root).args(args).env("DEBIAN_FRONTEND", "noninteractive").env_clear_path();
    command
}

/// The chroot gets the standard path, not the building machine's.
trait ClearPath {
    fn env_clear_path(&mut self) -> &mut Self;
}

impl ClearPath for std::process::Command {
    fn env_clear_path(&mut self) -> &mut Self {
        self.env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    }
}

fn find(dir: &Path, ext: &str) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().and_then(|e| e.to_str()) == Some(ext))
}

/// Runs the installed-app window test (`tests/install`) against `launcher`.
fn window_test(root: &Path, launcher: &Path, what: &str, shot: &str) -> Result<(), String> {
    let driver = setup::tauri_driver()?;
    step(
        &format!("start {what} and look at its window"),
        cmd(
            "xvfb-run",
            &[
                crate::XVFB[0],
                crate::XVFB[1],
                crate::XVFB[2],
                "cargo",
                "test",
                "-p",
                "recert-tests",
                "--test",
                "install",
                "--",
                "--test-threads=1",
            ],
        )
        .current_dir(root)
        .envs(crate::window_env(&driver))
        .env("RECERT_INSTALLED_APP", launcher)
        .env("RECERT_INSTALLED_SHOT", shot),
    )
}

/// The public key the packages must verify against (base64 of a minisign public key file, as
/// `tauri.conf.json` holds it): `plugins.updater.pubkey`.
pub fn configured_pubkey(root: &Path) -> Result<String, String> {
    let config = std::fs::read_to_string(root.join("tauri.conf.json"))
        .map_err(|err| format!("cannot read tauri.conf.json: {err}"))?;
    config
        .lines()
        .find_map(|l| {
            let rest = l.trim().strip_prefix("\"pubkey\":")?;
            Some(rest.trim().trim_end_matches(',').trim_matches('"').to_string())
        })
        .ok_or_else(|| "tauri.conf.json has no plugins.updater.pubkey".into())
}

/// Checks every package's `.sig` with minisign against `pubkey`, as the README's "Check what you
/// install" does: decode the key and the signature (both base64), then `minisign -V`.
fn verify_signatures(work: &Path, bundle: &Path, pubkey: &str) -> Result<(), String> {
    let dir = work.join("signatures");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let decode = |text: &str, out: &Path| crate::dist::decode_base64(text, out);
    let public = dir.join("recert.pub");
    decode(pubkey, &public)?;
    let mut checked = 0;
    for (kind, ext) in [("deb", "deb"), ("rpm", "rpm"), ("appimage", "AppImage")] {
        let Some(package) = find(&bundle.join(kind), ext) else { continue };
        let mut sig = package.clone().into_os_string();
        sig.push(".sig");
        let sig = std::fs::read_to_string(&sig)
            .map_err(|err| format!("{} has no .sig: {err}", package.display()))?;
        let minisig = dir.join(format!("package.{ext}.minisig"));
        decode(&sig, &minisig)?;
        step(
            &format!("check the signature of {}", package.display()),
            cmd("minisign", &["-V", "-p"])
                .arg(&public)
                .arg("-m")
                .arg(&package)
                .arg("-x")
                .arg(&minisig),
        )?;
        checked += 1;
    }
    if checked == 0 {
        return Err("no package to check".into());
    }
    Ok(())
}

/// `pubkey`: the key the packages were signed for, when not the configured release key (a key
/// made for the check).
pub fn check(root: &Path, bundle: &Path, pubkey: Option<&str>) -> Result<(), String> {
    let started = Instant::now();
    setup::system_packages(CHECK_PACKAGES)?;
    let pubkey = match pubkey {
        Some(key) => key.to_string(),
        None => configured_pubkey(root)?,
    };
    let work = root.join("target/dist-check");
    remove_root(&work)?;
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let deb = find(&bundle.join("deb"), "deb").ok_or("no .deb was built")?;
    verify_signatures(&work, bundle, &pubkey)?;

    // A clean Debian 12: the minimal base, then the package with what it depends on, from
    // Debian's archive (with its updates and security fixes, as an installed machine has).
    let system = work.join("debian12");
    let since = Instant::now();
    step(
        "make a clean Debian 12 root",
        cmd("debootstrap", &["--variant=minbase", "bookworm"]).arg(&system).arg(MIRROR),
    )?;
    std::fs::write(
        system.join("etc/apt/sources.list"),
        "deb http://deb.debian.org/debian bookworm main\n\
         deb http://deb.debian.org/debian bookworm-updates main\n\
         deb http://deb.debian.org/debian-security bookworm-security main\n",
    )
    .map_err(|e| e.to_string())?;
    println!("    (clean root: {:.0} s)", since.elapsed().as_secs_f64());
    let result = (|| {
        // What a running system has: /proc, /sys, the device nodes (shared memory for the web
        // engine among them). Unmounted again below, whatever happens.
        step("mount /proc", cmd("mount", &["-t", "proc", "proc"]).arg(system.join("proc")))?;
        step("mount /sys", cmd("mount", &["-t", "sysfs", "sysfs"]).arg(system.join("sys")))?;
        step("mount /dev", cmd("mount", &["--rbind", "/dev"]).arg(system.join("dev")))?;
        step(
            "keep /dev's mounts private",
            cmd("mount", &["--make-rslave"]).arg(system.join("dev")),
        )?;
        let since = Instant::now();
        std::fs::copy(&deb, system.join("tmp/recert.deb")).map_err(|e| e.to_string())?;
        step(
            "apt-get update in the clean root",
            &mut chroot(&system, &["apt-get", "update", "-q"]),
        )?;
        step(
            "install the .deb in the clean root",
            &mut chroot(
                &system,
                &["apt-get", "install", "-y", "-q", "--no-install-recommends", "/tmp/recert.deb"],
            ),
        )?;
        println!("    (install: {:.0} s)", since.elapsed().as_secs_f64());
        // WebKitWebDriver (outside) starts this launcher, which runs the installed app inside
        // the clean root with the environment it was given (the display, the automation port).
        let launcher = work.join("recert-in-debian12");
        std::fs::write(
            &launcher,
            format!(
                "#!/bin/sh\n\
                 # The installed app in the clean root, on this session's display.\n\
                 if [ -n \"$XAUTHORITY\" ]; then\n\
                 \x20 cp \"$XAUTHORITY\" {root}/tmp/.Xauthority && export XAUTHORITY=/tmp/.Xauthority\n\
                 fi\n\
                 exec chroot {root} /usr/bin/recert \"$@\"\n",
                root = system.display()
            ),
        )
        .map_err(|e| e.to_string())?;
        step("make the launcher executable", cmd("chmod", &["+x"]).arg(&launcher))?;
        let since = Instant::now();
        window_test(root, &launcher, "the installed .deb", "installed-deb")?;
        println!("    (window: {:.0} s)", since.elapsed().as_secs_f64());
        Ok::<(), String>(())
    })();
    for mount in mounts_under(&work) {
        let _ = cmd("umount", &["-l"]).arg(&mount).status();
    }
    result?;

    if let Some(appimage) = find(&bundle.join("appimage"), "AppImage") {
        let dir = work.join("appimage");
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let installed = dir.join(appimage.file_name().unwrap_or_default());
        std::fs::copy(&appimage, &installed).map_err(|e| e.to_string())?;
        step("make the AppImage executable", cmd("chmod", &["+x"]).arg(&installed))?;
        window_test(root, &installed, "the AppImage", "installed-appimage")?;
    } else {
        println!("no AppImage was built: only the .deb was checked");
    }
    println!(
        "\ndist --check passed in {:.1} min; screenshots in {}",
        started.elapsed().as_secs_f64() / 60.0,
        root.join("target/e2e-shots").display()
    );
    Ok(())
}
