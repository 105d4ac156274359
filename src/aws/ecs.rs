//! ECS: reading services in batches, and changing their Service Connect.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ecs::operation::update_service::builders::UpdateServiceFluentBuilder;
use aws_sdk_ecs::types::ServiceConnectConfiguration;
use futures::future::try_join_all;

use super::config::CallLimit;
use super::in_order;

use super::error::{ErrorKind, GatewayError};
use crate::mesh::model::{ObservedDeployment, ObservedService, PortMapping, PortMappings, Wiring};

mod service_connect;
use service_connect::{configuration_of, merged_configuration, observed_service_connect};

/// Every item of a paged ECS listing (ListServices, ListServicesByNamespace): the SDK's
/// paginator at the largest page ECS allows. The request builders share no trait.
macro_rules! every_item {
    ($request:expr, $action:expr) => {
        $request
            .max_results(100)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|err| GatewayError::from_sdk($action, &err))
    };
}

/// DescribeServices takes at most 10 services per call.
pub const DESCRIBE_BATCH: usize = 10;

/// An ECS service as read, with the raw Service Connect configuration of its PRIMARY
/// deployment kept so that settings we do not manage can be sent back unchanged.
#[derive(Clone, Debug)]
pub struct EcsService {
    pub observed: ObservedService,
    pub raw_service_connect: Option<RunningServiceConnect>,
}

impl EcsService {
    /// Whether `observed` says everything ECS answered of the service's Service Connect,
    /// so that [`EcsService::recalled`] gives back exactly this service: the configuration
    /// rebuilt from it is equal, field for field, to the one read. Not so when it holds
    /// settings the domain leaves out (container configurations, test traffic rules), or
    /// any shape the rebuild does not make the same way. Whether ECS answers a
    /// configuration exactly as it was sent is not documented (botocore's ECS model
    /// describes the shape only), so nothing here assumes it: the comparison decides.
    pub fn recallable(&self) -> bool {
        match (&self.raw_service_connect, &self.observed.service_connect) {
            (None, None) => true,
            (Some(raw), Some(observed)) => configuration_of(observed).is_ok_and(|c| c == raw.0),
            _ => false,
        }
    }

    /// A service as it was read earlier, from what was kept of it (see `recallable`);
    /// `None` when its configuration cannot be rebuilt.
    pub fn recalled(observed: ObservedService) -> Option<Self> {
        let raw = match &observed.service_connect {
            Some(service_connect) => Some(RunningServiceConnect(
                configuration_of(service_connect).ok()?,
            )),
            None => None,
        };
        Some(Self {
            observed,
            raw_service_connect: raw,
        })
    }
}

/// A service's Service Connect configuration as ECS answered it, opaque outside the
/// gateway: what an UpdateService sends back of the settings this provider does not manage.
#[derive(Clone, Debug)]
pub struct RunningServiceConnect(ServiceConnectConfiguration);

/// ECS calls, bounded by the provider's concurrency limit.
#[derive(Clone, Debug)]
pub struct Ecs {
    client: aws_sdk_ecs::Client,
    limit: CallLimit,
}

impl Ecs {
    pub fn new(client: aws_sdk_ecs::Client, limit: CallLimit) -> Self {
        Self { client, limit }
    }

    /// How many ECS calls may be in flight at once (`max_concurrency`).
    pub fn in_flight(&self) -> usize {
        self.limit.in_flight()
    }

    /// Describes services by name: ⌈N/10⌉ DescribeServices calls, issued concurrently.
    /// A service that does not exist (or is INACTIVE) maps to `None`.
    pub async fn describe_services(
        &self,
        cluster: &str,
        names: &[String],
    ) -> Result<BTreeMap<String, Option<EcsService>>, GatewayError> {
        let batches = names
            .chunks(DESCRIBE_BATCH)
            .map(|batch| self.describe_batch(cluster, batch));
        let mut found = BTreeMap::new();
        for batch in try_join_all(batches).await? {
            found.extend(batch);
        }
        Ok(found)
    }

    async fn describe_batch(
        &self,
        cluster: &str,
        names: &[String],
    ) -> Result<Vec<(String, Option<EcsService>)>, GatewayError> {
        let _permit = self.permit().await;
        let output = self
            .client
            .describe_services()
            .cluster(cluster)
            .set_services(Some(names.to_vec()))
            .send()
            .await
            .map_err(|err| {
                GatewayError::from_sdk(
                    format!(
                        "reading ECS services {} in cluster {cluster}",
                        names.join(", ")
                    ),
                    &err,
                )
            })?;
        let mut by_name: BTreeMap<String, EcsService> = output
            .services()
            .iter()
            .filter_map(service_from_sdk)
            .filter(|service| service.observed.status != "INACTIVE")
            .map(|service| (service.observed.name.clone(), service))
            .collect();
        Ok(names
            .iter()
            .map(|name| {
                let service = by_name.remove(name.as_str());
                (name.clone(), service)
            })
            .collect())
    }

