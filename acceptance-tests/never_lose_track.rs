//! AWS and the state never part ways: Ctrl-C in a terminal, a create or a destroy
//! that fails halfway, null where a value is required.

use std::time::{Duration, Instant};

use crate::support::emulator::{Emulator, Fault, sweep_points};
use crate::support::hcl::{Config, Mesh};
use crate::support::terraform::{Outcome, Workdir};
use crate::support::world::{self, SERVERS, World, cloud_map_services, namespaces, seed};

/// main.tf with `mesh`, and a provider that does not retry.
fn config(mesh: Mesh) -> String {
    Config::new().no_retries().mesh(mesh).to_string()
}

/// Every seeded server and the client-only caller.
fn seed_mesh(world: &World) -> Mesh {
    world.mesh(SERVERS)
}

/// The namespace id and the services the state records.
fn recorded(dir: &Workdir) -> (Option<String>, Vec<String>) {
    let state = dir.state();
    let Some(values) = state["values"]["root_module"]["resources"]
        .get(0)
        .map(|r| r["values"].clone())
    else {
        return (None, Vec::new());
    };
    let mut services: Vec<String> = values["services"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    services.extend(
        values["client_services"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string)),
    );
    services.sort();
    (values["id"].as_str().map(str::to_string), services)
}

/// The seeded services that have Service Connect on in their primary deployment.
async fn wired_in_aws(emulator: &Emulator) -> Vec<String> {
    world::wired_services(emulator).await
}

/// UpdateService fails once for this service, with ECS's 5xx.
fn update_fails_once_for(service: &str) -> Fault {
    Fault::error(
        "ecs:UpdateService",
        "ServerException",
        500,
        "internal failure",
    )
    .matching("service", service)
    .count(1)
}

/// `terraform destroy` succeeds and nothing of the mesh is left in AWS.
async fn destroy_leaves_nothing(dir: &Workdir, emulator: &Emulator) {
    let destroy = dir.run(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(destroy.code, 0, "{destroy}");
    assert_eq!(namespaces(emulator).await.len(), 0, "{destroy}");
    assert_eq!(cloud_map_services(emulator).await, Vec::<String>::new());
    assert_eq!(wired_in_aws(emulator).await, Vec::<String>::new());
}

/// The state records the namespace that exists in AWS; returns the services it records.
async fn assert_records_the_namespace(
    dir: &Workdir,
    emulator: &Emulator,
    apply: &Outcome,
) -> Vec<String> {
    let (id, services) = recorded(dir);
    assert_eq!(
        id.as_deref(),
        namespaces(emulator)
            .await
            .get("internal.myapp")
            .map(String::as_str),
        "the state records the namespace that exists:\n{apply}"
    );
    services
}

/// An apply or destroy that an outage failed names the call that failed, with AWS's
/// 5xx answer to it.
#[track_caller]
fn assert_names_the_failed_call(outcome: &Outcome, first_failed_call: u64) {
    assert!(
        outcome.names_a_failed_call(),
        "outage from call {first_failed_call}: the error names the failed call and AWS's answer:\n{outcome}"
    );
}

async fn wait_for_calls(emulator: &Emulator, operation: &str, calls: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while emulator.counters().await.calls(operation) < calls {
        assert!(Instant::now() < deadline, "no {operation} call came");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_in_a_terminal_lets_the_apply_finish_and_record_what_it_did() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &config(seed_mesh(&world)));
    emulator.set_latency("ecs:UpdateService", 1500).await;
    let running = dir.start(&["apply", "-auto-approve", "-no-color"]);
    wait_for_calls(&emulator, "ecs:UpdateService", 1).await;
    running.interrupt();
    let apply = running.wait();
    emulator.clear_latency().await;
    let text = apply.flat_output();
    assert!(!text.contains("Plugin did not respond"), "{apply}");
    assert!(!text.contains("plugin exited"), "{apply}");

    let services = assert_records_the_namespace(&dir, &emulator, &apply).await;
    assert_eq!(services, wired_in_aws(&emulator).await, "{apply}");

    destroy_leaves_nothing(&dir, &emulator).await;
}

/// Every call of the create's namespace phase (Cloud Map calls, from the plan's lookup to
/// reading the new namespace) fails in turn, from then on; the faults are cleared and
/// `terraform destroy` runs. Nothing is ever left in AWS.
#[tokio::test(flavor = "multi_thread")]
async fn an_outage_in_the_namespace_phase_of_a_create_leaves_nothing_after_destroy() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &config(seed_mesh(&world)));

    emulator.reset_counters().await;
    dir.apply();
    let counters = emulator.counters().await;
    let cloud_map_calls: u64 = counters
        .calls
        .iter()
        .filter(|(operation, _)| operation.starts_with("servicediscovery:"))
        .map(|(_, calls)| calls)
        .sum();
    assert!(
        counters.calls("servicediscovery:GetOperation") >= 2,
        "the create polls its operation: {counters:?}"
    );
    dir.run(&["destroy", "-auto-approve", "-no-color"])
        .success();

    let mut recorded_after_failure = 0;
    for first_failed_call in 0..cloud_map_calls {
        emulator
            .inject_fault(Fault::server_error("servicediscovery:*").after(first_failed_call))
            .await;
        let apply = dir.run(&["apply", "-auto-approve", "-no-color"]);
        emulator.clear_faults().await;
        let made = namespaces(&emulator).await.contains_key("internal.myapp");
        let (id, _) = recorded(&dir);
        if made {
            assert!(
                id.is_some(),
                "outage from Cloud Map call {first_failed_call}: the namespace exists but the state is empty:\n{apply}"
            );
        }
        if apply.code != 0 && id.is_some() {
            recorded_after_failure += 1;
            assert!(
                apply
                    .flat_output()
                    .contains("Cloud Map may have made namespace internal.myapp")
                    || apply
                        .flat_output()
                        .contains("Wiring Service Connect failed")
                    || apply.flat_output().contains("Reading the namespace failed"),
                "the error says what exists:\n{apply}"
            );
        }
        let destroy = dir.run(&["destroy", "-auto-approve", "-no-color"]);
        assert_eq!(
            destroy.code, 0,
            "outage from Cloud Map call {first_failed_call}:\n{apply}\n{destroy}"
        );
        assert!(
            namespaces(&emulator).await.is_empty()
                && cloud_map_services(&emulator).await.is_empty(),
            "outage from Cloud Map call {first_failed_call} left something behind:\n{apply}\n{destroy}"
        );
        assert_eq!(wired_in_aws(&emulator).await, Vec::<String>::new());
    }
    assert!(
        recorded_after_failure > 0,
        "some outage hit after the namespace was asked for"
    );
}

