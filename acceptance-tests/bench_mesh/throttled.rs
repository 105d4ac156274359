//! `make bench`'s second mesh benchmark: the same commands at AWS latency, now also under
//! the token buckets ECS publishes (the emulator's `ecs` preset, throttle_buckets.py). At
//! 100 services some commands make more calls of one kind than its bucket holds (100
//! UpdateService against a burst of 50 that refills at 5 a second), so on AWS they take
//! seconds whatever the latency: the buckets' own floor. This measures how close the
//! provider comes to it, how many of its calls were throttled on the way, and the
//! per-service way beside it. The report goes between its own markers in BENCH_REPORT.
//!
//! Each plan starts on full buckets (a quiet account); the apply after it does not (as in
//! `terraform apply`, which plans and applies at once). Knob: BENCH_THROTTLED_SIZES ("100").

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use aws_sdk_ecs::config::retry::{RetryConfig, RetryPartition, TokenBucket};
use serde_json::Value;

use super::{
    Measured, env_or, mesh_workdir, ms, per_service_configurations, per_service_send, run,
    sizes_from_env, write_mesh, write_section,
};
use crate::support::emulator::Emulator;
use crate::support::scale::{self, Step};
use crate::support::terraform::Workdir;

const START_MARKER: &str = "<!-- bench_throttled:start -->";
const END_MARKER: &str = "<!-- bench_throttled:end -->";

/// One bucket's state as the emulator lists it.
struct Level {
    name: String,
    refill: f64,
    tokens: f64,
    taken: u64,
    throttled: u64,
}

async fn levels(emulator: &Emulator) -> Vec<Level> {
    emulator
        .throttle_buckets()
        .await
        .iter()
        .map(|bucket: &Value| Level {
            name: bucket["name"].as_str().expect("a bucket's name").to_owned(),
            refill: bucket["refill"].as_f64().expect("a bucket's refill"),
            tokens: bucket["tokens"].as_f64().expect("a bucket's tokens"),
            taken: bucket["taken"].as_u64().expect("a bucket's taken count"),
            throttled: bucket["throttled"]
                .as_u64()
                .expect("a bucket's throttled count"),
        })
        .collect()
}

/// What the buckets allowed one command: the least time in which its calls could have
/// been answered, the buckets that set it, and the calls throttled. For each bucket, the
/// calls beyond the tokens it held at the start wait for its refill; the buckets a command
/// exhausts are summed, since in these commands they are used one after another (the
/// create's task definitions are read in Terraform's plan, its services updated in the
/// apply that follows).
struct BucketFloor {
    floor: Duration,
    exhausted: Vec<String>,
    throttled: u64,
}

fn bucket_floor(before: &[Level], after: &[Level]) -> BucketFloor {
    let mut floor = BucketFloor {
        floor: Duration::ZERO,
        exhausted: Vec::new(),
        throttled: 0,
    };
    for (start, end) in before.iter().zip(after) {
        floor.throttled += end.throttled - start.throttled;
        let taken = end.taken - start.taken;
        let beyond = taken as f64 - start.tokens.floor();
        if beyond > 0.0 && start.refill > 0.0 {
            floor.floor += Duration::from_secs_f64(beyond / start.refill);
            floor
                .exhausted
                .push(format!("{} ({taken} calls)", start.name));
        }
    }
    floor
}

struct Row {
    what: String,
    calls: u64,
    provider: Duration,
    floor: BucketFloor,
}

impl Row {
    fn of(measured: &Measured, floor: BucketFloor) -> Self {
        Row {
            what: measured.step.name().to_string(),
            calls: measured.total_calls(),
            provider: measured.provider_time(),
            floor,
        }
    }
}

async fn step_under_buckets(
    emulator: &Emulator,
    dir: &Workdir,
    step: Step,
    fill_first: bool,
) -> Row {
    if fill_first {
        emulator.fill_throttle_buckets().await;
    }
    let before = levels(emulator).await;
    let measured = run(emulator, dir, step, false).await;
    let after = levels(emulator).await;
    Row::of(&measured, bucket_floor(&before, &after))
}

/// An ECS client that retries as the provider and terraform-provider-aws do: up to 25
/// retries, the SDK's backoff, no retry quota.
fn patient_ecs(emulator: &Emulator) -> aws_sdk_ecs::Client {
    let config = aws_sdk_ecs::config::Builder::from(&emulator.sdk_config())
        .retry_config(RetryConfig::standard().with_max_attempts(26))
        .retry_partition(
            RetryPartition::custom("bench-per-service")
                .token_bucket(TokenBucket::unlimited())
                .build(),
        )
        .build();
    aws_sdk_ecs::Client::from_conf(config)
}

