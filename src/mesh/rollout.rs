//! Whether a deployment ECS started for us is live: a pure judgement on what
//! DescribeServices shows, so every case (completed, still rolling, failed, rolled back
//! by the deployment circuit breaker) is unit-tested without AWS.
//!
//! ECS's deployment circuit breaker marks a failed rollout FAILED and, with rollback on,
//! starts a new PRIMARY deployment of the last completed configuration (ECS developer
//! guide, "Deployment circuit breaker"): the service then runs the *old* Service Connect
//! configuration although UpdateService succeeded.

use super::model::ObservedService;

/// Where one deployment stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rollout {
    /// PRIMARY and finished: its configuration is live.
    Completed,
    InProgress,
    /// ECS gave up on it (and maybe rolled back to an older configuration, which is
    /// then PRIMARY): its reason as ECS words it.
    Failed {
        reason: String,
        rolled_back: bool,
    },
    /// Another deployment replaced it before it completed (someone else deployed).
    Superseded {
        by: String,
    },
}

/// The state of `deployment_id` on `service`.
pub fn rollout_of(service: &ObservedService, deployment_id: &str) -> Rollout {
    let primary = service.primary();
    let ours = service.deployments.iter().find(|d| d.id == deployment_id);
    let failed = |reason: Option<&String>| Rollout::Failed {
        reason: reason
            .cloned()
            .unwrap_or_else(|| "ECS gave no reason".to_string()),
        rolled_back: primary.is_some_and(|p| p.id != deployment_id),
    };
    match ours {
        Some(ours) if ours.rollout_state.as_deref() == Some("FAILED") => {
            failed(ours.rollout_state_reason.as_ref())
        }
        Some(ours) if ours.is_primary() => match ours.rollout_state.as_deref() {
            Some("COMPLETED") => Rollout::Completed,
            Some(_) => Rollout::InProgress,
            // Not tracked by ECS: done once the older deployments are gone.
            None if service.draining_deployments() == 0 => Rollout::Completed,
            None => Rollout::InProgress,
        },
        // No longer PRIMARY, and not marked FAILED: a rollback (its reason is then on
        // the PRIMARY), or someone deployed again.
        _ => match primary {
            Some(primary) if is_rollback(primary.rollout_state_reason.as_deref()) => {
                failed(primary.rollout_state_reason.as_ref())
            }
            Some(primary) => Rollout::Superseded {
                by: primary.id.clone(),
            },
            None => failed(None),
        },
    }
}

/// ECS words the reason of a rollback deployment "… rolling back to …" or "…circuit
/// breaker…" (rolloutStateReason); unverified beyond those words, so anything else
/// counts as someone else's deployment.
fn is_rollback(reason: Option<&str>) -> bool {
    reason.is_some_and(|r| {
        let r = r.to_ascii_lowercase();
        r.contains("rolling back") || r.contains("rolled back") || r.contains("circuit breaker")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::model::ObservedDeployment;

    fn deployment(
        id: &str,
        status: &str,
        state: Option<&str>,
        reason: Option<&str>,
    ) -> ObservedDeployment {
        ObservedDeployment {
            id: id.into(),
            status: status.into(),
            rollout_state: state.map(Into::into),
            rollout_state_reason: reason.map(Into::into),
        }
    }

    fn service(deployments: Vec<ObservedDeployment>) -> ObservedService {
        ObservedService {
            name: "backend".into(),
            arn: String::new(),
            status: "ACTIVE".into(),
            task_definition: String::new(),
            service_connect: None,
            discovery_resources: Vec::new(),
            deployments,
            deployment_controller: None,
            launch_type: None,
        }
    }

    #[test]
    fn a_primary_deployment_completes_or_is_still_rolling() {
        let rolling = service(vec![
            deployment("new", "PRIMARY", Some("IN_PROGRESS"), None),
            deployment("old", "ACTIVE", Some("COMPLETED"), None),
        ]);
        assert_eq!(rollout_of(&rolling, "new"), Rollout::InProgress);
        let done = service(vec![deployment("new", "PRIMARY", Some("COMPLETED"), None)]);
        assert_eq!(rollout_of(&done, "new"), Rollout::Completed);
    }

    #[test]
    fn an_untracked_deployment_completes_when_the_old_ones_are_gone() {
        let draining = service(vec![
            deployment("new", "PRIMARY", None, None),
            deployment("old", "ACTIVE", None, None),
        ]);
        assert_eq!(rollout_of(&draining, "new"), Rollout::InProgress);
        let drained = service(vec![deployment("new", "PRIMARY", None, None)]);
        assert_eq!(rollout_of(&drained, "new"), Rollout::Completed);
    }

    #[test]
    fn a_failed_rollout_names_the_reason_and_whether_ecs_rolled_back() {
        let reason = "ECS deployment circuit breaker: tasks failed to start.";
        let rolled_back = service(vec![
            deployment(
                "rollback",
                "PRIMARY",
                Some("IN_PROGRESS"),
                Some("ECS deployment circuit breaker: rolling back to deploymentId old."),
            ),
            deployment("new", "ACTIVE", Some("FAILED"), Some(reason)),
        ]);
        assert_eq!(
            rollout_of(&rolled_back, "new"),
            Rollout::Failed {
                reason: reason.into(),
                rolled_back: true
            }
        );
        let failed_in_place = service(vec![deployment(
            "new",
            "PRIMARY",
            Some("FAILED"),
            Some(reason),
        )]);
        assert_eq!(
            rollout_of(&failed_in_place, "new"),
            Rollout::Failed {
                reason: reason.into(),
                rolled_back: false
            }
        );
    }

    #[test]
    fn a_deployment_gone_from_the_list_is_a_rollback_or_someone_elses_deployment() {
        let rollback_reason = "ECS deployment circuit breaker: rolling back to deploymentId old.";
        let rolled_back = service(vec![deployment(
            "rollback",
            "PRIMARY",
            Some("IN_PROGRESS"),
            Some(rollback_reason),
        )]);
        assert!(matches!(
            rollout_of(&rolled_back, "new"),
            Rollout::Failed {
                rolled_back: true,
                ..
            }
        ));
        let redeployed = service(vec![deployment(
            "theirs",
            "PRIMARY",
            Some("IN_PROGRESS"),
            None,
        )]);
        assert_eq!(
            rollout_of(&redeployed, "new"),
            Rollout::Superseded {
                by: "theirs".into()
            }
        );
    }
}
