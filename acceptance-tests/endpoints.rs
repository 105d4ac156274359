//! Everything Service Connect can say (issue 16): services with several endpoints, TLS,
//! the proxy's logs and access logs, through real Terraform against the local AWS; an
//! endpoint AWS has that the configuration leaves out is never dropped silently; a
//! version-0 state upgrades with no diff.

use aws_sdk_ecs::types::{
    LogConfiguration, LogDriver, ServiceConnectClientAlias, ServiceConnectConfiguration,
    ServiceConnectService,
};

use crate::support::emulator::Emulator;
use crate::support::hcl::{Config, Mesh, NAMESPACE, import_block, list_all};
use crate::support::terraform::Workdir;
use crate::support::world::{self, CLIENT, CLUSTER, SERVERS, World, seed};

/// The service with two ports: HTTP on 8080 and gRPC on 9090.
const API: &str = "api";

/// The seed plus `api`, whose task definition names both of its ports.
async fn world_with_api(emulator: &Emulator) -> World {
    let world = seed(emulator).await;
    world::create_service_with_ports(
        &emulator.ecs(),
        API,
        &[(Some("api-8080-tcp"), 8080), (Some("api-9090-tcp"), 9090)],
    )
    .await;
    world
}

/// `api`'s entry with both endpoints.
const TWO_ENDPOINTS: &str = "endpoints = {\n      api      = { port_name = \"api-8080-tcp\" }\n      api-grpc = { port_name = \"api-9090-tcp\" }\n    }";

/// `api` with both endpoints, `backend` in the short form, and the client.
fn two_endpoint_mesh(world: &World) -> Mesh {
    world.mesh(&SERVERS[..1]).entry(API, TWO_ENDPOINTS)
}

/// The (discovery name, DNS name, port) of each endpoint `service` serves on AWS.
async fn endpoints_on_aws(emulator: &Emulator, service: &str) -> Vec<(String, String, i32)> {
    let config = world::primary_service_connect(emulator, service)
        .await
        .expect("Service Connect on");
    let mut endpoints: Vec<(String, String, i32)> = config
        .services()
        .iter()
        .map(|s| {
            let alias = &s.client_aliases()[0];
            (
                s.discovery_name().unwrap_or_default().to_string(),
                alias.dns_name().unwrap_or_default().to_string(),
                alias.port(),
            )
        })
        .collect();
    endpoints.sort();
    endpoints
}

/// An apply that imports the mesh changes nothing in AWS, and the plan after it is
/// empty.
async fn imports_without_changes(emulator: &Emulator, dir: &Workdir) {
    emulator.reset_counters().await;
    let imported = dir.apply();
    assert!(
        imported
            .stdout
            .contains("1 imported, 0 added, 0 changed, 0 destroyed"),
        "{imported}"
    );
    assert_eq!(
        emulator.counters().await.calls("ecs:UpdateService"),
        0,
        "nothing redeployed"
    );
    dir.assert_no_changes();
}

