//! ExternalDNS-compatible TXT ownership records: names, values, AES-GCM.
//!
//! Next to every record it manages, ExternalDNS keeps a TXT record naming the
//! owner (`--txt-owner-id`) and the Kubernetes object behind it. flaredns reads
//! and writes the same records, byte-compatible, so that a zone managed by
//! ExternalDNS is adopted without a single write:
//!
//! * [`names`]: where a TXT record lives (`--txt-prefix`, `--txt-suffix`,
//!   `%{record_type}`, `--txt-wildcard-replacement`) and whom a TXT name speaks for;
//! * [`labels`]: the TXT value, `"heritage=external-dns,external-dns/owner=…"`;
//! * [`crypto`] and [`gzip`]: the encrypted form of that value;
//! * `resolve`: the zone read back into endpoints with their ownership
//!   ([`TxtRegistry::resolve`]).
//!
//! flaredns writes new-format TXT records only (as ExternalDNS does since v0.18)
//! and reads legacy ones as a fallback, as every ExternalDNS version does.

pub mod crypto;
pub mod gzip;
pub mod labels;
pub mod names;
mod resolve;

pub use crypto::{AesKey, Nonce};
pub use labels::InvalidHeritage;
pub use names::NameMapper;

use crate::endpoint::{Endpoint, RecordType, ZoneRecord, label, normalized_name};
use crate::registry::{CurrentState, Labels, Ownership, OwnershipRecord};

/// The registry's flags: `--txt-owner-id`, `--txt-prefix`, `--txt-suffix`,
/// `--txt-wildcard-replacement`, `--txt-encrypt-aes-key` (when
/// `--txt-encrypt-enabled`) and `--migrate-from-txt-owner`.
#[derive(Clone, Debug, Default)]
pub struct TxtRegistryConfig {
    /// This instance's owner id, written into every TXT record it creates.
    pub owner_id: String,
    /// Text before the first label of TXT names; may hold `%{record_type}`.
    pub prefix: String,
    /// Text after the first label of TXT names; may hold `%{record_type}`.
    pub suffix: String,
    /// Stands in for a leading `*` label in TXT names (most providers refuse a
    /// `*` inside a name).
    pub wildcard_replacement: String,
    /// Set when TXT values are to be encrypted; encrypted values are then also
    /// read (plain ones still are).
    pub encryption_key: Option<AesKey>,
    /// Records whose owner label is this value count as ours and are re-labelled
    /// to `owner_id` when rewritten; empty means none.
    pub migrate_from_owner: Option<String>,
}

/// A registry configuration ExternalDNS would refuse at start-up. Messages never
/// contain the encryption key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RegistryConfigError {
    /// Without an owner id no record could be told apart as ours.
    #[error("--txt-owner-id must not be empty")]
    EmptyOwnerId,
    /// TXT names cannot be read back with both affixes.
    #[error("--txt-prefix and --txt-suffix are mutually exclusive")]
    PrefixAndSuffix,
    /// Encryption was asked for without a key.
    #[error("TXT encryption needs a key: --txt-encrypt-aes-key is empty")]
    EmptyAesKey,
    /// The key is neither 32 bytes of text nor base64 of 32 bytes.
    #[error(
        "--txt-encrypt-aes-key must be 32 bytes of text or standard base64 (with padding) of 32 bytes; \
         the value given is {length} bytes long and is neither"
    )]
    InvalidAesKey { length: usize },
}

/// A TXT record to write: name and content, the content quoted (or encrypted and
/// quoted) exactly as Cloudflare stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxtRecord {
    /// The TXT record's name (see [`NameMapper::new_format_name`]).
    pub name: String,
    /// The TXT value, with its double quotes.
    pub content: String,
}

/// The TXT ownership registry of one flaredns instance: decides which zone
/// records are ours and what TXT records new records get.
#[derive(Clone, Debug)]
pub struct TxtRegistry {
    owner_id: String,
    migrate_from_owner: Option<String>,
    mapper: NameMapper,
    key: Option<AesKey>,
}

