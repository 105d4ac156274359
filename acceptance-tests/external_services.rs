//! Standalone servers named in the namespace (issue 19): `external_services` through
//! real Terraform against the local AWS: created and resolvable, changed by difference,
//! drift shown and repaired, imported, and gone before the namespace on destroy.

use std::collections::BTreeMap;

use crate::support::emulator::Emulator;
use crate::support::hcl::{Config, Mesh, NAMESPACE, import_block, list_all};
use crate::support::terraform::Workdir;
use crate::support::world::{self, CLUSTER, SERVERS, World, seed};

const ERP: &str = r#"erp    = { addresses = ["10.0.3.12"], port = 8069 }"#;
const SALEOR: &str =
    r#"saleor = { addresses = ["10.0.4.20", "10.0.4.21"], port = 8000, ttl = 30 }"#;

/// The seed's mesh with these `external_services` entries.
fn mesh_with(world: &World, entries: &[&str]) -> Mesh {
    let lines: String = entries.iter().map(|e| format!("  {e}\n")).collect();
    world
        .mesh(&SERVERS[..1])
        .with(&format!("external_services = {{\n{lines}}}"))
}

fn write(dir: &Workdir, mesh: Mesh) {
    dir.write(
        "main.tf",
        &Config::new().mesh(mesh).endpoints_output().to_string(),
    );
}

/// The Cloud Map service of that name in any namespace: its id and its records' TTL.
async fn cloud_map_service(emulator: &Emulator, name: &str) -> Option<(String, Option<i64>)> {
    let cloudmap = emulator.cloudmap();
    let listed = cloudmap.list_services().send().await.expect("ListServices");
    let summary = listed.services().iter().find(|s| s.name() == Some(name))?;
    let id = summary.id().expect("service id").to_string();
    let got = cloudmap
        .get_service()
        .id(&id)
        .send()
        .await
        .expect("GetService");
    let ttl = got
        .service()
        .and_then(|s| s.dns_config())
        .and_then(|d| d.dns_records().first())
        .map(|r| r.ttl());
    Some((id, ttl))
}

