//! The desired side of a plan: filters, Cloudflare's normalisation, and one
//! winner per name and type when several objects ask for it.

use std::cmp::Ordering;
use std::net::IpAddr;

use crate::endpoint::{CloudflareProps, Endpoint, RecordType, Zone, zone_for};
use crate::record::{AUTO_TTL, RecordContent, RecordData};

use super::current::CurrentRows;
use super::{Adjustment, HoldReason, Plan, PlanConfig, Skip, SkipReason};

/// Cloudflare's TTL bounds for a TTL other than 1 ("automatic").
pub const MIN_TTL: u32 = 60;
pub const MAX_TTL: u32 = 86_400;

/// Comment length limits by plan.
pub const FREE_COMMENT_CHARS: usize = 100;
pub const PAID_COMMENT_CHARS: usize = 500;

/// One row's desired endpoints (one per record type, sorted by type) and the
/// zone that holds the row.
pub struct DesiredRow<'z> {
    pub zone: &'z Zone,
    pub endpoints: Vec<Endpoint>,
}

impl DesiredRow<'_> {
    pub fn key(&self) -> (&str, &str) {
        let first = &self.endpoints[0];
        (&first.dns_name, &first.set_identifier)
    }
}

/// Rows sorted by name and set identifier.
pub type DesiredRows<'z> = Vec<DesiredRow<'z>>;

/// Filters, normalises and resolves conflicts. Everything dropped is recorded in
/// `plan.skipped`, everything adjusted in `plan.adjustments`.
///
/// Sorting once and walking runs of equal keys keeps this linear after the sort
/// and free of per-row maps (it plans 100k endpoints in well under a second).
pub fn prepare<'z>(
    desired: Vec<Endpoint>,
    held: &std::collections::BTreeMap<String, HoldReason>,
    current: &CurrentRows<'_, 'z>,
    config: &'z PlanConfig,
    plan: &mut Plan,
) -> DesiredRows<'z> {
    // Endpoints alone (their zone is looked up again per row) so that the
    // admitted ones reuse the desired endpoints' buffer instead of a second one.
    let mut admitted: Vec<Endpoint> = desired
        .into_iter()
        .filter_map(|e| admit(e, config, plan))
        .collect();
    admitted.sort_unstable_by(|a, b| {
        (&a.dns_name, &a.set_identifier, a.record_type).cmp(&(
            &b.dns_name,
            &b.set_identifier,
            b.record_type,
        ))
    });
    let mut rows = DesiredRows::with_capacity(admitted.len());
    let mut admitted = admitted.into_iter().peekable();
    while let Some(first) = admitted.next() {
        // `admit` let through only names some zone holds.
        let Some(zone) = zone_for(&config.zones, &first.dns_name) else {
            continue;
        };
        // Gather the row: every endpoint with this name and set identifier,
        // grouped by type.
        let mut by_type: Vec<(RecordType, Vec<Endpoint>)> = vec![(first.record_type, vec![first])];
        while let Some(next) = admitted.peek() {
            let row = &by_type[0].1[0];
            if next.dns_name != row.dns_name || next.set_identifier != row.set_identifier {
                break;
            }
            let next = admitted.next().expect("peeked");
            match by_type.last_mut() {
                Some((t, endpoints)) if *t == next.record_type => endpoints.push(next),
                _ => by_type.push((next.record_type, vec![next])),
            }
        }
        drop_cnames_beside_other_types(&mut by_type, plan);
        let mut winners = Vec::with_capacity(by_type.len());
        for (record_type, mut endpoints) in by_type {
            let current_resource = {
                let e = &endpoints[0];
                current
                    .find(&e.dns_name, &e.set_identifier)
                    .and_then(|row| row.get(record_type))
                    .and_then(|c| c.endpoint.resource())
            };
            // A name published for an object with a field flaredns could not use
            // stays with that object: no other object takes it over meanwhile.
            if let Some((owner, hold)) = current_resource.and_then(|r| held.get_key_value(r)) {
                let (keep, lose): (Vec<_>, Vec<_>) = endpoints
                    .into_iter()
                    .partition(|e| e.resource() == Some(owner));
                for loser in lose {
                    plan.skipped.push(Skip {
                        key: loser.key(),
                        resource: loser.resource().map(str::to_string),
                        reason: hold.skip_reason(),
                        detail: format!(
                            "the name is published for {owner}, which {}; it keeps the name \
                             meanwhile",
                            hold.explanation()
                        ),
                    });
                }
                if keep.is_empty() {
                    continue;
                }
                endpoints = keep;
            }
            winners.push(resolve_conflict(endpoints, current_resource, plan));
        }
        if !winners.is_empty() {
            rows.push(DesiredRow {
                zone,
                endpoints: winners,
            });
        }
    }
    rows
}

