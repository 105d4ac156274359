//! What every Terraform user does, on every core of the version matrix: `terraform init`
//! from a mirror, create, a no-op plan, an update, drift shown and repaired, import by id
//! (`terraform import` and an `import` block), destroy; and not one warning on the way.
//!
//! `make test` runs the round on the newest core (the default) and on the oldest the
//! matrix pins (acceptance-tests/cores.txt, Terraform 1.6.6); `make matrix` runs the
//! first on each core of cores.txt (docs/COMPATIBILITY.md).

use std::path::PathBuf;

use aws_sdk_ecs::types::ServiceConnectConfiguration;

use crate::support::emulator::Emulator;
use crate::support::hcl::{Config, Mesh};
use crate::support::terraform::{
    Install, Outcome, Workdir, core_version, oldest_pinned_version, pinned_core, version_of,
};
use crate::support::world::{
    self, CLUSTER, SERVERS, cloud_map_services, namespaces, primary_service_connect, seed,
    wired_services,
};

#[tokio::test(flavor = "multi_thread")]
async fn the_lifecycle_round_on_the_core_under_test() {
    println!("Terraform {}", core_version());
    lifecycle_round(None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lifecycle_round_on_the_oldest_pinned_core() {
    let oldest = oldest_pinned_version();
    let terraform = pinned_core(&oldest);
    assert_eq!(version_of(&terraform).to_string(), oldest);
    lifecycle_round(Some(terraform)).await;
}

/// The command's outcome, after checking it succeeded without a single warning (an
/// older core shows every diagnostic it gets; none may be odd or unreadable).
#[track_caller]
fn quiet(outcome: Outcome) -> Outcome {
    warned(outcome, &[])
}

/// The command's outcome, after checking it succeeded with exactly the warnings titled
/// `expected`, in that order.
#[track_caller]
fn warned(outcome: Outcome, expected: &[&str]) -> Outcome {
    let outcome = outcome.success();
    assert_warnings(&outcome, expected);
    outcome
}

/// The one warning of Terraform's own that commands show here: `terraform init` from a
/// filesystem mirror (a registry would give the other platforms' checksums).
const MIRROR_INIT_WARNING: &str = "Incomplete lock file information for providers";

#[track_caller]
fn assert_warnings(outcome: &Outcome, expected: &[&str]) {
    let output = outcome.output();
    let warnings: Vec<&str> = output
        .lines()
        .filter_map(|line| line.split_once("Warning: ").map(|(_, title)| title.trim()))
        .filter(|title| *title != MIRROR_INIT_WARNING)
        .collect();
    assert_eq!(warnings, expected, "warnings:\n{outcome}");
}

/// `terraform plan -detailed-exitcode`: exit 0, "No changes", no warning.
#[track_caller]
fn assert_quiet_no_changes(dir: &Workdir) {
    let plan = dir.run(&["plan", "-no-color", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "expected an empty plan:\n{plan}");
    quiet(plan);
}

async fn lifecycle_round(terraform: Option<PathBuf>) {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let mut dir = world::workdir_installed(&emulator, Install::Mirror);
    if let Some(terraform) = terraform {
        dir.use_terraform(terraform);
    }
    let config = |mesh: Mesh| Config::new().mesh(mesh).endpoints_output().to_string();

    // init from the filesystem mirror, as a user's `terraform init` from a registry.
    dir.write("main.tf", &config(world.mesh(&SERVERS[..2])));
    let init = quiet(dir.run(&["init", "-no-color"]));
    assert!(
        init.stdout
            .contains("Terraform has been successfully initialized"),
        "{init}"
    );

    // Create.
    let apply = quiet(dir.run(&["apply", "-auto-approve", "-no-color"]));
    assert!(
        apply.stdout.contains("backend.internal.myapp:8080"),
        "{apply}"
    );
    assert!(namespaces(&emulator).await.contains_key("internal.myapp"));
    assert_quiet_no_changes(&dir);

    // Update: a third server joins.
    dir.write("main.tf", &config(world.mesh(SERVERS)));
    // The plan's own warning: a new endpoint redeploys the mesh's other services.
    let apply = warned(
        dir.run(&["apply", "-auto-approve", "-no-color"]),
        &["ECS services will be redeployed"],
    );
    assert!(
        apply.stdout.contains("payments.internal.myapp:7070"),
        "{apply}"
    );
    assert!(
        primary_service_connect(&emulator, "payments")
            .await
            .is_some_and(|sc| sc.enabled()),
        "payments wired"
    );
    assert_quiet_no_changes(&dir);

    // Drift: Service Connect turned off in the console shows in the plan; apply repairs it.
    world::set_service_connect(
        &emulator,
        "backend",
        ServiceConnectConfiguration::builder()
            .enabled(false)
            .build(),
    )
    .await;
    let plan = dir.run(&["plan", "-no-color", "-detailed-exitcode"]);
    assert_eq!(plan.code, 2, "the drift shows:\n{plan}");
    // Wiring backend again adds its endpoint back: the others are redeployed.
    assert_warnings(&plan, &["ECS services will be redeployed"]);
    warned(
        dir.run(&["apply", "-auto-approve", "-no-color"]),
        &["ECS services will be redeployed"],
    );
    assert!(
        primary_service_connect(&emulator, "backend")
            .await
            .is_some_and(|sc| sc.enabled()),
        "backend wired again"
    );
    assert_quiet_no_changes(&dir);

    // Import by id with the CLI, after the state forgot the mesh.
    let by_name = format!("{CLUSTER}/internal.myapp");
    quiet(dir.run(&["state", "rm", "-no-color", "servicemesh_internal.mesh"]));
    quiet(dir.run(&["import", "-no-color", "servicemesh_internal.mesh", &by_name]));
    assert_quiet_no_changes(&dir);

    // Import by id with an `import` block.
    quiet(dir.run(&["state", "rm", "-no-color", "servicemesh_internal.mesh"]));
    let import = format!("import {{\n  to = servicemesh_internal.mesh\n  id = \"{by_name}\"\n}}");
    dir.write(
        "main.tf",
        &Config::new()
            .block(&import)
            .mesh(world.mesh(SERVERS))
            .endpoints_output()
            .to_string(),
    );
    let apply = quiet(dir.run(&["apply", "-auto-approve", "-no-color"]));
    assert!(
        apply
            .stdout
            .contains("1 imported, 0 added, 0 changed, 0 destroyed"),
        "{apply}"
    );
    assert_quiet_no_changes(&dir);

    // Destroy: nothing is left.
    quiet(dir.run(&["destroy", "-auto-approve", "-no-color"]));
    assert!(namespaces(&emulator).await.is_empty(), "namespace left");
    assert!(
        cloud_map_services(&emulator).await.is_empty(),
        "Cloud Map services left"
    );
    assert!(
        wired_services(&emulator).await.is_empty(),
        "Service Connect still on"
    );
}
