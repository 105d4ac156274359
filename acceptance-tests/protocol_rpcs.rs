//! The tfplugin6 `Provider` service RPC by RPC, over a real gRPC connection to an
//! in-process server (`support::fake_provider`), plus the places where only real
//! Terraform can tell whether we speak its language: refined unknowns in plan
//! configurations, `terraform providers schema -json`, and diagnostics placed on
//! configuration lines by `terraform validate`.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use servicemesh::protocol::handshake::LOWEST_SUPPORTED_TERRAFORM;
use servicemesh::protocol::proto::tfplugin6 as pb;
use servicemesh::protocol::provider::ProviderHandler;
use servicemesh::protocol::schema::{Attribute, AttributeKind, Block, Nesting, Presence};
use servicemesh::protocol::value::{self, Number, NumberBound, Refinements, Type, Value};
use servicemesh::provider::ServicemeshProvider;

use crate::support::fake_provider::{
    FAKE_IDENTITY_VERSION, FAKE_PROVIDER, FAKE_SCHEMA_VERSION, FAKE_TYPE, FakeProvider, InProcess,
    SLOW_NAME, fake_schema,
};
use crate::support::hcl::{line_of, required_providers};
use crate::support::terraform::{Install, Outcome, PROVIDER_ADDRESS, Workdir, repo_root};

/// The longest any single RPC may take before the test calls it a hang.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest a real Terraform command may take.
const TERRAFORM_TIMEOUT: Duration = Duration::from_secs(240);

const BIG: &str = "123456789012345678901234567890";

// ---- helpers -----------------------------------------------------------------------

/// Awaits `future`, failing the test if it takes longer than [`CALL_TIMEOUT`].
async fn within<F: Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(CALL_TIMEOUT, future)
        .await
        .unwrap_or_else(|_| panic!("{what} did not answer within {CALL_TIMEOUT:?}"))
}

/// Awaits a unary RPC within the timeout and unwraps its gRPC status.
async fn call<T>(
    what: &str,
    future: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
) -> T {
    within(what, future)
        .await
        .unwrap_or_else(|status| panic!("{what} failed with {status:?}"))
        .into_inner()
}

fn fake_type() -> Type {
    fake_schema().value_type()
}

fn dynamic(value: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: value::encode_msgpack(value, ty).expect("encoding a test value"),
        json: Vec::new(),
    })
}

fn decoded(dynamic: Option<&pb::DynamicValue>, ty: &Type) -> Value {
    let dynamic = dynamic.expect("a DynamicValue in the answer");
    assert!(dynamic.json.is_empty(), "values are sent as msgpack");
    value::decode_msgpack(&dynamic.msgpack, ty).expect("decoding the answer")
}

fn identity_type() -> Type {
    Type::object([("id", Type::String)])
}

fn identity_data(id: &str) -> Option<pb::ResourceIdentityData> {
    Some(pb::ResourceIdentityData {
        identity_data: dynamic(&Value::object([("id", Value::from(id))]), &identity_type()),
    })
}

fn decoded_identity(data: Option<&pb::ResourceIdentityData>) -> Value {
    decoded(
        data.and_then(|d| d.identity_data.as_ref()),
        &identity_type(),
    )
}

/// `labels["k"].zone`, `rules[1].action`: a path as Terraform would show it.
fn path_text(path: Option<&pb::AttributePath>) -> String {
    use pb::attribute_path::step::Selector;
    let Some(path) = path else {
        return "<no path>".to_string();
    };
    let mut text = String::new();
    for step in &path.steps {
        match &step.selector {
            Some(Selector::AttributeName(name)) => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(name);
            }
            Some(Selector::ElementKeyString(key)) => text.push_str(&format!("[{key:?}]")),
            Some(Selector::ElementKeyInt(index)) => text.push_str(&format!("[{index}]")),
            None => text.push_str("<empty step>"),
        }
    }
    text
}

/// `(severity, summary, path)` of each diagnostic.
fn described(diagnostics: &[pb::Diagnostic]) -> Vec<(i32, String, String)> {
    diagnostics
        .iter()
        .map(|d| {
            (
                d.severity,
                d.summary.clone(),
                path_text(d.attribute.as_ref()),
            )
        })
        .collect()
}

const ERROR: i32 = pb::diagnostic::Severity::Error as i32;
const WARNING: i32 = pb::diagnostic::Severity::Warning as i32;

/// Exactly one error diagnostic, whose summary and detail together mention `needle`.
#[track_caller]
fn assert_one_error_naming(diagnostics: &[pb::Diagnostic], needle: &str) {
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let d = &diagnostics[0];
    assert_eq!(d.severity, ERROR, "{d:#?}");
    assert!(
        d.summary.contains(needle) || d.detail.contains(needle),
        "the diagnostic should name {needle:?}: {d:#?}"
    );
}

fn unknown() -> Value {
    Value::unknown()
}

/// A full `fake_thing` object: every attribute null unless given.
fn thing(given: &[(&str, Value)]) -> Value {
    let mut attributes: BTreeMap<String, Value> = fake_schema()
        .block
        .attributes
        .iter()
        .map(|a| (a.name.clone(), Value::Null))
        .collect();
    attributes.insert("settings".into(), Value::Null);
    for (name, value) in given {
        assert!(attributes.contains_key(*name), "fake_thing has no {name}");
        attributes.insert((*name).to_string(), value.clone());
    }
    Value::Object(attributes)
}

fn endpoint(host: &str, port: Value, address: Value) -> Value {
    Value::object([
        ("host", Value::from(host)),
        ("port", port),
        ("address", address),
    ])
}

fn rule(action: &str) -> Value {
    Value::object([("action", Value::from(action)), ("priority", Value::Null)])
}

fn member(user: &str, role: Value) -> Value {
    Value::object([("user", Value::from(user)), ("role", role)])
}

fn label(value: &str, zone: Value, checksum: Value) -> Value {
    Value::object([
        ("value", Value::from(value)),
        ("zone", zone),
        ("checksum", checksum),
    ])
}

fn settings(mode: Value, hint: Value) -> Value {
    Value::object([("mode", mode), ("hint", hint)])
}

/// The configuration (and, on create, Terraform's proposed state) of the main example.
fn create_config() -> Value {
    thing(&[
        ("name", "a".into()),
        ("endpoint", endpoint("h", Value::Null, Value::Null)),
        ("rules", Value::List(vec![rule("allow")])),
        ("members", Value::Set(vec![member("u", Value::Null)])),
        (
            "labels",
            Value::map([("k", label("v", Value::Null, Value::Null))]),
        ),
        ("settings", settings(Value::Null, Value::Null)),
    ])
}

/// What the fake stores after creating [`create_config`] as its first object.
fn created_state() -> Value {
    thing(&[
        ("name", "a".into()),
        ("size", 3.into()),
        ("id", "thing-1".into()),
        ("revision", 1.into()),
        ("tier", "standard".into()),
        ("endpoint", endpoint("h", 443.into(), "h:443".into())),
        ("rules", Value::List(vec![rule("allow")])),
        ("members", Value::Set(vec![member("u", "member".into())])),
        (
            "labels",
            Value::map([("k", label("v", Value::Null, "sum-v".into()))]),
        ),
        ("settings", settings("fast".into(), "hinted".into())),
    ])
}

async fn fake() -> (InProcess, Arc<crate::support::fake_provider::FakeState>) {
    let provider = FakeProvider::new();
    let state = provider.state.clone();
    (
        InProcess::serve(FAKE_PROVIDER, Arc::new(provider)).await,
        state,
    )
}

/// Plans and applies [`create_config`]; returns the new state.
async fn create_thing(server: &mut InProcess) -> Value {
    let ty = fake_type();
    let config = create_config();
    let plan = call(
        "PlanResourceChange",
        server
            .client
            .plan_resource_change(pb::plan_resource_change::Request {
                type_name: FAKE_TYPE.into(),
                prior_state: dynamic(&Value::Null, &ty),
                proposed_new_state: dynamic(&config, &ty),
                config: dynamic(&config, &ty),
                ..Default::default()
            }),
    )
    .await;
    assert!(plan.diagnostics.is_empty(), "{:#?}", plan.diagnostics);
    let applied = call(
        "ApplyResourceChange",
        server
            .client
            .apply_resource_change(pb::apply_resource_change::Request {
                type_name: FAKE_TYPE.into(),
                prior_state: dynamic(&Value::Null, &ty),
                planned_state: plan.planned_state.clone(),
                config: dynamic(&config, &ty),
                planned_private: plan.planned_private.clone(),
                planned_identity: plan.planned_identity.clone(),
                ..Default::default()
            }),
    )
    .await;
    assert!(applied.diagnostics.is_empty(), "{:#?}", applied.diagnostics);
    decoded(applied.new_state.as_ref(), &ty)
}

