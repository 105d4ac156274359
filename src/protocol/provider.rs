//! What a provider and its resources implement, in terms of decoded values rather than
//! wire messages. The gRPC layer (`rpc`) turns tfplugin6 requests into these calls and
//! the answers back into messages; resources never see protobuf or msgpack.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::diagnostics::Diagnostics;
use super::schema::{IdentitySchema, Schema};
use super::value::{AttributePath, Value};

/// What every call gets besides its request.
#[derive(Clone, Debug, Default)]
pub struct CallContext {
    /// Cancelled when Terraform calls StopProvider (Ctrl-C): long waits must observe it.
    pub cancel: CancellationToken,
    /// The host can take a "deferred" answer (Terraform ≥ 1.9 with -allow-deferral).
    pub deferral_allowed: bool,
}

/// Why a change is deferred to a later plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeferredReason {
    ProviderConfigUnknown,
    ResourceConfigUnknown,
    AbsentPrereq,
}

/// The provider as a whole: its configuration and the resources it offers.
#[tonic::async_trait]
pub trait ProviderHandler: Send + Sync + 'static {
    /// The `provider "…" {}` block.
    fn schema(&self) -> Schema;

    /// Every managed resource type, registered once at start-up.
    fn resources(&self) -> Vec<Arc<dyn ResourceHandler>>;

    /// Every data source type, registered once at start-up.
    fn data_sources(&self) -> Vec<Arc<dyn DataSourceHandler>> {
        Vec::new()
    }

    /// Checks the provider block without calling anything remote.
    async fn validate_config(&self, _config: &Value) -> Diagnostics {
        Diagnostics::default()
    }

    /// Configures the provider. The configuration may hold unknown values when it
    /// depends on resources not created yet: accept it and let resources defer.
    async fn configure(&self, config: &Value, ctx: &CallContext) -> Diagnostics;
}

/// State plus the provider's private bytes for one resource instance.
#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    pub state: Value,
    /// Opaque to Terraform, kept beside the state (e.g. an idempotency token).
    pub private: Vec<u8>,
    pub identity: Option<Value>,
}

pub struct ReadRequest {
    pub current: Stored,
}

/// What a refresh found.
#[derive(Default)]
pub enum Refreshed {
    /// The object is gone: Terraform drops it from state.
    #[default]
    Gone,
    /// The object as Terraform sent it (state, private bytes, identity): the protocol
    /// layer answers with their own bytes, so a handler need not hold a decoded copy of a
    /// large state while it reads.
    AsBefore,
    Now(Stored),
}

#[derive(Default)]
pub struct ReadResponse {
    pub new: Refreshed,
    pub diagnostics: Diagnostics,
    pub deferred: Option<DeferredReason>,
}

pub struct PlanRequest {
    /// Null on create.
    pub prior_state: Value,
    /// Null on destroy. Already carries the schema's defaults and unknowns for
    /// computed attributes (see `rpc::plan`), so resources only refine it.
    pub proposed_new_state: Value,
    pub config: Value,
    pub prior_private: Vec<u8>,
    pub prior_identity: Option<Value>,
}

pub struct PlanResponse {
    pub planned_state: Value,
    pub planned_private: Vec<u8>,
    pub planned_identity: Option<Value>,
    /// Attributes whose change forces replacement, beyond those the schema marks.
    pub requires_replace: Vec<AttributePath>,
    pub diagnostics: Diagnostics,
    pub deferred: Option<DeferredReason>,
}

pub struct ApplyRequest {
    /// Null on create.
    pub prior_state: Value,
    /// Null on destroy.
    pub planned_state: Value,
    pub config: Value,
    pub planned_private: Vec<u8>,
    pub planned_identity: Option<Value>,
}

pub struct ApplyResponse {
    /// What exists now, even when the apply failed halfway: Terraform saves it. `None`:
    /// the prior state, as Terraform sent it (nothing was done); the protocol layer keeps
    /// its bytes, so a handler need not hold a decoded copy through the apply.
    pub new_state: Option<Value>,
    pub private: Vec<u8>,
    pub new_identity: Option<Value>,
    pub diagnostics: Diagnostics,
}

impl Default for PlanResponse {
    fn default() -> Self {
        Self {
            planned_state: Value::Null,
            planned_private: Vec::new(),
            planned_identity: None,
            requires_replace: Vec::new(),
            diagnostics: Diagnostics::default(),
            deferred: None,
        }
    }
}

impl Default for ApplyResponse {
    fn default() -> Self {
        Self {
            new_state: Some(Value::Null),
            private: Vec::new(),
            new_identity: None,
            diagnostics: Diagnostics::default(),
        }
    }
}

pub struct ImportRequest {
    /// The id from `terraform import ADDR ID` or an `import {}` block; empty when the
    /// import names an identity instead.
    pub id: String,
    pub identity: Option<Value>,
}

#[derive(Default)]
pub struct ImportResponse {
    pub imported: Vec<Stored>,
    pub diagnostics: Diagnostics,
    pub deferred: Option<DeferredReason>,
}

