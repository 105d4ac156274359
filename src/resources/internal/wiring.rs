//! Carrying out a reconcile plan: resolve ports from task definitions, then wire
//! servers, clients and removals phase by phase, each phase concurrently (bounded by
//! the provider's `max_concurrency`). The outcome records exactly what is in place, so
//! a failure halfway loses nothing.
//!
//! Running tasks learn only the endpoints that existed when they started (ECS developer
//! guide, Service Connect: "deployment order"). So when a pass adds, removes or changes
//! an endpoint, it waits for the changed servers' deployments to complete before it
//! touches the clients, and then redeploys every other service of the mesh, unchanged,
//! so that their new tasks learn the new endpoints.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::rollouts::{Awaited, RolloutFailure, wait_for_rollouts};
use crate::aws::ecs::{Deployment, EcsService, RunningServiceConnect};
use crate::aws::error::{ErrorKind, GatewayError};
use crate::aws::gateway::Gateway;
use crate::aws::in_order;
use crate::aws::wait::Waiter;
use crate::mesh::model::{EndpointSpec, ObservedServiceConnect, PortLookup, Wiring};
use crate::mesh::reconcile::{Change, NamespaceRef, ReconcilePlan, observed_wiring, plan_changes};
use crate::mesh::validate::format_go_duration;

/// What one wiring pass left behind.
#[derive(Debug, Default)]
pub struct WiringOutcome {
    /// Every service wired in our namespace now, as it is wired.
    pub in_place: BTreeMap<String, Wiring>,
    /// The services that failed, with why.
    pub failures: Vec<(String, GatewayError)>,
    /// Services that had Service Connect turned on or changed by this pass, with the
    /// deployment each change started.
    pub changed: BTreeMap<String, Deployment>,
    /// Services redeployed unchanged so that their tasks learn new endpoints.
    pub redeployed: BTreeMap<String, Deployment>,
    /// Services whose deployment this pass already waited for (live or failed).
    pub settled: BTreeSet<String>,
    /// Cloud Map services ECS made for discovery names no longer used (name, ARN).
    pub freed_discovery: Vec<(String, String)>,
}

/// How long an apply waits for a cluster or ECS service that is not there yet. ECS is
/// eventually consistent after CreateService, and the object is often created by another
/// resource moments earlier in the same apply; terraform-provider-aws waits 2 minutes for
/// a new service to be found and ACTIVE (`findServiceByTwoPartKeyWaitForActive`,
/// internal/service/ecs; ../shared/research/real-aws-semantics.md).
pub const APPEARANCE_WAIT: Duration = Duration::from_secs(120);

/// How long and under which stop signal one wiring pass may wait for services.
pub struct Patience {
    /// The longest wait for services to appear (the operation's timeout caps it).
    pub appearance: Duration,
    /// The longest wait for the changed servers' deployments (the operation's timeout).
    pub rollout: Duration,
    /// Whether a change of endpoints redeploys the mesh's other services
    /// (`redeploy_clients`).
    pub redeploy_clients: bool,
    pub cancel: CancellationToken,
}

/// The services a wiring pass works on, as ECS described them before the pass changed
/// any, with the names asked for. Read apart from the pass so that an apply can read
/// while it waits for something else (the namespace being made).
pub struct Observation {
    asked: BTreeSet<String>,
    services: Result<BTreeMap<String, Option<EcsService>>, GatewayError>,
    /// Read by an earlier command's refresh (`RecentRead`), not by this apply.
    recalled: bool,
}

impl Observation {
    fn covers(&self, names: &BTreeSet<String>) -> bool {
        names.is_subset(&self.asked)
    }

    /// Services read earlier (`RecentRead`), as if read now.
    pub fn recalled(services: BTreeMap<String, Option<EcsService>>) -> Self {
        Self {
            asked: services.keys().cloned().collect(),
            services: Ok(services),
            recalled: true,
        }
    }

