//! ExternalDNS-compatible TXT ownership records: names, values, AES-GCM.
//! (Being written: see the registry brief. Signatures are final.)

use crate::endpoint::{Endpoint, ZoneRecord};
use crate::registry::{CurrentState, Labels};

/// A 32-byte AES-256 key for `--txt-encrypt-aes-key`; never printed.
#[derive(Clone)]
pub struct AesKey(pub(crate) [u8; 32]);

impl std::fmt::Debug for AesKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AesKey(<redacted>)")
    }
}

impl AesKey {
    /// Reads a key as ExternalDNS v0.16+ does.
    pub fn parse(_text: &str) -> Result<Self, RegistryConfigError> {
        todo!()
    }
}

#[derive(Clone, Debug, Default)]
pub struct TxtRegistryConfig {
    pub owner_id: String,
    pub prefix: String,
    pub suffix: String,
    pub wildcard_replacement: String,
    pub encryption_key: Option<AesKey>,
    pub migrate_from_owner: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryConfigError {
    #[error("todo")]
    Todo,
}

/// A TXT record to write: name and quoted (or encrypted) content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxtRecord {
    pub name: String,
    pub content: String,
}

#[derive(Clone, Debug)]
pub struct TxtRegistry {
    config: TxtRegistryConfig,
}

impl TxtRegistry {
    pub fn new(config: TxtRegistryConfig) -> Result<Self, RegistryConfigError> {
        Ok(TxtRegistry { config })
    }
    pub fn owner_id(&self) -> &str {
        &self.config.owner_id
    }
    pub fn resolve(&self, _records: Vec<ZoneRecord>) -> CurrentState {
        todo!()
    }
    pub fn txt_records_for(&self, _endpoint: &Endpoint) -> Vec<TxtRecord> {
        todo!()
    }
    pub fn encode_labels(&self, _labels: &Labels) -> String {
        todo!()
    }
}
