//! The tfplugin6 `Provider` gRPC service: one thin adapter per RPC (a file each, or one
//! file per family of RPCs), decoding wire values by schema and delegating to the
//! provider's handlers. Every RPC the protocol declares is answered: where this
//! provider has no such feature, with an explicit diagnostic, never a hang or a panic.

mod apply;
mod codec;
mod configure;
mod data_read;
mod data_validate;
mod generate;
mod import;
mod list;
mod metadata;
mod moved;
mod plan;
mod read;
mod unsupported;
mod upgrade;
mod validate;

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use futures::Stream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};

use super::address::ProviderAddress;
use super::diagnostics::Diagnostics;
use super::proto::tfplugin6 as pb;
use super::provider::{CallContext, DataSourceHandler, ProviderHandler, ResourceHandler};
use super::schema::{IdentitySchema, Schema};
use super::value::Type;

/// A resource type with its schema computed once.
struct RegisteredResource {
    handler: Arc<dyn ResourceHandler>,
    schema: Schema,
    value_type: Type,
    identity: Option<(IdentitySchema, Type)>,
    /// No attribute is sensitive: raw values may go to TRACE logs.
    loggable: bool,
    /// The `list` block's config schema and its type, if the resource can be listed.
    list: Option<(Schema, Type)>,
}

/// A data source type with its schema computed once.
struct RegisteredDataSource {
    handler: Arc<dyn DataSourceHandler>,
    schema: Schema,
    value_type: Type,
}

/// Serves one provider over tfplugin6.
pub struct ProviderService {
    /// The provider's address, for the messages that name it.
    name: ProviderAddress,
    handler: Arc<dyn ProviderHandler>,
    provider_schema: Schema,
    resources: BTreeMap<String, RegisteredResource>,
    data_sources: BTreeMap<String, RegisteredDataSource>,
    /// Built once: GetProviderSchema is called by every Terraform command.
    schema_response: pb::get_provider_schema::Response,
    /// Cancelled by StopProvider; every call's context carries it.
    stop: CancellationToken,
    deferral_allowed: Mutex<bool>,
}

impl ProviderService {
    /// Serves `handler` as the provider `name` (terraform-plugin-go's
    /// `tf6server.New(name, …)`).
    pub fn new(name: ProviderAddress, handler: Arc<dyn ProviderHandler>) -> Self {
        let provider_schema = handler.schema();
        let resources: BTreeMap<String, RegisteredResource> = handler
            .resources()
            .into_iter()
            .map(|resource| {
                let schema = resource.schema();
                let identity = resource.identity_schema().map(|identity| {
                    let ty = identity.value_type();
                    (identity, ty)
                });
                let list = resource.list_schema().map(|list| {
                    let ty = list.value_type();
                    (list, ty)
                });
                let registered = RegisteredResource {
                    list,
                    value_type: schema.value_type(),
                    loggable: !schema.has_sensitive(),
                    schema,
                    identity,
                    handler: resource.clone(),
                };
                (resource.type_name().to_string(), registered)
            })
            .collect();
        let data_sources: BTreeMap<String, RegisteredDataSource> = handler
            .data_sources()
            .into_iter()
            .map(|data_source| {
                let schema = data_source.schema();
                let registered = RegisteredDataSource {
                    value_type: schema.value_type(),
                    schema,
                    handler: data_source.clone(),
                };
                (data_source.type_name().to_string(), registered)
            })
            .collect();
        let schema_response =
            metadata::schema_response(&provider_schema, &resources, &data_sources);
        Self {
            name,
            handler,
            provider_schema,
            resources,
            data_sources,
            schema_response,
            stop: CancellationToken::new(),
            deferral_allowed: Mutex::new(false),
        }
    }

    fn context(&self) -> CallContext {
        CallContext {
            cancel: self.stop.clone(),
            deferral_allowed: self.deferral_allowed.lock().map(|d| *d).unwrap_or(false),
        }
    }

    /// A data source type; `None` is answered as unsupported (`unsupported.rs`).
    fn data_source(&self, type_name: &str) -> Option<&RegisteredDataSource> {
        self.data_sources.get(type_name)
    }

