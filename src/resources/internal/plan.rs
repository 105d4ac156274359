//! Plan: fill in what the configuration decides (defaults, endpoints, merged tags) so
//! the plan shows real values, and leave the rest "known after apply".

use std::collections::BTreeSet;

use super::grouping::name_list;
use super::model::{
    InternalModel, NameUnused, PriorNamespace, PrivateState, Successor, attr_map, merged_tags,
};
use super::{InternalResource, plan_checks, validate};
use crate::mesh::names::cluster_name;
use crate::protocol::diagnostics::{Diagnostic, Diagnostics};
use crate::protocol::provider::{CallContext, PlanRequest, PlanResponse};
use crate::protocol::value::{Attr, AttributePath, Value};
use crate::provider::Configured;

pub(super) async fn plan(
    resource: &InternalResource,
    mut request: PlanRequest,
    _ctx: &CallContext,
) -> PlanResponse {
    let (mut planned, prior, mut requires_replace) = match plan_model(resource, &request) {
        Ok(planned) => planned,
        Err(diagnostics) => return failed(request, diagnostics),
    };
    // Decoded into the models: the prior state's and the configuration's values are not
    // held through the checks (at 500 services, megabytes of small allocations).
    let creating = request.prior_state.is_null();
    request.prior_state = Value::Null;
    request.config = Value::Null;
    let mut private = PrivateState::decode(&request.prior_private);
    // Handed on to the plan of a replacement (see PrivateState::prior_namespace). With no
    // prior, the private state is empty for a new object, or is what the replaced
    // object's plan recorded: kept as it is.
    if let Some(prior) = &prior {
        private.prior_namespace = PriorNamespace::of(prior);
    } else if private.prior_namespace.is_none() {
        // A create that replaces no planned object; see PrivateState::successor.
        private.successor = Successor::of(&planned);
    }
    // Warnings from the checks (e.g. settings made elsewhere) go out with the plan.
    let mut warnings = Diagnostics::default();
    if let Some(prior) = &prior {
        match vpc_change_replaces(resource, prior, &planned).await {
            Ok(true) => requires_replace.push(AttributePath::root().attribute("vpc_id")),
            Ok(false) => {}
            Err(diagnostics) => return failed(request, diagnostics),
        }
    }
    if let Configured::Ready(gateway) = resource.provider.get() {
        let context = plan_checks::Context {
            prior: prior.as_ref(),
            replaced: private.prior_namespace.as_ref(),
        };
        let (mut checks, unused_name) = plan_checks::check(&gateway, &context, &mut planned).await;
        private.name_unused = unused_name.map(NameUnused::now);
        // Ports just read from task definitions can make two endpoints collide.
        checks.extend(validate::endpoint_violations(&planned));
        if checks.has_errors() {
            return failed(request, checks);
        }
        warnings = checks;
        if let Some(prior) = &prior
            && let Some(notice) = redeploy_notice(prior, &planned)
        {
            warnings.push(notice);
        }
        if let Some(prior) = &prior
            && !prior.owns_namespace()
            && planned.owns_namespace()
        {
            warnings.push(ownership_notice(prior));
        }
        // Ports found in task definitions make endpoints known.
        planned.refresh_endpoints();
        if let Some(prior) = &prior
            && prior.services == planned.services
            && prior.external_services == planned.external_services
        {
            planned.endpoints = prior.endpoints.clone();
        }
    }
    let planned_identity = if creating || !requires_replace.is_empty() {
        None
    } else {
        resource
            .identity(&planned)
            .or(request.prior_identity.clone())
    };
    match resource.encode(&planned) {
        Ok(planned_state) => PlanResponse {
            planned_state,
            planned_private: private.encode(),
            planned_identity,
            requires_replace,
            diagnostics: warnings,
            ..PlanResponse::default()
        },
        Err(diagnostics) => failed(request, diagnostics),
    }
}