    /// The ARN of a service read (any one): it names the account and Region.
    pub fn a_service_arn(&self) -> Option<&str> {
        let services = self.services.as_ref().ok()?;
        services
            .values()
            .flatten()
            .map(|s| s.observed.arn.as_str())
            .find(|arn| !arn.is_empty())
    }
}

/// Describes `names`, waiting (within `patience`) for those in `wanted` to appear.
pub async fn observe(
    gateway: &Gateway,
    cluster: &str,
    names: BTreeSet<String>,
    wanted: &BTreeSet<String>,
    patience: &Patience,
) -> Observation {
    let listed: Vec<String> = names.iter().cloned().collect();
    let wanted: Vec<String> = wanted.iter().cloned().collect();
    let services = describe_when_ready(gateway, cluster, &listed, &wanted, patience).await;
    Observation {
        asked: names,
        services,
        recalled: false,
    }
}

/// Brings `desired` about, turning off the previously managed services no longer in
/// it. Ports left unset are resolved from each service's task definition, read now.
/// `early` is what an earlier read saw of the services; without it (or when it missed
/// one), they are read now.
pub async fn wire(
    gateway: &Gateway,
    cluster: &str,
    mut desired: BTreeMap<String, Wiring>,
    previously_managed: &BTreeSet<String>,
    namespace: &NamespaceRef,
    patience: &Patience,
    early: Option<Observation>,
) -> Result<WiringOutcome, GatewayError> {
    let names: BTreeSet<String> = desired
        .keys()
        .chain(previously_managed.iter())
        .cloned()
        .collect();
    let observation = match early {
        Some(early)
            if early.covers(&names)
                && (!early.recalled
                    || recall_stands_in(&early, &desired, previously_managed, namespace)) =>
        {
            early
        }
        _ => {
            let wanted: BTreeSet<String> = desired.keys().cloned().collect();
            observe(gateway, cluster, names.clone(), &wanted, patience).await
        }
    };
    let mut observed = observation.services?;
    // An early read may have asked for more: this pass sees only its own services.
    observed.retain(|name, _| names.contains(name));
    let mut outcome = WiringOutcome::default();
    drop_unready(cluster, &mut desired, &observed, patience, &mut outcome);
    resolve_ports(gateway, cluster, &mut desired, &observed, &mut outcome).await;

    let current = service_connect_of(&observed);
    for (name, service_connect) in &current {
        if let Some(wiring) = observed_wiring(*service_connect, namespace) {
            outcome.in_place.insert(name.clone(), wiring);
        }
    }
    // Services that already failed (not found, no such port) stay as they are: their
    // endpoints do not move.
    let failed: BTreeSet<String> = outcome
        .failures
        .iter()
        .map(|(name, _)| name.clone())
        .collect();
    let before = endpoints(
        outcome
            .in_place
            .iter()
            .filter(|(name, _)| !failed.contains(*name))
            .map(|(_, wiring)| wiring),
    );
    let endpoints_change = before != endpoints(desired.values());
    // Ends its borrow of the wirings, which move into the plan.
    drop(before);
    let redeploy = endpoints_change && patience.redeploy_clients;
    let desired_names: Vec<String> = desired.keys().cloned().collect();
    let plan = plan_changes(desired, &current, previously_managed, namespace);
    // Ends its borrow of ECS's answer, of which only what is sent back is kept below.
    drop(current);
    tracing::info!(
        cluster,
        changes = plan.len() as u64,
        endpoints_change,
        "wiring Service Connect"
    );
    let ReconcilePlan {
        servers,
        clients,
        removals,
    } = plan;
    // What the rest of the pass needs of ECS's answer: the Cloud Map services ECS made in
    // our namespace, and each service's own Service Connect configuration (sent back with
    // the settings this provider does not manage). The rest is not held through the calls
    // and the waits: at 500 services it is a megabyte.
    let made_by_ecs = discovery_made_in(&observed, namespace);
    let sent: BTreeMap<String, RunningServiceConnect> = observed
        .into_iter()
        .filter_map(|(name, service)| Some((name, service?.raw_service_connect?)))
        .collect();
    carry_out(gateway, cluster, servers, &sent, namespace, &mut outcome).await;
    // The new endpoints must be live before any client starts the tasks that learn them.
    let servers_live = !redeploy
        || await_deployments(
            gateway,
            cluster,
            namespace,
            &mut outcome,
            patience.rollout,
            &patience.cancel,
        )
        .await;
    for phase in [clients, removals] {
        carry_out(gateway, cluster, phase, &sent, namespace, &mut outcome).await;
    }
    if redeploy && servers_live {
        redeploy_unchanged(gateway, cluster, &desired_names, &mut outcome).await;
    }
    outcome.freed_discovery = freed_discovery(made_by_ecs, &outcome.in_place);
    Ok(outcome)
}

