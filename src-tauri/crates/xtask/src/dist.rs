//! `cargo xtask dist`: the release packages, built by Tauri's bundler and signed for the updater,
//! and the static update manifest (`latest.json`) that any web server or file share can serve.
//! `--check` then installs them on a clean system (see `check.rs`).

use std::path::{Path, PathBuf};

use crate::setup;
use crate::shell::{cmd, repo_root, step};

pub const USAGE: &str = "usage: cargo xtask dist [--release-notes FILE] [--base-url URL] [--check]

  Builds the release packages with Tauri's bundler (.deb and .rpm, and the AppImage where the
  bundler's AppImage tools can be had), signs each for the updater with the release key in
  TAURI_SIGNING_PRIVATE_KEY (the key or its file) or TAURI_SIGNING_PRIVATE_KEY_PATH (its file),
  with its password in TAURI_SIGNING_PRIVATE_KEY_PASSWORD, and writes
  target/release/bundle/latest.json, the update manifest, naming the packages at --base-url
  (where you will publish them; default: file names only, for a manifest you edit).
  --release-notes FILE puts the file's text in the manifest (the app shows it before installing).
  --check checks each package's signature with minisign, installs the .deb on a clean Debian 12
  made for the purpose and starts it there; without a release key it signs with a key made for
  the check (the packages are then not for publishing).
  On Windows and macOS the same command builds MSI/NSIS or the dmg (see README, Install).";

#[derive(Default)]
struct Args {
    notes: Option<PathBuf>,
    base_url: Option<String>,
    check: bool,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut parsed = Args::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--release-notes" => {
                parsed.notes = Some(it.next().ok_or("--release-notes needs a file")?.into())
            }
            "--base-url" => {
                parsed.base_url = Some(it.next().ok_or("--base-url needs a URL")?.clone())
            }
            "--check" => parsed.check = true,
            other => return Err(format!("unknown argument {other}\n\n{USAGE}")),
        }
    }
    Ok(parsed)
}

/// The app's version, from `tauri.conf.json` (the one the bundles and the updater use).
pub fn version(root: &Path) -> Result<String, String> {
    let config = std::fs::read_to_string(root.join("tauri.conf.json"))
        .map_err(|err| format!("cannot read tauri.conf.json: {err}"))?;
    config
        .lines()
        .find_map(|l| {
            let rest = l.trim().strip_prefix("\"version\":")?;
            Some(rest.trim().trim_end_matches(',').trim_matches('"').to_string())
        })
        .ok_or_else(|| "tauri.conf.json has no version".into())
}

/// A JSON string literal.
pub fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One package the updater can install, with the platform key the manifest files it under.
pub struct Artifact {
    pub platform: &'static str,
    pub path: PathBuf,
    pub signature: String,
}

/// The signed packages in `bundle/`: each package with the `.sig` the bundler wrote beside it.
pub fn artifacts(bundle: &Path) -> Vec<Artifact> {
    let arch = std::env::consts::ARCH;
    let mut found = Vec::new();
    let kinds: [(&str, &str, &[&str]); 3] = [
        ("appimage", "AppImage", &["linux-{arch}", "linux-{arch}-appimage"]),
        ("deb", "deb", &["linux-{arch}-deb"]),
        ("rpm", "rpm", &["linux-{arch}-rpm"]),
    ];
    for (dir, ext, platforms) in kinds {
        let Ok(entries) = std::fs::read_dir(bundle.join(dir)) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some(ext) {
                continue;
            }
            let mut sig = path.clone().into_os_string();
            sig.push(".sig");
            let Ok(signature) = std::fs::read_to_string(&sig) else { continue };
            for platform in platforms {
                let platform: &'static str =
                    Box::leak(platform.replace("{arch}", arch).into_boxed_str());
                found.push(Artifact { platform, path: path.clone(), signature: signature.clone() });
            }
        }
    }
    found
}