fn state_values(dir: &Workdir) -> serde_json::Value {
    dir.resource_values()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_two_endpoint_service_is_created_read_changed_on_one_endpoint_and_destroyed() {
    let emulator = Emulator::shared().await;
    let world = world_with_api(&emulator).await;
    let dir = world::workdir(&emulator);
    dir.write(
        "main.tf",
        &Config::new()
            .mesh(two_endpoint_mesh(&world))
            .endpoints_output()
            .to_string(),
    );
    let created = dir.apply();
    assert_eq!(
        endpoints_on_aws(&emulator, API).await,
        [
            ("api".into(), "api.internal.myapp".into(), 8080),
            ("api-grpc".into(), "api-grpc.internal.myapp".into(), 9090),
        ],
        "{created}"
    );
    let values = state_values(&dir);
    assert_eq!(
        values["endpoints"],
        serde_json::json!({
            "api": "api.internal.myapp:8080",
            "api-grpc": "api-grpc.internal.myapp:9090",
            "backend": "backend.internal.myapp:8080",
        }),
        "keyed by discovery name"
    );
    assert_eq!(
        values["services"]["api"]["discovery_name"],
        serde_json::Value::Null,
        "the short form's attributes stay null with endpoints"
    );
    assert!(
        world::cloud_map_services(&emulator)
            .await
            .contains(&"api-grpc".to_string()),
        "one Cloud Map service per endpoint"
    );
    dir.assert_no_changes();

    // One endpoint changes; the other stays exactly as it was.
    let changed = world.mesh(&SERVERS[..1]).entry(
        API,
        "endpoints = {\n      api      = { port_name = \"api-8080-tcp\" }\n      api-grpc = { port_name = \"api-9090-tcp\", port = 9443 }\n    }",
    );
    dir.write("main.tf", &Config::new().mesh(changed).to_string());
    let plan = dir.assert_changes();
    assert!(
        plan.stdout.contains("9443") && plan.stdout.contains("1 to change"),
        "{plan}"
    );
    emulator.reset_counters().await;
    dir.apply();
    assert_eq!(
        endpoints_on_aws(&emulator, API).await,
        [
            ("api".into(), "api.internal.myapp".into(), 8080),
            ("api-grpc".into(), "api-grpc.internal.myapp".into(), 9443),
        ]
    );
    dir.assert_no_changes();

    dir.run(&["destroy", "-auto-approve", "-no-color"])
        .success();
    assert!(
        world::primary_service_connect(&emulator, API)
            .await
            .is_none_or(|c| !c.enabled()),
        "Service Connect off"
    );
    assert!(world::cloud_map_services(&emulator).await.is_empty());
}

/// `api` serving both endpoints, `backend` one, the client calling: made straight through
/// the API, as in the console. The namespace's id.
async fn console_built_two_endpoint_mesh(emulator: &Emulator, world: &World) -> String {
    let namespace_id = world::hand_made_namespace(emulator, NAMESPACE, &world.vpc_id).await;
    let entry = |port_name: &str, discovery: &str, port: i32| {
        ServiceConnectService::builder()
            .port_name(port_name)
            .discovery_name(discovery)
            .client_aliases(
                ServiceConnectClientAlias::builder()
                    .port(port)
                    .build()
                    .expect("alias"),
            )
            .build()
            .expect("entry")
    };
    let config = |entries: Vec<ServiceConnectService>| {
        ServiceConnectConfiguration::builder()
            .enabled(true)
            .namespace(NAMESPACE)
            .set_services(Some(entries).filter(|e| !e.is_empty()))
            .build()
    };
    let (backend, backend_port, backend_number) = SERVERS[0];
    world::set_service_connect(
        emulator,
        backend,
        config(vec![entry(backend_port, backend, backend_number)]),
    )
    .await;
    world::set_service_connect(
        emulator,
        API,
        config(vec![
            entry("api-8080-tcp", "api", 8080),
            entry("api-9090-tcp", "api-grpc", 9090),
        ]),
    )
    .await;
    world::set_service_connect(emulator, CLIENT.0, config(Vec::new())).await;
    namespace_id
}

#[tokio::test(flavor = "multi_thread")]
async fn a_console_built_two_endpoint_mesh_imports_by_name_and_by_id_to_empty_plans() {
    let emulator = Emulator::shared().await;
    let world = world_with_api(&emulator).await;
    console_built_two_endpoint_mesh(&emulator, &world).await;
    let dir = world::workdir(&emulator);
    // By name: the configuration names the namespace (and so owns it).
    let import = import_block(&format!("{CLUSTER}/{NAMESPACE}"));
    dir.write(
        "main.tf",
        &Config::new()
            .block(&import)
            .mesh(two_endpoint_mesh(&world))
            .to_string(),
    );
    imports_without_changes(&emulator, &dir).await;

    // By id, for a configuration that wires onto the namespace without owning it.
    let namespace_id = world::namespaces(&emulator).await[NAMESPACE].clone();
    let by_id = world::workdir(&emulator);
    let import = import_block(&format!("{CLUSTER}/{namespace_id}"));
    let on_namespace = Mesh::on_namespace_id(CLUSTER, &namespace_id)
        .server(SERVERS[0].0, SERVERS[0].1)
        .entry(API, TWO_ENDPOINTS)
        .client(CLIENT.0);
    by_id.write(
        "main.tf",
        &Config::new().block(&import).mesh(on_namespace).to_string(),
    );
    imports_without_changes(&emulator, &by_id).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn query_generates_every_endpoint_and_the_config_imports_to_an_empty_plan() {
    let emulator = Emulator::shared().await;
    let world = world_with_api(&emulator).await;
    console_built_two_endpoint_mesh(&emulator, &world).await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &Config::new().to_string());
    dir.write("mesh.tfquery.hcl", &list_all(CLUSTER));
    dir.run(&["query", "-no-color", "-generate-config-out=generated.tf"])
        .success();
    let generated = std::fs::read_to_string(dir.path().join("generated.tf")).expect("generated.tf");
    assert!(
        generated.contains("api-grpc") && generated.contains("api-9090-tcp"),
        "every endpoint is in the generated configuration:\n{generated}"
    );
    imports_without_changes(&emulator, &dir).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endpoint_left_out_of_the_configuration_is_a_visible_removal() {
    let emulator = Emulator::shared().await;
    let world = world_with_api(&emulator).await;
    let namespace_id = console_built_two_endpoint_mesh(&emulator, &world).await;
    let dir = world::workdir(&emulator);
    // Names only api's first endpoint, in the short form.
    let partial = world.mesh(&SERVERS[..1]).server(API, "api-8080-tcp");
    dir.write("main.tf", &Config::new().mesh(partial).to_string());
    dir.run(&[
        "import",
        "-no-color",
        "servicemesh_internal.mesh",
        &format!("{CLUSTER}/{namespace_id}"),
    ])
    .success();
    let plan = dir.assert_changes();
    assert!(
        plan.stdout.contains("api-grpc") && plan.stdout.contains("api-9090-tcp"),
        "the plan shows the endpoint it removes:\n{plan}"
    );
    // Renaming the one endpoint still shows the other's removal.
    let renamed =
        world
            .mesh(&SERVERS[..1])
            .server_with(API, "api-8080-tcp", "discovery_name = \"api-http\"");
    dir.write("main.tf", &Config::new().mesh(renamed).to_string());
    let plan = dir.assert_changes();
    assert!(plan.stdout.contains("api-grpc"), "{plan}");
    dir.apply();
    assert_eq!(
        endpoints_on_aws(&emulator, API).await,
        [("api-http".into(), "api-http.internal.myapp".into(), 8080)],
        "removed as planned"
    );
    dir.assert_no_changes();
}

/// The mesh-wide logs and access logs, and TLS on the gRPC endpoint.
fn mesh_with_settings(world: &World, access_log: bool) -> Mesh {
    let mut mesh = world
        .mesh(&SERVERS[..1])
        .entry(
            API,
            "endpoints = {\n      api      = { port_name = \"api-8080-tcp\" }\n      api-grpc = {\n        port_name = \"api-9090-tcp\"\n        tls = { aws_pca_authority_arn = \"arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/0a1b2c3d-0000-1111-2222-333344445555\", kms_key = \"alias/mesh\" }\n      }\n    }",
        )
        .with(
            "log_configuration = {\n  log_driver = \"awslogs\"\n  options    = { awslogs-group = \"/mesh/proxy\", awslogs-region = \"us-east-1\" }\n}",
        );
    if access_log {
        mesh = mesh.with(
            "access_log_configuration = { format = \"JSON\", include_query_parameters = true }",
        );
    }
    mesh
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_log_and_access_log_settings_round_trip_with_drift_detection() {
    let emulator = Emulator::shared().await;
    let world = world_with_api(&emulator).await;
    let dir = world::workdir(&emulator);
    dir.write(
        "main.tf",
        &Config::new()
            .mesh(mesh_with_settings(&world, true))
            .to_string(),
    );
    dir.apply();
    for service in [API, SERVERS[0].0, CLIENT.0] {
        let config = world::primary_service_connect(&emulator, service)
            .await
            .expect("on");
        let log = config.log_configuration().expect("mesh-wide logs");
        assert_eq!(log.log_driver(), &LogDriver::Awslogs, "{service}");
        assert_eq!(
            log.options()
                .and_then(|o| o.get("awslogs-group"))
                .map(String::as_str),
            Some("/mesh/proxy")
        );
        let access_log = config.access_log_configuration().expect("access logs");
        assert_eq!(access_log.format().as_str(), "JSON");
        assert_eq!(
            access_log.include_query_parameters().map(|i| i.as_str()),
            Some("ENABLED")
        );
    }
    let api = world::primary_service_connect(&emulator, API)
        .await
        .expect("on");
    let grpc = api
        .services()
        .iter()
        .find(|s| s.discovery_name() == Some("api-grpc"))
        .expect("api-grpc");
    let tls = grpc.tls().expect("TLS on the gRPC endpoint");
    assert_eq!(tls.kms_key(), Some("alias/mesh"));
    let http = api
        .services()
        .iter()
        .find(|s| s.discovery_name() == Some("api"))
        .expect("api");
    assert!(http.tls().is_none(), "no TLS where none is asked");
    dir.assert_no_changes();

    // Someone changes backend's log driver in the console: the plan shows it.
    let mut drifted = world::primary_service_connect(&emulator, SERVERS[0].0)
        .await
        .expect("on");
    drifted.log_configuration = Some(
        LogConfiguration::builder()
            .log_driver(LogDriver::JsonFile)
            .build()
            .expect("log configuration"),
    );
    world::set_service_connect(&emulator, SERVERS[0].0, drifted).await;
    let plan = dir.assert_changes();
    assert!(
        plan.stdout.contains("json-file") && plan.stdout.contains("awslogs"),
        "the drift shows:\n{plan}"
    );
    dir.apply();
    let repaired = world::primary_service_connect(&emulator, SERVERS[0].0)
        .await
        .expect("on");
    assert_eq!(
        repaired.log_configuration().map(|l| l.log_driver().clone()),
        Some(LogDriver::Awslogs)
    );
    dir.assert_no_changes();

    // Access logs leave the configuration: they leave every service.
    dir.write(
        "main.tf",
        &Config::new()
            .mesh(mesh_with_settings(&world, false))
            .to_string(),
    );
    dir.apply();
    for service in [API, SERVERS[0].0, CLIENT.0] {
        let config = world::primary_service_connect(&emulator, service)
            .await
            .expect("on");
        assert!(config.access_log_configuration().is_none(), "{service}");
        assert!(
            config.log_configuration().is_some(),
            "{service} keeps its logs"
        );
    }
    dir.assert_no_changes();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_version_0_state_upgrades_with_no_diff() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    let mesh = world.mesh(&SERVERS[..1]).server_with(
        SERVERS[1].0,
        SERVERS[1].1,
        "discovery_name = \"orders-api\"",
    );
    dir.write("main.tf", &Config::new().mesh(mesh).to_string());
    dir.apply();

    // The same object as version 0 of the schema stored it: no attributes of version
    // 1, and the endpoints output keyed by ECS service name.
    let path = dir.path().join("terraform.tfstate");
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("state")).expect("JSON");
    state["serial"] = serde_json::json!(state["serial"].as_u64().unwrap_or(1) + 1);
    let instance = &mut state["resources"][0]["instances"][0];
    assert_eq!(instance["schema_version"], 1);
    instance["schema_version"] = serde_json::json!(0);
    let attributes = instance["attributes"].as_object_mut().expect("attributes");
    for added in ["tls", "log_configuration", "access_log_configuration"] {
        attributes.remove(added);
    }
    for service in attributes["services"]
        .as_object_mut()
        .expect("services")
        .values_mut()
    {
        let service = service.as_object_mut().expect("a service");
        for added in [
            "tls",
            "endpoints",
            "log_configuration",
            "access_log_configuration",
        ] {
            service.remove(added);
        }
    }
    attributes["endpoints"] = serde_json::json!({
        "backend": "backend.internal.myapp:8080",
        "orders": "orders-api.internal.myapp:9090",
    });
    std::fs::write(&path, state.to_string()).expect("writing the v0 state");

    dir.assert_no_changes();
    dir.apply();
    let upgraded: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("state")).expect("JSON");
    let instance = &upgraded["resources"][0]["instances"][0];
    assert_eq!(instance["schema_version"], 1);
    assert_eq!(
        instance["attributes"]["endpoints"],
        serde_json::json!({
            "backend": "backend.internal.myapp:8080",
            "orders-api": "orders-api.internal.myapp:9090",
        })
    );
}

/// `web`, whose task definition serves HTTP on 8080 (appProtocol http) and plain TCP on
/// 9090 (no appProtocol).
async fn create_web(emulator: &Emulator) {
    use aws_sdk_ecs::types::{ApplicationProtocol, PortMapping};
    let http = PortMapping::builder()
        .name("web-8080-http")
        .container_port(8080)
        .app_protocol(ApplicationProtocol::Http)
        .build();
    let tcp = PortMapping::builder()
        .name("web-9090-tcp")
        .container_port(9090)
        .build();
    world::create_service_with_mappings(&emulator.ecs(), "web", vec![http, tcp]).await;
}

/// (idle, per-request) timeout of each endpoint of `service` on AWS, by discovery name.
async fn timeouts_on_aws(
    emulator: &Emulator,
    service: &str,
) -> std::collections::BTreeMap<String, (Option<i32>, Option<i32>)> {
    let config = world::primary_service_connect(emulator, service)
        .await
        .expect("Service Connect on");
    config
        .services()
        .iter()
        .map(|s| {
            let timeout = s.timeout();
            (
                s.discovery_name().unwrap_or_default().to_string(),
                (
                    timeout.and_then(|t| t.idle_timeout_seconds()),
                    timeout.and_then(|t| t.per_request_timeout_seconds()),
                ),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn mesh_wide_timeouts_reach_every_endpoint_and_per_request_only_http_ports() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    create_web(&emulator).await;
    let dir = world::workdir(&emulator);
    let web = |grpc_extra: &str| {
        format!(
            "endpoints = {{\n      web     = {{ port_name = \"web-8080-http\" }}\n      web-tcp = {{ port_name = \"web-9090-tcp\"{grpc_extra} }}\n    }}"
        )
    };
    let mesh = |extra: &str| {
        world
            .mesh(&SERVERS[..1])
            .entry("web", &web(extra))
            .with("idle_timeout_seconds = 120")
            .with("per_request_timeout_seconds = 20")
    };
    dir.write("main.tf", &Config::new().mesh(mesh("")).to_string());
    dir.apply();
    assert_eq!(
        timeouts_on_aws(&emulator, "web").await,
        [
            ("web".to_string(), (Some(120), Some(20))),
            ("web-tcp".to_string(), (Some(120), None)),
        ]
        .into(),
        "per request only where the port is HTTP"
    );
    assert_eq!(
        timeouts_on_aws(&emulator, SERVERS[0].0).await[SERVERS[0].0],
        (Some(120), None),
        "backend's port has no appProtocol"
    );
    dir.assert_no_changes();

    // An endpoint's own value wins over the mesh's.
    dir.write(
        "main.tf",
        &Config::new()
            .mesh(mesh(", idle_timeout_seconds = 30"))
            .to_string(),
    );
    dir.apply();
    assert_eq!(
        timeouts_on_aws(&emulator, "web").await["web-tcp"],
        (Some(30), None)
    );
    dir.assert_no_changes();
}