/// Whether what an earlier refresh read (`recalled`) may stand in for a read now. Not
/// when a port is still to find: a port unknown at plan comes from a task definition
/// another resource may have changed in this apply. Nor when the pass would leave a service
/// as the refresh saw it: the pass must not skip a service that changed since (replaced by
/// another resource in the same apply, say, without Service Connect); each service it
/// changes gets its whole configuration sent in any case.
fn recall_stands_in(
    recalled: &Observation,
    desired: &BTreeMap<String, Wiring>,
    previously_managed: &BTreeSet<String>,
    namespace: &NamespaceRef,
) -> bool {
    let Ok(services) = &recalled.services else {
        return false;
    };
    if desired.values().any(needs_port) {
        return false;
    }
    // Each desired service and each one no longer desired makes at most one change: the
    // pass leaves none alone when it makes as many. (A copy of the wirings: at most
    // `RecentRead::MAX_SERVICES` of them.)
    let touched = desired.len()
        + previously_managed
            .iter()
            .filter(|name| !desired.contains_key(*name))
            .count();
    let current = service_connect_of(services);
    plan_changes(desired.clone(), &current, previously_managed, namespace).len() == touched
}

/// Each service's Service Connect as read (none for a service not found or not wired).
fn service_connect_of(services: &Described) -> BTreeMap<String, Option<&ObservedServiceConnect>> {
    services
        .iter()
        .map(|(name, service)| {
            let service_connect = service
                .as_ref()
                .and_then(|s| s.observed.service_connect.as_ref());
            (name.clone(), service_connect)
        })
        .collect()
}

/// Whether a wiring has a port still to find in its task definition, or a mesh-wide
/// per-request timeout that applies only if the port mapping is HTTP, HTTP/2 or gRPC.
fn needs_port(wiring: &Wiring) -> bool {
    wiring.endpoints.iter().any(|e| {
        e.port.is_none()
            || (e.per_request_timeout_seconds.is_none()
                && e.inherited_per_request_timeout_seconds.is_some())
    })
}

/// The endpoints servers offer: (discovery name, DNS name, port).
fn endpoints<'a>(
    wirings: impl Iterator<Item = &'a Wiring>,
) -> BTreeSet<(&'a str, &'a str, Option<u16>)> {
    wirings
        .flat_map(|wiring| wiring.endpoints.iter().map(EndpointSpec::address))
        .collect()
}

/// Waits (within `timeout`) for the deployments this pass started and has not waited
/// for yet; a rollout that fails is that service's failure, and the service is recorded
/// as it runs now. Whether all are live.
pub async fn await_deployments(
    gateway: &Gateway,
    cluster: &str,
    namespace: &NamespaceRef,
    outcome: &mut WiringOutcome,
    timeout: Duration,
    cancel: &CancellationToken,
) -> bool {
    let awaited: BTreeMap<String, Awaited> = outcome
        .changed
        .iter()
        .chain(&outcome.redeployed)
        .filter(|(name, _)| !outcome.settled.contains(*name))
        .map(|(name, deployment)| {
            let awaited = Awaited {
                deployment: deployment.clone(),
                expected: outcome.in_place.get(name).cloned(),
            };
            (name.clone(), awaited)
        })
        .collect();
    outcome.settled.extend(awaited.keys().cloned());
    let failures = wait_for_rollouts(gateway, cluster, namespace, awaited, timeout, cancel).await;
    let live = failures.is_empty();
    record_rollout_failures(outcome, failures);
    live
}

