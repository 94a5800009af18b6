//! Secret values (API tokens, API keys, the TXT encryption key) that must never be
//! printed.
//!
//! [`Secret`] prints `<redacted>` through `Debug`, `Display` and `Serialize`, so a
//! secret can sit in any configuration struct that is logged, shown by
//! `flaredns config` or put into an error message. The value is reachable only
//! through [`Secret::expose`], which makes every real use easy to find.
//!
//! Hand-written rather than `secrecy::SecretString`: that type has no `Display`,
//! and its opt-in `Serialize` writes the real value, while flaredns needs a secret
//! that serialises as `<redacted>`.

use std::fmt;

use serde::{Serialize, Serializer};
use zeroize::Zeroize;

/// What every secret prints as.
pub const REDACTED: &str = "<redacted>";

/// A string that never shows itself; the memory is wiped when it is dropped.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value itself, for the one place that needs it (an HTTP header,
    /// a cipher key). Never log or format the result.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string (an unset flag).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUE: &str = "tok-SECRET-123";

    #[test]
    fn formatting_never_shows_the_value() {
        let secret = Secret::new(VALUE);
        assert_eq!(format!("{secret:?}"), REDACTED);
        assert_eq!(format!("{secret}"), REDACTED);
        assert_eq!(format!("{secret:#?}"), REDACTED);
        assert_eq!(format!("{:?}", Some(secret.clone())), "Some(<redacted>)");
    }

    #[test]
    fn serialising_never_shows_the_value() {
        let secret = Secret::from(VALUE.to_string());
        assert_eq!(
            serde_json::to_string(&secret).unwrap(),
            format!("\"{REDACTED}\"")
        );
    }

    #[test]
    fn expose_returns_the_value() {
        let secret = Secret::new(VALUE);
        assert_eq!(secret.expose(), VALUE);
        assert!(!secret.is_empty());
        assert!(Secret::default().is_empty());
    }
}
