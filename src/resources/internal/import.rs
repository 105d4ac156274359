//! Import: adopt a mesh built by hand, by `<cluster>/<namespace>`. Reads only: the
//! namespace, its VPC (from its hosted zone, so nobody has to look it up), its tags, and
//! every service of the cluster wired to it.

use std::collections::{BTreeMap, BTreeSet};

use super::InternalResource;
use super::identity::{identity_of, parse_identity};
use super::model::{InternalModel, attr_map, own_tags};
use super::namespace::{Maker, maker};
use crate::aws::error::GatewayError;
use crate::aws::gateway::Gateway;
use crate::mesh::external::ObservedExternal;
use crate::mesh::model::{ObservedNamespace, Wiring};
use crate::mesh::names::{cluster_name, is_namespace_id};
use crate::mesh::reconcile::{NamespaceRef, observed_wiring};
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::provider::{CallContext, ImportRequest, ImportResponse, Stored};
use crate::protocol::value::Attr;

/// How to write an import id, for error messages.
const ID_FORMAT: &str = "`<cluster>/<namespace>`, where the cluster is a name or an ARN and the namespace an id (`ns-…`), a name, or the ARN of a namespace shared through AWS RAM, e.g. `prod/internal.myapp`";

/// An import id, split before a namespace ARN or else at its last `/`.
#[derive(Debug, PartialEq, Eq)]
pub struct ImportId {
    pub cluster: String,
    pub namespace: String,
}

impl ImportId {
    pub fn parse(id: &str) -> Result<Self, String> {
        // A namespace ARN has a `/` of its own: `prod/arn:aws:servicediscovery:…:namespace/ns-…`.
        let split = match id.find("/arn:") {
            Some(at) => Some((&id[..at], &id[at + 1..])),
            None => id.rsplit_once('/'),
        };
        let (cluster, namespace) =
            split.ok_or_else(|| format!("{id:?} has no `/`. Write it as {ID_FORMAT}."))?;
        if cluster.is_empty() || namespace.is_empty() {
            return Err(format!(
                "{id:?} lacks a cluster or a namespace. Write it as {ID_FORMAT}."
            ));
        }
        Ok(Self {
            cluster: cluster.to_string(),
            namespace: namespace.to_string(),
        })
    }
}

pub(super) async fn import(
    resource: &InternalResource,
    request: ImportRequest,
    _ctx: &CallContext,
) -> ImportResponse {
    let gateway = match resource.gateway() {
        Ok(gateway) => gateway,
        Err(diagnostics) => return failed(diagnostics),
    };
    let id = match &request.identity {
        Some(identity) => match parse_identity(identity) {
            Ok(parts) => {
                if let Some(region) = parts.region.as_deref().filter(|r| *r != gateway.region) {
                    return failed(Diagnostics::error(
                        "Identity in another region",
                        format!(
                            "The identity names region {region:?}, but this provider is configured for {:?}. \
                             Use a provider configured for {region:?}.",
                            gateway.region
                        ),
                    ));
                }
                ImportId {
                    cluster: parts.cluster,
                    namespace: parts.namespace_id,
                }
            }
            Err(detail) => return failed(Diagnostics::error("Invalid import identity", detail)),
        },
        None => match ImportId::parse(&request.id) {
            Ok(id) => id,
            Err(detail) => return failed(Diagnostics::error("Invalid import id", detail)),
        },
    };
    let model = match read_mesh(&gateway, &id).await {
        Ok(model) => model,
        Err(ImportError::NotFound(detail)) => {
            return failed(Diagnostics::error(
                "Cannot import: no such namespace",
                detail,
            ));
        }
        Err(ImportError::Ambiguous(detail)) => {
            return failed(Diagnostics::error(
                "Cannot import: ambiguous namespace",
                detail,
            ));
        }
        Err(ImportError::Aws(err)) => {
            return failed(Diagnostics::error(
                "Importing the service mesh failed",
                err.to_string(),
            ));
        }
    };
    match resource.encode(&model) {
        Ok(state) => ImportResponse {
            imported: vec![Stored {
                state,
                private: Vec::new(),
                identity: identity_of(&model, &gateway.region),
            }],
            diagnostics: Diagnostics::default(),
            deferred: None,
        },
        Err(diagnostics) => failed(diagnostics),
    }
}

fn failed(diagnostics: Diagnostics) -> ImportResponse {
    ImportResponse {
        imported: Vec::new(),
        diagnostics,
        deferred: None,
    }
}

