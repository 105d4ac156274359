//! The servicemesh provider: its configuration, and the resources it offers.

mod model;
mod schema;

use std::sync::{Arc, RwLock};

use crate::aws::config::{AwsSettings, connect_until};
use crate::aws::gateway::Gateway;
use crate::protocol::diagnostics::{Diagnostic, Diagnostics};
use crate::protocol::provider::{CallContext, DataSourceHandler, ProviderHandler, ResourceHandler};
use crate::protocol::schema::Schema;
use crate::protocol::value::{AttributePath, Value};
use crate::resources::internal::InternalResource;
use crate::resources::internal_data::InternalDataSource;

pub use model::ProviderModel;

/// What resources see of the provider's configuration.
#[derive(Clone, Debug, Default)]
pub enum Configured {
    /// ConfigureProvider has not run (validate-only commands).
    #[default]
    NotYet,
    /// The configuration depends on values not known until apply: defer AWS calls.
    Unknown,
    Ready(Arc<Gateway>),
}

/// Shared between the provider and its resources.
#[derive(Debug, Default)]
pub struct ProviderState {
    configured: RwLock<Configured>,
}

impl ProviderState {
    pub fn get(&self) -> Configured {
        self.configured
            .read()
            .map(|c| c.clone())
            .unwrap_or_default()
    }

    fn set(&self, configured: Configured) {
        if let Ok(mut slot) = self.configured.write() {
            *slot = configured;
        }
    }
}

pub struct ServicemeshProvider {
    state: Arc<ProviderState>,
}

impl ServicemeshProvider {
    pub fn new() -> Self {
        Self {
            state: Arc::new(ProviderState::default()),
        }
    }
}

impl Default for ServicemeshProvider {
    fn default() -> Self {
        Self::new()
    }
}

#[tonic::async_trait]
impl ProviderHandler for ServicemeshProvider {
    fn schema(&self) -> Schema {
        schema::provider_schema()
    }

    fn resources(&self) -> Vec<Arc<dyn ResourceHandler>> {
        vec![Arc::new(InternalResource::new(self.state.clone()))]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSourceHandler>> {
        vec![Arc::new(InternalDataSource::new(self.state.clone()))]
    }

    async fn validate_config(&self, config: &Value) -> Diagnostics {
        match ProviderModel::decode(config) {
            Ok(model) => model.validate(),
            Err(diagnostics) => diagnostics,
        }
    }

    async fn configure(&self, config: &Value, ctx: &CallContext) -> Diagnostics {
        if !config.is_fully_known() {
            tracing::info!("provider configuration not known until apply: deferring AWS calls");
            self.state.set(Configured::Unknown);
            return Diagnostics::default();
        }
        let settings: AwsSettings =
            match ProviderModel::decode(config).and_then(|m| m.into_settings()) {
                Ok(settings) => settings,
                Err(diagnostics) => return diagnostics,
            };
        // The clients send nothing once Terraform stops the provider: a call being
        // retried on a throttled account ends at once instead of after its backoff.
        match connect_until(&settings, ctx.cancel.clone()).await {
            Ok(clients) => {
                self.state
                    .set(Configured::Ready(Arc::new(Gateway::from(&clients))));
                Diagnostics::default()
            }
            Err(err) => {
                let mut diagnostic =
                    Diagnostic::error("Invalid provider configuration", err.to_string());
                if let Some(attribute) = err.attribute() {
                    diagnostic = diagnostic.at(dotted_path(attribute));
                }
                diagnostic.into()
            }
        }
    }
}

/// `endpoints.ecs` → the path Terraform shows as `endpoints.ecs` on the block's line.
fn dotted_path(dotted: &str) -> AttributePath {
    dotted
        .split('.')
        .fold(AttributePath::root(), |path, step| path.attribute(step))
}
