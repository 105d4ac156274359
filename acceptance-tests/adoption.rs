//! Bringing a console-built mesh under Terraform without recreating or redeploying
//! anything: import by identity, `terraform query` with generated configuration, and a
//! `moved` block from hashicorp/aws's namespace resource.

use aws_sdk_ecs::types::ServiceConnectConfiguration;

use crate::support::emulator::Emulator;
use crate::support::hcl::{Config, Mesh, list_all};
use crate::support::terraform::{core_lacks, provider_binary};
use crate::support::world::{self, CLUSTER, SERVERS, World, namespaces, seed};

/// The console-built mesh of every seeded server, as configuration.
fn console_mesh(world: &World) -> Mesh {
    world.mesh(SERVERS)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_identity_import_adopts_the_console_mesh_with_a_no_op_plan() {
    if core_lacks(1, 12, "An import block by identity") {
        return;
    }
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let namespace_id = world::console_built_mesh(&emulator, &world, SERVERS).await;
    let dir = world::workdir(&emulator);
    let import = format!(
        "import {{\n  to       = servicemesh_internal.mesh\n  identity = {{ cluster = \"{CLUSTER}\", namespace_id = \"{namespace_id}\" }}\n}}"
    );
    // An identity names the namespace by id: the mesh wires onto it without owning it
    // (the console made it), as a `namespace_id` configuration says.
    let on_id = Mesh::on_namespace_id(CLUSTER, &namespace_id)
        .servers(SERVERS)
        .client(world::CLIENT.0);
    let config = Config::new().block(&import).mesh(on_id);
    dir.write("main.tf", &config.to_string());
    emulator.reset_counters().await;
    let apply = dir.apply();
    assert!(
        apply
            .stdout
            .contains("1 imported, 0 added, 0 changed, 0 destroyed"),
        "{apply}"
    );
    assert_eq!(
        emulator.counters().await.calls("ecs:UpdateService"),
        0,
        "nothing redeployed"
    );
    dir.assert_no_changes();
    let state = dir.state();
    let identity = &state["values"]["root_module"]["resources"][0]["identity"];
    assert_eq!(identity["cluster"], CLUSTER, "{state}");
    assert_eq!(identity["namespace_id"], namespace_id.as_str(), "{state}");
    assert_eq!(identity["region"], "us-east-1", "{state}");
    let values = &state["values"]["root_module"]["resources"][0]["values"];
    assert_eq!(values["namespace_owned"], false, "{state}");
}

#[tokio::test(flavor = "multi_thread")]
async fn query_finds_the_mesh_and_its_generated_config_imports_without_changes() {
    if core_lacks(1, 14, "`terraform query`") {
        return;
    }
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let namespace_id = world::console_built_mesh(&emulator, &world, SERVERS).await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &Config::new().to_string());
    dir.write("mesh.tfquery.hcl", &list_all(CLUSTER));
    let query = dir.run(&["query", "-no-color"]).success();
    assert!(
        query.stdout.contains(&namespace_id),
        "the result names the namespace:\n{query}"
    );
    assert!(
        query.stdout.contains("3 client-and-server, 1 client-only"),
        "{query}"
    );

    dir.run(&["query", "-no-color", "-generate-config-out=generated.tf"])
        .success();
    let generated = std::fs::read_to_string(dir.path().join("generated.tf")).expect("generated.tf");
    assert!(
        generated.contains("import {") && generated.contains("servicemesh_internal"),
        "{generated}"
    );
    emulator.reset_counters().await;
    let apply = dir.apply();
    assert!(
        apply
            .stdout
            .contains("1 imported, 0 added, 0 changed, 0 destroyed"),
        "{apply}\n{generated}"
    );
    assert_eq!(
        emulator.counters().await.calls("ecs:UpdateService"),
        0,
        "nothing redeployed"
    );
    dir.assert_no_changes();
}

