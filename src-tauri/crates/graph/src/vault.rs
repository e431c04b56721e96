//! Where refresh tokens are kept between runs: the OS credential store (`keyring`), or memory on a
//! machine that has none (a headless CI runner), with a warning; or — chosen explicitly, never as
//! a fallback — a file readable by its owner only, for runners without a credential store.
//! Never SQLite, logs or exports (DESIGN.md invariant 7).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A place for refresh tokens, keyed by account (Recert's tenant handle and the client id).
/// Calls may block (D-Bus, Keychain): async callers run them with `spawn_blocking`.
pub trait TokenVault: Send + Sync + std::fmt::Debug {
    fn load(&self, account: &str) -> Result<Option<String>, String>;
    fn store(&self, account: &str, refresh_token: &str) -> Result<(), String>;
    fn clear(&self, account: &str) -> Result<(), String>;
    /// Whether tokens outlive the process (false for the memory fallback).
    fn is_persistent(&self) -> bool;
}

/// Tokens in memory only: tests, and machines without a credential store.
#[derive(Debug, Default)]
pub struct MemoryVault {
    tokens: Mutex<HashMap<String, String>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl TokenVault for MemoryVault {
    fn load(&self, account: &str) -> Result<Option<String>, String> {
        Ok(lock(&self.tokens).get(account).cloned())
    }
    fn store(&self, account: &str, refresh_token: &str) -> Result<(), String> {
        lock(&self.tokens).insert(account.to_string(), refresh_token.to_string());
        Ok(())
    }
    fn clear(&self, account: &str) -> Result<(), String> {
        lock(&self.tokens).remove(account);
        Ok(())
    }
    fn is_persistent(&self) -> bool {
        false
    }
}

/// The OS credential store: Secret Service (Linux), Keychain (macOS), Credential Manager (Windows).
#[derive(Debug)]
pub struct KeychainVault {
    service: String,
}

impl KeychainVault {
    pub fn new(service: &str) -> KeychainVault {
        KeychainVault { service: service.to_string() }
    }

    fn entry(&self, account: &str) -> Result<keyring::Entry, String> {
        keyring::Entry::new(&self.service, account).map_err(|err| err.to_string())
    }
}

impl TokenVault for KeychainVault {
    fn load(&self, account: &str) -> Result<Option<String>, String> {
        match self.entry(account)?.get_password() {
            Ok(token) => Ok(Some(token)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(err.to_string()),
        }
    }
    fn store(&self, account: &str, refresh_token: &str) -> Result<(), String> {
        self.entry(account)?.set_password(refresh_token).map_err(|err| err.to_string())
    }
    fn clear(&self, account: &str) -> Result<(), String> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(err.to_string()),
        }
    }
    fn is_persistent(&self) -> bool {
        true
    }
}

/// Refresh tokens in one JSON file (`{ account: token }`), created readable by its owner only.
/// Chosen explicitly (`RECERT_TOKEN_FILE`) where no credential store runs; each change holds an
/// OS lock on `<file>.lock` and replaces the file whole, so two processes signing in at once
/// neither lose the other's token nor leave half a file.
#[derive(Debug)]
pub struct FileVault {
    path: PathBuf,
}

impl FileVault {
    pub fn new(path: &Path) -> FileVault {
        FileVault { path: path.to_path_buf() }
    }

    fn read(&self) -> Result<BTreeMap<String, String>, String> {
        match std::fs::read(&self.path) {
            Ok(bytes) if bytes.is_empty() => Ok(BTreeMap::new()),
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|err| {
                format!("the token file {} is not Recert's: {err}", self.path.display())
            }),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(err) => Err(format!("cannot read the token file {}: {err}", self.path.display())),
        }
    }

    /// Runs `change` on the tokens under the file's lock and writes the result back whole.
    fn change(&self, change: impl FnOnce(&mut BTreeMap<String, String>)) -> Result<(), String> {
        let shown = self.path.display();
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|err| format!("cannot create {shown}: {err}"))?;
        }
        let mut lock_path = self.path.clone().into_os_string();
        lock_path.push(".lock");
        let lock = private_file(Path::new(&lock_path), false)
            .map_err(|err| format!("cannot lock the token file {shown}: {err}"))?;
        lock.lock().map_err(|err| format!("cannot lock the token file {shown}: {err}"))?;
        let mut tokens = self.read()?;
        change(&mut tokens);
        let json = serde_json::to_vec_pretty(&tokens).map_err(|err| err.to_string())?;
        let mut next = self.path.clone().into_os_string();
        next.push(".next");
        let next = PathBuf::from(next);
        {
            use std::io::Write;
            let mut file = private_file(&next, true)
                .map_err(|err| format!("cannot write the token file {shown}: {err}"))?;
            file.write_all(&json)
                .and_then(|()| file.sync_all())
                .map_err(|err| format!("cannot write the token file {shown}: {err}"))?;
        }
        std::fs::rename(&next, &self.path)
            .map_err(|err| format!("cannot write the token file {shown}: {err}"))
    }
}