/// Applies the filters and Cloudflare's rules to one endpoint; `None` when it is
/// skipped.
fn admit(endpoint: Endpoint, config: &PlanConfig, plan: &mut Plan) -> Option<Endpoint> {
    let skip = |plan: &mut Plan, endpoint: &Endpoint, reason: SkipReason, detail: String| {
        plan.skipped.push(Skip {
            key: endpoint.key(),
            resource: endpoint.resource().map(str::to_string),
            reason,
            detail,
        });
    };
    if !config.managed_types.contains(&endpoint.record_type) {
        let detail = format!(
            "{} records are not managed (--managed-record-types)",
            endpoint.record_type
        );
        skip(plan, &endpoint, SkipReason::UnmanagedType, detail);
        return None;
    }
    if !config.domain_filter.matches(&endpoint.dns_name) {
        let detail = "outside --domain-filter / inside --exclude-domains".to_string();
        skip(plan, &endpoint, SkipReason::OutsideDomainFilter, detail);
        return None;
    }
    let Some(zone) = zone_for(&config.zones, &endpoint.dns_name) else {
        let detail = "no Cloudflare zone visible to flaredns holds this name".to_string();
        skip(plan, &endpoint, SkipReason::NoZone, detail);
        return None;
    };
    let mut endpoint = endpoint;
    if !config.target_net_filter.is_empty() {
        endpoint
            .targets
            .retain(|t| config.target_net_filter.matches(t));
    }
    if endpoint.targets.is_empty() {
        let detail = "no targets to publish".to_string();
        skip(plan, &endpoint, SkipReason::NoTargets, detail);
        return None;
    }
    normalise_for_cloudflare(&mut endpoint, zone, config, plan);
    Some(endpoint)
}

/// Cloudflare's rules, applied to the desired side so that a second reconcile
/// compares equal (ExternalDNS's `AdjustEndpoints`, plus the TTL bounds):
/// proxied only for A/AAAA/CNAME and with automatic TTL; TTL 1 or 60..=86400;
/// comment within the plan's length; tags only on paid plans.
fn normalise_for_cloudflare(
    endpoint: &mut Endpoint,
    zone: &Zone,
    config: &PlanConfig,
    plan: &mut Plan,
) {
    let mut adjust = |endpoint: &Endpoint, message: String| {
        plan.adjustments.push(Adjustment {
            key: endpoint.key(),
            resource: endpoint.resource().map(str::to_string),
            message,
        });
    };
    if !endpoint.set_identifier.is_empty() {
        // Cloudflare has no weighted or geo routing: a set identifier cannot be
        // stored, and keeping it would make the record differ on every pass.
        let message = format!(
            "Cloudflare has no set identifiers; set-identifier {:?} is ignored",
            crate::problem::shorten(&endpoint.set_identifier)
        );
        endpoint.set_identifier.clear();
        adjust(endpoint, message);
    }
    if endpoint.ttl.is_none() {
        endpoint.ttl = config.min_ttl.filter(|t| *t > 0);
    }
    let asked_proxied = endpoint
        .cloudflare
        .proxied
        .unwrap_or(config.proxied_by_default);
    let proxied = asked_proxied && endpoint.record_type.is_proxiable();
    if asked_proxied && !proxied && endpoint.cloudflare.proxied == Some(true) {
        let message = format!(
            "{} records cannot be proxied; published DNS-only",
            endpoint.record_type
        );
        adjust(endpoint, message);
    }
    endpoint.cloudflare.proxied = Some(proxied);
    if proxied {
        // Cloudflare serves proxied records with an automatic TTL.
        if let Some(ttl) = endpoint.ttl.take().filter(|t| *t != 1) {
            adjust(
                endpoint,
                format!("TTL {ttl} is not used: proxied records have an automatic TTL"),
            );
        }
    }
    if let Some(ttl) = endpoint.ttl {
        let bounded = if ttl == 1 {
            1
        } else {
            ttl.clamp(MIN_TTL, MAX_TTL)
        };
        if bounded != ttl {
            let message = format!(
                "TTL {ttl} is outside Cloudflare's range (1, or {MIN_TTL} to {MAX_TTL}); using {bounded}"
            );
            adjust(endpoint, message);
            endpoint.ttl = Some(bounded);
        }
    }
    let comment = endpoint
        .cloudflare
        .comment
        .take()
        .or_else(|| config.default_comment.clone())
        .filter(|c| !c.is_empty());
    let limit = if zone.paid_plan {
        PAID_COMMENT_CHARS
    } else {
        FREE_COMMENT_CHARS
    };
    endpoint.cloudflare.comment = comment.map(|c| {
        if c.chars().count() > limit {
            adjust(
                endpoint,
                format!("comment longer than {limit} characters; shortened"),
            );
            c.chars().take(limit).collect()
        } else {
            c
        }
    });
    if !zone.paid_plan && !endpoint.cloudflare.tags.is_empty() {
        adjust(
            endpoint,
            format!(
                "zone {} is on the Free plan, which has no record tags; tags dropped",
                zone.name
            ),
        );
        endpoint.cloudflare.tags.clear();
    }
}

