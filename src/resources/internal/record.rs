//! Recording what AWS has into the model: after a refresh (each entry in the form it
//! is written in, with the settings it manages, so drift shows in the next plan) and
//! after an import (everything).

use std::collections::{BTreeMap, BTreeSet};

use super::external::ExternalModel;
use super::model::InternalModel;
use super::services::{AccessLogModel, LogModel, Record, ServiceModel, TlsModel};
use crate::mesh::external::ObservedExternal;
use crate::mesh::model::Wiring;
use crate::protocol::value::Attr;

impl InternalModel {
    /// Records the standalone servers as AWS has them (in the written order of their
    /// addresses); null when there are none and none were written.
    pub fn record_external(&mut self, observed: &BTreeMap<String, ObservedExternal>) {
        let written = self.external_services.known().cloned().unwrap_or_default();
        let recorded: BTreeMap<String, ExternalModel> = observed
            .iter()
            .map(|(name, have)| {
                (
                    name.clone(),
                    ExternalModel::observed(have, written.get(name)),
                )
            })
            .collect();
        self.external_services = if recorded.is_empty() && !self.external_services.is_known() {
            Attr::Null
        } else {
            Attr::Known(recorded)
        };
        self.refresh_endpoints();
    }

    /// Records a mesh found by import: every endpoint and every setting. Logs that
    /// every service shares become the mesh-wide setting; otherwise each server records
    /// its own (a client's cannot be written per service and stays as AWS has it).
    pub fn record_imported(&mut self, wired: &BTreeMap<String, Wiring>) {
        fn shared<T: Clone + PartialEq>(values: Vec<Option<&T>>) -> Option<T> {
            let first = values.first().copied().flatten()?;
            values
                .iter()
                .all(|v| *v == Some(first))
                .then(|| first.clone())
        }
        let log = shared(wired.values().map(|w| w.log.value()).collect());
        let access_log = shared(wired.values().map(|w| w.access_log.value()).collect());
        self.log_configuration = log
            .as_ref()
            .map_or(Attr::Null, |v| Attr::Known(LogModel::from_spec(v, None)));
        self.access_log_configuration = access_log.as_ref().map_or(Attr::Null, |v| {
            Attr::Known(AccessLogModel::from_spec(v, None))
        });
        let servers = wired
            .iter()
            .filter(|(_, wiring)| wiring.is_server())
            .map(|(name, wiring)| {
                let mut record = Record::everything(wiring);
                record.log = log.is_none();
                record.access_log = access_log.is_none();
                (name.clone(), ServiceModel::observed(wiring, None, &record))
            })
            .collect();
        self.set_wired(servers, wired);
    }

    /// Records the services as AWS has them (`observed`, by ECS service name; a service
    /// missing from it is no longer wired): each entry in the form it is written in,
    /// with the settings it manages, so that drift shows in the next plan.
    pub fn record_observed(&mut self, observed: &BTreeMap<String, Wiring>) {
        let prior = self.clone();
        let mesh = prior.mesh_settings();
        let none = BTreeMap::new();
        let written = prior.services.known().unwrap_or(&none);
        let servers: BTreeMap<String, ServiceModel> = written
            .iter()
            .filter_map(|(name, service)| {
                let wiring = observed.get(name).filter(|w| w.is_server())?;
                let record = service.managed_here().with_mesh(&mesh);
                Some((
                    name.clone(),
                    ServiceModel::observed(wiring, Some(service), &record),
                ))
            })
            .collect();
        let in_place: BTreeMap<String, Wiring> = observed
            .iter()
            .filter(|(name, wiring)| wiring.is_server() || prior.client_names().contains(*name))
            .map(|(name, wiring)| (name.clone(), wiring.clone()))
            .collect();
        if self.services.is_known() {
            self.services = Attr::Known(servers);
        }
        if self.client_services.is_known() {
            self.client_services = Attr::Known(
                prior
                    .client_names()
                    .into_iter()
                    .filter(|name| in_place.get(name).is_some_and(|w| !w.is_server()))
                    .map(Attr::Known)
                    .collect(),
            );
        }
        self.refresh_endpoints();
        self.record_mesh_drift(&prior, observed);
    }

