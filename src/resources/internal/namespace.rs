//! The mesh's private DNS namespace: finding the one an earlier try made, creating it,
//! and settling what a create that stopped halfway left behind.
//!
//! Our namespaces carry a CreatorRequestId of `tf-servicemesh-<hash of the cluster>-…`, so
//! a retried create finds its first try's namespace instead of making a second one.

use std::hash::{BuildHasher, Hasher};

use super::model::{InternalModel, PrivateState};
use super::plan_checks::taken_namespace_detail;
use crate::aws::cloudmap::{
    NamespaceRequest, NamespaceStart, OperationEnd, OperationState, create_namespace_action,
    namespace_target,
};
use crate::aws::error::{ErrorKind, GatewayError};
use crate::aws::gateway::Gateway;
use crate::mesh::model::ObservedNamespace;
use crate::mesh::names::cluster_name;
use crate::protocol::provider::CallContext;

/// Our namespaces' CreatorRequestId starts with this, then a hash of the cluster.
const REQUEST_ID_PREFIX: &str = "tf-servicemesh-";

/// A namespace with the mesh's name in its VPC, made by this provider.
pub(super) enum OwnNamespace {
    /// Made for this cluster: an earlier try of this create.
    ThisCluster(ObservedNamespace),
    /// Made for another cluster's mesh.
    AnotherMesh(ObservedNamespace),
}

/// Who made a namespace, told by its CreatorRequestId.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Maker {
    /// This provider, for this cluster's mesh.
    ThisCluster,
    /// This provider, for another cluster's mesh.
    AnotherMesh,
    /// Anyone else: the console, another tool.
    Someone,
}

pub(super) fn maker(namespace: &ObservedNamespace, cluster: &str) -> Maker {
    let request_id = namespace.creator_request_id.as_deref().unwrap_or_default();
    if request_id.starts_with(&cluster_prefix(cluster)) {
        Maker::ThisCluster
    } else if request_id.starts_with(REQUEST_ID_PREFIX) {
        Maker::AnotherMesh
    } else {
        Maker::Someone
    }
}

/// Whether a private namespace serves `vpc_id`: its hosted zone is associated with
/// the VPC (a zone can be associated with several; GetHostedZone lists them).
async fn in_vpc(
    gateway: &Gateway,
    namespace: &ObservedNamespace,
    vpc_id: &str,
) -> Result<bool, GatewayError> {
    Ok(match &namespace.hosted_zone_id {
        Some(zone) => gateway
            .route53
            .hosted_zone_vpcs(zone)
            .await?
            .iter()
            .any(|vpc| vpc == vpc_id),
        None => false,
    })
}

/// "The private DNS namespaces named `name` in `vpc_id`", each with who made it: the
/// one place that asks AWS. `consider` picks the candidates worth the VPC check (a
/// Route 53 call each); `except` is an id to pass over without reading it.
pub(super) async fn private_namespaces_in_vpc(
    gateway: &Gateway,
    name: &str,
    vpc_id: &str,
    cluster: &str,
    except: Option<&str>,
    consider: impl Fn(Maker) -> bool,
) -> Result<SameName, GatewayError> {
    let mut same_name = SameName {
        in_vpc: Vec::new(),
        unused: true,
    };
    for (id, _, kind) in gateway.cloudmap.find_namespaces_by_name(name).await? {
        if kind != "DNS_PRIVATE" {
            continue;
        }
        same_name.unused = false;
        if except == Some(id.as_str()) {
            continue;
        }
        let Some(candidate) = gateway.cloudmap.get_namespace(&id).await? else {
            continue;
        };
        let maker = maker(&candidate, cluster);
        if consider(maker) && in_vpc(gateway, &candidate, vpc_id).await? {
            same_name.in_vpc.push((candidate, maker));
        }
    }
    Ok(same_name)
}

/// The private DNS namespaces of one name.
pub(super) struct SameName {
    /// Those in the VPC asked about, of the makers asked about.
    pub in_vpc: Vec<(ObservedNamespace, Maker)>,
    /// No private DNS namespace of this account's own has the name, in any VPC (the
    /// search asks for the account's own only: RESOURCE_OWNER = SELF).
    pub unused: bool,
}