/// Runs a Terraform command on another thread, failing the test if it takes longer
/// than [`TERRAFORM_TIMEOUT`] (the harness kills its process group on drop).
fn terraform(workdir: &Arc<Workdir>, args: &[&str]) -> Outcome {
    let (sender, receiver) = std::sync::mpsc::channel();
    let workdir = workdir.clone();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let label = args.join(" ");
    std::thread::spawn(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let _ = sender.send(workdir.run(&args));
    });
    let outcome = receiver
        .recv_timeout(TERRAFORM_TIMEOUT)
        .unwrap_or_else(|_| {
            panic!("terraform {label} did not finish within {TERRAFORM_TIMEOUT:?}")
        });
    eprintln!(
        "terraform {label}: exit {} after {:?}",
        outcome.code, outcome.elapsed
    );
    assert!(
        outcome.leftover_processes.is_empty(),
        "the provider outlived terraform {label}: {:?}",
        outcome.leftover_processes
    );
    outcome
}

// ---- coverage ----------------------------------------------------------------------

/// Every RPC of `service Provider`, each exercised by a test below.
const EXERCISED_RPCS: &[&str] = &[
    "GetMetadata",
    "GetProviderSchema",
    "ValidateProviderConfig",
    "ValidateResourceConfig",
    "ValidateDataResourceConfig",
    "UpgradeResourceState",
    "GetResourceIdentitySchemas",
    "UpgradeResourceIdentity",
    "ConfigureProvider",
    "ReadResource",
    "PlanResourceChange",
    "ApplyResourceChange",
    "ImportResourceState",
    "MoveResourceState",
    "ReadDataSource",
    "GenerateResourceConfig",
    "ValidateEphemeralResourceConfig",
    "OpenEphemeralResource",
    "RenewEphemeralResource",
    "CloseEphemeralResource",
    "ListResource",
    "ValidateListResourceConfig",
    "GetFunctions",
    "CallFunction",
    "ValidateStateStoreConfig",
    "ConfigureStateStore",
    "ReadStateBytes",
    "WriteStateBytes",
    "LockState",
    "UnlockState",
    "GetStates",
    "DeleteState",
    "PlanAction",
    "InvokeAction",
    "ValidateActionConfig",
    "StopProvider",
];

#[test]
fn every_rpc_the_proto_declares_is_exercised() {
    let proto = std::fs::read_to_string(repo_root().join("proto/tfplugin6.proto"))
        .expect("reading proto/tfplugin6.proto");
    let service = proto
        .split("service Provider {")
        .nth(1)
        .and_then(|rest| rest.split("\n}").next())
        .expect("service Provider in the proto");
    let declared: BTreeSet<&str> = service
        .lines()
        .filter_map(|line| line.trim().strip_prefix("rpc "))
        .filter_map(|rest| rest.split('(').next())
        .map(str::trim)
        .collect();
    let exercised: BTreeSet<&str> = EXERCISED_RPCS.iter().copied().collect();
    assert_eq!(declared.len(), 36, "{declared:?}");
    assert_eq!(declared, exercised);
}

// ---- discovery and schema ----------------------------------------------------------

#[tokio::test]
async fn get_metadata_lists_the_resource_and_capabilities() {
    let (mut server, _) = fake().await;
    let metadata = call(
        "GetMetadata",
        server.client.get_metadata(pb::get_metadata::Request {}),
    )
    .await;
    assert!(metadata.diagnostics.is_empty());
    let names: Vec<&str> = metadata
        .resources
        .iter()
        .map(|r| r.type_name.as_str())
        .collect();
    assert_eq!(names, [FAKE_TYPE]);
    assert!(metadata.data_sources.is_empty() && metadata.functions.is_empty());
    assert!(metadata.ephemeral_resources.is_empty() && metadata.list_resources.is_empty());
    assert!(metadata.state_stores.is_empty() && metadata.actions.is_empty());
    let capabilities = metadata.server_capabilities.expect("capabilities");
    assert!(capabilities.get_provider_schema_optional);
    assert!(!capabilities.plan_destroy);
    assert!(!capabilities.move_resource_state && !capabilities.generate_resource_config);
}

