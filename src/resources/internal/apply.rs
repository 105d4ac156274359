//! Apply: create, update and destroy the mesh, recording exactly what was done.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{BuildHasher, Hasher};

use super::InternalResource;
use super::model::{
    InternalModel, Operation, PrivateState, ServiceModel, attr_map, endpoints_of, plain_map,
};
use super::plan_checks::taken_namespace_detail;
use super::wiring::{APPEARANCE_WAIT, Patience, WiringOutcome, wire};
use crate::aws::cloudmap::CloudMapService;
use crate::aws::error::GatewayError;
use crate::aws::gateway::Gateway;
use crate::mesh::model::{ObservedNamespace, Wiring};
use crate::mesh::names::cluster_name;
use crate::mesh::reconcile::NamespaceRef;
use crate::protocol::diagnostics::{Diagnostic, Diagnostics};
use crate::protocol::provider::{ApplyRequest, ApplyResponse, CallContext};
use crate::protocol::value::{Attr, Value};

/// Our namespaces' CreatorRequestId starts with this, then a hash of the cluster.
const REQUEST_ID_PREFIX: &str = "tf-servicemesh-";

pub(super) async fn apply(
    resource: &InternalResource,
    request: ApplyRequest,
    ctx: &CallContext,
) -> ApplyResponse {
    let decoded = resource
        .decode(&request.prior_state)
        .and_then(|prior| Ok((prior, resource.decode(&request.planned_state)?)));
    let (prior, planned) = match decoded {
        Ok(pair) => pair,
        Err(diagnostics) => return unchanged(&request, diagnostics),
    };
    let gateway = match resource.gateway() {
        Ok(gateway) => gateway,
        Err(diagnostics) => return unchanged(&request, diagnostics),
    };
    let mut private = PrivateState::decode(&request.planned_private);
    // Only plans need it; what is stored is the new object's own.
    private.prior_namespace = None;
    let (mut state, private, diagnostics) = match (prior, planned) {
        (None, Some(planned)) => create(&gateway, planned, private, ctx).await,
        (Some(prior), Some(planned)) => update(&gateway, prior, planned, private, ctx).await,
        (Some(prior), None) => delete(&gateway, prior, private, ctx).await,
        (None, None) => (None, private, Diagnostics::default()),
    };
    if let Some(model) = &mut state {
        model.pending_cleanup = private.pending_names();
    }
    let new_identity = state.as_ref().and_then(|model| resource.identity(model));
    let new_state = match state.map(|model| resource.encode(&model)).transpose() {
        Ok(state) => state.unwrap_or(Value::Null),
        Err(errors) => return unchanged(&request, errors),
    };
    ApplyResponse {
        new_state,
        private: private.encode(),
        new_identity,
        diagnostics,
    }
}

fn unchanged(request: &ApplyRequest, diagnostics: Diagnostics) -> ApplyResponse {
    ApplyResponse {
        new_state: request.prior_state.clone(),
        private: request.planned_private.clone(),
        new_identity: request.planned_identity.clone(),
        diagnostics,
    }
}

type Applied = (Option<InternalModel>, PrivateState, Diagnostics);

async fn create(
    gateway: &Gateway,
    mut planned: InternalModel,
    mut private: PrivateState,
    ctx: &CallContext,
) -> Applied {
    let timeout = planned.timeout(Operation::Create);
    let cluster = planned.cluster.known().cloned().unwrap_or_default();
    let owned = planned.namespace_owned.known().copied().unwrap_or(true);
    let namespace = if owned {
        let request_id = private
            .creator_request_id
            .get_or_insert_with(|| new_request_id(&cluster))
            .clone();
        find_or_create_namespace(gateway, &planned, &cluster, &request_id, timeout, ctx).await
    } else {
        existing_namespace(gateway, &planned).await
    };
    let namespace = match namespace {
        Ok(namespace) => namespace,
        Err(err) => {
            return (
                None,
                private,
                Diagnostics::error("Creating the service mesh failed", err.to_string()),
            );
        }
    };
    record_namespace(&mut planned, &namespace, owned, gateway);
    let mut diagnostics = Diagnostics::default();
    let state = wire_and_record(
        gateway,
        planned,
        None,
        &namespace,
        ctx,
        &mut private,
        &mut diagnostics,
    )
    .await;
    if diagnostics.has_errors() {
        diagnostics.push(Diagnostic::error(
            "The namespace exists; some services are not wired",
            "Terraform marks a resource whose create failed as tainted and would replace it, namespace and all. \
             Fix the cause above, then run `terraform untaint <address>` and `terraform apply`: the next apply \
             wires only the services that are missing, without recreating anything.",
        ));
    }
    (Some(state), private, diagnostics)
}

