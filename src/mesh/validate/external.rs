//! Rules on `external_services`: standalone servers named in the namespace.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use super::*;

/// Cloud Map DnsRecord TTL: 0 to 2147483647 seconds.
pub const MAX_TTL: i64 = 2_147_483_647;

fn field(name: &str, attribute: Option<&'static str>) -> Field {
    Field::External {
        name: name.to_string(),
        attribute,
    }
}

/// A standalone server's name in the namespace: one DNS label, lowercase as discovery
/// names are (Cloud Map answers `<name>.<namespace>`).
pub fn validate_external_name(name: &str) -> Result<(), String> {
    check_name(name, MAX_DNS_LABEL, is_lower_label_char, true)?;
    if name.ends_with('-') {
        return Err("it ends with a hyphen".to_string());
    }
    Ok(())
}

/// The discovery names the configuration's endpoints use, as far as they are known.
fn discovery_names(config: &ConfigView) -> BTreeSet<String> {
    let Some(services) = config.services.known() else {
        return BTreeSet::new();
    };
    let mut names = BTreeSet::new();
    for (key, entry) in services {
        let Attr::Known(service) = entry else {
            continue;
        };
        match (&service.endpoints, &service.discovery_name) {
            (Attr::Known(endpoints), _) => names.extend(endpoints.keys().cloned()),
            (Attr::Unknown, _) | (_, Attr::Unknown) => {}
            (Attr::Null, Attr::Known(name)) => {
                names.insert(name.clone());
            }
            (Attr::Null, Attr::Null) => {
                names.insert(key.clone());
            }
        }
    }
    names
}

pub(super) fn check_external(config: &ConfigView, out: &mut Vec<Violation>) {
    let Some(externals) = config.external_services.known() else {
        return;
    };
    let endpoints = discovery_names(config);
    for (name, entry) in externals {
        check_external_name(name, &endpoints, out);
        let Attr::Known(external) = entry else {
            if entry.is_null() {
                let detail = format!(
                    "{} is null. Give it its addresses, such as {name} = {{ addresses = \
                     [\"10.0.3.12\"] }}, or remove the entry.",
                    field(name, None)
                );
                out.push(Violation::new(
                    Rule::RequiredNull,
                    field(name, None),
                    detail,
                ));
            }
            continue;
        };
        check_addresses(name, &external.addresses, out);
        if let Some(port) = whole(&external.port)
            && let Err(reason) = validate_port(port)
        {
            let field = field(name, Some("port"));
            let detail = format!(
                "{field} is {port}: {reason}. Use a port from 1 to 65535, or leave port out \
                 for a name without a port."
            );
            out.push(Violation::new(Rule::PortOutOfRange, field, detail));
        }
        if let Some(ttl) = whole(&external.ttl)
            && !(0..=MAX_TTL).contains(&ttl)
        {
            let field = field(name, Some("ttl"));
            let detail = format!(
                "{field} is {ttl}: it is outside 0 to {MAX_TTL} seconds (Cloud Map DnsRecord \
                 TTL). Leave it out for 60."
            );
            out.push(Violation::new(Rule::TtlOutOfRange, field, detail));
        }
    }
}

fn check_external_name(name: &str, endpoints: &BTreeSet<String>, out: &mut Vec<Violation>) {
    if let Err(reason) = validate_external_name(name) {
        let detail = format!(
            "The external_services key {} is not a name in the namespace: {reason}. Use one DNS \
             label: 1 to 63 lowercase letters, digits, underscores and hyphens, not starting or \
             ending with a hyphen, such as \"erp\".",
            quote(name)
        );
        out.push(Violation::new(
            Rule::ExternalNameInvalid,
            field(name, None),
            detail,
        ));
    } else if endpoints.contains(name) {
        let detail = format!(
            "{} is named {}, which an endpoint of `services` already uses as its discovery \
             name, but each name is one Cloud Map service in the namespace. Rename the standalone \
             server or the endpoint.",
            field(name, None),
            quote(name)
        );
        out.push(Violation::new(
            Rule::ExternalNameTaken,
            field(name, None),
            detail,
        ));
    }
}

fn check_addresses(name: &str, addresses: &Attr<Vec<Attr<String>>>, out: &mut Vec<Violation>) {
    let field = field(name, Some("addresses"));
    let list = match addresses {
        Attr::Known(list) => list,
        Attr::Null => {
            let detail = format!(
                "{field} is null. List the server's IPv4 addresses, such as [\"10.0.3.12\"]."
            );
            out.push(Violation::new(Rule::RequiredNull, field, detail));
            return;
        }
        Attr::Unknown => return,
    };
    if list.is_empty() {
        let detail = format!(
            "{field} is empty, but a standalone server is reached at its addresses. List at \
             least one IPv4 address, such as [\"10.0.3.12\"]."
        );
        out.push(Violation::new(Rule::AddressInvalid, field, detail));
        return;
    }
    let mut seen = BTreeSet::new();
    for address in list {
        let reason = match address {
            Attr::Null => Some("contains null".to_string()),
            Attr::Unknown => None,
            Attr::Known(text) if text.parse::<Ipv4Addr>().is_err() => Some(format!(
                "has {}, which is not an IPv4 address (four numbers 0-255 written \
                 without leading zeros, such as \"10.0.3.12\"; Cloud Map's A records hold \
                 IPv4 addresses only)",
                quote(text)
            )),
            Attr::Known(text) if !seen.insert(text.clone()) => {
                Some(format!("lists {} twice", quote(text)))
            }
            Attr::Known(_) => None,
        };
        if let Some(reason) = reason {
            let detail = format!("{field} {reason}.");
            out.push(Violation::new(Rule::AddressInvalid, field.clone(), detail));
        }
    }
}

/// RFC 1918, and RFC 6598's shared space (100.64.0.0/10), which VPCs may use too.
fn is_private(ip: Ipv4Addr) -> bool {
    let [first, second, ..] = ip.octets();
    ip.is_private() || (first == 100 && second & 0xC0 == 64)
}

/// Addresses that are not private (RFC 1918), by server: traffic to them leaves the
/// VPC, which is worth a warning but not an error.
pub fn public_addresses(config: &ConfigView) -> BTreeMap<String, Vec<String>> {
    let Some(externals) = config.external_services.known() else {
        return BTreeMap::new();
    };
    externals
        .iter()
        .filter_map(|(name, entry)| {
            let addresses = entry.known()?.addresses.known()?;
            let public: Vec<String> = addresses
                .iter()
                .filter_map(|a| a.known())
                .filter(|a| a.parse::<Ipv4Addr>().is_ok_and(|ip| !is_private(ip)))
                .cloned()
                .collect();
            (!public.is_empty()).then(|| (name.clone(), public))
        })
        .collect()
}
