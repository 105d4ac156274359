//! Destroy: turn Service Connect off on the mesh's services, delete the Cloud Map
//! services ECS made for them, then the namespace if this resource owns it. A destroy
//! that stops keeps in the state exactly what is still there.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::external::{external_names, sync_external};
use super::wire::{clean_freed_discovery, failures_to_diagnostics};
use super::{Applied, delete_cloud_map_services, pending_services, recorded_namespace};
use crate::aws::cloudmap::CloudMapService;
use crate::aws::error::GatewayError;
use crate::aws::gateway::Gateway;
use crate::mesh::model::ObservedNamespace;
use crate::mesh::names::cluster_name;
use crate::mesh::reconcile::NamespaceRef;
use crate::protocol::diagnostics::{Diagnostic, Diagnostics};
use crate::protocol::provider::CallContext;
use crate::protocol::value::Attr;
use crate::resources::internal::grouping::name_list;
use crate::resources::internal::model::{InternalModel, Operation, PrivateState, Successor};
use crate::resources::internal::users::{NamespaceUsers, Ours, namespace_users};
use crate::resources::internal::wiring::{Observation, Patience, WiringOutcome, observe, wire};

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
    let wired_before = prior.service_names();
    match try_destroy(gateway, &mut prior, private, successor, ctx).await {
        Ok(diagnostics) => Applied::gone(diagnostics),
        // What is left: the object, less the services already turned off.
        Err(mut diagnostics) => {
            diagnostics.push(halfway(&wired_before, &prior.service_names()));
            Applied::stored(prior, diagnostics)
        }
    }
}

/// What a destroy that stopped did and did not do, as the state now records it.
fn halfway(before: &BTreeSet<String>, still_wired: &BTreeSet<String>) -> Diagnostic {
    let list = |names: Vec<&String>| match names.is_empty() {
        true => "none".to_string(),
        false => name_list(&names),
    };
    let turned_off: Vec<&String> = before.difference(still_wired).collect();
    Diagnostic::error(
        "The destroy stopped halfway",
        format!(
            "Service Connect is off on: {}. Still on: {}. The state records exactly this, and still \
             the namespace; fix the cause above and run `terraform destroy` again to finish.",
            list(turned_off),
            list(still_wired.iter().collect())
        ),
    )
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
    let turning_off = services_to_turn_off(prior, successor);
    let cluster = prior.cluster.known().cloned().unwrap_or_default();
    let mut ours = Ours::of(prior);
    ours.discovery_names
        .extend(private.pending_cleanup.iter().map(|(name, _)| name.clone()));
    // The services, the namespace and who else uses it are read at once: none of the
    // reads needs another's answer.
    let (none_awaited, patience) = (BTreeSet::new(), no_waiting(ctx));
    let (found, early, users) = tokio::join!(
        recorded_namespace(gateway, prior, private, timeout, ctx),
        observe(
            gateway,
            cluster_name(&cluster),
            turning_off.clone(),
            &none_awaited,
            &patience,
        ),
        users_at_start(gateway, prior, successor, &ours),
    );
    let Some(namespace) = found.map_err(failed)? else {
        // Already gone (or never made): nothing is wired to it either.
        return Ok(Diagnostics::default());
    };
    let outcome = turn_off(gateway, prior, private, turning_off, &namespace, early, ctx).await?;
    if let Some(successor) = successor {
        tracing::info!(namespace = %namespace.id, "leaving the namespace to the mesh that replaces this one");
        // The successor adopts the standalone servers it lists; the others go now, or
        // nothing would ever remove them.
        if let Some(kept) = &successor.external {
            remove_standalone_servers(gateway, prior, &namespace, kept, timeout, ctx).await?;
        }
        return Ok(clean_freed_discovery(gateway, &outcome, private, timeout, ctx).await);
    }
    remove_standalone_servers(gateway, prior, &namespace, &BTreeSet::new(), timeout, ctx).await?;
    // What ECS made for our services: never anything else in the namespace.
    let ours_in_cloud_map = pending_services(private);
    let deleted: BTreeSet<String> = ours_in_cloud_map.iter().map(|s| s.name.clone()).collect();
    report_errors(
        delete_cloud_map_services(gateway, ours_in_cloud_map, private, timeout, ctx, |err| {
            Diagnostic::error(FAILED, err.to_string())
        })
        .await,
    )?;
    if !prior.owns_namespace() {
        return Ok(Diagnostics::default());
    }
    let users = match users {
        Some(read) => read.map_err(failed)?.without(&deleted),
        None => namespace_users(gateway, &namespace, &ours)
            .await
            .map_err(failed)?,
    };
    if !users.is_empty() {
        clear_for_force_destroy(gateway, prior, &namespace, users, private, timeout, ctx).await?;
    }
    gateway
        .cloudmap
        .delete_namespace(&namespace.id, timeout, &ctx.cancel)
        .await
        .map_err(failed)?;
    Ok(Diagnostics::default())
}

/// Who else uses the owned namespace the state records, asked before anything changes
/// (the namespace's deletion needs the answer last, and AWS refuses to delete a namespace
/// still in use, whatever this read saw: DeleteNamespace's ResourceInUse, botocore's Cloud
/// Map model; "if the namespace still contains one or more services, the request fails",
/// the API reference). `None` when the destroy keeps the namespace or
/// the state does not know it well enough: then it is asked when needed.
async fn users_at_start(
    gateway: &Gateway,
    prior: &InternalModel,
    successor: Option<&Successor>,
    ours: &Ours,
) -> Option<Result<NamespaceUsers, GatewayError>> {
    let (Some(id), Some(arn)) = (prior.id.known(), prior.namespace_arn.known()) else {
        return None;
    };
    if !prior.owns_namespace() || successor.is_some() || id.is_empty() || arn.is_empty() {
        return None;
    }
    let recorded = ObservedNamespace {
        id: id.clone(),
        arn: arn.clone(),
        ..ObservedNamespace::default()
    };
    Some(namespace_users(gateway, &recorded, ours).await)
}