/// A create timeout shorter than Cloud Map's operation: the namespace is recorded, and
/// destroy finds and deletes it.
#[tokio::test(flavor = "multi_thread")]
async fn a_create_that_times_out_while_the_namespace_is_made_is_recorded_and_destroyed() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    let with_timeout = seed_mesh(&world).with(r#"timeouts = { create = "1ns" }"#);
    dir.write("main.tf", &config(with_timeout));
    let apply = dir.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(apply.code, 1, "{apply}");
    let text = apply.flat_output();
    assert!(
        text.contains("Cloud Map may have made namespace internal.myapp (Cloud Map operation"),
        "{apply}"
    );
    let state = dir.run(&["state", "list", "-no-color"]);
    assert_eq!(state.stdout.trim(), "servicemesh_internal.mesh", "{state}");

    // The operation ends in the background; a read records the namespace's id.
    emulator.finish_cloudmap_operations().await;
    dir.run(&["refresh", "-no-color"]).success();
    let (id, services) = recorded(&dir);
    assert_eq!(
        id.as_deref(),
        namespaces(&emulator)
            .await
            .get("internal.myapp")
            .map(String::as_str)
    );
    assert!(services.is_empty(), "nothing was wired");

    destroy_leaves_nothing(&dir, &emulator).await;
}

