//! Where refresh tokens are kept between runs: the OS credential store (`keyring`), or memory on a
//! machine that has none (a headless CI runner), with a warning. Never SQLite, logs or exports
//! (DESIGN.md invariant 7).

use std::collections::HashMap;
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
