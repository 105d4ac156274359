//! Configurations users actually write, through real Terraform against the local AWS:
//! ECS objects created in the same apply, a destroy that plan-time checks cannot block,
//! a cluster change that replaces the mesh, `namespace_id` with provider default_tags,
//! a tainted mesh whose replacement is not mistaken for someone else's settings.

use serde_json::json;

use crate::support::emulator::Emulator;
use crate::support::hcl::{Config, Mesh};
use crate::support::terraform::repo_root;
use crate::support::world::{
    self, CLIENT, CLUSTER, SERVERS, World, cloud_map_services, namespaces, primary_service_connect,
    seed,
};

/// The seed's mesh in `cluster` (backend and orders serve, frontend calls).
fn seed_mesh(world: &World, cluster: &str) -> Mesh {
    world.mesh(&SERVERS[..2]).in_cluster(cluster)
}

/// main.tf with `mesh`.
fn config(mesh: Mesh) -> String {
    Config::new().mesh(mesh).to_string()
}

/// The shell command a local-exec provisioner runs to make or remove an ECS object, as
/// a hashicorp/aws resource would (acceptance-tests/testdata/ecs_object.py).
fn ecs_object(args: &str) -> String {
    let root = repo_root();
    format!(
        "{} {} {args}",
        root.join("acceptance-tests/.venv/bin/python").display(),
        root.join("acceptance-tests/testdata/ecs_object.py")
            .display()
    )
}

