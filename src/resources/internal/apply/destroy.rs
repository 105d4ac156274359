//! Destroy: turn Service Connect off on the mesh's services, delete the Cloud Map
//! services ECS made for them, then the namespace if this resource owns it. A destroy
//! that stops keeps in the state exactly what is still there.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::wire::{clean_freed_discovery, failures_to_diagnostics};
use super::{Applied, delete_cloud_map_services, pending_services, recorded_namespace};
use crate::aws::error::GatewayError;
use crate::aws::gateway::Gateway;
use crate::mesh::model::ObservedNamespace;
use crate::mesh::names::cluster_name;
use crate::mesh::reconcile::NamespaceRef;
use crate::protocol::diagnostics::{Diagnostic, Diagnostics};
use crate::protocol::provider::CallContext;
use crate::resources::internal::model::{InternalModel, Operation, PrivateState, Successor};
use crate::resources::internal::wiring::{Patience, WiringOutcome, wire};

const FAILED: &str = "Destroying the service mesh failed";

/// Destroys the mesh. When a create follows that takes over the same namespace (the
/// replacement of a tainted mesh), only what the successor would not rebuild the same
/// goes: the namespace stays, and so do the services it wires again.
pub(super) async fn destroy(
    gateway: &Gateway,
    mut prior: InternalModel,
    private: &mut PrivateState,
    successor: Option<&Successor>,
    ctx: &CallContext,
) -> Applied {
    match try_destroy(gateway, &mut prior, private, successor, ctx).await {
        Ok(diagnostics) => Applied::gone(diagnostics),
        // What is left: the object, less the services already turned off.
        Err(diagnostics) => Applied::stored(prior, diagnostics),
    }
}

/// On failure, the diagnostics; `prior` then holds what is still wired.
async fn try_destroy(
    gateway: &Gateway,
    prior: &mut InternalModel,
    private: &mut PrivateState,
    successor: Option<&Successor>,
    ctx: &CallContext,
) -> Result<Diagnostics, Diagnostics> {
    let timeout = prior.timeout(Operation::Delete);
    let Some(namespace) = recorded_namespace(gateway, prior, private, timeout, ctx)
        .await
        .map_err(failed)?
    else {
        // Already gone (or never made): nothing is wired to it either.
        return Ok(Diagnostics::default());
    };
    let outcome = turn_off(gateway, prior, private, successor, &namespace, ctx).await?;
    if successor.is_some() {
        tracing::info!(namespace = %namespace.id, "leaving the namespace to the mesh that replaces this one");
        return Ok(clean_freed_discovery(gateway, &outcome, private, timeout, ctx).await);
    }
    delete_leftovers(gateway, prior, private, &namespace, timeout, ctx).await?;
    if prior.owns_namespace() {
        gateway
            .cloudmap
            .delete_namespace(&namespace.id, timeout, &ctx.cancel)
            .await
            .map_err(failed)?;
    }
    Ok(Diagnostics::default())
}

fn failed(err: GatewayError) -> Diagnostics {
    Diagnostics::error(FAILED, err.to_string())
}

/// Turns Service Connect off on the services the successor (if any) does not wire
/// again; from here the state records what is still wired.
async fn turn_off(
    gateway: &Gateway,
    prior: &mut InternalModel,
    private: &mut PrivateState,
    successor: Option<&Successor>,
    namespace: &ObservedNamespace,
    ctx: &CallContext,
) -> Result<WiringOutcome, Diagnostics> {
    let turn_off: BTreeSet<String> = match successor {
        Some(successor) => prior
            .service_names()
            .difference(&successor.services)
            .cloned()
            .collect(),
        None => prior.service_names(),
    };
    // Nothing to wait for: turning services off needs none to appear.
    let patience = Patience {
        appearance: Duration::ZERO,
        cancel: ctx.cancel.clone(),
    };
    let cluster = prior.cluster.known().cloned().unwrap_or_default();
    let outcome = wire(
        gateway,
        cluster_name(&cluster),
        BTreeMap::new(),
        &turn_off,
        &NamespaceRef::from(namespace),
        &patience,
    )
    .await
    .map_err(failed)?;
    let turned_off: BTreeSet<String> = turn_off
        .into_iter()
        .filter(|name| !outcome.in_place.contains_key(name))
        .collect();
    prior.forget_services(&turned_off);
    private.remember_leftovers(&outcome.freed_discovery);
    let diagnostics = failures_to_diagnostics(&outcome);
    match diagnostics.has_errors() {
        true => Err(diagnostics),
        false => Ok(outcome),
    }
}

/// Deletes what ECS made for our services; in an owned namespace, every Cloud Map
/// service in it.
async fn delete_leftovers(
    gateway: &Gateway,
    prior: &InternalModel,
    private: &mut PrivateState,
    namespace: &ObservedNamespace,
    timeout: Duration,
    ctx: &CallContext,
) -> Result<(), Diagnostics> {
    let leftovers = if prior.owns_namespace() {
        gateway
            .cloudmap
            .services_in(&namespace.id)
            .await
            .map_err(failed)?
    } else {
        pending_services(private)
    };
    let diagnostics = delete_cloud_map_services(gateway, leftovers, private, timeout, ctx, |err| {
        Diagnostic::error(FAILED, err.to_string())
    })
    .await;
    match diagnostics.has_errors() {
        true => Err(diagnostics),
        false => Ok(()),
    }
}
