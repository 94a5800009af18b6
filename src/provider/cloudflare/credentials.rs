//! How flaredns authenticates to Cloudflare: the credential kinds ExternalDNS
//! reads from the environment. Reading them is the configuration's job
//! (`config::credentials`); the client only uses them.

use std::path::PathBuf;

use serde::Serialize;

use crate::secret::Secret;

/// How flaredns authenticates to Cloudflare, read from the environment as
/// ExternalDNS reads it.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CloudflareCredentials {
    /// `CF_API_TOKEN`: a scoped API token (preferred).
    ApiToken { token: Secret, source: TokenSource },
    /// `CF_API_KEY` and `CF_API_EMAIL`: the account's global API key.
    ApiKey { key: Secret, email: String },
}

/// Where the API token came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "from", rename_all = "kebab-case")]
pub enum TokenSource {
    /// The value of `CF_API_TOKEN`.
    Environment,
    /// The file named by `CF_API_TOKEN=file:<path>`, whitespace trimmed.
    File { path: PathBuf },
}