/// Cluster, task definitions and services created by `terraform_data` resources in the
/// same apply as the mesh, whose names (known at plan time, like `aws_ecs_service.name`)
/// it takes from them. Mirrors examples/with-aws-provider.
fn same_apply_config(vpc_id: &str) -> String {
    format!(
        r#"{header}
locals {{
  # ECS service name => container port; the port mapping is named "<name>-<port>-tcp".
  servers = {{ backend = 8080, orders = 9090 }}
  clients = {{ frontend = 3000 }}
}}

resource "terraform_data" "cluster" {{
  input = "fresh"

  provisioner "local-exec" {{
    command = "{create_cluster} ${{self.input}}"
  }}
  provisioner "local-exec" {{
    when    = destroy
    command = "{delete_cluster} ${{self.input}}"
  }}
}}

resource "terraform_data" "service" {{
  for_each = merge(local.servers, local.clients)

  input = {{
    cluster   = terraform_data.cluster.input
    name      = each.key
    port_name = "${{each.key}}-${{each.value}}-tcp"
    port      = each.value
  }}

  provisioner "local-exec" {{
    command = "{create_service} ${{self.input.cluster}} ${{self.input.name}} ${{self.input.port_name}} ${{self.input.port}}"
  }}
  provisioner "local-exec" {{
    when    = destroy
    command = "{delete_service} ${{self.input.cluster}} ${{self.input.name}}"
  }}
}}

# The names are known at plan time, as `aws_ecs_cluster.name` and `aws_ecs_service.name`
# are; the objects come into being during the apply (terraform_data's own `output` would
# be unknown until then, which is not what hashicorp/aws resources do).
resource "servicemesh_internal" "mesh" {{
  cluster   = terraform_data.cluster.input
  namespace = "internal.myapp"
  vpc_id    = "{vpc_id}"

  services = {{
    for name, port in local.servers : terraform_data.service[name].input.name => {{
      port_name = terraform_data.service[name].input.port_name
    }}
  }}
  client_services = [for name, port in local.clients : terraform_data.service[name].input.name]
}}

output "endpoints" {{
  value = servicemesh_internal.mesh.endpoints
}}
"#,
        header = Config::new(),
        create_cluster = ecs_object("cluster create"),
        delete_cluster = ecs_object("cluster delete"),
        create_service = ecs_object("service create"),
        delete_service = ecs_object("service delete"),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn objects_created_in_the_same_apply_plan_with_warnings_and_get_wired() {
    let emulator = Emulator::shared().await;
    let vpc_id = emulator.network().await.vpc_id;
    // ECS is eventually consistent: a new service reads as MISSING for a while (one of
    // these describes goes to the plan Terraform makes during apply).
    emulator
        .update_settings(json!({"missing_after_create_describes": 4}))
        .await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &same_apply_config(&vpc_id));

    let plan = dir.assert_changes();
    let text = plan.flat_output();
    assert!(
        text.contains("Warning: ECS cluster not found (yet)"),
        "{plan}"
    );
    assert!(
        text.contains("ECS cluster fresh does not exist in us-east-1"),
        "{plan}"
    );
    assert!(text.contains("the apply waits up to 2 minutes"), "{plan}");
    assert!(
        text.contains("port = (known after apply)"),
        "the port waits for the task definition:\n{plan}"
    );
    assert!(!text.contains("Error:"), "{plan}");

    let apply = dir.apply();
    let text = apply.flat_output();
    assert!(
        text.contains("\"backend\" = \"backend.internal.myapp:8080\""),
        "{apply}"
    );
    assert!(
        text.contains("\"orders\" = \"orders.internal.myapp:9090\""),
        "{apply}"
    );
    let primary = world::primary_service_connect_in(&emulator, "fresh", "backend")
        .await
        .expect("backend wired");
    assert_eq!(primary.services()[0].port_name(), "backend-8080-tcp");
    dir.assert_no_changes();

    dir.run(&["destroy", "-auto-approve", "-no-color"])
        .success();
    assert!(namespaces(&emulator).await.is_empty(), "namespace left");
    assert!(
        cloud_map_services(&emulator).await.is_empty(),
        "Cloud Map services left"
    );
    let clusters = emulator
        .ecs()
        .describe_clusters()
        .clusters("fresh")
        .send()
        .await
        .expect("describe clusters");
    assert!(
        clusters
            .clusters()
            .iter()
            .all(|c| c.status() == Some("INACTIVE")),
        "the stand-in resources deleted the cluster: {clusters:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_reports_a_service_that_never_appears_by_name() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    // `ghost` is not there at plan (a warning) and never comes; a short timeout bounds
    // the wait for it.
    let mesh = Mesh::owned(CLUSTER, &world.vpc_id)
        .server("backend", "backend-8080-tcp")
        .server_with("ghost", "ghost-80-tcp", "port = 80")
        .with(r#"timeouts = { create = "3s" }"#);
    dir.write("main.tf", &config(mesh));
    let plan = dir.run(&["plan", "-no-color"]).success();
    assert!(
        plan.flat_output()
            .contains("Warning: ECS service not found (yet)"),
        "{plan}"
    );
    let apply = dir.run(&["apply", "-auto-approve", "-no-color"]);
    assert_ne!(apply.code, 0, "{apply}");
    let text = apply.flat_output();
    assert!(
        text.contains("enabling Service Connect on ECS service prod/ghost: the service does not exist after waiting 3s"),
        "{apply}"
    );
    // What did work is recorded: backend is wired and in the state.
    assert!(
        primary_service_connect(&emulator, "backend")
            .await
            .is_some()
    );
    let state = dir.state();
    let services = &state["values"]["root_module"]["resources"][0]["values"]["services"];
    assert!(services.get("backend").is_some(), "{services}");
    assert!(services.get("ghost").is_none(), "{services}");
}

#[tokio::test(flavor = "multi_thread")]
async fn destroy_runs_when_a_service_is_gone_or_a_new_entry_is_wrong() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &config(seed_mesh(&world, CLUSTER)));
    dir.apply();

    // orders deleted outside Terraform; payments added with a port name its task
    // definition lacks.
    world::delete_service(&emulator, "orders").await;
    let edited = seed_mesh(&world, CLUSTER).server("payments", "payments-nope");
    dir.write("main.tf", &config(edited));
    let plan = dir.run(&["plan", "-no-color"]).success();
    let text = plan.flat_output();
    assert!(
        text.contains("Warning: Port name not in the task definition"),
        "{plan}"
    );
    assert!(text.contains("It has: payments-7070-tcp."), "{plan}");
    assert!(
        text.contains("Warning: ECS service not found (yet)"),
        "{plan}"
    );

    let destroy = dir.run(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(destroy.code, 0, "destroy is not blocked:\n{destroy}");
    assert!(namespaces(&emulator).await.is_empty(), "namespace left");
    assert!(
        primary_service_connect(&emulator, "backend")
            .await
            .is_none_or(|c| !c.enabled()),
        "backend still wired"
    );
}

/// A second cluster with the seed's services, for moving the mesh.
async fn seed_cluster(emulator: &Emulator, cluster: &str) {
    let ecs = emulator.ecs();
    ecs.create_cluster()
        .cluster_name(cluster)
        .send()
        .await
        .expect("creating the cluster");
    for (service, port_name, port) in world::SERVERS.iter().chain([&world::CLIENT]) {
        world::create_service_in(&ecs, cluster, service, &[(Some(port_name), *port)]).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn changing_the_cluster_replaces_the_mesh() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    seed_cluster(&emulator, "staging").await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &config(seed_mesh(&world, CLUSTER)));
    dir.apply();
    let first_namespace = namespaces(&emulator).await["internal.myapp"].clone();

    dir.write("main.tf", &config(seed_mesh(&world, "staging")));
    let plan = dir.run(&["plan", "-no-color"]).success();
    let text = plan.flat_output();
    assert!(text.contains("must be replaced"), "{plan}");
    assert!(!text.contains("Namespace already exists"), "{plan}");
    assert!(
        !text.contains("set outside this resource"),
        "the old mesh's settings are ours:\n{plan}"
    );

    dir.apply();
    assert!(
        world::primary_service_connect_in(&emulator, "staging", "backend")
            .await
            .is_some_and(|c| c.enabled()),
        "staging wired"
    );
    assert!(
        world::primary_service_connect_in(&emulator, CLUSTER, "backend")
            .await
            .is_none_or(|c| !c.enabled()),
        "prod unwired"
    );
    let after = namespaces(&emulator).await;
    assert_eq!(after.len(), 1, "{after:?}");
    assert_ne!(after["internal.myapp"], first_namespace, "a new namespace");
    dir.assert_no_changes();
    dir.run(&["destroy", "-auto-approve", "-no-color"])
        .success();
    assert!(namespaces(&emulator).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cluster_change_with_create_before_destroy_stops_before_changing_anything() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    seed_cluster(&emulator, "staging").await;
    let dir = world::workdir(&emulator);
    let cbd =
        |cluster| seed_mesh(&world, cluster).with("lifecycle {\n  create_before_destroy = true\n}");
    dir.write("main.tf", &config(cbd(CLUSTER)));
    dir.apply();

    dir.write("main.tf", &config(cbd("staging")));
    let plan = dir.run(&["plan", "-no-color"]).success();
    assert!(!plan.flat_output().contains("Error:"), "{plan}");
    emulator.reset_counters().await;
    let apply = dir.run(&["apply", "-auto-approve", "-no-color"]);
    assert_ne!(apply.code, 0, "{apply}");
    let text = apply.flat_output();
    assert!(
        text.contains("Error: Creating the service mesh failed"),
        "{apply}"
    );
    assert!(
        text.contains("a servicemesh_internal made it for another ECS cluster"),
        "{apply}"
    );
    assert!(
        text.contains("one private DNS namespace of a name per VPC"),
        "{apply}"
    );
    let counters = emulator.counters().await;
    assert_eq!(counters.calls("ecs:UpdateService"), 0);
    assert_eq!(
        counters.calls("servicediscovery:CreatePrivateDnsNamespace"),
        0
    );
    assert!(
        world::primary_service_connect_in(&emulator, CLUSTER, "backend")
            .await
            .is_some_and(|c| c.enabled())
    );
    // Terraform kept the old object as the current one.
    let state = dir.state();
    let values = &state["values"]["root_module"]["resources"][0]["values"];
    assert_eq!(values["cluster"], CLUSTER, "{state}");

    // Without create_before_destroy the same change goes through.
    dir.write("main.tf", &config(seed_mesh(&world, "staging")));
    dir.apply();
    assert!(
        world::primary_service_connect_in(&emulator, "staging", "backend")
            .await
            .is_some_and(|c| c.enabled())
    );
    assert!(
        world::primary_service_connect_in(&emulator, CLUSTER, "backend")
            .await
            .is_none_or(|c| !c.enabled())
    );
    dir.assert_no_changes();
}

#[tokio::test(flavor = "multi_thread")]
async fn namespace_id_with_default_tags_applies_consistently() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let namespace_id = world::hand_made_namespace(&emulator, "shared.myapp", &world.vpc_id).await;
    let dir = world::workdir(&emulator);
    dir.write(
        "main.tf",
        &Config::new()
            .provider("default_tags {\n  tags = { managed-by = \"terraform\" }\n}")
            .mesh(
                Mesh::on_namespace_id(CLUSTER, &namespace_id)
                    .servers(&SERVERS[..2])
                    .client(CLIENT.0),
            )
            .to_string(),
    );
    let apply = dir.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(apply.code, 0, "{apply}");
    assert!(!apply.output().contains("inconsistent result"), "{apply}");
    let state = dir.state();
    let values = &state["values"]["root_module"]["resources"][0]["values"];
    assert_eq!(values["tags_all"], json!({}), "not our namespace: no tags");
    dir.assert_no_changes();
    dir.run(&["destroy", "-auto-approve", "-no-color"])
        .success();
    assert!(
        namespaces(&emulator).await.contains_key("shared.myapp"),
        "a namespace given by id is never deleted"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tainted_mesh_is_replaced_without_foreign_settings_warnings() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &config(seed_mesh(&world, CLUSTER)));
    dir.apply();
    dir.run(&["taint", "-no-color", "servicemesh_internal.mesh"])
        .success();

    let plan = dir.run(&["plan", "-no-color"]).success();
    let text = plan.flat_output();
    assert!(text.contains("is tainted, so must be replaced"), "{plan}");
    assert!(
        !text.contains("Service Connect set outside this resource"),
        "the services carry this resource's own settings:\n{plan}"
    );
    dir.apply();
    assert!(
        primary_service_connect(&emulator, "backend")
            .await
            .is_some()
    );
    dir.assert_no_changes();
}