/// Signs every package the bundler left without a `.sig` (it signs the updater's own formats),
/// so that each one published can be checked against the release key.
fn sign_unsigned(tauri: &Path, bundle: &Path, key: &SigningKey) -> Result<(), String> {
    for (dir, ext) in [("appimage", "AppImage"), ("deb", "deb"), ("rpm", "rpm")] {
        let Ok(entries) = std::fs::read_dir(bundle.join(dir)) else { continue };
        for path in entries.flatten().map(|e| e.path()) {
            let mut sig = path.clone().into_os_string();
            sig.push(".sig");
            if path.extension().and_then(|e| e.to_str()) != Some(ext) || Path::new(&sig).exists() {
                continue;
            }
            let mut sign = cmd(tauri, &["signer", "sign"]);
            key.apply(&mut sign);
            step(&format!("sign {}", path.display()), sign.arg(&path))?;
        }
    }
    Ok(())
}

/// The release key the packages are signed with, as the bundler and `tauri signer sign` take it:
/// the key itself in `TAURI_SIGNING_PRIVATE_KEY`, its password in
/// `TAURI_SIGNING_PRIVATE_KEY_PASSWORD`.
pub struct SigningKey {
    key: String,
    password: String,
    /// Made for one `--check` run: the packages it signs are not for publishing.
    throwaway: bool,
}

/// What `dist` says when no release key is given.
const NO_KEY: &str = "no release key: set TAURI_SIGNING_PRIVATE_KEY to the private key (or the \
    path of its file), or TAURI_SIGNING_PRIVATE_KEY_PATH to its file, and \
    TAURI_SIGNING_PRIVATE_KEY_PASSWORD to its password (empty for a key made without one). The \
    packages are signed with it for the updater, and the app accepts only packages signed by the \
    key whose public half is plugins.updater.pubkey in tauri.conf.json. A releaser makes the pair \
    once with `ui/node_modules/.bin/tauri signer generate -w <file outside the repository>` and \
    puts the public key it prints in tauri.conf.json (see README, Install: the release key). \
    `cargo xtask dist --check` alone runs without one, with a key made for the check";

impl SigningKey {
    /// The release key from the environment: `TAURI_SIGNING_PRIVATE_KEY` (the key, or the path
    /// of its file) or `TAURI_SIGNING_PRIVATE_KEY_PATH` (its file); `None` when neither is set.
    pub fn from_env() -> Result<Option<SigningKey>, String> {
        let given = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let key =
            match (given("TAURI_SIGNING_PRIVATE_KEY"), given("TAURI_SIGNING_PRIVATE_KEY_PATH")) {
                (Some(key), _) if !Path::new(key.trim()).is_file() => key,
                (Some(path), _) | (None, Some(path)) => std::fs::read_to_string(path.trim())
                    .map_err(|err| format!("cannot read the release key file {path}: {err}"))?,
                (None, None) => return Ok(None),
            };
        let password = std::env::var("TAURI_SIGNING_PRIVATE_KEY_PASSWORD").unwrap_or_default();
        Ok(Some(SigningKey { key: key.trim().to_string(), password, throwaway: false }))
    }

    /// A key pair made for one `--check` run under `dir` (never the release key); the public
    /// half is returned beside it, base64 as `tauri.conf.json` holds it.
    pub fn throwaway(tauri: &Path, dir: &Path) -> Result<(SigningKey, String), String> {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let file = dir.join("check.key");
        step(
            "make a signing key for this check only",
            cmd(tauri, &["signer", "generate", "--ci", "--password", "", "--write-keys"])
                .arg(&file),
        )?;
        let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| e.to_string());
        let key = read(&file)?;
        let public = read(&dir.join("check.key.pub"))?;
        Ok((
            SigningKey { key: key.trim().into(), password: String::new(), throwaway: true },
            public,
        ))
    }

    /// Gives the key to a bundler or signer command (the key itself, never a path).
    pub fn apply(&self, command: &mut std::process::Command) {
        command
            .env("TAURI_SIGNING_PRIVATE_KEY", &self.key)
            .env("TAURI_SIGNING_PRIVATE_KEY_PASSWORD", &self.password)
            .env_remove("TAURI_SIGNING_PRIVATE_KEY_PATH");
    }
}

