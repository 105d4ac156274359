//! Starts and controls the local AWS emulator (acceptance-tests/emulator/run).
//!
//! `Emulator::start().await` runs the emulator as a child process in its own process group on a
//! free port and waits for its `READY <port>` line; dropping the `Emulator` stops the whole group.
//! SDK clients from `ecs()`, `cloudmap()` and `route53()` talk to it with test credentials in
//! us-east-1. The control helpers speak the JSON control API under `/_emulator/` (see
//! acceptance-tests/emulator/README.md) over a plain HTTP/1.1 connection.

// A toolkit for every suite of the test binary: not each suite uses each helper.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_servicediscovery::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_servicediscovery::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_servicediscovery::error::BoxError;
use aws_types::region::Region;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long the emulator may take to print READY (the first run also builds its Python venv).
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a stopping emulator gets after SIGTERM before its group is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// Lines of emulator stderr kept for error messages.
const STDERR_LINES: usize = 200;

/// The region every client of the emulator uses.
pub const REGION: &str = "us-east-1";
/// moto's default account id: the one in every ARN the emulator makes.
pub const ACCOUNT_ID: &str = "123456789012";
/// The account that owns namespaces shared with ours unless told otherwise (see [`ShareNamespace`]).
pub const OTHER_ACCOUNT_ID: &str = "210987654321";

/// Emulators waiting for their next test (see `Emulator::shared`).
static POOL: Mutex<Vec<Emulator>> = Mutex::new(Vec::new());

/// An emulator lent to one test; it goes back to the pool when dropped.
pub struct PooledEmulator(Option<Emulator>);

impl std::ops::Deref for PooledEmulator {
    type Target = Emulator;

    fn deref(&self) -> &Emulator {
        self.0.as_ref().expect("present until dropped")
    }
}

impl Drop for PooledEmulator {
    fn drop(&mut self) {
        if let (Some(emulator), Ok(mut pool)) = (self.0.take(), POOL.lock()) {
            pool.push(emulator); // reset when next lent, so a failed test leaves nothing behind
        }
    }
}

/// A running emulator process; dropping it stops the process group.
pub struct Emulator {
    child: Child,
    port: u16,
    stderr: Arc<Mutex<Vec<String>>>,
}

/// A fault-injection rule for [`Emulator::inject_fault`].
#[derive(Debug, Clone)]
pub struct Fault(Value);

impl Fault {
    /// Throttle calls to `operation` ("ecs:UpdateService", "ecs:*" or "*") with the protocol's
    /// throttling error (ThrottlingException for JSON services, Throttling for XML ones).
    pub fn throttle(operation: &str) -> Self {
        Fault(json!({"operation": operation, "kind": "throttle"}))
    }

    /// Answer with the service's 5xx fault (ECS: ServerException; others: InternalFailure).
    pub fn server_error(operation: &str) -> Self {
        Fault(json!({"operation": operation, "kind": "5xx"}))
    }

    /// Answer with exactly this error.
    pub fn error(operation: &str, code: &str, status: u16, message: &str) -> Self {
        Fault(
            json!({"operation": operation, "kind": "error", "code": code, "status": status, "message": message}),
        )
    }

    /// Fail at most `count` calls.
    pub fn count(self, count: u64) -> Self {
        self.with("count", json!(count))
    }

    /// Let the first `calls` matching calls through before failing: with no count, an outage.
    pub fn after(self, calls: u64) -> Self {
        self.with("after", json!(calls))
    }

    /// Fail each matching call with probability `rate`, repeatably for one `seed`.
    pub fn rate(self, rate: f64, seed: u64) -> Self {
        self.with("rate", json!(rate)).with("seed", json!(seed))
    }

    /// Only calls whose request field `field` is `value` (or an ARN ending in "/value").
    pub fn matching(mut self, field: &str, value: &str) -> Self {
        let map = self.0.as_object_mut().expect("a fault is an object");
        let entry = map.entry("match").or_insert_with(|| json!({}));
        entry[field] = json!(value);
        self
    }

