//! `servicemesh_internal`: one resource for the whole mesh of a cluster.

mod apply;
mod external;
mod generate;
mod grouping;
mod identity;
pub(crate) mod import;
mod list;
mod model;
mod moved;
mod namespace;
mod plan;
mod plan_checks;
mod read;
mod recent_read;
mod record;
mod rollouts;
mod schema;
mod services;
mod upgrade;
mod users;
mod validate;
mod wiring;

use std::sync::Arc;

use crate::aws::gateway::Gateway;
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::provider::{
    ApplyRequest, ApplyResponse, CallContext, ImportRequest, ImportResponse, ListRequest,
    ListResponse, MoveRequest, MoveResponse, PlanRequest, PlanResponse, ReadRequest, ReadResponse,
    ResourceHandler,
};
use crate::protocol::schema::Schema;
use crate::protocol::value::{Type, Value, from_value, to_value};
use crate::provider::{Configured, ProviderState};

pub use model::InternalModel;
pub use schema::TYPE_NAME;

pub struct InternalResource {
    provider: Arc<ProviderState>,
    value_type: Type,
}

impl InternalResource {
    pub fn new(provider: Arc<ProviderState>) -> Self {
        Self {
            provider,
            value_type: schema::resource_schema().value_type(),
        }
    }

    /// The AWS gateway, or a diagnostic saying why there is none.
    fn gateway(&self) -> Result<Arc<Gateway>, Diagnostics> {
        match self.provider.get() {
            Configured::Ready(gateway) => Ok(gateway),
            Configured::Unknown => Err(Diagnostics::error(
                "Provider configuration not known",
                "The servicemesh provider's configuration depends on values that are not known yet. \
                 Apply the resources it depends on first, or pass -target.",
            )),
            Configured::NotYet => Err(Diagnostics::error(
                "Provider not configured",
                "Terraform did not configure the servicemesh provider before using it. This is a bug; please report it.",
            )),
        }
    }

    fn decode(&self, value: &Value) -> Result<Option<InternalModel>, Diagnostics> {
        if value.is_null() {
            return Ok(None);
        }
        from_value(value).map(Some).map_err(|err| {
            Diagnostics::error(
                "Unreadable servicemesh_internal value",
                format!("{err}. This is a bug in the provider; please report it."),
            )
        })
    }

    /// The identity of a stored or planned model, when its namespace is known.
    fn identity(&self, model: &InternalModel) -> Option<Value> {
        match self.provider.get() {
            Configured::Ready(gateway) => identity::identity_of(model, &gateway.region),
            _ => None,
        }
    }

    fn encode(&self, model: &InternalModel) -> Result<Value, Diagnostics> {
        to_value(model, &self.value_type).map_err(|err| {
            Diagnostics::error(
                "Unwritable servicemesh_internal value",
                format!("{err}. This is a bug in the provider; please report it."),
            )
        })
    }
}

#[tonic::async_trait]
impl ResourceHandler for InternalResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::resource_schema()
    }

    fn identity_schema(&self) -> Option<crate::protocol::schema::IdentitySchema> {
        Some(identity::identity_schema())
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        validate::validate(config)
    }

    fn upgrade_state(&self, stored_version: i64, state: Value) -> Result<Value, Diagnostics> {
        upgrade::upgrade_state(stored_version, state)
    }

    async fn read(&self, request: ReadRequest, ctx: &CallContext) -> ReadResponse {
        read::read(self, request, ctx).await
    }

    async fn plan(&self, request: PlanRequest, ctx: &CallContext) -> PlanResponse {
        plan::plan(self, request, ctx).await
    }

    fn plans_destroy(&self) -> bool {
        true
    }

    async fn plan_destroy(
        &self,
        prior: &Value,
        prior_private: &[u8],
        _ctx: &CallContext,
    ) -> Diagnostics {
        users::destroy_warnings(self, prior, prior_private).await
    }

    async fn apply(&self, request: ApplyRequest, ctx: &CallContext) -> ApplyResponse {
        apply::apply(self, request, ctx).await
    }

    async fn import(&self, request: ImportRequest, ctx: &CallContext) -> ImportResponse {
        import::import(self, request, ctx).await
    }

    fn list_schema(&self) -> Option<Schema> {
        Some(list::list_schema())
    }

    async fn list(&self, request: ListRequest, ctx: &CallContext) -> ListResponse {
        list::list(self, request, ctx).await
    }

    fn accepts_moves(&self) -> bool {
        true
    }

    fn generate_config(&self, state: &Value) -> Option<Result<Value, Diagnostics>> {
        let model = match self.decode(state) {
            Ok(Some(model)) => model,
            // Asked with no state: this resource does generate configuration.
            Ok(None) => return Some(Ok(Value::Null)),
            Err(diagnostics) => return Some(Err(diagnostics)),
        };
        Some(self.encode(&generate::config_from_state(&model)))
    }

    fn move_state(&self, request: MoveRequest) -> MoveResponse {
        moved::move_state(self, request)
    }
}
