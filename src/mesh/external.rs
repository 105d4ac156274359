//! Standalone servers in the namespace (`external_services`): EC2 instances or hosts
//! reached over a VPN that ECS services call by name. Each is a Cloud Map service with
//! A records (MULTIVALUE routing) and one registered instance per IPv4 address, whose
//! instance id is the address. This module decides, without I/O, what must change.

use std::collections::{BTreeMap, BTreeSet};

/// Cloud Map's default TTL for the records of a standalone server, in seconds.
pub const DEFAULT_TTL: u32 = 60;

/// A standalone server as the configuration wants it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalSpec {
    /// IPv4 literals, each once.
    pub addresses: BTreeSet<String>,
    /// Registered as `AWS_INSTANCE_PORT` when set.
    pub port: Option<u16>,
    pub ttl: u32,
}

/// A standalone server's Cloud Map service as AWS has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedExternal {
    pub service_id: String,
    pub arn: String,
    /// The TTL of its A records; `None` when it has no A records (not one of ours).
    pub ttl: Option<u32>,
    /// Registered instances: instance id → (IPv4, port).
    pub instances: BTreeMap<String, (Option<String>, Option<u16>)>,
}

impl ObservedExternal {
    /// The addresses it serves.
    pub fn addresses(&self) -> BTreeSet<String> {
        self.instances
            .values()
            .filter_map(|(ip, _)| ip.clone())
            .collect()
    }

    /// The port its instances share, if they share one.
    pub fn port(&self) -> Option<u16> {
        let ports: BTreeSet<Option<u16>> = self.instances.values().map(|(_, p)| *p).collect();
        match ports.into_iter().collect::<Vec<_>>().as_slice() {
            [port] => *port,
            _ => None,
        }
    }

    /// The server as the configuration would write it.
    pub fn spec(&self) -> ExternalSpec {
        ExternalSpec {
            addresses: self.addresses(),
            port: self.port(),
            ttl: self.ttl.unwrap_or(DEFAULT_TTL),
        }
    }
}

/// The changes to one standalone server.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExternalChange {
    /// Create the Cloud Map service first (it does not exist).
    pub create: bool,
    /// The TTL of its records, when it is new or changes.
    pub ttl: Option<u32>,
    /// Instances to register (or register again, with a new port): their addresses.
    pub register: BTreeSet<String>,
    /// Instances to deregister: their instance ids.
    pub deregister: BTreeSet<String>,
    /// The port registered with each address.
    pub port: Option<u16>,
}

impl ExternalChange {
    pub fn is_empty(&self) -> bool {
        !self.create && self.ttl.is_none() && self.register.is_empty() && self.deregister.is_empty()
    }
}

/// What must change for the standalone servers: per server wanted, the difference to
/// what AWS has; servers no longer wanted are in `removed` (deregister everything, then
/// delete the Cloud Map service).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExternalPlan {
    pub changes: BTreeMap<String, ExternalChange>,
    pub removed: BTreeSet<String>,
}

/// Plans from `desired` and `observed` (by name). `previously_managed` are the servers
/// the prior state held: those no longer desired are removed if they still exist.
pub fn plan_external(
    desired: &BTreeMap<String, ExternalSpec>,
    observed: &BTreeMap<String, ObservedExternal>,
    previously_managed: &BTreeSet<String>,
) -> ExternalPlan {
    let mut plan = ExternalPlan::default();
    for (name, spec) in desired {
        let change = match observed.get(name) {
            None => ExternalChange {
                create: true,
                ttl: Some(spec.ttl),
                register: spec.addresses.clone(),
                deregister: BTreeSet::new(),
                port: spec.port,
            },
            Some(have) => change_of(spec, have),
        };
        if !change.is_empty() {
            plan.changes.insert(name.clone(), change);
        }
    }
    plan.removed = previously_managed
        .iter()
        .filter(|name| !desired.contains_key(*name) && observed.contains_key(*name))
        .cloned()
        .collect();
    plan
}