/// Every call of a destroy fails in turn, from then on: the state that remains matches
/// AWS (services turned off are gone from it), and a destroy with AWS healthy again
/// leaves nothing.
#[tokio::test(flavor = "multi_thread")]
async fn an_outage_at_any_call_of_a_destroy_leaves_a_state_that_matches_aws() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &config(seed_mesh(&world)));
    dir.apply();
    emulator.reset_counters().await;
    dir.run(&["destroy", "-auto-approve", "-no-color"])
        .success();
    let calls = emulator.total_calls().await;
    eprintln!("destroy sweep: K = 0..{calls}");

    for first_failed_call in 0..calls {
        dir.apply();
        emulator.outage_from(first_failed_call).await;
        let destroy = dir.run(&["destroy", "-auto-approve", "-no-color"]);
        emulator.clear_faults().await;
        if destroy.code != 0 {
            // What was not done: the call that failed, named, with AWS's 5xx.
            assert_names_the_failed_call(&destroy, first_failed_call);
        }
        let (id, services) = recorded(&dir);
        let namespace = namespaces(&emulator).await.get("internal.myapp").cloned();
        assert_eq!(
            id, namespace,
            "outage from call {first_failed_call}: the state's namespace is AWS's:\n{destroy}"
        );
        if id.is_some() {
            assert_eq!(
                services,
                wired_in_aws(&emulator).await,
                "outage from call {first_failed_call}: the state lists what is wired:\n{destroy}"
            );
        }
        if destroy.code != 0 {
            dir.run(&["destroy", "-auto-approve", "-no-color"])
                .success();
        }
        assert!(
            namespaces(&emulator).await.is_empty()
                && cloud_map_services(&emulator).await.is_empty(),
            "outage from call {first_failed_call}: a healthy destroy leaves nothing"
        );
    }
}

/// A create that wired two of four services is tainted. The next `terraform apply`
/// (no untaint) replaces it, and the replacement redeploys only the two that failed:
/// the namespace and the wired services are handed over, not rebuilt.
#[tokio::test(flavor = "multi_thread")]
async fn the_replacement_of_a_tainted_mesh_redeploys_only_what_failed() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    // The handover alone: the redeploys of unchanged services when endpoints change
    // (redeploy_clients) are rollouts.rs's subject.
    let mesh = seed_mesh(&world).with("redeploy_clients = false");
    dir.write("main.tf", &config(mesh));
    for service in ["orders", "payments"] {
        emulator.inject_fault(update_fails_once_for(service)).await;
    }
    let apply = dir.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(apply.code, 1, "{apply}");
    let namespace = namespaces(&emulator).await["internal.myapp"].clone();
    let show = dir.run(&["show", "-no-color"]);
    assert!(show.stdout.contains("tainted"), "{show}");

    emulator.reset_counters().await;
    let apply = dir.apply();
    assert!(
        apply
            .flat_output()
            .contains("1 added, 0 changed, 1 destroyed"),
        "{apply}"
    );
    let counters = emulator.counters().await;
    assert_eq!(
        counters.calls("ecs:UpdateService"),
        2,
        "only orders and payments: {counters:?}"
    );
    assert_eq!(
        counters.calls("servicediscovery:CreatePrivateDnsNamespace"),
        0
    );
    assert_eq!(counters.calls("servicediscovery:DeleteNamespace"), 0);
    assert_eq!(namespaces(&emulator).await["internal.myapp"], namespace);
    assert_eq!(
        wired_in_aws(&emulator).await,
        ["backend", "frontend", "orders", "payments"]
    );
    dir.assert_no_changes();

    // `terraform destroy` of a tainted mesh still removes everything.
    emulator
        .inject_fault(update_fails_once_for("payments"))
        .await;
    let replace = dir.run(&[
        "apply",
        "-auto-approve",
        "-no-color",
        "-replace=servicemesh_internal.mesh",
    ]);
    assert_eq!(replace.code, 1, "payments fails again: tainted\n{replace}");
    destroy_leaves_nothing(&dir, &emulator).await;
}

/// Twenty services that do not exist: one warning in the plan and one error in the
/// apply, each listing them, instead of twenty of each.
#[tokio::test(flavor = "multi_thread")]
async fn many_missing_services_read_as_one_message() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    let with_ghosts = (0..20)
        .fold(seed_mesh(&world), |mesh, i| {
            mesh.server(&format!("ghost{i:02}"), "ghost-8080-tcp")
        })
        .with(r#"timeouts = { create = "3s" }"#);
    dir.write("main.tf", &config(with_ghosts));

    let plan = dir.run(&["plan", "-no-color"]);
    assert_eq!(plan.code, 0, "{plan}");
    let text = plan.flat_output();
    assert_eq!(text.matches("Warning: ECS service").count(), 1, "{plan}");
    assert!(
        text.contains("20 ECS services in cluster prod do not exist: ghost00, ghost01,"),
        "{plan}"
    );
    assert!(text.contains("ghost09 and 10 more"), "{plan}");

    let apply = dir.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(apply.code, 1, "{apply}");
    let text = apply.flat_output();
    assert_eq!(
        text.matches("Error: Wiring Service Connect failed").count(),
        1,
        "{apply}"
    );
    assert!(
        text.contains("enabling Service Connect on ECS service prod/ghost00 and 19 other ECS services (ghost01,"),
        "{apply}"
    );
    assert!(text.contains("after waiting 3s"), "{apply}");
    dir.run(&["destroy", "-auto-approve", "-no-color"])
        .success();
}

