//! Plan-time checks against AWS, read-only: every listed ECS service exists and is
//! ACTIVE, each port alias is in the service's task definition (whose container port
//! fills an unset `port`, so endpoints are known in the plan), and the namespace name
//! is not already taken in the VPC. Only what the plan changes is checked, each
//! distinct task definition is read once, and nothing is checked while values or the
//! provider configuration are unknown: those checks wait for apply.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::join_all;

use super::apply::cluster_prefix;
use super::model::InternalModel;
use crate::aws::error::GatewayError;
use crate::aws::gateway::Gateway;
use crate::mesh::model::Wiring;
use crate::mesh::names::cluster_name;
use crate::mesh::reconcile::{NamespaceRef, is_in_place};
use crate::protocol::diagnostics::{Diagnostic, Diagnostics};
use crate::protocol::value::{Attr, AttributePath};

fn service_path(key: &str) -> AttributePath {
    AttributePath::root().attribute("services").key(key)
}

pub(super) async fn check(
    gateway: &Gateway,
    prior: Option<&InternalModel>,
    planned: &mut InternalModel,
) -> Diagnostics {
    let mut diagnostics = Diagnostics::default();
    let Attr::Known(cluster) = planned.cluster.clone() else {
        return diagnostics;
    };
    let cluster = cluster_name(&cluster).to_string();
    match check_services(gateway, &cluster, prior, planned, &mut diagnostics).await {
        Err(err) if err.has_code("ClusterNotFoundException") => diagnostics.push(
            Diagnostic::error(
                "ECS cluster not found",
                format!(
                    "ECS cluster {cluster} does not exist in {}. Check the name, and that the provider's \
                     region and account are the cluster's.",
                    gateway.region
                ),
            )
            .at(AttributePath::root().attribute("cluster")),
        ),
        Err(err) => diagnostics.push(Diagnostic::error("Checking the ECS services failed", err.to_string())),
        Ok(()) => {}
    }
    if prior.is_none()
        && let Err(err) = check_namespace(gateway, &cluster, planned, &mut diagnostics).await
    {
        diagnostics.push(Diagnostic::error(
            "Checking the namespace failed",
            err.to_string(),
        ));
    }
    diagnostics
}

async fn check_services(
    gateway: &Gateway,
    cluster: &str,
    prior: Option<&InternalModel>,
    planned: &mut InternalModel,
    diagnostics: &mut Diagnostics,
) -> Result<(), GatewayError> {
    let prior_services = prior.and_then(|p| p.services.known());
    let prior_clients = prior.map(InternalModel::client_names).unwrap_or_default();
    // Servers whose wiring the plan changes, or whose port is still to be found.
    let servers: Vec<String> = planned
        .services
        .known()
        .map(|services| {
            services
                .iter()
                .filter(|(key, service)| {
                    let before = prior_services.and_then(|p| p.get(*key));
                    service.port.is_unknown()
                        || before.is_none_or(|b| b.port_name != service.port_name)
                })
                .filter(|(_, service)| service.port_name.is_known())
                .map(|(key, _)| key.clone())
                .collect()
        })
        .unwrap_or_default();
    let clients: Vec<String> = planned
        .client_names()
        .difference(&prior_clients)
        .cloned()
        .collect();
    let names: Vec<String> = servers
        .iter()
        .chain(clients.iter())
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    let described = gateway.ecs.describe_services(cluster, &names).await?;
    let mut task_definitions = BTreeSet::new();
    for name in &names {
        let path = if servers.contains(name) {
            service_path(name)
        } else {
            AttributePath::root().attribute("client_services")
        };
        match described.get(name).and_then(Option::as_ref) {
            None => diagnostics.push(
                Diagnostic::error(
                    "ECS service not found",
                    format!(
                        "ECS service {cluster}/{name} does not exist (or is no longer ACTIVE). Create it first, \
                         or fix the name: keys of `services` and entries of `client_services` are ECS service names."
                    ),
                )
                .at(path),
            ),
            Some(service) if !service.observed.is_active() => diagnostics.push(
                Diagnostic::error(
                    "ECS service not active",
                    format!(
                        "ECS service {cluster}/{name} is {}; Service Connect can only be enabled on an ACTIVE service.",
                        service.observed.status
                    ),
                )
                .at(path),
            ),
            Some(service) => {
                if servers.contains(name) {
                    task_definitions.insert(service.observed.task_definition.clone());
                }
                let new_to_us = prior.is_none_or(|p| !p.service_names().contains(name));
                if new_to_us && let Some(warning) = foreign_settings(cluster, name, service, planned) {
                    diagnostics.push(warning.at(path));
                }
            }
        }
    }
    let lookups = join_all(
        task_definitions
            .iter()
            .map(|td| gateway.ecs.port_mappings(td)),
    )
    .await;
    let mut mappings = BTreeMap::new();
    for (task_definition, lookup) in task_definitions.iter().zip(lookups) {
        mappings.insert(task_definition.clone(), lookup?);
    }
    let Attr::Known(services) = &mut planned.services else {
        return Ok(());
    };
    for name in &servers {
        let (Some(service), Some(Some(ecs_service))) =
            (services.get_mut(name), described.get(name))
        else {
            continue;
        };
        let task_definition = &ecs_service.observed.task_definition;
        let Some(ports) = mappings.get(task_definition) else {
            continue;
        };
        let Attr::Known(port_name) = &service.port_name else {
            continue;
        };
        match ports.iter().find(|(mapping, _)| mapping == port_name) {
            Some((_, Some(port))) if service.port.is_unknown() => service.port = Attr::Known(*port),
            Some(_) => {}
            None => {
                let names: Vec<&str> = ports.iter().map(|(n, _)| n.as_str()).collect();
                diagnostics.push(
                    Diagnostic::error(
                        "Port name not in the task definition",
                        format!(
                            "services[\"{name}\"].port_name is {port_name:?}, but task definition {task_definition} of \
                             ECS service {cluster}/{name} has no port mapping of that name. {}",
                            if names.is_empty() {
                                "It has no named port mappings: add `name` to a port mapping first.".to_string()
                            } else {
                                format!("It has: {}.", names.join(", "))
                            }
                        ),
                    )
                    .at(service_path(name)),
                );
            }
        }
    }
    Ok(())
}

