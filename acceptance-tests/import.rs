//! Importing a mesh built by hand, and retrying a create that died halfway.

use crate::support::emulator::{Emulator, Fault};
use crate::support::hcl::{Config, Mesh, import_block};
use crate::support::world::{self, CLUSTER, SERVERS, World, namespaces, seed};

/// What [`world::console_built_mesh`] of the first two servers is, as configuration.
fn matching_mesh(world: &World) -> Mesh {
    world.mesh(&SERVERS[..2])
}

const MUTATING: &[&str] = &[
    "ecs:UpdateService",
    "ecs:CreateService",
    "ecs:DeleteService",
    "servicediscovery:CreatePrivateDnsNamespace",
    "servicediscovery:UpdatePrivateDnsNamespace",
    "servicediscovery:DeleteNamespace",
    "servicediscovery:DeleteService",
    "servicediscovery:TagResource",
    "servicediscovery:UntagResource",
];

#[tokio::test(flavor = "multi_thread")]
async fn imports_by_cli_with_no_mutating_call_and_plans_empty() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    world::console_built_mesh(&emulator, &world, &SERVERS[..2]).await;
    let dir = world::workdir(&emulator);
    dir.write(
        "main.tf",
        &Config::new().mesh(matching_mesh(&world)).to_string(),
    );

    emulator.reset_counters().await;
    let import = dir.run(&[
        "import",
        "-no-color",
        "servicemesh_internal.mesh",
        "prod/internal.myapp",
    ]);
    assert_eq!(import.code, 0, "{import}");
    let counters = emulator.counters().await;
    for operation in MUTATING {
        assert_eq!(counters.calls(operation), 0, "{operation} during import");
    }
    // A configuration matching the console-built mesh plans no changes.
    dir.assert_no_changes();
    let state = dir.state();
    let values = &state["values"]["root_module"]["resources"][0]["values"];
    assert_eq!(
        values["vpc_id"],
        world.vpc_id.as_str(),
        "VPC found through the hosted zone"
    );
    assert_eq!(values["namespace_owned"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn imports_by_block_with_an_arn_cluster_and_a_namespace_id() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let namespace_id = world::console_built_mesh(&emulator, &world, &SERVERS[..2]).await;
    let cluster_arn = emulator
        .ecs()
        .describe_clusters()
        .clusters(CLUSTER)
        .send()
        .await
        .expect("describing the cluster")
        .clusters()[0]
        .cluster_arn()
        .expect("cluster ARN")
        .to_string();
    let import = import_block(&format!("{cluster_arn}/{namespace_id}"));
    let dir = world::workdir(&emulator);
    // The configuration names the cluster by ARN too (as `aws_ecs_cluster.this.id`
    // does): the imported state keeps that form, so nothing changes.
    // By id, the import wires onto the namespace (the console made it) without owning
    // it, as the namespace_id configuration says.
    let by_arn = Mesh::on_namespace_id(&cluster_arn, &namespace_id)
        .servers(&SERVERS[..2])
        .client(world::CLIENT.0);
    let config = Config::new().block(&import).mesh(by_arn);
    dir.write("main.tf", &config.to_string());
    let plan = dir.run(&["plan", "-no-color"]).success();
    assert!(
        plan.stdout
            .contains("1 to import, 0 to add, 0 to change, 0 to destroy"),
        "{plan}"
    );
    emulator.reset_counters().await;
    dir.apply();
    assert_eq!(
        emulator.counters().await.calls("ecs:UpdateService"),
        0,
        "adopting redeploys nothing"
    );
    dir.assert_no_changes();
}

#[tokio::test(flavor = "multi_thread")]
async fn import_ids_that_match_nothing_or_several_namespaces_are_refused_clearly() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    world::console_built_mesh(&emulator, &world, &SERVERS[..2]).await;
    let dir = world::workdir(&emulator);
    dir.write(
        "main.tf",
        &Config::new().mesh(matching_mesh(&world)).to_string(),
    );

    let missing = dir.run(&[
        "import",
        "-no-color",
        "servicemesh_internal.mesh",
        "prod/nothing.myapp",
    ]);
    assert_eq!(missing.code, 1, "{missing}");
    assert!(
        missing
            .output()
            .contains("No Cloud Map namespace is named \"nothing.myapp\""),
        "{missing}"
    );

    let malformed = dir.run(&[
        "import",
        "-no-color",
        "servicemesh_internal.mesh",
        "internal.myapp",
    ]);
    assert_eq!(malformed.code, 1, "{malformed}");
    assert!(
        malformed.output().contains("<cluster>/<namespace>"),
        "{malformed}"
    );

    // An HTTP namespace of the same name makes the name ambiguous.
    emulator
        .cloudmap()
        .create_http_namespace()
        .name("internal.myapp")
        .send()
        .await
        .expect("creating an HTTP namespace");
    emulator.finish_cloudmap_operations().await;
    let ambiguous = dir.run(&[
        "import",
        "-no-color",
        "servicemesh_internal.mesh",
        "prod/internal.myapp",
    ]);
    assert_eq!(ambiguous.code, 1, "{ambiguous}");
    let output = ambiguous.output();
    assert!(
        output.contains("2 namespaces are named \"internal.myapp\""),
        "{output}"
    );
    assert!(
        output.contains("DNS_PRIVATE") && output.contains("HTTP"),
        "{output}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_cut_off_after_the_namespace_request_adopts_it_on_retry() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    let config = Config::new().no_retries().mesh(matching_mesh(&world));
    dir.write("main.tf", &config.to_string());
    // The network drops right after CreatePrivateDnsNamespace: polling fails.
    let fault = emulator
        .inject_fault(Fault::server_error("servicediscovery:GetOperation").after(0))
        .await;
    let apply = dir.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(apply.code, 1, "{apply}");
    emulator.remove_fault(fault).await;
    // AWS finishes the operation on its own.
    emulator.finish_cloudmap_operations().await;
    assert_eq!(namespaces(&emulator).await.len(), 1);

    emulator.reset_counters().await;
    dir.apply();
    assert_eq!(
        emulator
            .counters()
            .await
            .calls("servicediscovery:CreatePrivateDnsNamespace"),
        0,
        "the retry adopts the first try's namespace"
    );
    assert_eq!(
        namespaces(&emulator).await.len(),
        1,
        "never a second namespace"
    );
    dir.assert_no_changes();
}

/// A namespace another account shares through AWS RAM, wired by hand and imported by its
/// ARN: its private hosted zone is in the owner's account, which this account cannot read,
/// so the import records no VPC (as a configuration naming it by `namespace_id` has none)
/// rather than failing, and the import plans empty.
#[tokio::test(flavor = "multi_thread")]
async fn a_mesh_on_a_namespace_shared_through_ram_imports_by_arn() {
    use crate::support::emulator::ShareNamespace;
    use aws_sdk_ecs::types::{
        ServiceConnectClientAlias, ServiceConnectConfiguration, ServiceConnectService,
    };
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let shared = emulator
        .share_namespace(ShareNamespace::private_dns("shared.corp").vpc(&world.vpc_id))
        .await;
    let (service, port_name, port) = SERVERS[0];
    let entry = ServiceConnectService::builder()
        .port_name(port_name)
        .discovery_name(service)
        .client_aliases(
            ServiceConnectClientAlias::builder()
                .port(port)
                .dns_name(format!("{service}.shared.corp"))
                .build()
                .expect("alias"),
        )
        .build()
        .expect("entry");
    let config = ServiceConnectConfiguration::builder()
        .enabled(true)
        .namespace(&shared.arn)
        .services(entry)
        .build();
    world::set_service_connect(&emulator, service, config).await;

    let dir = world::workdir(&emulator);
    let mesh = Mesh::on_namespace_id(CLUSTER, &shared.arn).server(service, port_name);
    dir.write(
        "main.tf",
        &Config::new()
            .mesh(mesh)
            .block(&import_block(&format!("{CLUSTER}/{}", shared.arn)))
            .to_string(),
    );
    let plan = dir.run(&["plan", "-no-color"]).success();
    assert!(
        plan.stdout
            .contains("1 to import, 0 to add, 0 to change, 0 to destroy"),
        "{plan}"
    );
    dir.apply();
    dir.assert_no_changes();
    let values = &dir.resource_values();
    assert_eq!(values["namespace_id"], shared.arn.as_str(), "{values}");
    assert_eq!(values["namespace_owned"], false, "{values}");
}
