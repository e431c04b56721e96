//! The update policy: whether the app looks for new releases, where (a static manifest any web
//! server or share can host), with which signing key, and when it last looked. An administrator
//! deploys it as a file; the installed app only reads it.
//!
//! Two files, read in order: the machine's (`/etc/recert/policy.json`, `%ProgramData%\Recert\
//! policy.json`, `/Library/Application Support/Recert/policy.json`), which only an administrator
//! can write and which wins for every setting it makes, then the person's (`policy.json` in the
//! app's configuration directory) for what the machine's leaves open. Only the machine's may name
//! another signing key: a file the person (or anything running as them) can write must not be
//! able to make the app install a package signed by someone else.
//!
//! ```json
//! { "updates": { "check": true, "url": "https://intranet.example/recert/latest.json" } }
//! ```

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{AppError, ErrorCode};

/// The app looks for an update at most this often.
pub const CHECK_EVERY: Duration = Duration::days(1);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    updates: UpdatesSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UpdatesSection {
    /// `false` switches update checks off.
    check: Option<bool>,
    /// The update manifest's address (`latest.json` as `cargo xtask dist` writes it).
    url: Option<String>,
    /// Another minisign public key (as `tauri.conf.json` holds it): the machine's file only.
    pubkey: Option<String>,
}

/// What the policy files decide, and which file decided each part (for the settings view and
/// for anyone wondering why the app does not update).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdatePolicy {
    pub check: bool,
    /// Where to look; `None` when no file names a manifest (the app then does not look).
    pub url: Option<url::Url>,
    /// A signing key replacing the one built in (`None`: the built-in key).
    pub pubkey: Option<String>,
    /// The files that were read, machine first.
    pub read: Vec<PathBuf>,
}

fn read(path: &Path) -> Result<Option<UpdatesSection>, AppError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => {
            return Err(AppError::new(
                ErrorCode::Invalid,
                format!("cannot read the policy {}: {err}", path.display()),
            ));
        }
    };
    let file: PolicyFile = serde_json::from_str(&text).map_err(|err| {
        AppError::new(
            ErrorCode::Invalid,
            format!(
                "the policy {} is not valid ({err}); updates stay off until it is fixed",
                path.display()
            ),
        )
    })?;
    Ok(Some(file.updates))
}

fn parse_url(url: &str, path: &Path) -> Result<url::Url, AppError> {
    let parsed = url::Url::parse(url).map_err(|err| {
        AppError::new(
            ErrorCode::Invalid,
            format!(
                "the policy {} names an update URL that is not one ({err}): {url}",
                path.display()
            ),
        )
    })?;
    // The manifest itself is not signed (only the packages are): it comes over TLS, or from
    // this very machine (a test, a local mirror).
    let loopback = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    };
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if loopback => Ok(parsed),
        _ => Err(AppError::new(
            ErrorCode::Invalid,
            format!(
                "the policy {} names an update URL the app will not fetch ({url}): use \
                 https:// (plain http:// only on this machine's loopback)",
                path.display()
            ),
        )),
    }
}

impl UpdatePolicy {
    /// Reads the machine's file, then the person's. A missing file decides nothing; a broken
    /// one is an error (the caller keeps updates off and says why) rather than a silent default.
    pub fn load(machine: &Path, person: Option<&Path>) -> Result<UpdatePolicy, AppError> {
        let mut policy = UpdatePolicy { check: true, url: None, pubkey: None, read: Vec::new() };
        let machine_section = read(machine)?;
        let person_section = match person {
            Some(path) => read(path)?,
            None => None,
        };
        let (mut check, mut url) = (None, None);
        if let Some(section) = machine_section {
            policy.read.push(machine.to_path_buf());
            check = section.check;
            url = section.url.map(|u| parse_url(&u, machine)).transpose()?;
            policy.pubkey = section.pubkey.filter(|k| !k.trim().is_empty());
        }
        if let (Some(section), Some(path)) = (person_section, person) {
            policy.read.push(path.to_path_buf());
            if section.pubkey.is_some() {
                return Err(AppError::new(
                    ErrorCode::Invalid,
                    format!(
                        "the policy {} names a signing key: only the machine's policy ({}) may",
                        path.display(),
                        machine.display()
                    ),
                ));
            }
            check = check.or(section.check);
            if url.is_none() {
                url = section.url.map(|u| parse_url(&u, path)).transpose()?;
            }
        }
        policy.check = check.unwrap_or(true);
        policy.url = url;
        Ok(policy)
    }

    /// Whether the app looks for updates at all.
    pub fn checks(&self) -> bool {
        self.check && self.url.is_some()
    }
}

/// The machine's policy file on this system.
pub fn machine_policy_path() -> PathBuf {
    if cfg!(windows) {
        std::env::var_os("ProgramData")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(r"C:\ProgramData"))
            .join("Recert")
            .join("policy.json")
    } else if cfg!(target_os = "macos") {
        PathBuf::from("/Library/Application Support/Recert/policy.json")
    } else {
        PathBuf::from("/etc/recert/policy.json")
    }
}

/// Whether a check is due: never checked, a day since the last, or a last check in the future
/// (the clock was set back; better one check too many than none for months).
pub fn check_due(last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    match last {
        None => true,
        Some(last) => last > now || now - last >= CHECK_EVERY,
    }
}

