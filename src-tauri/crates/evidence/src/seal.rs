//! The seal of an export: the statement it signs (the campaign, the evidence hash, the audit
//! chain's head at the cut, the SHA-256 of every attachment and of the binder's pages) and its
//! Ed25519 signature by the installation's key. The seal travels inside the binder, so anyone
//! with the PDF alone can check it (`verify-binder`).

use std::collections::BTreeMap;

use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The seal's format tag; a change to what is signed gets a new one.
pub const SEAL_FORMAT: &str = "recert-seal/1";

/// What an export states about itself, signed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    pub format: String,
    pub campaign_id: String,
    pub generated_at: String,
    /// SHA-256 of binder.json.
    pub evidence_hash: String,
    /// The audit chain's last event in the binder, and its hash.
    pub audit_seq: i64,
    pub audit_head: String,
    /// Each attachment's name and SHA-256.
    pub attachments: BTreeMap<String, String>,
    /// SHA-256 over the binder's page content streams, in page order.
    pub pages_sha256: String,
    /// The signer's Ed25519 public key (hex).
    pub public_key: String,
    /// Ed25519 signature (hex) over [`Seal::statement`].
    #[serde(default)]
    pub signature: String,
}

impl Seal {
    /// The exact bytes signed: the seal as JSON without its signature (fields in declaration
    /// order, so the bytes are the same wherever they are computed).
    pub fn statement(&self) -> Vec<u8> {
        let unsigned = Seal { signature: String::new(), ..self.clone() };
        serde_json::to_vec(&unsigned).unwrap_or_default()
    }

    /// Checks the signature against the public key the seal names.
    pub fn check(&self) -> Result<(), String> {
        let key = hex::decode(&self.public_key).map_err(|_| "the public key is not hex")?;
        let signature = hex::decode(&self.signature).map_err(|_| "the signature is not hex")?;
        UnparsedPublicKey::new(&ED25519, key)
            .verify(&self.statement(), &signature)
            .map_err(|_| "the signature does not match the statement and key".to_string())
    }

    /// The public key's fingerprint, as printed in the binder.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.public_key)
    }
}

/// `SHA256:` and the first 16 bytes of the key's SHA-256, in groups of four hex digits.
pub fn fingerprint(public_key_hex: &str) -> String {
    let key = hex::decode(public_key_hex).unwrap_or_default();
    let digest = hex::encode(&Sha256::digest(&key)[..16]);
    let groups: Vec<&str> =
        (0..digest.len()).step_by(4).map(|i| &digest[i..(i + 4).min(digest.len())]).collect();
    format!("SHA256:{}", groups.join(":"))
}

/// An installation's signing key.
pub struct SigningKey {
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("public_key", &self.public_key()).finish()
    }
}

impl SigningKey {
    /// A new key, as PKCS#8 bytes to keep.
    pub fn generate() -> Result<Vec<u8>, String> {
        let rng = ring::rand::SystemRandom::new();
        Ed25519KeyPair::generate_pkcs8(&rng)
            .map(|doc| doc.as_ref().to_vec())
            .map_err(|_| "cannot generate a signing key".to_string())
    }

    pub fn from_pkcs8(bytes: &[u8]) -> Result<SigningKey, String> {
        Ed25519KeyPair::from_pkcs8(bytes)
            .map(|pair| SigningKey { pair })
            .map_err(|_| "the stored signing key is not a valid Ed25519 key".to_string())
    }

    pub fn public_key(&self) -> String {
        hex::encode(self.pair.public_key().as_ref())
    }

    /// Signs the seal in place (Ed25519 is deterministic: the same seal, the same signature).
    pub fn sign(&self, seal: &mut Seal) {
        seal.public_key = self.public_key();
        seal.signature = hex::encode(self.pair.sign(&seal.statement()).as_ref());
    }

    /// A signature over any bytes, e.g. an audit chain head.
    pub fn sign_bytes(&self, bytes: &[u8]) -> String {
        hex::encode(self.pair.sign(bytes).as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_seal_checks_and_any_change_breaks_it() {
        let key = SigningKey::from_pkcs8(&SigningKey::generate().expect("key")).expect("parse");
        let mut seal = Seal {
            format: SEAL_FORMAT.into(),
            campaign_id: "q1".into(),
            evidence_hash: "ab".repeat(32),
            ..Seal::default()
        };
        key.sign(&mut seal);
        assert_eq!(seal.check(), Ok(()));
        assert!(seal.fingerprint().starts_with("SHA256:"));
        let mut changed = seal.clone();
        changed.evidence_hash = "cd".repeat(32);
        assert!(changed.check().is_err());
        let other = SigningKey::from_pkcs8(&SigningKey::generate().expect("key")).expect("parse");
        let mut resigned = seal.clone();
        resigned.public_key = other.public_key();
        assert!(resigned.check().is_err(), "another key does not verify the signature");
    }
}
