//! The installation's evidence signing key: Ed25519, generated on first use and kept where
//! refresh tokens are kept — the OS keychain, or memory on a machine without one (a headless
//! runner), where each process then signs with a key of its own. The public key travels in
//! every seal, so a signature is checked without this installation.

use recert_evidence::seal::SigningKey;

use crate::context::lock;
use crate::{App, AppError, ErrorCode};

/// The keychain account the key is stored under (PKCS#8, hex).
const ACCOUNT: &str = "evidence-signing-key";

impl App {
    /// This installation's signing key, made and stored the first time. Blocks on the keychain:
    /// call it off the async executor.
    pub(crate) fn signing_key(&self) -> Result<SigningKey, AppError> {
        let _one_at_a_time = lock(&self.signing);
        let vault = lock(&self.vault).clone();
        let failed = |err: String| {
            AppError::new(ErrorCode::Export, format!("cannot use the evidence signing key: {err}"))
        };
        if let Some(stored) = vault.load(ACCOUNT).map_err(failed)? {
            let bytes = hex::decode(stored.trim())
                .map_err(|_| failed("the stored key is not hex".into()))?;
            return SigningKey::from_pkcs8(&bytes).map_err(failed);
        }
        let pkcs8 = SigningKey::generate().map_err(failed)?;
        vault.store(ACCOUNT, &hex::encode(&pkcs8)).map_err(failed)?;
        SigningKey::from_pkcs8(&pkcs8).map_err(failed)
    }
}