/// Ctrl-C while the three servers' UpdateService calls are in flight, with the default
/// retries. Terraform asks the provider to stop: the calls in flight finish and no
/// further call starts (frontend is left unwired, and says why); the state records the
/// three servers; Terraform exits, and its provider within 2 s of it; once re-run, the
/// apply converges.
#[tokio::test(flavor = "multi_thread")]
async fn after_ctrl_c_no_call_starts_and_the_provider_exits_within_2s_of_terraform() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    dir.write(
        "main.tf",
        &Config::new().mesh(seed_mesh(&world)).to_string(),
    );
    emulator.set_latency("ecs:UpdateService", 1500).await;
    let running = dir.start(&["apply", "-auto-approve", "-no-color"]);
    wait_for_calls(&emulator, "ecs:UpdateService", SERVERS.len() as u64).await;
    let in_flight = emulator.counters().await;
    let interrupted = Instant::now();
    running.interrupt();
    let (apply, exit) = running.wait_timed(Duration::from_secs(5));
    let after = emulator.counters().await;
    emulator.clear_latency().await;

    let terraform_after = exit.at - interrupted;
    eprintln!(
        "interrupt: Terraform exited {} ms after SIGINT; its processes were gone {} after",
        terraform_after.as_millis(),
        exit.group_gone_after
            .map(|d| format!("{} ms", d.as_millis()))
            .unwrap_or_else(|| "not within 5 s".to_string())
    );
    assert_eq!(
        after.calls, in_flight.calls,
        "no AWS call started after the interrupt:\n{apply}"
    );
    assert!(
        exit.group_gone_after
            .is_some_and(|after| after <= Duration::from_secs(2)),
        "the provider exits within 2 s of Terraform: {exit:?}, left {:?}\n{apply}",
        apply.leftover_processes
    );
    assert!(
        apply
            .flat_output()
            .contains("not sent: Terraform asked the provider to stop"),
        "the error says why frontend was not wired:\n{apply}"
    );
    let servers: Vec<String> = SERVERS
        .iter()
        .map(|(name, _, _)| name.to_string())
        .collect();
    assert_eq!(wired_in_aws(&emulator).await, servers, "{apply}");
    let services = assert_records_the_namespace(&dir, &emulator, &apply).await;
    assert_eq!(
        services, servers,
        "the state records what finished:\n{apply}"
    );

    dir.apply();
    assert_eq!(
        wired_in_aws(&emulator).await,
        ["backend", "frontend", "orders", "payments"]
    );
    dir.assert_no_changes();
    destroy_leaves_nothing(&dir, &emulator).await;
}

