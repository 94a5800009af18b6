//! Encrypted TXT values (`--txt-encrypt-enabled`), readable and writable by
//! ExternalDNS: the label text gzipped, sealed with AES-256-GCM under a 12-byte
//! nonce, and written as `base64(nonce ‖ ciphertext ‖ tag)`.

use std::fmt;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::rand_core::RngCore;
use aes_gcm::aead::{Aead, KeyInit, OsRng};
use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};

use super::RegistryConfigError;
use super::gzip;

/// Length of an AES-GCM nonce as ExternalDNS uses it.
pub const NONCE_LEN: usize = 12;

/// Length of an AES-256 key.
const KEY_LEN: usize = 32;

/// Base64 as Go's `base64.StdEncoding` decodes it: standard alphabet, padding
/// required, non-zero trailing bits accepted (line breaks are dropped before
/// decoding, see [`decode_go_base64`]).
const GO_STD_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// A 32-byte AES-256 key for `--txt-encrypt-aes-key`; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct AesKey(pub(crate) [u8; KEY_LEN]);

impl fmt::Debug for AesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AesKey(<redacted>)")
    }
}

impl AesKey {
    /// Reads a key as ExternalDNS v0.16+ does: a string of exactly 32 bytes is the
    /// key itself; anything else must be standard base64 (with padding; URL-safe
    /// characters are refused) of 32 bytes. Errors never contain the key.
    pub fn parse(text: &str) -> Result<Self, RegistryConfigError> {
        if text.is_empty() {
            return Err(RegistryConfigError::EmptyAesKey);
        }
        if let Ok(raw) = <[u8; KEY_LEN]>::try_from(text.as_bytes()) {
            return Ok(AesKey(raw));
        }
        let invalid = || RegistryConfigError::InvalidAesKey { length: text.len() };
        let decoded = decode_go_base64(text).map_err(|_| invalid())?;
        <[u8; KEY_LEN]>::try_from(decoded.as_slice())
            .map(AesKey)
            .map_err(|_| invalid())
    }

    /// A key from its 32 bytes (for keys that do not come from a flag).
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        AesKey(bytes)
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&self.0.into())
    }
}

/// The nonce of an encrypted TXT value. It is public (the first 16 base64
/// characters of the value) and is kept with the decoded labels so that an
/// unchanged label set can be encrypted to the same value again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nonce([u8; NONCE_LEN]);

impl Nonce {
    /// A fresh random nonce, for a label set that has not been encrypted before.
    pub fn random() -> Result<Self, EncryptError> {
        let mut bytes = [0u8; NONCE_LEN];
        OsRng
            .try_fill_bytes(&mut bytes)
            .map_err(|e| EncryptError::Random(e.to_string()))?;
        Ok(Nonce(bytes))
    }

    /// A nonce from its bytes.
    pub fn from_bytes(bytes: [u8; NONCE_LEN]) -> Self {
        Nonce(bytes)
    }

    /// Reads the `txt-encryption-nonce` label (base64 of 12 bytes); `None` when it
    /// is not one.
    pub fn from_label(text: &str) -> Option<Self> {
        let bytes = decode_go_base64(text).ok()?;
        <[u8; NONCE_LEN]>::try_from(bytes.as_slice())
            .ok()
            .map(Nonce)
    }

    /// The `txt-encryption-nonce` label value.
    pub fn to_label(&self) -> String {
        STANDARD.encode(self.0)
    }
}