async fn update(
    gateway: &Gateway,
    prior: InternalModel,
    mut planned: InternalModel,
    private: PrivateState,
    ctx: &CallContext,
) -> Applied {
    let timeout = planned.timeout(Operation::Update);
    let owned = prior.namespace_owned.known().copied().unwrap_or(false);
    let namespace_id = prior.id.known().cloned().unwrap_or_default();
    let mut diagnostics = Diagnostics::default();
    let namespace = match gateway.cloudmap.get_namespace(&namespace_id).await {
        Ok(Some(namespace)) => namespace,
        Ok(None) => {
            let err = GatewayError::new(
                format!("reading Cloud Map namespace {namespace_id}"),
                None,
                "the namespace no longer exists",
            );
            return (
                Some(prior),
                private,
                Diagnostics::error("Updating the service mesh failed", err.to_string()),
            );
        }
        Err(err) => {
            return (
                Some(prior),
                private,
                Diagnostics::error("Updating the service mesh failed", err.to_string()),
            );
        }
    };
    if owned {
        // Namespace settings first: if they fail, nothing else has changed.
        if let Err(err) =
            update_namespace(gateway, &prior, &planned, &namespace, timeout, ctx).await
        {
            return (
                Some(prior),
                private,
                Diagnostics::error("Updating the service mesh failed", err.to_string()),
            );
        }
    }
    record_namespace(&mut planned, &namespace, owned, gateway);
    let mut private = private;
    let state = wire_and_record(
        gateway,
        planned,
        Some(&prior),
        &namespace,
        ctx,
        &mut private,
        &mut diagnostics,
    )
    .await;
    (Some(state), private, diagnostics)
}

async fn delete(
    gateway: &Gateway,
    prior: InternalModel,
    private: PrivateState,
    ctx: &CallContext,
) -> Applied {
    let timeout = prior.timeout(Operation::Delete);
    let owned = prior.namespace_owned.known().copied().unwrap_or(false);
    let namespace_id = prior.id.known().cloned().unwrap_or_default();
    let cluster = prior.cluster.known().cloned().unwrap_or_default();
    let namespace = match gateway.cloudmap.get_namespace(&namespace_id).await {
        Ok(Some(namespace)) => namespace,
        // Already gone: nothing is wired to it any more either.
        Ok(None) => return (None, private, Diagnostics::default()),
        Err(err) => {
            return (
                Some(prior),
                private,
                Diagnostics::error("Destroying the service mesh failed", err.to_string()),
            );
        }
    };
    let reference = NamespaceRef::from(&namespace);
    // Nothing to wait for: turning services off needs none to appear.
    let patience = Patience {
        appearance: std::time::Duration::ZERO,
        cancel: ctx.cancel.clone(),
    };
    let outcome = match wire(
        gateway,
        cluster_name(&cluster),
        BTreeMap::new(),
        &prior.service_names(),
        &reference,
        &patience,
    )
    .await
    {
        Ok(outcome) => outcome,
        Err(err) => {
            return (
                Some(prior),
                private,
                Diagnostics::error("Destroying the service mesh failed", err.to_string()),
            );
        }
    };
    let mut diagnostics = failures_to_diagnostics(&outcome);
    if diagnostics.has_errors() {
        return (Some(prior), private, diagnostics);
    }
    // What ECS made for our services; in an owned namespace, everything in it.
    let mut leftovers: Vec<CloudMapService> = outcome
        .freed_discovery
        .iter()
        .chain(private.pending_cleanup.iter())
        .map(|(name, arn)| cloud_map_service(name, arn))
        .collect();
    if owned {
        match gateway.cloudmap.services_in(&namespace.id).await {
            Ok(all) => leftovers = all,
            Err(err) => {
                return (
                    Some(prior),
                    private,
                    Diagnostics::error("Destroying the service mesh failed", err.to_string()),
                );
            }
        }
    }
    for service in &leftovers {
        if let Err(err) = gateway
            .cloudmap
            .delete_service(service, timeout, &ctx.cancel)
            .await
        {
            diagnostics.push(Diagnostic::error(
                "Destroying the service mesh failed",
                err.to_string(),
            ));
        }
    }
    if diagnostics.has_errors() {
        return (Some(prior), private, diagnostics);
    }
    if owned
        && let Err(err) = gateway
            .cloudmap
            .delete_namespace(&namespace.id, timeout, &ctx.cancel)
            .await
    {
        return (
            Some(prior),
            private,
            Diagnostics::error("Destroying the service mesh failed", err.to_string()),
        );
    }
    (None, private, diagnostics)
}