impl TxtRegistry {
    /// Checks the configuration as ExternalDNS does at start-up.
    pub fn new(config: TxtRegistryConfig) -> Result<Self, RegistryConfigError> {
        if config.owner_id.is_empty() {
            return Err(RegistryConfigError::EmptyOwnerId);
        }
        if !config.prefix.is_empty() && !config.suffix.is_empty() {
            return Err(RegistryConfigError::PrefixAndSuffix);
        }
        Ok(TxtRegistry {
            owner_id: config.owner_id,
            // An empty value is the flag's default, "no migration"; it must not make
            // TXT records without an owner label ours.
            migrate_from_owner: config.migrate_from_owner.filter(|o| !o.is_empty()),
            mapper: NameMapper::new(&config.prefix, &config.suffix, &config.wildcard_replacement),
            key: config.encryption_key,
        })
    }

    /// This instance's `--txt-owner-id`.
    pub fn owner_id(&self) -> &str {
        &self.owner_id
    }

    /// The TXT name rules in force.
    pub fn name_mapper(&self) -> &NameMapper {
        &self.mapper
    }

    /// Who owns a record whose ownership TXT carries `labels`: us when the owner
    /// label is our owner id or the one we migrate from, else that owner (empty
    /// when the label is missing).
    pub fn ownership_of(&self, labels: &Labels) -> Ownership {
        let owner = labels.get(label::OWNER).map(String::as_str).unwrap_or("");
        if self.is_ours(owner) {
            Ownership::Owned
        } else {
            Ownership::Foreign(owner.to_string())
        }
    }

    fn is_ours(&self, owner: &str) -> bool {
        owner == self.owner_id || self.migrate_from_owner.as_deref() == Some(owner)
    }