/// Why a label text could not be encrypted. None of these depend on the text;
/// they are failures of the system's random source or of the libraries.
#[derive(Debug, thiserror::Error)]
pub enum EncryptError {
    /// No random nonce could be drawn.
    #[error("the system random source failed: {0}")]
    Random(String),
    /// The deflate library reported an error.
    #[error("gzip compression failed: {0}")]
    Compress(#[from] flate2::CompressError),
    /// The AES-GCM library refused to seal (only for absurd lengths).
    #[error("AES-GCM encryption failed")]
    Seal,
}

/// Why a TXT value could not be decrypted; the caller then reads it as plain text.
#[derive(Debug, thiserror::Error)]
pub enum DecryptError {
    /// Not base64 at all: most likely a plain-text value.
    #[error("the TXT value is not standard base64")]
    NotBase64,
    /// Too few bytes for a nonce and a sealed message.
    #[error("the TXT value is too short to hold a nonce and a ciphertext")]
    TooShort,
    /// Sealed under another key, or not sealed at all.
    #[error("the TXT value does not decrypt with the configured key")]
    Authentication,
    /// Authentic, but the content is not a gzip stream.
    #[error("the decrypted TXT value is not gzip data: {0}")]
    Gzip(#[from] gzip::GunzipError),
}

/// Encrypts a label text (unquoted) as ExternalDNS does; the result is the TXT
/// value without its quotes.
pub fn encrypt(text: &str, key: &AesKey, nonce: &Nonce) -> Result<String, EncryptError> {
    let compressed = gzip::compress(text.as_bytes())?;
    let sealed = key
        .cipher()
        .encrypt(&nonce.0.into(), compressed.as_slice())
        .map_err(|_| EncryptError::Seal)?;
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(&nonce.0);
    out.extend_from_slice(&sealed);
    Ok(STANDARD.encode(out))
}

/// Decrypts a TXT value (unquoted) written by ExternalDNS or by [`encrypt`]:
/// the label text and the nonce it was sealed under.
pub fn decrypt(text: &str, key: &AesKey) -> Result<(String, Nonce), DecryptError> {
    let data = decode_go_base64(text).map_err(|_| DecryptError::NotBase64)?;
    let (nonce, sealed) = data
        .split_first_chunk::<NONCE_LEN>()
        .filter(|(_, sealed)| !sealed.is_empty())
        .ok_or(DecryptError::TooShort)?;
    let compressed = key
        .cipher()
        .decrypt(&(*nonce).into(), sealed)
        .map_err(|_| DecryptError::Authentication)?;
    let plain = gzip::decompress(&compressed)?;
    // Go strings hold any bytes; labels here are text, so stray bytes become U+FFFD.
    let text = String::from_utf8_lossy(&plain).into_owned();
    Ok((text, Nonce(*nonce)))
}

/// Go's `base64.StdEncoding.DecodeString`, which skips `\r` and `\n` (so a key
/// read from a file with a final newline still decodes).
fn decode_go_base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    if text.contains(['\r', '\n']) {
        let joined: String = text.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
        GO_STD_BASE64.decode(joined)
    } else {
        GO_STD_BASE64.decode(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KEY: &str = "12345678901234567890123456789012";

    fn key() -> AesKey {
        AesKey::parse(KEY).unwrap()
    }

    #[test]
    fn keys_follow_externaldns_rules() {
        assert_eq!(
            key(),
            AesKey::from_bytes(*b"12345678901234567890123456789012")
        );
        let b64 = STANDARD.encode([7u8; 32]);
        assert_eq!(AesKey::parse(&b64).unwrap(), AesKey::from_bytes([7; 32]));
        // Line breaks are skipped by Go's decoder.
        assert_eq!(
            AesKey::parse(&format!("{b64}\n")).unwrap(),
            AesKey::from_bytes([7; 32])
        );
        assert!(matches!(
            AesKey::parse(""),
            Err(RegistryConfigError::EmptyAesKey)
        ));
        // Unpadded, URL-safe, wrong length: all refused.
        assert!(AesKey::parse(b64.trim_end_matches('=')).is_err());
        let url_safe = base64::engine::general_purpose::URL_SAFE.encode([0xfb; 32]);
        assert!(url_safe.contains(['-', '_']));
        assert!(AesKey::parse(&url_safe).is_err());
        assert!(matches!(
            AesKey::parse(&STANDARD.encode([1u8; 16])),
            Err(RegistryConfigError::InvalidAesKey { length: 24 })
        ));
        // 32 bytes, not 32 characters, make a raw key.
        let raw = "é".repeat(16);
        assert_eq!(raw.len(), 32);
        assert!(AesKey::parse(&raw).is_ok());
    }

    #[test]
    fn keys_and_errors_never_show_the_key() {
        let k = key();
        assert_eq!(format!("{k:?}"), "AesKey(<redacted>)");
        let secret = "s3cr3t-s3cr3t-s3cr3t";
        let err = AesKey::parse(secret).unwrap_err();
        assert!(!err.to_string().contains(secret));
        assert!(!format!("{err:?}").contains(secret));
    }

    #[test]
    fn nonce_labels() {
        let nonce = Nonce::from_bytes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        assert_eq!(nonce.to_label(), "AQIDBAUGBwgJCgsM");
        assert_eq!(Nonce::from_label("AQIDBAUGBwgJCgsM"), Some(nonce));
        assert_eq!(Nonce::from_label("AQID"), None);
        assert_eq!(Nonce::from_label("not base64!"), None);
        assert_ne!(Nonce::random().unwrap(), Nonce::random().unwrap());
    }

    #[test]
    fn the_value_starts_with_the_nonce() {
        let nonce = Nonce::from_bytes([9; NONCE_LEN]);
        let value = encrypt("heritage=external-dns", &key(), &nonce).unwrap();
        assert!(value.starts_with(&nonce.to_label()));
        assert_eq!(
            decrypt(&value, &key()).unwrap(),
            ("heritage=external-dns".to_string(), nonce)
        );
    }

    #[test]
    fn decryption_failures_are_errors() {
        let nonce = Nonce::from_bytes([3; NONCE_LEN]);
        let value = encrypt("heritage=external-dns", &key(), &nonce).unwrap();
        let other = AesKey::from_bytes([0; 32]);
        assert!(matches!(
            decrypt(&value, &other),
            Err(DecryptError::Authentication)
        ));
        assert!(matches!(
            decrypt("heritage=external-dns", &key()),
            Err(DecryptError::NotBase64)
        ));
        assert!(matches!(
            decrypt("AQIDBAUGBwgJCgsM", &key()),
            Err(DecryptError::TooShort)
        ));
        assert!(matches!(decrypt("", &key()), Err(DecryptError::TooShort)));
        // Authentic but not gzip.
        let sealed = key()
            .cipher()
            .encrypt(&nonce.0.into(), b"plain".as_slice())
            .unwrap();
        let mut data = nonce.0.to_vec();
        data.extend(sealed);
        assert!(matches!(
            decrypt(&STANDARD.encode(data), &key()),
            Err(DecryptError::Gzip(_))
        ));
    }

    proptest! {
        #[test]
        fn encrypt_then_decrypt(text in ".{0,300}", nonce in any::<[u8; NONCE_LEN]>(), k in any::<[u8; 32]>()) {
            let key = AesKey::from_bytes(k);
            let nonce = Nonce::from_bytes(nonce);
            let value = encrypt(&text, &key, &nonce).unwrap();
            prop_assert_eq!(decrypt(&value, &key).unwrap(), (text, nonce));
        }

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,200}") {
            let _ = decrypt(&text, &key());
            let _ = AesKey::parse(&text);
            let _ = Nonce::from_label(&text);
        }

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = decrypt(&STANDARD.encode(&data), &key());
        }
    }
}