    /// Sets Service Connect on one service: `Some(wiring)` enables or changes it,
    /// `None` turns it off. Settings we do not manage are taken from `current` and
    /// sent back, because UpdateService replaces the whole configuration. Returns the
    /// id of the deployment ECS started.
    pub async fn set_service_connect(
        &self,
        cluster: &str,
        service: &str,
        wiring: Option<&Wiring>,
        namespace_arn: &str,
        current: Option<&RunningServiceConnect>,
    ) -> Result<Deployment, GatewayError> {
        let action = match wiring {
            Some(_) => format!("enabling Service Connect on ECS service {cluster}/{service}"),
            None => format!("disabling Service Connect on ECS service {cluster}/{service}"),
        };
        let config = match wiring {
            Some(wiring) => merged_configuration(wiring, namespace_arn, current.map(|c| &c.0)),
            None => Ok(ServiceConnectConfiguration::builder()
                .enabled(false)
                .build()),
        }
        .map_err(|err| GatewayError::new(action.clone(), ErrorKind::Invalid, err.to_string()))?;
        self.update_service(cluster, service, action, |update| {
            update.service_connect_configuration(config)
        })
        .await
    }

    /// Starts a new deployment of a service with its configuration as it is, so that
    /// its new tasks learn the namespace's endpoints as they are now (running tasks only
    /// know those that existed when they started).
    pub async fn redeploy(&self, cluster: &str, service: &str) -> Result<Deployment, GatewayError> {
        let action = format!("redeploying ECS service {cluster}/{service}");
        self.update_service(cluster, service, action, |update| {
            update.force_new_deployment(true)
        })
        .await
    }

    /// One UpdateService call: `change` says what to change.
    async fn update_service(
        &self,
        cluster: &str,
        service: &str,
        action: String,
        change: impl FnOnce(UpdateServiceFluentBuilder) -> UpdateServiceFluentBuilder,
    ) -> Result<Deployment, GatewayError> {
        let _permit = self.permit().await;
        let update = self
            .client
            .update_service()
            .cluster(cluster)
            .service(service);
        let output = change(update)
            .send()
            .await
            .map_err(|err| GatewayError::from_sdk(action, &err))?;
        Ok(started_deployment(output.service()))
    }

    /// The ECS services of any cluster associated with a Cloud Map namespace (its name
    /// or ARN), as ARNs, following ListServicesByNamespace's pages. botocore's ECS model:
    /// "all of the services that are associated with a Cloud Map namespace. This list
    /// might include services in different clusters"; what "associated" covers beyond
    /// that is undocumented, so callers leave their own services out by name.
    pub async fn services_by_namespace(
        &self,
        namespace: &str,
    ) -> Result<Vec<String>, GatewayError> {
        let _permit = self.permit().await;
        every_item!(
            self.client
                .list_services_by_namespace()
                .namespace(namespace),
            format!("listing ECS services of Cloud Map namespace {namespace}")
        )
    }

    /// Every service name in a cluster, following ListServices' pages.
    pub async fn list_service_names(&self, cluster: &str) -> Result<Vec<String>, GatewayError> {
        // One permit for the whole listing: its pages are requested one after another.
        let _permit = self.permit().await;
        let arns: Vec<String> = every_item!(
            self.client.list_services().cluster(cluster),
            format!("listing ECS services in cluster {cluster}")
        )?;
        Ok(arns
            .iter()
            .map(|arn| arn.rsplit('/').next().unwrap_or(arn).to_string())
            .collect())
    }