/// What a plan that changes the mesh's endpoints will redeploy, and why: running tasks
/// know only the endpoints that existed when they started (see wiring.rs).
fn redeploy_notice(prior: &InternalModel, planned: &InternalModel) -> Option<Diagnostic> {
    if !planned.redeploy_clients() {
        return None;
    }
    let endpoint = |model: &InternalModel, name: &str| {
        model.services.known().and_then(|s| s.get(name)).map(|s| {
            s.endpoint_list()
                .into_iter()
                .map(|(discovery, e)| (discovery, e.dns_name, e.port))
                .collect::<Vec<_>>()
        })
    };
    let servers = |model: &InternalModel| -> BTreeSet<String> {
        model
            .services
            .known()
            .map(|s| s.keys().cloned().collect())
            .unwrap_or_default()
    };
    let moved: Vec<String> = servers(prior)
        .union(&servers(planned))
        .filter(|name| endpoint(prior, name) != endpoint(planned, name))
        .cloned()
        .collect();
    if moved.is_empty() {
        return None;
    }
    // Services whose own configuration changes get a new deployment anyway.
    let same = |name: &String| {
        let before = prior.services.known().and_then(|s| s.get(name));
        let after = planned.services.known().and_then(|s| s.get(name));
        before == after
            && prior.client_names().contains(name) == planned.client_names().contains(name)
    };
    let redeployed: Vec<String> = prior
        .service_names()
        .intersection(&planned.service_names())
        .filter(|name| same(name))
        .cloned()
        .collect();
    if redeployed.is_empty() {
        return None;
    }
    Some(Diagnostic::warning(
        "ECS services will be redeployed",
        format!(
            "This plan changes the endpoints of {}. Running tasks know only the endpoints that existed \
             when they started, so once the new deployments are complete, the apply redeploys {} with their \
             configuration unchanged. Set `redeploy_clients = false` to deploy them yourself.",
            name_list(&moved),
            name_list(&redeployed)
        ),
    ))
}

/// A mesh that starts owning a namespace it did not make: say what that means.
fn ownership_notice(prior: &InternalModel) -> Diagnostic {
    let name = prior.namespace.known().cloned().unwrap_or_default();
    let id = prior.id.known().cloned().unwrap_or_default();
    Diagnostic::warning(
        "The mesh takes ownership of its namespace",
        format!(
            "With `namespace` and `vpc_id` instead of `namespace_id`, this resource owns namespace {name} \
             ({id}): it will manage its description and tags, and a destroy deletes it once nothing else \
             uses it. Keep `namespace_id` to wire onto it without owning it."
        ),
    )
    .at(AttributePath::root().attribute("namespace"))
}

/// Whether a changed `vpc_id` replaces the mesh: not when the namespace's private hosted
/// zone already serves the new VPC (a zone can serve several; GetHostedZone lists them),
/// as the namespace is the same. Unknown until apply, or no zone to ask: it may be another.
async fn vpc_change_replaces(
    resource: &InternalResource,
    prior: &InternalModel,
    planned: &InternalModel,
) -> Result<bool, Diagnostics> {
    // A mesh that starts owning its namespace (namespace_id → namespace and vpc_id) had
    // no VPC recorded: the zone must serve the one named now, as for any other change.
    if !planned.owns_namespace() || prior.vpc_id == planned.vpc_id {
        return Ok(false);
    }
    let (Attr::Known(vpc_id), Some(zone)) = (&planned.vpc_id, prior.hosted_zone_id.known()) else {
        return Ok(true);
    };
    let Configured::Ready(gateway) = resource.provider.get() else {
        return Ok(true);
    };
    match gateway.route53.hosted_zone_vpcs(zone).await {
        Ok(vpcs) => Ok(!vpcs.contains(vpc_id)),
        Err(err) => Err(Diagnostics::error(
            "Checking the namespace's VPCs failed",
            err.to_string(),
        )),
    }
}

fn failed(request: PlanRequest, diagnostics: Diagnostics) -> PlanResponse {
    PlanResponse {
        planned_state: request.proposed_new_state,
        planned_private: request.prior_private,
        diagnostics,
        ..PlanResponse::default()
    }
}

