//! Who else uses a namespace. A namespace is shared infrastructure: other clusters'
//! services, other teams' Cloud Map services (standalone servers registered by hand)
//! and other tools can live in it, and a destroy must not take their work with it.

use std::collections::{BTreeMap, BTreeSet};

use super::InternalResource;
use super::grouping::name_list;
use super::model::{InternalModel, PrivateState};
use crate::aws::cloudmap::CloudMapService;
use crate::aws::error::GatewayError;
use crate::aws::gateway::Gateway;
use crate::mesh::model::ObservedNamespace;
use crate::mesh::names::cluster_name;
use crate::protocol::diagnostics::{Diagnostic, Diagnostics};
use crate::protocol::value::Value;
use crate::provider::Configured;

/// The tag ECS puts on the Cloud Map services it creates for Service Connect (seen by
/// users, aws/containers-roadmap#2560; not in AWS's docs, so the services' own
/// `serviceConnectResources` count as well).
const ECS_MANAGED_TAG: (&str, &str) = ("AmazonECSManaged", "true");

/// What belongs to the mesh being destroyed, and so does not count as another user.
pub(super) struct Ours {
    /// The cluster's name.
    pub cluster: String,
    /// The ECS services the mesh wires (or wired).
    pub services: BTreeSet<String>,
    /// The Cloud Map services ECS made for them (names), still there at plan time, and
    /// the standalone servers the mesh made.
    pub discovery_names: BTreeSet<String>,
}

/// What still uses a namespace besides the mesh.
#[derive(Debug, Default)]
pub(super) struct NamespaceUsers {
    /// Cloud Map services in it, each with whether ECS made it.
    pub cloud_map: Vec<(CloudMapService, bool)>,
    /// ECS services associated with it, as `cluster/name`.
    pub ecs_services: Vec<String>,
}

impl Ours {
    /// The part of the namespace the mesh stored as `prior` holds.
    pub fn of(prior: &InternalModel) -> Self {
        let cluster = prior
            .cluster
            .known()
            .map(String::as_str)
            .unwrap_or_default();
        Self {
            cluster: cluster_name(cluster).to_string(),
            services: prior.service_names(),
            // The standalone servers it made go before the namespace does.
            discovery_names: prior
                .discovery_names()
                .into_iter()
                .chain(
                    prior
                        .external_services
                        .known()
                        .into_iter()
                        .flat_map(|e| e.keys().cloned()),
                )
                .collect(),
        }
    }
}

impl NamespaceUsers {
    pub fn is_empty(&self) -> bool {
        self.cloud_map.is_empty() && self.ecs_services.is_empty()
    }

    /// The users left once the Cloud Map services named in `deleted` are gone.
    pub fn without(mut self, deleted: &BTreeSet<String>) -> Self {
        self.cloud_map
            .retain(|(service, _)| !deleted.contains(&service.name));
        self
    }

    /// The Cloud Map services ECS did not make: never deleted by this provider.
    pub fn foreign(&self) -> Vec<&str> {
        self.cloud_map
            .iter()
            .filter(|(_, by_ecs)| !by_ecs)
            .map(|(service, _)| service.name.as_str())
            .collect()
    }

    /// "Cloud Map services erp (not made by ECS) and api-grpc, ECS services other/api".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.cloud_map.is_empty() {
            let names: Vec<String> = self
                .cloud_map
                .iter()
                .map(|(service, by_ecs)| match by_ecs {
                    true => service.name.clone(),
                    false => format!("{} (not made by ECS)", service.name),
                })
                .collect();
            parts.push(format!("Cloud Map services {}", name_list(&names)));
        }
        if !self.ecs_services.is_empty() {
            parts.push(format!(
                "ECS services {} (Service Connect names the namespace)",
                name_list(&self.ecs_services)
            ));
        }
        parts.join(", and ")
    }
}

/// The destroy plan's read-only look ahead: a warning when the destroy will keep the
/// namespace because others still use it (or, with `force_destroy`, what it will delete
/// of theirs). Never an error: a check that cannot run must not block a destroy.
pub(super) async fn destroy_warnings(
    resource: &InternalResource,
    prior: &Value,
    prior_private: &[u8],
) -> Diagnostics {
    let Ok(Some(prior)) = resource.decode(prior) else {
        return Diagnostics::default();
    };
    let Configured::Ready(gateway) = resource.provider.get() else {
        return Diagnostics::default();
    };
    if !prior.owns_namespace() || prior.namespace_unconfirmed() {
        return Diagnostics::default();
    }
    let mut ours = Ours::of(&prior);
    let private = PrivateState::decode(prior_private);
    ours.discovery_names
        .extend(private.pending_cleanup.iter().map(|(name, _)| name.clone()));
    let key = prior.namespace_key().cloned().unwrap_or_default();
    let users = match gateway.cloudmap.get_namespace(&key).await {
        Ok(Some(namespace)) => namespace_users(&gateway, &namespace, &ours)
            .await
            .map(|users| (namespace, users)),
        Ok(None) => return Diagnostics::default(),
        Err(err) => Err(err),
    };
    let (namespace, users) = match users {
        Ok(found) => found,
        Err(err) => {
            return Diagnostics::from(Diagnostic::warning(
                "Could not check who else uses the namespace",
                format!("{err}. The destroy checks again before it deletes the namespace."),
            ));
        }
    };
    if users.is_empty() {
        return Diagnostics::default();
    }
    let name = format!("{} ({})", namespace.name, namespace.id);
    if prior.force_destroy() && users.foreign().is_empty() {
        return Diagnostics::from(Diagnostic::warning(
            "force_destroy deletes what others made in the namespace",
            format!(
                "Namespace {name} is still in use by {}. With force_destroy, the destroy deletes the Cloud \
                 Map services ECS made for them, then the namespace.",
                users.describe()
            ),
        ));
    }
    Diagnostics::from(Diagnostic::warning(
        "The destroy will keep the namespace",
        format!(
            "Namespace {name} is still in use by {}, so the destroy will turn Service Connect off on this \
             mesh's services, delete the Cloud Map services ECS made for them, and then stop with an error \
             before deleting the namespace. {}",
            users.describe(),
            if prior.force_destroy() {
                "force_destroy never deletes a Cloud Map service ECS did not make: remove those first, or run \
                 `terraform state rm <address>` to leave the namespace in place."
            } else {
                "Remove what still uses it first, set `force_destroy = true` (and apply it) to delete the Cloud \
                 Map services ECS made for others, or run `terraform state rm <address>` to leave the namespace \
                 in place."
            }
        ),
    ))
}