async fn measure(emulator: &Emulator, n: usize, latency_ms: u64) -> Vec<Row> {
    emulator.reset().await;
    let vpc_id = scale::seed(emulator, n).await;
    emulator.set_latency("*", latency_ms).await;
    emulator.throttle_like_aws().await;
    let dir = mesh_workdir(emulator, &vpc_id, n);
    let mut rows = Vec::new();
    for (step, fill_first) in [
        (Step::PlanCreate, true),
        (Step::ApplyCreate, false),
        (Step::Refresh, true),
    ] {
        rows.push(step_under_buckets(emulator, &dir, step, fill_first).await);
    }
    write_mesh(&dir, &vpc_id, n, true);
    for (step, fill_first) in [(Step::PlanChange, true), (Step::ApplyChange, false)] {
        rows.push(step_under_buckets(emulator, &dir, step, fill_first).await);
    }
    rows.push(per_service_change(emulator, n, latency_ms).await);
    for (step, fill_first) in [(Step::PlanDestroy, true), (Step::ApplyDestroy, false)] {
        rows.push(step_under_buckets(emulator, &dir, step, fill_first).await);
    }
    emulator.clear_latency().await;
    emulator.reset().await;
    rows
}

/// The per-service way's change (its call pattern, as in the first benchmark) on full
/// buckets, with terraform-provider-aws's retries.
async fn per_service_change(emulator: &Emulator, n: usize, latency_ms: u64) -> Row {
    emulator.clear_latency().await;
    let configurations = per_service_configurations(emulator, n).await;
    emulator.set_latency("*", latency_ms).await;
    emulator.fill_throttle_buckets().await;
    let before = levels(emulator).await;
    let sent = per_service_send(emulator, &patient_ecs(emulator), configurations).await;
    let after = levels(emulator).await;
    Row {
        what: "the per-service way: the same change (simulated, 10 in flight)".into(),
        calls: sent.calls,
        provider: sent.wall,
        floor: bucket_floor(&before, &after),
    }
}

fn report(sizes: &[(usize, Vec<Row>)], latency_ms: u64, total: Duration) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Latency {latency_ms} ms on every AWS call and ECS's published token buckets (the \
         emulator's `ecs` preset); max_concurrency {}. Buckets floor = the least time AWS's \
         buckets allow the command's calls: per bucket, the calls beyond the tokens it held \
         at the start ÷ its refill rate, summed over the buckets the command exhausts (one \
         after another in these commands). Throttled = calls answered ThrottlingException \
         (each retried by the SDK); AWS calls count them. Each plan \
         starts on full buckets, the apply after it on what the plan left. Provider = the \
         provider's time on the command's work, as above. One run of each. Whole benchmark: \
         {:.0} s.\n",
        super::max_concurrency(),
        total.as_secs_f64()
    );
    let _ = writeln!(
        out,
        "| N | command | AWS calls | throttled | provider ms | buckets floor ms | provider ÷ floor | the buckets beyond their burst |"
    );
    let _ = writeln!(
        out,
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |"
    );
    for (n, rows) in sizes {
        for row in rows {
            let ratio = if row.floor.floor.is_zero() {
                String::new()
            } else {
                format!(
                    "{:.2}",
                    row.provider.as_secs_f64() / row.floor.floor.as_secs_f64()
                )
            };
            let exhausted = match row.floor.exhausted.is_empty() {
                true => "none beyond its burst".to_string(),
                false => row.floor.exhausted.join("; "),
            };
            let _ = writeln!(
                out,
                "| {n} | {} | {} | {} | {} | {} | {ratio} | {} |",
                row.what,
                row.calls,
                row.floor.throttled,
                ms(row.provider),
                ms(row.floor.floor),
                exhausted,
            );
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "bench: make bench"]
async fn mesh_commands_under_the_token_buckets_aws_publishes() {
    let started = Instant::now();
    let latency_ms: u64 = env_or("BENCH_LATENCY_MS", 50);
    let sizes = sizes_from_env("BENCH_THROTTLED_SIZES", "100");
    let emulator = Emulator::start().await;
    let mut measured = Vec::new();
    for n in sizes {
        measured.push((n, measure(&emulator, n, latency_ms).await));
        println!(
            "N = {n} under the buckets done after {:.0} s",
            started.elapsed().as_secs_f64()
        );
    }
    let section = report(&measured, latency_ms, started.elapsed());
    println!("{section}");
    if let Ok(path) = std::env::var("BENCH_REPORT") {
        write_section(&path, &section, START_MARKER, END_MARKER);
    }
}