/// The update manifest in Tauri's static format.
pub fn manifest(
    version: &str,
    notes: &str,
    pub_date: &str,
    base_url: &str,
    artifacts: &[Artifact],
) -> String {
    let mut platforms = Vec::new();
    for a in artifacts {
        let name = a.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let url = if base_url.is_empty() {
            name
        } else {
            format!("{}/{}", base_url.trim_end_matches('/'), name)
        };
        platforms.push(format!(
            "    {}: {{\n      \"signature\": {},\n      \"url\": {}\n    }}",
            json_string(a.platform),
            json_string(a.signature.trim()),
            json_string(&url)
        ));
    }
    format!(
        "{{\n  \"version\": {},\n  \"notes\": {},\n  \"pub_date\": {},\n  \"platforms\": {{\n{}\n  }}\n}}\n",
        json_string(version),
        json_string(notes),
        json_string(pub_date),
        platforms.join(",\n")
    )
}

/// Writes the bytes of base64 `text` to `out` (with coreutils' `base64`: xtask uses std only).
pub fn decode_base64(text: &str, out: &Path) -> Result<(), String> {
    let input = out.with_extension("b64");
    std::fs::write(&input, text.trim()).map_err(|e| e.to_string())?;
    let decoded = cmd("base64", &["-d"]).arg(&input).output().map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&input);
    if !decoded.status.success() {
        return Err(format!("what was to become {} is not base64", out.display()));
    }
    std::fs::write(out, decoded.stdout).map_err(|e| e.to_string())
}

