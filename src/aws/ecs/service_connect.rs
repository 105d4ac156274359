//! Service Connect between the SDK's shapes and the domain's: what a deployment carries,
//! read into an [`ObservedServiceConnect`], and a [`Wiring`] turned into the
//! configuration UpdateService sends.
//!
//! UpdateService replaces the whole configuration: whatever is not sent is gone. So a
//! setting the wiring leaves to AWS (`Setting::Keep`) is copied from the current
//! configuration, as are the settings this provider never manages (container
//! configurations, test traffic rules).

use aws_sdk_ecs::error::BuildError;
use aws_sdk_ecs::types::{
    LogConfiguration, LogDriver, Secret, ServiceConnectAccessLogConfiguration,
    ServiceConnectAccessLoggingFormat, ServiceConnectClientAlias, ServiceConnectConfiguration,
    ServiceConnectIncludeQueryParameters, ServiceConnectService,
    ServiceConnectTlsCertificateAuthority, ServiceConnectTlsConfiguration, TimeoutConfiguration,
};

use crate::mesh::model::{
    AccessLogSpec, EndpointSpec, LogSpec, ObservedEndpoint, ObservedServiceConnect, TlsSpec, Wiring,
};

/// Service Connect as a deployment has it, in the domain's terms.
pub fn observed_service_connect(config: &ServiceConnectConfiguration) -> ObservedServiceConnect {
    ObservedServiceConnect {
        enabled: config.enabled(),
        namespace: config.namespace().map(str::to_string),
        endpoints: config.services().iter().map(observed_endpoint).collect(),
        log: config.log_configuration().map(log_spec),
        access_log: config.access_log_configuration().map(access_log_spec),
    }
}

fn observed_endpoint(service: &ServiceConnectService) -> ObservedEndpoint {
    let seconds = |value: Option<i32>| value.and_then(|s| u32::try_from(s).ok());
    ObservedEndpoint {
        port_name: service.port_name().to_string(),
        discovery_name: service.discovery_name().map(str::to_string),
        client_aliases: service
            .client_aliases()
            .iter()
            .map(|alias| {
                (
                    alias.dns_name().map(str::to_string),
                    u16::try_from(alias.port()).unwrap_or_default(),
                )
            })
            .collect(),
        ingress_port_override: service
            .ingress_port_override()
            .and_then(|p| u16::try_from(p).ok()),
        idle_timeout_seconds: seconds(service.timeout().and_then(|t| t.idle_timeout_seconds())),
        per_request_timeout_seconds: seconds(
            service
                .timeout()
                .and_then(|t| t.per_request_timeout_seconds()),
        ),
        tls: service.tls().map(tls_spec),
    }
}

fn tls_spec(tls: &ServiceConnectTlsConfiguration) -> TlsSpec {
    TlsSpec {
        aws_pca_authority_arn: tls
            .issuer_certificate_authority()
            .and_then(|ca| ca.aws_pca_authority_arn())
            .unwrap_or_default()
            .to_string(),
        kms_key: tls.kms_key().map(str::to_string),
        role_arn: tls.role_arn().map(str::to_string),
    }
}