    fn with(mut self, key: &str, value: Value) -> Self {
        self.0[key] = value;
        self
    }
}

/// The first-failed-call values an outage sweep tries for an operation of `calls` AWS
/// calls: every one (`stride` 1), or every `stride`-th and the last.
pub fn sweep_points(calls: u64, stride: u64) -> Vec<u64> {
    let mut points: Vec<u64> = (0..calls).step_by(stride.max(1) as usize).collect();
    if let Some(last) = calls.checked_sub(1)
        && points.last() != Some(&last)
    {
        points.push(last);
    }
    points
}

/// Calls per "service:Operation" since the last reset, and how many got an error answer.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    pub calls: HashMap<String, u64>,
    pub errors: HashMap<String, u64>,
}

impl Counters {
    pub fn calls(&self, operation: &str) -> u64 {
        self.calls.get(operation).copied().unwrap_or(0)
    }

    pub fn errors(&self, operation: &str) -> u64 {
        self.errors.get(operation).copied().unwrap_or(0)
    }
}

/// One AWS call as the emulator logged it (milliseconds since the counters' reset; an
/// answer not ready yet ends at `f64::MAX`).
#[derive(Debug, Clone)]
pub struct LoggedCall {
    pub operation: String,
    pub start_ms: f64,
    pub end_ms: f64,
}

impl LoggedCall {
    /// Whether the two calls were in flight at the same moment.
    pub fn overlaps(&self, other: &LoggedCall) -> bool {
        self.start_ms < other.end_ms && other.start_ms < self.end_ms
    }
}

/// moto's default VPC in us-east-1, its subnets and default security group.
#[derive(Debug, Clone)]
pub struct Network {
    pub vpc_id: String,
    pub subnet_ids: Vec<String>,
    pub security_group_id: String,
}

/// A namespace another account shares with ours through AWS RAM, for
/// [`Emulator::share_namespace`]: it exists at once, is listed by ListNamespaces with the owner's
/// account as ResourceOwner (and in its ARN), is read by ARN only, and cannot be changed or deleted
/// by our account. See "Namespaces shared from another account" in acceptance-tests/emulator/README.md.
#[derive(Debug, Clone)]
pub struct ShareNamespace(Value);

impl ShareNamespace {
    /// An HTTP namespace (API discovery only).
    pub fn http(name: &str) -> Self {
        ShareNamespace(json!({"name": name, "type": "HTTP"}))
    }

    /// A private DNS namespace; its hosted zone is associated with moto's default VPC unless
    /// [`ShareNamespace::vpc`] says otherwise.
    pub fn private_dns(name: &str) -> Self {
        ShareNamespace(json!({"name": name, "type": "DNS_PRIVATE"}))
    }

    /// Owned by this account instead of [`OTHER_ACCOUNT_ID`] (12 digits, not [`ACCOUNT_ID`]).
    pub fn owner(mut self, account_id: &str) -> Self {
        self.0["ownerAccount"] = json!(account_id);
        self
    }

    /// The VPC of a private DNS namespace's hosted zone.
    pub fn vpc(mut self, vpc_id: &str) -> Self {
        self.0["vpc"] = json!(vpc_id);
        self
    }

    pub fn description(mut self, description: &str) -> Self {
        self.0["description"] = json!(description);
        self
    }

    /// A Cloud Map service the owner created in the namespace (no instances). Ours cannot
    /// delete it (AccessDeniedException).
    pub fn service(mut self, name: &str) -> Self {
        let map = self.0.as_object_mut().expect("a share is an object");
        let services = map.entry("services").or_insert_with(|| json!([]));
        services
            .as_array_mut()
            .expect("services is a list")
            .push(json!(name));
        self
    }
}

/// A namespace planted by [`Emulator::share_namespace`].
#[derive(Debug, Clone)]
pub struct SharedNamespace {
    pub id: String,
    /// arn:aws:servicediscovery:us-east-1:<owner>:namespace/<id>: what to give AWS calls.
    pub arn: String,
    pub name: String,
    pub owner_account: String,
    /// The bare Route 53 zone id of a DNS namespace (the zone is in the owner's account).
    pub hosted_zone_id: Option<String>,
    /// (name, ARN) of the Cloud Map services the owner created in it.
    pub services: Vec<(String, String)>,
}