/// Wires the planned services and writes into the model exactly what is in place.
async fn wire_and_record(
    gateway: &Gateway,
    mut model: InternalModel,
    prior: Option<&InternalModel>,
    namespace: &ObservedNamespace,
    ctx: &CallContext,
    private: &mut PrivateState,
    diagnostics: &mut Diagnostics,
) -> InternalModel {
    let cluster = model.cluster.known().cloned().unwrap_or_default();
    let reference = NamespaceRef::from(namespace);
    let previously_managed = &prior.map(InternalModel::service_names).unwrap_or_default();
    let desired = model.desired_wiring();
    let managed: BTreeSet<String> = desired
        .keys()
        .chain(previously_managed.iter())
        .cloned()
        .collect();
    let timeout = model.timeout(match prior {
        Some(_) => Operation::Update,
        None => Operation::Create,
    });
    let patience = Patience {
        appearance: APPEARANCE_WAIT.min(timeout),
        cancel: ctx.cancel.clone(),
    };
    let outcome = match wire(
        gateway,
        cluster_name(&cluster),
        desired,
        previously_managed,
        &reference,
        &patience,
    )
    .await
    {
        Ok(outcome) => outcome,
        Err(err) => {
            // Nothing was changed: the services are as they were before.
            diagnostics.push(Diagnostic::error(
                "Wiring Service Connect failed",
                err.to_string(),
            ));
            match prior {
                Some(prior) => {
                    model.services = prior.services.clone();
                    model.client_services = prior.client_services.clone();
                    model.endpoints = prior.endpoints.clone();
                }
                None => record_services(&mut model, &BTreeMap::new()),
            }
            return model;
        }
    };
    diagnostics.extend(failures_to_diagnostics(&outcome));
    clean_freed_discovery(gateway, &outcome, private, timeout, ctx, diagnostics).await;
    if model.wait_for_steady_state()
        && !outcome.changed.is_empty()
        && let Err(err) =
            wait_for_steady_state(gateway, &cluster, &outcome.changed, timeout, ctx).await
    {
        diagnostics.push(Diagnostic::error(
            "Waiting for the new deployments failed",
            err.to_string(),
        ));
    }
    let in_place: BTreeMap<String, Wiring> = outcome
        .in_place
        .into_iter()
        .filter(|(name, _)| managed.contains(name))
        .collect();
    record_services(&mut model, &in_place);
    model
}

/// Writes the services that are in place into the model's `services` and
/// `client_services`, keeping a null attribute null when nothing is in it.
fn record_services(model: &mut InternalModel, in_place: &BTreeMap<String, Wiring>) {
    let servers: BTreeMap<String, ServiceModel> = in_place
        .iter()
        .filter_map(|(name, wiring)| match wiring {
            Wiring::Server(spec) => Some((name.clone(), ServiceModel::from_spec(spec))),
            Wiring::Client => None,
        })
        .collect();
    let clients: Vec<Attr<String>> = in_place
        .iter()
        .filter(|(_, wiring)| matches!(wiring, Wiring::Client))
        .map(|(name, _)| Attr::Known(name.clone()))
        .collect();
    model.services = if servers.is_empty() && model.services.is_null() {
        Attr::Null
    } else {
        Attr::Known(servers)
    };
    model.client_services = if clients.is_empty() && model.client_services.is_null() {
        Attr::Null
    } else {
        Attr::Known(clients)
    };
    model.endpoints = endpoints_of(&model.services);
}

fn failures_to_diagnostics(outcome: &WiringOutcome) -> Diagnostics {
    outcome
        .failures
        .iter()
        .map(|(_, err)| Diagnostic::error("Wiring Service Connect failed", err.to_string()))
        .collect()
}

