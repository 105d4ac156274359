//! Wiring the planned services and recording what is in place: shared by create and
//! update.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::external::sync_external;
use super::{delete_cloud_map_services, pending_services};
use crate::aws::gateway::Gateway;
use crate::mesh::model::{ObservedNamespace, Wiring};
use crate::mesh::names::cluster_name;
use crate::mesh::reconcile::NamespaceRef;
use crate::protocol::diagnostics::{Diagnostic, Diagnostics};
use crate::protocol::provider::CallContext;
use crate::protocol::value::Attr;
use crate::resources::internal::grouping::failure_diagnostics;
use crate::resources::internal::model::{InternalModel, Operation, PrivateState};
use crate::resources::internal::wiring::{
    APPEARANCE_WAIT, Observation, Patience, WiringOutcome, await_deployments, observe, wire,
};
use tokio_util::sync::CancellationToken;

/// How long an apply waits for ECS to let go of the Cloud Map services it freed. ECS
/// deregisters their instances only as the old deployment's tasks stop, which can take
/// minutes; an apply does not wait for that: what is still held stays in
/// `pending_cleanup`, and the next apply or destroy deletes it.
const CLEANUP_WAIT: Duration = Duration::from_secs(30);

/// How long the wiring of `model` may wait for services, under `cancel`.
fn patience(model: &InternalModel, timeout: Duration, cancel: CancellationToken) -> Patience {
    Patience {
        appearance: APPEARANCE_WAIT.min(timeout),
        rollout: timeout,
        redeploy_clients: model.redeploy_clients(),
        cancel,
    }
}

fn operation(prior: Option<&InternalModel>) -> Operation {
    match prior {
        Some(_) => Operation::Update,
        None => Operation::Create,
    }
}

/// Runs `work` (the namespace's part of an apply) and, beside it, reads the services
/// `planned` wires (and those `prior` wired), which need nothing from it: the wiring then
/// starts as soon as the namespace is ready. A failed `work` ends the read's wait for
/// services to appear.
pub(super) async fn beside_the_services_read<T, E>(
    gateway: &Gateway,
    planned: &InternalModel,
    prior: Option<&InternalModel>,
    ctx: &CallContext,
    work: impl Future<Output = Result<T, E>>,
) -> (Result<T, E>, Observation) {
    let stop = ctx.cancel.child_token();
    let working = async {
        let done = work.await;
        if done.is_err() {
            stop.cancel();
        }
        done
    };
    tokio::join!(
        working,
        read_services(gateway, planned, prior, stop.clone())
    )
}

/// Reads the services `planned` wires (and those `prior` wired); `stop` ends a wait for
/// services to appear.
async fn read_services(
    gateway: &Gateway,
    planned: &InternalModel,
    prior: Option<&InternalModel>,
    stop: CancellationToken,
) -> Observation {
    let wanted = planned.service_names();
    let mut names = wanted.clone();
    names.extend(prior.map(InternalModel::service_names).unwrap_or_default());
    let cluster = planned.cluster.known().cloned().unwrap_or_default();
    let patience = patience(planned, planned.timeout(operation(prior)), stop);
    observe(gateway, cluster_name(&cluster), names, &wanted, &patience).await
}

/// Wires the planned services and writes into the model exactly what is in place;
/// returns it with what went wrong. `early` is what `beside_the_services_read` saw.
pub(super) async fn wire_and_record(
    gateway: &Gateway,
    mut model: InternalModel,
    prior: Option<&InternalModel>,
    namespace: &ObservedNamespace,
    ctx: &CallContext,
    private: &mut PrivateState,
    early: Option<Observation>,
) -> (InternalModel, Diagnostics) {
    let started = std::time::Instant::now();
    let desired = model.desired(&gateway.default_tags, prior);
    let mut diagnostics = Diagnostics::default();
    let previously_managed = &prior.map(InternalModel::service_names).unwrap_or_default();
    let managed: BTreeSet<String> = desired
        .services
        .keys()
        .chain(previously_managed.iter())
        .cloned()
        .collect();
    let timeout = model.timeout(operation(prior));
    let patience = patience(&model, timeout, ctx.cancel.clone());
    let reference = NamespaceRef::from(namespace);
    let cluster = desired.cluster.as_str();
    let mut outcome = match wire(
        gateway,
        cluster,
        // Moved, not copied: at 500 services each copy of the wirings is half a megabyte.
        desired.services,
        previously_managed,
        &reference,
        &patience,
        early,
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
                Some(prior) => model.keep_services_of(prior),
                None => model.set_services(&BTreeMap::new()),
            }
            // The standalone servers were not touched either.
            model.external_services = prior
                .map(|p| p.external_services.clone())
                .unwrap_or(Attr::Null);
            model.refresh_endpoints();
            return (model, diagnostics);
        }
    };
    if model.wait_for_steady_state() {
        // One budget for the whole operation: what the pass already waited counts.
        let left = timeout.saturating_sub(started.elapsed());
        await_deployments(
            gateway,
            cluster,
            &reference,
            &mut outcome,
            left,
            &ctx.cancel,
        )
        .await;
    }
    diagnostics.extend(failures_to_diagnostics(&outcome));
    diagnostics.extend(clean_freed_discovery(gateway, &outcome, private, timeout, ctx).await);
    let in_place: BTreeMap<String, Wiring> = outcome
        .in_place
        .into_iter()
        .filter(|(name, _)| managed.contains(name))
        .collect();
    model.set_services(&in_place);
    let left = timeout.saturating_sub(started.elapsed());
    diagnostics.extend(
        sync_external(
            gateway,
            &mut model,
            prior,
            &namespace.id,
            left,
            &ctx.cancel,
            "Registering standalone servers failed",
        )
        .await,
    );
    (model, diagnostics)
}

pub(super) fn failures_to_diagnostics(outcome: &WiringOutcome) -> Diagnostics {
    failure_diagnostics("Wiring Service Connect failed", &outcome.failures)
}

/// Deletes the Cloud Map services ECS made for discovery names no longer in use.
/// ECS may still hold them while old tasks drain: a warning, and a later apply or
/// destroy finishes the job.
pub(super) async fn clean_freed_discovery(
    gateway: &Gateway,
    outcome: &WiringOutcome,
    private: &mut PrivateState,
    timeout: Duration,
    ctx: &CallContext,
) -> Diagnostics {
    // This pass's leftovers, and those earlier passes could not delete yet, except
    // what a server wired now uses again (ECS reuses a Cloud Map service by name).
    private.remember_leftovers(&outcome.freed_discovery);
    let in_use: BTreeSet<&str> = outcome
        .in_place
        .values()
        .flat_map(Wiring::discovery_names)
        .collect();
    private
        .pending_cleanup
        .retain(|(name, _)| !in_use.contains(name.as_str()));
    let leftovers = pending_services(private);
    let budget = CLEANUP_WAIT.min(timeout);
    delete_cloud_map_services(gateway, leftovers, private, budget, ctx, |err| {
        Diagnostic::warning(
            "Cloud Map service left behind",
            format!(
                "{}. The next apply deletes it (the plan lists it under pending_cleanup), and so \
                 does a destroy, once ECS lets go of it.",
                // AWS's messages usually end in a full stop already.
                err.to_string().trim_end_matches('.')
            ),
        )
    })
    .await
}
