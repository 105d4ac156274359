//! Meshes of N services, for the call-count guards (`call_counts.rs`) and `make bench`
//! (`bench_mesh.rs`): N ECS services in the seed's cluster, each with its own task
//! definition and one named port, seeded concurrently; the mesh that wires them all as
//! servers; and Terraform commands whose AWS calls the emulator counts.

// A toolkit for two suites: not each uses each helper.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::StreamExt;

use super::emulator::Emulator;
use super::hcl::{Config, Mesh};
use super::terraform::{Outcome, Workdir};
use super::world::{self, CLUSTER};

/// Seeding requests in flight at once (moto serialises them; this hides the client's
/// round trips).
const SEEDING_CONCURRENCY: usize = 8;

/// A mesh-wide setting that changes every service's Service Connect configuration, so that
/// an apply updates each of them.
pub const CHANGE_EVERY_SERVICE: &str =
    r#"log_configuration = { log_driver = "json-file", options = { max-size = "10m" } }"#;

/// The name and port alias of service `i`.
pub fn service(i: usize) -> (String, String) {
    let name = format!("svc{i:03}");
    let port_name = format!("{name}-8080-tcp");
    (name, port_name)
}

/// The cluster and `n` services in it (nothing wired); the VPC for the namespace.
pub async fn seed(emulator: &Emulator, n: usize) -> String {
    let ecs = emulator.ecs();
    world::create_cluster(&ecs).await;
    futures::stream::iter(0..n)
        .map(|i| {
            let ecs = ecs.clone();
            async move {
                let (name, port_name) = service(i);
                world::create_service(&ecs, &name, &port_name, 8080).await;
            }
        })
        .buffer_unordered(SEEDING_CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
    emulator.network().await.vpc_id
}

/// main.tf for the mesh of the first `n` services, changed on every service or not.
pub fn config(vpc_id: &str, n: usize, changed: bool) -> String {
    config_with(vpc_id, n, changed, "")
}

/// [`config`] with this in the provider block: `max_concurrency = 50`.
pub fn config_with(vpc_id: &str, n: usize, changed: bool, provider: &str) -> String {
    let mut mesh = Mesh::owned(CLUSTER, vpc_id);
    for i in 0..n {
        let (name, port_name) = service(i);
        mesh = mesh.server(&name, &port_name);
    }
    if changed {
        mesh = mesh.with(CHANGE_EVERY_SERVICE);
    }
    Config::new().provider(provider).mesh(mesh).to_string()
}

/// One Terraform command and the AWS calls it made, by "service:Operation".
pub struct Counted {
    pub outcome: Outcome,
    pub calls: BTreeMap<String, u64>,
}

impl Counted {
    pub fn total(&self) -> u64 {
        self.calls.values().sum()
    }

    pub fn of(&self, operation: &str) -> u64 {
        self.calls.get(operation).copied().unwrap_or(0)
    }
}

/// The commands of a mesh's life, in order: plan and apply a create, refresh, plan and
/// apply a change to every service, plan and apply the destroy. Each plan is saved and
/// applied as it is, so an apply's calls are the apply's alone.
#[derive(Clone, Copy, Debug)]
pub enum Step {
    PlanCreate,
    ApplyCreate,
    Refresh,
    PlanNoChange,
    PlanChange,
    /// A plan of a change with `-refresh=false`: the apply then has no recent read to
    /// act on (issue 18's RecentRead) and reads for itself.
    PlanChangeUnrefreshed,
    ApplyChange,
    PlanDestroy,
    ApplyDestroy,
}

impl Step {
    pub fn args(&self) -> Vec<&'static str> {
        let args: &[&'static str] = match self {
            Step::PlanCreate | Step::PlanChange => &["plan", "-no-color", "-out=next.tfplan"],
            Step::PlanChangeUnrefreshed => {
                &["plan", "-refresh=false", "-no-color", "-out=next.tfplan"]
            }
            Step::PlanDestroy => &["plan", "-destroy", "-no-color", "-out=next.tfplan"],
            Step::ApplyCreate | Step::ApplyChange | Step::ApplyDestroy => {
                &["apply", "-no-color", "next.tfplan"]
            }
            Step::Refresh => &["plan", "-refresh-only", "-no-color"],
            Step::PlanNoChange => &["plan", "-detailed-exitcode", "-no-color"],
        };
        args.to_vec()
    }

    pub fn name(&self) -> &'static str {
        match self {
            Step::PlanCreate => "plan of the create (validation and plan-time checks)",
            Step::ApplyCreate => "apply of the create",
            Step::Refresh => "refresh (plan -refresh-only)",
            Step::PlanNoChange => "plan, no changes",
            Step::PlanChange => "plan of a change to every service",
            Step::PlanChangeUnrefreshed => "plan of a change to every service, -refresh=false",
            Step::ApplyChange => "apply of a change to every service",
            Step::PlanDestroy => "plan of the destroy",
            Step::ApplyDestroy => "apply of the destroy",
        }
    }
}

/// Runs `step` in `dir` and counts the AWS calls it made; panics unless Terraform succeeded.
pub async fn counted(emulator: &Emulator, dir: &Workdir, step: &Step) -> Counted {
    counted_watching(emulator, dir, step, false).await.0
}

/// [`counted`], and with `watch_rss` the peak resident set (VmHWM, KiB) of the largest
/// provider process Terraform started for the command, sampled every 10 ms from /proc.
pub async fn counted_watching(
    emulator: &Emulator,
    dir: &Workdir,
    step: &Step,
    watch_rss: bool,
) -> (Counted, Option<u64>) {
    emulator.reset_counters().await;
    let marker = format!("AWS_ENDPOINT_URL={}", emulator.endpoint());
    let running = dir.start(&step.args());
    let done = AtomicBool::new(false);
    let (outcome, peak) = std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let mut peak = None;
            while watch_rss && !done.load(Ordering::Relaxed) {
                peak = peak.max(provider_peak_rss_kib(&marker));
                std::thread::sleep(Duration::from_millis(10));
            }
            peak
        });
        let outcome = running.wait();
        done.store(true, Ordering::Relaxed);
        (outcome, watcher.join().expect("RSS watcher"))
    });
    assert_eq!(outcome.code, 0, "{}:\n{outcome}", step.name());
    let calls = emulator.counters().await.calls.into_iter().collect();
    (Counted { outcome, calls }, peak)
}

/// The largest VmHWM of a running provider process whose environment holds `marker`.
fn provider_peak_rss_kib(marker: &str) -> Option<u64> {
    let entries = std::fs::read_dir("/proc").ok()?;
    entries
        .flatten()
        .filter(|entry| {
            std::fs::read_to_string(entry.path().join("comm"))
                .is_ok_and(|comm| comm.starts_with("terraform-provi"))
        })
        .filter(|entry| {
            std::fs::read(entry.path().join("environ")).is_ok_and(|environ| {
                environ
                    .split(|byte| *byte == 0)
                    .any(|var| var == marker.as_bytes())
            })
        })
        .filter_map(|entry| {
            let status = std::fs::read_to_string(entry.path().join("status")).ok()?;
            let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .max()
}
