//! Token signing and checking: ES256 JWTs signed with a key made at start-up, published as JWKS.
//!
//! Entra signs with RS256; ES256 is used here because the key can be generated in microseconds
//! without shipping a private key in the repository. Clients must not validate access tokens anyway.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub(crate) const GRAPH_AUDIENCE: &str = "https://graph.microsoft.com";
pub(crate) const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
pub(crate) const ARM_AUDIENCE: &str = "https://management.azure.com";

pub(crate) struct Keys {
    pair: EcdsaKeyPair,
    public: Vec<u8>,
    pub kid: String,
    /// Tokens whose signature has been checked, with their claims. A client sends the same token
    /// with every request (and every `$batch` step) for an hour; checking ECDSA each time made the
    /// fake's own CPU a large part of what a benchmark measured. The lifetime is still checked on
    /// every use.
    verified: Mutex<HashMap<String, Caller>>,
}

/// Verified tokens kept at most; the cache is emptied when full (tokens are minted per client
/// and resource, so a run holds a handful).
const VERIFIED_CACHE: usize = 1024;

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys").field("kid", &self.kid).finish()
    }
}

impl Keys {
    pub(crate) fn generate() -> Result<Keys, String> {
        let rng = SystemRandom::new();
        let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(alg, &rng).map_err(|e| format!("key generation: {e}"))?;
        let pair = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng)
            .map_err(|e| format!("key load: {e}"))?;
        let public = pair.public_key().as_ref().to_vec();
        let kid = B64.encode(&Sha256::digest(&public)[..12]);
        Ok(Keys { pair, public, kid, verified: Mutex::new(HashMap::new()) })
    }

    pub(crate) fn sign(&self, claims: &Value) -> Result<String, String> {
        let header = json!({ "typ": "JWT", "alg": "ES256", "kid": self.kid });
        let input =
            format!("{}.{}", B64.encode(header.to_string()), B64.encode(claims.to_string()));
        let sig = self
            .pair
            .sign(&SystemRandom::new(), input.as_bytes())
            .map_err(|e| format!("signing: {e}"))?;
        Ok(format!("{input}.{}", B64.encode(sig.as_ref())))
    }

    /// Checks the signature and the lifetime; returns the caller the claims describe.
    pub(crate) fn verify(&self, token: &str) -> Result<Caller, &'static str> {
        let known = self.verified.lock().ok().and_then(|cache| cache.get(token).cloned());
        let caller = match known {
            Some(caller) => caller,
            None => {
                let caller = Caller::from_claims(self.verify_signature(token)?);
                if let Ok(mut cache) = self.verified.lock() {
                    if cache.len() >= VERIFIED_CACHE {
                        cache.clear();
                    }
                    cache.insert(token.to_string(), caller.clone());
                }
                caller
            }
        };
        let now = chrono::Utc::now().timestamp();
        if caller.claims.get("exp").and_then(Value::as_i64).is_none_or(|exp| exp < now) {
            return Err("Lifetime validation failed, the token is expired.");
        }
        Ok(caller)
    }

    fn verify_signature(&self, token: &str) -> Result<Value, &'static str> {
        let mut parts = token.split('.');
        let (Some(h), Some(c), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("IDX14100: JWT is not well formed.");
        };
        let sig = B64.decode(s).map_err(|_| "IDX14100: JWT is not well formed.")?;
        signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &self.public)
            .verify(format!("{h}.{c}").as_bytes(), &sig)
            .map_err(|_| "Access token validation failure. Invalid signature.")?;
        B64.decode(c)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or("IDX14100: JWT is not well formed.")
    }

    pub(crate) fn jwks(&self) -> Value {
        // Uncompressed point: 0x04 || x || y.
        let (x, y) = self.public[1..].split_at(32);
        json!({ "keys": [ { "kty": "EC", "use": "sig", "crv": "P-256", "alg": "ES256", "kid": self.kid,
            "x": B64.encode(x), "y": B64.encode(y) } ] })
    }
}

/// The caller, as read from a verified access token. Cheap to clone: one is made per request
/// (and per `$batch` step) from the cached verification.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub claims: Arc<Value>,
    /// Application permissions (`roles`) or delegated scopes (`scp`).
    pub permissions: Arc<[String]>,
    pub oid: Option<String>,
    pub app_id: String,
}

impl Caller {
    pub(crate) fn from_claims(claims: Value) -> Caller {
        let delegated = claims.get("scp").is_some();
        let permissions: Arc<[String]> = if delegated {
            claims["scp"].as_str().unwrap_or_default().split(' ').map(str::to_string).collect()
        } else {
            claims["roles"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default()
        };
        let oid = if delegated { claims["oid"].as_str().map(str::to_string) } else { None };
        let app_id = claims["appid"].as_str().unwrap_or_default().to_string();
        Caller { claims: Arc::new(claims), permissions, oid, app_id }
    }

    pub(crate) fn has_any(&self, perms: &[&str]) -> bool {
        self.permissions.iter().any(|p| perms.iter().any(|w| w.eq_ignore_ascii_case(p)))
    }
}