fn log_spec(log: &LogConfiguration) -> LogSpec {
    LogSpec {
        log_driver: log.log_driver().as_str().to_string(),
        options: log
            .options()
            .map(|options| {
                options
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default(),
        secret_options: log
            .secret_options()
            .iter()
            .map(|secret| (secret.name().to_string(), secret.value_from().to_string()))
            .collect(),
    }
}

fn access_log_spec(access_log: &ServiceConnectAccessLogConfiguration) -> AccessLogSpec {
    AccessLogSpec {
        format: access_log.format().as_str().to_string(),
        include_query_parameters: access_log
            .include_query_parameters()
            .map(|value| *value == ServiceConnectIncludeQueryParameters::Enabled),
    }
}

/// The configuration `observed` was read from, when it says all of it: the inverse of
/// [`observed_service_connect`] for a configuration without the settings it leaves out
/// (container configurations, test traffic rules). Whether it is exact is for the caller
/// to check: see `EcsService::recallable`.
pub fn configuration_of(
    observed: &ObservedServiceConnect,
) -> Result<ServiceConnectConfiguration, BuildError> {
    let services = observed
        .endpoints
        .iter()
        .map(observed_entry)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ServiceConnectConfiguration::builder()
        .enabled(observed.enabled)
        .set_namespace(observed.namespace.clone())
        .set_services(Some(services).filter(|s| !s.is_empty()))
        .set_log_configuration(observed.log.as_ref().map(log_configuration).transpose()?)
        .set_access_log_configuration(
            observed
                .access_log
                .as_ref()
                .map(access_log_configuration)
                .transpose()?,
        )
        .build())
}

fn observed_entry(endpoint: &ObservedEndpoint) -> Result<ServiceConnectService, BuildError> {
    let aliases = endpoint
        .client_aliases
        .iter()
        .map(|(dns_name, port)| {
            ServiceConnectClientAlias::builder()
                .set_dns_name(dns_name.clone())
                .port(i32::from(*port))
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    ServiceConnectService::builder()
        .port_name(&endpoint.port_name)
        .set_discovery_name(endpoint.discovery_name.clone())
        .set_client_aliases(Some(aliases).filter(|a| !a.is_empty()))
        .set_ingress_port_override(endpoint.ingress_port_override.map(i32::from))
        .set_timeout(timeout_configuration(
            endpoint.idle_timeout_seconds,
            endpoint.per_request_timeout_seconds,
        ))
        .set_tls(endpoint.tls.as_ref().map(tls_configuration))
        .build()
}

/// The configuration to send: the wiring's endpoints and the settings it manages, the
/// current configuration for the rest. Sending a partial configuration would silently
/// wipe those.
pub fn merged_configuration(
    wiring: &Wiring,
    namespace_arn: &str,
    current: Option<&ServiceConnectConfiguration>,
) -> Result<ServiceConnectConfiguration, BuildError> {
    let containers = current
        .map(|c| c.container_configurations().to_vec())
        .filter(|list| !list.is_empty());
    let log = wiring
        .log
        .resolve(current.and_then(|c| c.log_configuration()).map(log_spec))
        .map(|log| log_configuration(&log))
        .transpose()?;
    let access_log = wiring
        .access_log
        .resolve(
            current
                .and_then(|c| c.access_log_configuration())
                .map(access_log_spec),
        )
        .map(|access_log| access_log_configuration(&access_log))
        .transpose()?;
    let services = wiring
        .endpoints
        .iter()
        .map(|endpoint| {
            // The same port keeps what only AWS knows of it.
            let existing = current.and_then(|c| {
                c.services()
                    .iter()
                    .find(|s| s.port_name() == endpoint.port_name)
            });
            server_entry(endpoint, existing)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ServiceConnectConfiguration::builder()
        .enabled(true)
        .namespace(namespace_arn)
        .set_log_configuration(log)
        .set_access_log_configuration(access_log)
        .set_container_configurations(containers)
        .set_services(Some(services).filter(|s| !s.is_empty()))
        .build())
}

fn server_entry(
    endpoint: &EndpointSpec,
    existing: Option<&ServiceConnectService>,
) -> Result<ServiceConnectService, BuildError> {
    let existing_alias = existing.and_then(|s| s.client_aliases().first());
    let mut alias = ServiceConnectClientAlias::builder()
        .dns_name(&endpoint.dns_name)
        .set_test_traffic_rules(existing_alias.and_then(|a| a.test_traffic_rules()).cloned());
    if let Some(port) = endpoint.port {
        alias = alias.port(i32::from(port));
    }
    let timeout = timeout_configuration(
        endpoint.idle_timeout_seconds,
        endpoint.per_request_timeout_seconds,
    );
    let tls = endpoint
        .tls
        .resolve(existing.and_then(|s| s.tls()).map(tls_spec))
        .map(|tls| tls_configuration(&tls));
    ServiceConnectService::builder()
        .port_name(&endpoint.port_name)
        .discovery_name(&endpoint.discovery_name)
        .client_aliases(alias.build()?)
        .set_ingress_port_override(endpoint.ingress_port_override.map(i32::from))
        .set_timeout(timeout)
        .set_tls(tls)
        .build()
}

/// The timeouts of one endpoint; none when neither is set.
fn timeout_configuration(
    idle_seconds: Option<u32>,
    per_request_seconds: Option<u32>,
) -> Option<TimeoutConfiguration> {
    let seconds = |value: Option<u32>| value.and_then(|s| i32::try_from(s).ok());
    (idle_seconds.is_some() || per_request_seconds.is_some()).then(|| {
        TimeoutConfiguration::builder()
            .set_idle_timeout_seconds(seconds(idle_seconds))
            .set_per_request_timeout_seconds(seconds(per_request_seconds))
            .build()
    })
}

fn tls_configuration(tls: &TlsSpec) -> ServiceConnectTlsConfiguration {
    ServiceConnectTlsConfiguration::builder()
        .issuer_certificate_authority(
            ServiceConnectTlsCertificateAuthority::builder()
                .aws_pca_authority_arn(&tls.aws_pca_authority_arn)
                .build(),
        )
        .set_kms_key(tls.kms_key.clone())
        .set_role_arn(tls.role_arn.clone())
        .build()
}

fn log_configuration(log: &LogSpec) -> Result<LogConfiguration, BuildError> {
    let secrets = log
        .secret_options
        .iter()
        .map(|(name, value_from)| Secret::builder().name(name).value_from(value_from).build())
        .collect::<Result<Vec<_>, _>>()?;
    LogConfiguration::builder()
        .log_driver(LogDriver::from(log.log_driver.as_str()))
        .set_options(
            Some(log.options.clone().into_iter().collect())
                .filter(|o: &std::collections::HashMap<_, _>| !o.is_empty()),
        )
        .set_secret_options(Some(secrets).filter(|s| !s.is_empty()))
        .build()
}

fn access_log_configuration(
    access_log: &AccessLogSpec,
) -> Result<ServiceConnectAccessLogConfiguration, BuildError> {
    ServiceConnectAccessLogConfiguration::builder()
        .format(ServiceConnectAccessLoggingFormat::from(
            access_log.format.as_str(),
        ))
        .set_include_query_parameters(access_log.include_query_parameters.map(|enabled| {
            if enabled {
                ServiceConnectIncludeQueryParameters::Enabled
            } else {
                ServiceConnectIncludeQueryParameters::Disabled
            }
        }))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::model::Setting;

    fn endpoint() -> EndpointSpec {
        EndpointSpec {
            port_name: "backend-8080-tcp".into(),
            discovery_name: "backend".into(),
            dns_name: "backend.internal.myapp".into(),
            port: Some(8080),
            ingress_port_override: Some(15000),
            idle_timeout_seconds: Some(300),
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

    fn tls() -> TlsSpec {
        TlsSpec {
            aws_pca_authority_arn: "arn:aws:acm-pca:eu-west-1:1:certificate-authority/x".into(),
            kms_key: Some("alias/mesh".into()),
            role_arn: None,
        }
    }

    fn log() -> LogSpec {
        LogSpec {
            log_driver: "awslogs".into(),
            options: [("awslogs-group".to_string(), "/mesh".to_string())].into(),
            secret_options: vec![("token".into(), "arn:aws:ssm:eu-west-1:1:parameter/t".into())],
        }
    }

    fn current_with_settings_made_elsewhere() -> ServiceConnectConfiguration {
        ServiceConnectConfiguration::builder()
            .enabled(true)
            .namespace("internal.myapp")
            .log_configuration(log_configuration(&log()).unwrap())
            .services(
                ServiceConnectService::builder()
                    .port_name("backend-8080-tcp")
                    .discovery_name("old")
                    .client_aliases(
                        ServiceConnectClientAlias::builder()
                            .port(9999)
                            .build()
                            .unwrap(),
                    )
                    .tls(tls_configuration(&tls()))
                    .build()
                    .unwrap(),
            )
            .build()
    }

    #[test]
    fn server_configuration_carries_our_fields() {
        let config = merged_configuration(&server(vec![endpoint()]), "arn:ns", None).unwrap();
        assert!(config.enabled());
        assert_eq!(config.namespace(), Some("arn:ns"));
        let service = &config.services()[0];
        assert_eq!(service.port_name(), "backend-8080-tcp");
        assert_eq!(service.discovery_name(), Some("backend"));
        assert_eq!(
            service.client_aliases().len(),
            1,
            "exactly one client alias"
        );
        assert_eq!(service.client_aliases()[0].port(), 8080);
        assert_eq!(
            service.client_aliases()[0].dns_name(),
            Some("backend.internal.myapp")
        );
        assert_eq!(service.ingress_port_override(), Some(15000));
        assert_eq!(
            service.timeout().and_then(|t| t.idle_timeout_seconds()),
            Some(300)
        );
        assert!(config.log_configuration().is_none());
    }

    #[test]
    fn every_endpoint_is_sent() {
        let grpc = EndpointSpec {
            port_name: "backend-9090-tcp".into(),
            discovery_name: "backend-grpc".into(),
            port: Some(9090),
            ..endpoint()
        };
        let config = merged_configuration(&server(vec![endpoint(), grpc]), "arn:ns", None).unwrap();
        let names: Vec<_> = config
            .services()
            .iter()
            .map(|s| s.discovery_name().unwrap_or_default())
            .collect();
        assert_eq!(names, ["backend", "backend-grpc"]);
    }

    #[test]
    fn settings_made_elsewhere_survive() {
        let current = current_with_settings_made_elsewhere();
        let config =
            merged_configuration(&server(vec![endpoint()]), "arn:ns", Some(&current)).unwrap();
        assert_eq!(
            config.log_configuration(),
            current.log_configuration(),
            "log configuration kept"
        );
        let service = &config.services()[0];
        assert_eq!(
            service.tls(),
            current.services()[0].tls(),
            "TLS of the same port kept"
        );
        assert_eq!(
            service.discovery_name(),
            Some("backend"),
            "our fields replace theirs"
        );
        assert_eq!(service.client_aliases()[0].port(), 8080);
    }

    #[test]
    fn managed_settings_replace_or_remove_what_is_there() {
        let current = current_with_settings_made_elsewhere();
        let mut wiring = server(vec![endpoint()]);
        wiring.log = Setting::Clear;
        wiring.access_log = Setting::Set(AccessLogSpec {
            format: "JSON".into(),
            include_query_parameters: Some(true),
        });
        wiring.endpoints[0].tls = Setting::Set(TlsSpec {
            kms_key: None,
            ..tls()
        });
        let config = merged_configuration(&wiring, "arn:ns", Some(&current)).unwrap();
        assert!(config.log_configuration().is_none(), "cleared");
        let observed = observed_service_connect(&config);
        assert_eq!(
            observed.access_log,
            Some(AccessLogSpec {
                format: "JSON".into(),
                include_query_parameters: Some(true)
            })
        );
        assert_eq!(
            observed.endpoints[0]
                .tls
                .as_ref()
                .and_then(|t| t.kms_key.clone()),
            None
        );
    }

    #[test]
    fn settings_read_back_as_sent() {
        let mut wiring = server(vec![endpoint()]);
        wiring.log = Setting::Set(log());
        wiring.endpoints[0].tls = Setting::Set(tls());
        let config = merged_configuration(&wiring, "arn:ns", None).unwrap();
        let observed = observed_service_connect(&config);
        assert_eq!(observed.log, Some(log()));
        assert_eq!(observed.endpoints[0].tls, Some(tls()));
    }

    #[test]
    fn a_configuration_rebuilt_from_what_was_read_is_the_one_read() {
        let mut wiring = server(vec![
            endpoint(),
            EndpointSpec {
                port_name: "backend-9090-tcp".into(),
                discovery_name: "backend-grpc".into(),
                port: Some(9090),
                ingress_port_override: None,
                idle_timeout_seconds: None,
                per_request_timeout_seconds: Some(20),
                tls: Setting::Set(tls()),
                ..endpoint()
            },
        ]);
        wiring.log = Setting::Set(log());
        wiring.access_log = Setting::Set(AccessLogSpec {
            format: "JSON".into(),
            include_query_parameters: Some(false),
        });
        for wiring in [wiring, Wiring::client()] {
            let read = merged_configuration(&wiring, "arn:ns", None).unwrap();
            let rebuilt = configuration_of(&observed_service_connect(&read)).unwrap();
            assert_eq!(rebuilt, read);
        }
    }

    #[test]
    fn settings_the_domain_leaves_out_are_not_rebuilt() {
        use aws_sdk_ecs::types::{
            ServiceConnectTestTrafficHeaderMatchRules, ServiceConnectTestTrafficHeaderRules,
            ServiceConnectTestTrafficRules,
        };
        let header = ServiceConnectTestTrafficHeaderRules::builder()
            .name("x-canary")
            .value(
                ServiceConnectTestTrafficHeaderMatchRules::builder()
                    .exact("1")
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let rules = ServiceConnectTestTrafficRules::builder()
            .header(header)
            .build();
        let mut current = current_with_settings_made_elsewhere();
        let alias = ServiceConnectClientAlias::builder()
            .port(9999)
            .test_traffic_rules(rules)
            .build()
            .unwrap();
        current.services = Some(vec![
            ServiceConnectService::builder()
                .port_name("backend-8080-tcp")
                .client_aliases(alias)
                .build()
                .unwrap(),
        ]);
        let rebuilt = configuration_of(&observed_service_connect(&current)).unwrap();
        assert_ne!(rebuilt, current);
    }

    #[test]
    fn clients_get_the_namespace_and_settings_only() {
        let current = current_with_settings_made_elsewhere();
        let config = merged_configuration(&Wiring::client(), "arn:ns", Some(&current)).unwrap();
        assert!(config.enabled());
        assert!(config.services().is_empty());
        assert!(config.log_configuration().is_some());
    }
}