fn now_rfc3339() -> String {
    cmd("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

pub fn dist(args: &[String]) -> Result<(), String> {
    let args = parse(args)?;
    let root = repo_root();
    // Said before anything is built: a release without its key is no release.
    let release_key = SigningKey::from_env()?;
    if release_key.is_none() && !args.check {
        return Err(NO_KEY.into());
    }
    let notes = match &args.notes {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|err| format!("cannot read the release notes {}: {err}", path.display()))?,
        None => String::new(),
    };
    setup::system_packages(setup::DIST_PACKAGES)?;
    setup::node()?;
    setup::npm_ci(&root)?;
    let tauri = root.join("ui/node_modules/.bin/tauri");
    let (key, check_pubkey) = match release_key {
        Some(key) => (key, None),
        None => {
            let (key, public) = SigningKey::throwaway(&tauri, &root.join("target/dist-check-key"))?;
            println!(
                "\nxtask: {NO_KEY}.\nThis check signs with a key made for it: the packages it \
                 builds are for the check, not for publishing."
            );
            (key, Some(public))
        }
    };
    let bundle = root.join("target/release/bundle");
    let _ = std::fs::remove_dir_all(&bundle);
    // The bundler runs the UI build (beforeBuildCommand) and the release build itself.
    let mut build = cmd(&tauri, &["build", "--ci", "--bundles", "deb,rpm"]);
    key.apply(&mut build);
    step("build and bundle .deb and .rpm", build.current_dir(&root))?;
    // The AppImage needs linuxdeploy, which the bundler downloads from the AppImage project's
    // releases: where that cannot be reached, the .deb and .rpm still ship.
    let mut build = cmd(&tauri, &["build", "--ci", "--bundles", "appimage"]);
    key.apply(&mut build);
    let appimage = build.current_dir(&root).status().map(|s| s.success()).unwrap_or(false);
    if !appimage {
        println!(
            "\nxtask: no AppImage: the bundler could not get its AppImage tools (linuxdeploy) \
             on this machine. The .deb and .rpm are complete; build the AppImage where the \
             bundler can download them."
        );
    }

    sign_unsigned(&tauri, &bundle, &key)?;
    let version = version(&root)?;
    let found = artifacts(&bundle);
    if found.is_empty() {
        return Err(format!("no signed package was found under {}", bundle.display()));
    }
    let manifest = manifest(
        &version,
        notes.trim(),
        &now_rfc3339(),
        args.base_url.as_deref().unwrap_or(""),
        &found,
    );
    let path = bundle.join("latest.json");
    std::fs::write(&path, manifest)
        .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    println!("\nRecert {version}:");
    let mut sums = String::new();
    let mut seen = std::collections::BTreeSet::new();
    for a in &found {
        if seen.insert(a.path.clone()) {
            let out = cmd("sha256sum", &[]).arg(&a.path).output().map_err(|e| e.to_string())?;
            let line = String::from_utf8_lossy(&out.stdout);
            let (sum, _) = line.split_once(' ').unwrap_or((line.trim(), ""));
            let name = a.path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            sums.push_str(&format!("{sum}  {name}\n"));
            println!("  {}  (SHA-256 {sum})", a.path.display());
        }
    }
    std::fs::write(bundle.join("SHA256SUMS"), sums).map_err(|e| e.to_string())?;
    // The public half of the key the packages are signed with, published beside them: what
    // `minisign -V -p recert.pub` checks them against (README, "Check what you install").
    let public = match &check_pubkey {
        Some(key) => key.clone(),
        None => crate::check::configured_pubkey(&root)?,
    };
    decode_base64(&public, &bundle.join("recert.pub"))?;
    println!("  {}  (the update manifest)", path.display());
    println!("  {}  (the public key)", bundle.join("recert.pub").display());
    if key.throwaway {
        println!("  (signed with the check's own key, not the release key: not for publishing)");
    }
    if args.check {
        crate::check::check(&root, &bundle, check_pubkey.as_deref())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_is_tauris_static_format_with_escaped_notes() {
        let artifacts = [Artifact {
            platform: "linux-x86_64-deb",
            path: PathBuf::from("/b/deb/Recert_0.2.0_amd64.deb"),
            signature: "c2ln\n".into(),
        }];
        let text = manifest(
            "0.2.0",
            "Fixes \"quotes\"\nand lines",
            "2026-12-07T04:00:00Z",
            "https://intranet.example/recert/",
            &artifacts,
        );
        assert_eq!(
            text,
            "{\n  \"version\": \"0.2.0\",\n  \"notes\": \"Fixes \\\"quotes\\\"\\nand lines\",\n  \
             \"pub_date\": \"2026-12-07T04:00:00Z\",\n  \"platforms\": {\n    \
             \"linux-x86_64-deb\": {\n      \"signature\": \"c2ln\",\n      \"url\": \
             \"https://intranet.example/recert/Recert_0.2.0_amd64.deb\"\n    }\n  }\n}\n"
        );
    }

    #[test]
    fn writes_the_bytes_a_base64_key_stands_for() {
        let out = std::env::temp_dir().join(format!("xtask-key-{}.pub", std::process::id()));
        decode_base64("dW50cnVzdGVkIGNvbW1lbnQ6IG1pbmlzaWdu\n", &out).expect("decoded");
        assert_eq!(std::fs::read_to_string(&out).expect("written"), "untrusted comment: minisign");
        assert!(decode_base64("not base64!", &out).is_err(), "garbage is refused");
        let _ = std::fs::remove_file(&out);
    }

    #[test]
    fn reads_the_version_and_refuses_unknown_arguments() {
        assert!(!version(&repo_root()).expect("a version").is_empty());
        assert!(parse(&["--sign".into()]).is_err());
        let a = parse(&["--release-notes".into(), "n.md".into(), "--check".into()]).expect("ok");
        assert!(a.check && a.notes.is_some() && a.base_url.is_none());
    }
}