    /// A mesh-wide setting that a service inheriting it no longer has shows as that
    /// service's value, so that the plan puts it back.
    fn record_mesh_drift(&mut self, prior: &InternalModel, observed: &BTreeMap<String, Wiring>) {
        let mesh = prior.mesh_settings();
        let none = BTreeMap::new();
        let written = prior.services.known().unwrap_or(&none);
        // Services that take the mesh-wide logs: clients, and servers that set none.
        let inheriting = |name: &str, own: fn(&ServiceModel) -> bool| match written.get(name) {
            Some(service) => !own(service),
            None => prior.client_names().contains(name),
        };
        if let Attr::Known(log) = &prior.log_configuration
            && let Some(now) = first_drift(
                observed,
                |name| inheriting(name, |s| !s.log_configuration.is_null()),
                |wiring| wiring.log.value(),
                mesh.log.as_ref(),
            )
        {
            self.log_configuration = now.map_or(Attr::Null, |v| {
                Attr::Known(LogModel::from_spec(v, Some(log)))
            });
        }
        if let Attr::Known(access_log) = &prior.access_log_configuration
            && let Some(now) = first_drift(
                observed,
                |name| inheriting(name, |s| !s.access_log_configuration.is_null()),
                |wiring| wiring.access_log.value(),
                mesh.access_log.as_ref(),
            )
        {
            self.access_log_configuration = now.map_or(Attr::Null, |v| {
                Attr::Known(AccessLogModel::from_spec(v, Some(access_log)))
            });
        }
        if prior.tls.is_known() {
            // Endpoints that take the mesh-wide TLS: those written without their own.
            let drifted = observed
                .iter()
                .filter_map(|(name, wiring)| Some((written.get(name)?, wiring)))
                .find_map(|(service, wiring)| {
                    let own = service.managed_here().tls;
                    let written: BTreeSet<String> = service
                        .endpoint_list()
                        .into_iter()
                        .filter_map(|(name, _)| name.known().cloned())
                        .collect();
                    wiring.endpoints.iter().find(|e| {
                        written.contains(&e.discovery_name)
                            && !own.contains(&e.discovery_name)
                            && e.tls.value() != mesh.tls.as_ref()
                    })
                });
            if let Some(endpoint) = drifted {
                self.tls = endpoint
                    .tls
                    .value()
                    .map_or(Attr::Null, |v| Attr::Known(TlsModel::from_spec(v)));
            }
        }
    }
}

