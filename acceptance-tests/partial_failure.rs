//! Failing halfway without losing anything: the state records exactly what was
//! applied, errors name each failed service with AWS's message, and the next apply
//! finishes the job without touching what already succeeded.

use crate::support::emulator::{Emulator, Fault};
use crate::support::hcl::{Config, Mesh};
use crate::support::terraform::Workdir;
use crate::support::world::{self, SERVERS, World, primary_service_connect, seed};

/// main.tf with `mesh`, and a provider that does not retry.
fn config(mesh: Mesh) -> String {
    Config::new().no_retries().mesh(mesh).to_string()
}

/// backend and orders serve, frontend calls. These tests count the calls that wire or
/// fail to wire; the redeploys a change of endpoints adds are rollouts.rs's subject.
fn seed_mesh(world: &World) -> Mesh {
    world.mesh(&SERVERS[..2]).with("redeploy_clients = false")
}

fn state_services(dir: &Workdir) -> (Vec<String>, Vec<String>) {
    let state = dir.state();
    let resource = &state["values"]["root_module"]["resources"][0]["values"];
    let servers = resource["services"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let clients = resource["client_services"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    (servers, clients)
}

/// Each server in the state, with the discovery name the state records for it.
fn recorded_discovery_names(dir: &Workdir) -> Vec<(String, String)> {
    let state = dir.state();
    let services = &state["values"]["root_module"]["resources"][0]["values"]["services"];
    services
        .as_object()
        .map(|services| {
            services
                .iter()
                .map(|(name, entry)| {
                    let discovery = entry["discovery_name"].as_str().unwrap_or_default();
                    (name.clone(), discovery.to_string())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Each seeded server that serves in AWS, with the discovery name its PRIMARY
/// deployment uses.
async fn discovery_names_in_aws(emulator: &Emulator) -> Vec<(String, String)> {
    let mut serving = Vec::new();
    for (service, _, _) in SERVERS {
        let config = primary_service_connect(emulator, service).await;
        let entry = config
            .as_ref()
            .filter(|c| c.enabled())
            .and_then(|c| c.services().first().cloned());
        if let Some(entry) = entry {
            let discovery = entry.discovery_name().unwrap_or(entry.port_name());
            serving.push((service.to_string(), discovery.to_string()));
        }
    }
    serving
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_create_keeps_what_was_wired_and_untaint_then_apply_finishes_it() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &config(seed_mesh(&world)));
    emulator
        .inject_fault(
            Fault::error(
                "ecs:UpdateService",
                "InvalidParameterException",
                400,
                "orders is having a bad day",
            )
            .matching("service", "orders")
            .count(1),
        )
        .await;

    let apply = dir.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(apply.code, 1, "{apply}");
    let output = apply.output();
    assert!(
        output.contains("enabling Service Connect on ECS service prod/orders:"),
        "the error names the verb, object and id:\n{output}"
    );
    assert!(
        output.contains("orders is having a bad day"),
        "AWS's message:\n{output}"
    );
    assert!(
        output.contains("terraform untaint"),
        "the cheap way out:\n{output}"
    );
    let (servers, clients) = state_services(&dir);
    assert_eq!(
        servers,
        vec!["backend"],
        "state holds exactly what was wired"
    );
    assert_eq!(clients, vec!["frontend"]);

    dir.run(&["untaint", "-no-color", "servicemesh_internal.mesh"])
        .success();
    emulator.reset_counters().await;
    dir.apply();
    let counters = emulator.counters().await;
    assert_eq!(
        counters.calls("ecs:UpdateService"),
        1,
        "only orders is wired again"
    );
    assert_eq!(
        counters.calls("servicediscovery:CreatePrivateDnsNamespace"),
        0,
        "no second namespace"
    );
    assert!(
        primary_service_connect(&emulator, "orders")
            .await
            .is_some_and(|c| c.enabled())
    );
    dir.assert_no_changes();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_update_saves_what_succeeded_and_the_next_apply_finishes() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &config(seed_mesh(&world)));
    dir.apply();

    // Add payments and change backend; payments fails once.
    let changed = seed_mesh(&world)
        .server("payments", "payments-7070-tcp")
        .server_with("backend", "backend-8080-tcp", "idle_timeout_seconds = 60");
    dir.write("main.tf", &config(changed));
    emulator
        .inject_fault(
            Fault::error(
                "ecs:UpdateService",
                "ServerException",
                500,
                "payments: internal failure",
            )
            .matching("service", "payments")
            .count(1),
        )
        .await;
    emulator.reset_counters().await;
    let apply = dir.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(apply.code, 1, "{apply}");
    assert!(
        apply
            .output()
            .contains("enabling Service Connect on ECS service prod/payments:"),
        "{apply}"
    );
    assert_eq!(
        emulator.counters().await.calls("ecs:UpdateService"),
        2,
        "backend and payments tried"
    );
    let (servers, _) = state_services(&dir);
    assert_eq!(
        servers,
        vec!["backend", "orders"],
        "payments is not recorded as wired"
    );
    let state = dir.state();
    let backend = &state["values"]["root_module"]["resources"][0]["values"]["services"]["backend"];
    assert_eq!(
        backend["idle_timeout_seconds"], 60,
        "the change that succeeded is saved"
    );

    emulator.reset_counters().await;
    dir.apply();
    assert_eq!(
        emulator.counters().await.calls("ecs:UpdateService"),
        1,
        "only payments is retried; backend is not redeployed again"
    );
    dir.assert_no_changes();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_update_that_cannot_read_ecs_keeps_the_services_recorded() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &config(seed_mesh(&world)));
    dir.apply();

    // ECS is unreachable during the update: nothing can be wired or read.
    dir.write(
        "main.tf",
        &config(seed_mesh(&world).server_with("payments", "payments-7070-tcp", "port = 7070")),
    );
    let fault = emulator
        .inject_fault(Fault::server_error("ecs:DescribeServices").after(0))
        .await;
    let apply = dir.run(&["apply", "-auto-approve", "-no-color", "-refresh=false"]);
    assert_eq!(apply.code, 1, "{apply}");
    emulator.remove_fault(fault).await;
    let (servers, clients) = state_services(&dir);
    assert_eq!(
        servers,
        vec!["backend", "orders"],
        "what was wired before stays recorded"
    );
    assert_eq!(clients, vec!["frontend"]);

    emulator.reset_counters().await;
    dir.apply();
    assert_eq!(
        emulator.counters().await.calls("ecs:UpdateService"),
        1,
        "only payments is wired"
    );
}

/// An outage that begins at any one call of an update (one run per call, from the first
/// refresh read to the last clean-up) ends, after one further apply with AWS healthy
/// again, with no Cloud Map service that no ECS service uses.
#[tokio::test(flavor = "multi_thread")]
async fn an_outage_from_any_call_of_an_update_leaves_no_orphan_after_one_more_apply() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    let discovery_names = |suffix: &str| {
        let named = |service: &str| format!("discovery_name = \"{service}{suffix}\"");
        config(
            seed_mesh(&world)
                .server_with("backend", "backend-8080-tcp", &named("backend"))
                .server_with("orders", "orders-9090-tcp", &named("orders")),
        )
    };
    dir.write("main.tf", &discovery_names(""));
    dir.apply();

    // A healthy rename, to count the calls an update makes.
    emulator.reset_counters().await;
    dir.write("main.tf", &discovery_names("-v2"));
    dir.apply();
    let counters = emulator.counters().await;
    assert_eq!(counters.calls("ecs:UpdateService"), 2, "{counters:?}");
    assert_eq!(
        counters.calls("servicediscovery:DeleteService"),
        2,
        "{counters:?}"
    );
    let calls = emulator.total_calls().await;
    eprintln!("update sweep: K = 0..{calls}");
    assert_eq!(
        world::unused_cloud_map_services(&emulator).await,
        Vec::<String>::new()
    );

    for first_failed_call in 0..calls {
        // Rename back and forth, so that every run is the same kind of update.
        let suffix = if first_failed_call % 2 == 0 {
            ""
        } else {
            "-v2"
        };
        dir.write("main.tf", &discovery_names(suffix));
        emulator.outage_from(first_failed_call).await;
        let outage = dir.run(&["apply", "-auto-approve", "-no-color"]);
        emulator.clear_faults().await;
        assert!(
            outage.code == 0 || outage.names_a_failed_call(),
            "outage from call {first_failed_call}: the error names the failed call:\n{outage}"
        );
        assert_eq!(
            recorded_discovery_names(&dir),
            discovery_names_in_aws(&emulator).await,
            "outage from call {first_failed_call}: the state records what each service is wired as:\n{outage}"
        );
        let recovery = dir.run(&["apply", "-auto-approve", "-no-color"]);
        assert_eq!(
            recovery.code, 0,
            "outage from call {first_failed_call}:\n{outage}\nrecovery:\n{recovery}"
        );
        let unused = world::unused_cloud_map_services(&emulator).await;
        assert!(
            unused.is_empty(),
            "outage from call {first_failed_call} left {unused:?} after one more apply:\n{outage}\nrecovery:\n{recovery}"
        );
    }
    dir.assert_no_changes();
}
