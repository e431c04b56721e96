//! A tenant that outlives the process serving it, kept in a directory (Recert's data directory
//! for its demo tenant): `<name>.json` holds the tenant as it is now (rewritten after every
//! change, see `Options::state_file`), `<name>.lock` is held by the one process serving it, and
//! `<name>.serving.json` tells the others where: a second process on the same directory (the
//! CLI while the window is open) uses that server rather than a copy of its own, so no two
//! processes ever change the same tenant apart.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::{Emulator, Error, Options, Tenant};

/// Where a home tenant is served.
pub enum Served {
    /// By this process: the emulator lives (and the lock is held) for as long as this does.
    Here(Emulator),
    /// By another process, at this base URL with this certificate (DER; `None` without TLS).
    Elsewhere { base_url: String, certificate_der: Option<Vec<u8>>, tenant_id: String },
}

impl Served {
    pub fn base_url(&self) -> String {
        match self {
            Served::Here(emulator) => emulator.base_url(),
            Served::Elsewhere { base_url, .. } => base_url.clone(),
        }
    }
    pub fn certificate_der(&self) -> Option<Vec<u8>> {
        match self {
            Served::Here(emulator) => emulator.certificate_der(),
            Served::Elsewhere { certificate_der, .. } => certificate_der.clone(),
        }
    }
    pub fn certificate_pem(&self) -> Option<String> {
        self.certificate_der().map(|der| crate::pem_of(&der))
    }
    pub fn tenant_id(&self) -> String {
        match self {
            Served::Here(emulator) => emulator.tenant_id(),
            Served::Elsewhere { tenant_id, .. } => tenant_id.clone(),
        }
    }
}

impl std::fmt::Debug for Served {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Served::Here(emulator) => f.debug_tuple("Here").field(emulator).finish(),
            Served::Elsewhere { base_url, .. } => {
                f.debug_struct("Elsewhere").field("base_url", base_url).finish_non_exhaustive()
            }
        }
    }
}

fn state(message: String) -> Error {
    Error::State(message)
}

fn paths(dir: &Path, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    (
        dir.join(format!("{name}.json")),
        dir.join(format!("{name}.lock")),
        dir.join(format!("{name}.serving.json")),
    )
}

/// Serves the tenant kept in `dir` under `name`, or finds the process already serving it. A
/// tenant never kept before starts as `fresh()`. A kept tenant that cannot be read is an error
/// naming the file — never replaced silently by a fresh one, which would undo its history.
pub async fn serve_home(
    dir: &Path,
    name: &str,
    fresh: impl FnOnce() -> Tenant,
    options: Options,
) -> Result<Served, Error> {
    std::fs::create_dir_all(dir)
        .map_err(|err| state(format!("cannot create {}: {err}", dir.display())))?;
    let (kept, lock_path, serving) = paths(dir, name);
    // Waits a little for a server that is starting or stopping, then gives up with the reason.
    let mut last = String::new();
    for _ in 0..50 {
        let lock = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|err| state(format!("cannot open {}: {err}", lock_path.display())))?;
        match lock.try_lock() {
            Ok(()) => return serve_here(lock, &kept, &serving, fresh, options).await,
            Err(std::fs::TryLockError::WouldBlock) => match elsewhere(&serving).await {
                Ok(served) => return Ok(served),
                Err(err) => last = err,
            },
            Err(std::fs::TryLockError::Error(err)) => {
                return Err(state(format!("cannot lock {}: {err}", lock_path.display())));
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(state(format!("another process holds {} but does not answer: {last}", lock_path.display())))
}

async fn serve_here(
    lock: std::fs::File,
    kept: &Path,
    serving: &Path,
    fresh: impl FnOnce() -> Tenant,
    options: Options,
) -> Result<Served, Error> {
    let tenant = if kept.exists() {
        Tenant::from_fixture_file(kept).map_err(|err| {
            state(format!(
                "the saved tenant cannot be read ({err}); move {} away to start afresh",
                kept.display()
            ))
        })?
    } else {
        fresh()
    };
    let first = !kept.exists();
    let mut emulator =
        Emulator::start(tenant, Options { state_file: Some(kept.to_path_buf()), ..options })
            .await?;
    if first {
        write_whole(kept, &serde_json::to_vec(&emulator.snapshot().to_fixture_json()))?;
    }
    let address = json!({
        "baseUrl": emulator.base_url(),
        "certificatePem": emulator.certificate_pem(),
        "tenantId": emulator.tenant_id(),
        "pid": std::process::id(),
    });
    write_whole(serving, &serde_json::to_vec(&address))?;
    emulator.home_lock = Some(lock);
    Ok(Served::Here(emulator))
}

fn write_whole(path: &Path, bytes: &Result<Vec<u8>, serde_json::Error>) -> Result<(), Error> {
    let bytes = bytes.as_ref().map_err(|err| state(err.to_string()))?;
    let mut next = path.to_path_buf().into_os_string();
    next.push(".next");
    let next = PathBuf::from(next);
    let written = std::fs::File::create(&next)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&next, path));
    written.map_err(|err| state(format!("cannot write {}: {err}", path.display())))
}

/// The server another process announced, if it answers.
async fn elsewhere(serving: &Path) -> Result<Served, String> {
    let text = std::fs::read_to_string(serving)
        .map_err(|err| format!("{} is unreadable: {err}", serving.display()))?;
    let address: Value = serde_json::from_str(&text)
        .map_err(|err| format!("{} is not an address: {err}", serving.display()))?;
    let base_url = address["baseUrl"].as_str().ok_or("no base URL is announced")?.to_string();
    let tenant_id = address["tenantId"].as_str().ok_or("no tenant is announced")?.to_string();
    let certificate_der = match address["certificatePem"].as_str() {
        Some(pem) => Some(der_of(pem)?),
        None => None,
    };
    // A stale address (its server gone) refuses the connection.
    let authority = url::Url::parse(&base_url)
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
        .ok_or_else(|| format!("{base_url} is not a server address"))?;
    tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(&authority))
        .await
        .map_err(|_| format!("{base_url} does not answer"))?
        .map_err(|err| format!("{base_url} does not answer: {err}"))?;
    Ok(Served::Elsewhere { base_url, certificate_der, tenant_id })
}

fn der_of(pem: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(b64.trim()).map_err(|err| err.to_string())
}
