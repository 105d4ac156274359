//! Apply: create, update and destroy the mesh, recording exactly what was done. Each
//! operation has its own file; what they share (the namespace they work on, wiring and
//! recording) is here and in wire.rs.

mod create;
mod destroy;
mod external;
mod update;
mod wire;

use std::time::Duration;

use futures::future::join_all;

use super::InternalResource;
use super::model::{InternalModel, PrivateState, attr_map};
use super::namespace::{Unconfirmed, settle_unconfirmed};
use crate::aws::cloudmap::{CloudMapService, OperationEnd, create_namespace_action};
use crate::aws::error::{ErrorKind, GatewayError};
use crate::aws::gateway::Gateway;
use crate::mesh::model::{NamespaceSpec, ObservedNamespace};
use crate::protocol::diagnostics::{Diagnostic, Diagnostics};
use crate::protocol::provider::{ApplyRequest, ApplyResponse, CallContext};
use crate::protocol::value::{Attr, Value};

pub(super) async fn apply(
    resource: &InternalResource,
    request: ApplyRequest,
    ctx: &CallContext,
) -> ApplyResponse {
    let ApplyRequest {
        prior_state,
        planned_state,
        config,
        planned_private,
        planned_identity,
    } = request;
    // Not used: the planned state holds what the configuration says.
    drop(config);
    let decoded = resource
        .decode(&prior_state)
        .and_then(|prior| Ok((prior, resource.decode(&planned_state)?)));
    // From here Terraform's values are not needed (an unchanged object is answered with
    // the prior state's bytes, which the protocol layer keeps): at 500 services they are
    // megabytes of small allocations, held through the whole apply if kept.
    drop((prior_state, planned_state));
    let unchanged = Unchanged {
        planned_private,
        planned_identity,
    };
    let (prior, planned) = match decoded {
        Ok(pair) => pair,
        Err(diagnostics) => return unchanged.answer(diagnostics),
    };
    let gateway = match resource.gateway() {
        Ok(gateway) => gateway,
        Err(diagnostics) => return unchanged.answer(diagnostics),
    };
    let mut private = PrivateState::decode(&unchanged.planned_private);
    // Only plans and the destroy half of a replacement need these; what is stored is
    // the new object's own.
    private.prior_namespace = None;
    let successor = private.successor.take();
    let name_unused = private.name_unused.take();
    let recent_read = private.recent_read.take();
    let applied = match (prior, planned) {
        (None, Some(planned)) => {
            create::create(&gateway, planned, &mut private, name_unused, ctx).await
        }
        (Some(prior), Some(planned)) => {
            update::update(&gateway, prior, planned, &mut private, recent_read, ctx).await
        }
        (Some(prior), None) => {
            let successor = successor.filter(|s| s.takes_over(&prior));
            destroy::destroy(&gateway, prior, &mut private, successor.as_ref(), ctx).await
        }
        (None, None) => Applied::gone(Diagnostics::default()),
    };
    let Applied {
        mut state,
        diagnostics,
    } = applied;
    if let Some(model) = &mut state {
        model.pending_cleanup = private.pending_names();
    }
    let new_identity = state.as_ref().and_then(|model| resource.identity(model));
    let new_state = match state.map(|model| resource.encode(&model)).transpose() {
        Ok(state) => state.unwrap_or(Value::Null),
        Err(errors) => return unchanged.answer(errors),
    };
    let new_state = Some(new_state);
    ApplyResponse {
        new_state,
        private: private.encode(),
        new_identity,
        diagnostics,
    }
}

/// What an apply answers when it changed nothing: the object as it was.
struct Unchanged {
    planned_private: Vec<u8>,
    planned_identity: Option<Value>,
}

impl Unchanged {
    fn answer(self, diagnostics: Diagnostics) -> ApplyResponse {
        ApplyResponse {
            new_state: None,
            private: self.planned_private,
            new_identity: self.planned_identity,
            diagnostics,
        }
    }
}

/// What an operation leaves: the object to store (`None`: there is none), and what to
/// tell the practitioner.
struct Applied {
    state: Option<InternalModel>,
    diagnostics: Diagnostics,
}

impl Applied {
    fn stored(state: InternalModel, diagnostics: Diagnostics) -> Self {
        Self {
            state: Some(state),
            diagnostics,
        }
    }

