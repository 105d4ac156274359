//! What the data source answers, built from what was read: pure, so that every rule
//! (which services count, how instances are counted, how endpoints are written) is
//! unit-tested without AWS.

use std::collections::{BTreeMap, BTreeSet};

use crate::aws::cloudmap::health::HealthCheck;
use crate::mesh::model::{ObservedNamespace, Wiring};
use crate::protocol::value::{Number, Value};

/// How many instances stand behind one name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InstanceCount {
    pub registered: usize,
    pub healthy: usize,
}

/// Counts a Cloud Map service's instances as Cloud Map routes to them: with a health
/// check, those whose status is `HEALTHY` (an instance whose status is not available
/// yet is not); without one, every instance.
pub fn count_instances(
    instance_ids: &[String],
    check: HealthCheck,
    statuses: &BTreeMap<String, String>,
) -> InstanceCount {
    let healthy = match check {
        HealthCheck::None => instance_ids.len(),
        HealthCheck::Custom | HealthCheck::Route53 => instance_ids
            .iter()
            .filter(|id| statuses.get(*id).is_some_and(|s| s == "HEALTHY"))
            .count(),
    };
    InstanceCount {
        registered: instance_ids.len(),
        healthy,
    }
}

/// Everything read, in the data source's terms.
pub struct MeshView<'a> {
    pub cluster: &'a str,
    pub namespace_given: &'a str,
    pub namespace: &'a ObservedNamespace,
    pub vpc_id: Option<String>,
    /// ECS service name → its Service Connect on the namespace.
    pub wired: &'a BTreeMap<String, Wiring>,
    /// Cloud Map service name → its instances.
    pub cloud_map: &'a BTreeMap<String, InstanceCount>,
}

