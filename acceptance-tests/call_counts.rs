//! Call-count guards at N = 25 services (issue 18): the exact AWS calls of each command of
//! a mesh's life, from the emulator's counters. Call counts are deterministic (batches of
//! 10 DescribeServices, one UpdateService per service, the emulator's Cloud Map operations
//! finishing after a fixed number of polls), so these are exact; wall times are measured by
//! `make bench` (bench_mesh.rs, docs/PERFORMANCE.md), never asserted.

use std::collections::BTreeMap;

use crate::support::emulator::Emulator;
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
                ("servicediscovery:ListNamespaces", 2),
            ]),
        ),
        (Step::Refresh, refresh.clone()),
        (Step::PlanNoChange, refresh.clone()),
        (Step::PlanChange, refresh),
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
        if matches!(step, Step::PlanChange) {
            dir.write("main.tf", &scale::config(&vpc_id, N, true));
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
