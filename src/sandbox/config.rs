//! What a sandbox is started with: where it listens, which credentials it accepts,
//! its rate limit, the faults it injects, and where it keeps its state.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::stamp;

/// A zone's Cloudflare plan, which sets its limits.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum PlanTier {
    #[default]
    Free,
    Pro,
    Business,
    Enterprise,
}

impl PlanTier {
    /// Every plan, cheapest first.
    pub const ALL: [PlanTier; 4] = [
        PlanTier::Free,
        PlanTier::Pro,
        PlanTier::Business,
        PlanTier::Enterprise,
    ];

    /// The plan's stable key in the API (`plan.legacy_id`).
    pub fn legacy_id(self) -> &'static str {
        match self {
            PlanTier::Free => "free",
            PlanTier::Pro => "pro",
            PlanTier::Business => "business",
            PlanTier::Enterprise => "enterprise",
        }
    }

    /// The plan's display name (`plan.name`).
    pub fn display_name(self) -> &'static str {
        match self {
            PlanTier::Free => "Free Website",
            PlanTier::Pro => "Pro Website",
            PlanTier::Business => "Business Website",
            PlanTier::Enterprise => "Enterprise Website",
        }
    }

    /// The plan's id (`plan.id`). The Free plan's id is the one the live API
    /// sends; the others are the sandbox's own, since clients key on `legacy_id`.
    pub fn plan_id(self) -> &'static str {
        match self {
            PlanTier::Free => "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
            PlanTier::Pro => "00000000000000000000000000000002",
            PlanTier::Business => "00000000000000000000000000000003",
            PlanTier::Enterprise => "00000000000000000000000000000004",
        }
    }

    /// Whether the plan is a paid one.
    pub fn is_paid(self) -> bool {
        self != PlanTier::Free
    }

    /// The longest record comment, in characters.
    pub fn comment_limit(self) -> usize {
        if self.is_paid() { 500 } else { 100 }
    }

    /// How many tags a record may carry (tags are for paid plans only).
    pub fn tag_quota(self) -> usize {
        if self.is_paid() { 20 } else { 0 }
    }

    /// How many operations one batch request may hold.
    pub fn batch_limit(self) -> usize {
        if self.is_paid() { 3500 } else { 200 }
    }

    /// The lowest TTL other than 1 ("automatic").
    pub fn min_ttl(self) -> u32 {
        if self == PlanTier::Enterprise { 30 } else { 60 }
    }
}

impl fmt::Display for PlanTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.legacy_id())
    }
}

/// A plan name that is not `free`, `pro`, `business` or `enterprise`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown plan {0:?}; expected free, pro, business or enterprise")]
pub struct UnknownPlan(pub String);

impl FromStr for PlanTier {
    type Err = UnknownPlan;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PlanTier::ALL
            .into_iter()
            .find(|p| p.legacy_id().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownPlan(s.to_string()))
    }
}

/// Which zones a credential may see and change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ZoneAccess {
    #[default]
    All,
    /// Only the zones with these names.
    Only(Vec<String>),
}

impl ZoneAccess {
    /// Whether the zone named `zone_name` is in scope.
    pub fn allows(&self, zone_name: &str) -> bool {
        match self {
            ZoneAccess::All => true,
            ZoneAccess::Only(names) => names.iter().any(|n| n.eq_ignore_ascii_case(zone_name)),
        }
    }
}

/// An API token the sandbox accepts as `Authorization: Bearer <value>`.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenConfig {
    /// The secret: 40 letters, digits, `-` or `_`, as Cloudflare's tokens.
    pub value: String,
    /// The token's public id (32 hex), returned by `/user/tokens/verify`.
    pub id: String,
    pub zones: ZoneAccess,
    /// DNS Write; without it the token can only read.
    pub can_write: bool,
    /// A revoked token is refused with 9109, as a deleted or rolled token is.
    pub active: bool,
}

impl TokenConfig {
    /// A token with the given value that may read and write every zone.
    pub fn new(value: impl Into<String>) -> Self {
        TokenConfig {
            value: value.into(),
            id: stamp::new_id(),
            zones: ZoneAccess::All,
            can_write: true,
            active: true,
        }
    }

    /// A token with a fresh random value that may read and write every zone.
    pub fn random() -> Self {
        TokenConfig::new(stamp::new_token())
    }

    /// Limits the token to the zones with these names.
    pub fn for_zones(mut self, zones: &[&str]) -> Self {
        self.zones = ZoneAccess::Only(zones.iter().map(|z| z.to_ascii_lowercase()).collect());
        self
    }

    /// Takes DNS Write away.
    pub fn read_only(mut self) -> Self {
        self.can_write = false;
        self
    }
}