/// Records failed rollouts: the error, and what the service runs now.
fn record_rollout_failures(outcome: &mut WiringOutcome, failures: Vec<RolloutFailure>) {
    for failure in failures {
        match failure.now {
            Some(now) => outcome.in_place.insert(failure.service.clone(), now),
            None => outcome.in_place.remove(&failure.service),
        };
        outcome.failures.push((failure.service, failure.error));
    }
}

/// Redeploys every desired service this pass did not change, concurrently.
async fn redeploy_unchanged(
    gateway: &Gateway,
    cluster: &str,
    desired: &[String],
    outcome: &mut WiringOutcome,
) {
    let failed: BTreeSet<&String> = outcome.failures.iter().map(|(name, _)| name).collect();
    let unchanged: Vec<&String> = desired
        .iter()
        .filter(|name| {
            outcome.in_place.contains_key(*name)
                && !outcome.changed.contains_key(*name)
                && !failed.contains(name)
        })
        .collect();
    let ecs = &gateway.ecs;
    let results = in_order(0..unchanged.len(), ecs.in_flight(), |i: usize| {
        ecs.redeploy(cluster, unchanged[i])
    })
    .await;
    for (name, result) in unchanged.into_iter().zip(results) {
        match result {
            Ok(deployment) => {
                outcome.redeployed.insert(name.clone(), deployment);
            }
            Err(err) => outcome.failures.push((name.clone(), err)),
        }
    }
}

/// A desired service that does not exist (or is not ACTIVE) by now cannot be wired: it
/// fails, with the error UpdateService itself would answer.
fn drop_unready(
    cluster: &str,
    desired: &mut BTreeMap<String, Wiring>,
    observed: &Described,
    patience: &Patience,
    outcome: &mut WiringOutcome,
) {
    desired.retain(|name, _| {
        let service = observed.get(name).and_then(Option::as_ref);
        let ready = service.is_some_and(|s| s.observed.is_active());
        if !ready {
            let status = service.map(|s| s.observed.status.as_str());
            let waited = format_go_duration(patience.appearance);
            // The codes UpdateService would answer with (its modelled errors in
            // botocore's ECS model): not found, or found but not ACTIVE.
            let (code, message) = match status {
                Some(status) => (
                    "ServiceNotActiveException",
                    format!(
                        "the service is {status}, not ACTIVE, after waiting {waited}; Service Connect can only be enabled on an ACTIVE service"
                    ),
                ),
                None => (
                    "ServiceNotFoundException",
                    format!(
                        "the service does not exist after waiting {waited} for it to appear; create it first, or fix the name"
                    ),
                ),
            };
            outcome.failures.push((
                name.clone(),
                GatewayError::with_code(
                    format!("enabling Service Connect on ECS service {cluster}/{name}"),
                    code,
                    message,
                ),
            ));
        }
        ready
    });
}

