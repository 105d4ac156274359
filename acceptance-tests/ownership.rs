//! Never destroy what is not ours (issue 15): a destroy deletes only the Cloud Map
//! services ECS made for this mesh's services, keeps a namespace that others still use
//! (and says who), `force_destroy` deletes only what ECS made for the others, and
//! ownership follows the configuration's form, also after import.

use aws_sdk_ecs::types::{
    ServiceConnectClientAlias, ServiceConnectConfiguration, ServiceConnectService,
};

use crate::support::emulator::Emulator;
use crate::support::hcl::{Config, Mesh};
use crate::support::terraform::{Outcome, Workdir};
use crate::support::world::{
    self, CLUSTER, SERVERS, World, cloud_map_services, create_service_in,
    hand_made_cloud_map_service, namespaces, primary_service_connect, seed,
};

const OTHER_CLUSTER: &str = "other";

/// Applies the seed's mesh (owning `internal.myapp`), optionally with more settings;
/// returns the working directory and the namespace id.
fn applied(emulator: &Emulator, world: &World, extra: Option<&str>) -> (Workdir, String) {
    let dir = world::workdir(emulator);
    let mut mesh = world.mesh(&SERVERS[..2]);
    if let Some(extra) = extra {
        mesh = mesh.with(extra);
    }
    dir.write("main.tf", &Config::new().mesh(mesh).to_string());
    dir.apply();
    let state = dir.state();
    let id = state["values"]["root_module"]["resources"][0]["values"]["id"]
        .as_str()
        .expect("the mesh's id")
        .to_string();
    (dir, id)
}

/// An ECS service `api` in another cluster, serving in the namespace `internal.myapp`:
/// ECS makes its Cloud Map service `api-other`.
async fn other_clusters_server(emulator: &Emulator) {
    let ecs = emulator.ecs();
    ecs.create_cluster()
        .cluster_name(OTHER_CLUSTER)
        .send()
        .await
        .expect("creating the other cluster");
    create_service_in(&ecs, OTHER_CLUSTER, "api", &[(Some("api-8080-tcp"), 8080)]).await;
    let entry = ServiceConnectService::builder()
        .port_name("api-8080-tcp")
        .discovery_name("api-other")
        .client_aliases(
            ServiceConnectClientAlias::builder()
                .port(8080)
                .dns_name("api-other.internal.myapp")
                .build()
                .expect("alias"),
        )
        .build()
        .expect("entry");
    ecs.update_service()
        .cluster(OTHER_CLUSTER)
        .service("api")
        .service_connect_configuration(
            ServiceConnectConfiguration::builder()
                .enabled(true)
                .namespace("internal.myapp")
                .services(entry)
                .build(),
        )
        .send()
        .await
        .expect("wiring the other cluster's service");
}

fn destroy(dir: &Workdir) -> Outcome {
    dir.run(&["destroy", "-auto-approve", "-no-color"])
}

/// A destroy that must stop before deleting the namespace: what it printed, on one line
/// per paragraph, after checking that the namespace is still there and untouched.
async fn stopped_destroy(emulator: &Emulator, dir: &Workdir) -> (Outcome, String) {
    emulator.reset_counters().await;
    let failed = destroy(dir);
    assert_ne!(failed.code, 0, "the destroy must stop:\n{failed}");
    assert_eq!(
        emulator
            .counters()
            .await
            .calls("servicediscovery:DeleteNamespace"),
        0
    );
    assert!(namespaces(emulator).await.contains_key("internal.myapp"));
    let text = failed.flat_output();
    (failed, text)
}

