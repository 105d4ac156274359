//! Read: refresh the mesh from AWS so that drift shows in the next plan.
//!
//! Cost for N services in one cluster: one GetNamespace, one ListTagsForResource (owned
//! namespaces) and ⌈N/10⌉ DescribeServices, all issued concurrently; with standalone
//! servers, also one ListServices and a GetService and ListInstances for each.

use std::collections::{BTreeMap, BTreeSet};
use std::time::SystemTime;

use super::InternalResource;
use super::identity::identity_of;
use super::model::{InternalModel, PrivateState, attr_map, own_tags};
use super::namespace::{Unconfirmed, settle_unconfirmed};
use super::recent_read::RecentRead;
use crate::aws::ecs::EcsService;
use crate::aws::error::{ErrorKind, GatewayError};
use crate::aws::gateway::Gateway;
use crate::mesh::model::{ObservedNamespace, Wiring};
use crate::mesh::names::{cluster_name, namespace_id_from_arn};
use crate::mesh::reconcile::{NamespaceRef, observed_wiring};
use crate::protocol::diagnostics::{Diagnostic, Diagnostics};
use crate::protocol::provider::{CallContext, ReadRequest, ReadResponse, Refreshed, Stored};
use crate::protocol::value::Attr;
use crate::provider::Configured;

pub(super) async fn read(
    resource: &InternalResource,
    request: ReadRequest,
    _ctx: &CallContext,
) -> ReadResponse {
    let Stored {
        state,
        private: stored_private,
        identity: stored_identity,
    } = request.current;
    let decoded = resource.decode(&state);
    // Not held through the refresh: an unchanged object is answered with the bytes
    // Terraform sent (at 500 services a decoded state is megabytes of small allocations).
    drop(state);
    let model = match decoded {
        Ok(Some(model)) => model,
        Ok(None) => return ReadResponse::default(),
        Err(diagnostics) => return unchanged(diagnostics),
    };
    let Configured::Ready(gateway) = resource.provider.get() else {
        // Provider configuration unknown until apply: keep the state as it is.
        return unchanged(Diagnostics::default());
    };
    let mut diagnostics = Diagnostics::default();
    let mut private = PrivateState::decode(&stored_private);
    let model = match settle(&gateway, model, &mut private, &mut diagnostics).await {
        Ok(Settled::Known(model)) => *model,
        Ok(Settled::NotMade) => {
            return ReadResponse {
                new: Refreshed::Gone,
                diagnostics,
                deferred: None,
            };
        }
        Ok(Settled::Creating) => return unchanged(diagnostics),
        Err(err) => {
            return unchanged(Diagnostics::error(
                "Reading the service mesh failed",
                err.to_string(),
            ));
        }
    };
    let before = model.discovery_names();
    let refreshed = match refresh(&gateway, model, &mut diagnostics).await {
        Ok(Some((mut model, recent_read))) => {
            private.recent_read = recent_read;
            let freed = before
                .difference(&model.discovery_names())
                .cloned()
                .collect();
            track_leftovers(&gateway, &mut private, freed, &model)
                .await
                .map(|()| {
                    model.pending_cleanup = private.pending_names();
                    Some(model)
                })
        }
        Ok(None) => Ok(None),
        Err(err) => Err(err),
    };
    match refreshed {
        Ok(Some(model)) => match resource.encode(&model) {
            Ok(state) => ReadResponse {
                new: Refreshed::Now(Stored {
                    state,
                    identity: identity_of(&model, &gateway.region).or(stored_identity),
                    private: private.encode(),
                }),
                diagnostics,
                deferred: None,
            },
            Err(errors) => unchanged(errors),
        },
        Ok(None) => ReadResponse {
            new: Refreshed::Gone,
            diagnostics,
            deferred: None,
        },
        Err(err) => unchanged(Diagnostics::error(
            "Reading the service mesh failed",
            err.to_string(),
        )),
    }
}

/// Where the namespace of an object stands before its refresh.
enum Settled {
    /// Its id is known (now): refresh as usual.
    Known(Box<InternalModel>),
    /// A create that stopped halfway made nothing: the object is gone.
    NotMade,
    /// Cloud Map is still making it: keep the object as it is for now.
    Creating,
}

/// Settles the namespace of a create that stopped before it learnt the id.
async fn settle(
    gateway: &Gateway,
    mut model: InternalModel,
    private: &mut PrivateState,
    diagnostics: &mut Diagnostics,
) -> Result<Settled, GatewayError> {
    if !model.namespace_unconfirmed() {
        return Ok(Settled::Known(Box::new(model)));
    }
    let name = model.namespace.known().cloned().unwrap_or_default();
    Ok(match settle_unconfirmed(gateway, &model, private).await? {
        Unconfirmed::Made(namespace) => {
            model.set_namespace_facts(&namespace);
            private.namespace_operation = None;
            Settled::Known(Box::new(model))
        }
        Unconfirmed::NotMade => {
            diagnostics.push(Diagnostic::warning(
                "Namespace was never made",
                format!(
                    "The create that stopped halfway did not make Cloud Map namespace {name}; the \
                     mesh is removed from the state and the next apply creates it."
                ),
            ));
            Settled::NotMade
        }
        Unconfirmed::Creating(operation) => {
            diagnostics.push(Diagnostic::warning(
                "Namespace still being created",
                format!(
                    "Cloud Map is still creating namespace {name} (operation {operation}); the next \
                     read records it."
                ),
            ));
            Settled::Creating
        }
    })
}