/// One phase of changes, concurrently (bounded by the gateway's limit); records each
/// result in `outcome`.
async fn carry_out(
    gateway: &Gateway,
    cluster: &str,
    phase: Vec<Change>,
    sent: &BTreeMap<String, RunningServiceConnect>,
    namespace: &NamespaceRef,
    outcome: &mut WiringOutcome,
) {
    // By index: a closure over references trips the Send check of async callers.
    let ecs = &gateway.ecs;
    let results = in_order(0..phase.len(), ecs.in_flight(), |i: usize| {
        let change = &phase[i];
        let raw = sent.get(change.service());
        let wiring = match change {
            Change::Wire { wiring, .. } => Some(wiring),
            Change::Unwire { .. } => None,
        };
        ecs.set_service_connect(cluster, change.service(), wiring, &namespace.arn, raw)
    })
    .await;
    for (change, result) in phase.into_iter().zip(results) {
        match (change, result) {
            (change, Err(err)) => outcome.failures.push((change.service().to_string(), err)),
            (Change::Wire { service, wiring }, Ok(deployment)) => {
                outcome.in_place.insert(service.clone(), wiring);
                outcome.changed.insert(service, deployment);
            }
            (Change::Unwire { service }, Ok(_)) => {
                outcome.in_place.remove(&service);
            }
        }
    }
}

type Described = BTreeMap<String, Option<EcsService>>;

/// Describes `names`, waiting (within `patience`) while the cluster is not found or
/// any of `wanted` is missing or not yet ACTIVE. What is still absent when the wait
/// ends is returned as it is, for the caller to report.
async fn describe_when_ready(
    gateway: &Gateway,
    cluster: &str,
    names: &[String],
    wanted: &[String],
    patience: &Patience,
) -> Result<BTreeMap<String, Option<EcsService>>, GatewayError> {
    let mut waiter = Waiter::for_retry(patience.appearance, patience.cancel.clone());
    loop {
        let described = gateway.ecs.describe_services(cluster, names).await;
        let waiting_for = match &described {
            Ok(observed) => wanted
                .iter()
                .filter(|name| {
                    !observed
                        .get(*name)
                        .and_then(Option::as_ref)
                        .is_some_and(|s| s.observed.is_active())
                })
                .count(),
            // The cluster does not exist (yet): wait for it as for its services.
            Err(err) if err.is(ErrorKind::NotFound) => wanted.len(),
            Err(_) => 0,
        };
        if waiting_for == 0 {
            return described;
        }
        tracing::info!(
            cluster,
            services = waiting_for as u64,
            "waiting for ECS services to appear"
        );
        if waiter.pause().await.is_err() {
            return described;
        }
    }
}

