//! A small in-memory provider for protocol tests, and an in-process gRPC server for
//! any `ProviderHandler`: no subprocess, no TLS, no AWS.
//!
//! `fake_thing` exercises every schema feature the protocol layer implements:
//! required, optional, computed and sensitive attributes, a default, requires-replace,
//! use-state-for-unknown, nested attributes nested as single, list, set and map, a
//! nested block, an identity, and state upgrades from schema version 1 to 2.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use servicemesh::protocol::address::ProviderAddress;
use servicemesh::protocol::diagnostics::{Diagnostic, Diagnostics};
use servicemesh::protocol::proto::tfplugin6 as pb;
use servicemesh::protocol::provider::{
    ApplyRequest, ApplyResponse, CallContext, ImportRequest, ImportResponse, PlanRequest,
    PlanResponse, ProviderHandler, ReadRequest, ReadResponse, Refreshed, ResourceHandler, Stored,
};
use servicemesh::protocol::rpc::ProviderService;
use servicemesh::protocol::schema::{
    Attribute, Block, IdentityAttribute, IdentitySchema, NestedBlock, Nesting, Presence, Schema,
};
use servicemesh::protocol::value::{AttributePath, Number, Type, Value};
use tokio::sync::Notify;
use tonic::transport::Channel;

use super::plugin::connect;

/// The fake provider's address: its own, so that messages naming "the provider" show
/// the name it was served under.
pub const FAKE_PROVIDER: ProviderAddress =
    ProviderAddress::new("registry.terraform.io/example/fake");
pub const FAKE_TYPE: &str = "fake_thing";
pub const FAKE_SCHEMA_VERSION: i64 = 2;
pub const FAKE_IDENTITY_VERSION: i64 = 1;
/// A `name` that makes apply wait until the provider is stopped.
pub const SLOW_NAME: &str = "slow";

/// What the tests observe of the fake from outside.
#[derive(Default)]
pub struct FakeState {
    /// Objects by id, as the "remote system" has them.
    pub objects: Mutex<BTreeMap<String, Value>>,
    pub next_id: AtomicU64,
    /// The last configuration ConfigureProvider received.
    pub configured: Mutex<Option<Value>>,
    /// Notified when an apply of [`SLOW_NAME`] starts waiting.
    pub slow_apply_started: Notify,
    /// Set when that apply saw its cancel token cancelled.
    pub slow_apply_cancelled: AtomicBool,
}

pub struct FakeProvider {
    pub state: Arc<FakeState>,
}

impl FakeProvider {
    pub fn new() -> Self {
        Self {
            state: Arc::new(FakeState::default()),
        }
    }
}

#[tonic::async_trait]
impl ProviderHandler for FakeProvider {
    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new("A fake provider.")
                .attribute(Attribute::optional("region", Type::String).description("Region."))
                .attribute(
                    Attribute::optional("token", Type::String)
                        .sensitive()
                        .description("A secret."),
                ),
        )
    }

    fn resources(&self) -> Vec<Arc<dyn ResourceHandler>> {
        vec![Arc::new(FakeThing {
            state: self.state.clone(),
        })]
    }

    async fn validate_config(&self, config: &Value) -> Diagnostics {
        match config.get_attr("region").and_then(Value::as_str) {
            Some("") => Diagnostics::error_at(
                AttributePath::root().attribute("region"),
                "Empty region",
                "region must not be empty.",
            ),
            _ => Diagnostics::default(),
        }
    }

    async fn configure(&self, config: &Value, _ctx: &CallContext) -> Diagnostics {
        if let Ok(mut slot) = self.state.configured.lock() {
            *slot = Some(config.clone());
        }
        Diagnostics::default()
    }
}

pub struct FakeThing {
    state: Arc<FakeState>,
}