/// Looks for a private namespace named `name` in `vpc_id` that this provider made.
pub(super) async fn find_own_namespace(
    gateway: &Gateway,
    name: &str,
    vpc_id: &str,
    cluster: &str,
) -> Result<Option<OwnNamespace>, GatewayError> {
    let found = private_namespaces_in_vpc(gateway, name, vpc_id, cluster, None, |maker| {
        maker != Maker::Someone
    })
    .await?;
    Ok(found
        .in_vpc
        .into_iter()
        .next()
        .map(|(namespace, maker)| match maker {
            Maker::ThisCluster => OwnNamespace::ThisCluster(namespace),
            _ => OwnNamespace::AnotherMesh(namespace),
        }))
}

/// Why a create has no namespace to wire.
pub(super) struct CreateFailure {
    pub error: GatewayError,
    /// AWS may have made the namespace (the request was sent and not refused, or its
    /// operation had not ended), so the state must keep track of it.
    pub may_exist: bool,
    /// Its id, when the operation told us.
    pub namespace_id: Option<String>,
}

impl CreateFailure {
    pub(super) fn nothing_made(error: GatewayError) -> Self {
        Self {
            error,
            may_exist: false,
            namespace_id: None,
        }
    }
}

/// Finds the namespace an interrupted earlier create made (same name, same VPC, our
/// request-id prefix for this cluster) or creates it; `look_first` false skips the
/// search (a plan made moments ago found no namespace of the name). The operation's id
/// goes into `private` as soon as AWS accepts the request. A namespace made is not read
/// here: see [`read_made_namespace`].
pub(super) async fn find_or_create_namespace(
    gateway: &Gateway,
    request: &NamespaceRequest<'_>,
    cluster: &str,
    private: &mut PrivateState,
    look_first: bool,
    timeout: std::time::Duration,
    ctx: &CallContext,
) -> Result<NamespaceReady, CreateFailure> {
    let (name, vpc_id) = (request.name, request.vpc_id);
    let action = create_namespace_action(name, vpc_id);
    let found = match look_first {
        true => find_own_namespace(gateway, name, vpc_id, cluster)
            .await
            .map_err(CreateFailure::nothing_made)?,
        false => None,
    };
    match found {
        Some(OwnNamespace::ThisCluster(namespace)) => {
            tracing::info!(namespace = %namespace.id, "adopting the namespace an interrupted create made");
            return Ok(NamespaceReady::Read(namespace));
        }
        // Another cluster's mesh, e.g. the object a cluster change with
        // create_before_destroy is replacing. Cloud Map fails a namespace whose private
        // hosted zone overlaps one already associated with the VPC (CANNOT_CREATE_HOSTED_ZONE
        // / ConflictingDomainExists; terraform-provider-aws servicediscovery operation.go),
        // so stop here, before anything changes.
        Some(OwnNamespace::AnotherMesh(namespace)) => {
            return Err(CreateFailure::nothing_made(GatewayError::new(
                action,
                ErrorKind::InUse,
                taken_namespace_detail(name, vpc_id, &namespace.id, cluster_name(cluster), true),
            )));
        }
        None => {}
    }
    let namespace_id = match gateway.cloudmap.start_private_dns_namespace(request).await {
        Ok(NamespaceStart::Exists(id)) => id,
        Ok(NamespaceStart::Operation(operation)) => {
            private.namespace_operation = Some(operation.clone());
            match gateway
                .cloudmap
                .created_namespace(&operation, &action, timeout, &ctx.cancel)
                .await
            {
                Ok(id) => id,
                Err(OperationEnd::Failed(error)) => {
                    private.namespace_operation = None;
                    return Err(CreateFailure::nothing_made(error));
                }
                Err(OperationEnd::Unfinished(error)) => {
                    return Err(CreateFailure {
                        error,
                        may_exist: true,
                        namespace_id: None,
                    });
                }
            }
        }
        Err(error) => {
            return Err(CreateFailure {
                may_exist: error.kind.outcome_unknown(),
                error,
                namespace_id: None,
            });
        }
    };
    Ok(NamespaceReady::Made(namespace_id))
}

/// Where a create's namespace stands once it exists.
pub(super) enum NamespaceReady {
    /// Read: adopted from an interrupted create, or an existing one.
    Read(ObservedNamespace),
    /// Made (Cloud Map's operation succeeded, or its idempotency token named it): its id,
    /// not read yet.
    Made(String),
}