    /// Reads the zone: every heritage TXT record decoded (decrypted when a key is
    /// set, else or failing that read as plain text), every other record grouped
    /// into a [`crate::registry::CurrentEndpoint`] by (name, type, set id) with its
    /// ownership: new-format TXT records decide, legacy ones are the fallback
    /// (never for AAAA), and wildcard names are looked up under the replacement.
    /// TXT records without a valid heritage are ordinary records.
    pub fn resolve<'z>(
        &self,
        records: impl IntoIterator<Item = &'z ZoneRecord>,
    ) -> CurrentState<'z> {
        resolve::resolve(self, records)
    }

    /// Reads the zone once for a pass in parts (see [`crate::plan::slices`]):
    /// hands every record to `place` with its [`Self::resolve_key`], and
    /// returns the heritage TXT records that claim nothing anywhere in the
    /// zone, as [`Self::resolve`] lists them in `dangling_ownership`, without
    /// resolving the zone.
    pub fn survey<'z>(
        &self,
        records: impl IntoIterator<Item = &'z ZoneRecord>,
        place: impl FnMut(&'z ZoneRecord, &str),
    ) -> Vec<OwnershipRecord<'z>> {
        resolve::survey(self, records, place)
    }

    /// The name a record belongs with when the zone is resolved: a heritage TXT
    /// record's the name it speaks for, any other record's its own lookup name
    /// (see [`NameMapper::lookup_name`]). A record, the records of other types
    /// at its name and every ownership record that can claim them share it, and
    /// so does an endpoint for the name (its [`NameMapper::lookup_name`]): a
    /// pass can resolve and plan a zone part by part along it.
    pub fn resolve_key(&self, record: &ZoneRecord) -> String {
        let name = normalized_name(&record.name);
        if record.record_type == RecordType::Txt && self.decode_labels(record.content()).is_ok() {
            let (speaks_for, _) = self.mapper.parse_txt_name(&name);
            if !speaks_for.is_empty() {
                return speaks_for;
            }
        }
        self.mapper.lookup_name(&name).into_owned()
    }

    /// The ownership TXT records to write for a new record: new format only (like
    /// ExternalDNS v0.18+), labels = the endpoint's labels + `owner=<owner id>`;
    /// none when a label of the TXT name would exceed 63 characters.
    pub fn txt_records_for(&self, endpoint: &Endpoint) -> Vec<TxtRecord> {
        let Some(name) = self
            .mapper
            .new_format_name(&endpoint.dns_name, endpoint.record_type)
        else {
            return Vec::new();
        };
        let mut labels = labels::without_nonce(&endpoint.labels);
        labels.insert(label::OWNER.to_string(), self.owner_id.clone());
        vec![TxtRecord {
            name,
            content: self.encode_labels(&labels),
        }]
    }

    /// Labels as TXT content: `"heritage=external-dns,external-dns/k=v,..."` (quoted),
    /// or encrypted when a key is set, reusing the `txt-encryption-nonce` label when
    /// present so that an unchanged value reproduces. A nonce label must only come
    /// from decoding these very labels (AES-GCM must never seal two different texts
    /// under one nonce); to rewrite a record with other labels use
    /// [`Self::content_for`].
    ///
    /// Encryption cannot fail short of a broken system random source; should it
    /// fail, the labels are written in plain text (which every reader accepts)
    /// and an error is logged: a record without an ownership TXT would be lost to
    /// flaredns for good.
    pub fn encode_labels(&self, labels: &Labels) -> String {
        self.try_encode_labels(labels).unwrap_or_else(|error| {
            tracing::error!(%error, "cannot encrypt a TXT ownership value; writing it unencrypted");
            labels::quote(&labels::serialize_labels(labels))
        })
    }

    /// [`Self::encode_labels`], reporting an encryption failure instead of falling
    /// back to plain text.
    pub fn try_encode_labels(&self, labels: &Labels) -> Result<String, crypto::EncryptError> {
        let text = labels::serialize_labels(labels);
        let Some(key) = &self.key else {
            return Ok(labels::quote(&text));
        };
        let nonce = match labels
            .get(label::ENCRYPTION_NONCE)
            .and_then(|n| Nonce::from_label(n))
        {
            Some(nonce) => nonce,
            None => Nonce::random()?,
        };
        Ok(labels::quote(&crypto::encrypt(&text, key, &nonce)?))
    }

    /// Decodes a TXT content into labels: decrypted when a key is set and the
    /// value decrypts (the nonce kept under `txt-encryption-nonce`), else read as
    /// plain text. An error means the TXT record is not an ownership record.
    pub fn decode_labels(&self, content: &str) -> Result<Labels, InvalidHeritage> {
        if let Some(key) = &self.key
            && let Ok((text, nonce)) = crypto::decrypt(content.trim_matches('"'), key)
        {
            // Decrypted: no plain-text fallback, as in ExternalDNS.
            let mut labels = labels::parse_labels(&text)?;
            labels.insert(label::ENCRYPTION_NONCE.to_string(), nonce.to_label());
            return Ok(labels);
        }
        labels::parse_labels(content)
    }

    /// Whether a TXT content is an ownership record's ([`Self::decode_labels`]
    /// would succeed); without a key, the labels are not built.
    pub fn is_ownership_value(&self, content: &str) -> bool {
        if self.key.is_some() {
            return self.decode_labels(content).is_ok();
        }
        labels::is_heritage(content)
    }

    /// The content an ownership TXT record should have for `labels`. When the
    /// existing record already says the same (ignoring any nonce), its content is
    /// returned byte for byte, so that an unchanged label set is never rewritten:
    /// re-encrypting would not reproduce ExternalDNS's gzip bytes for most texts.
    /// Otherwise the labels are encoded afresh, with a new nonce (a nonce is never
    /// reused for a different text).
    pub fn content_for(&self, labels: &Labels, existing: Option<&OwnershipRecord>) -> String {
        match existing {
            Some(existing) if labels::same_labels(&existing.labels, labels) => {
                existing.record.content().to_string()
            }
            _ => self.encode_labels(&labels::without_nonce(labels)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::RecordType;
    use crate::registry::TxtFormat;

    fn config(owner: &str) -> TxtRegistryConfig {
        TxtRegistryConfig {
            owner_id: owner.to_string(),
            ..Default::default()
        }
    }

    fn registry(owner: &str) -> TxtRegistry {
        TxtRegistry::new(config(owner)).unwrap()
    }

    fn encrypted_registry(owner: &str) -> TxtRegistry {
        TxtRegistry::new(TxtRegistryConfig {
            encryption_key: Some(AesKey::from_bytes([42; 32])),
            ..config(owner)
        })
        .unwrap()
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn txt(name: &str, content: &str) -> ZoneRecord {
        ZoneRecord::new(format!("id-{name}"), "zone", name, RecordType::Txt, content)
    }

    #[test]
    fn configuration_is_checked() {
        assert_eq!(
            TxtRegistry::new(config("")).unwrap_err(),
            RegistryConfigError::EmptyOwnerId
        );
        let both = TxtRegistryConfig {
            prefix: "p-".to_string(),
            suffix: "-s".to_string(),
            ..config("me")
        };
        assert_eq!(
            TxtRegistry::new(both).unwrap_err(),
            RegistryConfigError::PrefixAndSuffix
        );
        assert_eq!(registry("me").owner_id(), "me");
    }

    #[test]
    fn debug_output_hides_the_key() {
        let shown = format!("{:?}", encrypted_registry("me"));
        assert!(shown.contains("<redacted>"));
        assert!(!shown.contains("42"));
    }

    #[test]
    fn ownership_follows_the_owner_label() {
        let r = TxtRegistry::new(TxtRegistryConfig {
            migrate_from_owner: Some("old".to_string()),
            ..config("me")
        })
        .unwrap();
        assert_eq!(
            r.ownership_of(&labels(&[("owner", "me")])),
            Ownership::Owned
        );
        assert_eq!(
            r.ownership_of(&labels(&[("owner", "old")])),
            Ownership::Owned
        );
        assert_eq!(
            r.ownership_of(&labels(&[("owner", "other")])),
            Ownership::Foreign("other".to_string())
        );
        assert_eq!(
            r.ownership_of(&Labels::new()),
            Ownership::Foreign(String::new())
        );
        // An empty migration owner is "no migration", not "records without owner".
        let r = TxtRegistry::new(TxtRegistryConfig {
            migrate_from_owner: Some(String::new()),
            ..config("me")
        })
        .unwrap();
        assert_eq!(
            r.ownership_of(&Labels::new()),
            Ownership::Foreign(String::new())
        );
    }

    #[test]
    fn new_records_get_one_new_format_txt_with_our_owner() {
        let r = registry("me");
        let ep = Endpoint::new("web.example.com", RecordType::A, ["192.0.2.1"])
            .unwrap()
            .with_label("resource", "ingress/default/web")
            .with_label("owner", "someone-else");
        assert_eq!(
            r.txt_records_for(&ep),
            vec![TxtRecord {
                name: "a-web.example.com".to_string(),
                content: "\"heritage=external-dns,external-dns/owner=me,external-dns/resource=ingress/default/web\"".to_string(),
            }]
        );
        let long = Endpoint::new(
            &format!("{}.example.com", "x".repeat(60)),
            RecordType::Cname,
            ["lb.example.com"],
        )
        .unwrap();
        assert_eq!(r.txt_records_for(&long), Vec::new());
    }

    #[test]
    fn encrypted_records_decode_back_and_never_reuse_a_stale_nonce() {
        let r = encrypted_registry("me");
        let mut ep = Endpoint::new("web.example.com", RecordType::Cname, ["lb.example.com"])
            .unwrap()
            .with_label(label::ENCRYPTION_NONCE, "AQIDBAUGBwgJCgsM");
        let first = r.txt_records_for(&ep);
        ep.labels.remove(label::ENCRYPTION_NONCE);
        let second = r.txt_records_for(&ep);
        assert_eq!(first.len(), 1);
        assert_eq!(second.len(), 1);
        // Fresh nonces: the stale one in the endpoint's labels is not used.
        assert!(!first[0].content.starts_with("\"AQIDBAUGBwgJCgsM"));
        assert_ne!(first[0].content, second[0].content);
        let decoded = r.decode_labels(&first[0].content).unwrap();
        assert_eq!(decoded.get("owner").map(String::as_str), Some("me"));
        assert!(decoded.contains_key(label::ENCRYPTION_NONCE));
        // Re-encoding the decoded labels reuses their nonce and reproduces the value.
        assert_eq!(r.encode_labels(&decoded), first[0].content);
        assert_eq!(r.try_encode_labels(&decoded).unwrap(), first[0].content);
    }

    #[test]
    fn plain_values_are_read_even_with_a_key() {
        let r = encrypted_registry("me");
        let plain = "\"heritage=external-dns,external-dns/owner=me\"";
        assert_eq!(r.decode_labels(plain).unwrap(), labels(&[("owner", "me")]));
        assert_eq!(
            r.decode_labels("\"v=spf1 -all\""),
            Err(InvalidHeritage::Missing)
        );
        // Without the key, an encrypted value is not an ownership record.
        let encrypted = r.encode_labels(&labels(&[("owner", "me")]));
        assert_eq!(
            registry("me").decode_labels(&encrypted),
            Err(InvalidHeritage::Missing)
        );
    }

    #[test]
    fn encoding_without_a_key_drops_the_nonce() {
        let r = registry("me");
        assert_eq!(
            r.encode_labels(&labels(&[("owner", "me"), (label::ENCRYPTION_NONCE, "x")])),
            "\"heritage=external-dns,external-dns/owner=me\""
        );
    }

    #[test]
    fn unchanged_labels_keep_the_stored_content() {
        let r = encrypted_registry("me");
        // A value whose gzip bytes no encoder here would produce (stored blocks).
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::none());
        std::io::Write::write_all(&mut gz, b"heritage=external-dns,external-dns/owner=me").unwrap();
        let gz = gz.finish().unwrap();
        let nonce = Nonce::from_bytes([5; 12]);
        let sealed = aes_gcm::aead::Aead::encrypt(
            &<aes_gcm::Aes256Gcm as aes_gcm::aead::KeyInit>::new(&[42u8; 32].into()),
            &[5u8; 12].into(),
            gz.as_slice(),
        )
        .unwrap();
        let mut data = vec![5u8; 12];
        data.extend(sealed);
        let stored = labels::quote(&base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            data,
        ));
        let record = OwnershipRecord {
            labels: r.decode_labels(&stored).unwrap(),
            record: &txt("cname-web.example.com", &stored),
            format: TxtFormat::New,
        };
        assert_eq!(
            record.labels.get(label::ENCRYPTION_NONCE),
            Some(&nonce.to_label())
        );
        // Re-encryption with the same nonce gives other bytes…
        assert_ne!(r.encode_labels(&record.labels), stored);
        // …so the stored content is kept whenever the labels say the same.
        let desired = labels(&[("owner", "me")]);
        assert_eq!(r.content_for(&desired, Some(&record)), stored);
        // Changed labels get a fresh value under a fresh nonce.
        let changed = labels(&[("owner", "me"), ("resource", "ingress/a/b")]);
        let fresh = r.content_for(&changed, Some(&record));
        assert!(!fresh.starts_with(&format!("\"{}", nonce.to_label())));
        let decoded = r.decode_labels(&fresh).unwrap();
        assert!(labels::same_labels(&decoded, &changed));
        // No existing record: a fresh value too.
        assert!(labels::same_labels(
            &r.decode_labels(&r.content_for(&desired, None)).unwrap(),
            &desired
        ));
    }
}
