//! Rollouts that tell the truth (issue 14): clients learn new endpoints only from
//! deployments that start after the servers' have completed; a failed or rolled-back
//! deployment is an error and the state records what runs; services that cannot take
//! Service Connect are refused at plan; clean-up of stuck Cloud Map services shares one
//! budget.

use std::time::Instant;

use crate::support::emulator::Emulator;
use crate::support::hcl::{Config, Mesh};
use crate::support::terraform::{Outcome, Workdir};
use crate::support::world::{self, SERVERS, World, seed};

/// Calls that change something in AWS.
const WRITES: &[&str] = &[
    "ecs:UpdateService",
    "servicediscovery:CreatePrivateDnsNamespace",
    "servicediscovery:DeleteNamespace",
    "servicediscovery:DeleteService",
    "servicediscovery:TagResource",
];

/// `terraform plan` must fail without a single AWS write; what it printed.
async fn refused_at_plan(emulator: &Emulator, dir: &Workdir) -> (Outcome, String) {
    emulator.reset_counters().await;
    let plan = dir.run(&["plan", "-no-color"]);
    assert_ne!(plan.code, 0, "{plan}");
    let counters = emulator.counters().await;
    for write in WRITES {
        assert_eq!(counters.calls(write), 0, "{write}");
    }
    let text = plan.flat_output();
    (plan, text)
}

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
    let (plan, text) = refused_at_plan(&emulator, &dir).await;
    assert!(
        text.contains("Error: Per-request timeout on a TCP port")
            && text.contains("services[\"backend\"].per_request_timeout_seconds is set"),
        "{plan}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn clean_up_of_stuck_cloud_map_services_takes_one_budget_not_one_each() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    let all = world.mesh(SERVERS).with("redeploy_clients = false");
    dir.write("main.tf", &config(all));
    dir.apply();

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
    let apply = dir.apply();
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

/// The sequence number of the deployment log's latest event (0: none yet).
async fn last_event(emulator: &Emulator) -> u64 {
    emulator
        .deployment_log()
        .await
        .0
        .last()
        .map_or(0, |event| event.seq)
}

/// backend and orders serve, frontend calls.
fn seed_mesh(world: &World) -> Mesh {
    world.mesh(&SERVERS[..2])
}

#[tokio::test(flavor = "multi_thread")]
async fn adding_a_server_redeploys_the_clients_after_its_deployment_completed() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &config(seed_mesh(&world)));
    dir.apply();

    let with_payments = world.mesh(SERVERS);
    dir.write("main.tf", &config(with_payments));
    let plan = dir.run(&["plan", "-no-color"]).success();
    let text = plan.flat_output();
    assert!(
        text.contains("Warning: ECS services will be redeployed")
            && text.contains("changes the endpoints of payments")
            && text.contains("redeploys backend, frontend, orders"),
        "the plan says what it will redeploy and why:\n{plan}"
    );
    let start = last_event(&emulator).await;
    dir.apply();
    let log = emulator.deployment_log().await;
    let payments_live = log
        .first_after(start, "payments", "COMPLETED")
        .unwrap_or_else(|| panic!("payments' deployment completed: {:?}", log.0));
    for client in ["backend", "orders", "frontend"] {
        let redeployed = log
            .first_after(start, client, "CREATED")
            .unwrap_or_else(|| panic!("{client} is redeployed: {:?}", log.kinds(client)));
        assert!(
            redeployed.seq > payments_live.seq,
            "{client}'s deployment (#{}) must start after payments' completed (#{})",
            redeployed.seq,
            payments_live.seq
        );
        assert_eq!(redeployed.trigger.as_deref(), Some("UpdateService"));
    }
    dir.assert_no_changes();

    // A change that moves no endpoint (a client-only service's own wiring is not one)
    // redeploys nothing else; and redeploy_clients = false leaves the others alone.
    let opted_out = world.mesh(&SERVERS[..2]).with("redeploy_clients = false");
    dir.write("main.tf", &config(opted_out));
    let start = last_event(&emulator).await;
    dir.apply();
    let log = emulator.deployment_log().await;
    for untouched in ["backend", "orders", "frontend"] {
        assert!(
            log.first_after(start, untouched, "CREATED").is_none(),
            "{untouched} is not redeployed: {:?}",
            log.kinds(untouched)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rolled_back_deployment_fails_the_apply_and_the_state_records_what_runs() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &config(seed_mesh(&world)));
    dir.apply();

    world::enable_circuit_breaker(&emulator, "orders").await;
    let start = last_event(&emulator).await;
    emulator
        .fail_next_deployment(world::CLUSTER, "orders")
        .await;
    let renamed = world.mesh(&SERVERS[..1]).server_with(
        "orders",
        "orders-9090-tcp",
        r#"discovery_name = "orders-api""#,
    );
    dir.write("main.tf", &config(renamed));
    let apply = dir.run(&["apply", "-auto-approve", "-no-color"]);
    assert_ne!(apply.code, 0, "{apply}");
    let text = apply.flat_output();
    assert!(
        text.contains("deploying ECS service prod/orders (deployment ecs-svc/")
            && text.contains("the deployment failed: ECS deployment circuit breaker")
            && text.contains("ECS rolled the service back to its previous configuration"),
        "names the service, the deployment and ECS's reason:\n{apply}"
    );
    // The state records what orders runs: its old discovery name, as AWS has it.
    let state = dir.state();
    let orders = &state["values"]["root_module"]["resources"][0]["values"]["services"]["orders"];
    assert_eq!(orders["discovery_name"], "orders", "{state}");
    let running = world::primary_service_connect(&emulator, "orders")
        .await
        .expect("orders still wired");
    assert_eq!(running.services()[0].discovery_name(), Some("orders"));
    // The clients were not redeployed for an endpoint that never came.
    let log = emulator.deployment_log().await;
    assert!(
        log.first_after(start, "frontend", "CREATED").is_none(),
        "{:?}",
        log.kinds("frontend")
    );
    // The plan proposes the change again.
    let plan = dir.assert_changes();
    assert!(plan.stdout.contains("orders-api"), "{plan}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_code_deploy_service_is_refused_at_plan_with_no_aws_write() {
    use aws_sdk_ecs::types::DeploymentControllerType;
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    world::create_service_with_controller(
        &emulator.ecs(),
        "checkout",
        "checkout-8000-tcp",
        8000,
        DeploymentControllerType::CodeDeploy,
    )
    .await;
    let dir = world::workdir(&emulator);
    let mesh = seed_mesh(&world).server("checkout", "checkout-8000-tcp");
    dir.write("main.tf", &config(mesh));
    let (plan, text) = refused_at_plan(&emulator, &dir).await;
    assert!(
        text.contains("Error: Service cannot use Service Connect")
            && text.contains("uses the CODE_DEPLOY deployment controller")
            && text.contains("checkout = { port_name = \"checkout-8000-tcp\" }"),
        "{plan}"
    );
}
