//! The data source `servicemesh_internal` (issue 19): a mesh read back through real
//! Terraform with not one mutating call, its endpoints, and the `check` block of
//! examples/data-sources/servicemesh_internal, which passes while every name has a healthy
//! instance and warns when one has none. Plus what the protocol layer answers for a
//! configuration that is not wholly known.

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_servicediscovery::types::CustomHealthStatus;
use servicemesh::protocol::proto::tfplugin6 as pb;
use servicemesh::protocol::value::{self, Type, Value};
use servicemesh::provider::ServicemeshProvider;

use crate::support::emulator::{Counters, Emulator, Fault};
use crate::support::fake_provider::InProcess;
use crate::support::hcl::{Config, line_of};
use crate::support::terraform::{Outcome, PROVIDER_ADDRESS, Workdir, repo_root};
use crate::support::world::{self, CLUSTER, SERVERS, seed};

const CHECK_FAILED: &str = "Check block assertion failed";
const CHECK_MESSAGE: &str = "Some Service Connect endpoints have no healthy instance.";

/// The example the registry docs show, with the cluster and namespace it reads.
fn example(cluster: &str, namespace: &str) -> String {
    let path = repo_root().join("examples/data-sources/servicemesh_internal/data-source.tf");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("reading {}: {err}", path.display()))
        .replace("\"prod\"", &format!("{cluster:?}"))
        .replace("\"internal.myapp\"", &format!("{namespace:?}"))
}

fn example_config(cluster: &str, namespace: &str) -> String {
    Config::new()
        .block(&example(cluster, namespace))
        .to_string()
}

/// The calls made that are not reads (Get…, List…, Describe…, Discover…).
fn writes(counters: &Counters) -> Vec<&String> {
    counters
        .calls
        .keys()
        .filter(|op| {
            let name = op.split(':').nth(1).unwrap_or(op);
            !["Get", "List", "Describe", "Discover"]
                .iter()
                .any(|read| name.starts_with(read))
        })
        .collect()
}

/// Every call made was a read, and the instances were read.
#[track_caller]
fn assert_only_reads(counters: &Counters) {
    assert!(writes(counters).is_empty(), "mutating calls: {counters:?}");
    assert!(
        counters.calls("servicediscovery:ListInstances") > 0,
        "the instances were read: {counters:?}"
    );
}

fn output(dir: &Workdir, name: &str) -> serde_json::Value {
    let outcome = dir.run(&["output", "-json", name]).success();
    serde_json::from_str(&outcome.stdout)
        .unwrap_or_else(|err| panic!("output {name} is not JSON ({err}): {outcome}"))
}

fn counts(instances: &serde_json::Value, name: &str) -> (u64, u64) {
    let of = |what: &str| instances[name][what].as_u64().unwrap_or(u64::MAX);
    (of("registered"), of("healthy"))
}

#[track_caller]
fn assert_check_passed(outcome: &Outcome) {
    assert_eq!(outcome.code, 0, "{outcome}");
    assert!(!outcome.output().contains(CHECK_FAILED), "{outcome}");
}

