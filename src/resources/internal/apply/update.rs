//! Update: namespace settings first, then the services' wiring.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use super::wire::{beside_the_services_read, wire_and_record};
use super::{Applied, existing_recorded_namespace, record_namespace};
use crate::aws::error::GatewayError;
use crate::aws::gateway::Gateway;
use crate::mesh::model::{NamespaceSpec, ObservedNamespace};
use crate::protocol::provider::CallContext;
use crate::resources::internal::model::{InternalModel, Operation, PrivateState, plain_map};
use crate::resources::internal::namespace::new_request_id;
use crate::resources::internal::recent_read::RecentRead;
use crate::resources::internal::wiring::Observation;

pub(super) async fn update(
    gateway: &Gateway,
    prior: InternalModel,
    planned: InternalModel,
    private: &mut PrivateState,
    recent_read: Option<RecentRead>,
    ctx: &CallContext,
) -> Applied {
    match try_update(gateway, &prior, planned, private, recent_read, ctx).await {
        Ok(applied) => applied,
        // Stopped before any service changed: the object is as it was.
        Err(err) => Applied::failed(Some(prior), "Updating the service mesh failed", err),
    }
}

async fn try_update(
    gateway: &Gateway,
    prior: &InternalModel,
    mut planned: InternalModel,
    private: &mut PrivateState,
    recent_read: Option<RecentRead>,
    ctx: &CallContext,
) -> Result<Applied, GatewayError> {
    let timeout = planned.timeout(Operation::Update);
    let spec = planned.namespace_spec(&gateway.default_tags);
    let (namespace, early) = match recalled(recent_read, prior, &planned) {
        Some(read) => read,
        None => {
            let finding = existing_recorded_namespace(gateway, prior, private, timeout, ctx);
            let (found, early) =
                beside_the_services_read(gateway, &planned, Some(prior), ctx, finding).await;
            (found?, early)
        }
    };
    private.namespace_operation = None;
    if let NamespaceSpec::Owned {
        description, tags, ..
    } = &spec
    {
        // Namespace settings first: if they fail, nothing else has changed.
        let wanted = NamespaceSettings { description, tags };
        update_namespace(gateway, prior, wanted, &namespace, timeout, ctx).await?;
    }
    record_namespace(&mut planned, &namespace, &spec);
    let (state, diagnostics) = wire_and_record(
        gateway,
        planned,
        Some(prior),
        &namespace,
        ctx,
        private,
        Some(early),
    )
    .await;
    Ok(Applied::stored(state, diagnostics))
}

/// What the refresh moments before read of the namespace and of every service `prior`
/// and `planned` name, when it may stand in for the update's own read (`RecentRead`).
fn recalled(
    recent_read: Option<RecentRead>,
    prior: &InternalModel,
    planned: &InternalModel,
) -> Option<(ObservedNamespace, Observation)> {
    if prior.namespace_unconfirmed() {
        return None;
    }
    let mut names = planned.service_names();
    names.extend(prior.service_names());
    recent_read?.recall(
        planned.cluster.known()?,
        prior.namespace_key()?,
        &names,
        SystemTime::now(),
    )
}

/// What an owned namespace should say of itself.
struct NamespaceSettings<'a> {
    description: &'a Option<String>,
    tags: &'a BTreeMap<String, String>,
}

async fn update_namespace(
    gateway: &Gateway,
    prior: &InternalModel,
    wanted: NamespaceSettings<'_>,
    namespace: &ObservedNamespace,
    timeout: Duration,
    ctx: &CallContext,
) -> Result<(), GatewayError> {
    if prior.description.known() != wanted.description.as_ref() {
        let description = wanted.description.clone().unwrap_or_default();
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
    let current = plain_map(&prior.tags_all);
    if *wanted.tags != current {
        gateway
            .cloudmap
            .set_tags(&namespace.arn, &current, wanted.tags)
            .await?;
    }
    Ok(())
}