/// One event of the emulator's ECS deployment log (`GET /_emulator/ecs/deployment-log`), in the
/// order events happened across every service. See "Deployments and pretend tasks" in
/// acceptance-tests/emulator/README.md.
#[derive(Debug, Clone)]
pub struct DeploymentEvent {
    /// Global sequence number, from 1: the order of events across all services.
    pub seq: u64,
    /// When it happened, RFC 3339 in UTC.
    pub time: String,
    /// CREATED, COMPLETED, FAILED, ROLLED_BACK or DRAINED.
    pub event: String,
    pub cluster: String,
    pub service: String,
    pub deployment_id: String,
    pub task_definition: Option<String>,
    /// Whether the deployment carries a Service Connect configuration.
    pub service_connect: bool,
    /// The discovery names of its serviceConnectResources (a server's; empty for a client).
    pub discovery_names: Vec<String>,
    /// CREATED: what started it: "CreateService", "UpdateService" or "Rollback".
    pub trigger: Option<String>,
    /// FAILED: the rolloutStateReason.
    pub reason: Option<String>,
    /// The whole event as the emulator answered it (more details per kind).
    pub raw: Value,
}

/// The deployment log, oldest event first, with helpers to check the order of deployments.
#[derive(Debug, Clone, Default)]
pub struct DeploymentLog(pub Vec<DeploymentEvent>);

impl DeploymentLog {
    /// The events of one ECS service (by name, any cluster), oldest first.
    pub fn of(&self, service: &str) -> Vec<&DeploymentEvent> {
        self.0.iter().filter(|e| e.service == service).collect()
    }

    /// The event kinds of one service in order, e.g. ["CREATED", "COMPLETED", ...].
    pub fn kinds(&self, service: &str) -> Vec<&str> {
        self.of(service).iter().map(|e| e.event.as_str()).collect()
    }

    /// The first `event` ("CREATED", "COMPLETED", ...) of `service`.
    pub fn first(&self, service: &str, event: &str) -> Option<&DeploymentEvent> {
        self.0
            .iter()
            .find(|e| e.service == service && e.event == event)
    }

    /// The last `event` of `service`.
    pub fn last(&self, service: &str, event: &str) -> Option<&DeploymentEvent> {
        self.0
            .iter()
            .rev()
            .find(|e| e.service == service && e.event == event)
    }

    /// The first `event` of `service` after sequence number `seq`.
    pub fn first_after(&self, seq: u64, service: &str, event: &str) -> Option<&DeploymentEvent> {
        self.0
            .iter()
            .find(|e| e.seq > seq && e.service == service && e.event == event)
    }
}

/// An HTTP answer from the emulator, for control calls and hand-made AWS requests.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
}

impl HttpResponse {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("emulator answered non-JSON ({e}): {}", self.body))
    }
}

impl Emulator {
    /// An emulator from a pool shared by the tests of this binary, reset to a clean state
    /// (AWS state, faults, latency, counters, settings) and used by this test alone until the
    /// returned guard drops. Starting one costs about a second of CPU; a reset, milliseconds.
    /// Pooled emulators stop when the test binary exits (their stdin closes).
    pub async fn shared() -> PooledEmulator {
        loop {
            let candidate = POOL.lock().expect("emulator pool").pop();
            let Some(mut emulator) = candidate else {
                return PooledEmulator(Some(Emulator::start().await));
            };
            let alive = matches!(emulator.child.try_wait(), Ok(None));
            if alive
                && let Ok(answer) = emulator
                    .try_http("POST", "/_emulator/reset", &[], b"")
                    .await
                && answer.status == 200
            {
                return PooledEmulator(Some(emulator));
            }
            emulator.stop(); // dead or wedged: start another
        }
    }

    /// Starts an emulator on a free port; panics (with its stderr) if it is not ready in time.
    pub async fn start() -> Emulator {
        tokio::task::spawn_blocking(Self::start_blocking)
            .await
            .expect("emulator start-up thread panicked")
    }