impl MeshView<'_> {
    pub fn to_value(&self) -> Value {
        let servers: BTreeMap<&String, &Wiring> =
            self.wired.iter().filter(|(_, w)| w.is_server()).collect();
        let clients: Vec<Value> = self
            .wired
            .iter()
            .filter(|(_, w)| !w.is_server())
            .map(|(name, _)| Value::from(name.as_str()))
            .collect();
        let services = Value::map(servers.iter().map(|(name, wiring)| {
            let endpoints = Value::map(wiring.endpoints.iter().map(|e| {
                (
                    e.discovery_name.clone(),
                    Value::object([
                        ("port_name", Value::from(e.port_name.as_str())),
                        ("discovery_name", Value::from(e.discovery_name.as_str())),
                        ("dns_name", Value::from(e.dns_name.as_str())),
                        (
                            "port",
                            e.port
                                .map(|p| Value::Number(Number::from(p)))
                                .unwrap_or(Value::Null),
                        ),
                    ]),
                )
            }));
            (name.to_string(), Value::object([("endpoints", endpoints)]))
        }));
        let endpoints: BTreeMap<String, String> = servers
            .values()
            .flat_map(|w| w.endpoints.iter())
            .map(|e| {
                let address = match e.port {
                    Some(port) => format!("{}:{port}", e.dns_name),
                    None => e.dns_name.clone(),
                };
                (e.discovery_name.clone(), address)
            })
            .collect();
        let names: BTreeSet<&str> = servers
            .values()
            .flat_map(|w| w.discovery_names())
            .chain(self.cloud_map.keys().map(String::as_str))
            .collect();
        let instances = Value::map(names.into_iter().map(|name| {
            let count = self.cloud_map.get(name).copied().unwrap_or_default();
            (
                name,
                Value::object([
                    ("registered", Value::Number(Number::from(count.registered))),
                    ("healthy", Value::Number(Number::from(count.healthy))),
                ]),
            )
        }));
        let optional = |v: &Option<String>| v.clone().map(Value::from).unwrap_or(Value::Null);
        Value::object([
            ("cluster", Value::from(self.cluster)),
            ("namespace", Value::from(self.namespace_given)),
            ("namespace_id", Value::from(self.namespace.id.as_str())),
            ("namespace_arn", Value::from(self.namespace.arn.as_str())),
            ("namespace_name", Value::from(self.namespace.name.as_str())),
            ("hosted_zone_id", optional(&self.namespace.hosted_zone_id)),
            ("vpc_id", optional(&self.vpc_id)),
            ("services", services),
            ("client_services", Value::Set(clients)),
            (
                "endpoints",
                Value::map(endpoints.into_iter().map(|(k, v)| (k, Value::from(v)))),
            ),
            ("instances", instances),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::model::EndpointSpec;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("i-{i}")).collect()
    }

    #[test]
    fn without_a_health_check_every_instance_is_healthy() {
        let statuses = BTreeMap::from([("i-0".to_string(), "UNKNOWN".to_string())]);
        assert_eq!(
            count_instances(&ids(3), HealthCheck::None, &statuses),
            InstanceCount {
                registered: 3,
                healthy: 3
            }
        );
    }

    #[test]
    fn with_a_health_check_only_healthy_statuses_count() {
        let statuses = BTreeMap::from([
            ("i-0".to_string(), "HEALTHY".to_string()),
            ("i-1".to_string(), "UNHEALTHY".to_string()),
            ("i-2".to_string(), "UNKNOWN".to_string()),
            // A status for an instance deregistered since the listing counts nowhere.
            ("i-9".to_string(), "HEALTHY".to_string()),
        ]);
        for check in [HealthCheck::Custom, HealthCheck::Route53] {
            // i-3 has no status yet: Cloud Map reports it after a brief delay.
            assert_eq!(
                count_instances(&ids(4), check, &statuses),
                InstanceCount {
                    registered: 4,
                    healthy: 1
                }
            );
        }
    }

    fn namespace() -> ObservedNamespace {
        ObservedNamespace {
            id: "ns-abcdefghijklmnop".into(),
            arn: "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-abcdefghijklmnop"
                .into(),
            name: "internal.myapp".into(),
            hosted_zone_id: Some("Z123".into()),
            ..ObservedNamespace::default()
        }
    }

    #[test]
    fn servers_clients_endpoints_and_instances_of_every_name() {
        let wired = BTreeMap::from([
            (
                "backend".to_string(),
                Wiring {
                    endpoints: vec![EndpointSpec::plain(
                        "backend-8080-tcp",
                        "backend",
                        Some(8080),
                    )],
                    ..Wiring::default()
                },
            ),
            (
                "api".to_string(),
                Wiring {
                    endpoints: vec![
                        EndpointSpec::plain("api-8080-tcp", "api", Some(8080)),
                        EndpointSpec::plain("api-9090-tcp", "api-grpc", None),
                    ],
                    ..Wiring::default()
                },
            ),
            ("frontend".to_string(), Wiring::client()),
        ]);
        let cloud_map = BTreeMap::from([
            (
                "backend".to_string(),
                InstanceCount {
                    registered: 2,
                    healthy: 1,
                },
            ),
            (
                "erp".to_string(),
                InstanceCount {
                    registered: 1,
                    healthy: 1,
                },
            ),
        ]);
        let ns = namespace();
        let view = MeshView {
            cluster: "prod",
            namespace_given: "internal.myapp",
            namespace: &ns,
            vpc_id: Some("vpc-1".into()),
            wired: &wired,
            cloud_map: &cloud_map,
        }
        .to_value();
        let keys = |v: &Value| {
            v.as_entries()
                .map(|e| e.keys().cloned().collect::<Vec<_>>())
        };
        assert_eq!(
            keys(view.get_attr("services").unwrap()).unwrap(),
            ["api", "backend"]
        );
        assert_eq!(
            view.get_attr("client_services")
                .unwrap()
                .as_elements()
                .unwrap(),
            [Value::from("frontend")]
        );
        let endpoints = view.get_attr("endpoints").unwrap();
        assert_eq!(
            endpoints.get_key("backend").unwrap().as_str(),
            Some("backend.internal.myapp:8080")
        );
        assert_eq!(
            endpoints.get_key("api-grpc").unwrap().as_str(),
            Some("api-grpc.internal.myapp")
        );
        let instances = view.get_attr("instances").unwrap();
        assert_eq!(
            keys(instances).unwrap(),
            ["api", "api-grpc", "backend", "erp"],
            "every endpoint and every Cloud Map service"
        );
        let count = |name: &str, what: &str| {
            instances
                .get_key(name)
                .and_then(|i| i.get_attr(what))
                .and_then(Value::as_number)
                .and_then(|n| n.to_u64())
        };
        assert_eq!(
            (count("backend", "registered"), count("backend", "healthy")),
            (Some(2), Some(1))
        );
        assert_eq!(
            (count("api", "registered"), count("api", "healthy")),
            (Some(0), Some(0))
        );
        assert_eq!(count("erp", "healthy"), Some(1));
        assert_eq!(view.get_attr("vpc_id").unwrap().as_str(), Some("vpc-1"));
        assert_eq!(
            view.get_attr("hosted_zone_id").unwrap().as_str(),
            Some("Z123")
        );
    }
}
