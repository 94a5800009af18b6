//! Cloudflare: the API client, its rate limiter, batching, and the provider that
//! reads zones and applies plans through them.

pub mod apply;
pub mod batch;
pub mod client;
pub mod convert;
pub mod credentials;
pub mod error;
pub mod ratelimit;
pub mod store;
pub mod types;

use std::time::Duration;

use self::apply::ApplyReport;
use self::batch::{FREE_PLAN_BATCH_LIMIT, PAID_PLAN_BATCH_LIMIT};
use self::client::Client;
use self::error::{ApiError, NoZone};
use self::types::TokenStatus;
use crate::endpoint::{Zone, ZoneRecord, normalize_name};
use crate::filter::DomainFilter;
use crate::plan::ChangeUnit;

/// How flaredns reads and writes zones (from the Cloudflare flags).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudflareSettings {
    /// `--cloudflare-dns-records-per-page`.
    pub records_per_page: u32,
    /// `--batch-change-size` when given; otherwise the zone plan's limit (200 on
    /// Free, 3,500 on paid plans).
    pub batch_size: Option<usize>,
    /// `--batch-change-interval`.
    pub batch_interval: Duration,
    /// `--zone-id-filter`: exactly these zones, whatever the domain filter says.
    pub zone_id_filter: Vec<String>,
}

impl Default for CloudflareSettings {
    fn default() -> Self {
        CloudflareSettings {
            records_per_page: 100,
            batch_size: None,
            batch_interval: Duration::from_secs(1),
            zone_id_filter: Vec::new(),
        }
    }
}

/// Why flaredns cannot start working on Cloudflare.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("the API token is {0:?}, not active; create a new one and update the Secret")]
    TokenNotActive(TokenStatus),
    #[error(transparent)]
    NoZone(#[from] NoZone),
}

/// Cloudflare as a DNS provider.
#[derive(Clone, Debug)]
pub struct Cloudflare {
    client: Client,
    settings: CloudflareSettings,
}

impl Cloudflare {
    pub fn new(client: Client, settings: CloudflareSettings) -> Self {
        Cloudflare { client, settings }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn settings(&self) -> &CloudflareSettings {
        &self.settings
    }

    /// Start-up: checks the token (API tokens only: the global key has no verify
    /// call) and finds the zones the domain filters need.
    pub async fn connect(&self, domain_filter: &DomainFilter) -> Result<Vec<Zone>, StartupError> {
        if self.client.uses_token() {
            let token = self.client.verify_token().await?;
            if token.status != TokenStatus::Active {
                return Err(StartupError::TokenNotActive(token.status));
            }
        }
        let listed = if self.settings.zone_id_filter.is_empty() {
            self.client.zones().await?
        } else {
            let mut zones = Vec::new();
            for id in &self.settings.zone_id_filter {
                zones.push(self.client.zone(id).await?);
            }
            zones
        };
        let visible: Vec<String> = listed.iter().map(|z| normalize_name(&z.name)).collect();
        let zones: Vec<Zone> = listed
            .into_iter()
            .map(|z| Zone {
                paid_plan: z
                    .plan
                    .as_ref()
                    .map(|p| p.legacy_id.as_deref().unwrap_or(&p.id) != "free")
                    .unwrap_or(false),
                name: normalize_name(&z.name),
                id: z.id,
            })
            .filter(|z| !self.settings.zone_id_filter.is_empty() || zone_needed(z, domain_filter))
            .collect();
        if zones.is_empty() {
            return Err(NoZone {
                domain_filters: domain_filter.include().to_vec(),
                visible,
            }
            .into());
        }
        Ok(zones)
    }

    /// Every record of the zones, in one listing per zone. Records of types
    /// flaredns does not read are left out (they are never touched).
    pub async fn read(&self, zones: &[Zone]) -> Result<Vec<ZoneRecord>, ApiError> {
        let pages = self.read_pages(zones).await?;
        let mut records = Vec::with_capacity(pages.iter().map(Vec::len).sum());
        for page in pages {
            records.extend(page);
        }
        Ok(records)
    }

    /// [`Cloudflare::read`], page by page: each page's records in a vector of
    /// their own, so that a large zone is never copied into a larger vector.
    pub async fn read_pages(&self, zones: &[Zone]) -> Result<Vec<Vec<ZoneRecord>>, ApiError> {
        let mut pages = Vec::new();
        for zone in zones {
            // One copy of the id, shared by the zone's records.
            let zone_id: std::sync::Arc<str> = zone.id.as_str().into();
            let mut unsupported = 0usize;
            self.client
                .list_records(&zone.id, self.settings.records_per_page, |page, _| {
                    let mut records = Vec::with_capacity(page.len());
                    for listed in page {
                        match convert::zone_record(listed, &zone_id) {
                            Ok(record) => records.push(record),
                            Err(_) => unsupported += 1,
                        }
                    }
                    pages.push(records);
                })
                .await?;
            if unsupported > 0 {
                tracing::debug!(zone = %zone.name, count = unsupported, "records of types flaredns does not read");
            }
        }
        Ok(pages)
    }

    /// The batch limit for a zone.
    pub fn batch_limit(&self, zone: &Zone) -> usize {
        self.settings.batch_size.unwrap_or(if zone.paid_plan {
            PAID_PLAN_BATCH_LIMIT
        } else {
            FREE_PLAN_BATCH_LIMIT
        })
    }

    /// Applies change units through the batch endpoint.
    pub async fn apply(&self, units: &[ChangeUnit], zones: &[Zone]) -> ApplyReport {
        let limit = self.limit_by_zone_id(zones);
        apply::apply(&self.client, units, limit, self.settings.batch_interval).await
    }

    /// Splits units into those whose batches are complete and those that
    /// should wait for more units to fill their batch (see
    /// [`batch::split_ready`]).
    pub fn split_ready(
        &self,
        units: Vec<ChangeUnit>,
        zones: &[Zone],
    ) -> (Vec<ChangeUnit>, Vec<ChangeUnit>) {
        batch::split_ready(units, self.limit_by_zone_id(zones))
    }

    fn limit_by_zone_id<'a>(&'a self, zones: &'a [Zone]) -> impl Fn(&str) -> usize + 'a {
        move |zone_id: &str| {
            zones
                .iter()
                .find(|z| z.id == zone_id)
                .map_or(FREE_PLAN_BATCH_LIMIT, |z| self.batch_limit(z))
        }
    }
}

/// Whether a zone is needed: its name passes the domain filter, or a filter
/// names a domain inside it (`--domain-filter=apps.example.com` needs zone
/// `example.com`; ExternalDNS would hide that zone).
fn zone_needed(zone: &Zone, filter: &DomainFilter) -> bool {
    filter.is_empty()
        || filter.matches(&zone.name)
        || filter
            .include()
            .iter()
            .any(|f| zone.contains(f.trim_start_matches('.')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_holding_a_filtered_domain_are_needed() {
        let zone = Zone {
            id: "1".into(),
            name: "example.com".into(),
            paid_plan: false,
        };
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(zone_needed(
            &zone,
            &DomainFilter::new(&s(&["example.com"]), &[])
        ));
        assert!(zone_needed(
            &zone,
            &DomainFilter::new(&s(&["apps.example.com"]), &[])
        ));
        assert!(zone_needed(
            &zone,
            &DomainFilter::new(&s(&[".apps.example.com"]), &[])
        ));
        assert!(!zone_needed(
            &zone,
            &DomainFilter::new(&s(&["example.org"]), &[])
        ));
        assert!(zone_needed(&zone, &DomainFilter::default()));
    }
}
