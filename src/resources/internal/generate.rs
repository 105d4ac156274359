//! The configuration that reproduces a state, for `-generate-config-out`: what the
//! practitioner would write, without computed values or defaults.

use super::model::InternalModel;
use super::services::ServiceModel;
use crate::mesh::names::default_dns_name;
use crate::protocol::value::Attr;

pub fn config_from_state(state: &InternalModel) -> InternalModel {
    let owned = state.owns_namespace();
    let namespace = state.namespace.clone();
    let services = match &state.services {
        Attr::Known(services) => Attr::Known(
            services
                .iter()
                .map(|(key, service)| (key.clone(), without_defaults(key, service, &namespace)))
                .collect(),
        ),
        other => other.clone(),
    };
    InternalModel {
        cluster: state.cluster.clone(),
        // An owned namespace is named; an existing one is referred to by id.
        namespace: if owned { namespace } else { Attr::Null },
        vpc_id: if owned {
            state.vpc_id.clone()
        } else {
            Attr::Null
        },
        namespace_id: if owned {
            Attr::Null
        } else {
            state.namespace_id.clone()
        },
        description: state.description.clone(),
        tags: state.tags.clone(),
        services,
        client_services: state.client_services.clone(),
        external_services: match &state.external_services {
            // The default TTL is left out, as a practitioner would.
            Attr::Known(externals) => Attr::Known(
                externals
                    .iter()
                    .map(|(name, external)| {
                        let mut config = external.clone();
                        if config.ttl == Attr::Known(crate::mesh::external::DEFAULT_TTL) {
                            config.ttl = Attr::Null;
                        }
                        (name.clone(), config)
                    })
                    .collect(),
            ),
            other => other.clone(),
        },
        tls: state.tls.clone(),
        idle_timeout_seconds: state.idle_timeout_seconds.clone(),
        per_request_timeout_seconds: state.per_request_timeout_seconds.clone(),
        log_configuration: state.log_configuration.clone(),
        access_log_configuration: state.access_log_configuration.clone(),
        ..InternalModel::default()
    }
}

fn without_defaults(key: &str, service: &ServiceModel, namespace: &Attr<String>) -> ServiceModel {
    let mut config = service.clone();
    let default_dns = |discovery: &Attr<String>| match (discovery.known(), namespace.known()) {
        (Some(discovery), Some(namespace)) => Some(default_dns_name(discovery, namespace)),
        _ => None,
    };
    let unless_default = |dns: &mut Attr<String>, default: Option<String>| {
        if dns.known().is_some() && dns.known() == default.as_ref() {
            *dns = Attr::Null;
        }
    };
    if let Attr::Known(endpoints) = &mut config.endpoints {
        for (name, endpoint) in endpoints.iter_mut() {
            unless_default(
                &mut endpoint.dns_name,
                default_dns(&Attr::Known(name.clone())),
            );
        }
        return config;
    }
    unless_default(&mut config.dns_name, default_dns(&service.discovery_name));
    if config.discovery_name.known().is_some_and(|d| d == key) {
        config.discovery_name = Attr::Null;
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn owned_meshes_name_their_namespace_and_drop_defaults() {
        let mut services = BTreeMap::new();
        services.insert(
            "backend".to_string(),
            ServiceModel {
                port_name: Attr::Known("backend-8080-tcp".into()),
                discovery_name: Attr::Known("backend".into()),
                dns_name: Attr::Known("backend.internal.myapp".into()),
                port: Attr::Known(8080),
                ..ServiceModel::default()
            },
        );
        services.insert(
            "orders".to_string(),
            ServiceModel {
                port_name: Attr::Known("orders-9090-tcp".into()),
                discovery_name: Attr::Known("orders-api".into()),
                dns_name: Attr::Known("orders.example".into()),
                port: Attr::Known(9090),
                ..ServiceModel::default()
            },
        );
        let state = InternalModel {
            cluster: Attr::Known("prod".into()),
            namespace: Attr::Known("internal.myapp".into()),
            vpc_id: Attr::Known("vpc-0abc1234".into()),
            namespace_id: Attr::Known("ns-abcdefghijklmnop".into()),
            id: Attr::Known("ns-abcdefghijklmnop".into()),
            namespace_owned: Attr::Known(true),
            services: Attr::Known(services),
            ..InternalModel::default()
        };
        let config = config_from_state(&state);
        assert_eq!(
            config.namespace_id,
            Attr::Null,
            "namespace and namespace_id conflict"
        );
        assert_eq!(config.id, Attr::Null, "computed only");
        let services = config.services.known().unwrap();
        assert_eq!(services["backend"].discovery_name, Attr::Null);
        assert_eq!(services["backend"].dns_name, Attr::Null);
        assert_eq!(
            services["orders"].discovery_name,
            Attr::Known("orders-api".into())
        );
        assert_eq!(
            services["orders"].dns_name,
            Attr::Known("orders.example".into())
        );

        let existing = InternalModel {
            namespace_owned: Attr::Known(false),
            ..state
        };
        let config = config_from_state(&existing);
        assert_eq!(config.namespace, Attr::Null);
        assert_eq!(config.vpc_id, Attr::Null);
        assert_eq!(
            config.namespace_id,
            Attr::Known("ns-abcdefghijklmnop".into())
        );
    }
}
