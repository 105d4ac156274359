//! Create: make (or adopt) the namespace, then wire the services.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use super::wire::{beside_the_services_read, wire_and_record};
use super::{Applied, record_namespace};
use crate::aws::cloudmap::{NamespaceRequest, namespace_arn_beside};
use crate::aws::error::GatewayError;
use crate::aws::gateway::Gateway;
use crate::mesh::model::{NamespaceSpec, ObservedNamespace};
use crate::mesh::names::cluster_name;
use crate::protocol::diagnostics::{Diagnostic, Diagnostics};
use crate::protocol::provider::CallContext;
use crate::resources::internal::model::{InternalModel, NameUnused, Operation, PrivateState};
use crate::resources::internal::namespace::{
    CreateFailure, MADE_BUT_UNREADABLE, NO_SUCH_ID, NamespaceReady, find_or_create_namespace,
    namespace_by_id, new_request_id, read_made_namespace,
};
use crate::resources::internal::wiring::Observation;

pub(super) async fn create(
    gateway: &Gateway,
    mut planned: InternalModel,
    private: &mut PrivateState,
    name_unused: Option<NameUnused>,
    ctx: &CallContext,
) -> Applied {
    let spec = planned.namespace_spec(&gateway.default_tags);
    let cluster = cluster_name(
        planned
            .cluster
            .known()
            .map(String::as_str)
            .unwrap_or_default(),
    );
    let timeout = planned.timeout(Operation::Create);
    // Cloud Map takes seconds to minutes to make the namespace.
    let making = namespace_for(gateway, &spec, cluster, private, name_unused, timeout, ctx);
    let (made, early) = beside_the_services_read(gateway, &planned, None, ctx, making).await;
    let ready = match made {
        Ok(ready) => ready,
        Err(failure) if failure.may_exist => {
            return unconfirmed_create(planned, &spec, private, failure);
        }
        Err(failure) => {
            return Applied::failed(None, "Creating the service mesh failed", failure.error);
        }
    };
    let name = planned.namespace.known().cloned().unwrap_or_default();
    let (namespace, unread) = match to_wire(gateway, ready, &early, name, private).await {
        Ok(to_wire) => to_wire,
        Err(failure) => return unconfirmed_create(planned, &spec, private, failure),
    };
    record_namespace(&mut planned, &namespace, &spec);
    let wiring = wire_and_record(
        gateway,
        planned,
        None,
        &namespace,
        ctx,
        private,
        Some(early),
    );
    let (state, mut diagnostics) = match unread {
        None => wiring.await,
        Some(id) => {
            let ((mut state, mut diagnostics), read) =
                tokio::join!(wiring, namespace_by_id(gateway, &id, MADE_BUT_UNREADABLE));
            diagnostics.extend(record_namespace_read(&mut state, &namespace, read));
            (state, diagnostics)
        }
    };
    if diagnostics.has_errors() {
        diagnostics.push(Diagnostic::error(
            "The namespace exists; some services are not wired",
            "Terraform marks a mesh whose create failed as tainted and plans to replace it. Fix the cause \
             above and run `terraform apply`: the replacement keeps the namespace and the services already \
             wired, and wires only the missing ones. To see the same repair planned as an update instead, \
             run `terraform untaint <address>` first.",
        ));
    }
    Applied::stored(state, diagnostics)
}

/// The namespace to wire the services to and, when it is still to be read, its id. A
/// namespace just made is read (GetNamespace: its hosted zone) beside the first
/// UpdateService round, when its ARN follows from its id and the account and Region of a
/// service `early` read; otherwise it is read first. UpdateService takes the namespace by
/// name or full ARN (ECS API reference, ServiceConnectConfiguration.namespace); the ARN,
/// since two namespaces may share a name.
async fn to_wire(
    gateway: &Gateway,
    ready: NamespaceReady,
    early: &Observation,
    name: String,
    private: &mut PrivateState,
) -> Result<(ObservedNamespace, Option<String>), CreateFailure> {
    let id = match ready {
        NamespaceReady::Read(namespace) => return Ok((namespace, None)),
        NamespaceReady::Made(id) => id,
    };
    let Some(arn) = early
        .a_service_arn()
        .and_then(|arn| namespace_arn_beside(arn, &id))
    else {
        return Ok((read_made_namespace(gateway, id, private).await?, None));
    };
    // The state records the namespace by its id from here.
    private.namespace_operation = None;
    let known = ObservedNamespace {
        id: id.clone(),
        arn,
        name,
        ..ObservedNamespace::default()
    };
    Ok((known, Some(id)))
}

