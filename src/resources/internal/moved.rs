//! MoveResourceState (Terraform ≥ 1.8): take over a namespace that the hashicorp/aws
//! provider managed as `aws_service_discovery_private_dns_namespace`, without
//! recreating it. The services are not in the source; the next apply wires them.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::InternalResource;
use super::model::{InternalModel, attr_map};
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::provider::{MoveRequest, MoveResponse};
use crate::protocol::value::Attr;

pub const AWS_PROVIDER: &str = "registry.terraform.io/hashicorp/aws";
pub const AWS_NAMESPACE_TYPE: &str = "aws_service_discovery_private_dns_namespace";

/// The attributes of the AWS provider's resource that we carry over.
#[derive(Debug, Deserialize)]
struct AwsNamespaceState {
    id: String,
    arn: Option<String>,
    name: String,
    vpc: Option<String>,
    description: Option<String>,
    hosted_zone: Option<String>,
    #[serde(default)]
    tags: Option<BTreeMap<String, String>>,
    #[serde(default)]
    tags_all: Option<BTreeMap<String, String>>,
}

pub(super) fn move_state(resource: &InternalResource, request: MoveRequest) -> MoveResponse {
    let from_aws_namespace = request.source_type_name == AWS_NAMESPACE_TYPE
        && request
            .source_provider_address
            .trim_end_matches('/')
            .ends_with("hashicorp/aws");
    if !from_aws_namespace {
        return MoveResponse::failed(Diagnostics::error(
            "Unsupported move",
            format!(
                "servicemesh_internal can take over only {AWS_NAMESPACE_TYPE} of {AWS_PROVIDER}, not {} of {}.",
                request.source_type_name, request.source_provider_address
            ),
        ));
    }
    let source: AwsNamespaceState = match serde_json::from_value(request.source_state) {
        Ok(source) => source,
        Err(err) => {
            return MoveResponse::failed(Diagnostics::error(
                "Unreadable source state",
                format!("The {AWS_NAMESPACE_TYPE} state could not be read: {err}."),
            ));
        }
    };
    let model = InternalModel {
        namespace: Attr::Known(source.name),
        vpc_id: source.vpc.map(Attr::Known).unwrap_or(Attr::Null),
        namespace_id: Attr::Known(source.id.clone()),
        id: Attr::Known(source.id),
        namespace_arn: source.arn.map(Attr::Known).unwrap_or(Attr::Null),
        hosted_zone_id: source.hosted_zone.map(Attr::Known).unwrap_or(Attr::Null),
        description: source
            .description
            .filter(|d| !d.is_empty())
            .map(Attr::Known)
            .unwrap_or(Attr::Null),
        tags: source
            .tags
            .filter(|t| !t.is_empty())
            .map(|t| attr_map(&t))
            .unwrap_or(Attr::Null),
        tags_all: attr_map(&source.tags_all.unwrap_or_default()),
        namespace_owned: Attr::Known(true),
        endpoints: Attr::Known(BTreeMap::new()),
        ..InternalModel::default()
    };
    match resource.encode(&model) {
        Ok(target_state) => MoveResponse {
            target_state,
            target_private: Vec::new(),
            target_identity: None,
            diagnostics: Diagnostics::default(),
        },
        Err(diagnostics) => MoveResponse::failed(diagnostics),
    }
}