/// An outage from any one call of a create (one run per first failed call K, sampled
/// with `stride`), then AWS healthy again. The failed apply names the call that failed
/// and, when Cloud Map made the namespace, says so; the state holds exactly what exists;
/// one more apply converges to an empty plan; there is never a second namespace, nor a
/// Cloud Map service that no ECS service uses.
async fn outage_sweep_of_a_create(stride: u64) {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &config(seed_mesh(&world)));
    emulator.reset_counters().await;
    dir.apply();
    let calls = emulator.total_calls().await;
    destroy_leaves_nothing(&dir, &emulator).await;
    let points = sweep_points(calls, stride);
    eprintln!("create sweep: {calls} calls, K = {points:?}");

    for first_failed_call in points {
        emulator.outage_from(first_failed_call).await;
        let apply = dir.run(&["apply", "-auto-approve", "-no-color"]);
        emulator.clear_faults().await;
        let made = namespaces(&emulator).await.get("internal.myapp").cloned();
        let (id, services) = recorded(&dir);
        if apply.code != 0 {
            assert_names_the_failed_call(&apply, first_failed_call);
            let text = apply.flat_output();
            let says_made = text.contains("The namespace exists")
                || text.contains("Cloud Map may have made namespace internal.myapp");
            assert!(
                made.is_none() || says_made,
                "outage from call {first_failed_call}: the namespace exists and the error does not say so:\n{apply}"
            );
        }
        match (&made, id.as_deref()) {
            // Recorded, or (Cloud Map's answer lost) recorded as maybe made: "".
            (Some(made), Some(id)) => assert!(
                id == made || id.is_empty(),
                "outage from call {first_failed_call}: state {id}, AWS {made}:\n{apply}"
            ),
            (Some(made), None) => panic!(
                "outage from call {first_failed_call}: namespace {made} exists, the state is empty:\n{apply}"
            ),
            (None, Some(id)) => assert!(
                id.is_empty(),
                "outage from call {first_failed_call}: the state records {id}, which does not exist:\n{apply}"
            ),
            (None, None) => {}
        }
        assert_eq!(
            services,
            wired_in_aws(&emulator).await,
            "outage from call {first_failed_call}: the state lists what is wired:\n{apply}"
        );

        let recovery = dir.run(&["apply", "-auto-approve", "-no-color"]);
        assert_eq!(
            recovery.code, 0,
            "outage from call {first_failed_call}:\n{apply}\nrecovery:\n{recovery}"
        );
        dir.assert_no_changes();
        assert_eq!(
            world::namespaces_named(&emulator, "internal.myapp").await,
            1,
            "outage from call {first_failed_call}: one namespace"
        );
        let unused = world::unused_cloud_map_services(&emulator).await;
        assert!(
            unused.is_empty(),
            "outage from call {first_failed_call}: orphaned Cloud Map services {unused:?}:\n{apply}\nrecovery:\n{recovery}"
        );
        destroy_leaves_nothing(&dir, &emulator).await;
    }
}

/// How many first failed calls `make test` skips between two it tries; soak tries all.
const CREATE_SWEEP_STRIDE: u64 = 5;

#[tokio::test(flavor = "multi_thread")]
async fn an_outage_from_a_sample_of_the_calls_of_a_create_converges_after_one_more_apply() {
    outage_sweep_of_a_create(CREATE_SWEEP_STRIDE).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "soak: every call of a create, about 2 minutes"]
async fn an_outage_from_any_call_of_a_create_converges_after_one_more_apply() {
    outage_sweep_of_a_create(1).await;
}

/// Ctrl-C while every UpdateService is throttled and the SDK is backing off between its
/// retries (25 by default): the retries stop at once instead of going on for minutes;
/// Terraform exits within 2 s of SIGINT and its provider within 2 s of it; once AWS
/// stops throttling, the next apply converges.
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_throttled_retries_ends_them_at_once() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    dir.write(
        "main.tf",
        &Config::new().mesh(seed_mesh(&world)).to_string(),
    );
    emulator
        .inject_fault(Fault::throttle("ecs:UpdateService"))
        .await;
    let running = dir.start(&["apply", "-auto-approve", "-no-color"]);
    // Each server's first attempt and first retry: the SDK is in its backoff.
    wait_for_calls(&emulator, "ecs:UpdateService", 2 * SERVERS.len() as u64).await;
    let interrupted = Instant::now();
    running.interrupt();
    let (apply, exit) = running.wait_timed(Duration::from_secs(5));
    let stopped_after = exit.at - interrupted;
    let attempts = emulator.counters().await.calls("ecs:UpdateService");
    emulator.clear_faults().await;
    eprintln!(
        "interrupt in a throttled retry: Terraform exited {} ms after SIGINT, after {attempts} UpdateService attempts; its processes were gone {:?} after",
        stopped_after.as_millis(),
        exit.group_gone_after
    );
    assert!(
        stopped_after <= Duration::from_secs(2),
        "the retries stop at once: Terraform exited {stopped_after:?} after SIGINT:\n{apply}"
    );
    assert!(
        exit.group_gone_after
            .is_some_and(|after| after <= Duration::from_secs(2)),
        "the provider exits within 2 s of Terraform: {exit:?}\n{apply}"
    );
    assert_eq!(
        wired_in_aws(&emulator).await,
        Vec::<String>::new(),
        "{apply}"
    );

    dir.apply();
    dir.assert_no_changes();
    destroy_leaves_nothing(&dir, &emulator).await;
}