/// Refresh never deletes, but it keeps the leftovers list true: it drops those already
/// gone (deleted by hand, or by a destroy elsewhere), and adds the Cloud Map services of
/// discovery names the mesh no longer has (`freed`: its ECS service was deleted, or its
/// Service Connect changed outside Terraform), which ECS made for this mesh and nothing
/// else deletes. Costs a listing only when there is something to check.
async fn track_leftovers(
    gateway: &Gateway,
    private: &mut PrivateState,
    freed: BTreeSet<String>,
    model: &InternalModel,
) -> Result<(), GatewayError> {
    if private.pending_cleanup.is_empty() && freed.is_empty() {
        return Ok(());
    }
    let Some(namespace_id) = model.namespace_key() else {
        return Ok(());
    };
    let existing = gateway.cloudmap.services_in(namespace_id).await?;
    private
        .pending_cleanup
        .retain(|(_, arn)| existing.iter().any(|service| &service.arn == arn));
    let ours: Vec<(String, String)> = existing
        .into_iter()
        .filter(|service| freed.contains(&service.name))
        .map(|service| (service.name, service.arn))
        .collect();
    private.remember_leftovers(&ours);
    Ok(())
}

fn unchanged(diagnostics: Diagnostics) -> ReadResponse {
    ReadResponse {
        new: Refreshed::AsBefore,
        diagnostics,
        deferred: None,
    }
}

/// The model as AWS has it now, and what was read for the apply that may follow
/// (`RecentRead`); `None` when the namespace is gone.
async fn refresh(
    gateway: &Gateway,
    mut model: InternalModel,
    diagnostics: &mut Diagnostics,
) -> Result<Option<(InternalModel, Option<RecentRead>)>, GatewayError> {
    let Some(namespace_id) = model.namespace_key().cloned() else {
        return Ok(None);
    };
    let cluster = model.cluster.known().cloned().unwrap_or_default();
    let names: Vec<String> = model.service_names().into_iter().collect();
    let owned = model.owns_namespace();
    let tags_arn = model.namespace_arn.known().filter(|_| owned).cloned();
    let externals = model
        .external_services
        .known()
        .map(|e| e.keys().cloned().collect())
        .unwrap_or_default();
    let (namespace, tags, services, externals) = tokio::join!(
        gateway.cloudmap.get_namespace(&namespace_id),
        async {
            match &tags_arn {
                Some(arn) => gateway.cloudmap.tags(arn).await.map(Some),
                None => Ok(None),
            }
        },
        gateway
            .ecs
            .describe_services(cluster_name(&cluster), &names),
        gateway
            .cloudmap
            .observe_external(namespace_id_from_arn(&namespace_id), &externals),
    );
    let Some(namespace) = namespace? else {
        diagnostics.push(Diagnostic::warning(
            "Namespace no longer exists",
            format!("Cloud Map namespace {namespace_id} was deleted outside Terraform; the next apply creates the mesh again."),
        ));
        return Ok(None);
    };
    let tags = match tags {
        Ok(tags) => tags,
        // Deleted between the two calls: the next read sees it gone.
        Err(err) if err.is(ErrorKind::NotFound) => None,
        Err(err) => return Err(err),
    };
    let services = services?;
    let recent_read = RecentRead::of(
        &cluster,
        &namespace_id,
        &namespace,
        &services,
        SystemTime::now(),
    );
    apply_namespace(&mut model, &namespace, tags, &gateway.default_tags);
    apply_services(&mut model, &cluster, &namespace, services, diagnostics);
    if model.external_services.is_known() {
        model.record_external(&externals?);
    }
    Ok(Some((model, recent_read)))
}

fn apply_namespace(
    model: &mut InternalModel,
    namespace: &ObservedNamespace,
    tags: Option<BTreeMap<String, String>>,
    default_tags: &BTreeMap<String, String>,
) {
    model.set_namespace_facts(namespace);
    if model.owns_namespace() {
        model.description = namespace
            .description
            .clone()
            .map(Attr::Known)
            .unwrap_or(Attr::Null);
    }
    if let Some(all) = tags {
        // Like terraform-provider-aws: `tags` is what is not a matching default tag.
        let own = own_tags(&all, default_tags);
        model.tags = if own.is_empty() && model.tags.is_null() {
            Attr::Null
        } else {
            attr_map(&own)
        };
        model.tags_all = attr_map(&all);
    }
}

/// Reflects each managed service as ECS has it. A service whose Service Connect was
/// changed or turned off shows its real settings (or leaves the map), so the plan
/// proposes to put it back; a service that no longer exists is dropped with a warning.
fn apply_services(
    model: &mut InternalModel,
    cluster: &str,
    namespace: &ObservedNamespace,
    services: BTreeMap<String, Option<EcsService>>,
    diagnostics: &mut Diagnostics,
) {
    let reference = NamespaceRef::from(namespace);
    let wiring_of = |name: &str| {
        services
            .get(name)
            .and_then(Option::as_ref)
            .and_then(|s| observed_wiring(s.observed.service_connect.as_ref(), &reference))
    };
    for name in model.service_names() {
        if services.get(&name).is_some_and(Option::is_none) {
            diagnostics.push(Diagnostic::warning(
                "ECS service no longer exists",
                format!(
                    "ECS service {cluster}/{name} was not found; it is dropped from the state. Create it again, \
                     or remove it from the configuration."
                ),
            ));
        }
    }
    let observed: BTreeMap<String, Wiring> = model
        .service_names()
        .into_iter()
        .filter_map(|name| wiring_of(&name).map(|wiring| (name, wiring)))
        .collect();
    // What ECS said is in `observed` now: not held while the model is rewritten.
    drop(services);
    model.record_observed(&observed);
}