    /// The named port mappings of each task definition, each read once, concurrently.
    pub async fn port_mappings_of<'a>(
        &self,
        task_definitions: impl IntoIterator<Item = &'a String>,
    ) -> BTreeMap<String, Result<PortMappings, GatewayError>> {
        let distinct: BTreeSet<&String> = task_definitions.into_iter().collect();
        // Owned names: a closure over references trips the Send check of async callers.
        let names: Vec<String> = distinct.iter().map(|td| (*td).clone()).collect();
        let lookups = in_order(names, self.in_flight(), |td: String| async move {
            self.port_mappings(&td).await
        })
        .await;
        distinct.into_iter().cloned().zip(lookups).collect()
    }

    async fn port_mappings(&self, task_definition: &str) -> Result<PortMappings, GatewayError> {
        let _permit = self.permit().await;
        let output = self
            .client
            .describe_task_definition()
            .task_definition(task_definition)
            .send()
            .await
            .map_err(|err| {
                GatewayError::from_sdk(
                    format!("reading ECS task definition {task_definition}"),
                    &err,
                )
            })?;
        Ok(PortMappings(
            output
                .task_definition()
                .map(|definition| {
                    definition
                        .container_definitions()
                        .iter()
                        .flat_map(|container| container.port_mappings())
                        .filter_map(|mapping| {
                            Some(PortMapping {
                                name: mapping.name()?.to_string(),
                                container_port: mapping
                                    .container_port()
                                    .and_then(|p| u16::try_from(p).ok()),
                                app_protocol: mapping
                                    .app_protocol()
                                    .map(|p| p.as_str().to_string()),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default(),
        ))
    }

    async fn permit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.limit.permit().await
    }
}

/// The deployment an UpdateService started: the PRIMARY one of its answer. `None`
/// when the answer shows none (a service without deployments, such as one with the
/// CODE_DEPLOY controller).
pub type Deployment = Option<String>;

fn started_deployment(service: Option<&aws_sdk_ecs::types::Service>) -> Deployment {
    service?
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
        .and_then(|d| d.id())
        .map(str::to_string)
}

/// The domain's view of a described service, keeping the PRIMARY deployment's raw
/// configuration.
fn service_from_sdk(service: &aws_sdk_ecs::types::Service) -> Option<EcsService> {
    let name = service.service_name()?.to_string();
    let primary = service
        .deployments()
        .iter()
        .find(|deployment| deployment.status() == Some("PRIMARY"));
    let raw = primary
        .and_then(|d| d.service_connect_configuration())
        .cloned();
    let observed = ObservedService {
        name,
        arn: service.service_arn().unwrap_or_default().to_string(),
        status: service.status().unwrap_or_default().to_string(),
        task_definition: primary
            .and_then(|d| d.task_definition())
            .or(service.task_definition())
            .unwrap_or_default()
            .to_string(),
        service_connect: raw.as_ref().map(observed_service_connect),
        discovery_resources: primary
            .map(|d| {
                d.service_connect_resources()
                    .iter()
                    .filter_map(|r| {
                        Some((
                            r.discovery_name()?.to_string(),
                            r.discovery_arn()?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        deployments: service
            .deployments()
            .iter()
            .map(|d| ObservedDeployment {
                id: d.id().unwrap_or_default().to_string(),
                status: d.status().unwrap_or_default().to_string(),
                rollout_state: d.rollout_state().map(|s| s.as_str().to_string()),
                rollout_state_reason: d.rollout_state_reason().map(str::to_string),
            })
            .collect(),
        deployment_controller: service
            .deployment_controller()
            .map(|c| c.r#type().as_str().to_string()),
        launch_type: service.launch_type().map(|t| t.as_str().to_string()),
    };
    Some(EcsService {
        observed,
        raw_service_connect: raw.map(RunningServiceConnect),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::{ServiceConnectClientAlias, ServiceConnectService};

    fn described(config: Option<ServiceConnectConfiguration>) -> EcsService {
        let deployment = aws_sdk_ecs::types::Deployment::builder()
            .id("ecs-svc/1")
            .status("PRIMARY")
            .task_definition("arn:aws:ecs:eu-west-1:1:task-definition/backend:3")
            .set_service_connect_configuration(config)
            .build();
        let service = aws_sdk_ecs::types::Service::builder()
            .service_name("backend")
            .service_arn("arn:aws:ecs:eu-west-1:1:service/prod/backend")
            .status("ACTIVE")
            .deployments(deployment)
            .build();
        service_from_sdk(&service).unwrap()
    }

    fn wired(alias: ServiceConnectClientAlias) -> ServiceConnectConfiguration {
        ServiceConnectConfiguration::builder()
            .enabled(true)
            .namespace("arn:aws:servicediscovery:eu-west-1:1:namespace/ns-1")
            .services(
                ServiceConnectService::builder()
                    .port_name("backend-8080-tcp")
                    .discovery_name("backend")
                    .client_aliases(alias)
                    .build()
                    .unwrap(),
            )
            .build()
    }

    #[test]
    fn a_service_whose_configuration_comes_back_exactly_is_recalled_as_read() {
        let alias = ServiceConnectClientAlias::builder()
            .port(8080)
            .dns_name("backend.internal.myapp")
            .build()
            .unwrap();
        for service in [described(Some(wired(alias))), described(None)] {
            assert!(service.recallable());
            let recalled = EcsService::recalled(service.observed.clone()).unwrap();
            assert_eq!(
                recalled.raw_service_connect.map(|c| c.0),
                service.raw_service_connect.map(|c| c.0)
            );
        }
    }

    #[test]
    fn a_service_with_a_shape_the_domain_does_not_say_is_not_recallable() {
        // The domain reads a port outside u16 as 0, so the rebuilt alias differs.
        let alias = ServiceConnectClientAlias::builder()
            .port(70000)
            .build()
            .unwrap();
        assert!(!described(Some(wired(alias))).recallable());
    }
}