/// Our services are off and their Cloud Map services gone, whatever else stayed.
async fn assert_mesh_taken_down(emulator: &Emulator) {
    for (service, _, _) in &SERVERS[..2] {
        let connect = primary_service_connect(emulator, service).await;
        assert!(
            connect.as_ref().is_none_or(|sc| !sc.enabled()),
            "{service} still has Service Connect: {connect:?}"
        );
    }
    let left = cloud_map_services(emulator).await;
    for (service, _, _) in &SERVERS[..2] {
        assert!(
            !left.iter().any(|name| name == service),
            "{service}'s Cloud Map service is left: {left:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hand_registered_cloud_map_service_keeps_the_namespace_and_is_named() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let (dir, namespace_id) = applied(&emulator, &world, None);
    hand_made_cloud_map_service(&emulator, &namespace_id, "erp", Some("10.0.3.12")).await;

    let (failed, text) = stopped_destroy(&emulator, &dir).await;
    assert!(
        text.contains("The destroy will keep the namespace") && text.contains("erp"),
        "the destroy plan warns first, naming erp:\n{failed}"
    );
    assert!(
        text.contains("Namespace still in use")
            && text.contains("erp (not made by ECS)")
            && text.contains("terraform state rm"),
        "the error names erp and the ways on:\n{failed}"
    );
    assert!(
        text.contains("The destroy stopped halfway")
            && text
                .contains("Service Connect is off on: backend, frontend, orders. Still on: none."),
        "the error says what was done and what was not:\n{failed}"
    );
    assert_eq!(
        emulator
            .counters()
            .await
            .calls("servicediscovery:DeleteService"),
        2,
        "only backend's and orders' Cloud Map services"
    );
    assert_eq!(cloud_map_services(&emulator).await, vec!["erp".to_string()]);
    assert_mesh_taken_down(&emulator).await;

    // Once erp has moved out, the same destroy finishes.
    let cloudmap = emulator.cloudmap();
    let erp = cloudmap
        .list_services()
        .send()
        .await
        .expect("listing")
        .services()[0]
        .id()
        .expect("erp's id")
        .to_string();
    cloudmap
        .deregister_instance()
        .service_id(&erp)
        .instance_id("erp-1")
        .send()
        .await
        .expect("deregistering erp");
    emulator.finish_cloudmap_operations().await;
    cloudmap
        .delete_service()
        .id(&erp)
        .send()
        .await
        .expect("deleting erp");
    destroy(&dir).success();
    assert!(!namespaces(&emulator).await.contains_key("internal.myapp"));
}

#[tokio::test(flavor = "multi_thread")]
async fn another_clusters_service_keeps_the_namespace_until_force_destroy() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let (dir, _) = applied(&emulator, &world, None);
    other_clusters_server(&emulator).await;

    let (failed, text) = stopped_destroy(&emulator, &dir).await;
    assert!(
        text.contains("other/api") && text.contains("api-other"),
        "names the other cluster's service and its Cloud Map service:\n{failed}"
    );
    assert_mesh_taken_down(&emulator).await;

    // force_destroy, applied in place, then the destroy deletes what ECS made for the
    // other service, and the namespace.
    let forced = world.mesh(&SERVERS[..2]).with("force_destroy = true");
    dir.write("main.tf", &Config::new().mesh(forced).to_string());
    let apply = dir.apply();
    assert!(
        apply.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{apply}"
    );
    emulator.reset_counters().await;
    let destroyed = destroy(&dir).success();
    assert!(
        destroyed
            .flat_output()
            .contains("force_destroy deletes what others made in the namespace"),
        "the plan says what force_destroy will delete:\n{destroyed}"
    );
    let counters = emulator.counters().await;
    assert_eq!(counters.calls("servicediscovery:DeleteNamespace"), 1);
    assert!(!namespaces(&emulator).await.contains_key("internal.myapp"));
    assert!(cloud_map_services(&emulator).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn force_destroy_never_deletes_a_service_ecs_did_not_make() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let (dir, namespace_id) = applied(&emulator, &world, Some("force_destroy = true"));
    other_clusters_server(&emulator).await;
    hand_made_cloud_map_service(&emulator, &namespace_id, "erp", None).await;

    let (failed, text) = stopped_destroy(&emulator, &dir).await;
    assert!(
        text.contains("force_destroy deletes only the Cloud Map services ECS made, never erp"),
        "{failed}"
    );
    let mut left = cloud_map_services(&emulator).await;
    left.sort();
    assert_eq!(
        left,
        vec!["api-other".to_string(), "erp".to_string()],
        "nothing of the others is deleted while one of them cannot be"
    );
}

/// A console-built mesh of the seed, configured on its namespace by id and imported
/// with `import_id(namespace id)`.
async fn console_mesh_imported(
    emulator: &Emulator,
    world: &World,
    import_id: impl Fn(&str) -> String,
) -> Workdir {
    let namespace_id = world::console_built_mesh(emulator, world, &SERVERS[..2]).await;
    let dir = world::workdir(emulator);
    let on_id = Mesh::on_namespace_id(CLUSTER, &namespace_id)
        .servers(&SERVERS[..2])
        .client(world::CLIENT.0);
    dir.write("main.tf", &Config::new().mesh(on_id).to_string());
    let id = import_id(&namespace_id);
    dir.run(&["import", "-no-color", "servicemesh_internal.mesh", &id])
        .success();
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn a_console_mesh_imported_for_namespace_id_survives_destroy() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = console_mesh_imported(&emulator, &world, |id| format!("{CLUSTER}/{id}")).await;
    dir.assert_no_changes();
    // Naming it with namespace and vpc_id instead would take ownership, in place, and
    // the plan says what that means.
    let on_id = std::fs::read_to_string(dir.path().join("main.tf")).expect("main.tf");
    dir.write(
        "main.tf",
        &Config::new().mesh(world.mesh(&SERVERS[..2])).to_string(),
    );
    let plan = dir.assert_changes();
    assert!(
        plan.flat_output()
            .contains("Warning: The mesh takes ownership of its namespace")
            && !plan.stdout.contains("forces replacement"),
        "{plan}"
    );
    dir.write("main.tf", &on_id);
    assert_eq!(dir.resource_values()["namespace_owned"], false);
    emulator.reset_counters().await;
    destroy(&dir).success();
    assert_eq!(
        emulator
            .counters()
            .await
            .calls("servicediscovery:DeleteNamespace"),
        0
    );
    assert!(namespaces(&emulator).await.contains_key("internal.myapp"));
    assert_mesh_taken_down(&emulator).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ownership_follows_the_configuration_in_place_after_an_import_by_name() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    // By name, an import takes ownership; the namespace_id configuration gives it back.
    let dir =
        console_mesh_imported(&emulator, &world, |_| format!("{CLUSTER}/internal.myapp")).await;
    let plan = dir.assert_changes();
    assert!(
        plan.stdout.contains("namespace_owned") && plan.stdout.contains("1 to change"),
        "{plan}"
    );
    assert!(!plan.stdout.contains("forces replacement"), "{plan}");
    emulator.reset_counters().await;
    dir.apply();
    let counters = emulator.counters().await;
    assert_eq!(
        counters.calls("ecs:UpdateService") + counters.calls("servicediscovery:TagResource"),
        0,
        "a change of ownership changes nothing in AWS"
    );
    destroy(&dir).success();
    assert!(namespaces(&emulator).await.contains_key("internal.myapp"));
}

/// The hosted zone of the namespace `namespace_id`.
async fn hosted_zone(emulator: &Emulator, namespace_id: &str) -> String {
    emulator
        .cloudmap()
        .get_namespace()
        .id(namespace_id)
        .send()
        .await
        .expect("reading the namespace")
        .namespace()
        .and_then(|ns| ns.properties())
        .and_then(|p| p.dns_properties())
        .and_then(|dns| dns.hosted_zone_id())
        .expect("a private DNS namespace has a hosted zone")
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_zone_serving_two_vpcs_imports_with_an_empty_plan() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let namespace_id = world::console_built_mesh(&emulator, &world, &SERVERS[..2]).await;
    let zone = hosted_zone(&emulator, &namespace_id).await;
    let second = world::second_vpc_for_zone(&emulator, &zone, "10.1.0.0/16").await;
    let dir = world::workdir(&emulator);
    let in_vpc = |vpc: &str| {
        Mesh::owned(CLUSTER, vpc)
            .servers(&SERVERS[..2])
            .client(world::CLIENT.0)
    };
    dir.write(
        "main.tf",
        &Config::new().mesh(in_vpc(&world.vpc_id)).to_string(),
    );
    dir.run(&[
        "import",
        "-no-color",
        "servicemesh_internal.mesh",
        &format!("{CLUSTER}/internal.myapp"),
    ])
    .success();
    dir.assert_no_changes();

    // The other VPC the zone serves is the same namespace: the state follows, no more.
    dir.write("main.tf", &Config::new().mesh(in_vpc(&second)).to_string());
    let plan = dir.assert_changes();
    assert!(
        plan.stdout.contains("vpc_id") && !plan.stdout.contains("forces replacement"),
        "{plan}"
    );
    emulator.reset_counters().await;
    dir.apply();
    let counters = emulator.counters().await;
    for write in [
        "servicediscovery:CreatePrivateDnsNamespace",
        "servicediscovery:DeleteNamespace",
        "ecs:UpdateService",
    ] {
        assert_eq!(counters.calls(write), 0, "{write}");
    }
    dir.assert_no_changes();

    // A VPC the zone does not serve is another namespace.
    let third = emulator.create_vpc("10.2.0.0/16").await;
    dir.write("main.tf", &Config::new().mesh(in_vpc(&third)).to_string());
    let plan = dir.assert_changes();
    assert!(plan.stdout.contains("forces replacement"), "{plan}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_namespace_shared_through_ram_is_wired_by_arn_and_never_deleted() {
    use crate::support::emulator::ShareNamespace;
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let shared = emulator
        .share_namespace(ShareNamespace::private_dns("shared.corp").vpc(&world.vpc_id))
        .await;
    let dir = world::workdir(&emulator);
    let mesh = Mesh::on_namespace_id(CLUSTER, &shared.arn)
        .servers(&SERVERS[..2])
        .client(world::CLIENT.0);
    dir.write("main.tf", &Config::new().mesh(mesh).to_string());
    dir.apply();
    dir.assert_no_changes();
    let values = &dir.resource_values();
    assert_eq!(values["namespace_id"], shared.arn.as_str(), "{values}");
    assert_eq!(values["id"], shared.id.as_str(), "{values}");
    assert_eq!(values["namespace_owned"], false, "{values}");
    assert_eq!(
        values["endpoints"]["backend"], "backend.shared.corp:8080",
        "{values}"
    );
    let backend = primary_service_connect(&emulator, "backend")
        .await
        .expect("backend wired");
    assert_eq!(backend.namespace(), Some(shared.arn.as_str()));

    emulator.reset_counters().await;
    destroy(&dir).success();
    let counters = emulator.counters().await;
    assert_eq!(counters.calls("servicediscovery:DeleteNamespace"), 0);
    assert!(namespaces(&emulator).await.contains_key("shared.corp"));
    assert_mesh_taken_down(&emulator).await;
}
