//! From desired and observed to what must be done: a pure function, so every decision
//! about which ECS service to touch is unit-tested without AWS.
//!
//! Every UpdateService redeploys the service's tasks, so a service whose Service
//! Connect already matches is never touched. Servers are wired before clients: a task
//! learns only the endpoints that existed when it started, and the first service in an
//! empty namespace must not be client-only.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{
    EndpointSpec, ObservedEndpoint, ObservedNamespace, ObservedServiceConnect, Setting, Wiring,
};
use super::names::{default_dns_name, same_namespace};

/// The namespace as every form ECS may echo it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespaceRef {
    pub id: String,
    pub arn: String,
    pub name: String,
}

impl From<&ObservedNamespace> for NamespaceRef {
    fn from(namespace: &ObservedNamespace) -> Self {
        Self {
            id: namespace.id.clone(),
            arn: namespace.arn.clone(),
            name: namespace.name.clone(),
        }
    }
}

impl NamespaceRef {
    pub fn matches(&self, reference: &str) -> bool {
        same_namespace(reference, &self.id, &self.arn, &self.name)
    }
}

/// What Service Connect on one ECS service amounts to, in our terms: every endpoint
/// and every setting as AWS has it. `None`: off, or on in another namespace.
pub fn observed_wiring(
    observed: Option<&ObservedServiceConnect>,
    namespace: &NamespaceRef,
) -> Option<Wiring> {
    let observed = observed?;
    if !observed.enabled {
        return None;
    }
    let in_namespace = observed
        .namespace
        .as_deref()
        .is_some_and(|reference| namespace.matches(reference));
    if !in_namespace {
        return None;
    }
    Some(Wiring {
        endpoints: observed
            .endpoints
            .iter()
            .map(|endpoint| endpoint_from_observed(endpoint, &namespace.name))
            .collect(),
        log: Setting::observed(observed.log.clone()),
        access_log: Setting::observed(observed.access_log.clone()),
    })
}

/// Fills in what AWS leaves implicit: the discovery name defaults to the port name,
/// the DNS name to `<discovery>.<namespace>`.
fn endpoint_from_observed(endpoint: &ObservedEndpoint, namespace_name: &str) -> EndpointSpec {
    let discovery_name = endpoint
        .discovery_name
        .clone()
        .unwrap_or_else(|| endpoint.port_name.clone());
    let (dns_name, port) = endpoint
        .client_aliases
        .first()
        .map(|(dns, port)| (dns.clone(), Some(*port)))
        .unwrap_or((None, None));
    EndpointSpec {
        port_name: endpoint.port_name.clone(),
        dns_name: dns_name.unwrap_or_else(|| default_dns_name(&discovery_name, namespace_name)),
        discovery_name,
        port,
        ingress_port_override: endpoint.ingress_port_override,
        idle_timeout_seconds: endpoint.idle_timeout_seconds,
        per_request_timeout_seconds: endpoint.per_request_timeout_seconds,
        inherited_per_request_timeout_seconds: None,
        tls: Setting::observed(endpoint.tls.clone()),
    }
}

/// Whether the service's Service Connect already is what we want.
pub fn is_in_place(
    desired: &Wiring,
    observed: Option<&ObservedServiceConnect>,
    namespace: &NamespaceRef,
) -> bool {
    observed_wiring(observed, namespace).is_some_and(|current| desired.is_met_by(&current))
}

/// One change to one ECS service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Enable or change Service Connect (UpdateService; redeploys the service).
    Wire { service: String, wiring: Wiring },
    /// Turn Service Connect off (`enabled: false`).
    Unwire { service: String },
}

impl Change {
    pub fn service(&self) -> &str {
        match self {
            Change::Wire { service, .. } | Change::Unwire { service } => service,
        }
    }
}

/// The changes of one apply, in the order they must happen. Each phase may run
/// concurrently within itself; a phase starts when the previous one is done.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReconcilePlan {
    pub servers: Vec<Change>,
    pub clients: Vec<Change>,
    pub removals: Vec<Change>,
}

impl ReconcilePlan {
    pub fn len(&self) -> usize {
        self.servers.len() + self.clients.len() + self.removals.len()
    }
}