/// One managed resource type.
#[tonic::async_trait]
pub trait ResourceHandler: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    /// Resource identity (protocol 6.9), if this resource has one.
    fn identity_schema(&self) -> Option<IdentitySchema> {
        None
    }

    /// Checks the configuration without calling anything remote.
    async fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::default()
    }

    /// Rewrites a state stored by an older schema version (`stored_version` is below
    /// the current `schema().version`) into the current version's shape, applying every
    /// step from `stored_version` up. See docs/state-upgrades.md for the policy.
    ///
    /// `state` is the stored JSON read without a schema, so nothing is lost: objects
    /// are [`Value::Object`], arrays [`Value::Tuple`], numbers keep every digit. The
    /// answer is read with the current schema: attributes it no longer has are dropped,
    /// attributes it lacks start as null.
    ///
    /// Not called for a state at the current version (read as it is, on every state
    /// load) nor for one written by a newer provider (refused by the protocol layer).
    /// The default keeps the state as it is, which suits only added or removed
    /// attributes.
    fn upgrade_state(&self, _stored_version: i64, state: Value) -> Result<Value, Diagnostics> {
        Ok(state)
    }

    async fn read(&self, request: ReadRequest, ctx: &CallContext) -> ReadResponse;

    async fn plan(&self, request: PlanRequest, ctx: &CallContext) -> PlanResponse;

    async fn apply(&self, request: ApplyRequest, ctx: &CallContext) -> ApplyResponse;

    /// Whether this resource wants to see destroy plans (the provider then announces
    /// `ServerCapabilities.plan_destroy`, and Terraform asks before every destroy).
    fn plans_destroy(&self) -> bool {
        false
    }

    /// Read-only checks on a planned destroy of `prior`: the diagnostics go out with the
    /// plan (a warning of what the destroy will not be able to do, say). An error stops
    /// the destroy before it starts.
    async fn plan_destroy(
        &self,
        _prior: &Value,
        _prior_private: &[u8],
        _ctx: &CallContext,
    ) -> Diagnostics {
        Diagnostics::default()
    }

    async fn import(&self, _request: ImportRequest, _ctx: &CallContext) -> ImportResponse {
        ImportResponse {
            diagnostics: Diagnostics::error(
                "Import not supported",
                format!("{} cannot be imported.", self.type_name()),
            ),
            ..ImportResponse::default()
        }
    }

    /// The `config { }` of a `list` block (protocol 6.10), if this resource can be
    /// listed with `terraform query`.
    fn list_schema(&self) -> Option<Schema> {
        None
    }

    async fn list(&self, _request: ListRequest, _ctx: &CallContext) -> ListResponse {
        ListResponse::failed(Diagnostics::error(
            "Listing not supported",
            format!("{} cannot be listed.", self.type_name()),
        ))
    }

    /// Turns a state into the configuration that produces it (for
    /// `-generate-config-out`): computed-only attributes null, defaults left out.
    /// `None`: Terraform generates the configuration itself.
    fn generate_config(&self, _state: &Value) -> Option<Result<Value, Diagnostics>> {
        None
    }

    /// Whether `moved` blocks from other resource types can target this one.
    fn accepts_moves(&self) -> bool {
        false
    }

    fn move_state(&self, request: MoveRequest) -> MoveResponse {
        MoveResponse::failed(Diagnostics::error(
            "Move not supported",
            format!(
                "{} cannot take over {} of {}.",
                self.type_name(),
                request.source_type_name,
                request.source_provider_address
            ),
        ))
    }
}

/// A data source read. The protocol layer calls it only with a wholly known
/// configuration: Terraform itself reads a data source whose configuration holds
/// unknowns at apply time, and the protocol layer answers such a read (from a host that
/// sends one anyway) without the handler.
pub struct DataReadRequest {
    pub config: Value,
}

pub struct DataReadResponse {
    /// The configuration with every computed attribute filled in. May stay null with an
    /// error or a deferral: the protocol layer then answers with the configuration and
    /// its computed attributes unknown.
    pub state: Value,
    pub diagnostics: Diagnostics,
    pub deferred: Option<DeferredReason>,
}

impl Default for DataReadResponse {
    fn default() -> Self {
        Self {
            state: Value::Null,
            diagnostics: Diagnostics::default(),
            deferred: None,
        }
    }
}

/// One data source type.
#[tonic::async_trait]
pub trait DataSourceHandler: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    /// Checks the configuration without calling anything remote. Values may be unknown.
    async fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::default()
    }

    /// Reads, without changing anything remote.
    async fn read(&self, request: DataReadRequest, ctx: &CallContext) -> DataReadResponse;
}

/// A `terraform query` request for one list block.
pub struct ListRequest {
    pub config: Value,
    pub include_resource: bool,
    /// At most this many results; 0 means no limit.
    pub limit: i64,
}

/// One object found.
pub struct ListedResource {
    pub identity: Value,
    pub display_name: String,
    /// The whole resource object, when the request asked for it.
    pub resource: Option<Value>,
}

pub struct ListResponse {
    pub results: Vec<ListedResource>,
    pub diagnostics: Diagnostics,
}

impl ListResponse {
    pub fn failed(diagnostics: Diagnostics) -> Self {
        Self {
            results: Vec::new(),
            diagnostics,
        }
    }
}

/// A `moved` block's source, as stored by the source resource's provider.
pub struct MoveRequest {
    pub source_provider_address: String,
    pub source_type_name: String,
    pub source_schema_version: i64,
    /// The source state's JSON, read without a schema.
    pub source_state: serde_json::Value,
    pub source_private: Vec<u8>,
}

pub struct MoveResponse {
    pub target_state: Value,
    pub target_private: Vec<u8>,
    pub target_identity: Option<Value>,
    pub diagnostics: Diagnostics,
}

impl MoveResponse {
    pub fn failed(diagnostics: Diagnostics) -> Self {
        Self {
            target_state: Value::Null,
            target_private: Vec::new(),
            target_identity: None,
            diagnostics,
        }
    }
}