#[tokio::test]
async fn get_provider_schema_carries_every_schema_feature() {
    use pb::schema::nested_block::NestingMode as BlockNesting;
    use pb::schema::object::NestingMode as ObjectNesting;
    let (mut server, _) = fake().await;
    let schema = call(
        "GetProviderSchema",
        server
            .client
            .get_provider_schema(pb::get_provider_schema::Request {}),
    )
    .await;
    assert!(schema.diagnostics.is_empty());
    let provider = schema
        .provider
        .expect("provider schema")
        .block
        .expect("block");
    let token = provider
        .attributes
        .iter()
        .find(|a| a.name == "token")
        .expect("token");
    assert!(token.sensitive && token.optional && !token.required);

    assert_eq!(schema.resource_schemas.len(), 1);
    let resource = &schema.resource_schemas[FAKE_TYPE];
    assert_eq!(resource.version, FAKE_SCHEMA_VERSION);
    let block = resource.block.as_ref().expect("block");
    assert_eq!(block.description, "A fake thing kept in memory.");
    assert_eq!(block.description_kind, pb::StringKind::Markdown as i32);
    let attribute = |name: &str| {
        block
            .attributes
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("attribute {name}"))
    };
    let flags = |a: &pb::schema::Attribute| (a.required, a.optional, a.computed, a.sensitive);
    assert_eq!(flags(attribute("name")), (true, false, false, false));
    assert_eq!(attribute("name").r#type, b"\"string\"");
    assert_eq!(
        attribute("name").description,
        "The name. Changing it replaces the thing."
    );
    assert_eq!(
        attribute("name").description_kind,
        pb::StringKind::Markdown as i32
    );
    // A default makes an optional attribute optional+computed.
    assert_eq!(flags(attribute("size")), (false, true, true, false));
    assert_eq!(attribute("size").r#type, b"\"number\"");
    assert_eq!(flags(attribute("id")), (false, false, true, false));
    assert_eq!(flags(attribute("secret")), (false, true, false, true));
    assert_eq!(flags(attribute("tier")), (false, true, true, false));
    for (name, nesting) in [
        ("endpoint", ObjectNesting::Single),
        ("rules", ObjectNesting::List),
        ("members", ObjectNesting::Set),
        ("labels", ObjectNesting::Map),
    ] {
        let nested = attribute(name)
            .nested_type
            .as_ref()
            .unwrap_or_else(|| panic!("{name} is a nested attribute"));
        assert_eq!(nested.nesting, nesting as i32, "{name}");
        assert!(attribute(name).r#type.is_empty(), "{name} has no type JSON");
    }
    let labels = attribute("labels").nested_type.as_ref().expect("labels");
    let checksum = labels
        .attributes
        .iter()
        .find(|a| a.name == "checksum")
        .expect("labels.checksum");
    assert_eq!(flags(checksum), (false, false, true, false));
    assert_eq!(block.block_types.len(), 1);
    let settings = &block.block_types[0];
    assert_eq!(settings.type_name, "settings");
    assert_eq!(settings.nesting, BlockNesting::Single as i32);
    let settings_block = settings.block.as_ref().expect("settings block");
    assert_eq!(settings_block.attributes.len(), 2);

    let capabilities = schema.server_capabilities.expect("capabilities");
    assert!(capabilities.get_provider_schema_optional);
}

#[tokio::test]
async fn get_resource_identity_schemas_describes_the_identity() {
    let (mut server, _) = fake().await;
    let answer = call(
        "GetResourceIdentitySchemas",
        server
            .client
            .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {}),
    )
    .await;
    assert!(answer.diagnostics.is_empty());
    let identity = &answer.identity_schemas[FAKE_TYPE];
    assert_eq!(identity.version, FAKE_IDENTITY_VERSION);
    assert_eq!(identity.identity_attributes.len(), 1);
    let id = &identity.identity_attributes[0];
    assert_eq!(id.name, "id");
    assert_eq!(id.r#type, b"\"string\"");
    assert!(id.required_for_import && !id.optional_for_import);
}

/// The attributes of `servicemesh_internal` as src/resources/internal/schema.rs
/// documents them: (name, required, optional, computed, type JSON or nesting).
const INTERNAL_ATTRIBUTES: &[(&str, bool, bool, bool, &str)] = &[
    (
        "access_log_configuration",
        false,
        true,
        false,
        "nested single",
    ),
    ("client_services", false, true, false, r#"["set","string"]"#),
    ("cluster", true, false, false, r#""string""#),
    ("description", false, true, false, r#""string""#),
    ("endpoints", false, false, true, r#"["map","string"]"#),
    ("external_services", false, true, false, "nested map"),
    ("force_destroy", false, true, false, r#""bool""#),
    ("hosted_zone_id", false, false, true, r#""string""#),
    ("id", false, false, true, r#""string""#),
    ("idle_timeout_seconds", false, true, false, r#""number""#),
    ("log_configuration", false, true, false, "nested single"),
    ("namespace", false, true, true, r#""string""#),
    ("namespace_arn", false, false, true, r#""string""#),
    ("namespace_id", false, true, true, r#""string""#),
    ("namespace_owned", false, false, true, r#""bool""#),
    (
        "pending_cleanup",
        false,
        false,
        true,
        r#"["list","string"]"#,
    ),
    (
        "per_request_timeout_seconds",
        false,
        true,
        false,
        r#""number""#,
    ),
    ("redeploy_clients", false, true, false, r#""bool""#),
    ("services", false, true, false, "nested map"),
    ("tags", false, true, false, r#"["map","string"]"#),
    ("tags_all", false, false, true, r#"["map","string"]"#),
    ("timeouts", false, true, false, "nested single"),
    ("tls", false, true, false, "nested single"),
    ("vpc_id", false, true, true, r#""string""#),
    ("wait_for_steady_state", false, true, false, r#""bool""#),
];

const INTERNAL_SERVICE_ATTRIBUTES: &[(&str, bool, bool, bool, &str)] = &[
    (
        "access_log_configuration",
        false,
        true,
        false,
        "nested single",
    ),
    ("discovery_name", false, true, true, r#""string""#),
    ("dns_name", false, true, true, r#""string""#),
    ("endpoints", false, true, false, "nested map"),
    ("idle_timeout_seconds", false, true, false, r#""number""#),
    ("ingress_port_override", false, true, false, r#""number""#),
    ("log_configuration", false, true, false, "nested single"),
    (
        "per_request_timeout_seconds",
        false,
        true,
        false,
        r#""number""#,
    ),
    ("port", false, true, true, r#""number""#),
    ("port_name", false, true, false, r#""string""#),
    ("tls", false, true, false, "nested single"),
];

const INTERNAL_TIMEOUT_ATTRIBUTES: &[(&str, bool, bool, bool, &str)] = &[
    ("create", false, true, false, r#""string""#),
    ("delete", false, true, false, r#""string""#),
    ("update", false, true, false, r#""string""#),
];

fn attribute_table(
    attributes: &[pb::schema::Attribute],
) -> Vec<(String, bool, bool, bool, String)> {
    use pb::schema::object::NestingMode;
    let mut table: Vec<_> = attributes
        .iter()
        .map(|a| {
            let ty = match &a.nested_type {
                Some(nested) => format!(
                    "nested {}",
                    NestingMode::try_from(nested.nesting)
                        .map(|n| n.as_str_name().to_ascii_lowercase())
                        .unwrap_or_default()
                ),
                None => String::from_utf8_lossy(&a.r#type).into_owned(),
            };
            (a.name.clone(), a.required, a.optional, a.computed, ty)
        })
        .collect();
    table.sort();
    table
}

fn expected_table(
    rows: &[(&str, bool, bool, bool, &str)],
) -> Vec<(String, bool, bool, bool, String)> {
    rows.iter()
        .map(|(n, r, o, c, t)| (n.to_string(), *r, *o, *c, t.to_string()))
        .collect()
}

#[tokio::test]
async fn the_real_provider_serves_servicemesh_internal() {
    let mut server = InProcess::serve(PROVIDER_ADDRESS, Arc::new(ServicemeshProvider::new())).await;
    let schema = call(
        "GetProviderSchema",
        server
            .client
            .get_provider_schema(pb::get_provider_schema::Request {}),
    )
    .await;
    assert!(schema.diagnostics.is_empty(), "{:#?}", schema.diagnostics);
    let names: Vec<&String> = schema.resource_schemas.keys().collect();
    assert_eq!(names, ["servicemesh_internal"]);
    let block = schema.resource_schemas["servicemesh_internal"]
        .block
        .as_ref()
        .expect("block");
    assert_eq!(
        attribute_table(&block.attributes),
        expected_table(INTERNAL_ATTRIBUTES)
    );
    assert!(block.block_types.is_empty());
    let nested = |name: &str| {
        block
            .attributes
            .iter()
            .find(|a| a.name == name)
            .and_then(|a| a.nested_type.as_ref())
            .map(|n| n.attributes.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        attribute_table(&nested("services")),
        expected_table(INTERNAL_SERVICE_ATTRIBUTES)
    );
    assert_eq!(
        attribute_table(&nested("timeouts")),
        expected_table(INTERNAL_TIMEOUT_ATTRIBUTES)
    );
    for attribute in &block.attributes {
        assert!(
            !attribute.description.is_empty(),
            "{} needs a description",
            attribute.name
        );
        assert!(!attribute.sensitive, "{} is not sensitive", attribute.name);
    }
}

// ---- validation and configuration --------------------------------------------------

#[tokio::test]
async fn validate_provider_config_points_at_the_attribute() {
    let (mut server, _) = fake().await;
    let ty = Type::object([("region", Type::String), ("token", Type::String)]);
    let config =
        |region: &str| Value::object([("region", Value::from(region)), ("token", Value::Null)]);
    let bad = call(
        "ValidateProviderConfig",
        server
            .client
            .validate_provider_config(pb::validate_provider_config::Request {
                config: dynamic(&config(""), &ty),
            }),
    )
    .await;
    assert_eq!(
        described(&bad.diagnostics),
        [(ERROR, "Empty region".to_string(), "region".to_string())]
    );
    let good = call(
        "ValidateProviderConfig",
        server
            .client
            .validate_provider_config(pb::validate_provider_config::Request {
                config: dynamic(&config("eu-west-1"), &ty),
            }),
    )
    .await;
    assert!(good.diagnostics.is_empty(), "{:#?}", good.diagnostics);
}

#[tokio::test]
async fn validate_resource_config_reports_attribute_paths() {
    let (mut server, _) = fake().await;
    let ty = fake_type();
    let config = thing(&[
        ("name", "two words".into()),
        ("endpoint", endpoint("h", 70000.into(), Value::Null)),
        ("rules", Value::List(vec![rule("allow"), rule("maybe")])),
    ]);
    let answer = call(
        "ValidateResourceConfig",
        server
            .client
            .validate_resource_config(pb::validate_resource_config::Request {
                type_name: FAKE_TYPE.into(),
                config: dynamic(&config, &ty),
                client_capabilities: None,
            }),
    )
    .await;
    assert_eq!(
        described(&answer.diagnostics),
        [
            (ERROR, "Invalid name".to_string(), "name".to_string()),
            (
                ERROR,
                "Port out of range".to_string(),
                "endpoint.port".to_string()
            ),
            (
                WARNING,
                "Unusual action".to_string(),
                "rules[1].action".to_string()
            ),
        ]
    );
    // Unknown values (from other resources) pass validation.
    let config = thing(&[("name", unknown())]);
    let answer = call(
        "ValidateResourceConfig",
        server
            .client
            .validate_resource_config(pb::validate_resource_config::Request {
                type_name: FAKE_TYPE.into(),
                config: dynamic(&config, &ty),
                client_capabilities: None,
            }),
    )
    .await;
    assert!(answer.diagnostics.is_empty(), "{:#?}", answer.diagnostics);
    // An undeclared type is named.
    let answer = call(
        "ValidateResourceConfig",
        server
            .client
            .validate_resource_config(pb::validate_resource_config::Request {
                type_name: "fake_other".into(),
                config: dynamic(&config, &ty),
                client_capabilities: None,
            }),
    )
    .await;
    assert_one_error_naming(&answer.diagnostics, "fake_other");
}

/// ConfigureProvider of the fake's configuration, as Terraform `terraform_version` sends
/// it; its answer and what the fake received.
async fn configure_as(
    terraform_version: &str,
    client_capabilities: Option<pb::ClientCapabilities>,
) -> (pb::configure_provider::Response, Option<Value>, Value) {
    let (mut server, state) = fake().await;
    let ty = Type::object([("region", Type::String), ("token", Type::String)]);
    let config = Value::object([
        ("region", Value::from("eu-west-1")),
        ("token", Value::from("s3cret")),
    ]);
    let answer = call(
        "ConfigureProvider",
        server
            .client
            .configure_provider(pb::configure_provider::Request {
                terraform_version: terraform_version.into(),
                config: dynamic(&config, &ty),
                client_capabilities,
            }),
    )
    .await;
    let received = state.configured.lock().expect("lock").clone();
    (answer, received, config)
}

#[tokio::test]
async fn configure_provider_hands_the_configuration_over() {
    let capabilities = pb::ClientCapabilities {
        deferral_allowed: true,
        write_only_attributes_allowed: false,
    };
    let (answer, received, config) = configure_as("1.15.0", Some(capabilities)).await;
    assert!(answer.diagnostics.is_empty(), "{:#?}", answer.diagnostics);
    assert_eq!(received, Some(config));
}

#[tokio::test]
async fn configure_provider_warns_a_terraform_below_the_floor() {
    // Terraform 1.0 to 1.5 speak protocol 6, so they get past the handshake.
    let (answer, received, config) = configure_as("1.5.7", None).await;
    let [warning] = answer.diagnostics.as_slice() else {
        panic!("one warning: {:#?}", answer.diagnostics);
    };
    assert_eq!(
        warning.severity,
        pb::diagnostic::Severity::Warning as i32,
        "{warning:#?}"
    );
    assert_eq!(
        warning.summary,
        "Terraform 1.5.7 is older than this provider supports"
    );
    assert!(
        warning.detail.contains(&format!(
            "tested with Terraform {LOWEST_SUPPORTED_TERRAFORM} and later"
        )),
        "{warning:#?}"
    );
    // It still configures: the warning stops nothing.
    assert_eq!(received, Some(config));
    // The oldest supported core is not warned.
    let (answer, _, _) = configure_as("1.6.0", None).await;
    assert!(answer.diagnostics.is_empty(), "{:#?}", answer.diagnostics);
}

// ---- plan, apply, read, import -----------------------------------------------------

#[tokio::test]
async fn plan_of_a_create_applies_defaults_and_unknowns_at_every_depth() {
    let (mut server, _) = fake().await;
    let ty = fake_type();
    let config = create_config();
    let plan = call(
        "PlanResourceChange",
        server
            .client
            .plan_resource_change(pb::plan_resource_change::Request {
                type_name: FAKE_TYPE.into(),
                prior_state: dynamic(&Value::Null, &ty),
                proposed_new_state: dynamic(&config, &ty),
                config: dynamic(&config, &ty),
                ..Default::default()
            }),
    )
    .await;
    assert!(plan.diagnostics.is_empty(), "{:#?}", plan.diagnostics);
    assert!(
        plan.requires_replace.is_empty(),
        "nothing is replaced on create"
    );
    assert_eq!(plan.planned_private, b"planned");
    assert!(plan.planned_identity.is_none(), "the id is not known yet");
    let expected = thing(&[
        ("name", "a".into()),
        ("size", 3.into()),
        ("id", unknown()),
        ("revision", unknown()),
        ("tier", unknown()),
        ("endpoint", endpoint("h", 443.into(), unknown())),
        ("rules", Value::List(vec![rule("allow")])),
        ("members", Value::Set(vec![member("u", unknown())])),
        (
            "labels",
            Value::map([("k", label("v", Value::Null, unknown()))]),
        ),
        ("settings", settings("fast".into(), unknown())),
    ]);
    assert_eq!(decoded(plan.planned_state.as_ref(), &ty), expected);
}

#[tokio::test]
async fn plan_of_an_update_keeps_prior_values_and_names_replacements() {
    let (mut server, _) = fake().await;
    let ty = fake_type();
    let prior = create_thing(&mut server).await;
    assert_eq!(prior, created_state());
    let config = thing(&[
        ("name", "b".into()),
        ("secret", "s".into()),
        ("endpoint", endpoint("h", Value::Null, Value::Null)),
        ("rules", Value::List(vec![rule("allow")])),
        (
            "members",
            Value::Set(vec![member("u", Value::Null), member("u2", Value::Null)]),
        ),
        (
            "labels",
            Value::map([
                ("k", label("v", "z".into(), Value::Null)),
                ("k2", label("w", Value::Null, Value::Null)),
            ]),
        ),
        ("settings", settings(Value::Null, Value::Null)),
    ]);
    // As Terraform proposes it: configured values, prior values for computed ones
    // (here with `id` unknown, to show that use_state_for_unknown restores it).
    let proposed = thing(&[
        ("name", "b".into()),
        ("secret", "s".into()),
        ("size", 3.into()),
        ("id", unknown()),
        ("revision", 1.into()),
        ("tier", "standard".into()),
        ("endpoint", endpoint("h", 443.into(), "h:443".into())),
        ("rules", Value::List(vec![rule("allow")])),
        (
            "members",
            Value::Set(vec![
                member("u", "member".into()),
                member("u2", Value::Null),
            ]),
        ),
        (
            "labels",
            Value::map([
                ("k", label("v", "z".into(), "sum-v".into())),
                ("k2", label("w", Value::Null, Value::Null)),
            ]),
        ),
        ("settings", settings("fast".into(), "hinted".into())),
    ]);
    let plan = call(
        "PlanResourceChange",
        server
            .client
            .plan_resource_change(pb::plan_resource_change::Request {
                type_name: FAKE_TYPE.into(),
                prior_state: dynamic(&prior, &ty),
                proposed_new_state: dynamic(&proposed, &ty),
                config: dynamic(&config, &ty),
                prior_private: b"planned".to_vec(),
                prior_identity: identity_data("thing-1"),
                ..Default::default()
            }),
    )
    .await;
    assert!(plan.diagnostics.is_empty(), "{:#?}", plan.diagnostics);
    let expected = thing(&[
        ("name", "b".into()),
        ("secret", "s".into()),
        ("size", 3.into()),
        // use_state_for_unknown: the prior value, not "known after apply".
        ("id", "thing-1".into()),
        // The resource's own plan: changed by every apply.
        ("revision", unknown()),
        ("tier", "standard".into()),
        ("endpoint", endpoint("h", 443.into(), "h:443".into())),
        ("rules", Value::List(vec![rule("allow")])),
        // A new set element is created: its computed role is unknown.
        (
            "members",
            Value::Set(vec![member("u", "member".into()), member("u2", unknown())]),
        ),
        // So is a new map entry's computed checksum; the existing entry keeps its own.
        (
            "labels",
            Value::map([
                ("k", label("v", "z".into(), "sum-v".into())),
                ("k2", label("w", Value::Null, unknown())),
            ]),
        ),
        ("settings", settings("fast".into(), "hinted".into())),
    ]);
    assert_eq!(decoded(plan.planned_state.as_ref(), &ty), expected);
    let replaced: Vec<String> = plan
        .requires_replace
        .iter()
        .map(|p| path_text(Some(p)))
        .collect();
    assert_eq!(replaced, ["name", "labels[\"k\"].zone", "secret"]);
    assert_eq!(
        decoded_identity(plan.planned_identity.as_ref()),
        Value::object([("id", Value::from("thing-1"))])
    );
}

#[tokio::test]
async fn plan_of_a_destroy_returns_null() {
    let (mut server, _) = fake().await;
    let ty = fake_type();
    let prior = create_thing(&mut server).await;
    let plan = call(
        "PlanResourceChange",
        server
            .client
            .plan_resource_change(pb::plan_resource_change::Request {
                type_name: FAKE_TYPE.into(),
                prior_state: dynamic(&prior, &ty),
                proposed_new_state: dynamic(&Value::Null, &ty),
                config: dynamic(&Value::Null, &ty),
                prior_private: b"kept".to_vec(),
                ..Default::default()
            }),
    )
    .await;
    assert!(plan.diagnostics.is_empty(), "{:#?}", plan.diagnostics);
    assert_eq!(decoded(plan.planned_state.as_ref(), &ty), Value::Null);
    assert_eq!(plan.planned_private, b"kept");
}

#[tokio::test]
async fn apply_resolves_every_unknown_and_returns_the_identity() {
    let (mut server, state) = fake().await;
    let ty = fake_type();
    let config = create_config();
    let plan = call(
        "PlanResourceChange",
        server
            .client
            .plan_resource_change(pb::plan_resource_change::Request {
                type_name: FAKE_TYPE.into(),
                prior_state: dynamic(&Value::Null, &ty),
                proposed_new_state: dynamic(&config, &ty),
                config: dynamic(&config, &ty),
                ..Default::default()
            }),
    )
    .await;
    let applied = call(
        "ApplyResourceChange",
        server
            .client
            .apply_resource_change(pb::apply_resource_change::Request {
                type_name: FAKE_TYPE.into(),
                prior_state: dynamic(&Value::Null, &ty),
                planned_state: plan.planned_state,
                config: dynamic(&config, &ty),
                planned_private: plan.planned_private,
                ..Default::default()
            }),
    )
    .await;
    assert!(applied.diagnostics.is_empty(), "{:#?}", applied.diagnostics);
    let new_state = decoded(applied.new_state.as_ref(), &ty);
    assert!(new_state.is_fully_known(), "{new_state:#?}");
    assert_eq!(new_state, created_state());
    assert_eq!(applied.private, b"planned");
    assert_eq!(
        decoded_identity(applied.new_identity.as_ref()),
        Value::object([("id", Value::from("thing-1"))])
    );
    assert!(state.objects.lock().expect("lock").contains_key("thing-1"));

    // Destroy: null state, no identity, and the object is gone.
    let destroyed = call(
        "ApplyResourceChange",
        server
            .client
            .apply_resource_change(pb::apply_resource_change::Request {
                type_name: FAKE_TYPE.into(),
                prior_state: dynamic(&new_state, &ty),
                planned_state: dynamic(&Value::Null, &ty),
                config: dynamic(&Value::Null, &ty),
                ..Default::default()
            }),
    )
    .await;
    assert!(
        destroyed.diagnostics.is_empty(),
        "{:#?}",
        destroyed.diagnostics
    );
    assert_eq!(decoded(destroyed.new_state.as_ref(), &ty), Value::Null);
    assert!(destroyed.new_identity.is_none());
    assert!(state.objects.lock().expect("lock").is_empty());

    // An undeclared type: an error naming it, and the prior state handed back.
    let refused = call(
        "ApplyResourceChange",
        server
            .client
            .apply_resource_change(pb::apply_resource_change::Request {
                type_name: "fake_other".into(),
                prior_state: dynamic(&new_state, &ty),
                planned_state: dynamic(&new_state, &ty),
                config: dynamic(&config, &ty),
                ..Default::default()
            }),
    )
    .await;
    assert_one_error_naming(&refused.diagnostics, "fake_other");
    assert_eq!(decoded(refused.new_state.as_ref(), &ty), new_state);
}

#[tokio::test]
async fn read_returns_the_object_or_null_once_it_is_gone() {
    let (mut server, state) = fake().await;
    let ty = fake_type();
    let current = create_thing(&mut server).await;
    let read = || pb::read_resource::Request {
        type_name: FAKE_TYPE.into(),
        current_state: dynamic(&current, &ty),
        private: b"private".to_vec(),
        current_identity: identity_data("thing-1"),
        ..Default::default()
    };
    let found = call("ReadResource", server.client.read_resource(read())).await;
    assert!(found.diagnostics.is_empty(), "{:#?}", found.diagnostics);
    assert_eq!(decoded(found.new_state.as_ref(), &ty), current);
    assert_eq!(found.private, b"private");
    assert_eq!(
        decoded_identity(found.new_identity.as_ref()),
        Value::object([("id", Value::from("thing-1"))])
    );
    assert!(found.deferred.is_none());

    state.objects.lock().expect("lock").clear();
    let gone = call("ReadResource", server.client.read_resource(read())).await;
    assert!(gone.diagnostics.is_empty(), "{:#?}", gone.diagnostics);
    assert_eq!(decoded(gone.new_state.as_ref(), &ty), Value::Null);
    assert!(gone.new_identity.is_none());
}

#[tokio::test]
async fn import_by_id_and_by_identity() {
    let (mut server, _) = fake().await;
    let ty = fake_type();
    let created = create_thing(&mut server).await;
    for (id, identity) in [("thing-1", None), ("", identity_data("thing-1"))] {
        let imported = call(
            "ImportResourceState",
            server
                .client
                .import_resource_state(pb::import_resource_state::Request {
                    type_name: FAKE_TYPE.into(),
                    id: id.into(),
                    identity,
                    client_capabilities: None,
                }),
        )
        .await;
        assert!(
            imported.diagnostics.is_empty(),
            "{:#?}",
            imported.diagnostics
        );
        assert_eq!(imported.imported_resources.len(), 1);
        let resource = &imported.imported_resources[0];
        assert_eq!(resource.type_name, FAKE_TYPE);
        assert_eq!(decoded(resource.state.as_ref(), &ty), created);
        assert_eq!(resource.private, b"imported");
        assert_eq!(
            decoded_identity(resource.identity.as_ref()),
            Value::object([("id", Value::from("thing-1"))])
        );
    }
    let missing = call(
        "ImportResourceState",
        server
            .client
            .import_resource_state(pb::import_resource_state::Request {
                type_name: FAKE_TYPE.into(),
                id: "thing-404".into(),
                ..Default::default()
            }),
    )
    .await;
    assert!(missing.imported_resources.is_empty());
    assert_one_error_naming(&missing.diagnostics, "thing-404");
}

// ---- state and identity upgrades ---------------------------------------------------

fn upgrade_request(version: i64, json: &str) -> pb::upgrade_resource_state::Request {
    pb::upgrade_resource_state::Request {
        type_name: FAKE_TYPE.into(),
        version,
        raw_state: Some(pb::RawState {
            json: json.as_bytes().to_vec(),
            flatmap: Default::default(),
        }),
    }
}

#[tokio::test]
async fn upgrade_resource_state_from_v1_renames_and_adds_and_keeps_every_digit() {
    let (mut server, _) = fake().await;
    let ty = fake_type();
    let v1 = format!(
        r#"{{"name":"a","display_name":"Hello","big":{BIG},"size":3,"id":"thing-7",
            "revision":2,"secret":null,"dropped_in_v2":"x",
            "labels":{{"k":{{"value":"v","zone":null,"checksum":"sum-v"}}}},
            "members":[{{"user":"u","role":"member"}}],
            "rules":[{{"action":"allow","priority":1.5}}],
            "endpoint":{{"host":"h","port":443,"address":"h:443"}},
            "settings":{{"mode":"fast","hint":"hinted"}}}}"#
    );
    let answer = call(
        "UpgradeResourceState",
        server
            .client
            .upgrade_resource_state(upgrade_request(1, &v1)),
    )
    .await;
    assert!(answer.diagnostics.is_empty(), "{:#?}", answer.diagnostics);
    let upgraded = decoded(answer.upgraded_state.as_ref(), &ty);
    let expected = thing(&[
        ("name", "a".into()),
        ("title", "Hello".into()),
        ("tier", "legacy".into()),
        ("big", Number::from_str(BIG).expect("big number").into()),
        ("size", 3.into()),
        ("id", "thing-7".into()),
        ("revision", 2.into()),
        ("endpoint", endpoint("h", 443.into(), "h:443".into())),
        (
            "rules",
            Value::List(vec![Value::object([
                ("action", Value::from("allow")),
                ("priority", Number::from_str("1.5").expect("1.5").into()),
            ])]),
        ),
        ("members", Value::Set(vec![member("u", "member".into())])),
        (
            "labels",
            Value::map([("k", label("v", Value::Null, "sum-v".into()))]),
        ),
        ("settings", settings("fast".into(), "hinted".into())),
    ]);
    assert_eq!(upgraded, expected);
    assert_eq!(
        upgraded
            .get_attr("big")
            .and_then(Value::as_number)
            .map(ToString::to_string)
            .as_deref(),
        Some(BIG)
    );
}

#[tokio::test]
async fn upgrade_resource_state_at_the_current_version_changes_nothing() {
    let (mut server, _) = fake().await;
    let ty = fake_type();
    let mut state = created_state();
    if let Value::Object(attributes) = &mut state {
        attributes.insert("big".into(), Number::from_str(BIG).expect("big").into());
    }
    let json = value::encode_json(&state, &ty).expect("state as JSON");
    let json = String::from_utf8(json).expect("UTF-8");
    assert!(json.contains(BIG), "{json}");
    let answer = call(
        "UpgradeResourceState",
        server
            .client
            .upgrade_resource_state(upgrade_request(FAKE_SCHEMA_VERSION, &json)),
    )
    .await;
    assert!(answer.diagnostics.is_empty(), "{:#?}", answer.diagnostics);
    let upgraded = answer.upgraded_state.expect("never an empty answer");
    assert!(!upgraded.msgpack.is_empty());
    assert_eq!(
        value::decode_msgpack(&upgraded.msgpack, &ty).expect("decode"),
        state
    );
    // Byte for byte what a re-encoding of the stored state gives.
    assert_eq!(
        upgraded.msgpack,
        value::encode_msgpack(&state, &ty).expect("encode")
    );
}

#[tokio::test]
async fn upgrade_resource_state_refuses_what_it_cannot_read() {
    let (mut server, _) = fake().await;
    let json = r#"{"name":"a"}"#;
    // Written by a newer provider.
    let newer = call(
        "UpgradeResourceState",
        server
            .client
            .upgrade_resource_state(upgrade_request(FAKE_SCHEMA_VERSION + 1, json)),
    )
    .await;
    assert!(newer.upgraded_state.is_none());
    assert_one_error_naming(&newer.diagnostics, "newer provider");
    assert!(newer.diagnostics[0].detail.contains("schema version 3"));
    // Older than the resource can upgrade: its own diagnostic.
    let ancient = call(
        "UpgradeResourceState",
        server
            .client
            .upgrade_resource_state(upgrade_request(0, json)),
    )
    .await;
    assert!(ancient.upgraded_state.is_none());
    assert_one_error_naming(&ancient.diagnostics, "State too old");
    // Terraform 0.11's flatmap.
    let flatmap = call(
        "UpgradeResourceState",
        server
            .client
            .upgrade_resource_state(pb::upgrade_resource_state::Request {
                type_name: FAKE_TYPE.into(),
                version: 1,
                raw_state: Some(pb::RawState {
                    json: Vec::new(),
                    flatmap: [("name".to_string(), "a".to_string())].into(),
                }),
            }),
    )
    .await;
    assert!(flatmap.upgraded_state.is_none());
    assert_one_error_naming(&flatmap.diagnostics, "flatmap");
    // Nothing at all.
    let nothing = call(
        "UpgradeResourceState",
        server
            .client
            .upgrade_resource_state(pb::upgrade_resource_state::Request {
                type_name: FAKE_TYPE.into(),
                version: FAKE_SCHEMA_VERSION,
                raw_state: None,
            }),
    )
    .await;
    assert!(nothing.upgraded_state.is_none());
    assert_one_error_naming(&nothing.diagnostics, "No stored state");
    // JSON that is not the schema's.
    let mismatched = call(
        "UpgradeResourceState",
        server
            .client
            .upgrade_resource_state(upgrade_request(FAKE_SCHEMA_VERSION, r#"{"name":[1]}"#)),
    )
    .await;
    assert!(mismatched.upgraded_state.is_none());
    assert_one_error_naming(&mismatched.diagnostics, "does not match the schema");
}

#[tokio::test]
async fn upgrade_resource_identity_reads_older_versions_and_refuses_newer() {
    let (mut server, _) = fake().await;
    let request = |version: i64| pb::upgrade_resource_identity::Request {
        type_name: FAKE_TYPE.into(),
        version,
        raw_identity: Some(pb::RawState {
            json: br#"{"id":"thing-3","region":"gone-in-v1"}"#.to_vec(),
            flatmap: Default::default(),
        }),
    };
    let answer = call(
        "UpgradeResourceIdentity",
        server.client.upgrade_resource_identity(request(0)),
    )
    .await;
    assert!(answer.diagnostics.is_empty(), "{:#?}", answer.diagnostics);
    assert_eq!(
        decoded_identity(answer.upgraded_identity.as_ref()),
        Value::object([("id", Value::from("thing-3"))])
    );
    let newer = call(
        "UpgradeResourceIdentity",
        server
            .client
            .upgrade_resource_identity(request(FAKE_IDENTITY_VERSION + 1)),
    )
    .await;
    assert!(newer.upgraded_identity.is_none());
    assert_one_error_naming(&newer.diagnostics, "newer provider");
}

// ---- stop ----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_provider_cancels_an_apply_in_flight() {
    let (server, state) = fake().await;
    let ty = fake_type();
    let planned = thing(&[
        ("name", SLOW_NAME.into()),
        ("size", 3.into()),
        ("id", unknown()),
        ("revision", unknown()),
        ("tier", unknown()),
    ]);
    let mut apply_client = server.client.clone();
    let apply = tokio::spawn(async move {
        let started = Instant::now();
        let answer = apply_client
            .apply_resource_change(pb::apply_resource_change::Request {
                type_name: FAKE_TYPE.into(),
                prior_state: dynamic(&Value::Null, &ty),
                planned_state: dynamic(&planned, &ty),
                config: dynamic(&planned, &ty),
                ..Default::default()
            })
            .await;
        (answer, started.elapsed())
    });
    within(
        "the slow apply to start",
        state.slow_apply_started.notified(),
    )
    .await;
    assert!(!state.slow_apply_cancelled.load(Ordering::SeqCst));

    let mut stop_client = server.client.clone();
    let stopped = call(
        "StopProvider",
        stop_client.stop_provider(pb::stop_provider::Request {}),
    )
    .await;
    assert_eq!(stopped.error, "");

    let (answer, elapsed) = within("the cancelled apply", apply)
        .await
        .expect("the apply task");
    let answer = answer.expect("apply answered").into_inner();
    assert!(state.slow_apply_cancelled.load(Ordering::SeqCst));
    assert_one_error_naming(&answer.diagnostics, "Apply cancelled");
    assert_eq!(
        decoded(answer.new_state.as_ref(), &fake_type()),
        Value::Null
    );
    assert!(elapsed < CALL_TIMEOUT, "{elapsed:?}");
    assert!(state.objects.lock().expect("lock").is_empty());
}

// ---- features this provider does not have --------------------------------------------

type Client = pb::provider_client::ProviderClient<tonic::transport::Channel>;

/// Every RPC of a feature this provider does not have, with the name it is asked about.
const REFUSED: &[(&str, &str)] = &[
    ("ValidateDataResourceConfig", "fake_lookup"),
    ("ReadDataSource", "fake_lookup"),
    ("MoveResourceState", "null_resource"),
    ("GenerateResourceConfig", FAKE_TYPE),
    ("ValidateEphemeralResourceConfig", "fake_token"),
    ("OpenEphemeralResource", "fake_token"),
    ("RenewEphemeralResource", "fake_token"),
    ("CloseEphemeralResource", "fake_token"),
    ("ValidateListResourceConfig", FAKE_TYPE),
    ("ListResource", FAKE_TYPE),
    ("ValidateStateStoreConfig", "fake_store"),
    ("ConfigureStateStore", "fake_store"),
    ("ReadStateBytes", "fake_store"),
    ("WriteStateBytes", "fake_store"),
    ("LockState", "fake_store"),
    ("UnlockState", "fake_store"),
    ("GetStates", "fake_store"),
    ("DeleteState", "fake_store"),
    ("ValidateActionConfig", "fake_restart"),
    ("PlanAction", "fake_restart"),
    ("InvokeAction", "fake_restart"),
];

/// Asks `rpc` about `name`; returns the diagnostics of its answer (a stream's one
/// message) and whether the answer carries nothing besides them.
async fn ask_refused(client: &mut Client, rpc: &str, name: &str) -> (Vec<pb::Diagnostic>, bool) {
    use futures::StreamExt;
    let type_name = name.to_string();
    match rpc {
        "ValidateDataResourceConfig" => {
            let request = pb::validate_data_resource_config::Request {
                type_name,
                config: None,
            };
            let answer = call(rpc, client.validate_data_resource_config(request)).await;
            (answer.diagnostics, true)
        }
        "ReadDataSource" => {
            let request = pb::read_data_source::Request {
                type_name,
                ..Default::default()
            };
            let answer = call(rpc, client.read_data_source(request)).await;
            (answer.diagnostics, answer.state.is_none())
        }
        "MoveResourceState" => {
            let request = pb::move_resource_state::Request {
                source_provider_address: "registry.terraform.io/hashicorp/null".into(),
                source_type_name: type_name,
                target_type_name: FAKE_TYPE.into(),
                ..Default::default()
            };
            let answer = call(rpc, client.move_resource_state(request)).await;
            (answer.diagnostics, answer.target_state.is_none())
        }
        "GenerateResourceConfig" => {
            let request = pb::generate_resource_config::Request {
                type_name,
                state: None,
            };
            let answer = call(rpc, client.generate_resource_config(request)).await;
            (answer.diagnostics, answer.config.is_none())
        }
        "ValidateEphemeralResourceConfig" => {
            let request = pb::validate_ephemeral_resource_config::Request {
                type_name,
                config: None,
            };
            let answer = call(rpc, client.validate_ephemeral_resource_config(request)).await;
            (answer.diagnostics, true)
        }
        "OpenEphemeralResource" => {
            let request = pb::open_ephemeral_resource::Request {
                type_name,
                ..Default::default()
            };
            let answer = call(rpc, client.open_ephemeral_resource(request)).await;
            (answer.diagnostics, answer.result.is_none())
        }
        "RenewEphemeralResource" => {
            let request = pb::renew_ephemeral_resource::Request {
                type_name,
                private: None,
            };
            let answer = call(rpc, client.renew_ephemeral_resource(request)).await;
            (
                answer.diagnostics,
                answer.renew_at.is_none() && answer.private.is_none(),
            )
        }
        "CloseEphemeralResource" => {
            let request = pb::close_ephemeral_resource::Request {
                type_name,
                private: None,
            };
            let answer = call(rpc, client.close_ephemeral_resource(request)).await;
            (answer.diagnostics, true)
        }
        "ValidateListResourceConfig" => {
            let request = pb::validate_list_resource_config::Request {
                type_name,
                ..Default::default()
            };
            let answer = call(rpc, client.validate_list_resource_config(request)).await;
            (answer.diagnostics, true)
        }
        "ListResource" => {
            let request = pb::list_resource::Request {
                type_name,
                limit: 10,
                ..Default::default()
            };
            let stream = call(rpc, client.list_resource(request)).await;
            let event = only_message(rpc, stream.collect::<Vec<_>>()).await;
            let nothing_else = event.identity.is_none() && event.resource_object.is_none();
            (event.diagnostic, nothing_else)
        }
        "ValidateStateStoreConfig" => {
            let request = pb::validate_state_store::Request {
                type_name,
                config: None,
            };
            let answer = call(rpc, client.validate_state_store_config(request)).await;
            (answer.diagnostics, true)
        }
        "ConfigureStateStore" => {
            let request = pb::configure_state_store::Request {
                type_name,
                ..Default::default()
            };
            let answer = call(rpc, client.configure_state_store(request)).await;
            (answer.diagnostics, true)
        }
        "ReadStateBytes" => {
            let request = pb::read_state_bytes::Request {
                type_name,
                state_id: "default".into(),
            };
            let stream = call(rpc, client.read_state_bytes(request)).await;
            let chunk = only_message(rpc, stream.collect::<Vec<_>>()).await;
            (chunk.diagnostics, chunk.bytes.is_empty())
        }
        "WriteStateBytes" => {
            // A complete upload of several chunks.
            let chunks = (0..3).map(move |i| pb::write_state_bytes::RequestChunk {
                meta: (i == 0).then(|| pb::RequestChunkMeta {
                    type_name: type_name.clone(),
                    state_id: "default".into(),
                }),
                bytes: vec![b'x'; 8],
                total_length: 24,
                range: Some(pb::StateRange {
                    start: i * 8,
                    end: i * 8 + 8,
                }),
            });
            let answer = call(
                rpc,
                client.write_state_bytes(futures::stream::iter(chunks.collect::<Vec<_>>())),
            )
            .await;
            (answer.diagnostics, true)
        }
        "LockState" => {
            let request = pb::lock_state::Request {
                type_name,
                state_id: "default".into(),
                operation: "apply".into(),
            };
            let answer = call(rpc, client.lock_state(request)).await;
            (answer.diagnostics, answer.lock_id.is_empty())
        }
        "UnlockState" => {
            let request = pb::unlock_state::Request {
                type_name,
                state_id: "default".into(),
                lock_id: "x".into(),
            };
            let answer = call(rpc, client.unlock_state(request)).await;
            (answer.diagnostics, true)
        }
        "GetStates" => {
            let request = pb::get_states::Request { type_name };
            let answer = call(rpc, client.get_states(request)).await;
            (answer.diagnostics, answer.state_id.is_empty())
        }
        "DeleteState" => {
            let request = pb::delete_state::Request {
                type_name,
                state_id: "default".into(),
            };
            let answer = call(rpc, client.delete_state(request)).await;
            (answer.diagnostics, true)
        }
        "ValidateActionConfig" => {
            let request = pb::validate_action_config::Request {
                type_name,
                ..Default::default()
            };
            let answer = call(rpc, client.validate_action_config(request)).await;
            (answer.diagnostics, true)
        }
        "PlanAction" => {
            let request = pb::plan_action::Request {
                action_type: type_name,
                ..Default::default()
            };
            let answer = call(rpc, client.plan_action(request)).await;
            (answer.diagnostics, answer.deferred.is_none())
        }
        "InvokeAction" => {
            use pb::invoke_action::event::Type as EventType;
            let request = pb::invoke_action::Request {
                action_type: type_name,
                ..Default::default()
            };
            let stream = call(rpc, client.invoke_action(request)).await;
            match only_message(rpc, stream.collect::<Vec<_>>()).await.r#type {
                Some(EventType::Completed(completed)) => (completed.diagnostics, true),
                other => panic!("{rpc}: expected a Completed event, got {other:?}"),
            }
        }
        other => panic!("no request written for {other}"),
    }
}

/// The one message of a stream that must end after it.
async fn only_message<T: std::fmt::Debug>(
    rpc: &str,
    messages: impl Future<Output = Vec<Result<T, tonic::Status>>>,
) -> T {
    let mut messages = within(&format!("the {rpc} stream to end"), messages).await;
    assert_eq!(messages.len(), 1, "{rpc}: {messages:#?}");
    messages
        .remove(0)
        .unwrap_or_else(|status| panic!("{rpc}: a status instead of a message: {status:?}"))
}

#[tokio::test]
async fn features_this_provider_does_not_have_are_refused_by_name() {
    let (mut server, _) = fake().await;
    for (rpc, name) in REFUSED {
        let (diagnostics, nothing_else) = ask_refused(&mut server.client, rpc, name).await;
        assert_eq!(diagnostics.len(), 1, "{rpc}: {diagnostics:#?}");
        let refusal = &diagnostics[0];
        assert_eq!(refusal.severity, ERROR, "{rpc}: {refusal:#?}");
        assert!(
            refusal.summary.contains(name) || refusal.detail.contains(name),
            "{rpc}: the refusal should name {name:?}: {refusal:#?}"
        );
        assert!(nothing_else, "{rpc} answered more than its refusal");
    }
    // A refusal names the provider as it is served, not this repository's.
    let (diagnostics, _) = ask_refused(&mut server.client, "ReadDataSource", "fake_lookup").await;
    assert_eq!(
        diagnostics[0].detail,
        format!(
            "{} has no data source named \"fake_lookup\".",
            FAKE_PROVIDER.binary_name()
        )
    );
}

/// An upload whose sender stays open after the first chunk is answered anyway.
#[tokio::test]
async fn a_state_upload_still_being_sent_is_refused_without_waiting() {
    let (mut server, _) = fake().await;
    let store = "fake_store";
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    sender
        .send(pb::write_state_bytes::RequestChunk {
            meta: Some(pb::RequestChunkMeta {
                type_name: store.into(),
                state_id: "default".into(),
            }),
            bytes: b"{}".to_vec(),
            total_length: 4,
            range: Some(pb::StateRange { start: 0, end: 2 }),
        })
        .await
        .expect("queueing a chunk");
    let answer = call(
        "WriteStateBytes",
        server
            .client
            .write_state_bytes(tokio_stream::wrappers::ReceiverStream::new(receiver)),
    )
    .await;
    assert_one_error_naming(&answer.diagnostics, store);
    drop(sender);
}

#[tokio::test]
async fn functions_are_none_and_calls_get_a_function_error() {
    let (mut server, _) = fake().await;
    let client = &mut server.client;
    let functions = call(
        "GetFunctions",
        client.get_functions(pb::get_functions::Request {}),
    )
    .await;
    assert!(functions.functions.is_empty() && functions.diagnostics.is_empty());
    let answer = call(
        "CallFunction",
        client.call_function(pb::call_function::Request {
            name: "parse_thing".into(),
            arguments: vec![],
        }),
    )
    .await;
    assert!(answer.result.is_none());
    let error = answer.error.expect("a FunctionError");
    assert!(error.text.contains("parse_thing"), "{error:?}");
    assert_eq!(error.function_argument, None);
}

// ---- real Terraform: refined unknowns in the plan's configuration ------------------

const GOLDEN_CONFIG: &str = "acceptance-tests/testdata/plan_config_refined.msgpack.hex";
const GOLDEN_TYPE: &str = "acceptance-tests/testdata/plan_config_refined.type.json";

fn internal_type() -> Type {
    ServicemeshProvider::new()
        .resources()
        .into_iter()
        .find(|r| r.type_name() == "servicemesh_internal")
        .expect("servicemesh_internal")
        .schema()
        .value_type()
}

fn unhex(text: &str) -> Vec<u8> {
    let text = text.trim();
    assert!(text.len().is_multiple_of(2), "odd hex length");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex digits"))
        .collect()
}

/// The refinements Terraform sends for the configuration in
/// [`refined_unknowns_from_terraform_decode_and_reencode_byte_for_byte`].
fn assert_refined(config: &Value) {
    let cluster = config.get_attr("cluster").expect("cluster");
    assert!(!cluster.is_known(), "{cluster:?}");
    assert_eq!(
        cluster.refinements(),
        Some(&Refinements {
            not_null: true,
            string_prefix: Some("prod-".into()),
            ..Refinements::default()
        })
    );
    let port = config
        .get_attr("services")
        .and_then(|s| s.get_key("backend"))
        .and_then(|b| b.get_attr("port"))
        .expect("services.backend.port");
    assert_eq!(
        port.refinements(),
        Some(&Refinements {
            not_null: true,
            number_lower: Some(NumberBound {
                value: Number::zero(),
                inclusive: true,
            }),
            ..Refinements::default()
        })
    );
    assert_eq!(
        config.get_attr("namespace").and_then(Value::as_str),
        Some("internal.myapp")
    );
}

fn assert_round_trip(bytes: &[u8], ty: &Type) -> Value {
    let config = value::decode_msgpack(bytes, ty).expect("decoding Terraform's msgpack");
    let again = value::encode_msgpack(&config, ty).expect("re-encoding");
    assert_eq!(again, bytes, "re-encoding must give Terraform's bytes back");
    config
}

#[test]
fn refined_unknowns_from_terraform_decode_and_reencode_byte_for_byte() {
    let mut workdir = Workdir::new(Install::DevOverrides);
    let log = workdir.path().join("terraform.log");
    workdir
        .set_env("TF_LOG_PROVIDER", "TRACE")
        .set_env("TF_LOG_PATH", log.display().to_string())
        .set_env("AWS_ACCESS_KEY_ID", "test")
        .set_env("AWS_SECRET_ACCESS_KEY", "test")
        .set_env("AWS_REGION", "us-east-1")
        .set_env("AWS_EC2_METADATA_DISABLED", "true");
    workdir.write(
        "main.tf",
        &format!(
            r#"{}
provider "servicemesh" {{
  endpoints {{
    ecs              = "http://127.0.0.1:9"
    servicediscovery = "http://127.0.0.1:9"
    route53          = "http://127.0.0.1:9"
    sts              = "http://127.0.0.1:9"
  }}
}}

resource "terraform_data" "x" {{
  input = "a"
}}

resource "servicemesh_internal" "m" {{
  cluster   = "prod-${{terraform_data.x.id}}"
  namespace = "internal.myapp"
  vpc_id    = "vpc-0abc1234"
  services = {{
    backend = {{ port_name = "http", port = length(terraform_data.x.id) }}
  }}
}}
"#,
            required_providers()
        ),
    );
    let workdir = Arc::new(workdir);
    let outcome = terraform(&workdir, &["plan", "-no-color", "-input=false"]).success();
    assert!(
        outcome
            .stdout
            .contains("servicemesh_internal.m will be created"),
        "{outcome}"
    );
    let log = std::fs::read_to_string(&log).expect("reading Terraform's log");
    let captured: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("plan: raw configuration from Terraform"))
        .filter_map(|line| line.split("config_msgpack=").nth(1))
        .filter_map(|rest| rest.split_whitespace().next())
        .collect();
    assert_eq!(
        captured.len(),
        1,
        "one PlanResourceChange of servicemesh_internal:\n{log}"
    );
    let bytes = unhex(captured[0]);
    let ty = internal_type();
    let config = assert_round_trip(&bytes, &ty);
    assert_refined(&config);

    if std::env::var_os("SERVICEMESH_UPDATE_GOLDEN").is_some() {
        std::fs::write(
            repo_root().join(GOLDEN_CONFIG),
            format!("{}\n", captured[0]),
        )
        .expect("writing the golden config");
        std::fs::write(repo_root().join(GOLDEN_TYPE), format!("{}\n", ty.to_json()))
            .expect("writing the golden type");
    }
}

#[test]
fn golden_refined_config_from_terraform_decodes_without_terraform() {
    let hex = std::fs::read_to_string(repo_root().join(GOLDEN_CONFIG)).expect("golden config");
    let ty_json = std::fs::read_to_string(repo_root().join(GOLDEN_TYPE)).expect("golden type");
    let ty = Type::from_json(ty_json.trim().as_bytes()).expect("type JSON");
    let config = assert_round_trip(&unhex(&hex), &ty);
    assert_refined(&config);
}

// ---- real Terraform: `terraform providers schema -json` ----------------------------

fn nesting_name(nesting: Nesting) -> &'static str {
    match nesting {
        Nesting::Single => "single",
        Nesting::List => "list",
        Nesting::Set => "set",
        Nesting::Map => "map",
    }
}

fn flag(json: &serde_json::Value, key: &str) -> bool {
    json.get(key)
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false)
}

fn compare_description(at: &str, ours: &str, json: &serde_json::Value, errors: &mut Vec<String>) {
    let theirs = json
        .get("description")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("");
    if theirs != ours {
        errors.push(format!("{at}: description {theirs:?}, ours {ours:?}"));
    }
    if !ours.is_empty() {
        let kind = json
            .get("description_kind")
            .and_then(serde_json::Value::as_str);
        if kind != Some("markdown") {
            errors.push(format!("{at}: description_kind {kind:?}, ours markdown"));
        }
    }
}

fn compare_keys<'a>(
    at: &str,
    ours: impl Iterator<Item = &'a str>,
    json: Option<&serde_json::Value>,
    errors: &mut Vec<String>,
) {
    let ours: BTreeSet<&str> = ours.collect();
    let theirs: BTreeSet<&str> = json
        .and_then(serde_json::Value::as_object)
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    if ours != theirs {
        errors.push(format!("{at}: Terraform has {theirs:?}, ours {ours:?}"));
    }
}

fn compare_attributes(
    at: &str,
    attributes: &[Attribute],
    json: Option<&serde_json::Value>,
    errors: &mut Vec<String>,
) {
    compare_keys(at, attributes.iter().map(|a| a.name.as_str()), json, errors);
    for attribute in attributes {
        let at = format!("{at}.{}", attribute.name);
        let Some(theirs) = json.and_then(|j| j.get(&attribute.name)) else {
            continue;
        };
        let expected = [
            ("required", attribute.presence == Presence::Required),
            (
                "optional",
                matches!(
                    attribute.presence,
                    Presence::Optional | Presence::OptionalComputed
                ),
            ),
            ("computed", attribute.is_computed()),
            ("sensitive", attribute.sensitive),
            ("deprecated", attribute.deprecated),
        ];
        for (key, ours) in expected {
            if flag(theirs, key) != ours {
                errors.push(format!("{at}: {key} is {}, ours {ours}", flag(theirs, key)));
            }
        }
        compare_description(&at, &attribute.description, theirs, errors);
        match &attribute.kind {
            AttributeKind::Simple(ty) => {
                let ours: serde_json::Value =
                    serde_json::from_str(&ty.to_json()).expect("our type JSON");
                if theirs.get("type") != Some(&ours) {
                    errors.push(format!("{at}: type {:?}, ours {ours}", theirs.get("type")));
                }
                if theirs.get("nested_type").is_some() {
                    errors.push(format!("{at}: Terraform sees nested attributes"));
                }
            }
            AttributeKind::Nested(nesting, nested) => {
                let nested_json = theirs.get("nested_type");
                let mode = nested_json
                    .and_then(|n| n.get("nesting_mode"))
                    .and_then(serde_json::Value::as_str);
                if mode != Some(nesting_name(*nesting)) {
                    errors.push(format!("{at}: nesting_mode {mode:?}, ours {nesting:?}"));
                }
                compare_attributes(
                    &at,
                    nested,
                    nested_json.and_then(|n| n.get("attributes")),
                    errors,
                );
            }
        }
    }
}

fn compare_block(at: &str, block: &Block, json: &serde_json::Value, errors: &mut Vec<String>) {
    compare_description(at, &block.description, json, errors);
    compare_attributes(at, &block.attributes, json.get("attributes"), errors);
    compare_keys(
        at,
        block.blocks.iter().map(|b| b.type_name.as_str()),
        json.get("block_types"),
        errors,
    );
    for nested in &block.blocks {
        let at = format!("{at}.{}", nested.type_name);
        let Some(theirs) = json
            .get("block_types")
            .and_then(|b| b.get(&nested.type_name))
        else {
            continue;
        };
        let mode = theirs
            .get("nesting_mode")
            .and_then(serde_json::Value::as_str);
        if mode != Some(nesting_name(nested.nesting)) {
            errors.push(format!(
                "{at}: nesting_mode {mode:?}, ours {:?}",
                nested.nesting
            ));
        }
        for (key, ours) in [
            ("min_items", nested.min_items),
            ("max_items", nested.max_items),
        ] {
            let theirs = theirs
                .get(key)
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(0);
            if theirs != ours {
                errors.push(format!("{at}: {key} {theirs}, ours {ours}"));
            }
        }
        match theirs.get("block") {
            Some(block_json) => compare_block(&at, &nested.block, block_json, errors),
            None => errors.push(format!("{at}: no block")),
        }
    }
}

#[test]
fn terraform_providers_schema_json_matches_our_schemas() {
    let workdir = Workdir::new(Install::DevOverrides);
    workdir.write("main.tf", &required_providers());
    let workdir = Arc::new(workdir);
    let outcome = terraform(&workdir, &["providers", "schema", "-json"]).success();
    let json: serde_json::Value = serde_json::from_str(&outcome.stdout)
        .unwrap_or_else(|e| panic!("providers schema -json printed JSON ({e}):\n{outcome}"));
    let schemas = &json["provider_schemas"]["registry.terraform.io/servicemesh/servicemesh"];
    assert!(schemas.is_object(), "{json:#}");

    let provider = ServicemeshProvider::new();
    let mut errors = Vec::new();
    let ours = provider.schema();
    assert_eq!(schemas["provider"]["version"], ours.version);
    compare_block(
        "provider",
        &ours.block,
        &schemas["provider"]["block"],
        &mut errors,
    );

    let resources = provider.resources();
    compare_keys(
        "resource_schemas",
        resources.iter().map(|r| r.type_name()),
        schemas.get("resource_schemas"),
        &mut errors,
    );
    for resource in &resources {
        let ours = resource.schema();
        let theirs = &schemas["resource_schemas"][resource.type_name()];
        assert_eq!(theirs["version"], ours.version, "{}", resource.type_name());
        compare_block(
            resource.type_name(),
            &ours.block,
            &theirs["block"],
            &mut errors,
        );
    }
    assert!(
        errors.is_empty(),
        "schema mismatches:\n{}",
        errors.join("\n")
    );
    // The comparison really looked at something.
    let internal = &schemas["resource_schemas"]["servicemesh_internal"]["block"]["attributes"];
    assert_eq!(
        internal["services"]["nested_type"]["nesting_mode"], "map",
        "{internal:#}"
    );
}

// ---- real Terraform: diagnostics on configuration lines ----------------------------

/// `terraform validate` of `main.tf`, which must fail.
fn validate_failing(config: &str) -> String {
    let workdir = Workdir::new(Install::DevOverrides);
    workdir.write("main.tf", config);
    let outcome = terraform(&Arc::new(workdir), &["validate", "-no-color"]);
    assert_eq!(outcome.code, 1, "{outcome}");
    outcome.output()
}

#[test]
fn terraform_validate_places_a_provider_block_path_on_its_line() {
    // Terraform validates a provider block only when a resource uses it.
    let config = format!(
        r#"{}
provider "servicemesh" {{
  region = "us-east-1"
  assume_role {{
    role_arn = "arn:aws:iam::123456789012:role/deploy"
    duration = "soon"
  }}
}}

resource "servicemesh_internal" "mesh" {{
  cluster   = "prod"
  namespace = "internal.myapp"
  vpc_id    = "vpc-0abc1234"
}}
"#,
        required_providers()
    );
    let output = validate_failing(&config);
    // A path through a nested block: Terraform walks it down to the attribute's line.
    let line = line_of(&config, "duration = \"soon\"");
    assert!(
        output.contains("Error: Invalid assume_role duration"),
        "{output}"
    );
    assert!(
        output.contains(&format!(
            "on main.tf line {line}, in provider \"servicemesh\":"
        )),
        "the diagnostic should be placed on line {line}:\n{output}"
    );
    assert!(
        output.contains(&format!("{line}:     duration = \"soon\"")),
        "the line itself should be quoted:\n{output}"
    );
}

#[test]
fn terraform_validate_places_a_nested_attribute_path_on_its_attribute() {
    let config = format!(
        r#"{}
resource "servicemesh_internal" "mesh" {{
  cluster   = "prod"
  namespace = "internal.myapp"
  vpc_id    = "vpc-0abc1234"
  timeouts  = {{ create = "soon" }}
}}
"#,
        required_providers()
    );
    let output = validate_failing(&config);
    // A path into a nested attribute: Terraform stops at the attribute holding it.
    let line = line_of(&config, "timeouts  = {");
    assert!(
        output.contains(&format!(
            "on main.tf line {line}, in resource \"servicemesh_internal\" \"mesh\":"
        )),
        "the diagnostic should be placed on line {line}:\n{output}"
    );
    assert!(
        output.contains(&format!("{line}:   timeouts  = {{ create = \"soon\" }}")),
        "the line itself should be quoted:\n{output}"
    );
    assert!(output.contains("timeouts.create"), "{output}");
}
