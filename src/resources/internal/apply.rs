//! Apply: create, update and destroy the mesh, recording exactly what was done.

use std::collections::{BTreeMap, BTreeSet};

use super::InternalResource;
use super::grouping::failure_diagnostics;
use super::model::{
    InternalModel, Operation, PrivateState, ServiceModel, Successor, attr_map, endpoints_of,
    plain_map,
};
use super::namespace::{
    CreateFailure, Unconfirmed, existing_namespace, find_or_create_namespace, new_request_id,
    settle_unconfirmed,
};
use super::wiring::{APPEARANCE_WAIT, Patience, WiringOutcome, wire};
use crate::aws::cloudmap::{
    CloudMapService, NamespaceRequest, OperationEnd, create_namespace_action,
};
use crate::aws::error::{ErrorKind, GatewayError};
use crate::aws::gateway::Gateway;
use crate::mesh::model::{ObservedNamespace, Wiring};
use crate::mesh::names::cluster_name;
use crate::mesh::reconcile::NamespaceRef;
use crate::protocol::diagnostics::{Diagnostic, Diagnostics};
use crate::protocol::provider::{ApplyRequest, ApplyResponse, CallContext};
use crate::protocol::value::{Attr, Value};

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
    // Only plans and the destroy half of a replacement need these; what is stored is
    // the new object's own.
    private.prior_namespace = None;
    let successor = private.successor.take();
    let (mut state, private, diagnostics) = match (prior, planned) {
        (None, Some(planned)) => create(&gateway, planned, private, ctx).await,
        (Some(prior), Some(planned)) => update(&gateway, prior, planned, private, ctx).await,
        (Some(prior), None) => {
            let successor = successor.filter(|s| s.takes_over(&prior));
            delete(&gateway, prior, private, successor.as_ref(), ctx).await
        }
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
        let name = planned.namespace.known().cloned().unwrap_or_default();
        let vpc_id = planned.vpc_id.known().cloned().unwrap_or_default();
        let tags = wanted_tags(&planned, gateway);
        let request = NamespaceRequest {
            name: &name,
            vpc_id: &vpc_id,
            description: planned.description.known().map(String::as_str),
            tags: &tags,
            request_id: &request_id,
        };
        find_or_create_namespace(gateway, &request, &cluster, &mut private, timeout, ctx).await
    } else {
        let id = planned.namespace_id.known().cloned().unwrap_or_default();
        existing_namespace(gateway, &id)
            .await
            .map_err(CreateFailure::nothing_made)
    };
    let namespace = match namespace {
        Ok(namespace) => namespace,
        Err(failure) if failure.may_exist => {
            return unconfirmed_create(gateway, planned, private, failure);
        }
        Err(failure) => {
            return (
                None,
                private,
                Diagnostics::error(
                    "Creating the service mesh failed",
                    failure.error.to_string(),
                ),
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
            "Terraform marks a mesh whose create failed as tainted and plans to replace it. Fix the cause \
             above and run `terraform apply`: the replacement keeps the namespace and the services already \
             wired, and wires only the missing ones. To see the same repair planned as an update instead, \
             run `terraform untaint <address>` first.",
        ));
    }
    (Some(state), private, diagnostics)
}

/// A create that stopped while AWS may be making the namespace: the state records the
/// mesh with nothing wired and the namespace's id if known (empty if not), so that a
/// read or destroy can find the namespace. Terraform keeps it as tainted.
fn unconfirmed_create(
    gateway: &Gateway,
    mut planned: InternalModel,
    private: PrivateState,
    failure: CreateFailure,
) -> Applied {
    let name = planned.namespace.known().cloned().unwrap_or_default();
    let stand_in = ObservedNamespace {
        id: failure.namespace_id.clone().unwrap_or_default(),
        name: name.clone(),
        ..ObservedNamespace::default()
    };
    record_namespace(&mut planned, &stand_in, true, gateway);
    record_services(&mut planned, &BTreeMap::new());
    let operation = private
        .namespace_operation
        .as_deref()
        .map(|op| format!(" (Cloud Map operation {op})"))
        .unwrap_or_default();
    let detail = format!(
        "{}\n\nCloud Map may have made namespace {name}{operation}, and no service is wired yet. \
         The state keeps the mesh (tainted) so nothing is lost: the next read finds the namespace, \
         `terraform destroy` deletes it, and `terraform apply` finishes the mesh.",
        failure.error
    );
    (
        Some(planned),
        private,
        Diagnostics::error("Creating the service mesh failed", detail),
    )
}

