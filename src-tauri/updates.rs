//! Updates in the window: at most a daily look at the manifest the update policy names
//! (`recert_app::updates`), the news kept for the window to show, and an install only when the
//! person asks for it — the package checked against the signing key first — then a restart into
//! the new version.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use recert_app::updates::{self, UpdatePolicy, UpdateStatusDto};
use recert_app::{AppError, ErrorCode};
use tauri::{AppHandle, Manager};
use tauri_plugin_updater::{Update, UpdaterExt};

/// How long after start-up the first look waits: the window's own first requests come first.
const FIRST_LOOK: Duration = Duration::from_secs(10);
/// How often the app re-reads the policy and asks itself whether a check is due.
const EVERY: Duration = Duration::from_secs(60 * 60);

pub struct Updates {
    status: Mutex<UpdateStatusDto>,
    /// The release found, kept until the person installs it.
    pending: tokio::sync::Mutex<Option<Update>>,
    /// When the last check ran (a file beside the database, so a restart does not check again).
    stamp: PathBuf,
    /// The person's policy file (the machine's is at a fixed place).
    person_policy: Option<PathBuf>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The machine's policy file: `RECERT_MACHINE_POLICY` names another (side-by-side installs,
/// tests); it only moves the file, and the file keeps the machine's precedence.
fn machine_policy() -> PathBuf {
    std::env::var_os("RECERT_MACHINE_POLICY")
        .map(PathBuf::from)
        .unwrap_or_else(updates::machine_policy_path)
}

impl Updates {
    pub fn new(handle: &AppHandle, data_dir: &std::path::Path) -> Updates {
        Updates {
            status: Mutex::new(UpdateStatusDto::Off { reason: "not checked yet".into() }),
            pending: tokio::sync::Mutex::default(),
            stamp: data_dir.join("update-check"),
            person_policy: handle.path().app_config_dir().ok().map(|d| d.join("policy.json")),
        }
    }

    pub fn status(&self) -> UpdateStatusDto {
        lock(&self.status).clone()
    }

    fn set(&self, status: UpdateStatusDto) {
        *lock(&self.status) = status;
    }

    fn policy(&self) -> Result<UpdatePolicy, AppError> {
        UpdatePolicy::load(&machine_policy(), self.person_policy.as_deref())
    }

    /// One round: re-reads the policy, and looks for a release when a day has passed since the
    /// last look. A release already found stays offered until it is installed.
    async fn round(&self, handle: &AppHandle) {
        let current = handle.package_info().version.to_string();
        let policy = match self.policy() {
            Ok(policy) => policy,
            Err(err) => {
                tracing::warn!(%err, "update policy");
                return self.set(UpdateStatusDto::Off { reason: err.message });
            }
        };
        let Some(url) = policy.url.clone().filter(|_| policy.check) else {
            let reason = if policy.check {
                "no update address is set (the \"updates.url\" of a policy file)".to_string()
            } else {
                let files: Vec<String> =
                    policy.read.iter().map(|p| p.display().to_string()).collect();
                format!("switched off by policy ({})", files.join(", "))
            };
            *self.pending.lock().await = None;
            return self.set(UpdateStatusDto::Off { reason });
        };
        if self.pending.lock().await.is_some() {
            return;
        }
        let now = chrono::Utc::now();
        let last = updates::last_check(&self.stamp);
        if !updates::check_due(last, now) {
            if matches!(self.status(), UpdateStatusDto::Off { .. }) {
                self.set(UpdateStatusDto::Current {
                    version: current,
                    last_check: last.map(|t| t.to_rfc3339()),
                });
            }
            return;
        }
        let found = self.check(handle, url, policy.pubkey).await;
        if let Err(err) = updates::record_check(&self.stamp, now) {
            tracing::warn!(%err, "cannot record the update check");
        }
        match found {
            Ok(Some(update)) => {
                tracing::info!(version = %update.version, "an update is available");
                self.set(UpdateStatusDto::Available {
                    version: update.version.clone(),
                    current: update.current_version.clone(),
                    notes: update.body.clone(),
                    date: update.date.map(|d| d.to_string()),
                });
                *self.pending.lock().await = Some(update);
            }
            Ok(None) => self.set(UpdateStatusDto::Current {
                version: current,
                last_check: Some(now.to_rfc3339()),
            }),
            Err(err) => {
                tracing::warn!(%err, "the update check failed");
                self.set(UpdateStatusDto::Failed {
                    message: format!("the update check failed: {err}"),
                });
            }
        }
    }

    async fn check(
        &self,
        handle: &AppHandle,
        url: url::Url,
        pubkey: Option<String>,
    ) -> Result<Option<Update>, tauri_plugin_updater::Error> {
        let mut builder = handle.updater_builder().endpoints(vec![url])?;
        if let Some(pubkey) = pubkey {
            builder = builder.pubkey(pubkey);
        }
        builder.timeout(Duration::from_secs(60)).build()?.check().await
    }

    /// Downloads the release found, checks its signature and installs it; the caller restarts.
    pub async fn install(&self) -> Result<String, AppError> {
        let pending = self.pending.lock().await;
        let Some(update) = pending.as_ref() else {
            return Err(AppError::new(ErrorCode::NotFound, "no update is waiting to be installed"));
        };
        let version = update.version.clone();
        match update.download_and_install(|_, _| {}, || {}).await {
            Ok(()) => Ok(version),
            Err(err) => {
                use tauri_plugin_updater::Error as E;
                let (code, message) = match &err {
                    E::Minisign(_) | E::Base64(_) | E::SignatureUtf8(_) => (
                        ErrorCode::UpdateNotInstalled,
                        format!(
                            "the downloaded Recert {version} does not carry a valid signature of \
                             Recert's release key ({err}); it was not installed, and the version \
                             you have stays as it is"
                        ),
                    ),
                    E::Reqwest(_) | E::Network(_) => (
                        ErrorCode::Unreachable,
                        format!("Recert {version} could not be downloaded: {err}"),
                    ),
                    _ => (
                        ErrorCode::UpdateNotInstalled,
                        format!("Recert {version} could not be installed: {err}"),
                    ),
                };
                // The offer stays: a package damaged on the way may arrive whole next time.
                tracing::error!(%err, "update not installed");
                Err(AppError::new(code, message))
            }
        }
    }
}

/// Starts the daily look in the background.
pub fn start(handle: AppHandle) {
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(FIRST_LOOK).await;
        loop {
            if let Some(updates) = handle.try_state::<Updates>() {
                updates.round(&handle).await;
            }
            tokio::time::sleep(EVERY).await;
        }
    });
}