/// What the first service that inherits a mesh-wide setting runs instead of it
/// (`Some(None)`: nothing); `None` when every such service runs the mesh-wide value.
fn first_drift<'a, T: PartialEq>(
    observed: &'a BTreeMap<String, Wiring>,
    inherits: impl Fn(&str) -> bool,
    value: fn(&Wiring) -> Option<&T>,
    mesh: Option<&T>,
) -> Option<Option<&'a T>> {
    observed
        .iter()
        .find(|(name, wiring)| inherits(name) && value(wiring) != mesh)
        .map(|(_, wiring)| value(wiring))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::model::{EndpointSpec, LogSpec, Setting, TlsSpec};

    fn endpoint(discovery: &str, port_name: &str, port: u16) -> EndpointSpec {
        EndpointSpec {
            port_name: port_name.into(),
            discovery_name: discovery.into(),
            dns_name: format!("{discovery}.internal.myapp"),
            port: Some(port),
            ingress_port_override: None,
            idle_timeout_seconds: None,
            per_request_timeout_seconds: None,
            inherited_per_request_timeout_seconds: None,
            tls: Setting::Clear,
        }
    }

    fn awslogs(group: &str) -> LogSpec {
        LogSpec {
            log_driver: "awslogs".into(),
            options: [("awslogs-group".to_string(), group.to_string())].into(),
            secret_options: Vec::new(),
        }
    }

    fn tls() -> TlsSpec {
        TlsSpec {
            aws_pca_authority_arn: "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/x"
                .into(),
            ..TlsSpec::default()
        }
    }

    /// As AWS has a wiring: every setting is there or not.
    fn observed(endpoints: Vec<EndpointSpec>, log: Option<LogSpec>) -> Wiring {
        Wiring {
            endpoints,
            log: Setting::observed(log),
            access_log: Setting::Clear,
        }
    }

    fn short(port_name: &str) -> ServiceModel {
        ServiceModel {
            port_name: Attr::Known(port_name.into()),
            ..ServiceModel::default()
        }
    }

    fn mesh_of(services: &[(&str, ServiceModel)], clients: &[&str]) -> InternalModel {
        InternalModel {
            services: Attr::Known(
                services
                    .iter()
                    .map(|(name, s)| (name.to_string(), s.clone()))
                    .collect(),
            ),
            client_services: Attr::Known(
                clients.iter().map(|c| Attr::Known(c.to_string())).collect(),
            ),
            ..InternalModel::default()
        }
    }

    #[test]
    fn an_endpoint_the_configuration_leaves_out_is_recorded_in_the_long_form() {
        let mut model = mesh_of(&[("api", short("api-8080-tcp"))], &[]);
        let aws = observed(
            vec![
                endpoint("api", "api-8080-tcp", 8080),
                endpoint("api-grpc", "api-9090-tcp", 9090),
            ],
            None,
        );
        model.record_observed(&[("api".to_string(), aws)].into());
        let api = &model.services.known().unwrap()["api"];
        assert!(api.port_name.is_null(), "moved to the long form");
        let endpoints = api.endpoints.known().expect("both endpoints");
        assert_eq!(endpoints.len(), 2);
        assert_eq!(
            model.endpoints.known().unwrap().keys().collect::<Vec<_>>(),
            ["api", "api-grpc"]
        );
    }

    #[test]
    fn settings_are_recorded_only_where_the_state_manages_them() {
        let mut with_tls = short("api-8080-tcp");
        with_tls.tls = Attr::Known(TlsModel::from_spec(&tls()));
        let mut model = mesh_of(
            &[("api", with_tls), ("backend", short("backend-8080-tcp"))],
            &[],
        );
        let mut api = endpoint("api", "api-8080-tcp", 8080);
        api.tls = Setting::Clear; // removed outside Terraform
        let mut backend = endpoint("backend", "backend-8080-tcp", 8080);
        backend.tls = Setting::Set(tls()); // made outside Terraform, not managed
        model.record_observed(
            &[
                ("api".to_string(), observed(vec![api], Some(awslogs("/x")))),
                ("backend".to_string(), observed(vec![backend], None)),
            ]
            .into(),
        );
        let services = model.services.known().unwrap();
        assert_eq!(
            services["api"].tls,
            Attr::Null,
            "drift: the plan adds it back"
        );
        assert_eq!(services["backend"].tls, Attr::Null, "kept, not managed");
        assert_eq!(
            services["api"].log_configuration,
            Attr::Null,
            "logs not managed"
        );
    }

    #[test]
    fn a_service_that_lost_the_mesh_wide_logs_shows_as_drift_of_them() {
        let mut model = mesh_of(&[("backend", short("backend-8080-tcp"))], &["frontend"]);
        model.log_configuration = Attr::Known(LogModel::from_spec(&awslogs("/mesh"), None));
        let backend = observed(
            vec![endpoint("backend", "backend-8080-tcp", 8080)],
            Some(awslogs("/mesh")),
        );
        let frontend = observed(Vec::new(), Some(awslogs("/elsewhere")));
        model.record_observed(
            &[
                ("backend".to_string(), backend.clone()),
                ("frontend".to_string(), frontend),
            ]
            .into(),
        );
        assert_eq!(
            model.log_configuration.known().and_then(LogModel::spec),
            Some(awslogs("/elsewhere"))
        );
        // All in line: nothing to show.
        let mut model = mesh_of(&[("backend", short("backend-8080-tcp"))], &[]);
        model.log_configuration = Attr::Known(LogModel::from_spec(&awslogs("/mesh"), None));
        let before = model.log_configuration.clone();
        model.record_observed(&[("backend".to_string(), backend)].into());
        assert_eq!(model.log_configuration, before);
    }

    #[test]
    fn import_records_shared_logs_mesh_wide_and_every_endpoint() {
        let mut model = InternalModel::default();
        let api = observed(
            vec![
                endpoint("api", "api-8080-tcp", 8080),
                endpoint("api-grpc", "api-9090-tcp", 9090),
            ],
            Some(awslogs("/mesh")),
        );
        let client = observed(Vec::new(), Some(awslogs("/mesh")));
        model.record_imported(&[("api".to_string(), api), ("frontend".to_string(), client)].into());
        assert_eq!(
            model.log_configuration.known().and_then(LogModel::spec),
            Some(awslogs("/mesh"))
        );
        let api = &model.services.known().unwrap()["api"];
        assert_eq!(api.log_configuration, Attr::Null, "inherited");
        assert_eq!(api.endpoints.known().map(BTreeMap::len), Some(2));
        assert_eq!(model.client_names(), ["frontend".to_string()].into());
    }

    #[test]
    fn a_setting_that_leaves_the_configuration_is_removed_and_one_never_in_it_is_kept() {
        let mut prior = mesh_of(&[("backend", short("backend-8080-tcp"))], &["frontend"]);
        prior.log_configuration = Attr::Known(LogModel::from_spec(&awslogs("/mesh"), None));
        let mut planned = prior.clone();
        planned.log_configuration = Attr::Null;
        let mut with_port = planned.clone();
        if let Attr::Known(services) = &mut with_port.services {
            let backend = services.get_mut("backend").unwrap();
            backend.discovery_name = Attr::Known("backend".into());
            backend.dns_name = Attr::Known("backend.internal.myapp".into());
            backend.port = Attr::Known(8080);
        }
        let desired = with_port.desired(&BTreeMap::new(), Some(&prior));
        assert_eq!(desired.services["backend"].log, Setting::Clear);
        assert_eq!(desired.services["frontend"].log, Setting::Clear);
        assert_eq!(desired.services["backend"].endpoints[0].tls, Setting::Keep);
        let fresh = with_port.desired(&BTreeMap::new(), None);
        assert_eq!(fresh.services["frontend"].log, Setting::Keep);
    }
}

