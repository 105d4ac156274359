//! The list resource (`terraform query`, protocol 6.10): every mesh a cluster's services
//! use, one result per namespace, each with its identity and, if asked, the full object.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::InternalResource;
use super::identity::identity_of;
use super::import::{ImportError, ImportId, read_mesh};
use crate::aws::error::GatewayError;
use crate::aws::gateway::Gateway;
use crate::mesh::names::{cluster_name, namespace_id_from_arn};
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::provider::{CallContext, ListRequest, ListResponse, ListedResource};
use crate::protocol::schema::{Attribute, Block, Schema};
use crate::protocol::value::{Type, from_value};

/// `list "servicemesh_internal" "x" { config { cluster = "prod" } }`.
pub fn list_schema() -> Schema {
    Schema::new(
        0,
        Block::new("Finds every mesh the services of an ECS cluster use.").attribute(
            Attribute::required("cluster", Type::String)
                .description("The ECS cluster to look in, as a name or an ARN."),
        ),
    )
}

#[derive(Deserialize)]
struct ListConfig {
    cluster: String,
}

pub(super) async fn list(
    resource: &InternalResource,
    request: ListRequest,
    _ctx: &CallContext,
) -> ListResponse {
    let config: ListConfig = match from_value(&request.config) {
        Ok(config) => config,
        Err(err) => {
            return ListResponse::failed(Diagnostics::error_at(
                err.path().clone(),
                "Invalid list configuration",
                err.message().to_string(),
            ));
        }
    };
    let gateway = match resource.gateway() {
        Ok(gateway) => gateway,
        Err(diagnostics) => return ListResponse::failed(diagnostics),
    };
    let cluster = cluster_name(&config.cluster).to_string();
    let namespaces = match namespaces_in_use(&gateway, &cluster).await {
        Ok(namespaces) => namespaces,
        Err(err) => {
            return ListResponse::failed(Diagnostics::error(
                "Listing meshes failed",
                err.to_string(),
            ));
        }
    };
    let mut results = Vec::new();
    let mut diagnostics = Diagnostics::default();
    let limit = usize::try_from(request.limit)
        .ok()
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    for namespace in namespaces.into_iter().take(limit) {
        let id = ImportId {
            cluster: cluster.clone(),
            namespace,
        };
        let model = match read_mesh(&gateway, &id).await {
            Ok(model) => model,
            Err(ImportError::Aws(err)) => {
                diagnostics.push(crate::protocol::diagnostics::Diagnostic::error(
                    "Reading a mesh failed",
                    err.to_string(),
                ));
                continue;
            }
            Err(ImportError::NotFound(detail) | ImportError::Ambiguous(detail)) => {
                diagnostics.push(crate::protocol::diagnostics::Diagnostic::warning(
                    "Skipped a namespace",
                    detail,
                ));
                continue;
            }
        };
        let Some(identity) = identity_of(&model, &gateway.region) else {
            continue;
        };
        let servers = model.services.known().map(BTreeMap::len).unwrap_or(0);
        let clients = model.client_names().len();
        let display_name = format!(
            "{cluster}/{} ({servers} client-and-server, {clients} client-only)",
            model.namespace.known().cloned().unwrap_or_default()
        );
        let object = if request.include_resource {
            match resource.encode(&model) {
                Ok(value) => Some(value),
                Err(errors) => {
                    diagnostics.extend(errors);
                    None
                }
            }
        } else {
            None
        };
        results.push(ListedResource {
            identity,
            display_name,
            resource: object,
        });
    }
    ListResponse {
        results,
        diagnostics,
    }
}

/// The ids of the namespaces the PRIMARY deployments of the cluster's services use.
async fn namespaces_in_use(gateway: &Gateway, cluster: &str) -> Result<Vec<String>, GatewayError> {
    let names = gateway.ecs.list_service_names(cluster).await?;
    let described = gateway.ecs.describe_services(cluster, &names).await?;
    let mut references: Vec<String> = described
        .values()
        .flatten()
        .filter_map(|s| s.observed.service_connect.as_ref())
        .filter(|sc| sc.enabled)
        .filter_map(|sc| sc.namespace.clone())
        .collect();
    references.sort();
    references.dedup();
    let mut ids = Vec::new();
    for reference in references {
        let id = if reference.starts_with("arn:") {
            namespace_id_from_arn(&reference).to_string()
        } else {
            // A name: ECS resolved it among this account's namespaces.
            match gateway
                .cloudmap
                .find_namespaces_by_name(&reference)
                .await?
                .as_slice()
            {
                [(id, _, _)] => id.clone(),
                _ => reference.clone(),
            }
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}