/// The record an admitted endpoint asks for, with one content: the one place
/// where the endpoint's TTL and Cloudflare properties, normalised by
/// [`prepare`], become a record's fields. Proxied records and endpoints without
/// a TTL get the automatic TTL.
pub fn record_data(d: &Endpoint, content: RecordContent, priority: Option<u16>) -> RecordData {
    // No `..`: a new property must be mapped here before anything compiles.
    let CloudflareProps {
        proxied,
        comment,
        tags,
    } = &d.cloudflare;
    let proxied = proxied.unwrap_or(false);
    let ttl = if proxied {
        AUTO_TTL
    } else {
        d.ttl.unwrap_or(AUTO_TTL)
    };
    RecordData::new(content)
        .with_ttl(ttl)
        .with_proxied(proxied)
        .with_priority(priority)
        .with_comment(comment.clone())
        .with_tags(tags.clone())
}

/// A CNAME cannot share its name with another record: when a row asks for a
/// CNAME and another type, the CNAME candidates lose (as in ExternalDNS).
fn drop_cnames_beside_other_types(by_type: &mut Vec<(RecordType, Vec<Endpoint>)>, plan: &mut Plan) {
    if by_type.len() < 2 {
        return;
    }
    let Some(cname_at) = by_type.iter().position(|(t, _)| *t == RecordType::Cname) else {
        return;
    };
    let (_, cnames) = by_type.remove(cname_at);
    let others: Vec<String> = by_type.iter().map(|(t, _)| t.to_string()).collect();
    for endpoint in cnames {
        plan.skipped.push(Skip {
            key: endpoint.key(),
            resource: endpoint.resource().map(str::to_string),
            reason: SkipReason::LostConflict {
                winner: others.join(", "),
            },
            detail: format!(
                "a CNAME cannot share its name with {} records asked for by other objects",
                others.join("/")
            ),
        });
    }
}

/// Picks one endpoint when several objects ask for the same name and type.
///
/// Identical requests are one request. Services with the same name, type and TTL
/// are merged (their targets joined), as ExternalDNS v0.22 merges them. Otherwise
/// the object that owns the current record keeps it; failing that the "least"
/// target list wins (shorter first, then IPs before names, IPs by value), and the
/// smallest resource name breaks ties, so the choice never depends on input order.
fn resolve_conflict(
    mut endpoints: Vec<Endpoint>,
    current_resource: Option<&str>,
    plan: &mut Plan,
) -> Endpoint {
    // A total order, so that the outcome never depends on the input's order.
    endpoints.sort_by(|a, b| {
        (
            a.resource(),
            &a.targets,
            a.ttl,
            a.cloudflare.proxied,
            &a.cloudflare.comment,
        )
            .cmp(&(
                b.resource(),
                &b.targets,
                b.ttl,
                b.cloudflare.proxied,
                &b.cloudflare.comment,
            ))
            .then_with(|| a.cloudflare.tags.cmp(&b.cloudflare.tags))
    });
    if endpoints.len() == 1 {
        return endpoints.remove(0);
    }
    endpoints = merge_services(endpoints);
    endpoints.dedup_by(|later, earlier| {
        later.targets == earlier.targets
            && later.ttl == earlier.ttl
            && later.cloudflare == earlier.cloudflare
    });
    if endpoints.len() == 1 {
        return endpoints.remove(0);
    }
    // The object that owns the current record keeps it; among its candidates (or
    // among all, when none is the owner) the least target list wins. The two
    // rules agree with each other on the next pass, so the choice never flaps.
    let owner_candidates: Vec<usize> = (0..endpoints.len())
        .filter(|&i| current_resource.is_some() && endpoints[i].resource() == current_resource)
        .collect();
    let pool: Vec<usize> = if owner_candidates.is_empty() {
        (0..endpoints.len()).collect()
    } else {
        owner_candidates
    };
    let winner_index = pool
        .into_iter()
        .reduce(|best, i| {
            if compare_targets(&endpoints[i].targets, &endpoints[best].targets) == Ordering::Less {
                i
            } else {
                best
            }
        })
        .unwrap_or(0);
    let winner = endpoints.remove(winner_index);
    let winner_name = winner.resource().unwrap_or("another object").to_string();
    for loser in endpoints {
        plan.skipped.push(Skip {
            key: loser.key(),
            resource: loser.resource().map(str::to_string),
            reason: SkipReason::LostConflict {
                winner: winner_name.clone(),
            },
            detail: format!(
                "{} also asks for {} with targets {}; it wins",
                winner_name,
                loser.key(),
                winner.targets.join(", ")
            ),
        });
    }
    winner
}