/// Only the difference: addresses added are registered, those gone deregistered; a new
/// port registers every address again (RegisterInstance updates an existing instance).
fn change_of(spec: &ExternalSpec, have: &ObservedExternal) -> ExternalChange {
    let port_changed = have.instances.values().any(|(_, port)| *port != spec.port);
    let registered = have.addresses();
    let register = spec
        .addresses
        .iter()
        .filter(|address| port_changed || !registered.contains(*address))
        .cloned()
        .collect();
    let deregister = have
        .instances
        .iter()
        .filter(|(_, (ip, _))| ip.as_ref().is_none_or(|ip| !spec.addresses.contains(ip)))
        .map(|(id, _)| id.clone())
        .collect();
    ExternalChange {
        create: false,
        ttl: (have.ttl != Some(spec.ttl)).then_some(spec.ttl),
        register,
        deregister,
        port: spec.port,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(addresses: &[&str], port: Option<u16>, ttl: u32) -> ExternalSpec {
        ExternalSpec {
            addresses: addresses.iter().map(|a| a.to_string()).collect(),
            port,
            ttl,
        }
    }

    fn observed(addresses: &[&str], port: Option<u16>, ttl: u32) -> ObservedExternal {
        ObservedExternal {
            service_id: "srv-1".into(),
            arn: "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-1".into(),
            ttl: Some(ttl),
            instances: addresses
                .iter()
                .map(|a| (a.to_string(), (Some(a.to_string()), port)))
                .collect(),
        }
    }

    fn names(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_new_server_is_created_with_every_address() {
        let plan = plan_external(
            &[("erp".to_string(), spec(&["10.0.3.12"], Some(8069), 60))].into(),
            &BTreeMap::new(),
            &BTreeSet::new(),
        );
        let erp = &plan.changes["erp"];
        assert!(erp.create);
        assert_eq!(erp.register, names(&["10.0.3.12"]));
    }

    #[test]
    fn only_the_difference_is_registered_and_deregistered() {
        let plan = plan_external(
            &[(
                "saleor".to_string(),
                spec(&["10.0.4.20", "10.0.4.22"], Some(8000), 30),
            )]
            .into(),
            &[(
                "saleor".to_string(),
                observed(&["10.0.4.20", "10.0.4.21"], Some(8000), 30),
            )]
            .into(),
            &names(&["saleor"]),
        );
        let saleor = &plan.changes["saleor"];
        assert_eq!(saleor.register, names(&["10.0.4.22"]));
        assert_eq!(saleor.deregister, names(&["10.0.4.21"]));
        assert_eq!(saleor.ttl, None);
        assert!(!saleor.create);
    }

    #[test]
    fn a_new_port_registers_every_address_again_and_a_new_ttl_updates_the_records() {
        let plan = plan_external(
            &[("erp".to_string(), spec(&["10.0.3.12"], Some(8070), 30))].into(),
            &[("erp".to_string(), observed(&["10.0.3.12"], Some(8069), 60))].into(),
            &names(&["erp"]),
        );
        let erp = &plan.changes["erp"];
        assert_eq!(erp.register, names(&["10.0.3.12"]));
        assert!(erp.deregister.is_empty());
        assert_eq!(erp.ttl, Some(30));
    }

    #[test]
    fn in_place_servers_change_nothing_and_removed_ones_go() {
        let plan = plan_external(
            &[("erp".to_string(), spec(&["10.0.3.12"], None, 60))].into(),
            &[
                ("erp".to_string(), observed(&["10.0.3.12"], None, 60)),
                ("old".to_string(), observed(&["10.0.9.9"], None, 60)),
            ]
            .into(),
            &names(&["erp", "old", "gone"]),
        );
        assert!(plan.changes.is_empty(), "{plan:?}");
        assert_eq!(
            plan.removed,
            names(&["old"]),
            "a server already gone is not removed again"
        );
    }

    #[test]
    fn an_instance_without_an_address_is_deregistered() {
        let mut have = observed(&["10.0.3.12"], None, 60);
        have.instances.insert("manual".into(), (None, None));
        let plan = plan_external(
            &[("erp".to_string(), spec(&["10.0.3.12"], None, 60))].into(),
            &[("erp".to_string(), have)].into(),
            &names(&["erp"]),
        );
        assert_eq!(plan.changes["erp"].deregister, names(&["manual"]));
    }
}