// The value is a secret and never printed.
impl fmt::Debug for TokenConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenConfig")
            .field("value", &"<redacted>")
            .field("id", &self.id)
            .field("zones", &self.zones)
            .field("can_write", &self.can_write)
            .field("active", &self.active)
            .finish()
    }
}

/// A legacy global API key, sent as `X-Auth-Email` and `X-Auth-Key`; it may read
/// and write every zone.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeyConfig {
    pub email: String,
    /// The secret: 37 lowercase hex characters, as Cloudflare's global keys.
    pub key: String,
}

// The key is a secret and never printed.
impl fmt::Debug for ApiKeyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyConfig")
            .field("email", &self.email)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// Cloudflare's per-user budget: `requests` per `window`; past it every call is
/// refused until `lockout` has passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimitConfig {
    pub requests: u32,
    pub window: Duration,
    pub lockout: Duration,
}

impl Default for RateLimitConfig {
    /// The live API's numbers: 1,200 requests per 5 minutes, then 5 minutes refused.
    fn default() -> Self {
        RateLimitConfig {
            requests: 1200,
            window: Duration::from_secs(300),
            lockout: Duration::from_secs(300),
        }
    }
}

/// A run of 429 answers, as if another client had used up the budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Throttle {
    /// How many calls from now are refused.
    pub calls: u32,
    /// The `Retry-After` they carry.
    pub retry_after: Duration,
}

/// A 5xx answer to one write call, with nothing applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailWrite {
    /// Which write call from now fails (1 = the next one).
    pub nth: u64,
    /// The status, 500 to 599.
    pub status: u16,
}

/// Faults injected from the start; each can be changed later through the handle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultConfig {
    /// Added before every answer.
    pub latency: Duration,
    pub throttle: Option<Throttle>,
    pub fail_write: Option<FailWrite>,
    /// This write call (1 = the next one) is applied, then its connection is
    /// dropped without an answer, as when a process is killed mid-call.
    pub reset_after_write: Option<u64>,
}

/// Everything a sandbox starts with.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Where to listen; port 0 picks a free port.
    pub bind: SocketAddr,
    pub tokens: Vec<TokenConfig>,
    pub api_keys: Vec<ApiKeyConfig>,
    /// `None` turns the rate limit (and its headers) off.
    pub rate_limit: Option<RateLimitConfig>,
    pub faults: FaultConfig,
    /// Loaded at start when the file exists; written by `save_state` and at shutdown.
    pub state_file: Option<PathBuf>,
    /// Keep a copy of the zone after every successful write (turn off for large
    /// benchmarks, where the copies would cost memory).
    pub keep_history: bool,
    /// Refuse a request body holding a field Cloudflare does not define (at any
    /// depth) with 9207, instead of ignoring it as the live API does. Tests turn
    /// it on so that a misnamed field fails them rather than flapping in
    /// production.
    pub strict_requests: bool,
}

impl Default for SandboxConfig {
    /// Loopback on a free port, one random token for every zone, the live API's
    /// rate limit, no faults, no state file, history kept, request bodies read
    /// leniently.
    fn default() -> Self {
        SandboxConfig {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            tokens: vec![TokenConfig::random()],
            api_keys: Vec::new(),
            rate_limit: Some(RateLimitConfig::default()),
            faults: FaultConfig::default(),
            state_file: None,
            keep_history: true,
            strict_requests: false,
        }
    }
}

/// A configuration the sandbox cannot run with.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SandboxConfigError {
    #[error(
        "token {id}: a token value must be 40 letters, digits, '-' or '_', as Cloudflare's tokens are"
    )]
    TokenFormat { id: String },
    #[error("token {id}: its id must be 32 lowercase hex characters")]
    TokenId { id: String },
    #[error("two tokens share one value")]
    DuplicateToken,
    #[error("API key for {email}: the e-mail must contain '@'")]
    KeyEmail { email: String },
    #[error("API key for {email}: a global key must be 37 lowercase hex characters")]
    KeyFormat { email: String },
    #[error("the rate limit needs at least one request per window and a window longer than zero")]
    RateLimit,
    #[error("a failing write needs a status from 500 to 599 and a position of at least 1")]
    FailWrite,
    #[error("a reset write needs a position of at least 1")]
    ResetWrite,
}