/// Deregisters and deletes the standalone servers the mesh made, except those named in
/// `kept`; the state keeps those still there.
async fn remove_standalone_servers(
    gateway: &Gateway,
    prior: &mut InternalModel,
    namespace: &ObservedNamespace,
    kept: &BTreeSet<String>,
    timeout: Duration,
    ctx: &CallContext,
) -> Result<(), Diagnostics> {
    if external_names(prior).iter().all(|name| kept.contains(name)) {
        return Ok(());
    }
    // The same mesh without them: what is left once they are gone.
    let mut without = prior.clone();
    if let Attr::Known(servers) = &mut without.external_services {
        servers.retain(|name, _| kept.contains(name));
        if servers.is_empty() {
            without.external_services = Attr::Null;
        }
    }
    let diagnostics = sync_external(
        gateway,
        &mut without,
        Some(prior),
        &namespace.id,
        timeout,
        &ctx.cancel,
        FAILED,
    )
    .await;
    *prior = without;
    report_errors(diagnostics)
}

/// A namespace others still use is kept, with an error saying who and how to go on,
/// unless `force_destroy` is set: then the Cloud Map services ECS made for the others
/// go first. A Cloud Map service ECS did not make is never deleted.
async fn clear_for_force_destroy(
    gateway: &Gateway,
    prior: &InternalModel,
    namespace: &ObservedNamespace,
    users: NamespaceUsers,
    private: &mut PrivateState,
    timeout: Duration,
    ctx: &CallContext,
) -> Result<(), Diagnostics> {
    let action = format!(
        "deleting Cloud Map namespace {} ({})",
        namespace.name, namespace.id
    );
    let foreign = users.foreign();
    if !prior.force_destroy() || !foreign.is_empty() {
        let detail = in_use_detail(&action, &users, prior.force_destroy());
        return Err(Diagnostics::error("Namespace still in use", detail));
    }
    let made_by_ecs: Vec<CloudMapService> = users
        .cloud_map
        .into_iter()
        .map(|(service, _)| service)
        .collect();
    tracing::info!(namespace = %namespace.id, services = made_by_ecs.len() as u64, "force_destroy: deleting the Cloud Map services ECS made for others");
    let before = private.pending_cleanup.clone();
    let deleted = delete_cloud_map_services(gateway, made_by_ecs, private, timeout, ctx, |err| {
        Diagnostic::error(FAILED, err.to_string())
    })
    .await;
    // Others' services are not this mesh's leftovers: a failure is reported, not kept.
    private.pending_cleanup = before;
    report_errors(deleted)
}

fn in_use_detail(action: &str, users: &NamespaceUsers, force_destroy: bool) -> String {
    let done = "Service Connect is off on this mesh's services and the Cloud Map services ECS \
                made for them are deleted; the namespace is kept.";
    let ways = if force_destroy {
        format!(
            "force_destroy deletes only the Cloud Map services ECS made, never {}: remove them \
             (or move them to another namespace) and run `terraform destroy` again, or run \
             `terraform state rm <address>` to leave the namespace in place.",
            name_list(&users.foreign())
        )
    } else {
        "Remove what still uses it and run `terraform destroy` again; or set \
         `force_destroy = true` (and apply it) to delete the Cloud Map services ECS made for \
         other services first (never others); or run `terraform state rm <address>` to leave \
         the namespace in place."
            .to_string()
    };
    format!(
        "{action}: it is still in use by {}. {done} {ways}",
        users.describe()
    )
}

fn report_errors(diagnostics: Diagnostics) -> Result<(), Diagnostics> {
    match diagnostics.has_errors() {
        true => Err(diagnostics),
        false => Ok(()),
    }
}

fn failed(err: GatewayError) -> Diagnostics {
    Diagnostics::error(FAILED, err.to_string())
}

/// The services a destroy turns Service Connect off on: all it wired, less those the
/// successor (if any) wires again.
fn services_to_turn_off(prior: &InternalModel, successor: Option<&Successor>) -> BTreeSet<String> {
    match successor {
        Some(successor) => prior
            .service_names()
            .difference(&successor.services)
            .cloned()
            .collect(),
        None => prior.service_names(),
    }
}

/// Nothing to wait for: turning services off needs none to appear.
fn no_waiting(ctx: &CallContext) -> Patience {
    Patience {
        appearance: Duration::ZERO,
        rollout: Duration::ZERO,
        redeploy_clients: false,
        cancel: ctx.cancel.clone(),
    }
}

/// Turns Service Connect off on `names` (as `early` saw them); from here the state
/// records what is still wired.
async fn turn_off(
    gateway: &Gateway,
    prior: &mut InternalModel,
    private: &mut PrivateState,
    names: BTreeSet<String>,
    namespace: &ObservedNamespace,
    early: Observation,
    ctx: &CallContext,
) -> Result<WiringOutcome, Diagnostics> {
    let cluster = prior.cluster.known().cloned().unwrap_or_default();
    let outcome = wire(
        gateway,
        cluster_name(&cluster),
        BTreeMap::new(),
        &names,
        &NamespaceRef::from(namespace),
        &no_waiting(ctx),
        Some(early),
    )
    .await
    .map_err(failed)?;
    let turned_off: BTreeSet<String> = names
        .into_iter()
        .filter(|name| !outcome.in_place.contains_key(name))
        .collect();
    prior.forget_services(&turned_off);
    private.remember_leftovers(&outcome.freed_discovery);
    report_errors(failures_to_diagnostics(&outcome)).map(|()| outcome)
}