async fn update(
    gateway: &Gateway,
    prior: InternalModel,
    mut planned: InternalModel,
    mut private: PrivateState,
    ctx: &CallContext,
) -> Applied {
    let timeout = planned.timeout(Operation::Update);
    let owned = prior.namespace_owned.known().copied().unwrap_or(false);
    let namespace_id = prior.id.known().cloned().unwrap_or_default();
    let mut diagnostics = Diagnostics::default();
    let namespace = match recorded_namespace(gateway, &prior, &private, timeout, ctx).await {
        Ok(Some(namespace)) => namespace,
        Ok(None) => {
            let err = GatewayError::new(
                format!("reading Cloud Map namespace {namespace_id}"),
                ErrorKind::NotFound,
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
    private.namespace_operation = None;
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

/// Destroys the mesh. When a create follows that takes over the same namespace (the
/// replacement of a tainted mesh), only what the successor would not rebuild the same
/// goes: the namespace stays, and so do the services it wires again.
async fn delete(
    gateway: &Gateway,
    mut prior: InternalModel,
    mut private: PrivateState,
    successor: Option<&Successor>,
    ctx: &CallContext,
) -> Applied {
    let failed = |prior, private, err: GatewayError| {
        (
            Some(prior),
            private,
            Diagnostics::error("Destroying the service mesh failed", err.to_string()),
        )
    };
    let timeout = prior.timeout(Operation::Delete);
    let owned = prior.namespace_owned.known().copied().unwrap_or(false);
    let cluster = prior.cluster.known().cloned().unwrap_or_default();
    let namespace = match recorded_namespace(gateway, &prior, &private, timeout, ctx).await {
        Ok(Some(namespace)) => namespace,
        // Already gone (or never made): nothing is wired to it either.
        Ok(None) => return (None, private, Diagnostics::default()),
        Err(err) => return failed(prior, private, err),
    };
    let reference = NamespaceRef::from(&namespace);
    // Nothing to wait for: turning services off needs none to appear.
    let patience = Patience {
        appearance: std::time::Duration::ZERO,
        cancel: ctx.cancel.clone(),
    };
    let turn_off: BTreeSet<String> = match successor {
        Some(successor) => prior
            .service_names()
            .difference(&successor.services)
            .cloned()
            .collect(),
        None => prior.service_names(),
    };
    let outcome = match wire(
        gateway,
        cluster_name(&cluster),
        BTreeMap::new(),
        &turn_off,
        &reference,
        &patience,
    )
    .await
    {
        Ok(outcome) => outcome,
        Err(err) => return failed(prior, private, err),
    };
    // From here the state records what is still wired, so that a failed destroy
    // leaves a state that matches AWS.
    let turned_off: BTreeSet<String> = turn_off
        .iter()
        .filter(|name| !outcome.in_place.contains_key(*name))
        .cloned()
        .collect();
    forget_services(&mut prior, &turned_off);
    private.remember_leftovers(&outcome.freed_discovery);
    let mut diagnostics = failures_to_diagnostics(&outcome);
    if diagnostics.has_errors() {
        return (Some(prior), private, diagnostics);
    }
    if successor.is_some() {
        tracing::info!(namespace = %namespace.id, "leaving the namespace to the mesh that replaces this one");
        clean_freed_discovery(
            gateway,
            &outcome,
            &mut private,
            timeout,
            ctx,
            &mut diagnostics,
        )
        .await;
        return (None, private, diagnostics);
    }
    // What ECS made for our services; in an owned namespace, everything in it.
    let leftovers: Vec<CloudMapService> = if owned {
        match gateway.cloudmap.services_in(&namespace.id).await {
            Ok(all) => all,
            Err(err) => return failed(prior, private, err),
        }
    } else {
        private
            .pending_cleanup
            .iter()
            .map(|(name, arn)| cloud_map_service(name, arn))
            .collect()
    };
    for service in &leftovers {
        match gateway
            .cloudmap
            .delete_service(service, timeout, &ctx.cancel)
            .await
        {
            Ok(()) => private
                .pending_cleanup
                .retain(|(_, arn)| arn != &service.arn),
            Err(err) => {
                private.remember_leftovers([&(service.name.clone(), service.arn.clone())]);
                diagnostics.push(Diagnostic::error(
                    "Destroying the service mesh failed",
                    err.to_string(),
                ));
            }
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
        return failed(prior, private, err);
    }
    (None, private, diagnostics)
}

/// The namespace an update or destroy works on; `None` when it is gone. For a create that
/// stopped before it learnt the id, finds out what Cloud Map made, waiting (within the
/// delete timeout) for an operation still under way.
async fn recorded_namespace(
    gateway: &Gateway,
    prior: &InternalModel,
    private: &PrivateState,
    timeout: std::time::Duration,
    ctx: &CallContext,
) -> Result<Option<ObservedNamespace>, GatewayError> {
    // A create that stopped halfway, then `terraform untaint` or a destroy without a
    // refresh: nothing has read the namespace's id yet.
    if !prior.namespace_unconfirmed() {
        let namespace_id = prior.id.known().cloned().unwrap_or_default();
        return gateway.cloudmap.get_namespace(&namespace_id).await;
    }
    match settle_unconfirmed(gateway, prior, private).await? {
        Unconfirmed::Made(namespace) => Ok(Some(namespace)),
        Unconfirmed::NotMade => Ok(None),
        Unconfirmed::Creating(operation) => {
            let name = prior.namespace.known().cloned().unwrap_or_default();
            let vpc_id = prior.vpc_id.known().cloned().unwrap_or_default();
            let action = create_namespace_action(&name, &vpc_id);
            match gateway
                .cloudmap
                .created_namespace(&operation, &action, timeout, &ctx.cancel)
                .await
            {
                Ok(id) => gateway.cloudmap.get_namespace(&id).await,
                Err(OperationEnd::Failed(_)) => Ok(None),
                Err(OperationEnd::Unfinished(err)) => Err(err),
            }
        }
    }
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

/// Drops services from the model's `services` and `client_services`.
fn forget_services(model: &mut InternalModel, gone: &BTreeSet<String>) {
    if let Attr::Known(servers) = &mut model.services {
        servers.retain(|name, _| !gone.contains(name));
    }
    if let Attr::Known(clients) = &mut model.client_services {
        clients.retain(|name| name.known().is_none_or(|name| !gone.contains(name)));
    }
    model.endpoints = endpoints_of(&model.services);
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
    failure_diagnostics("Wiring Service Connect failed", &outcome.failures)
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
    private.remember_leftovers(&outcome.freed_discovery);
    for (name, arn) in std::mem::take(&mut private.pending_cleanup) {
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
                ErrorKind::Unfinished,
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