/// Records what GetNamespace said of the namespace the services were just wired to by
/// `used` (its id and the ARN its id implied): its hosted zone and the rest. Should the
/// ARN differ, no UpdateService found the namespace (UpdateService's modelled
/// NamespaceNotFoundException, botocore's ECS model), and the tainted mesh's replacement
/// wires them with the ARN now recorded. Not read: the state keeps the id, and the next
/// refresh reads the rest.
fn record_namespace_read(
    state: &mut InternalModel,
    used: &ObservedNamespace,
    read: Result<ObservedNamespace, GatewayError>,
) -> Diagnostics {
    match read {
        Ok(namespace) if namespace.arn == used.arn => {
            state.set_namespace_facts(&namespace);
            Diagnostics::default()
        }
        Ok(namespace) => {
            state.set_namespace_facts(&namespace);
            Diagnostics::error(
                "Wiring Service Connect failed",
                format!(
                    "Cloud Map namespace {} has the ARN {}, not {} as its id and the ECS services' \
                     account implied; the services were given the latter. Run `terraform apply` \
                     again: the mesh's replacement wires them with the ARN the state now records.",
                    namespace.id, namespace.arn, used.arn
                ),
            )
        }
        Err(err) => Diagnostics::error(
            "Reading the namespace failed",
            format!(
                "{}. Cloud Map made namespace {} ({}): the state records it by its id, with the \
                 services wired to it so far, and the next refresh reads the rest of it.",
                err.to_string().trim_end_matches('.'),
                used.name,
                used.id
            ),
        ),
    }
}

/// The namespace the mesh lives in: made (or found, after a retry) when owned, read
/// when it is an existing one.
async fn namespace_for(
    gateway: &Gateway,
    spec: &NamespaceSpec,
    cluster: &str,
    private: &mut PrivateState,
    name_unused: Option<NameUnused>,
    timeout: Duration,
    ctx: &CallContext,
) -> Result<NamespaceReady, CreateFailure> {
    let (name, vpc_id, description, tags) = match spec {
        NamespaceSpec::Existing { id } => {
            return namespace_by_id(gateway, id, NO_SUCH_ID)
                .await
                .map(NamespaceReady::Read)
                .map_err(CreateFailure::nothing_made);
        }
        NamespaceSpec::Owned {
            name,
            vpc_id,
            description,
            tags,
        } => (name, vpc_id, description, tags),
    };
    let request_id = private
        .creator_request_id
        .get_or_insert_with(|| new_request_id(cluster))
        .clone();
    let request = NamespaceRequest {
        name,
        vpc_id,
        description: description.as_deref(),
        tags,
        request_id: &request_id,
    };
    // Nothing to adopt when the plan Terraform made just now found the name unused.
    let vouched = name_unused.is_some_and(|unused| unused.vouches_for(name, SystemTime::now()));
    let look_first = !vouched;
    find_or_create_namespace(
        gateway, &request, cluster, private, look_first, timeout, ctx,
    )
    .await
}

/// A create that stopped while AWS may be making the namespace: the state records the
/// mesh with nothing wired and the namespace's id if known (empty if not), so that a
/// read or destroy can find the namespace. Terraform keeps it as tainted.
fn unconfirmed_create(
    mut planned: InternalModel,
    spec: &NamespaceSpec,
    private: &PrivateState,
    failure: CreateFailure,
) -> Applied {
    let name = planned.namespace.known().cloned().unwrap_or_default();
    let stand_in = ObservedNamespace {
        id: failure.namespace_id.clone().unwrap_or_default(),
        name: name.clone(),
        ..ObservedNamespace::default()
    };
    record_namespace(&mut planned, &stand_in, spec);
    planned.set_services(&BTreeMap::new());
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
    Applied::stored(
        planned,
        Diagnostics::error("Creating the service mesh failed", detail),
    )
}
