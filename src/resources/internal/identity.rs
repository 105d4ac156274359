//! Resource identity (protocol 6.9): what names one mesh, independent of its address.
//! `import { to = …, identity = { cluster = "prod", namespace_id = "ns-…" } }` uses it.

use super::model::InternalModel;
use crate::mesh::names::cluster_name;
use crate::protocol::schema::{IdentityAttribute, IdentitySchema};
use crate::protocol::value::{Type, Value};

pub const IDENTITY_VERSION: i64 = 0;

pub fn identity_schema() -> IdentitySchema {
    let attribute = |name: &str, required: bool, description: &str| IdentityAttribute {
        name: name.to_string(),
        ty: Type::String,
        required_for_import: required,
        optional_for_import: !required,
        description: description.to_string(),
    };
    IdentitySchema {
        version: IDENTITY_VERSION,
        attributes: vec![
            attribute(
                "cluster",
                true,
                "The ECS cluster's name (an ARN is normalised to its name).",
            ),
            attribute("namespace_id", true, "The Cloud Map namespace id (`ns-…`)."),
            attribute("region", false, "The AWS region. Default: the provider's."),
        ],
    }
}

/// The identity of a mesh whose namespace is known.
pub fn identity_of(model: &InternalModel, region: &str) -> Option<Value> {
    let cluster = model.cluster.known()?;
    // Empty while a create that stopped halfway has not learnt the namespace's id; an
    // identity must not change once set, so there is none until then.
    let namespace_id = model
        .id
        .known()
        .or(model.namespace_id.known())
        .filter(|id| !id.is_empty())?;
    Some(Value::object([
        ("cluster", Value::from(cluster_name(cluster))),
        ("namespace_id", Value::from(namespace_id.as_str())),
        ("region", Value::from(region)),
    ]))
}

/// The parts of an identity given to import.
#[derive(Debug, PartialEq, Eq)]
pub struct IdentityParts {
    pub cluster: String,
    pub namespace_id: String,
    pub region: Option<String>,
}

pub fn parse_identity(identity: &Value) -> Result<IdentityParts, String> {
    let text = |name: &str| {
        identity
            .get_attr(name)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let cluster = text("cluster").ok_or("the identity needs `cluster`, the ECS cluster's name")?;
    let namespace_id = text("namespace_id")
        .ok_or("the identity needs `namespace_id`, the namespace's id (`ns-…`)")?;
    Ok(IdentityParts {
        cluster: cluster_name(&cluster).to_string(),
        namespace_id,
        region: text("region"),
    })
}
