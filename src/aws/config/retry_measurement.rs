//! A measurement, not part of `make test`: how the retry settings cope with throttling,
//! on clients configured as `connect` configures them, against a loopback ECS that
//! throttles like AWS (a token bucket) or at random (like the emulator's fault switch).
//!
//! `cargo test --lib retry_measurement -- --ignored --nocapture` prints one line per
//! scenario and configuration; docs/RELIABILITY.md ("Throttling") has the figures.
//! It fails if the provider's configuration (`standard`, no retry quota) loses a call.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_ecs::config::retry::{RetryMode, RetryPartition};
use aws_sdk_ecs::config::{Builder as EcsConfig, SharedAsyncSleep};
use aws_types::os_shim_internal::{Env, Fs};
use futures::future::join_all;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::{AwsSettings, DEFAULT_MAX_CONCURRENCY, profiles, retry, stop};

/// How the loopback ECS throttles.
#[derive(Clone, Copy, Debug)]
enum Throttling {
    /// AWS's way: a token bucket refilled at `rate` per second, holding `burst`.
    Bucket { rate: f64, burst: f64 },
    /// The emulator's way: each call with probability `p`, whatever the rate.
    Random { p: f64 },
}

/// A loopback ECS answering DescribeServices, or ThrottlingException as `throttling`
/// says. It stops when dropped.
struct Throttler {
    url: String,
    attempts: Arc<AtomicU64>,
    throttled: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Throttler {
    fn start(throttling: Throttling, seed: u64) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let attempts = Arc::new(AtomicU64::new(0));
        let throttled = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (attempts, throttled, stop) = (attempts.clone(), throttled.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut tokens = match throttling {
                    Throttling::Bucket { burst, .. } => burst,
                    Throttling::Random { .. } => 0.0,
                };
                let mut last = Instant::now();
                let mut random = seed.max(1);
                while !stop.load(Ordering::Relaxed) {
                    let Ok((stream, _)) = listener.accept() else {
                        std::thread::sleep(Duration::from_millis(1));
                        continue;
                    };
                    attempts.fetch_add(1, Ordering::Relaxed);
                    let allowed = match throttling {
                        Throttling::Bucket { rate, burst } => {
                            tokens = (tokens + last.elapsed().as_secs_f64() * rate).min(burst);
                            last = Instant::now();
                            let allowed = tokens >= 1.0;
                            if allowed {
                                tokens -= 1.0;
                            }
                            allowed
                        }
                        Throttling::Random { p } => {
                            // xorshift64: repeatable for a seed.
                            random ^= random << 13;
                            random ^= random >> 7;
                            random ^= random << 17;
                            (random % 10_000) as f64 >= p * 10_000.0
                        }
                    };
                    if !allowed {
                        throttled.fetch_add(1, Ordering::Relaxed);
                    }
                    answer(stream, allowed);
                }
            })
        };
        Self {
            url,
            attempts,
            throttled,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Throttler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request and answers it, on a connection of its own.
fn answer(mut stream: TcpStream, allowed: bool) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while data.len() < head_end + length {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
    let (status, body) = if allowed {
        (200, r#"{"services":[],"failures":[]}"#)
    } else {
        (
            400,
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
        )
    };
    let response = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/x-amz-json-1.1\r\n\
         content-length: {}\r\nx-amzn-requestid: m\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes());
}

/// The client configurations compared.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Client {
    /// The provider's: standard mode, 25 retries, no retry quota.
    Provider,
    /// The same in adaptive mode (a client-side rate that backs off when throttled).
    Adaptive,
    /// Standard mode, 25 retries, and the SDK's own retry quota (500 tokens, 5 a retry).
    SdkQuota,
}

/// What one configuration did in one scenario.
struct Measured {
    wall: Duration,
    attempts: u64,
    throttled: u64,
    failed: usize,
}

/// `calls` DescribeServices calls, `DEFAULT_MAX_CONCURRENCY` in flight, through an ECS
/// client configured as `client` says.
async fn measure(client: Client, throttling: Throttling, calls: usize, seed: u64) -> Measured {
    let server = Throttler::start(throttling, seed);
    let mode = match client {
        Client::Adaptive => "adaptive",
        _ => "standard",
    };
    let env = Env::from_slice(&[("AWS_RETRY_MODE", mode)]);
    let fs = Fs::from_slice(&[] as &[(&str, &str)]);
    let files = profiles::load(&env, &fs).await.expect("no shared files");
    let policy =
        retry::policy(&AwsSettings::default(), &env, &files, "default").expect("a retry policy");
    assert_eq!(
        policy.config.mode() == RetryMode::Adaptive,
        client == Client::Adaptive
    );
    let stop = CancellationToken::new();
    let sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "AKIDMEASURE",
            "measure",
            None,
            None,
            "measure",
        )))
        .retry_config(policy.config.clone())
        .sleep_impl(SharedAsyncSleep::new(stop::StoppableSleep::new(
            stop.clone(),
        )))
        .build();
    let partition = match client {
        Client::SdkQuota => RetryPartition::new("measure-sdk-quota"),
        _ => retry::partition("measure"),
    };
    let config = EcsConfig::from(&sdk)
        .retry_partition(partition)
        .interceptor(stop::StopGate::new(stop))
        .endpoint_url(server.url.clone())
        .build();
    let ecs = aws_sdk_ecs::Client::from_conf(config);
    let limit = Arc::new(Semaphore::new(DEFAULT_MAX_CONCURRENCY));
    let started = Instant::now();
    let results = join_all((0..calls).map(|i| {
        let (ecs, limit) = (ecs.clone(), limit.clone());
        async move {
            let _permit = limit.acquire().await.ok();
            ecs.describe_services()
                .cluster("prod")
                .services(format!("service-{i}"))
                .send()
                .await
        }
    }))
    .await;
    Measured {
        wall: started.elapsed(),
        attempts: server.attempts.load(Ordering::Relaxed),
        throttled: server.throttled.load(Ordering::Relaxed),
        failed: results.iter().filter(|r| r.is_err()).count(),
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "measurement: about 2 minutes"]
async fn standard_adaptive_and_the_sdk_quota_under_throttling() {
    const CALLS: usize = 100;
    let scenarios = [
        Throttling::Bucket {
            rate: 5.0,
            burst: 10.0,
        },
        Throttling::Bucket {
            rate: 2.0,
            burst: 5.0,
        },
        Throttling::Random { p: 0.3 },
        Throttling::Random { p: 0.5 },
    ];
    let clients = [Client::Provider, Client::Adaptive, Client::SdkQuota];
    let runs = scenarios
        .iter()
        .flat_map(|&s| clients.iter().map(move |&c| (s, c)))
        .map(|(scenario, client)| async move {
            (scenario, client, measure(client, scenario, CALLS, 7).await)
        });
    for (scenario, client, m) in join_all(runs).await {
        let line = format!(
            "{scenario:?} {client:?}: {CALLS} calls in {:.1}s, {} attempts, {} throttled, {} failed",
            m.wall.as_secs_f64(),
            m.attempts,
            m.throttled,
            m.failed
        );
        eprintln!("{line}");
        if client == Client::Provider {
            assert_eq!(
                m.failed, 0,
                "the provider's configuration lost calls: {line}"
            );
        }
    }
}