/// Joins the targets of Services that ask for the same name, type and TTL.
fn merge_services(endpoints: Vec<Endpoint>) -> Vec<Endpoint> {
    let is_service = |e: &Endpoint| e.resource().is_some_and(|r| r.starts_with("service/"));
    let mut merged: Vec<Endpoint> = Vec::with_capacity(endpoints.len());
    for endpoint in endpoints {
        let target = merged
            .iter_mut()
            .find(|m| is_service(m) && is_service(&endpoint) && m.ttl == endpoint.ttl);
        match target {
            Some(m) => {
                m.targets.extend(endpoint.targets);
                m.targets = crate::endpoint::sort_targets(std::mem::take(&mut m.targets));
            }
            None => merged.push(endpoint),
        }
    }
    merged
}

/// ExternalDNS's order of target lists: shorter first, then element by element
/// with IP addresses before names and IPs compared by value.
pub fn compare_targets(a: &[String], b: &[String]) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| {
        let key = |t: &String| match t.parse::<IpAddr>() {
            Ok(ip) => (0u8, Some(ip), String::new()),
            Err(_) => (1u8, None, t.clone()),
        };
        let mut a: Vec<_> = a.iter().map(key).collect();
        let mut b: Vec<_> = b.iter().map(key).collect();
        a.sort();
        b.sort();
        a.cmp(&b)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(name: &str, t: RecordType, targets: &[&str], resource: &str) -> Endpoint {
        Endpoint::new(name, t, targets)
            .unwrap()
            .with_label("resource", resource)
    }

    #[test]
    fn least_targets_win_whatever_the_input_order() {
        let a = ep(
            "x.example.com",
            RecordType::A,
            &["10.0.0.2"],
            "ingress/ns/b",
        );
        let b = ep(
            "x.example.com",
            RecordType::A,
            &["10.0.0.10"],
            "ingress/ns/a",
        );
        for input in [vec![a.clone(), b.clone()], vec![b.clone(), a.clone()]] {
            let mut plan = Plan::default();
            let winner = resolve_conflict(input, None, &mut plan);
            assert_eq!(winner.targets, vec!["10.0.0.2"]);
            assert_eq!(plan.skipped.len(), 1);
        }
    }

    #[test]
    fn the_current_owner_keeps_its_record() {
        let a = ep(
            "x.example.com",
            RecordType::A,
            &["10.0.0.2"],
            "ingress/ns/b",
        );
        let b = ep(
            "x.example.com",
            RecordType::A,
            &["10.0.0.10"],
            "ingress/ns/a",
        );
        let mut plan = Plan::default();
        let winner = resolve_conflict(vec![a, b], Some("ingress/ns/a"), &mut plan);
        assert_eq!(winner.resource(), Some("ingress/ns/a"));
    }

    #[test]
    fn identical_requests_are_not_conflicts() {
        let a = ep(
            "x.example.com",
            RecordType::A,
            &["10.0.0.2"],
            "ingress/ns/b",
        );
        let b = ep(
            "x.example.com",
            RecordType::A,
            &["10.0.0.2"],
            "ingress/ns/a",
        );
        let mut plan = Plan::default();
        let winner = resolve_conflict(vec![a, b], None, &mut plan);
        assert_eq!(winner.resource(), Some("ingress/ns/a"));
        assert!(plan.skipped.is_empty());
    }

    #[test]
    fn services_merge_their_targets() {
        let a = ep(
            "x.example.com",
            RecordType::A,
            &["10.0.0.2"],
            "service/ns/b",
        );
        let b = ep(
            "x.example.com",
            RecordType::A,
            &["10.0.0.1"],
            "service/ns/a",
        );
        let mut plan = Plan::default();
        let winner = resolve_conflict(vec![a, b], None, &mut plan);
        assert_eq!(winner.targets, vec!["10.0.0.1", "10.0.0.2"]);
        assert_eq!(winner.resource(), Some("service/ns/a"));
    }

    #[test]
    fn ips_sort_before_names_and_by_value() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            compare_targets(&s(&["9.0.0.1"]), &s(&["10.0.0.1"])),
            Ordering::Less
        );
        assert_eq!(
            compare_targets(&s(&["10.0.0.1"]), &s(&["a.example.com"])),
            Ordering::Less
        );
        assert_eq!(
            compare_targets(&s(&["z.example.com"]), &s(&["1.1.1.1", "2.2.2.2"])),
            Ordering::Less
        );
    }
}