/// Everything in or associated with `namespace` that is not `ours`: its Cloud Map
/// services (ListServices) and the ECS services of any cluster associated with it
/// (ListServicesByNamespace). Read-only.
pub(super) async fn namespace_users(
    gateway: &Gateway,
    namespace: &ObservedNamespace,
    ours: &Ours,
) -> Result<NamespaceUsers, GatewayError> {
    let (cloud_map, ecs_arns) = tokio::try_join!(
        gateway.cloudmap.services_in(&namespace.id),
        gateway.ecs.services_by_namespace(&namespace.arn),
    )?;
    let ecs_services: Vec<(String, String)> = ecs_arns
        .iter()
        .filter_map(|arn| cluster_and_service(arn))
        .filter(|(cluster, name)| !(cluster == &ours.cluster && ours.services.contains(name)))
        .collect();
    let others: Vec<CloudMapService> = cloud_map
        .into_iter()
        .filter(|service| !ours.discovery_names.contains(&service.name))
        .collect();
    let made_by_ecs = if others.is_empty() {
        BTreeSet::new()
    } else {
        ecs_made(gateway, &others, &ecs_services).await?
    };
    Ok(NamespaceUsers {
        cloud_map: others
            .into_iter()
            .map(|service| {
                let by_ecs = made_by_ecs.contains(&service.arn);
                (service, by_ecs)
            })
            .collect(),
        ecs_services: ecs_services
            .into_iter()
            .map(|(cluster, name)| format!("{cluster}/{name}"))
            .collect(),
    })
}

/// The ARNs among `services` that ECS made: tagged as ECS-managed, or named in the
/// `serviceConnectResources` of an ECS service associated with the namespace.
async fn ecs_made(
    gateway: &Gateway,
    services: &[CloudMapService],
    ecs_services: &[(String, String)],
) -> Result<BTreeSet<String>, GatewayError> {
    let mut made = BTreeSet::new();
    for service in services {
        let tags = gateway.cloudmap.tags(&service.arn).await?;
        if tags.get(ECS_MANAGED_TAG.0).map(String::as_str) == Some(ECS_MANAGED_TAG.1) {
            made.insert(service.arn.clone());
        }
    }
    let mut by_cluster: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (cluster, name) in ecs_services {
        by_cluster.entry(cluster).or_default().push(name.clone());
    }
    for (cluster, names) in by_cluster {
        let described = gateway.ecs.describe_services(cluster, &names).await?;
        made.extend(
            described
                .values()
                .flatten()
                .flat_map(|s| s.observed.discovery_resources.iter())
                .map(|(_, arn)| arn.clone()),
        );
    }
    Ok(made)
}

/// (cluster, service) of an ECS service ARN: `arn:…:service/<cluster>/<name>`. The old
/// short form `arn:…:service/<name>` names no cluster and is left out.
fn cluster_and_service(arn: &str) -> Option<(String, String)> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let mut parts = resource.split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("service"), Some(cluster), Some(name), None) => {
            Some((cluster.to_string(), name.to_string()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_arns_name_their_cluster() {
        assert_eq!(
            cluster_and_service("arn:aws:ecs:eu-west-1:123456789012:service/prod/backend"),
            Some(("prod".to_string(), "backend".to_string()))
        );
        assert_eq!(
            cluster_and_service("arn:aws:ecs:eu-west-1:123456789012:service/backend"),
            None
        );
        assert_eq!(cluster_and_service("backend"), None);
    }

    #[test]
    fn users_are_listed_with_what_ecs_did_not_make_marked() {
        let service = |name: &str| CloudMapService {
            id: format!("srv-{name}"),
            name: name.to_string(),
            arn: format!("arn:aws:servicediscovery:eu-west-1:1:service/srv-{name}"),
        };
        let users = NamespaceUsers {
            cloud_map: vec![(service("erp"), false), (service("api"), true)],
            ecs_services: vec!["other/api".to_string()],
        };
        assert_eq!(users.foreign(), vec!["erp"]);
        assert_eq!(
            users.describe(),
            "Cloud Map services erp (not made by ECS), api, and ECS services other/api \
             (Service Connect names the namespace)"
        );
        assert!(NamespaceUsers::default().is_empty());
    }
}