/// A new owned namespace must not collide with one this resource does not own; an
/// existing one must exist.
async fn check_namespace(
    gateway: &Gateway,
    cluster: &str,
    planned: &InternalModel,
    diagnostics: &mut Diagnostics,
) -> Result<(), GatewayError> {
    let owned = planned.namespace_owned.known().copied().unwrap_or(false);
    if !owned
        && let Attr::Known(id) = &planned.namespace_id
        && gateway.cloudmap.get_namespace(id).await?.is_none()
    {
        diagnostics.push(
            Diagnostic::error(
                "Namespace not found",
                format!(
                    "No Cloud Map namespace has the id {id:?} in {}. Check the id, and that the provider's \
                     region and account are the namespace's.",
                    gateway.region
                ),
            )
            .at(AttributePath::root().attribute("namespace_id")),
        );
    }
    let (Attr::Known(name), Attr::Known(vpc_id)) = (&planned.namespace, &planned.vpc_id) else {
        return Ok(());
    };
    if !owned {
        return Ok(());
    }
    let ours = cluster_prefix(cluster);
    for (id, _, kind) in gateway.cloudmap.find_namespaces_by_name(name).await? {
        if kind != "DNS_PRIVATE" {
            continue;
        }
        let Some(existing) = gateway.cloudmap.get_namespace(&id).await? else {
            continue;
        };
        if existing
            .creator_request_id
            .as_deref()
            .is_some_and(|r| r.starts_with(&ours))
        {
            continue; // left by an interrupted create of ours: apply adopts it
        }
        let in_vpc = match &existing.hosted_zone_id {
            Some(zone) => gateway
                .route53
                .hosted_zone_vpcs(zone)
                .await?
                .contains(vpc_id),
            None => false,
        };
        if in_vpc {
            diagnostics.push(
                Diagnostic::error(
                    "Namespace already exists",
                    format!(
                        "A private DNS namespace named {name:?} already exists in {vpc_id} ({id}), and this resource \
                         did not create it. Import it with `terraform import <address> {cluster}/{id}`, or wire onto it \
                         with `namespace_id = \"{id}\"` instead of `namespace` and `vpc_id`."
                    ),
                )
                .at(AttributePath::root().attribute("namespace")),
            );
        }
    }
    Ok(())
}

/// Service Connect this resource did not set, on a service it is about to wire: say so
/// plainly, since applying replaces it (and another tool may put it back).
fn foreign_settings(
    cluster: &str,
    name: &str,
    service: &crate::aws::ecs::EcsService,
    planned: &InternalModel,
) -> Option<Diagnostic> {
    let current = service
        .observed
        .service_connect
        .as_ref()
        .filter(|sc| sc.enabled)?;
    let namespace = NamespaceRef {
        id: planned.id.known().cloned().unwrap_or_default(),
        arn: planned.namespace_arn.known().cloned().unwrap_or_default(),
        name: planned.namespace.known().cloned().unwrap_or_default(),
    };
    let desired = match planned.services.known().and_then(|s| s.get(name)) {
        Some(server) => server.server_spec().map(Wiring::Server),
        None => Some(Wiring::Client),
    };
    if desired.is_some_and(|d| is_in_place(&d, Some(current), &namespace)) {
        return None; // adopting exactly what is there: nothing changes
    }
    let elsewhere = current
        .namespace
        .as_deref()
        .unwrap_or("an unnamed namespace");
    Some(Diagnostic::warning(
        "Service Connect set outside this resource",
        format!(
            "ECS service {cluster}/{name} already has Service Connect (namespace {elsewhere}) that this resource did \
             not set. Applying replaces it with this configuration and redeploys the service. If an aws_ecs_service \
             resource also manages it, add `lifecycle {{ ignore_changes = [service_connect_configuration] }}` there \
             so the two do not undo each other."
        ),
    ))
}