/// Deletes the Cloud Map services ECS made for discovery names no longer in use.
/// ECS may still hold them while old tasks drain: a warning, and a later apply or
/// destroy finishes the job.
async fn clean_freed_discovery(
    gateway: &Gateway,
    outcome: &WiringOutcome,
    private: &mut PrivateState,
    timeout: std::time::Duration,
    ctx: &CallContext,
    diagnostics: &mut Diagnostics,
) {
    // This pass's leftovers, and those earlier passes could not delete yet.
    let mut candidates = std::mem::take(&mut private.pending_cleanup);
    for freed in &outcome.freed_discovery {
        if !candidates.contains(freed) {
            candidates.push(freed.clone());
        }
    }
    for (name, arn) in candidates {
        let service = cloud_map_service(&name, &arn);
        if let Err(err) = gateway
            .cloudmap
            .delete_service(&service, timeout, &ctx.cancel)
            .await
        {
            diagnostics.push(Diagnostic::warning(
                "Cloud Map service left behind",
                format!(
                    "{}. The next apply deletes it (the plan lists it under pending_cleanup), and so \
                     does a destroy, once ECS lets go of it.",
                    // AWS's messages usually end in a full stop already.
                    err.to_string().trim_end_matches('.')
                ),
            ));
            private.pending_cleanup.push((name, arn));
        }
    }
}

