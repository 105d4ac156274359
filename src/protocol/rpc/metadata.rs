//! GetMetadata, GetProviderSchema and GetResourceIdentitySchemas: every resource and
//! data source type, with their schemas.

use std::collections::BTreeMap;

use super::{RegisteredDataSource, RegisteredResource};
use crate::protocol::proto::tfplugin6 as pb;
use crate::protocol::schema::Schema;

fn capabilities(resources: &BTreeMap<String, RegisteredResource>) -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        // Asked only for by resources that check destroys at plan time.
        plan_destroy: resources.values().any(|r| r.handler.plans_destroy()),
        // Terraform may skip GetProviderSchema on later calls and use its cache.
        get_provider_schema_optional: true,
        move_resource_state: resources.values().any(|r| r.handler.accepts_moves()),
        generate_resource_config: resources.values().any(|r| {
            r.handler
                .generate_config(&crate::protocol::value::Value::Null)
                .is_some()
        }),
    }
}

pub(super) fn metadata_response(
    resources: &BTreeMap<String, RegisteredResource>,
    data_sources: &BTreeMap<String, RegisteredDataSource>,
) -> pb::get_metadata::Response {
    pb::get_metadata::Response {
        server_capabilities: Some(capabilities(resources)),
        resources: resources
            .keys()
            .map(|type_name| pb::get_metadata::ResourceMetadata {
                type_name: type_name.clone(),
            })
            .collect(),
        data_sources: data_sources
            .keys()
            .map(|type_name| pb::get_metadata::DataSourceMetadata {
                type_name: type_name.clone(),
            })
            .collect(),
        list_resources: resources
            .iter()
            .filter(|(_, r)| r.list.is_some())
            .map(|(type_name, _)| pb::get_metadata::ListResourceMetadata {
                type_name: type_name.clone(),
            })
            .collect(),
        ..Default::default()
    }
}

pub(super) fn schema_response(
    provider: &Schema,
    resources: &BTreeMap<String, RegisteredResource>,
    data_sources: &BTreeMap<String, RegisteredDataSource>,
) -> pb::get_provider_schema::Response {
    pb::get_provider_schema::Response {
        provider: Some(provider.into()),
        list_resource_schemas: resources
            .iter()
            .filter_map(|(name, r)| Some((name.clone(), (&r.list.as_ref()?.0).into())))
            .collect(),
        resource_schemas: resources
            .iter()
            .map(|(name, resource)| (name.clone(), (&resource.schema).into()))
            .collect(),
        data_source_schemas: data_sources
            .iter()
            .map(|(name, data_source)| (name.clone(), (&data_source.schema).into()))
            .collect(),
        server_capabilities: Some(capabilities(resources)),
        ..Default::default()
    }
}

pub(super) fn identity_schemas(
    resources: &BTreeMap<String, RegisteredResource>,
) -> pb::get_resource_identity_schemas::Response {
    pb::get_resource_identity_schemas::Response {
        identity_schemas: resources
            .iter()
            .filter_map(|(name, resource)| {
                let (schema, _) = resource.identity.as_ref()?;
                Some((name.clone(), schema.into()))
            })
            .collect(),
        diagnostics: Vec::new(),
    }
}