/// The schema of `fake_thing`, version 2.
pub fn fake_schema() -> Schema {
    let endpoint = vec![
        Attribute::required("host", Type::String),
        Attribute::optional("port", Type::Number).default_value(Value::from(443)),
        Attribute::computed("address", Type::String),
    ];
    let rule = vec![
        Attribute::required("action", Type::String),
        Attribute::optional("priority", Type::Number),
    ];
    let member = vec![
        Attribute::required("user", Type::String),
        Attribute::optional_computed("role", Type::String),
    ];
    let label = vec![
        Attribute::required("value", Type::String),
        Attribute::optional("zone", Type::String).requires_replace(),
        Attribute::computed("checksum", Type::String),
    ];
    let settings = Block::new("Settings.")
        .attribute(Attribute::optional("mode", Type::String).default_value(Value::from("fast")))
        .attribute(Attribute::computed("hint", Type::String));
    let block = Block::new("A fake thing kept in memory.")
        .attribute(
            Attribute::required("name", Type::String)
                .requires_replace()
                .description("The name. Changing it replaces the thing."),
        )
        .attribute(
            Attribute::optional("size", Type::Number)
                .default_value(Value::from(3))
                .description("The size. Default: `3`."),
        )
        .attribute(
            Attribute::computed("id", Type::String)
                .use_state_for_unknown()
                .description("The id."),
        )
        .attribute(
            Attribute::computed("revision", Type::Number).description("Bumped by every apply."),
        )
        .attribute(Attribute::optional("secret", Type::String).sensitive())
        .attribute(Attribute::optional("big", Type::Number))
        .attribute(
            Attribute::optional("title", Type::String).description("Was `display_name` in v1."),
        )
        .attribute(Attribute::optional_computed("tier", Type::String).description("New in v2."))
        .attribute(Attribute::nested(
            "endpoint",
            Nesting::Single,
            Presence::Optional,
            endpoint,
        ))
        .attribute(Attribute::nested(
            "rules",
            Nesting::List,
            Presence::Optional,
            rule,
        ))
        .attribute(Attribute::nested(
            "members",
            Nesting::Set,
            Presence::Optional,
            member,
        ))
        .attribute(Attribute::nested(
            "labels",
            Nesting::Map,
            Presence::Optional,
            label,
        ))
        .block(NestedBlock::single("settings", settings));
    Schema::new(FAKE_SCHEMA_VERSION, block)
}

pub fn fake_identity_schema() -> IdentitySchema {
    IdentitySchema {
        version: FAKE_IDENTITY_VERSION,
        attributes: vec![IdentityAttribute {
            name: "id".into(),
            ty: Type::String,
            required_for_import: true,
            optional_for_import: false,
            description: "The thing's id.".into(),
        }],
    }
}

fn identity_of(state: &Value) -> Option<Value> {
    let id = state.get_attr("id")?.clone();
    Some(Value::object([("id", id)]))
}

/// Replaces `value`'s attribute `name`.
fn with_attr(value: Value, name: &str, new: Value) -> Value {
    match value {
        Value::Object(mut attributes) => {
            attributes.insert(name.to_string(), new);
            Value::Object(attributes)
        }
        other => other,
    }
}

/// Applies `f` to every element of a collection, or to a single object.
fn map_elements(value: Value, f: &dyn Fn(Value) -> Value) -> Value {
    match value {
        Value::List(items) => Value::List(items.into_iter().map(f).collect()),
        Value::Set(items) => Value::Set(items.into_iter().map(f).collect()),
        Value::Map(entries) => Value::Map(entries.into_iter().map(|(k, v)| (k, f(v))).collect()),
        Value::Object(_) => f(value),
        other => other,
    }
}