/// The planned model, the prior one (decoded once, for the caller too) and the
/// attributes whose change requires a replacement.
type Planned = (InternalModel, Option<InternalModel>, Vec<AttributePath>);

fn plan_model(resource: &InternalResource, request: &PlanRequest) -> Result<Planned, Diagnostics> {
    let prior = resource.decode(&request.prior_state)?;
    let Some(mut planned) = resource.decode(&request.proposed_new_state)? else {
        return Ok((InternalModel::default(), prior, Vec::new()));
    };
    let config = resource.decode(&request.config)?.unwrap_or_default();
    // Ownership follows the configuration's form, also for an imported object: changing
    // the form changes it in place (nothing in AWS changes).
    let owned = config.namespace_id.is_null();
    planned.namespace_owned = Attr::Known(owned);
    if prior.is_none() {
        if owned {
            planned.namespace = config.namespace.clone();
        } else {
            // Wiring onto an existing namespace: its id is the resource's id (read at
            // apply when the namespace is named by ARN, as a shared one is).
            planned.id = match &config.namespace_id {
                Attr::Known(arn) if arn.starts_with("arn:") => Attr::Unknown,
                other => other.clone(),
            };
        }
    }
    if let Attr::Known(services) = &mut planned.services {
        let namespace = planned.namespace.clone();
        let configured = config.services.known();
        let prior_services = prior.as_ref().and_then(|p| p.services.known());
        for (key, service) in services.iter_mut() {
            let config_entry = configured.and_then(|c| c.get(key));
            let prior_entry = prior_services.and_then(|p| p.get(key));
            service.plan_defaults(key, config_entry, prior_entry, &namespace);
        }
    }
    if let Attr::Known(externals) = &mut planned.external_services {
        let configured = config.external_services.known();
        for (name, external) in externals.iter_mut() {
            // A TTL removed from the configuration goes back to the default.
            if configured
                .and_then(|c| c.get(name))
                .is_some_and(|c| c.ttl.is_null())
            {
                external.ttl = Attr::Null;
            }
            *external = std::mem::take(external).with_defaults();
        }
    }
    planned.refresh_endpoints();
    // As apply records them: a namespace this resource does not own keeps its tags,
    // and neither `tags` nor the provider's default_tags are put on it.
    planned.tags_all = match (resource.provider.get(), &planned.namespace_owned) {
        (_, Attr::Known(false)) => attr_map(&Default::default()),
        (Configured::Ready(gateway), _) => merged_tags(&gateway.default_tags, &planned.tags),
        _ => Attr::Unknown,
    };
    // Unchanged parts keep their prior values exactly: no perpetual diffs.
    if let Some(prior) = &prior
        && (prior.endpoints == planned.endpoints
            || planned.endpoints.is_unknown() && prior.services == planned.services)
    {
        planned.endpoints = prior.endpoints.clone();
    }
    // Leftovers to delete are a change of their own (Terraform applies only changes),
    // and any apply may leave new ones (a freed Cloud Map service ECS still holds).
    if let Some(prior) = &prior {
        planned.pending_cleanup = prior.pending_cleanup.clone();
        let leftovers = prior.pending_cleanup.known().is_some_and(|p| !p.is_empty());
        if leftovers || planned != *prior {
            planned.pending_cleanup = Attr::Unknown;
        }
    }
    let mut requires_replace = Vec::new();
    if let Some(prior) = &prior {
        let other_cluster = match (&prior.cluster, &planned.cluster) {
            (Attr::Known(before), Attr::Known(after)) => {
                cluster_name(before) != cluster_name(after)
            }
            // Not known until apply: it may be another cluster.
            (Attr::Known(_), Attr::Unknown) => true,
            _ => false,
        };
        if other_cluster {
            requires_replace.push(AttributePath::root().attribute("cluster"));
        }
    }
    Ok((planned, prior, requires_replace))
}
