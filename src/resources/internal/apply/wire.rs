//! Wiring the planned services and recording what is in place: shared by create and
//! update.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::{delete_cloud_map_services, pending_services};
use crate::aws::error::{ErrorKind, GatewayError};
use crate::aws::gateway::Gateway;
use crate::aws::wait::Waiter;
use crate::mesh::model::{DesiredMesh, ObservedNamespace, Wiring};
use crate::mesh::reconcile::NamespaceRef;
use crate::protocol::diagnostics::{Diagnostic, Diagnostics};
use crate::protocol::provider::CallContext;
use crate::resources::internal::grouping::failure_diagnostics;
use crate::resources::internal::model::{InternalModel, Operation, PrivateState};
use crate::resources::internal::wiring::{APPEARANCE_WAIT, Patience, WiringOutcome, wire};

/// Wires the planned services and writes into the model exactly what is in place;
/// returns it with what went wrong.
pub(super) async fn wire_and_record(
    gateway: &Gateway,
    mut model: InternalModel,
    desired: &DesiredMesh,
    prior: Option<&InternalModel>,
    namespace: &ObservedNamespace,
    ctx: &CallContext,
    private: &mut PrivateState,
) -> (InternalModel, Diagnostics) {
    let mut diagnostics = Diagnostics::default();
    let previously_managed = &prior.map(InternalModel::service_names).unwrap_or_default();
    let managed: BTreeSet<String> = desired
        .services
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
    let reference = NamespaceRef::from(namespace);
    let cluster = desired.cluster.as_str();
    let outcome = match wire(
        gateway,
        cluster,
        desired.services.clone(),
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
                Some(prior) => model.keep_services_of(prior),
                None => model.set_services(&BTreeMap::new()),
            }
            return (model, diagnostics);
        }
    };
    diagnostics.extend(failures_to_diagnostics(&outcome));
    diagnostics.extend(clean_freed_discovery(gateway, &outcome, private, timeout, ctx).await);
    if model.wait_for_steady_state()
        && !outcome.changed.is_empty()
        && let Err(err) =
            wait_for_steady_state(gateway, cluster, &outcome.changed, timeout, ctx).await
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
    model.set_services(&in_place);
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
        .filter_map(|wiring| match wiring {
            Wiring::Server(spec) => Some(spec.discovery_name.as_str()),
            Wiring::Client => None,
        })
        .collect();
    private
        .pending_cleanup
        .retain(|(name, _)| !in_use.contains(name.as_str()));
    let leftovers = pending_services(private);
    delete_cloud_map_services(gateway, leftovers, private, timeout, ctx, |err| {
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

async fn wait_for_steady_state(
    gateway: &Gateway,
    cluster: &str,
    services: &BTreeSet<String>,
    timeout: Duration,
    ctx: &CallContext,
) -> Result<(), GatewayError> {
    let names: Vec<String> = services.iter().cloned().collect();
    let mut waiter = Waiter::for_operation(timeout, ctx.cancel.clone());
    loop {
        let observed = gateway.ecs.describe_services(cluster, &names).await?;
        let rolling: Vec<&str> = observed
            .iter()
            .filter(|(_, s)| {
                s.as_ref()
                    .is_some_and(|s| s.observed.draining_deployments > 0)
            })
            .map(|(name, _)| name.as_str())
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
                format!("still rolling out: {}", rolling.join(", ")),
            ));
        }
    }
}