/// instance id → its attributes, for the Cloud Map service `name`.
async fn instances(emulator: &Emulator, name: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let Some((id, _)) = cloud_map_service(emulator, name).await else {
        return BTreeMap::new();
    };
    let listed = emulator
        .cloudmap()
        .list_instances()
        .service_id(id)
        .send()
        .await
        .expect("ListInstances");
    listed
        .instances()
        .iter()
        .map(|i| {
            let attributes = i
                .attributes()
                .map(|a| a.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            (i.id().unwrap_or_default().to_string(), attributes)
        })
        .collect()
}

async fn addresses(emulator: &Emulator, name: &str) -> Vec<String> {
    instances(emulator, name)
        .await
        .values()
        .filter_map(|a| a.get("AWS_INSTANCE_IPV4").cloned())
        .collect()
}

/// The A records Route 53 answers `<name>.internal.myapp` with, in the namespace's zone.
async fn a_records(emulator: &Emulator, name: &str) -> Vec<String> {
    let route53 = emulator.route53();
    let zones = route53.list_hosted_zones().send().await.expect("zones");
    let Some(zone) = zones
        .hosted_zones()
        .iter()
        .find(|z| z.name().trim_end_matches('.') == NAMESPACE)
    else {
        return Vec::new();
    };
    let records = route53
        .list_resource_record_sets()
        .hosted_zone_id(zone.id())
        .send()
        .await
        .expect("record sets");
    let fqdn = format!("{name}.{NAMESPACE}.");
    let mut values: Vec<String> = records
        .resource_record_sets()
        .iter()
        .filter(|r| r.name() == fqdn && r.r#type().as_str() == "A")
        .flat_map(|r| r.resource_records().iter().map(|v| v.value().to_string()))
        .collect();
    values.sort();
    values
}

#[tokio::test(flavor = "multi_thread")]
async fn standalone_servers_are_named_in_the_namespace_and_changed_by_difference() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    write(&dir, mesh_with(&world, &[ERP, SALEOR]));
    dir.apply();

    assert_eq!(addresses(&emulator, "erp").await, ["10.0.3.12"]);
    let erp = instances(&emulator, "erp").await;
    assert_eq!(
        erp["10.0.3.12"]
            .get("AWS_INSTANCE_PORT")
            .map(String::as_str),
        Some("8069"),
        "instance id is the address, with its port"
    );
    assert_eq!(
        addresses(&emulator, "saleor").await,
        ["10.0.4.20", "10.0.4.21"]
    );
    assert_eq!(
        cloud_map_service(&emulator, "erp").await.and_then(|s| s.1),
        Some(60)
    );
    assert_eq!(
        cloud_map_service(&emulator, "saleor")
            .await
            .and_then(|s| s.1),
        Some(30)
    );
    // Resolvable inside the VPC: the namespace's private zone answers for them.
    assert_eq!(a_records(&emulator, "erp").await, ["10.0.3.12"]);
    assert_eq!(
        a_records(&emulator, "saleor").await,
        ["10.0.4.20", "10.0.4.21"]
    );
    let state = dir.state();
    let endpoints = &state["values"]["root_module"]["resources"][0]["values"]["endpoints"];
    assert_eq!(endpoints["erp"], "erp.internal.myapp:8069");
    assert_eq!(endpoints["saleor"], "saleor.internal.myapp:8000");
    dir.assert_no_changes();

    // One address out, one in, a new TTL: only the difference is sent.
    let saleor = r#"saleor = { addresses = ["10.0.4.20", "10.0.4.22"], port = 8000, ttl = 30 }"#;
    let erp = r#"erp    = { addresses = ["10.0.3.12"], port = 8069, ttl = 120 }"#;
    write(&dir, mesh_with(&world, &[erp, saleor]));
    emulator.reset_counters().await;
    dir.apply();
    let counters = emulator.counters().await;
    assert_eq!(counters.calls("servicediscovery:RegisterInstance"), 1);
    assert_eq!(counters.calls("servicediscovery:DeregisterInstance"), 1);
    assert_eq!(
        counters.calls("servicediscovery:UpdateService"),
        1,
        "the TTL"
    );
    assert_eq!(counters.calls("servicediscovery:CreateService"), 0);
    assert_eq!(
        counters.calls("ecs:UpdateService"),
        0,
        "no ECS service redeployed"
    );
    assert_eq!(
        addresses(&emulator, "saleor").await,
        ["10.0.4.20", "10.0.4.22"]
    );
    assert_eq!(
        cloud_map_service(&emulator, "erp").await.and_then(|s| s.1),
        Some(120)
    );
    dir.assert_no_changes();

    // A server leaves the configuration: deregistered and deleted.
    write(&dir, mesh_with(&world, &[erp]));
    dir.apply();
    assert!(cloud_map_service(&emulator, "saleor").await.is_none());
    dir.assert_no_changes();

    dir.run(&["destroy", "-auto-approve", "-no-color"])
        .success();
    assert!(cloud_map_service(&emulator, "erp").await.is_none());
    assert!(
        world::namespaces(&emulator).await.is_empty(),
        "the namespace is deleted after its standalone servers"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn addresses_changed_outside_terraform_show_in_the_plan_and_are_repaired() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    write(&dir, mesh_with(&world, &[SALEOR]));
    dir.apply();
    let (service_id, _) = cloud_map_service(&emulator, "saleor")
        .await
        .expect("saleor");
    let cloudmap = emulator.cloudmap();
    cloudmap
        .deregister_instance()
        .service_id(&service_id)
        .instance_id("10.0.4.21")
        .send()
        .await
        .expect("deregistering by hand");
    cloudmap
        .register_instance()
        .service_id(&service_id)
        .instance_id("10.0.4.99")
        .attributes("AWS_INSTANCE_IPV4", "10.0.4.99")
        .attributes("AWS_INSTANCE_PORT", "8000")
        .send()
        .await
        .expect("registering by hand");
    // Both take effect when their operations succeed, as on AWS.
    emulator.finish_cloudmap_operations().await;
    let plan = dir.assert_changes();
    assert!(
        plan.stdout.contains("10.0.4.99") && plan.stdout.contains("10.0.4.21"),
        "{plan}"
    );
    dir.apply();
    // Registration is asynchronous in Cloud Map: the apply waited for it.
    assert_eq!(
        addresses(&emulator, "saleor").await,
        ["10.0.4.20", "10.0.4.21"]
    );
    dir.assert_no_changes();
}

#[tokio::test(flavor = "multi_thread")]
async fn standalone_servers_import_and_generate_to_an_empty_plan() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    // Built by one configuration, then forgotten by Terraform.
    let made = world::workdir(&emulator);
    write(&made, mesh_with(&world, &[ERP, SALEOR]));
    made.apply();
    made.run(&["state", "rm", "servicemesh_internal.mesh"])
        .success();

    let dir = world::workdir(&emulator);
    let import = import_block(&format!("{CLUSTER}/{NAMESPACE}"));
    dir.write(
        "main.tf",
        &Config::new()
            .block(&import)
            .mesh(mesh_with(&world, &[ERP, SALEOR]))
            .to_string(),
    );
    emulator.reset_counters().await;
    let imported = dir.apply();
    assert!(
        imported
            .stdout
            .contains("1 imported, 0 added, 0 changed, 0 destroyed"),
        "{imported}"
    );
    let counters = emulator.counters().await;
    for call in [
        "RegisterInstance",
        "DeregisterInstance",
        "CreateService",
        "UpdateService",
    ] {
        assert_eq!(
            counters.calls(&format!("servicediscovery:{call}")),
            0,
            "{call}"
        );
    }
    dir.assert_no_changes();

    let query = world::workdir(&emulator);
    query.write("main.tf", &Config::new().to_string());
    query.write("mesh.tfquery.hcl", &list_all(CLUSTER));
    query
        .run(&["query", "-no-color", "-generate-config-out=generated.tf"])
        .success();
    let generated =
        std::fs::read_to_string(query.path().join("generated.tf")).expect("generated.tf");
    assert!(
        generated.contains("external_services")
            && generated.contains("10.0.4.21")
            && generated.contains("8069"),
        "{generated}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_http_namespace_cannot_hold_standalone_servers() {
    let emulator = Emulator::shared().await;
    seed(&emulator).await;
    let created = emulator
        .cloudmap()
        .create_http_namespace()
        .name("api.myapp")
        .send()
        .await
        .expect("an HTTP namespace");
    let operation = created.operation_id().unwrap_or_default().to_string();
    let mut namespace_id = None;
    for _ in 0..50 {
        let op = emulator
            .cloudmap()
            .get_operation()
            .operation_id(&operation)
            .send()
            .await
            .expect("GetOperation");
        let done = op.operation().and_then(|o| o.status())
            == Some(&aws_sdk_servicediscovery::types::OperationStatus::Success);
        if let Some(id) = op
            .operation()
            .filter(|_| done)
            .and_then(|o| o.targets())
            .and_then(|t| t.get(&aws_sdk_servicediscovery::types::OperationTargetType::Namespace))
        {
            namespace_id = Some(id.clone());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let namespace_id = namespace_id.expect("the HTTP namespace's id");
    let dir = world::workdir(&emulator);
    let mesh = Mesh::on_namespace_id(CLUSTER, &namespace_id)
        .server(SERVERS[0].0, SERVERS[0].1)
        .with(&format!("external_services = {{\n  {ERP}\n}}"));
    dir.write("main.tf", &Config::new().mesh(mesh).to_string());
    let plan = dir.run(&["plan", "-no-color"]);
    assert_eq!(plan.code, 1, "{plan}");
    assert!(
        plan.flat_output()
            .contains("Standalone servers need a private DNS namespace")
            && plan.flat_output().contains("is of type HTTP"),
        "{plan}"
    );
}

/// The replacement of a tainted mesh: its destroy half leaves the namespace and the
/// standalone servers the new mesh lists (which adopts them), and removes the others,
/// so no Cloud Map service is left that no state records, and the destroy after it
/// finds no stranger in the namespace.
#[tokio::test(flavor = "multi_thread")]
async fn a_tainted_mesh_replaced_without_a_server_removes_that_server() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    write(&dir, mesh_with(&world, &[ERP, SALEOR]));
    dir.apply();
    dir.run(&["taint", "-no-color", "servicemesh_internal.mesh"])
        .success();

    write(&dir, mesh_with(&world, &[ERP]));
    let replaced = dir.apply();
    assert!(
        replaced.stdout.contains("1 added, 0 changed, 1 destroyed"),
        "{replaced}"
    );
    assert_eq!(
        cloud_map_service(&emulator, "saleor").await,
        None,
        "the server the new mesh no longer lists is gone"
    );
    assert_eq!(addresses(&emulator, "erp").await, ["10.0.3.12"]);
    assert_eq!(a_records(&emulator, "erp").await, ["10.0.3.12"]);
    dir.assert_no_changes();

    dir.run(&["destroy", "-auto-approve", "-no-color"])
        .success();
    assert_eq!(cloud_map_service(&emulator, "erp").await, None);
}
