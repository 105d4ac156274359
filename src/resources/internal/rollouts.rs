//! Waiting for the deployments an apply started until their configuration is live:
//! the PRIMARY deployment COMPLETED with the Service Connect configuration that was
//! sent. A failed rollout (and the circuit breaker's rollback to the old
//! configuration) is an error naming the service, the deployment and ECS's reason, and
//! reports what the service really runs now, so the state records it.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::aws::ecs::Deployment;
use crate::aws::error::{ErrorKind, GatewayError};
use crate::aws::gateway::Gateway;
use crate::aws::wait::Waiter;
use crate::mesh::model::{ObservedService, Wiring};
use crate::mesh::reconcile::{NamespaceRef, observed_wiring};
use crate::mesh::rollout::{Rollout, rollout_of};
use crate::mesh::validate::format_go_duration;

/// A deployment to wait for: its id, and the wiring it should make live.
pub struct Awaited {
    pub deployment: Deployment,
    pub expected: Option<Wiring>,
}

/// A rollout that did not make its configuration live.
#[derive(Debug)]
pub struct RolloutFailure {
    pub service: String,
    pub error: GatewayError,
    /// What the service runs now, in our namespace (`None`: nothing of ours).
    pub now: Option<Wiring>,
}

/// Where one awaited rollout stands: `None` while it goes on (following a deployment
/// that superseded it), `Some(None)` when its configuration is live, `Some(Some(error))`
/// when it ended otherwise.
fn judge(
    wait: &mut Awaited,
    service: &ObservedService,
    now: Option<&Wiring>,
    action: impl Fn(&str) -> String,
) -> Option<Option<GatewayError>> {
    let deployment = wait.deployment.clone().unwrap_or_default();
    match rollout_of(service, &deployment) {
        Rollout::InProgress => None,
        Rollout::Superseded { by } => {
            // Someone deployed again: follow theirs, and check what it runs.
            wait.deployment = Some(by);
            None
        }
        Rollout::Completed if is_live(wait.expected.as_ref(), now) => Some(None),
        Rollout::Completed => Some(Some(GatewayError::new(
            action(&deployment),
            ErrorKind::Other,
            "the deployment completed with another Service Connect configuration than \
             the one sent (changed outside Terraform meanwhile?); the state records what \
             it runs",
        ))),
        Rollout::Failed {
            reason,
            rolled_back,
        } => Some(Some(GatewayError::new(
            action(&deployment),
            ErrorKind::Other,
            format!(
                "the deployment failed: {}{}",
                reason.trim_end_matches('.'),
                if rolled_back {
                    ". ECS rolled the service back to its previous configuration, which the state records"
                } else {
                    ""
                }
            ),
        ))),
    }
}

/// Whether what a service runs now is what was sent (settings the wiring leaves to AWS
/// may be anything).
fn is_live(expected: Option<&Wiring>, now: Option<&Wiring>) -> bool {
    match (expected, now) {
        (Some(expected), Some(now)) => expected.is_met_by(now),
        (None, None) => true,
        _ => false,
    }
}

/// Waits (within `timeout`) until every awaited deployment is live, and returns the
/// services whose deployment is not.
pub async fn wait_for_rollouts(
    gateway: &Gateway,
    cluster: &str,
    namespace: &NamespaceRef,
    mut awaited: BTreeMap<String, Awaited>,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Vec<RolloutFailure> {
    let mut failures = Vec::new();
    let mut waiter = Waiter::for_operation(timeout, cancel.clone());
    // A deployment ECS did not name (no PRIMARY in UpdateService's answer) cannot be
    // followed: nothing to wait for.
    awaited.retain(|_, a| a.deployment.is_some());
    while !awaited.is_empty() {
        let names: Vec<String> = awaited.keys().cloned().collect();
        let described = match gateway.ecs.describe_services(cluster, &names).await {
            Ok(described) => described,
            Err(err) => {
                // Not known to have failed: as far as we know, what was sent is PRIMARY.
                failures.extend(awaited.into_iter().map(|(service, wait)| RolloutFailure {
                    service,
                    error: err.clone(),
                    now: wait.expected,
                }));
                return failures;
            }
        };
        for (name, service) in described {
            let Some(wait) = awaited.get_mut(&name) else {
                continue;
            };
            let action = |deployment: &str| {
                format!("deploying ECS service {cluster}/{name} (deployment {deployment})")
            };
            let Some(service) = service else {
                let deployment = wait.deployment.clone().unwrap_or_default();
                failures.push(RolloutFailure {
                    error: GatewayError::new(
                        action(&deployment),
                        ErrorKind::NotFound,
                        "the service no longer exists",
                    ),
                    service: name.clone(),
                    now: None,
                });
                awaited.remove(&name);
                continue;
            };
            let now = observed_wiring(service.observed.service_connect.as_ref(), namespace);
            let ended = judge(wait, &service.observed, now.as_ref(), action);
            if let Some(error) = ended {
                if let Some(error) = error {
                    failures.push(RolloutFailure {
                        service: name.clone(),
                        error,
                        now,
                    });
                }
                awaited.remove(&name);
            }
        }
        if awaited.is_empty() {
            break;
        }
        if waiter.pause().await.is_err() {
            let waited = format_go_duration(timeout);
            failures.extend(awaited.into_iter().map(|(service, wait)| RolloutFailure {
                error: GatewayError::new(
                    format!(
                        "deploying ECS service {cluster}/{service} (deployment {})",
                        wait.deployment.unwrap_or_default()
                    ),
                    ErrorKind::Unfinished,
                    format!(
                        "still rolling out after {waited} (the resource's timeout, or Terraform \
                         asked the provider to stop); the deployment goes on in ECS"
                    ),
                ),
                service,
                now: wait.expected,
            }));
            break;
        }
    }
    failures
}