/// When the app last looked, from the stamp file it writes after each check.
pub fn last_check(stamp: &Path) -> Option<DateTime<Utc>> {
    let text = std::fs::read_to_string(stamp).ok()?;
    DateTime::parse_from_rfc3339(text.trim()).ok().map(|t| t.with_timezone(&Utc))
}

pub fn record_check(stamp: &Path, now: DateTime<Utc>) -> Result<(), AppError> {
    std::fs::write(stamp, now.to_rfc3339()).map_err(|err| {
        AppError::new(ErrorCode::Storage, format!("cannot write {}: {err}", stamp.display()))
    })
}

/// What the window shows about updates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase", tag = "state")]
#[ts(export)]
pub enum UpdateStatusDto {
    /// Not looking: switched off, or no manifest named; `reason` says which (and which file).
    Off { reason: String },
    /// Looking daily; nothing newer was found (yet).
    Current {
        version: String,
        #[serde(rename = "lastCheck")]
        last_check: Option<String>,
    },
    /// A newer release, waiting for the person to install it.
    Available { version: String, current: String, notes: Option<String>, date: Option<String> },
    /// The last check or install failed; the app tries again at the next check.
    Failed { message: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn the_machine_policy_wins_and_the_person_fills_in() {
        let dir = tempfile::tempdir().expect("dir");
        let none = dir.path().join("absent.json");
        let machine = write(
            dir.path(),
            "machine.json",
            r#"{"updates":{"check":false,"url":"https://intranet.example/recert/latest.json"}}"#,
        );
        let person = write(
            dir.path(),
            "person.json",
            r#"{"updates":{"check":true,"url":"https://elsewhere.example/latest.json"}}"#,
        );
        let p = UpdatePolicy::load(&machine, Some(&person)).expect("valid");
        assert!(!p.check && !p.checks(), "the machine switched checks off: {p:?}");
        assert_eq!(
            p.url.as_ref().map(url::Url::as_str),
            Some("https://intranet.example/recert/latest.json")
        );
        assert_eq!(p.read, [machine.clone(), person.clone()]);

        // Without a machine file, the person's decides; without either, nothing is checked.
        let p = UpdatePolicy::load(&none, Some(&person)).expect("valid");
        assert!(p.checks());
        assert_eq!(p.url.as_ref().map(url::Url::host_str), Some(Some("elsewhere.example")));
        let p = UpdatePolicy::load(&none, None).expect("valid");
        assert!(p.check && !p.checks(), "no manifest named, nothing to look at: {p:?}");

        // The machine names only the URL: the person may still switch checks off.
        let machine = write(
            dir.path(),
            "url-only.json",
            r#"{"updates":{"url":"http://127.0.0.1:8080/latest.json"}}"#,
        );
        let off = write(dir.path(), "off.json", r#"{"updates":{"check":false}}"#);
        let p = UpdatePolicy::load(&machine, Some(&off)).expect("valid");
        assert!(!p.checks());
    }

    #[test]
    fn broken_or_overreaching_policies_are_refused_with_the_file_named() {
        let dir = tempfile::tempdir().expect("dir");
        let none = dir.path().join("absent.json");
        let cases = [
            (r#"{"updates":{"check":"yes"}}"#, "is not valid"),
            (r#"{"updates":{"chek":false}}"#, "unknown field"),
            (r#"{"updates":"#, "is not valid"),
            (r#"{"updates":{"url":"ftp://host/latest.json"}}"#, "will not fetch"),
            (r#"{"updates":{"url":"http://10.0.0.5/latest.json"}}"#, "will not fetch"),
            (r#"{"updates":{"url":"not a url"}}"#, "not one"),
            (r#"{"updates":{"pubkey":"dW50cnVzdGVk"}}"#, "only the machine's policy"),
        ];
        for (text, expected) in cases {
            let person = write(dir.path(), "person.json", text);
            let err = UpdatePolicy::load(&none, Some(&person)).expect_err(text);
            assert_eq!(err.code, ErrorCode::Invalid, "{text}");
            assert!(err.message.contains(expected), "{text}: {}", err.message);
            assert!(err.message.contains("person.json"), "{text}: {}", err.message);
        }
        // The machine's file may name a key of its own.
        let machine = write(dir.path(), "machine.json", r#"{"updates":{"pubkey":"a2V5"}}"#);
        let p = UpdatePolicy::load(&machine, None).expect("valid");
        assert_eq!(p.pubkey.as_deref(), Some("a2V5"));
    }

    #[test]
    fn checks_at_most_daily() {
        let now =
            DateTime::parse_from_rfc3339("2026-03-10T12:00:00Z").expect("t").with_timezone(&Utc);
        assert!(check_due(None, now));
        assert!(!check_due(Some(now - Duration::hours(23)), now));
        assert!(check_due(Some(now - Duration::hours(24)), now));
        assert!(check_due(Some(now + Duration::hours(2)), now), "a clock set back checks again");

        let dir = tempfile::tempdir().expect("dir");
        let stamp = dir.path().join("update-check");
        assert_eq!(last_check(&stamp), None);
        record_check(&stamp, now).expect("stamp");
        assert_eq!(last_check(&stamp), Some(now));
        std::fs::write(&stamp, "garbage").expect("write");
        assert_eq!(last_check(&stamp), None, "an unreadable stamp means: check");
    }
}
