//! A zone as `GET /zones` and `GET /zones/{id}` answer it.

use serde::Serialize;

/// A zone, as `GET /zones` and `GET /zones/{id}` return it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ZoneObject {
    pub id: String,
    pub name: String,
    /// `initializing`, `pending`, `active` or `moved`.
    pub status: String,
    pub paused: bool,
    /// `full`, `partial` or `secondary`.
    #[serde(rename = "type")]
    pub zone_type: String,
    pub plan: PlanObject,
    pub account: AccountObject,
    pub owner: OwnerObject,
    pub development_mode: i64,
    pub name_servers: Vec<String>,
    // The four fields below are nullable in the schema and always sent.
    pub original_name_servers: Option<Vec<String>>,
    pub original_registrar: Option<String>,
    pub original_dnshost: Option<String>,
    pub activated_on: Option<String>,
    pub created_on: String,
    pub modified_on: String,
    pub meta: ZoneMeta,
    pub permissions: Vec<String>,
}

/// A zone's plan; `legacy_id` (`free`, `pro`, …) is the key clients use.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PlanObject {
    pub id: String,
    pub name: String,
    pub legacy_id: String,
}

/// The account a zone belongs to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AccountObject {
    pub id: String,
    pub name: String,
}

/// A zone's owner (a user or an organisation).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OwnerObject {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub owner_type: String,
}

/// A zone's `meta`: quotas and the setup step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ZoneMeta {
    pub step: u32,
    pub custom_certificate_quota: u32,
    pub page_rule_quota: u32,
    pub phishing_detected: bool,
}
