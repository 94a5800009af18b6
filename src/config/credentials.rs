//! Reading the Cloudflare credentials from the environment as ExternalDNS
//! does (`CF_API_TOKEN`, `CF_API_TOKEN=file:<path>`, `CF_API_KEY` with
//! `CF_API_EMAIL`).

use std::path::PathBuf;

use zeroize::Zeroize;

use super::*;
use crate::provider::cloudflare::credentials::{CloudflareCredentials, TokenSource};
use crate::secret::Secret;

/// Cloudflare credentials in the environment that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("{0} is not valid UTF-8")]
    NotUnicode(&'static str),
    #[error("cannot read the Cloudflare API token from {} (CF_API_TOKEN=file:…): {source}", path.display())]
    TokenFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the Cloudflare API token file {} is empty (CF_API_TOKEN=file:…)", path.display())]
    EmptyTokenFile { path: PathBuf },
    #[error(
        "CF_API_KEY is set but CF_API_EMAIL is not; the global API key needs both (or use CF_API_TOKEN)"
    )]
    MissingEmail,
    #[error(
        "CF_API_EMAIL is set but CF_API_KEY is not; the global API key needs both (or use CF_API_TOKEN)"
    )]
    MissingKey,
}

/// Reads one variable as text; unset and empty are the same, as in Go's `os.Getenv`.
pub(super) fn env_text(
    env: Env<'_>,
    name: &'static str,
) -> Result<Option<String>, CredentialsError> {
    match env(name) {
        None => Ok(None),
        Some(value) => value
            .into_string()
            .map(|v| Some(v).filter(|v| !v.is_empty()))
            .map_err(|_| CredentialsError::NotUnicode(name)),
    }
}

/// Reads the Cloudflare credentials as ExternalDNS does: `CF_API_TOKEN` first
/// (`file:<path>` reads the token from a file, whitespace trimmed), else
/// `CF_API_KEY` with `CF_API_EMAIL`.
pub fn read_credentials(env: Env<'_>) -> Result<Option<CloudflareCredentials>, CredentialsError> {
    if let Some(token) = env_text(env, "CF_API_TOKEN")? {
        let Some(path) = token.strip_prefix("file:") else {
            return Ok(Some(CloudflareCredentials::ApiToken {
                token: Secret::new(token),
                source: TokenSource::Environment,
            }));
        };
        let path = PathBuf::from(path);
        let mut text =
            std::fs::read_to_string(&path).map_err(|source| CredentialsError::TokenFile {
                path: path.clone(),
                source,
            })?;
        let token = Secret::new(text.trim());
        text.zeroize();
        if token.is_empty() {
            return Err(CredentialsError::EmptyTokenFile { path });
        }
        return Ok(Some(CloudflareCredentials::ApiToken {
            token,
            source: TokenSource::File { path },
        }));
    }
    let key = env_text(env, "CF_API_KEY")?.map(Secret::new);
    let email = env_text(env, "CF_API_EMAIL")?;
    match (key, email) {
        (None, None) => Ok(None),
        (Some(key), Some(email)) => Ok(Some(CloudflareCredentials::ApiKey { key, email })),
        (Some(_), None) => Err(CredentialsError::MissingEmail),
        (None, Some(_)) => Err(CredentialsError::MissingKey),
    }
}