    fn resource(&self, type_name: &str) -> Result<&RegisteredResource, Diagnostics> {
        self.resources.get(type_name).ok_or_else(|| {
            Diagnostics::error(
                "Unknown resource type",
                format!(
                    "This provider has no resource type {type_name:?}. It offers: {}.",
                    self.resources
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
    }
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

fn ok<T>(message: T) -> Result<Response<T>, Status> {
    Ok(Response::new(message))
}

#[tonic::async_trait]
impl pb::provider_server::Provider for ProviderService {
    async fn get_metadata(
        &self,
        _request: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        ok(metadata::metadata_response(
            &self.resources,
            &self.data_sources,
        ))
    }

    async fn get_provider_schema(
        &self,
        _request: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        ok(self.schema_response.clone())
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        ok(configure::validate(self, request.into_inner()).await)
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        ok(validate::validate_resource(self, request.into_inner()).await)
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        ok(data_validate::validate_data_resource(self, request.into_inner()).await)
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        ok(upgrade::upgrade_state(self, request.into_inner()))
    }

    async fn get_resource_identity_schemas(
        &self,
        _request: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        ok(metadata::identity_schemas(&self.resources))
    }

    async fn upgrade_resource_identity(
        &self,
        request: Request<pb::upgrade_resource_identity::Request>,
    ) -> Result<Response<pb::upgrade_resource_identity::Response>, Status> {
        ok(upgrade::upgrade_identity(self, request.into_inner()))
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        ok(configure::configure(self, request.into_inner()).await)
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        ok(read::read(self, request.into_inner()).await)
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        ok(plan::plan(self, request.into_inner()).await)
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        ok(apply::apply(self, request.into_inner()).await)
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        ok(import::import(self, request.into_inner()).await)
    }

    async fn move_resource_state(
        &self,
        request: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        ok(moved::move_state(self, request.into_inner()))
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        ok(data_read::read_data_source(self, request.into_inner()).await)
    }

    async fn generate_resource_config(
        &self,
        request: Request<pb::generate_resource_config::Request>,
    ) -> Result<Response<pb::generate_resource_config::Response>, Status> {
        ok(generate::generate_config(self, request.into_inner()))
    }

    async fn validate_ephemeral_resource_config(
        &self,
        request: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Result<Response<pb::validate_ephemeral_resource_config::Response>, Status> {
        ok(unsupported::validate_ephemeral(self, request.into_inner()))
    }

    async fn open_ephemeral_resource(
        &self,
        request: Request<pb::open_ephemeral_resource::Request>,
    ) -> Result<Response<pb::open_ephemeral_resource::Response>, Status> {
        ok(unsupported::open_ephemeral(self, request.into_inner()))
    }

    async fn renew_ephemeral_resource(
        &self,
        request: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Result<Response<pb::renew_ephemeral_resource::Response>, Status> {
        ok(unsupported::renew_ephemeral(self, request.into_inner()))
    }

    async fn close_ephemeral_resource(
        &self,
        request: Request<pb::close_ephemeral_resource::Request>,
    ) -> Result<Response<pb::close_ephemeral_resource::Response>, Status> {
        ok(unsupported::close_ephemeral(self, request.into_inner()))
    }

    type ListResourceStream = BoxStream<pb::list_resource::Event>;

    async fn list_resource(
        &self,
        request: Request<pb::list_resource::Request>,
    ) -> Result<Response<Self::ListResourceStream>, Status> {
        ok(list::list(self, request.into_inner()).await)
    }

    async fn validate_list_resource_config(
        &self,
        request: Request<pb::validate_list_resource_config::Request>,
    ) -> Result<Response<pb::validate_list_resource_config::Response>, Status> {
        ok(list::validate(self, request.into_inner()))
    }

    async fn get_functions(
        &self,
        _request: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        ok(pb::get_functions::Response::default())
    }

    async fn call_function(
        &self,
        request: Request<pb::call_function::Request>,
    ) -> Result<Response<pb::call_function::Response>, Status> {
        ok(unsupported::call_function(self, request.into_inner()))
    }

    async fn validate_state_store_config(
        &self,
        request: Request<pb::validate_state_store::Request>,
    ) -> Result<Response<pb::validate_state_store::Response>, Status> {
        ok(unsupported::validate_state_store(
            self,
            request.into_inner(),
        ))
    }

    async fn configure_state_store(
        &self,
        request: Request<pb::configure_state_store::Request>,
    ) -> Result<Response<pb::configure_state_store::Response>, Status> {
        ok(unsupported::configure_state_store(
            self,
            request.into_inner(),
        ))
    }

    type ReadStateBytesStream = BoxStream<pb::read_state_bytes::Response>;

    async fn read_state_bytes(
        &self,
        request: Request<pb::read_state_bytes::Request>,
    ) -> Result<Response<Self::ReadStateBytesStream>, Status> {
        ok(unsupported::read_state_bytes(self, request.into_inner()))
    }

    async fn write_state_bytes(
        &self,
        request: Request<Streaming<pb::write_state_bytes::RequestChunk>>,
    ) -> Result<Response<pb::write_state_bytes::Response>, Status> {
        ok(unsupported::write_state_bytes(self, request.into_inner()).await)
    }

    async fn lock_state(
        &self,
        request: Request<pb::lock_state::Request>,
    ) -> Result<Response<pb::lock_state::Response>, Status> {
        ok(unsupported::lock_state(self, request.into_inner()))
    }

    async fn unlock_state(
        &self,
        request: Request<pb::unlock_state::Request>,
    ) -> Result<Response<pb::unlock_state::Response>, Status> {
        ok(unsupported::unlock_state(self, request.into_inner()))
    }

    async fn get_states(
        &self,
        request: Request<pb::get_states::Request>,
    ) -> Result<Response<pb::get_states::Response>, Status> {
        ok(unsupported::get_states(self, request.into_inner()))
    }

    async fn delete_state(
        &self,
        request: Request<pb::delete_state::Request>,
    ) -> Result<Response<pb::delete_state::Response>, Status> {
        ok(unsupported::delete_state(self, request.into_inner()))
    }

    async fn plan_action(
        &self,
        request: Request<pb::plan_action::Request>,
    ) -> Result<Response<pb::plan_action::Response>, Status> {
        ok(unsupported::plan_action(self, request.into_inner()))
    }

    type InvokeActionStream = BoxStream<pb::invoke_action::Event>;

    async fn invoke_action(
        &self,
        request: Request<pb::invoke_action::Request>,
    ) -> Result<Response<Self::InvokeActionStream>, Status> {
        ok(unsupported::invoke_action(self, request.into_inner()))
    }

    async fn validate_action_config(
        &self,
        request: Request<pb::validate_action_config::Request>,
    ) -> Result<Response<pb::validate_action_config::Response>, Status> {
        ok(unsupported::validate_action(self, request.into_inner()))
    }

    async fn stop_provider(
        &self,
        _request: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        tracing::info!("Terraform asked the provider to stop: cancelling work in flight");
        self.stop.cancel();
        ok(pb::stop_provider::Response::default())
    }
}