async fn wait_for_steady_state(
    gateway: &Gateway,
    cluster: &str,
    services: &BTreeSet<String>,
    timeout: std::time::Duration,
    ctx: &CallContext,
) -> Result<(), GatewayError> {
    let names: Vec<String> = services.iter().cloned().collect();
    let mut waiter = crate::aws::wait::Waiter::for_operation(timeout, ctx.cancel.clone());
    loop {
        let observed = gateway
            .ecs
            .describe_services(cluster_name(cluster), &names)
            .await?;
        let rolling: Vec<&String> = observed
            .iter()
            .filter(|(_, s)| {
                s.as_ref()
                    .is_some_and(|s| s.observed.draining_deployments > 0)
            })
            .map(|(name, _)| name)
            .collect();
        if rolling.is_empty() {
            return Ok(());
        }
        if waiter.pause().await.is_err() {
            return Err(GatewayError::new(
                format!(
                    "waiting for the deployments of ECS services {} in cluster {cluster}",
                    names.join(", ")
                ),
                None,
                format!(
                    "still rolling out: {}",
                    rolling
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
}

async fn update_namespace(
    gateway: &Gateway,
    prior: &InternalModel,
    planned: &InternalModel,
    namespace: &ObservedNamespace,
    timeout: std::time::Duration,
    ctx: &CallContext,
) -> Result<(), GatewayError> {
    if prior.description != planned.description {
        let description = planned.description.known().cloned().unwrap_or_default();
        let request_id = new_request_id(&namespace.id);
        gateway
            .cloudmap
            .update_description(
                &namespace.id,
                &description,
                &request_id,
                timeout,
                &ctx.cancel,
            )
            .await?;
    }
    let wanted = wanted_tags(planned, gateway);
    let current = plain_map(&prior.tags_all);
    if wanted != current {
        gateway
            .cloudmap
            .set_tags(&namespace.arn, &current, &wanted)
            .await?;
    }
    Ok(())
}

fn wanted_tags(model: &InternalModel, gateway: &Gateway) -> BTreeMap<String, String> {
    let mut tags = gateway.default_tags.clone();
    tags.extend(model.plain_tags());
    tags
}

/// Finds the namespace an interrupted earlier create made (same name, same VPC, our
/// request-id prefix for this cluster) or creates it.
async fn find_or_create_namespace(
    gateway: &Gateway,
    planned: &InternalModel,
    cluster: &str,
    request_id: &str,
    timeout: std::time::Duration,
    ctx: &CallContext,
) -> Result<ObservedNamespace, GatewayError> {
    let name = planned.namespace.known().cloned().unwrap_or_default();
    let vpc_id = planned.vpc_id.known().cloned().unwrap_or_default();
    let ours = cluster_prefix(cluster);
    for (id, _, kind) in gateway.cloudmap.find_namespaces_by_name(&name).await? {
        if kind != "DNS_PRIVATE" {
            continue;
        }
        let Some(candidate) = gateway.cloudmap.get_namespace(&id).await? else {
            continue;
        };
        let request_id = candidate.creator_request_id.as_deref().unwrap_or_default();
        let from_us = request_id.starts_with(&ours);
        // Another cluster's mesh, e.g. the object a cluster change with
        // create_before_destroy is replacing. Cloud Map fails a namespace whose private
        // hosted zone overlaps one already associated with the VPC (CANNOT_CREATE_HOSTED_ZONE
        // / ConflictingDomainExists; terraform-provider-aws servicediscovery operation.go),
        // so stop here, before anything changes.
        let from_another_mesh = !from_us && is_servicemesh_request_id(request_id);
        if !from_us && !from_another_mesh {
            continue;
        }
        let in_vpc = match &candidate.hosted_zone_id {
            Some(zone) => gateway
                .route53
                .hosted_zone_vpcs(zone)
                .await?
                .contains(&vpc_id),
            None => false,
        };
        if in_vpc && from_another_mesh {
            return Err(GatewayError::new(
                format!("creating Cloud Map private DNS namespace {name} in {vpc_id}"),
                None, // our own finding: no AWS error code
                taken_namespace_detail(&name, &vpc_id, &candidate.id, cluster_name(cluster), true),
            ));
        }
        if in_vpc {
            tracing::info!(namespace = %candidate.id, "adopting the namespace an interrupted create made");
            return Ok(candidate);
        }
    }
    let tags = wanted_tags(planned, gateway);
    let outcome = gateway
        .cloudmap
        .create_private_dns_namespace(
            &crate::aws::cloudmap::NamespaceRequest {
                name: &name,
                vpc_id: &vpc_id,
                description: planned.description.known().map(String::as_str),
                tags: &tags,
                request_id,
            },
            timeout,
            &ctx.cancel,
        )
        .await?;
    let id = outcome.namespace_id().to_string();
    gateway.cloudmap.get_namespace(&id).await?.ok_or_else(|| {
        GatewayError::new(
            format!("reading Cloud Map namespace {id}"),
            None,
            "the namespace was created but cannot be read",
        )
    })
}

async fn existing_namespace(
    gateway: &Gateway,
    planned: &InternalModel,
) -> Result<ObservedNamespace, GatewayError> {
    let id = planned.namespace_id.known().cloned().unwrap_or_default();
    gateway.cloudmap.get_namespace(&id).await?.ok_or_else(|| {
        GatewayError::new(
            format!("reading Cloud Map namespace {id}"),
            Some("NamespaceNotFound".into()),
            "no namespace has this id in this account and region",
        )
    })
}

/// Writes the namespace's facts into the model.
fn record_namespace(
    model: &mut InternalModel,
    namespace: &ObservedNamespace,
    owned: bool,
    gateway: &Gateway,
) {
    model.set_namespace_facts(namespace);
    model.namespace_owned = Attr::Known(owned);
    model.tags_all = if owned {
        attr_map(&wanted_tags(model, gateway))
    } else {
        attr_map(&BTreeMap::new())
    };
    if model.vpc_id.is_unknown() {
        model.vpc_id = Attr::Null;
    }
    // DNS names that waited for the namespace's name can be derived now.
    if let Attr::Known(services) = &mut model.services {
        for (key, service) in services.iter_mut() {
            if service.dns_name.is_unknown() {
                service.dns_name = Attr::Null;
            }
            *service = std::mem::take(service).with_defaults(key, &model.namespace);
        }
    }
}

fn cloud_map_service(name: &str, arn: &str) -> CloudMapService {
    CloudMapService {
        id: arn.rsplit('/').next().unwrap_or(arn).to_string(),
        name: name.to_string(),
        arn: arn.to_string(),
    }
}

/// Whether a CreatorRequestId is one this provider made (for any cluster).
pub(super) fn is_servicemesh_request_id(request_id: &str) -> bool {
    request_id.starts_with(REQUEST_ID_PREFIX)
}

/// The request-id prefix of this cluster's namespaces.
pub(super) fn cluster_prefix(cluster: &str) -> String {
    format!(
        "{REQUEST_ID_PREFIX}{:016x}-",
        stable_hash(cluster_name(cluster))
    )
}

/// A fresh CreatorRequestId: the cluster's prefix and a random part (≤ 64 chars).
fn new_request_id(cluster: &str) -> String {
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    format!("{}{:016x}", cluster_prefix(cluster), random ^ nanos)
}

/// FNV-1a: stable across processes and releases, unlike std's hasher.
fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_fit_aws_limits_and_carry_the_cluster() {
        let id = new_request_id("arn:aws:ecs:eu-west-1:123456789012:cluster/prod");
        assert!(id.len() <= 64, "{id}");
        assert!(id.starts_with(&cluster_prefix("prod")));
        assert_ne!(id, new_request_id("prod"), "each create gets its own id");
        assert_ne!(cluster_prefix("prod"), cluster_prefix("staging"));
    }
}
