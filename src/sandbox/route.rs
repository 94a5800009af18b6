//! Which endpoint a request addresses, from its method and path. The same answer
//! names the call's kind in the call log, so routing and counting never disagree.

use super::calls::CallKind;

/// The path every endpoint lives under, as at `api.cloudflare.com`.
pub const BASE_PATH: &str = "/client/v4";

/// An endpoint, with the ids from its path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Verify,
    ListZones,
    GetZone { zone: String },
    ListRecords { zone: String },
    CreateRecord { zone: String },
    Batch { zone: String },
    GetRecord { zone: String, record: String },
    PutRecord { zone: String, record: String },
    PatchRecord { zone: String, record: String },
    DeleteRecord { zone: String, record: String },
    Unrouted,
}

impl Route {
    /// Routes `method` and the full request `path`.
    pub fn of(method: &str, path: &str) -> Route {
        let Some(rest) = path.strip_prefix(BASE_PATH) else {
            return Route::Unrouted;
        };
        let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        match (method, segments.as_slice()) {
            ("GET", ["user", "tokens", "verify"]) => Route::Verify,
            ("GET", ["zones"]) => Route::ListZones,
            ("GET", ["zones", zone]) => Route::GetZone {
                zone: zone.to_string(),
            },
            ("GET", ["zones", zone, "dns_records"]) => Route::ListRecords {
                zone: zone.to_string(),
            },
            ("POST", ["zones", zone, "dns_records"]) => Route::CreateRecord {
                zone: zone.to_string(),
            },
            ("POST", ["zones", zone, "dns_records", "batch"]) => Route::Batch {
                zone: zone.to_string(),
            },
            (method, ["zones", zone, "dns_records", record]) => {
                let (zone, record) = (zone.to_string(), record.to_string());
                match method {
                    "GET" => Route::GetRecord { zone, record },
                    "PUT" => Route::PutRecord { zone, record },
                    "PATCH" => Route::PatchRecord { zone, record },
                    "DELETE" => Route::DeleteRecord { zone, record },
                    _ => Route::Unrouted,
                }
            }
            _ => Route::Unrouted,
        }
    }

    /// The call's kind for the log.
    pub fn kind(&self) -> CallKind {
        match self {
            Route::Verify => CallKind::Verify,
            Route::ListZones | Route::GetZone { .. } => CallKind::Zones,
            Route::ListRecords { .. } => CallKind::List,
            Route::CreateRecord { .. } => CallKind::Create,
            Route::Batch { .. } => CallKind::Batch,
            Route::GetRecord { .. } => CallKind::Get,
            Route::PutRecord { .. } => CallKind::Update,
            Route::PatchRecord { .. } => CallKind::Patch,
            Route::DeleteRecord { .. } => CallKind::Delete,
            Route::Unrouted => CallKind::Other,
        }
    }

    /// The zone id in the path, if any.
    pub fn zone(&self) -> Option<&str> {
        match self {
            Route::GetZone { zone }
            | Route::ListRecords { zone }
            | Route::CreateRecord { zone }
            | Route::Batch { zone }
            | Route::GetRecord { zone, .. }
            | Route::PutRecord { zone, .. }
            | Route::PatchRecord { zone, .. }
            | Route::DeleteRecord { zone, .. } => Some(zone),
            Route::Verify | Route::ListZones | Route::Unrouted => None,
        }
    }

    /// Whether the endpoint reads a JSON body.
    pub fn takes_body(&self) -> bool {
        matches!(
            self,
            Route::CreateRecord { .. }
                | Route::Batch { .. }
                | Route::PutRecord { .. }
                | Route::PatchRecord { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_route_as_the_live_api() {
        let z = "023e105f4ecef8ad9ca31a8372d0c353";
        let r = "372e67954025e0ba6aaa6d586b9e0b59";
        assert_eq!(
            Route::of("GET", "/client/v4/user/tokens/verify"),
            Route::Verify
        );
        assert_eq!(Route::of("GET", "/client/v4/zones/"), Route::ListZones);
        assert_eq!(
            Route::of("POST", &format!("/client/v4/zones/{z}/dns_records/batch")),
            Route::Batch { zone: z.into() }
        );
        assert_eq!(
            Route::of("PATCH", &format!("/client/v4/zones/{z}/dns_records/{r}")),
            Route::PatchRecord {
                zone: z.into(),
                record: r.into()
            }
        );
        assert_eq!(Route::of("POST", "/client/v4/zones"), Route::Unrouted);
        assert_eq!(Route::of("GET", "/zones"), Route::Unrouted);
        assert_eq!(
            Route::of("OPTIONS", &format!("/client/v4/zones/{z}/dns_records/{r}")),
            Route::Unrouted
        );
    }

    #[test]
    fn kinds_and_zones_follow_the_route() {
        let route = Route::of("DELETE", "/client/v4/zones/z1/dns_records/r1");
        assert_eq!(route.kind(), CallKind::Delete);
        assert!(route.kind().is_write());
        assert_eq!(route.zone(), Some("z1"));
        assert!(!route.takes_body());
        assert_eq!(Route::of("GET", "/client/v4/zones").zone(), None);
        assert!(Route::of("PUT", "/client/v4/zones/z/dns_records/r").takes_body());
    }
}
