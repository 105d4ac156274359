//! servicemesh_internal through real Terraform against the local AWS: create, an empty
//! plan, updates, drift, settings made elsewhere, unowned namespaces, destroy.

use crate::support::emulator::Emulator;
use crate::support::terraform::required_providers;
use crate::support::world::{
    self, CLUSTER, World, cloud_map_services, namespaces, primary_service_connect, seed,
};

fn config(world: &World, body: &str) -> String {
    format!(
        "{}\nprovider \"servicemesh\" {{}}\n\nresource \"servicemesh_internal\" \"mesh\" {{\n  cluster   = \"{CLUSTER}\"\n  namespace = \"internal.myapp\"\n  vpc_id    = \"{}\"\n{body}\n}}\n\noutput \"endpoints\" {{\n  value = servicemesh_internal.mesh.endpoints\n}}\n",
        required_providers(),
        world.vpc_id
    )
}

const SEED_SERVICES: &str = r#"
  services = {
    backend = { port_name = "backend-8080-tcp" }
    orders  = { port_name = "orders-9090-tcp" }
  }
  client_services = ["frontend"]
"#;

/// `terraform plan -detailed-exitcode`: 0 means no changes.
fn assert_no_changes(dir: &crate::support::terraform::Workdir) {
    let plan = dir.run(&["plan", "-no-color", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "expected an empty plan:\n{plan}");
}

#[tokio::test(flavor = "multi_thread")]
async fn creates_the_mesh_plans_empty_and_destroys_everything() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &config(&world, SEED_SERVICES));

    let apply = dir.run(&["apply", "-auto-approve", "-no-color"]).success();
    assert!(
        apply.stdout.contains("backend.internal.myapp:8080"),
        "{apply}"
    );
    assert!(
        apply.stdout.contains("orders.internal.myapp:9090"),
        "{apply}"
    );
    assert_no_changes(&dir);

    // The seed's step 5, read back from the API.
    let backend = primary_service_connect(&emulator, "backend")
        .await
        .expect("backend wired");
    assert!(backend.enabled());
    let entry = &backend.services()[0];
    assert_eq!(entry.port_name(), "backend-8080-tcp");
    assert_eq!(entry.discovery_name(), Some("backend"));
    assert_eq!(
        entry.client_aliases()[0].dns_name(),
        Some("backend.internal.myapp")
    );
    assert_eq!(entry.client_aliases()[0].port(), 8080);
    let frontend = primary_service_connect(&emulator, "frontend")
        .await
        .expect("frontend wired");
    assert!(
        frontend.enabled() && frontend.services().is_empty(),
        "client only"
    );
    assert!(namespaces(&emulator).await.contains_key("internal.myapp"));
    let mut discovery = cloud_map_services(&emulator).await;
    discovery.sort();
    assert_eq!(discovery, vec!["backend", "orders"]);

    dir.run(&["destroy", "-auto-approve", "-no-color"])
        .success();
    assert!(
        namespaces(&emulator).await.is_empty(),
        "namespace left behind"
    );
    assert!(
        cloud_map_services(&emulator).await.is_empty(),
        "Cloud Map services left behind"
    );
    for service in ["backend", "orders", "frontend"] {
        let sc = primary_service_connect(&emulator, service).await;
        assert!(
            sc.is_none_or(|c| !c.enabled()),
            "{service} still has Service Connect"
        );
    }
}