/// Fills unset ports with the container port of `port_name`, reading each distinct
/// task definition once. A port name the task definition lacks fails that service.
async fn resolve_ports(
    gateway: &Gateway,
    cluster: &str,
    desired: &mut BTreeMap<String, Wiring>,
    observed: &BTreeMap<String, Option<EcsService>>,
    outcome: &mut WiringOutcome,
) {
    let task_definition_of = |name: &str| {
        observed
            .get(name)
            .and_then(Option::as_ref)
            .map(|s| s.observed.task_definition.clone())
    };
    let needed: Vec<String> = desired
        .iter()
        .filter(|(_, wiring)| needs_port(wiring))
        .filter_map(|(name, _)| task_definition_of(name))
        .collect();
    let mappings = gateway.ecs.port_mappings_of(&needed).await;
    let mut failed = Vec::new();
    for (name, wiring) in desired.iter_mut() {
        let Some(task_definition) = task_definition_of(name).filter(|_| needs_port(wiring)) else {
            continue;
        };
        let ports = match mappings.get(&task_definition) {
            Some(Ok(ports)) => ports,
            Some(Err(err)) => {
                failed.push(name.clone());
                outcome.failures.push((name.clone(), err.clone()));
                continue;
            }
            None => continue,
        };
        for endpoint in wiring.endpoints.iter_mut() {
            if endpoint.per_request_timeout_seconds.is_none()
                && ports
                    .get(&endpoint.port_name)
                    .is_some_and(|mapping| !mapping.is_tcp())
            {
                endpoint.per_request_timeout_seconds =
                    endpoint.inherited_per_request_timeout_seconds;
            }
            if endpoint.port.is_some() {
                continue;
            }
            if let PortLookup::Port(port) = ports.lookup(&endpoint.port_name) {
                endpoint.port = Some(port);
                continue;
            }
            let known = ports.names();
            let error = GatewayError::new(
                format!("enabling Service Connect on ECS service {cluster}/{name}"),
                ErrorKind::Invalid,
                format!(
                    "task definition {task_definition} has no port mapping named {:?} with a container port (it has: {})",
                    endpoint.port_name,
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            );
            failed.push(name.clone());
            outcome.failures.push((name.clone(), error));
            break;
        }
    }
    for name in failed {
        desired.remove(&name);
    }
}

/// The Cloud Map services (name, ARN) ECS made for the services wired in our namespace
/// before this pass. Other namespaces' are not ours to clean.
fn discovery_made_in(observed: &Described, namespace: &NamespaceRef) -> Vec<(String, String)> {
    observed
        .values()
        .flatten()
        .filter(|s| observed_wiring(s.observed.service_connect.as_ref(), namespace).is_some())
        .flat_map(|s| s.observed.discovery_resources.iter().cloned())
        .collect()
}

/// Of the Cloud Map services ECS made (`made_by_ecs`), those no server uses now.
fn freed_discovery(
    made_by_ecs: Vec<(String, String)>,
    in_place: &BTreeMap<String, Wiring>,
) -> Vec<(String, String)> {
    let used: BTreeSet<&str> = in_place
        .values()
        .flat_map(Wiring::discovery_names)
        .collect();
    let mut freed: Vec<(String, String)> = made_by_ecs
        .into_iter()
        .filter(|(name, _)| !used.contains(name.as_str()))
        .collect();
    freed.sort();
    freed.dedup();
    freed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::model::ObservedService;

    fn namespace() -> NamespaceRef {
        NamespaceRef {
            id: "ns-1".into(),
            arn: "arn:aws:servicediscovery:eu-west-1:1:namespace/ns-1".into(),
            name: "internal.myapp".into(),
        }
    }

    /// backend as a refresh recalled it: not wired.
    fn recalled_unwired() -> Observation {
        let service = EcsService {
            observed: ObservedService::active_unwired("backend"),
            raw_service_connect: None,
        };
        Observation::recalled([("backend".to_string(), Some(service))].into())
    }

    fn backend(port: Option<u16>) -> BTreeMap<String, Wiring> {
        let wiring = Wiring {
            endpoints: vec![EndpointSpec::plain("backend-8080-tcp", "backend", port)],
            ..Wiring::default()
        };
        [("backend".to_string(), wiring)].into()
    }

    #[test]
    fn a_refresh_stands_in_only_for_a_pass_that_changes_everything_and_finds_no_port() {
        let none = BTreeSet::new();
        let recalled = recalled_unwired();
        assert!(recall_stands_in(
            &recalled,
            &backend(Some(8080)),
            &none,
            &namespace()
        ));
        // A port to find: the task definition may be new since the refresh.
        assert!(!recall_stands_in(
            &recalled,
            &backend(None),
            &none,
            &namespace()
        ));
        // backend already wired as desired: left alone.
        let wired = EcsService {
            observed: ObservedService {
                service_connect: Some(ObservedServiceConnect::serving(
                    &namespace().arn,
                    "backend-8080-tcp",
                    "backend",
                    8080,
                )),
                ..ObservedService::active_unwired("backend")
            },
            raw_service_connect: None,
        };
        let in_place = Observation::recalled([("backend".to_string(), Some(wired))].into());
        assert!(!recall_stands_in(
            &in_place,
            &backend(Some(8080)),
            &none,
            &namespace()
        ));
        let mut moved = backend(Some(8080));
        moved
            .values_mut()
            .for_each(|w| w.endpoints[0].port = Some(9090));
        assert!(recall_stands_in(&in_place, &moved, &none, &namespace()));
        // A previously managed service the refresh saw unwired would be left alone.
        let gone: BTreeSet<String> = ["orders".to_string()].into();
        assert!(!recall_stands_in(
            &recalled,
            &backend(Some(8080)),
            &gone,
            &namespace()
        ));
    }
}
