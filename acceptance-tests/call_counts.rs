//! Call-count guards at N = 25 services (issue 18): the exact AWS calls of each command of
//! a mesh's life, from the emulator's counters. Call counts are deterministic (batches of
//! 10 DescribeServices, one UpdateService per service, the emulator's Cloud Map operations
//! finishing after a fixed number of polls), so these are exact; wall times are measured by
//! `make bench` (bench_mesh.rs, docs/PERFORMANCE.md), never asserted.

use std::collections::BTreeMap;

use crate::support::emulator::{Emulator, LoggedCall};
use crate::support::scale::{self, Step};
use crate::support::world;

const N: usize = 25;

fn calls(expected: &[(&str, u64)]) -> BTreeMap<String, u64> {
    expected
        .iter()
        .map(|(operation, count)| (operation.to_string(), *count))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_command_of_a_25_service_mesh_makes_exactly_these_aws_calls() {
    let emulator = Emulator::shared().await;
    let vpc_id = scale::seed(&emulator, N).await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &scale::config(&vpc_id, N, false));

    // Refresh: one namespace read, one tag read, DescribeServices in batches of 10.
    let refresh = calls(&[
        ("ecs:DescribeServices", 3),
        ("servicediscovery:GetNamespace", 1),
        ("servicediscovery:ListTagsForResource", 1),
    ]);
    let steps = [
        (
            // Every service's task definition, for its port (no batch call exists).
            Step::PlanCreate,
            calls(&[
                ("ecs:DescribeServices", 3),
                ("ecs:DescribeTaskDefinition", 25),
                ("servicediscovery:ListNamespaces", 1),
            ]),
        ),
        (
            Step::ApplyCreate,
            calls(&[
                ("ecs:DescribeServices", 9),
                ("ecs:DescribeTaskDefinition", 25),
                ("ecs:UpdateService", 25),
                ("servicediscovery:CreatePrivateDnsNamespace", 1),
                ("servicediscovery:GetNamespace", 1),
                ("servicediscovery:GetOperation", 5),
                // The plan Terraform makes during apply asks whether the name is free; the
                // apply itself does not ask again (PrivateState::name_unused).
                ("servicediscovery:ListNamespaces", 1),
            ]),
        ),
        (Step::Refresh, refresh.clone()),
        (Step::PlanNoChange, refresh.clone()),
        (Step::PlanChange, refresh),
        // The refresh of the plan, moments before, read the namespace and the services:
        // the apply writes without reading them again (RecentRead).
        (Step::ApplyChange, calls(&[("ecs:UpdateService", 25)])),
        // The change undone, planned without a refresh: nothing read to hand on, so the
        // apply reads before it writes.
        (Step::PlanChangeUnrefreshed, calls(&[])),
        (
            Step::ApplyChange,
            calls(&[
                ("ecs:DescribeServices", 3),
                ("ecs:UpdateService", 25),
                ("servicediscovery:GetNamespace", 1),
            ]),
        ),
        (
            Step::PlanDestroy,
            calls(&[
                ("ecs:DescribeServices", 3),
                ("ecs:ListServicesByNamespace", 1),
                ("servicediscovery:GetNamespace", 2),
                ("servicediscovery:ListServices", 1),
                ("servicediscovery:ListTagsForResource", 1),
            ]),
        ),
        (
            Step::ApplyDestroy,
            calls(&[
                ("ecs:DescribeServices", 3),
                ("ecs:ListServicesByNamespace", 1),
                ("ecs:UpdateService", 25),
                ("servicediscovery:DeleteNamespace", 1),
                ("servicediscovery:DeleteService", 25),
                ("servicediscovery:GetNamespace", 1),
                ("servicediscovery:GetOperation", 5),
                ("servicediscovery:ListServices", 1),
            ]),
        ),
    ];
    let mut mismatches = Vec::new();
    for (step, expected) in steps {
        let logged = match step {
            Step::PlanChange => Some(true),
            Step::PlanChangeUnrefreshed => Some(false),
            _ => None,
        };
        if let Some(logged) = logged {
            dir.write("main.tf", &scale::config(&vpc_id, N, logged));
        }
        let counted = scale::counted(&emulator, &dir, &step).await;
        if counted.calls != expected {
            mismatches.push(format!(
                "{}: expected {expected:?}, made {:?}",
                step.name(),
                counted.calls
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// Reads that need nothing from each other go out together (issue 18: round trips, not
/// calls). With 100 ms on every call, calls sent together are in flight together in the
/// emulator's log; what is asserted is their order, not a time.
#[tokio::test(flavor = "multi_thread")]
async fn reads_that_need_nothing_from_each_other_go_out_together() {
    const SERVICES: usize = 3;
    let emulator = Emulator::shared().await;
    let vpc_id = scale::seed(&emulator, SERVICES).await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &scale::config(&vpc_id, SERVICES, false));
    emulator.set_latency("*", 100).await;

    let mut failures = Vec::new();
    scale::counted(&emulator, &dir, &Step::PlanCreate).await;
    let log = emulator.call_log().await;
    failures.extend(apart(
        Step::PlanCreate,
        &log,
        "ecs:DescribeServices",
        "servicediscovery:ListNamespaces",
    ));

    scale::counted(&emulator, &dir, &Step::ApplyCreate).await;
    let log = emulator.call_log().await;
    // The wiring read its services while Cloud Map made the namespace: no DescribeServices
    // starts between the namespace's last poll and the first UpdateService.
    let last_poll = log
        .iter()
        .rposition(|call| call.operation == "servicediscovery:GetOperation")
        .expect("the namespace's operation was polled");
    let first_update = log
        .iter()
        .position(|call| call.operation == "ecs:UpdateService")
        .expect("the services were wired");
    if log[last_poll..first_update]
        .iter()
        .any(|call| call.operation == "ecs:DescribeServices")
    {
        failures.push(format!(
            "{}: the services were read after the namespace was made: {log:#?}",
            Step::ApplyCreate.name()
        ));
    }
    // The namespace just made is read (its hosted zone) beside the first UpdateService
    // round, which takes its ARN from its id and the services' account.
    failures.extend(apart(
        Step::ApplyCreate,
        &log,
        "servicediscovery:GetNamespace",
        "ecs:UpdateService",
    ));

    // Planned without a refresh, so that the apply reads (see RecentRead).
    dir.write("main.tf", &scale::config(&vpc_id, SERVICES, true));
    scale::counted(&emulator, &dir, &Step::PlanChangeUnrefreshed).await;
    scale::counted(&emulator, &dir, &Step::ApplyChange).await;
    let log = emulator.call_log().await;
    failures.extend(apart(
        Step::ApplyChange,
        &log,
        "servicediscovery:GetNamespace",
        "ecs:DescribeServices",
    ));

    scale::counted(&emulator, &dir, &Step::PlanDestroy).await;
    scale::counted(&emulator, &dir, &Step::ApplyDestroy).await;
    let log = emulator.call_log().await;
    for (a, b) in [
        ("servicediscovery:GetNamespace", "ecs:DescribeServices"),
        ("ecs:ListServicesByNamespace", "ecs:DescribeServices"),
        ("servicediscovery:ListServices", "ecs:DescribeServices"),
    ] {
        failures.extend(apart(Step::ApplyDestroy, &log, a, b));
    }
    emulator.clear_latency().await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Why the first `a` and the first `b` of `log` were not in flight together, if they were not.
fn apart(step: Step, log: &[LoggedCall], a: &str, b: &str) -> Option<String> {
    let first = |operation: &str| log.iter().find(|call| call.operation == operation);
    match (first(a), first(b)) {
        (Some(x), Some(y)) if x.overlaps(y) => None,
        _ => Some(format!(
            "{}: {a} and {b} not in flight together: {log:#?}",
            step.name()
        )),
    }
}
