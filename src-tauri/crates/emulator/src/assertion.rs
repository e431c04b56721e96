//! Client assertions (RFC 7523), as Entra's certificate credentials work: the app signs a short
//! JWT with its certificate's private key and sends it as `client_assertion`; the token endpoint
//! finds the certificate by the JWT's thumbprint (`x5t`, or `x5t#S256`), checks the RS256
//! signature with the certificate's public key, then the issuer, audience and lifetime.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Clock skew tolerated on `nbf` and `exp`, as Entra allows a few minutes.
const SKEW_SECONDS: i64 = 300;

/// Why an assertion was refused: the AADSTS code and its description.
pub(crate) type Refusal = (u32, String);

/// `rsaEncryption` (1.2.840.113549.1.1.1), DER-encoded with its tag and length.
const RSA_ENCRYPTION: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// One DER element of `input`: (tag, contents, what follows).
fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |l, b| (l << 8) | usize::from(*b));
        rest = &rest[n..];
        len
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The RSAPublicKey (PKCS#1 DER) inside an X.509 certificate, or `None` if the certificate is
/// malformed or its key is not RSA (Entra takes RSA certificates only).
pub(crate) fn rsa_public_key(certificate: &[u8]) -> Option<&[u8]> {
    let Some((0x30, certificate, _)) = der(certificate) else { return None };
    let Some((0x30, tbs, _)) = der(certificate) else { return None };
    let mut rest = tbs;
    // An explicit [0] version comes first in v3 certificates.
    if let Some((0xa0, _, after)) = der(rest) {
        rest = after;
    }
    // serialNumber, signature, issuer, validity, subject.
    for _ in 0..5 {
        rest = der(rest)?.2;
    }
    let Some((0x30, spki, _)) = der(rest) else { return None };
    let Some((0x30, algorithm, after)) = der(spki) else { return None };
    if !algorithm.starts_with(RSA_ENCRYPTION) {
        return None;
    }
    let Some((0x03, bits, _)) = der(after) else { return None };
    match bits.split_first() {
        Some((0, key)) => Some(key),
        _ => None,
    }
}

fn refuse(code: u32, description: &str) -> Refusal {
    (code, description.to_string())
}

/// Checks `jwt` as a client assertion of `client_id`, signed by one of `certificates` (DER), for
/// one of the token endpoint URLs in `audiences`, at `now` (Unix seconds).
pub(crate) fn verify(
    jwt: &str,
    certificates: &[Vec<u8>],
    client_id: &str,
    audiences: &[String],
    now: i64,
) -> Result<(), Refusal> {
    let malformed = || refuse(50027, "JWT token is invalid or malformed.");
    let mut parts = jwt.split('.');
    let (Some(h), Some(c), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    let decode = |part: &str| -> Option<Value> {
        B64.decode(part).ok().and_then(|b| serde_json::from_slice(&b).ok())
    };
    let (Some(header), Some(claims), Ok(signature)) = (decode(h), decode(c), B64.decode(s)) else {
        return Err(malformed());
    };
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(refuse(
            5002738,
            "The client assertion is not signed with RS256, the algorithm Entra accepts for it.",
        ));
    }
    let thumbprint = |der: &[u8]| {
        let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
        B64.encode(sha1.as_ref())
    };
    let certificate = match (
        header.get("x5t").and_then(Value::as_str),
        header.get("x5t#S256").and_then(Value::as_str),
    ) {
        (_, Some(s256)) => certificates.iter().find(|der| B64.encode(Sha256::digest(der)) == s256),
        (Some(x5t), None) => certificates.iter().find(|der| thumbprint(der) == x5t),
        (None, None) => None,
    };
    let not_found = || {
        refuse(
            700027,
            "Client assertion failed signature validation. [Reason - The key was not found.]",
        )
    };
    let key = certificate.and_then(|der| rsa_public_key(der)).ok_or_else(not_found)?;
    ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, key)
        .verify(format!("{h}.{c}").as_bytes(), &signature)
        .map_err(|_| {
            refuse(
                700027,
                "Client assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value.]",
            )
        })?;
    let claim = |k: &str| claims.get(k).and_then(Value::as_str).unwrap_or_default();
    if !claim("iss").eq_ignore_ascii_case(client_id)
        || !claim("sub").eq_ignore_ascii_case(client_id)
    {
        return Err(refuse(
            700021,
            "Client assertion application identifier doesn't match 'client_id' parameter.",
        ));
    }
    let aud = claim("aud").trim_end_matches('/');
    if !audiences.iter().any(|a| a.eq_ignore_ascii_case(aud)) {
        return Err(refuse(
            700212,
            "The client assertion's audience is not this tenant's token endpoint.",
        ));
    }
    let exp = claims.get("exp").and_then(Value::as_i64);
    let nbf = claims.get("nbf").and_then(Value::as_i64).unwrap_or(i64::MIN);
    if exp.is_none_or(|exp| exp + SKEW_SECONDS < now) || nbf - SKEW_SECONDS > now {
        return Err(refuse(700024, "Client assertion is not within its valid time range."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_lengths_and_truncation() {
        assert_eq!(der(&[0x02, 0x01, 0x05, 0xff]), Some((0x02, &[0x05][..], &[0xff][..])));
        let long = [&[0x04, 0x81, 0x80][..], &[7u8; 0x80]].concat();
        assert_eq!(der(&long).map(|(t, c, r)| (t, c.len(), r.len())), Some((0x04, 0x80, 0)));
        assert_eq!(der(&[0x04, 0x05, 0x00]), None, "shorter than its length says");
        assert_eq!(rsa_public_key(b"not a certificate"), None);
    }
}