/// Fills in what only the remote system knows, wherever the plan left it unknown.
fn resolve(planned: Value, id: &str, revision: u64) -> Value {
    let known_or = |value: Value, fallback: Value| {
        if value.is_known() { value } else { fallback }
    };
    let mut state = planned;
    for (name, fallback) in [
        ("id", Value::from(id)),
        ("revision", Value::from(revision)),
        ("tier", Value::from("standard")),
    ] {
        let current = state.get_attr(name).cloned().unwrap_or(Value::Null);
        state = with_attr(state, name, known_or(current, fallback));
    }
    let endpoint = state.get_attr("endpoint").cloned().unwrap_or(Value::Null);
    let endpoint = map_elements(endpoint, &|e| {
        let host = e
            .get_attr("host")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let port = e
            .get_attr("port")
            .and_then(Value::as_number)
            .map(|n| n.to_string())
            .unwrap_or_default();
        let current = e.get_attr("address").cloned().unwrap_or(Value::Null);
        with_attr(
            e,
            "address",
            known_or(current, Value::from(format!("{host}:{port}"))),
        )
    });
    state = with_attr(state, "endpoint", endpoint);
    let members = state.get_attr("members").cloned().unwrap_or(Value::Null);
    let members = map_elements(members, &|m| {
        let current = m.get_attr("role").cloned().unwrap_or(Value::Null);
        with_attr(m, "role", known_or(current, Value::from("member")))
    });
    state = with_attr(state, "members", members);
    let labels = state.get_attr("labels").cloned().unwrap_or(Value::Null);
    let labels = map_elements(labels, &|l| {
        let value = l
            .get_attr("value")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let current = l.get_attr("checksum").cloned().unwrap_or(Value::Null);
        with_attr(
            l,
            "checksum",
            known_or(current, Value::from(format!("sum-{value}"))),
        )
    });
    state = with_attr(state, "labels", labels);
    let settings = state.get_attr("settings").cloned().unwrap_or(Value::Null);
    let settings = map_elements(settings, &|s| {
        let current = s.get_attr("hint").cloned().unwrap_or(Value::Null);
        with_attr(s, "hint", known_or(current, Value::from("hinted")))
    });
    with_attr(state, "settings", settings)
}

