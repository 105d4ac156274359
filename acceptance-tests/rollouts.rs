//! Rollouts that tell the truth (issue 14): clients learn new endpoints only from
//! deployments that start after the servers' have completed; a failed or rolled-back
//! deployment is an error and the state records what runs; services that cannot take
//! Service Connect are refused at plan; clean-up of stuck Cloud Map services shares one
//! budget.

use std::time::Instant;

use crate::support::emulator::Emulator;
use crate::support::hcl::{Config, Mesh};
use crate::support::world::{self, SERVERS, seed};

/// Calls that change something in AWS.
const WRITES: &[&str] = &[
    "ecs:UpdateService",
    "servicediscovery:CreatePrivateDnsNamespace",
    "servicediscovery:DeleteNamespace",
    "servicediscovery:DeleteService",
    "servicediscovery:TagResource",
];

fn config(mesh: Mesh) -> String {
    Config::new().mesh(mesh).to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_per_request_timeout_on_a_tcp_port_is_refused_at_plan() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    // The seed's port mappings have no appProtocol: TCP to Service Connect.
    let mesh = world.mesh(&SERVERS[1..2]).server_with(
        "backend",
        "backend-8080-tcp",
        "per_request_timeout_seconds = 10",
    );
    dir.write("main.tf", &config(mesh));
    emulator.reset_counters().await;
    let plan = dir.run(&["plan", "-no-color"]);
    assert_ne!(plan.code, 0, "{plan}");
    let text = plan.flat_output();
    assert!(
        text.contains("Error: Per-request timeout on a TCP port")
            && text.contains("services[\"backend\"].per_request_timeout_seconds is set")
            && text.contains("services[\"backend\"]"),
        "{plan}"
    );
    let counters = emulator.counters().await;
    for write in WRITES {
        assert_eq!(counters.calls(write), 0, "{write}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn clean_up_of_stuck_cloud_map_services_takes_one_budget_not_one_each() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    let all = world.mesh(SERVERS).with("redeploy_clients = false");
    dir.write("main.tf", &config(all));
    dir.run(&["apply", "-auto-approve", "-no-color"]).success();

    // Instances still registered in every server's Cloud Map service, as when the old
    // tasks have not stopped yet: ECS cannot let go of them (DeleteService: ResourceInUse).
    let cloudmap = emulator.cloudmap();
    let services = cloudmap
        .list_services()
        .send()
        .await
        .expect("listing Cloud Map services");
    let held: Vec<(String, String)> = services
        .services()
        .iter()
        .map(|s| {
            (
                s.id().unwrap_or_default().to_string(),
                s.name().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(held.len(), SERVERS.len(), "{held:?}");
    for (id, name) in &held {
        cloudmap
            .register_instance()
            .service_id(id)
            .instance_id(format!("{name}-old-task"))
            .attributes("AWS_INSTANCE_IPV4", "10.0.1.9")
            .send()
            .await
            .expect("registering an instance");
    }
    emulator.finish_cloudmap_operations().await;

    // Every server gets a new discovery name: the three old ones are freed at once.
    let mut renamed = Mesh::owned(world::CLUSTER, &world.vpc_id)
        .client(world::CLIENT.0)
        .with("redeploy_clients = false")
        .with("timeouts = { update = \"4s\" }");
    for (service, port_name, _) in SERVERS {
        let discovery = format!("discovery_name = \"{service}-v2\"");
        renamed = renamed.server_with(service, port_name, &discovery);
    }
    dir.write("main.tf", &config(renamed));
    let started = Instant::now();
    let apply = dir.run(&["apply", "-auto-approve", "-no-color"]).success();
    let elapsed = started.elapsed();
    let text = apply.flat_output();
    // Terraform shows one of alike warnings: "(and 2 more similar warnings elsewhere)".
    assert!(
        text.contains("Warning: Cloud Map service left behind")
            && text.contains(&format!("and {} more similar warnings", SERVERS.len() - 1)),
        "{apply}"
    );
    // One 4 s budget for all three, not 4 s each (plus Terraform's own seconds).
    assert!(
        elapsed.as_secs_f64() < 4.0 * SERVERS.len() as f64,
        "the apply took {elapsed:?}"
    );
    let state = dir.state();
    let pending = &state["values"]["root_module"]["resources"][0]["values"]["pending_cleanup"];
    assert_eq!(
        pending.as_array().map(Vec::len),
        Some(SERVERS.len()),
        "{pending}"
    );
}