/// A state as hashicorp/aws leaves it for `aws_service_discovery_private_dns_namespace`.
fn aws_provider_state(namespace_id: &str, arn: &str, hosted_zone: &str, vpc_id: &str) -> String {
    serde_json::json!({
        "version": 4,
        "terraform_version": "1.15.5",
        "serial": 1,
        "lineage": "6a1d9a52-5a5e-4d53-9b7e-0e0c6a2c9f01",
        "outputs": {},
        "resources": [{
            "mode": "managed",
            "type": "aws_service_discovery_private_dns_namespace",
            "name": "internal",
            "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
            "instances": [{
                "schema_version": 0,
                "attributes": {
                    "arn": arn,
                    "description": "",
                    "hosted_zone": hosted_zone,
                    "id": namespace_id,
                    "name": "internal.myapp",
                    "tags": {"team": "platform"},
                    "tags_all": {"team": "platform"},
                    "vpc": vpc_id
                },
                "sensitive_attributes": [],
                "private": "bnVsbA=="
            }]
        }],
        "check_results": null
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_moved_block_takes_over_the_aws_providers_namespace_without_recreating_it() {
    if core_lacks(1, 8, "A moved block from another resource type") {
        return;
    }
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    emulator
        .cloudmap()
        .create_private_dns_namespace()
        .name("internal.myapp")
        .vpc(&world.vpc_id)
        .tags(
            aws_sdk_servicediscovery::types::Tag::builder()
                .key("team")
                .value("platform")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("creating the namespace");
    emulator.finish_cloudmap_operations().await;
    let namespace_id = namespaces(&emulator).await["internal.myapp"].clone();
    let namespace = emulator
        .cloudmap()
        .get_namespace()
        .id(&namespace_id)
        .send()
        .await
        .expect("GetNamespace")
        .namespace()
        .cloned()
        .expect("namespace");
    let hosted_zone = namespace
        .properties()
        .and_then(|p| p.dns_properties())
        .and_then(|d| d.hosted_zone_id())
        .unwrap_or_default()
        .to_string();

    let mut dir = world::workdir(&emulator);
    // hashicorp/aws cannot be installed here, and Terraform wants a binary for every
    // provider in the state. A stand-in (our own binary under the AWS provider's name)
    // satisfies that; Terraform hands the moved state to servicemesh's
    // MoveResourceState and never asks the stand-in about it.
    let stand_in = dir.path().parent().expect("root").join("aws-stand-in");
    std::fs::create_dir_all(&stand_in).expect("stand-in dir");
    std::os::unix::fs::symlink(provider_binary(), stand_in.join("terraform-provider-aws"))
        .expect("symlink");
    let cli_config = dir.path().parent().expect("root").join("moved.rc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  dev_overrides {{\n    \"servicemesh/servicemesh\" = \"{}\"\n    \"hashicorp/aws\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            provider_binary().parent().expect("bin dir").display(),
            stand_in.display()
        ),
    )
    .expect("CLI config");
    dir.set_env("TF_CLI_CONFIG_FILE", cli_config.display().to_string());
    dir.write(
        "terraform.tfstate",
        &aws_provider_state(
            &namespace_id,
            namespace.arn().unwrap_or_default(),
            &hosted_zone,
            &world.vpc_id,
        ),
    );
    let moved = "moved {\n  from = aws_service_discovery_private_dns_namespace.internal\n  to   = servicemesh_internal.mesh\n}";
    let tagged = console_mesh(&world).with(r#"tags = { team = "platform" }"#);
    dir.write(
        "main.tf",
        &Config::new().block(moved).mesh(tagged).to_string(),
    );

    let plan = dir.run(&["plan", "-no-color"]).success();
    assert!(
        plan.stdout
            .contains("(moved from aws_service_discovery_private_dns_namespace.internal)"),
        "{plan}"
    );
    assert!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{plan}"
    );
    emulator.reset_counters().await;
    dir.apply();
    let counters = emulator.counters().await;
    assert_eq!(
        counters.calls("servicediscovery:CreatePrivateDnsNamespace"),
        0,
        "not recreated"
    );
    assert_eq!(
        counters.calls("servicediscovery:DeleteNamespace"),
        0,
        "not deleted"
    );
    assert_eq!(namespaces(&emulator).await["internal.myapp"], namespace_id);
    dir.assert_no_changes();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_plan_says_plainly_when_service_connect_was_set_elsewhere() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    // Someone wired backend by hand into another namespace.
    emulator
        .cloudmap()
        .create_private_dns_namespace()
        .name("legacy.myapp")
        .vpc(&world.vpc_id)
        .send()
        .await
        .expect("creating the other namespace");
    emulator.finish_cloudmap_operations().await;
    let config = ServiceConnectConfiguration::builder()
        .enabled(true)
        .namespace("legacy.myapp")
        .build();
    world::set_service_connect(&emulator, "backend", config).await;

    let dir = world::workdir(&emulator);
    dir.write(
        "main.tf",
        &Config::new().mesh(console_mesh(&world)).to_string(),
    );
    let plan = dir.run(&["plan", "-no-color"]).success();
    let text = plan.flat_output();
    assert!(
        text.contains("Warning: Service Connect set outside this resource"),
        "{plan}"
    );
    assert!(
        text.contains(
            "ECS service prod/backend already has Service Connect (namespace legacy.myapp)"
        ),
        "{plan}"
    );
    assert!(
        text.contains("ignore_changes = [service_connect_configuration]"),
        "{plan}"
    );
    assert!(
        !text.contains("prod/orders already has"),
        "untouched services are not flagged:\n{plan}"
    );
}