/// Plans the changes from what exists to what is wanted.
///
/// - `desired`: the services this resource should wire, by ECS service name;
/// - `observed`: Service Connect as each ECS service has it now (absent: the service
///   does not exist or has none);
/// - `previously_managed`: the services the prior state held: those no longer desired
///   are turned off, unless they are gone already or no longer in our namespace.
pub fn plan_changes(
    desired: BTreeMap<String, Wiring>,
    observed: &BTreeMap<String, Option<&ObservedServiceConnect>>,
    previously_managed: &BTreeSet<String>,
    namespace: &NamespaceRef,
) -> ReconcilePlan {
    let mut plan = ReconcilePlan::default();
    let removed: Vec<&String> = previously_managed
        .iter()
        .filter(|service| !desired.contains_key(*service))
        .collect();
    for service in removed {
        let current = observed.get(service).copied().flatten();
        if observed_wiring(current, namespace).is_some() {
            plan.removals.push(Change::Unwire {
                service: service.clone(),
            });
        }
    }
    // The wirings move into the changes: at 500 services a copy is half a megabyte.
    for (service, wiring) in desired {
        let current = observed.get(&service).copied().flatten();
        if is_in_place(&wiring, current, namespace) {
            continue;
        }
        let is_server = wiring.is_server();
        let change = Change::Wire { service, wiring };
        if is_server {
            plan.servers.push(change);
        } else {
            plan.clients.push(change);
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::model::{LogSpec, TlsSpec};

    fn namespace() -> NamespaceRef {
        NamespaceRef {
            id: "ns-abcdefghijklmnop".into(),
            arn: "arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-abcdefghijklmnop"
                .into(),
            name: "internal.myapp".into(),
        }
    }

    fn backend_endpoint() -> EndpointSpec {
        EndpointSpec {
            port_name: "backend-8080-tcp".into(),
            discovery_name: "backend".into(),
            dns_name: "backend.internal.myapp".into(),
            port: Some(8080),
            ingress_port_override: None,
            idle_timeout_seconds: None,
            per_request_timeout_seconds: None,
            inherited_per_request_timeout_seconds: None,
            tls: Setting::Keep,
        }
    }

    fn server(endpoints: Vec<EndpointSpec>) -> Wiring {
        Wiring {
            endpoints,
            ..Wiring::default()
        }
    }

    fn backend() -> Wiring {
        server(vec![backend_endpoint()])
    }

    fn observed_backend(namespace_reference: &str) -> ObservedServiceConnect {
        ObservedServiceConnect::serving(namespace_reference, "backend-8080-tcp", "backend", 8080)
    }

    fn client(namespace_reference: &str) -> ObservedServiceConnect {
        ObservedServiceConnect {
            enabled: true,
            namespace: Some(namespace_reference.into()),
            ..ObservedServiceConnect::default()
        }
    }

    fn desired(entries: &[(&str, Wiring)]) -> BTreeMap<String, Wiring> {
        entries
            .iter()
            .map(|(n, w)| (n.to_string(), w.clone()))
            .collect()
    }

    fn observed<'a>(
        entries: &'a [(&str, Option<ObservedServiceConnect>)],
    ) -> BTreeMap<String, Option<&'a ObservedServiceConnect>> {
        entries
            .iter()
            .map(|(n, o)| (n.to_string(), o.as_ref()))
            .collect()
    }

    #[test]
    fn wires_servers_before_clients_on_a_fresh_mesh() {
        let plan = plan_changes(
            desired(&[("backend", backend()), ("frontend", Wiring::client())]),
            &observed(&[("backend", None), ("frontend", None)]),
            &BTreeSet::new(),
            &namespace(),
        );
        assert_eq!(plan.servers.len(), 1);
        assert_eq!(plan.servers[0].service(), "backend");
        assert_eq!(plan.clients.len(), 1);
        assert_eq!(plan.clients[0].service(), "frontend");
        assert!(plan.removals.is_empty());
    }

    #[test]
    fn leaves_services_in_place_alone_whatever_form_the_namespace_is_echoed_in() {
        let ns = namespace();
        for reference in [ns.name.clone(), ns.arn.clone(), ns.id.clone()] {
            let plan = plan_changes(
                desired(&[("backend", backend()), ("frontend", Wiring::client())]),
                &observed(&[
                    ("backend", Some(observed_backend(&reference))),
                    ("frontend", Some(client(&reference))),
                ]),
                &BTreeSet::new(),
                &ns,
            );
            assert_eq!(plan.len(), 0, "{reference}: {plan:?}");
        }
    }

    #[test]
    fn aws_defaults_count_as_in_place() {
        // discoveryName and dnsName left out: AWS derives them as we do.
        let mut observed_sc = observed_backend("internal.myapp");
        observed_sc.endpoints[0].discovery_name = None;
        observed_sc.endpoints[0].client_aliases = vec![(None, 8080)];
        let mut spec = backend_endpoint();
        spec.discovery_name = "backend-8080-tcp".into();
        spec.dns_name = "backend-8080-tcp.internal.myapp".into();
        assert!(is_in_place(
            &server(vec![spec]),
            Some(&observed_sc),
            &namespace()
        ));
    }

    #[test]
    fn rewires_on_drift() {
        let ns = namespace();
        let mut changed_port = observed_backend("internal.myapp");
        changed_port.endpoints[0].client_aliases =
            vec![(Some("backend.internal.myapp".into()), 9090)];
        let mut disabled = observed_backend("internal.myapp");
        disabled.enabled = false;
        let other_namespace = observed_backend("other.myapp");
        let mut renamed = observed_backend("internal.myapp");
        renamed.endpoints[0].discovery_name = Some("api".into());
        for drifted in [changed_port, disabled, other_namespace, renamed] {
            let plan = plan_changes(
                desired(&[("backend", backend())]),
                &observed(&[("backend", Some(drifted.clone()))]),
                &BTreeSet::new(),
                &ns,
            );
            assert_eq!(plan.servers.len(), 1, "{drifted:?}");
        }
    }

    #[test]
    fn a_server_turned_client_is_rewired() {
        let plan = plan_changes(
            desired(&[("backend", Wiring::client())]),
            &observed(&[("backend", Some(observed_backend("internal.myapp")))]),
            &BTreeSet::new(),
            &namespace(),
        );
        assert_eq!(plan.clients.len(), 1);
    }

    #[test]
    fn unwires_services_no_longer_listed_unless_already_off_or_gone() {
        let managed: BTreeSet<String> = ["backend", "gone", "off", "elsewhere"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut off = observed_backend("internal.myapp");
        off.enabled = false;
        let plan = plan_changes(
            desired(&[]),
            &observed(&[
                ("backend", Some(observed_backend("internal.myapp"))),
                ("gone", None),
                ("off", Some(off)),
                ("elsewhere", Some(observed_backend("other.myapp"))),
            ]),
            &managed,
            &namespace(),
        );
        assert_eq!(
            plan.removals,
            vec![Change::Unwire {
                service: "backend".into()
            }]
        );
        assert!(plan.servers.is_empty() && plan.clients.is_empty());
    }

    fn grpc_endpoint() -> EndpointSpec {
        EndpointSpec {
            port_name: "backend-9090-tcp".into(),
            discovery_name: "backend-grpc".into(),
            dns_name: "backend-grpc.internal.myapp".into(),
            port: Some(9090),
            ..backend_endpoint()
        }
    }

    fn observed_two_endpoints() -> ObservedServiceConnect {
        let mut two = observed_backend("internal.myapp");
        two.endpoints.push(ObservedEndpoint {
            port_name: "backend-9090-tcp".into(),
            discovery_name: Some("backend-grpc".into()),
            client_aliases: vec![(None, 9090)],
            ..ObservedEndpoint::default()
        });
        two
    }

    #[test]
    fn an_endpoint_left_out_of_the_configuration_is_drift() {
        // The second endpoint exists on AWS only: wiring one would delete it, so the
        // service is not in place (the plan shows the removal).
        assert!(!is_in_place(
            &backend(),
            Some(&observed_two_endpoints()),
            &namespace()
        ));
        let observed = observed_wiring(Some(&observed_two_endpoints()), &namespace());
        let discovery: Vec<String> = observed
            .iter()
            .flat_map(|w| w.discovery_names().map(str::to_string))
            .collect();
        assert_eq!(discovery, ["backend", "backend-grpc"]);
    }

    #[test]
    fn two_endpoints_are_in_place_in_any_order() {
        let both = server(vec![grpc_endpoint(), backend_endpoint()]);
        assert!(is_in_place(
            &both,
            Some(&observed_two_endpoints()),
            &namespace()
        ));
        let mut changed = grpc_endpoint();
        changed.port = Some(9091);
        let one_changed = server(vec![backend_endpoint(), changed]);
        assert!(!is_in_place(
            &one_changed,
            Some(&observed_two_endpoints()),
            &namespace()
        ));
    }

    #[test]
    fn settings_are_compared_only_where_managed() {
        let log = LogSpec {
            log_driver: "awslogs".into(),
            options: [("awslogs-group".to_string(), "/mesh".to_string())].into(),
            secret_options: Vec::new(),
        };
        let tls = TlsSpec {
            aws_pca_authority_arn: "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/x"
                .into(),
            ..TlsSpec::default()
        };
        let mut with_settings = observed_backend("internal.myapp");
        with_settings.log = Some(log.clone());
        with_settings.endpoints[0].tls = Some(tls.clone());
        // Kept: made outside Terraform, left alone.
        assert!(is_in_place(&backend(), Some(&with_settings), &namespace()));
        // Managed and equal.
        let mut managed = backend();
        managed.log = Setting::Set(log.clone());
        managed.endpoints[0].tls = Setting::Set(tls.clone());
        assert!(is_in_place(&managed, Some(&with_settings), &namespace()));
        // Managed and different, or to be removed.
        let mut other_log = managed.clone();
        other_log.log = Setting::Set(LogSpec {
            log_driver: "json-file".into(),
            ..log.clone()
        });
        let mut cleared_tls = managed.clone();
        cleared_tls.endpoints[0].tls = Setting::Clear;
        let mut cleared_access_log = managed.clone();
        cleared_access_log.access_log = Setting::Clear;
        for wanted in [other_log, cleared_tls] {
            assert!(
                !is_in_place(&wanted, Some(&with_settings), &namespace()),
                "{wanted:?}"
            );
        }
        // Clearing what is not there is in place.
        assert!(is_in_place(
            &cleared_access_log,
            Some(&with_settings),
            &namespace()
        ));
    }

    #[test]
    fn several_endpoints_on_one_service_are_rewired_to_ours() {
        let mut two = observed_backend("internal.myapp");
        let extra = two.endpoints[0].clone();
        two.endpoints.push(ObservedEndpoint {
            port_name: "admin".into(),
            ..extra
        });
        assert!(!is_in_place(&backend(), Some(&two), &namespace()));
    }
}