#[derive(Debug)]
pub enum ImportError {
    NotFound(String),
    Ambiguous(String),
    Aws(GatewayError),
}

impl From<GatewayError> for ImportError {
    fn from(err: GatewayError) -> Self {
        ImportError::Aws(err)
    }
}

/// Everything import records, read without a single mutating call.
pub async fn read_mesh(gateway: &Gateway, id: &ImportId) -> Result<InternalModel, ImportError> {
    let namespace = find_namespace(gateway, &id.namespace).await?;
    let vpc_id = match &namespace.hosted_zone_id {
        // Named by ARN: shared through AWS RAM, its zone may be the owner's alone.
        Some(zone) if id.namespace.starts_with("arn:") => gateway
            .route53
            .shared_zone_vpcs(zone)
            .await?
            .and_then(|vpcs| vpcs.into_iter().next()),
        Some(zone) => gateway
            .route53
            .hosted_zone_vpcs(zone)
            .await?
            .into_iter()
            .next(),
        None => None,
    };
    let tags = gateway.cloudmap.tags(&namespace.arn).await?;
    let cluster = cluster_name(&id.cluster);
    let wired = wired_services(gateway, cluster, &namespace).await?;
    let mut model = model_from(id, &namespace, vpc_id, &tags, &gateway.default_tags);
    if id.namespace.starts_with("arn:") {
        // As a configuration names a shared namespace: by its ARN.
        model.namespace_id = Attr::Known(namespace.arn.clone());
    }
    model.namespace_owned = Attr::Known(owned_at_import(id, &namespace));
    model.record_imported(&wired);
    let externals = standalone_servers(gateway, &namespace, &wired).await?;
    model.record_external(&externals);
    Ok(model)
}

/// Whether an imported mesh owns its namespace (and a destroy deletes it), until the
/// configuration says otherwise: the plan sets ownership from the configuration's form
/// (`namespace` and `vpc_id`, or `namespace_id`), in place. An import names the
/// namespace the way the configuration does: by name, the configuration owns it; by id
/// or identity, it wires onto it, unless this provider made it for this cluster (a mesh
/// whose state was lost). A namespace named by ARN is one shared through AWS RAM.
fn owned_at_import(id: &ImportId, namespace: &ObservedNamespace) -> bool {
    if is_namespace_reference(&id.namespace) {
        return !id.namespace.starts_with("arn:")
            && maker(namespace, cluster_name(&id.cluster)) == Maker::ThisCluster;
    }
    true
}

/// Whether an import names the namespace by id or ARN rather than by name.
fn is_namespace_reference(reference: &str) -> bool {
    is_namespace_id(reference) || reference.starts_with("arn:")
}

pub(crate) async fn find_namespace(
    gateway: &Gateway,
    reference: &str,
) -> Result<ObservedNamespace, ImportError> {
    // An ARN is how a namespace shared through AWS RAM is read (GetNamespace's Id).
    let id = if is_namespace_reference(reference) {
        reference.to_string()
    } else {
        let matches = gateway.cloudmap.find_namespaces_by_name(reference).await?;
        match matches.as_slice() {
            [] => {
                return Err(ImportError::NotFound(format!(
                    "No Cloud Map namespace is named {reference:?} in this account and region."
                )));
            }
            [(id, _, _)] => id.clone(),
            several => {
                let listed: Vec<String> = several
                    .iter()
                    .map(|(id, _, kind)| format!("{id} ({kind})"))
                    .collect();
                return Err(ImportError::Ambiguous(format!(
                    "{} namespaces are named {reference:?}: {}. Import by id instead, e.g. `<cluster>/{}`.",
                    several.len(),
                    listed.join(", "),
                    several[0].0
                )));
            }
        }
    };
    gateway.cloudmap.get_namespace(&id).await?.ok_or_else(|| {
        ImportError::NotFound(format!(
            "No Cloud Map namespace has the id {id:?} in this account and region."
        ))
    })
}

