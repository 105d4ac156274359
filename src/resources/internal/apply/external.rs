//! Applying `external_services`: creating, changing (only the difference) and removing
//! the standalone servers' Cloud Map services, each change waited for, and recording
//! exactly what is in place.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::future::join_all;
use tokio_util::sync::CancellationToken;

use super::cloud_map_service;
use crate::aws::error::GatewayError;
use crate::aws::gateway::Gateway;
use crate::mesh::external::{DEFAULT_TTL, ExternalChange, ObservedExternal, plan_external};
use crate::protocol::diagnostics::{Diagnostic, Diagnostics};
use crate::protocol::value::Attr;
use crate::resources::internal::external::specs;
use crate::resources::internal::model::InternalModel;

/// Brings the planned standalone servers about in the namespace `namespace_id`
/// (removing those `prior` held that are no longer planned) and records in `model`
/// what is in place; each failure is an error with the summary `failed`.
pub(super) async fn sync_external(
    gateway: &Gateway,
    model: &mut InternalModel,
    prior: Option<&InternalModel>,
    namespace_id: &str,
    timeout: Duration,
    cancel: &CancellationToken,
    failed: &str,
) -> Diagnostics {
    let desired = specs(&model.external_services).unwrap_or_default();
    let previously: BTreeSet<String> = prior.map(external_names).unwrap_or_default();
    if desired.is_empty() && previously.is_empty() {
        return Diagnostics::default();
    }
    let names: BTreeSet<String> = desired.keys().chain(&previously).cloned().collect();
    let observed = match gateway
        .cloudmap
        .observe_external(namespace_id, &names)
        .await
    {
        Ok(observed) => observed,
        Err(err) => {
            // Nothing was changed: as the prior state says.
            model.external_services = prior
                .map(|p| p.external_services.clone())
                .unwrap_or(Attr::Null);
            model.refresh_endpoints();
            return Diagnostics::from(Diagnostic::error(failed, err.to_string()));
        }
    };
    let plan = plan_external(&desired, &observed, &previously);
    let changes = plan.changes.iter().map(|(name, change)| {
        apply_change(
            gateway,
            namespace_id,
            name,
            change,
            observed.get(name),
            timeout,
            cancel,
        )
    });
    let removals = plan
        .removed
        .iter()
        .filter_map(|name| observed.get(name).map(|have| (name, have)))
        .map(|(name, have)| remove(gateway, name, have, timeout, cancel));
    let (changed, removed) = tokio::join!(join_all(changes), join_all(removals));
    let mut diagnostics = Diagnostics::default();
    let errors: Vec<GatewayError> = changed
        .into_iter()
        .chain(removed)
        .filter_map(Result::err)
        .collect();
    if !errors.is_empty() {
        for err in &errors {
            diagnostics.push(Diagnostic::error(failed, err.to_string()));
        }
        // Some changes failed halfway: record what AWS has now.
        match gateway
            .cloudmap
            .observe_external(namespace_id, &names)
            .await
        {
            Ok(now) => model.record_external(&now),
            Err(err) => diagnostics.push(Diagnostic::error(failed, err.to_string())),
        }
    }
    // Everything planned is in place, or what is.
    model.refresh_endpoints();
    diagnostics
}

/// The standalone servers a model records.
pub(super) fn external_names(model: &InternalModel) -> BTreeSet<String> {
    model
        .external_services
        .known()
        .map(|e| e.keys().cloned().collect())
        .unwrap_or_default()
}

async fn apply_change(
    gateway: &Gateway,
    namespace_id: &str,
    name: &str,
    change: &ExternalChange,
    have: Option<&ObservedExternal>,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<(), GatewayError> {
    let cloudmap = &gateway.cloudmap;
    let service = match have {
        Some(have) if !change.create => cloud_map_service(name, &have.arn),
        _ => {
            let ttl = change.ttl.unwrap_or(DEFAULT_TTL);
            cloudmap.create_dns_service(namespace_id, name, ttl).await?
        }
    };
    if let (Some(ttl), false) = (change.ttl, change.create) {
        cloudmap.set_dns_ttl(&service, ttl, timeout, cancel).await?;
    }
    // Registrations of one server run one after another: each is an operation on the
    // same Cloud Map service.
    for address in &change.register {
        cloudmap
            .register_address(&service, address, change.port, timeout, cancel)
            .await?;
    }
    for instance in &change.deregister {
        cloudmap
            .deregister(&service, instance, timeout, cancel)
            .await?;
    }
    Ok(())
}

/// Deregisters every instance of a standalone server, then deletes its service.
async fn remove(
    gateway: &Gateway,
    name: &str,
    have: &ObservedExternal,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Result<(), GatewayError> {
    let service = cloud_map_service(name, &have.arn);
    for instance in have.instances.keys() {
        gateway
            .cloudmap
            .deregister(&service, instance, timeout, cancel)
            .await?;
    }
    gateway
        .cloudmap
        .delete_service(&service, timeout, cancel)
        .await
}