    fn gone(diagnostics: Diagnostics) -> Self {
        Self {
            state: None,
            diagnostics,
        }
    }

    /// A failed operation that leaves `state` (the object as it was, or none).
    fn failed(state: Option<InternalModel>, summary: &str, err: GatewayError) -> Self {
        Self {
            state,
            diagnostics: Diagnostics::error(summary, err.to_string()),
        }
    }
}

/// The namespace an update or destroy works on; `None` when it is gone. For a create that
/// stopped before it learnt the id, finds out what Cloud Map made, waiting (within the
/// operation's timeout) for an operation still under way.
async fn recorded_namespace(
    gateway: &Gateway,
    prior: &InternalModel,
    private: &PrivateState,
    timeout: Duration,
    ctx: &CallContext,
) -> Result<Option<ObservedNamespace>, GatewayError> {
    // A create that stopped halfway, then `terraform untaint` or a destroy without a
    // refresh: nothing has read the namespace's id yet.
    if !prior.namespace_unconfirmed() {
        let key = prior.namespace_key().cloned().unwrap_or_default();
        return gateway.cloudmap.get_namespace(&key).await;
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

/// The namespace an update works on, which must still exist.
async fn existing_recorded_namespace(
    gateway: &Gateway,
    prior: &InternalModel,
    private: &PrivateState,
    timeout: Duration,
    ctx: &CallContext,
) -> Result<ObservedNamespace, GatewayError> {
    recorded_namespace(gateway, prior, private, timeout, ctx)
        .await?
        .ok_or_else(|| {
            let namespace_id = prior.id.known().cloned().unwrap_or_default();
            GatewayError::new(
                format!("reading Cloud Map namespace {namespace_id}"),
                ErrorKind::NotFound,
                "the namespace no longer exists",
            )
        })
}

/// Deletes Cloud Map services ECS made, each once; what cannot be deleted yet stays in
/// `pending_cleanup` with a diagnostic made by `report`.
async fn delete_cloud_map_services(
    gateway: &Gateway,
    services: Vec<CloudMapService>,
    private: &mut PrivateState,
    timeout: Duration,
    ctx: &CallContext,
    report: impl Fn(GatewayError) -> Diagnostic,
) -> Diagnostics {
    let mut diagnostics = Diagnostics::default();
    // Concurrently, so that all share one budget: one service ECS still holds does not
    // make the others wait their turn.
    let deletions = join_all(services.iter().map(|service| {
        gateway
            .cloudmap
            .delete_service(service, timeout, &ctx.cancel)
    }))
    .await;
    for (service, deleted) in services.into_iter().zip(deletions) {
        match deleted {
            Ok(()) => private
                .pending_cleanup
                .retain(|(_, arn)| arn != &service.arn),
            Err(err) => {
                diagnostics.push(report(err));
                private.remember_leftovers([&(service.name, service.arn)]);
            }
        }
    }
    diagnostics
}

/// The Cloud Map services still to delete, as `delete_cloud_map_services` takes them.
fn pending_services(private: &PrivateState) -> Vec<CloudMapService> {
    private
        .pending_cleanup
        .iter()
        .map(|(name, arn)| cloud_map_service(name, arn))
        .collect()
}

/// Writes the namespace's facts into the model.
fn record_namespace(
    model: &mut InternalModel,
    namespace: &ObservedNamespace,
    spec: &NamespaceSpec,
) {
    model.set_namespace_facts(namespace);
    model.namespace_owned = Attr::Known(spec.is_owned());
    model.tags_all = attr_map(&spec.tags());
    if model.vpc_id.is_unknown() {
        model.vpc_id = Attr::Null;
    }
    // DNS names that waited for the namespace's name can be derived now.
    if let Attr::Known(services) = &mut model.services {
        for (key, service) in services.iter_mut() {
            service.derive_dns_names(key, &model.namespace);
        }
    }
}

/// A Cloud Map service by name and ARN (its id ends the ARN).
fn cloud_map_service(name: &str, arn: &str) -> CloudMapService {
    CloudMapService {
        id: arn.rsplit('/').next().unwrap_or(arn).to_string(),
        name: name.to_string(),
        arn: arn.to_string(),
    }
}