#[track_caller]
fn assert_check_warned(outcome: &Outcome) {
    assert_eq!(
        outcome.code, 0,
        "a check warns, it does not fail: {outcome}"
    );
    let flat = outcome.flat_output();
    assert!(
        flat.contains(&format!("Warning: {CHECK_FAILED}")),
        "{outcome}"
    );
    assert!(flat.contains(CHECK_MESSAGE), "{outcome}");
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_a_hand_made_mesh_with_no_mutating_call_and_the_check_warns_for_a_name_without_instances()
 {
    let emulator = Emulator::shared().await;
    emulator.set_register_instances(true).await;
    let world = seed(&emulator).await;
    world::console_built_mesh(&emulator, &world, &SERVERS[..2]).await;
    // As time passes on AWS: the rollouts complete and the new tasks register.
    for (service, _, _) in &SERVERS[..2] {
        world::describe(&emulator, service).await;
    }
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &example_config(CLUSTER, "internal.myapp"));

    emulator.reset_counters().await;
    let apply = dir.run(&["apply", "-auto-approve", "-no-color"]);
    assert_check_passed(&apply);
    assert_only_reads(&emulator.counters().await);
    assert_eq!(
        output(&dir, "endpoints"),
        serde_json::json!({
            "backend": "backend.internal.myapp:8080",
            "orders": "orders.internal.myapp:9090",
        })
    );
    let state = dir.state();
    let values = &state["values"]["root_module"]["resources"][0]["values"];
    assert_eq!(values["vpc_id"], world.vpc_id.as_str(), "{values:#}");
    assert_eq!(values["namespace_name"], "internal.myapp");
    assert!(
        values["namespace_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("ns-"))
    );
    assert_eq!(values["client_services"], serde_json::json!(["frontend"]));
    assert_eq!(
        values["services"]["backend"]["endpoints"]["backend"],
        serde_json::json!({
            "port_name": "backend-8080-tcp",
            "discovery_name": "backend",
            "dns_name": "backend.internal.myapp",
            "port": 8080,
        })
    );
    for name in ["backend", "orders"] {
        let (registered, healthy) = counts(&values["instances"], name);
        assert!(
            registered > 0 && healthy == registered,
            "{name}: {values:#}"
        );
    }

    // A standalone server's Cloud Map service with nothing registered: the check warns.
    let namespace_id = values["namespace_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    world::hand_made_cloud_map_service(&emulator, &namespace_id, "erp", None).await;
    emulator.reset_counters().await;
    let plan = dir.run(&["plan", "-no-color"]);
    assert_check_warned(&plan);
    assert_only_reads(&emulator.counters().await);
    let apply = dir.run(&["apply", "-auto-approve", "-no-color"]);
    assert_check_warned(&apply);
    assert_eq!(counts(&dir.resource_values()["instances"], "erp"), (0, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn with_a_custom_health_check_only_healthy_instances_count() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let namespace_id = world::hand_made_namespace(&emulator, "internal.myapp", &world.vpc_id).await;
    let service_id = world::hand_made_service_with_instances(
        &emulator,
        &namespace_id,
        "erp",
        true,
        &[("erp-1", Some("HEALTHY")), ("erp-2", Some("UNHEALTHY"))],
    )
    .await;
    let dir = world::workdir(&emulator);
    // By id this time.
    dir.write("main.tf", &example_config(CLUSTER, &namespace_id));
    assert_check_passed(&dir.run(&["apply", "-auto-approve", "-no-color"]));
    let instances = || dir.resource_values()["instances"].clone();
    assert_eq!(counts(&instances(), "erp"), (2, 1));

    emulator
        .cloudmap()
        .update_instance_custom_health_status()
        .service_id(&service_id)
        .instance_id("erp-1")
        .status(CustomHealthStatus::Unhealthy)
        .send()
        .await
        .expect("marking erp-1 unhealthy");
    assert_check_warned(&dir.run(&["apply", "-auto-approve", "-no-color"]));
    assert_eq!(counts(&instances(), "erp"), (2, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn in_the_resources_configuration_it_is_read_after_the_apply_and_then_at_every_plan() {
    let emulator = Emulator::shared().await;
    emulator.set_register_instances(true).await;
    let world = seed(&emulator).await;
    let data = "data \"servicemesh_internal\" \"mesh\" {\n  cluster   = servicemesh_internal.mesh.cluster\n  namespace = servicemesh_internal.mesh.namespace_id\n}\n\ncheck \"names_resolve\" {\n  assert {\n    condition     = alltrue([for e in data.servicemesh_internal.mesh.instances : e.healthy > 0])\n    error_message = \"Some Service Connect endpoints have no healthy instance.\"\n  }\n}\n\noutput \"read_back\" {\n  value = data.servicemesh_internal.mesh.endpoints\n}";
    let dir = world::workdir(&emulator);
    dir.write(
        "main.tf",
        &Config::new()
            .block(data)
            .mesh(world.mesh(&SERVERS[..2]))
            .to_string(),
    );
    let plan = dir.run(&["plan", "-no-color"]).success();
    assert!(
        plan.flat_output().contains("will be read during apply"),
        "the namespace id is not known before the apply: {plan}"
    );
    assert_check_passed(&dir.run(&["apply", "-auto-approve", "-no-color"]));
    assert_eq!(
        output(&dir, "read_back"),
        serde_json::json!({
            "backend": "backend.internal.myapp:8080",
            "orders": "orders.internal.myapp:9090",
        })
    );
    emulator.reset_counters().await;
    dir.assert_no_changes();
    assert_only_reads(&emulator.counters().await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cluster_or_namespace_that_does_not_exist_is_an_error_on_its_line() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    world::hand_made_namespace(&emulator, "internal.myapp", &world.vpc_id).await;
    let cases = [
        (
            "nope",
            "internal.myapp",
            "Cluster not found",
            "listing ECS services in cluster nope: ClusterNotFoundException",
            "cluster ",
        ),
        (
            CLUSTER,
            "nope.myapp",
            "Namespace not found",
            "reading Cloud Map namespace nope.myapp: No Cloud Map namespace is named \"nope.myapp\" in this account and region.",
            "namespace ",
        ),
        (
            CLUSTER,
            "ns-abcdefghijklmnop",
            "Namespace not found",
            "reading Cloud Map namespace ns-abcdefghijklmnop: No Cloud Map namespace has the id \"ns-abcdefghijklmnop\"",
            "namespace ",
        ),
    ];
    for (cluster, namespace, summary, detail, attribute) in cases {
        let dir = world::workdir(&emulator);
        let config = example_config(cluster, namespace);
        dir.write("main.tf", &config);
        emulator.reset_counters().await;
        let plan = dir.run(&["plan", "-no-color"]);
        assert_eq!(plan.code, 1, "{plan}");
        let flat = plan.flat_output();
        assert!(flat.contains(&format!("Error: {summary}")), "{plan}");
        assert!(flat.contains(detail), "{detail:?} in {plan}");
        let line = line_of(&config, &format!("  {attribute}"));
        assert!(
            flat.contains(&format!(
                "on main.tf line {line}, in data \"servicemesh_internal\" \"mesh\""
            )),
            "the error points at line {line}: {plan}"
        );
        let counters = emulator.counters().await;
        assert!(writes(&counters).is_empty(), "mutating calls: {counters:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_name_several_namespaces_have_is_an_error_that_lists_them() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let other_vpc = emulator.create_vpc("10.1.0.0/16").await;
    for vpc in [&world.vpc_id, &other_vpc] {
        world::hand_made_namespace(&emulator, "internal.myapp", vpc).await;
    }
    let ids: Vec<String> = world::namespace_list(&emulator)
        .await
        .into_iter()
        .filter(|(name, _)| name == "internal.myapp")
        .map(|(_, id)| id)
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let dir = world::workdir(&emulator);
    let config = example_config(CLUSTER, "internal.myapp");
    dir.write("main.tf", &config);
    let plan = dir.run(&["plan", "-no-color"]);
    assert_eq!(plan.code, 1, "{plan}");
    let flat = plan.flat_output();
    assert!(flat.contains("Error: Ambiguous namespace"), "{plan}");
    for id in &ids {
        assert!(flat.contains(id.as_str()), "{id} named: {plan}");
    }
    assert!(
        flat.contains("Name the namespace by id (`ns-…`) or ARN instead."),
        "{plan}"
    );
    let line = line_of(&config, "  namespace ");
    assert!(flat.contains(&format!("on main.tf line {line}")), "{plan}");
}

// ---- the protocol layer, in process -----------------------------------------------------

/// The data source's type, as its documentation describes it.
fn data_type() -> Type {
    let endpoint = Type::object([
        ("port_name", Type::String),
        ("discovery_name", Type::String),
        ("dns_name", Type::String),
        ("port", Type::Number),
    ]);
    let count = Type::object([("registered", Type::Number), ("healthy", Type::Number)]);
    Type::object([
        ("cluster", Type::String),
        ("namespace", Type::String),
        ("namespace_id", Type::String),
        ("namespace_arn", Type::String),
        ("namespace_name", Type::String),
        ("hosted_zone_id", Type::String),
        ("vpc_id", Type::String),
        (
            "services",
            Type::map(Type::object([("endpoints", Type::map(endpoint))])),
        ),
        ("client_services", Type::set(Type::String)),
        ("endpoints", Type::map(Type::String)),
        ("instances", Type::map(count)),
    ])
}

fn config(cluster: Value, namespace: Value) -> Value {
    let mut attributes: BTreeMap<String, Value> = [
        "namespace_id",
        "namespace_arn",
        "namespace_name",
        "hosted_zone_id",
        "vpc_id",
        "services",
        "client_services",
        "endpoints",
        "instances",
    ]
    .into_iter()
    .map(|name| (name.to_string(), Value::Null))
    .collect();
    attributes.insert("cluster".into(), cluster);
    attributes.insert("namespace".into(), namespace);
    Value::Object(attributes)
}

async fn read(
    server: &mut InProcess,
    config: &Value,
    deferral_allowed: bool,
) -> pb::read_data_source::Response {
    let ty = data_type();
    server
        .client
        .read_data_source(pb::read_data_source::Request {
            type_name: "servicemesh_internal".into(),
            config: Some(pb::DynamicValue {
                msgpack: value::encode_msgpack(config, &ty).expect("encoding the configuration"),
                json: Vec::new(),
            }),
            provider_meta: None,
            client_capabilities: Some(pb::ClientCapabilities {
                deferral_allowed,
                write_only_attributes_allowed: false,
            }),
        })
        .await
        .expect("ReadDataSource answers")
        .into_inner()
}

#[tokio::test]
async fn a_configuration_not_wholly_known_gets_terraforms_placeholder_deferred_or_an_error() {
    let mut server = InProcess::serve(PROVIDER_ADDRESS, Arc::new(ServicemeshProvider::new())).await;
    let metadata = server
        .client
        .get_metadata(pb::get_metadata::Request {})
        .await
        .expect("GetMetadata")
        .into_inner();
    let names: Vec<&str> = metadata
        .data_sources
        .iter()
        .map(|d| d.type_name.as_str())
        .collect();
    assert_eq!(names, ["servicemesh_internal"]);
    let schema = server
        .client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("GetProviderSchema")
        .into_inner();
    let block = schema.data_source_schemas["servicemesh_internal"]
        .block
        .clone()
        .expect("block");
    for attribute in &block.attributes {
        assert!(
            !attribute.description.is_empty(),
            "{} needs a description",
            attribute.name
        );
        let settable = matches!(attribute.name.as_str(), "cluster" | "namespace");
        assert_eq!(attribute.required, settable, "{}", attribute.name);
        assert_eq!(attribute.computed, !settable, "{}", attribute.name);
    }

    let unknown = config(Value::from("prod"), Value::unknown());
    let deferred = read(&mut server, &unknown, true).await;
    assert!(
        deferred.diagnostics.is_empty(),
        "{:?}",
        deferred.diagnostics
    );
    assert_eq!(
        deferred.deferred.map(|d| d.reason),
        Some(pb::deferred::Reason::ResourceConfigUnknown as i32)
    );
    let state = value::decode_msgpack(
        &deferred.state.expect("a placeholder").msgpack,
        &data_type(),
    )
    .expect("decoding the placeholder");
    assert_eq!(
        state.get_attr("cluster").and_then(Value::as_str),
        Some("prod")
    );
    for computed in ["namespace", "namespace_id", "endpoints", "instances"] {
        assert!(
            !state.get_attr(computed).is_some_and(Value::is_known),
            "{computed} unknown: {state:?}"
        );
    }

    let refused = read(&mut server, &unknown, false).await;
    assert!(refused.deferred.is_none());
    assert_eq!(refused.diagnostics.len(), 1, "{:?}", refused.diagnostics);
    assert_eq!(
        refused.diagnostics[0].summary,
        "Data source configuration not known"
    );

    // Known, but the provider was never configured: an error, not a panic or a hang.
    let known = config(Value::from("prod"), Value::from("internal.myapp"));
    let unconfigured = read(&mut server, &known, false).await;
    assert_eq!(
        unconfigured.diagnostics[0].summary,
        "Provider not configured"
    );
    let empty = config(Value::from(""), Value::from("internal.myapp"));
    let invalid = read(&mut server, &empty, false).await;
    assert_eq!(invalid.diagnostics[0].summary, "Empty cluster");
}

/// A Cloud Map service deleted between the listing and the read of its instances (a
/// colleague's clean-up, ECS deleting a freed service) no longer names anything: the read
/// leaves it out instead of failing.
#[tokio::test(flavor = "multi_thread")]
async fn a_cloud_map_service_deleted_while_it_is_read_is_left_out() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let namespace_id = world::console_built_mesh(&emulator, &world, &SERVERS[..1]).await;
    let erp_arn = world::hand_made_cloud_map_service(&emulator, &namespace_id, "erp", None).await;
    let erp = erp_arn.rsplit('/').next().unwrap_or_default();
    // What ListInstances answers for a service deleted after ListServices listed it.
    emulator
        .inject_fault(
            Fault::error(
                "servicediscovery:ListInstances",
                "ServiceNotFound",
                400,
                "No service found with ID",
            )
            .matching("ServiceId", erp),
        )
        .await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &example_config(CLUSTER, "internal.myapp"));
    dir.apply();
    let instances = &dir.resource_values()["instances"];
    assert!(instances.get("erp").is_none(), "{instances:#}");
    assert!(instances.get(SERVERS[0].0).is_some(), "{instances:#}");
    emulator.clear_faults().await;
}