    fn start_blocking() -> Emulator {
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("acceptance-tests/emulator/run");
        let mut child = Command::new(&script)
            .args(["--port", "0", "--stop-on-stdin-eof"])
            .stdin(Stdio::piped()) // held open; closes if this process dies, and the emulator stops
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", script.display()));

        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&stderr);
        let err_pipe = child.stderr.take().expect("stderr is piped");
        std::thread::spawn(move || {
            for line in BufReader::new(err_pipe).lines().map_while(Result::ok) {
                let mut lines = sink.lock().expect("stderr buffer");
                if lines.len() == STDERR_LINES {
                    lines.remove(0);
                }
                lines.push(line);
            }
        });

        let (ready_tx, ready_rx) = mpsc::channel();
        let out_pipe = child.stdout.take().expect("stdout is piped");
        std::thread::spawn(move || {
            let mut reader = BufReader::new(out_pipe);
            let mut first = String::new();
            let _ = ready_tx.send(reader.read_line(&mut first).map(|_| first));
            // Keep draining so the emulator never blocks on a full pipe.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });

        let mut emulator = Emulator {
            child,
            port: 0,
            stderr,
        };
        let line = match ready_rx.recv_timeout(READY_TIMEOUT) {
            Ok(Ok(line)) => line,
            Ok(Err(e)) => emulator.fail(&format!("reading its stdout failed: {e}")),
            Err(_) => emulator.fail(&format!("no READY line within {READY_TIMEOUT:?}")),
        };
        match line
            .trim_end()
            .strip_prefix("READY ")
            .and_then(|p| p.parse().ok())
        {
            Some(port) => emulator.port = port,
            None => emulator.fail(&format!("expected \"READY <port>\" first, got {line:?}")),
        }
        emulator
    }

    fn fail(&mut self, why: &str) -> ! {
        self.stop();
        // The stderr reader may still be catching the last lines.
        std::thread::sleep(Duration::from_millis(100));
        panic!(
            "emulator did not start: {why}\n--- emulator stderr ---\n{}",
            self.stderr_tail()
        );
    }

    /// The last lines the emulator wrote to stderr (bootstrap, moto, tracebacks).
    pub fn stderr_tail(&self) -> String {
        self.stderr
            .lock()
            .map(|lines| lines.join("\n"))
            .unwrap_or_default()
    }

    /// The process id of the emulator, which also leads its process group.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// http://127.0.0.1:PORT
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// SDK configuration for the emulator: us-east-1, static test credentials, its endpoint,
    /// and the SDK's default (standard) retry behaviour.
    pub fn sdk_config(&self) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "AKIAEMULATORTEST",
                "emulator-test-secret",
                None,
                None,
                "servicemesh-emulator",
            )))
            .endpoint_url(self.endpoint())
            .build()
    }

    pub fn ecs(&self) -> aws_sdk_ecs::Client {
        aws_sdk_ecs::Client::new(&self.sdk_config())
    }

    /// Cloud Map. The SDK always sends DiscoverInstances to the "data-" host prefix of the
    /// endpoint, which does not resolve for 127.0.0.1; this client strips it again.
    pub fn cloudmap(&self) -> aws_sdk_servicediscovery::Client {
        let config = aws_sdk_servicediscovery::config::Builder::from(&self.sdk_config())
            .interceptor(StripLoopbackHostPrefix)
            .build();
        aws_sdk_servicediscovery::Client::from_conf(config)
    }

    pub fn route53(&self) -> aws_sdk_route53::Client {
        aws_sdk_route53::Client::new(&self.sdk_config())
    }

    /// One HTTP/1.1 request to the emulator (Connection: close); panics if it cannot be sent.
    pub async fn http(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> HttpResponse {
        self.try_http(method, path, headers, body)
            .await
            .unwrap_or_else(|e| panic!("HTTP to the emulator on port {} failed: {e}", self.port))
    }

    async fn try_http(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<HttpResponse> {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await?;
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        if !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("host"))
        {
            request.push_str(&format!("Host: 127.0.0.1:{}\r\n", self.port));
        }
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        stream.write_all(&bytes).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        Ok(parse_http_response(&raw))
    }

    /// A control-API call; panics unless the emulator answers 200.
    pub async fn control(&self, method: &str, route: &str, body: Option<Value>) -> Value {
        let response = self.control_raw(method, route, body).await;
        assert_eq!(
            response.status, 200,
            "control call {method} {route} failed: {}",
            response.body
        );
        response.json()
    }

    /// A control-API call that may fail, for checking the control API itself.
    pub async fn control_raw(
        &self,
        method: &str,
        route: &str,
        body: Option<Value>,
    ) -> HttpResponse {
        let payload = body.map(|b| b.to_string()).unwrap_or_default();
        let path = format!("/_emulator/{route}");
        self.http(
            method,
            &path,
            &[("Content-Type", "application/json")],
            payload.as_bytes(),
        )
        .await
    }

    pub async fn counters(&self) -> Counters {
        let value = self.control("GET", "counters", None).await;
        let table = |key: &str| -> HashMap<String, u64> {
            value[key]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                        .collect()
                })
                .unwrap_or_default()
        };
        Counters {
            calls: table("calls"),
            errors: table("errors"),
        }
    }

    /// Every AWS call since the counters were last reset, in the order they arrived, with
    /// when each arrived and when its answer was ready.
    pub async fn call_log(&self) -> Vec<LoggedCall> {
        let value = self.control("GET", "counters/log", None).await;
        value["log"]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .map(|entry| LoggedCall {
                        operation: entry["operation"].as_str().unwrap_or_default().to_string(),
                        start_ms: entry["start_ms"].as_f64().unwrap_or(0.0),
                        end_ms: entry["end_ms"].as_f64().unwrap_or(f64::MAX),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub async fn reset_counters(&self) {
        self.control("POST", "counters/reset", None).await;
    }

    /// Adds a fault rule; returns its id.
    pub async fn inject_fault(&self, fault: Fault) -> u64 {
        let rule = self.control("POST", "faults", Some(fault.0)).await;
        rule["id"].as_u64().expect("fault id")
    }

    /// The fault rules with how many calls each has seen and failed.
    pub async fn faults(&self) -> Vec<Value> {
        let listed = self.control("GET", "faults", None).await;
        listed["faults"].as_array().cloned().unwrap_or_default()
    }

    pub async fn remove_fault(&self, id: u64) {
        self.control("DELETE", &format!("faults/{id}"), None).await;
    }

    pub async fn clear_faults(&self) {
        self.control("DELETE", "faults", None).await;
    }

    /// An outage: from the `first_failed_call`-th AWS call on (0: the very first), every
    /// call fails with the service's 5xx, until [`Emulator::clear_faults`].
    pub async fn outage_from(&self, first_failed_call: u64) {
        self.inject_fault(Fault::server_error("*").after(first_failed_call))
            .await;
    }

    /// All AWS calls since the counters were last reset.
    pub async fn total_calls(&self) -> u64 {
        self.counters().await.calls.values().sum()
    }

    /// Adds `ms` of latency to `operation` ("*", "ecs:*" or "ecs:DescribeServices"); 0 removes it.
    pub async fn set_latency(&self, operation: &str, ms: u64) {
        self.control(
            "POST",
            "latency",
            Some(json!({"operation": operation, "ms": ms})),
        )
        .await;
    }

    pub async fn clear_latency(&self) {
        self.control("DELETE", "latency", None).await;
    }

    /// ECS's token buckets as AWS publishes them (`throttle_buckets.py`), each full: a call
    /// its bucket has no token for is throttled. Returns the buckets.
    pub async fn throttle_like_aws(&self) -> Vec<Value> {
        let set = self
            .control("POST", "throttle-buckets", Some(json!({"preset": "ecs"})))
            .await;
        set["buckets"].as_array().cloned().unwrap_or_default()
    }

    /// Every token bucket full again, its `taken` and `throttled` counts zeroed.
    pub async fn fill_throttle_buckets(&self) -> Vec<Value> {
        let filled = self.control("POST", "throttle-buckets/fill", None).await;
        filled["buckets"].as_array().cloned().unwrap_or_default()
    }

    /// The token buckets, each with how many calls took a token and how many were throttled.
    pub async fn throttle_buckets(&self) -> Vec<Value> {
        let listed = self.control("GET", "throttle-buckets", None).await;
        listed["buckets"].as_array().cloned().unwrap_or_default()
    }

    /// Changes emulator settings, e.g. `json!({"drain_after_describes": 2})`; returns them all.
    pub async fn update_settings(&self, changes: Value) -> Value {
        self.control("POST", "settings", Some(changes)).await
    }

    /// DescribeServices calls that still show a rollout in progress (default 0).
    pub async fn set_drain_after_describes(&self, describes: u64) {
        self.update_settings(json!({"drain_after_describes": describes}))
            .await;
    }

    /// GetOperation polls a Cloud Map operation spends in SUBMITTED and in PENDING (default 2).
    pub async fn set_operation_polls_per_stage(&self, polls: u64) {
        self.update_settings(json!({"operation_polls_per_stage": polls}))
            .await;
    }

    /// The next Cloud Map namespace operation ends in FAIL with this ErrorCode and ErrorMessage.
    pub async fn fail_next_namespace_operation(&self, code: &str, message: &str) {
        self.control(
            "POST",
            "cloudmap/fail-next-namespace-operation",
            Some(json!({"code": code, "message": message})),
        )
        .await;
    }

    /// Finishes every unfinished Cloud Map operation at once; returns their ids.
    pub async fn finish_cloudmap_operations(&self) -> Vec<String> {
        let finished = self
            .control("POST", "cloudmap/finish-operations", None)
            .await;
        finished["finished"]
            .as_array()
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| id.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether running tasks of Service Connect servers register Cloud Map instances
    /// (default off: settings.py).
    pub async fn set_register_instances(&self, on: bool) {
        self.update_settings(json!({"register_instances": u64::from(on)}))
            .await;
    }

    /// Every ECS deployment event since the last reset, oldest first (see [`DeploymentLog`]).
    pub async fn deployment_log(&self) -> DeploymentLog {
        let answer = self.control("GET", "ecs/deployment-log", None).await;
        let text = |value: &Value| value.as_str().map(str::to_owned);
        let events = answer["events"].as_array().cloned().unwrap_or_default();
        DeploymentLog(
            events
                .into_iter()
                .map(|e| DeploymentEvent {
                    seq: e["seq"].as_u64().unwrap_or_default(),
                    time: text(&e["time"]).unwrap_or_default(),
                    event: text(&e["event"]).unwrap_or_default(),
                    cluster: text(&e["cluster"]).unwrap_or_default(),
                    service: text(&e["service"]).unwrap_or_default(),
                    deployment_id: text(&e["deploymentId"]).unwrap_or_default(),
                    task_definition: text(&e["taskDefinition"]),
                    service_connect: e["serviceConnect"].as_bool().unwrap_or_default(),
                    discovery_names: e["discoveryNames"]
                        .as_array()
                        .map(|names| names.iter().filter_map(text).collect())
                        .unwrap_or_default(),
                    trigger: text(&e["trigger"]),
                    reason: text(&e["reason"]),
                    raw: e,
                })
                .collect(),
        )
    }

    /// The next deployment of ECS service `service` in `cluster` that starts (UpdateService,
    /// CreateService) fails: its tasks never start. What follows is what the service's
    /// deploymentCircuitBreaker says, as on AWS: with `rollback` the deployment goes FAILED
    /// (rolloutStateReason "ECS deployment circuit breaker: task failed to start.") and a new
    /// PRIMARY deployment brings back the last COMPLETED configuration; with only `enable` the
    /// FAILED deployment stays PRIMARY; without the breaker it stays IN_PROGRESS for ever.
    /// [`crate::support::world::enable_circuit_breaker`] turns the breaker on.
    pub async fn fail_next_deployment(&self, cluster: &str, service: &str) {
        self.arm_deployment_failure(cluster, service, None).await;
    }

    /// [`Emulator::fail_next_deployment`] with this rolloutStateReason.
    pub async fn fail_next_deployment_because(&self, cluster: &str, service: &str, reason: &str) {
        self.arm_deployment_failure(cluster, service, Some(reason))
            .await;
    }

    async fn arm_deployment_failure(&self, cluster: &str, service: &str, reason: Option<&str>) {
        let mut failure = json!({"cluster": cluster, "service": service});
        if let Some(reason) = reason {
            failure["reason"] = json!(reason);
        }
        self.control("POST", "ecs/fail-next-deployment", Some(failure))
            .await;
    }

    /// Cancels every deployment failure not yet used.
    pub async fn cancel_deployment_failures(&self) {
        self.control("DELETE", "ecs/fail-next-deployment", None)
            .await;
    }

    /// Forgets all AWS state, faults, latency, counters and settings.
    pub async fn reset(&self) {
        self.control("POST", "reset", None).await;
    }

    /// Plants a namespace of another account, shared with ours (AWS RAM): see [`ShareNamespace`].
    pub async fn share_namespace(&self, share: ShareNamespace) -> SharedNamespace {
        let made = self
            .control("POST", "cloudmap/shared-namespaces", Some(share.0))
            .await;
        let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
        SharedNamespace {
            id: text(&made["id"]),
            arn: text(&made["arn"]),
            name: text(&made["name"]),
            owner_account: text(&made["ownerAccount"]),
            hosted_zone_id: made["hostedZoneId"].as_str().map(str::to_owned),
            services: made["services"]
                .as_array()
                .map(|services| {
                    services
                        .iter()
                        .map(|s| (text(&s["name"]), text(&s["arn"])))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// Creates another VPC in the account (moto's EC2) with this CIDR block (/16 to /28), e.g.
    /// to associate with a namespace's hosted zone; returns its id.
    pub async fn create_vpc(&self, cidr: &str) -> String {
        let made = self
            .control("POST", "network/vpcs", Some(json!({"cidr": cidr})))
            .await;
        made["vpcId"].as_str().expect("the new VPC's id").to_owned()
    }

    pub async fn network(&self) -> Network {
        let value = self.control("GET", "network", None).await;
        let text = |key: &str| value[key].as_str().unwrap_or_default().to_owned();
        Network {
            vpc_id: text("vpcId"),
            subnet_ids: value["subnetIds"]
                .as_array()
                .map(|ids| {
                    ids.iter()
                        .filter_map(|id| id.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            security_group_id: text("securityGroupId"),
        }
    }

    fn stop(&mut self) {
        if !matches!(self.child.try_wait(), Ok(None)) {
            return;
        }
        let group = self.child.id();
        signal_group("TERM", group);
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        signal_group("KILL", group);
        let _ = self.child.wait();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Signals every process of the group (the child leads it): `kill -SIG -- -PGID`.
fn signal_group(signal: &str, group: u32) {
    let _ = Command::new("kill")
        .args([format!("-{signal}"), "--".to_owned(), format!("-{group}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn parse_http_response(raw: &[u8]) -> HttpResponse {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("malformed HTTP answer: {}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {head:?}"));
    let body = String::from_utf8_lossy(&raw[split + 4..]).into_owned();
    HttpResponse { status, body }
}

/// Undoes the SDK's "data-" host prefix on loopback endpoints (the emulator routes by the
/// signed service name, not the host, so the prefix carries nothing it needs).
#[derive(Debug)]
struct StripLoopbackHostPrefix;

impl Intercept for StripLoopbackHostPrefix {
    fn name(&self) -> &'static str {
        "StripLoopbackHostPrefix"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let uri = request.uri().to_owned();
        for loopback in ["127.0.0.1", "localhost"] {
            let prefixed = format!("://data-{loopback}");
            if uri.contains(&prefixed) {
                request.set_uri(uri.replacen(&prefixed, &format!("://{loopback}"), 1))?;
                break;
            }
        }
        Ok(())
    }
}