/// Whether `value` has the shape of a Cloudflare API token.
pub fn is_token_format(value: &str) -> bool {
    value.len() == 40
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether `value` has the shape of a Cloudflare global API key.
pub fn is_key_format(value: &str) -> bool {
    value.len() == 37
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Whether `value` looks like an e-mail address, as the API checks it.
pub fn is_email_format(value: &str) -> bool {
    matches!(value.split_once('@'), Some((user, domain)) if !user.is_empty() && !domain.is_empty())
}

impl FailWrite {
    pub(crate) fn validate(self) -> Result<Self, SandboxConfigError> {
        if self.nth == 0 || !(500..=599).contains(&self.status) {
            return Err(SandboxConfigError::FailWrite);
        }
        Ok(self)
    }
}

impl SandboxConfig {
    /// Checks that every credential has the live API's shape (so that a client
    /// tested here sends what Cloudflare accepts) and that limits and faults make
    /// sense.
    pub fn validate(&self) -> Result<(), SandboxConfigError> {
        for (i, token) in self.tokens.iter().enumerate() {
            if !is_token_format(&token.value) {
                return Err(SandboxConfigError::TokenFormat {
                    id: token.id.clone(),
                });
            }
            if !stamp::is_id(&token.id) {
                return Err(SandboxConfigError::TokenId {
                    id: token.id.clone(),
                });
            }
            if self.tokens[..i].iter().any(|t| t.value == token.value) {
                return Err(SandboxConfigError::DuplicateToken);
            }
        }
        for key in &self.api_keys {
            if !is_email_format(&key.email) {
                return Err(SandboxConfigError::KeyEmail {
                    email: key.email.clone(),
                });
            }
            if !is_key_format(&key.key) {
                return Err(SandboxConfigError::KeyFormat {
                    email: key.email.clone(),
                });
            }
        }
        if let Some(limit) = self.rate_limit
            && (limit.requests == 0 || limit.window.is_zero())
        {
            return Err(SandboxConfigError::RateLimit);
        }
        if let Some(fail) = self.faults.fail_write {
            fail.validate()?;
        }
        if self.faults.reset_after_write == Some(0) {
            return Err(SandboxConfigError::ResetWrite);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_carry_the_documented_limits() {
        assert_eq!(PlanTier::Free.comment_limit(), 100);
        assert_eq!(PlanTier::Pro.comment_limit(), 500);
        assert_eq!(PlanTier::Free.batch_limit(), 200);
        assert_eq!(PlanTier::Business.batch_limit(), 3500);
        assert_eq!(PlanTier::Free.tag_quota(), 0);
        assert_eq!(PlanTier::Enterprise.min_ttl(), 30);
        assert_eq!(PlanTier::Pro.min_ttl(), 60);
        assert_eq!("Enterprise".parse::<PlanTier>(), Ok(PlanTier::Enterprise));
        assert!("gold".parse::<PlanTier>().is_err());
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let token = TokenConfig::random();
        let key = ApiKeyConfig {
            email: "ops@example.com".into(),
            key: "a".repeat(37),
        };
        let config = SandboxConfig {
            tokens: vec![token.clone()],
            api_keys: vec![key.clone()],
            ..SandboxConfig::default()
        };
        let printed = format!("{config:?}");
        assert!(!printed.contains(&token.value));
        assert!(!printed.contains(&key.key));
        assert!(printed.contains("<redacted>"));
    }

    #[test]
    fn credentials_must_have_the_live_shape() {
        let mut config = SandboxConfig::default();
        assert_eq!(config.validate(), Ok(()));
        config.tokens.push(TokenConfig::new("short"));
        assert!(matches!(
            config.validate(),
            Err(SandboxConfigError::TokenFormat { .. })
        ));
        let mut config = SandboxConfig::default();
        config.tokens.push(config.tokens[0].clone());
        assert_eq!(config.validate(), Err(SandboxConfigError::DuplicateToken));
        let mut config = SandboxConfig::default();
        config.api_keys.push(ApiKeyConfig {
            email: "ops@example.com".into(),
            key: "not-a-key".into(),
        });
        assert!(matches!(
            config.validate(),
            Err(SandboxConfigError::KeyFormat { .. })
        ));
    }

    #[test]
    fn faults_and_limits_are_checked() {
        let mut config = SandboxConfig::default();
        config.faults.fail_write = Some(FailWrite {
            nth: 1,
            status: 404,
        });
        assert_eq!(config.validate(), Err(SandboxConfigError::FailWrite));
        let mut config = SandboxConfig::default();
        config.faults.reset_after_write = Some(0);
        assert_eq!(config.validate(), Err(SandboxConfigError::ResetWrite));
        let config = SandboxConfig {
            rate_limit: Some(RateLimitConfig {
                requests: 0,
                ..RateLimitConfig::default()
            }),
            ..SandboxConfig::default()
        };
        assert_eq!(config.validate(), Err(SandboxConfigError::RateLimit));
    }
}