/// Opens (creating) a file only its owner may read or write.
fn private_file(path: &Path, truncate: bool) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(truncate);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

impl TokenVault for FileVault {
    fn load(&self, account: &str) -> Result<Option<String>, String> {
        Ok(self.read()?.remove(account))
    }
    fn store(&self, account: &str, refresh_token: &str) -> Result<(), String> {
        self.change(|tokens| {
            tokens.insert(account.to_string(), refresh_token.to_string());
        })
    }
    fn clear(&self, account: &str) -> Result<(), String> {
        self.change(|tokens| {
            tokens.remove(account);
        })
    }
    fn is_persistent(&self) -> bool {
        true
    }
}

/// The OS credential store when it answers, else memory with a warning: a sign-in then lasts only
/// as long as the process. The probe runs off the async executor and gives up after 3 s.
pub async fn default_vault(service: &str) -> Arc<dyn TokenVault> {
    let keychain = Arc::new(KeychainVault::new(service));
    let probe = keychain.clone();
    let answer = tokio::time::timeout(
        Duration::from_secs(3),
        tokio::task::spawn_blocking(move || probe.load("recert-probe")),
    )
    .await;
    match answer {
        Ok(Ok(Ok(_))) => keychain,
        Ok(Ok(Err(err))) => memory_with_warning(&err),
        Ok(Err(err)) => memory_with_warning(&err.to_string()),
        Err(_) => memory_with_warning("the credential store did not answer within 3 s"),
    }
}

fn memory_with_warning(reason: &str) -> Arc<dyn TokenVault> {
    tracing::warn!(
        "no OS credential store is available ({reason}); sign-ins are kept in memory only and \
         end with this process"
    );
    Arc::new(MemoryVault::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_vault_keeps_tokens_across_handles_privately() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("sub").join("tokens.json");
        let first = FileVault::new(&path);
        assert_eq!(first.load("contoso").expect("empty"), None);
        first.store("contoso", "rt-1").expect("stored");
        first.store("fabrikam", "rt-2").expect("stored");
        // Another process (another handle) reads what the first wrote.
        let second = FileVault::new(&path);
        assert_eq!(second.load("contoso").expect("read").as_deref(), Some("rt-1"));
        second.clear("contoso").expect("cleared");
        assert_eq!(first.load("contoso").expect("read"), None);
        assert_eq!(first.load("fabrikam").expect("read").as_deref(), Some("rt-2"));
        assert!(first.is_persistent());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("the file").permissions().mode();
            assert_eq!(mode & 0o077, 0, "only the owner may read the tokens: {mode:o}");
        }
        // A file that is not ours is an error, never silently emptied.
        std::fs::write(&path, "not json").expect("write");
        assert!(first.load("fabrikam").is_err());
        assert!(first.store("x", "y").is_err());
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "not json");
    }

    #[test]
    fn concurrent_writers_lose_no_token() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("tokens.json");
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || {
                    FileVault::new(&path)
                        .store(&format!("t{i}"), &format!("rt{i}"))
                        .expect("stored")
                })
            })
            .collect();
        for t in threads {
            t.join().expect("joined");
        }
        let vault = FileVault::new(&path);
        for i in 0..8 {
            assert_eq!(vault.load(&format!("t{i}")).expect("read"), Some(format!("rt{i}")));
        }
    }
}