#[cfg(test)]
mod timeout_tests {
    use super::*;
    use crate::mesh::model::{EndpointSpec, Setting};

    #[test]
    fn an_endpoint_inheriting_the_mesh_wide_timeouts_records_none() {
        let mut model = InternalModel {
            services: Attr::Known(
                [(
                    "backend".to_string(),
                    ServiceModel {
                        port_name: Attr::Known("backend-8080-tcp".into()),
                        discovery_name: Attr::Known("backend".into()),
                        ..ServiceModel::default()
                    },
                )]
                .into(),
            ),
            idle_timeout_seconds: Attr::Known(120),
            per_request_timeout_seconds: Attr::Known(20),
            ..InternalModel::default()
        };
        let endpoint = EndpointSpec {
            port_name: "backend-8080-tcp".into(),
            discovery_name: "backend".into(),
            dns_name: "backend.internal.myapp".into(),
            port: Some(8080),
            ingress_port_override: None,
            idle_timeout_seconds: Some(120),
            per_request_timeout_seconds: None,
            inherited_per_request_timeout_seconds: None,
            tls: Setting::Clear,
        };
        let wiring = Wiring {
            endpoints: vec![endpoint.clone()],
            ..Wiring::default()
        };
        model.record_observed(&[("backend".to_string(), wiring)].into());
        let backend = &model.services.known().unwrap()["backend"];
        assert_eq!(backend.idle_timeout_seconds, Attr::Null, "inherited");
        assert_eq!(
            backend.per_request_timeout_seconds,
            Attr::Null,
            "a TCP port"
        );
        // A value of its own (set in the console, say) is drift.
        let mut own = endpoint;
        own.idle_timeout_seconds = Some(30);
        let wiring = Wiring {
            endpoints: vec![own],
            ..Wiring::default()
        };
        model.record_observed(&[("backend".to_string(), wiring)].into());
        let backend = &model.services.known().unwrap()["backend"];
        assert_eq!(backend.idle_timeout_seconds, Attr::Known(30));
    }
}