/// The standalone servers of a namespace: its Cloud Map services that no wired
/// service's endpoint names and that answer with A records of registered IPv4
/// addresses (what `external_services` makes, or the same made by hand).
async fn standalone_servers(
    gateway: &Gateway,
    namespace: &ObservedNamespace,
    wired: &BTreeMap<String, Wiring>,
) -> Result<BTreeMap<String, ObservedExternal>, GatewayError> {
    let endpoints: BTreeSet<&str> = wired.values().flat_map(Wiring::discovery_names).collect();
    let candidates: Vec<_> = gateway
        .cloudmap
        .listed_services(&namespace.id)
        .await?
        .into_iter()
        .filter(|listed| !endpoints.contains(listed.service.name.as_str()))
        .collect();
    let observed = gateway.cloudmap.observe_services(&candidates).await?;
    Ok(observed
        .into_iter()
        .filter(|(_, have)| have.ttl.is_some() && !have.addresses().is_empty())
        .collect())
}

/// Every service of the cluster whose PRIMARY deployment uses the namespace.
pub async fn wired_services(
    gateway: &Gateway,
    cluster: &str,
    namespace: &ObservedNamespace,
) -> Result<BTreeMap<String, Wiring>, GatewayError> {
    let names = gateway.ecs.list_service_names(cluster).await?;
    let described = gateway.ecs.describe_services(cluster, &names).await?;
    let reference = NamespaceRef::from(namespace);
    Ok(described
        .into_iter()
        .filter_map(|(name, service)| {
            let service = service?;
            let wiring = observed_wiring(service.observed.service_connect.as_ref(), &reference)?;
            Some((name, wiring))
        })
        .collect())
}

fn model_from(
    id: &ImportId,
    namespace: &ObservedNamespace,
    vpc_id: Option<String>,
    tags: &BTreeMap<String, String>,
    default_tags: &BTreeMap<String, String>,
) -> InternalModel {
    let own = own_tags(tags, default_tags);
    InternalModel {
        // As the id wrote it (name or ARN), so a configuration in the same form plans no
        // change; the identity holds the name either way.
        cluster: Attr::Known(id.cluster.clone()),
        namespace: Attr::Known(namespace.name.clone()),
        vpc_id: vpc_id.map(Attr::Known).unwrap_or(Attr::Null),
        namespace_id: Attr::Known(namespace.id.clone()),
        description: namespace
            .description
            .clone()
            .map(Attr::Known)
            .unwrap_or(Attr::Null),
        tags: if own.is_empty() {
            Attr::Null
        } else {
            attr_map(&own)
        },
        tags_all: attr_map(tags),
        services: Attr::Null,
        client_services: Attr::Null,
        external_services: Attr::Null,
        idle_timeout_seconds: Attr::Null,
        per_request_timeout_seconds: Attr::Null,
        tls: Attr::Null,
        log_configuration: Attr::Null,
        access_log_configuration: Attr::Null,
        endpoints: Attr::Null,
        wait_for_steady_state: Attr::Null,
        force_destroy: Attr::Null,
        redeploy_clients: Attr::Null,
        timeouts: Attr::Null,
        id: Attr::Known(namespace.id.clone()),
        namespace_arn: Attr::Known(namespace.arn.clone()),
        hosted_zone_id: namespace
            .hosted_zone_id
            .clone()
            .map(Attr::Known)
            .unwrap_or(Attr::Null),
        namespace_owned: Attr::Null,
        pending_cleanup: Attr::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_namespace_arn_keeps_its_own_slash() {
        let arn = "arn:aws:servicediscovery:us-east-1:210987654321:namespace/ns-abcdefghijklmnop";
        for cluster in ["prod", "arn:aws:ecs:us-east-1:123456789012:cluster/prod"] {
            assert_eq!(
                ImportId::parse(&format!("{cluster}/{arn}")).unwrap(),
                ImportId {
                    cluster: cluster.into(),
                    namespace: arn.into()
                }
            );
        }
    }

    #[test]
    fn splits_at_the_last_slash() {
        assert_eq!(
            ImportId::parse("prod/internal.myapp").unwrap(),
            ImportId {
                cluster: "prod".into(),
                namespace: "internal.myapp".into()
            }
        );
        assert_eq!(
            ImportId::parse("arn:aws:ecs:eu-west-1:123456789012:cluster/prod/ns-abcdefghijklmnop")
                .unwrap(),
            ImportId {
                cluster: "arn:aws:ecs:eu-west-1:123456789012:cluster/prod".into(),
                namespace: "ns-abcdefghijklmnop".into()
            }
        );
    }

    #[test]
    fn explains_malformed_ids() {
        for bad in ["prod", "/internal.myapp", "prod/"] {
            let err = ImportId::parse(bad).unwrap_err();
            assert!(err.contains("<cluster>/<namespace>"), "{bad}: {err}");
        }
    }
}