#[tonic::async_trait]
impl ResourceHandler for FakeThing {
    fn type_name(&self) -> &'static str {
        FAKE_TYPE
    }

    fn schema(&self) -> Schema {
        fake_schema()
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(fake_identity_schema())
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        let mut diagnostics = Diagnostics::default();
        if let Some(name) = config.get_attr("name").and_then(Value::as_str)
            && name.contains(char::is_whitespace)
        {
            diagnostics.push(
                Diagnostic::error("Invalid name", format!("{name:?} contains whitespace."))
                    .at(AttributePath::root().attribute("name")),
            );
        }
        let port = config
            .get_attr("endpoint")
            .and_then(|e| e.get_attr("port"))
            .and_then(Value::as_number)
            .and_then(Number::to_i64);
        if let Some(port) = port
            && !(1..=65535).contains(&port)
        {
            diagnostics.push(
                Diagnostic::error("Port out of range", format!("{port} is not a port.")).at(
                    AttributePath::root()
                        .attribute("endpoint")
                        .attribute("port"),
                ),
            );
        }
        for (index, rule) in config
            .get_attr("rules")
            .and_then(Value::as_elements)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            if let Some(action) = rule.get_attr("action").and_then(Value::as_str)
                && action != "allow"
                && action != "deny"
            {
                diagnostics.push(
                    Diagnostic::warning(
                        "Unusual action",
                        format!("{action:?} is neither allow nor deny."),
                    )
                    .at(AttributePath::root()
                        .attribute("rules")
                        .index(index as i64)
                        .attribute("action")),
                );
            }
        }
        diagnostics
    }

    /// v1 called `title` `display_name` and had no `tier`; v0 is too old to read.
    fn upgrade_state(&self, stored_version: i64, state: Value) -> Result<Value, Diagnostics> {
        if stored_version < 1 {
            return Err(Diagnostics::error(
                "State too old",
                format!(
                    "fake_thing cannot read schema version {stored_version}; the oldest it reads is 1."
                ),
            ));
        }
        let Value::Object(mut attributes) = state else {
            return Err(Diagnostics::error(
                "Unreadable state",
                "The stored state is not an object.",
            ));
        };
        if stored_version == 1 {
            if let Some(display_name) = attributes.remove("display_name") {
                attributes.insert("title".into(), display_name);
            }
            attributes.insert("tier".into(), Value::from("legacy"));
        }
        Ok(Value::Object(attributes))
    }

    async fn read(&self, request: ReadRequest, _ctx: &CallContext) -> ReadResponse {
        let id = request
            .current
            .state
            .get_attr("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let found = self
            .state
            .objects
            .lock()
            .ok()
            .and_then(|objects| objects.get(&id).cloned());
        ReadResponse {
            new: match found {
                Some(state) => Refreshed::Now(Stored {
                    identity: identity_of(&state),
                    state,
                    private: request.current.private,
                }),
                None => Refreshed::Gone,
            },
            ..ReadResponse::default()
        }
    }

    async fn plan(&self, request: PlanRequest, _ctx: &CallContext) -> PlanResponse {
        let mut planned = request.proposed_new_state;
        // `revision` changes with every apply that changes something.
        if !request.prior_state.is_null() && planned != request.prior_state {
            planned = with_attr(planned, "revision", Value::unknown());
        }
        // The resource's own replace rule: a changed secret.
        let mut requires_replace = Vec::new();
        if !request.prior_state.is_null()
            && request.prior_state.get_attr("secret") != planned.get_attr("secret")
        {
            requires_replace.push(AttributePath::root().attribute("secret"));
        }
        PlanResponse {
            planned_identity: identity_of(&planned)
                .filter(|i| i.get_attr("id").is_some_and(Value::is_known)),
            planned_state: planned,
            planned_private: b"planned".to_vec(),
            requires_replace,
            ..PlanResponse::default()
        }
    }

    async fn apply(&self, request: ApplyRequest, ctx: &CallContext) -> ApplyResponse {
        if request.planned_state.is_null() {
            let id = request
                .prior_state
                .get_attr("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if let Ok(mut objects) = self.state.objects.lock() {
                objects.remove(&id);
            }
            return ApplyResponse::default();
        }
        if request
            .planned_state
            .get_attr("name")
            .and_then(Value::as_str)
            == Some(SLOW_NAME)
        {
            self.state.slow_apply_started.notify_one();
            tokio::select! {
                () = ctx.cancel.cancelled() => {
                    self.state.slow_apply_cancelled.store(true, Ordering::SeqCst);
                    return ApplyResponse {
                        new_state: None,
                        diagnostics: Diagnostics::error("Apply cancelled", "Terraform stopped the provider."),
                        ..ApplyResponse::default()
                    };
                }
                () = tokio::time::sleep(Duration::from_secs(120)) => {}
            }
        }
        let revision = self.state.next_id.fetch_add(1, Ordering::SeqCst) + 1;
        let id = request
            .prior_state
            .get_attr("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("thing-{revision}"));
        let state = resolve(request.planned_state, &id, revision);
        if let Ok(mut objects) = self.state.objects.lock() {
            objects.insert(id, state.clone());
        }
        ApplyResponse {
            new_identity: identity_of(&state),
            new_state: Some(state),
            private: request.planned_private,
            diagnostics: Diagnostics::default(),
        }
    }

    async fn import(&self, request: ImportRequest, _ctx: &CallContext) -> ImportResponse {
        let id = match &request.identity {
            Some(identity) => identity
                .get_attr("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            None => request.id.clone(),
        };
        let found = self
            .state
            .objects
            .lock()
            .ok()
            .and_then(|objects| objects.get(&id).cloned());
        match found {
            Some(state) => ImportResponse {
                imported: vec![Stored {
                    identity: identity_of(&state),
                    state,
                    private: b"imported".to_vec(),
                }],
                ..ImportResponse::default()
            },
            None => ImportResponse {
                diagnostics: Diagnostics::error(
                    "Cannot import",
                    format!("No fake_thing has id {id:?}."),
                ),
                ..ImportResponse::default()
            },
        }
    }
}

/// A provider served in-process, under the address `name`, over a unix socket in a temp
/// dir, with a client.
pub struct InProcess {
    pub client: pb::provider_client::ProviderClient<Channel>,
    server: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl InProcess {
    pub async fn serve(name: ProviderAddress, handler: Arc<dyn ProviderHandler>) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("servicemesh-rpc-")
            .tempdir()
            .expect("temp dir");
        let socket: PathBuf = dir.path().join("provider.sock");
        let listener = tokio::net::UnixListener::bind(&socket).expect("binding the socket");
        let service = ProviderService::new(name, handler);
        let server = tokio::spawn(async move {
            let _ = tonic::transport::Server::builder()
                .add_service(pb::provider_server::ProviderServer::new(service))
                .serve_with_incoming(tokio_stream::wrappers::UnixListenerStream::new(listener))
                .await;
        });
        let channel = tokio::time::timeout(Duration::from_secs(10), connect(socket, None))
            .await
            .expect("connecting within 10 s")
            .expect("connecting to the in-process provider");
        Self {
            client: pb::provider_client::ProviderClient::new(channel),
            server,
            _dir: dir,
        }
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        self.server.abort();
    }
}