/// Reads the namespace a create just made; its operation is then settled.
pub(super) async fn read_made_namespace(
    gateway: &Gateway,
    namespace_id: String,
    private: &mut PrivateState,
) -> Result<ObservedNamespace, CreateFailure> {
    match namespace_by_id(gateway, &namespace_id, MADE_BUT_UNREADABLE).await {
        Ok(namespace) => {
            private.namespace_operation = None;
            Ok(namespace)
        }
        Err(error) => Err(CreateFailure {
            error,
            may_exist: true,
            namespace_id: Some(namespace_id),
        }),
    }
}

/// Why [`namespace_by_id`] finds no namespace a create just made.
pub(super) const MADE_BUT_UNREADABLE: &str = "the namespace was created but cannot be read";
/// Why [`namespace_by_id`] finds no namespace a configuration names by id.
pub(super) const NO_SUCH_ID: &str = "no namespace has this id in this account and region";

/// GetNamespace, with not finding the namespace an error that says `missing` (one of the
/// reasons above).
pub(super) async fn namespace_by_id(
    gateway: &Gateway,
    namespace_id: &str,
    missing: &str,
) -> Result<ObservedNamespace, GatewayError> {
    gateway
        .cloudmap
        .get_namespace(namespace_id)
        .await?
        .ok_or_else(|| {
            GatewayError::new(
                format!("reading Cloud Map namespace {namespace_id}"),
                ErrorKind::NotFound,
                missing,
            )
        })
}

/// What became of the namespace of a create that stopped before it knew the result.
pub(super) enum Unconfirmed {
    /// It exists.
    Made(ObservedNamespace),
    /// It was never made (or is gone).
    NotMade,
    /// Cloud Map is still making it: this operation.
    Creating(String),
}

/// Finds out what a stopped create left: by its operation when we have it, otherwise
/// by name in the VPC among the namespaces we made for this cluster.
pub(super) async fn settle_unconfirmed(
    gateway: &Gateway,
    model: &InternalModel,
    private: &PrivateState,
) -> Result<Unconfirmed, GatewayError> {
    let name = model.namespace.known().cloned().unwrap_or_default();
    let vpc_id = model.vpc_id.known().cloned().unwrap_or_default();
    let cluster = model.cluster.known().cloned().unwrap_or_default();
    if let Some(operation) = &private.namespace_operation {
        let action = create_namespace_action(&name, &vpc_id);
        match gateway.cloudmap.operation_state(operation, &action).await {
            Ok(OperationState::Running) => return Ok(Unconfirmed::Creating(operation.clone())),
            Ok(OperationState::Failed { .. }) => return Ok(Unconfirmed::NotMade),
            Ok(OperationState::Succeeded(targets)) => {
                if let Some(id) = namespace_target(&targets) {
                    return Ok(match gateway.cloudmap.get_namespace(&id).await? {
                        Some(namespace) => Unconfirmed::Made(namespace),
                        None => Unconfirmed::NotMade,
                    });
                }
            }
            // "No operation exists with the specified ID" (GetOperation's modelled
            // OperationNotFound, botocore): how long Cloud Map keeps operations is not
            // documented, so fall back to the search below.
            Err(err) if err.is(ErrorKind::NotFound) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(
        match find_own_namespace(gateway, &name, &vpc_id, &cluster).await? {
            Some(OwnNamespace::ThisCluster(namespace)) => Unconfirmed::Made(namespace),
            _ => Unconfirmed::NotMade,
        },
    )
}

/// The request-id prefix of this cluster's namespaces.
fn cluster_prefix(cluster: &str) -> String {
    format!(
        "{REQUEST_ID_PREFIX}{:016x}-",
        stable_hash(cluster_name(cluster))
    )
}

/// A fresh CreatorRequestId: the cluster's prefix and a random part (≤ 64 chars).
pub(super) fn new_request_id(cluster: &str) -> String {
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    format!("{}{:016x}", cluster_prefix(cluster), random ^ nanos)
}

/// FNV-1a: stable across processes and releases, unlike std's hasher.
fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_fit_aws_limits_and_carry_the_cluster() {
        let id = new_request_id("arn:aws:ecs:eu-west-1:123456789012:cluster/prod");
        assert!(id.len() <= 64, "{id}");
        assert!(id.starts_with(&cluster_prefix("prod")));
        assert_ne!(id, new_request_id("prod"), "each create gets its own id");
        assert_ne!(cluster_prefix("prod"), cluster_prefix("staging"));
    }
}
