//! Tests of `connect`.
//!
//! aws-config reads the real process environment and HOME, and its injection points
//! (`ConfigLoader::env`/`fs`) exist only behind its `test-util` feature. So every test
//! that reaches `aws_config::defaults(..).load()` re-runs itself as a child of this test
//! binary with a cleared environment, a temporary HOME and IMDS disabled: nothing of the
//! developer's ~/.aws or AWS_* variables leaks in, and nothing reaches beyond loopback.
//! Tests that fail before the loader runs call `connect_with` in-process instead.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_types::retry::RetryMode;

use super::*;
use crate::aws::error::one_line;

// ---------------------------------------------------------------------------------
// Support: child processes, a loopback AWS stand-in, log capture.
// ---------------------------------------------------------------------------------

const CHILD_VAR: &str = "SERVICEMESH_AWS_CONFIG_TEST_CHILD";

/// Distinctive secrets, so a leak into the logs cannot be a coincidence.
const SECRET_KEY: &str = "sEcReTkEy/NeverLogThis+0123456789abcdefABCDEF";
const SESSION_TOKEN: &str = "SeSsIoNtOkEn/NeverLogThisEither+FwoGZXIvYXdzEBAaDEXAMPLE";
const ASSUMED_SECRET: &str = "aSsUmEdSeCrEt/NeverLogThis+9876543210";
const ASSUMED_TOKEN: &str = "AsSuMeDtOkEn/NeverLogThis+IQoJb3JpZ2luX2VjEXAMPLE";
const ACCESS_KEY: &str = "AKIDSERVICEMESHTEST";

/// True in the child, which then runs the test body. In the parent, runs the named test
/// in a child with exactly `env` (plus a temporary HOME unless given, and IMDS off),
/// fails if the child failed, and returns false.
fn in_child(test: &str, env: &[(&str, String)]) -> bool {
    if std::env::var(CHILD_VAR).as_deref() == Ok(test) {
        return true;
    }
    let module = module_path!()
        .split_once("::")
        .map(|(_, rest)| rest)
        .unwrap_or(module_path!());
    let home = tempfile::tempdir().expect("temporary HOME");
    let mut cmd = Command::new(std::env::current_exe().expect("test binary"));
    cmd.args([
        format!("{module}::{test}").as_str(),
        "--exact",
        "--nocapture",
        "--test-threads=1",
    ])
    .env_clear()
    .env(CHILD_VAR, test)
    .env("HOME", home.path())
    .env("AWS_EC2_METADATA_DISABLED", "true");
    for (key, value) in env {
        cmd.env(key, value);
    }
    let out = cmd.output().expect("run the child test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child test {test} failed:\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    false
}

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(future)
}

fn static_credentials_env() -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_string()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_string()),
        ("AWS_SESSION_TOKEN", SESSION_TOKEN.to_string()),
    ]
}

fn env_with(extra: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut env = static_credentials_env();
    env.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    env
}

/// One request as the loopback server saw it.
#[derive(Clone, Debug)]
struct Seen {
    /// Request line and headers, header names lower-cased.
    head: String,
    body: String,
}

impl Seen {
    fn is_ecs(&self) -> bool {
        self.head
            .contains("x-amz-target: AmazonEC2ContainerServiceV20141113.")
    }
    fn is_servicediscovery(&self) -> bool {
        self.head
            .contains("x-amz-target: Route53AutoNaming_v20170314.")
    }
    fn is_route53(&self) -> bool {
        self.head.contains(" /2013-04-01/")
    }
    fn is_assume_role(&self) -> bool {
        self.body.contains("Action=AssumeRole")
    }
}

#[derive(Clone, Copy)]
enum Sts {
    Grants,
    Denies,
    /// 500, which the SDK retries.
    Fails,
}

/// A stand-in for AWS on 127.0.0.1: answers every API with a recognisable error,
/// ECS with 500 when asked (to count retries), and STS AssumeRole as told. Bounded:
/// it stops when dropped, and after a minute at most.
struct Loopback {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Loopback {
    fn start(sts: Sts, ecs_status: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (seen, stop) = (seen.clone(), stop.clone());
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(60);
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            if let Some(request) = serve(stream, sts, ecs_status) {
                                seen.lock().expect("seen").push(request);
                            }
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        Self {
            url,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("seen").clone()
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request and answers it; one request per connection.
fn serve(mut stream: TcpStream, sts: Sts, ecs_status: u16) -> Option<Seen> {
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    };
    let head_raw = String::from_utf8_lossy(&data[..head_end]).to_string();
    let mut head = String::new();
    for (i, line) in head_raw.lines().enumerate() {
        match line.split_once(':') {
            Some((name, value)) if i > 0 => head.push_str(&format!(
                "{}: {}\n",
                name.to_ascii_lowercase(),
                value.trim()
            )),
            _ => head.push_str(&format!("{line}\n")),
        }
    }
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while data.len() < head_end + length {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
    }
    let body = String::from_utf8_lossy(&data[head_end..]).to_string();
    let seen = Seen { head, body };

    let json_error = r#"{"__type":"LoopbackProbeException","message":"loopback probe"}"#;
    let (status, content_type, reply) = if seen.is_assume_role() {
        match sts {
            Sts::Grants => (200, "text/xml", assume_role_granted()),
            Sts::Denies => (403, "text/xml", assume_role_denied()),
            Sts::Fails => (500, "text/xml", assume_role_denied()),
        }
    } else if seen.is_ecs() {
        (
            ecs_status,
            "application/x-amz-json-1.1",
            json_error.to_string(),
        )
    } else if seen.is_route53() {
        (
            400,
            "text/xml",
            "<ErrorResponse><Error><Type>Sender</Type><Code>LoopbackProbeException</Code>\
             <Message>loopback probe</Message></Error><RequestId>r53</RequestId></ErrorResponse>"
                .to_string(),
        )
    } else {
        (400, "application/x-amz-json-1.1", json_error.to_string())
    };
    let response = format!(
        "HTTP/1.1 {status} Loopback\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\
         x-amzn-requestid: loopback\r\nconnection: close\r\n\r\n{reply}",
        reply.len()
    );
    stream.write_all(response.as_bytes()).ok()?;
    let _ = stream.flush();
    Some(seen)
}

fn assume_role_granted() -> String {
    format!(
        r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/mesh/servicemesh-test</Arn>
      <AssumedRoleId>AROAEXAMPLE:servicemesh-test</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAASSUMEDEXAMPLE</AccessKeyId>
      <SecretAccessKey>{ASSUMED_SECRET}</SecretAccessKey>
      <SessionToken>{ASSUMED_TOKEN}</SessionToken>
      <Expiration>2099-01-01T00:00:00Z</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>sts-ok</RequestId></ResponseMetadata>
</AssumeRoleResponse>"#
    )
}

const DENIED_MESSAGE: &str = "User: arn:aws:iam::123456789012:user/ci is not authorized to \
                              perform: sts:AssumeRole on resource: \
                              arn:aws:iam::123456789012:role/mesh";

fn assume_role_denied() -> String {
    format!(
        r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>AccessDenied</Code><Message>{DENIED_MESSAGE}</Message></Error>
  <RequestId>sts-denied</RequestId>
</ErrorResponse>"#
    )
}

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/mesh";

fn settings() -> AwsSettings {
    AwsSettings {
        region: Some("us-east-1".to_string()),
        ..AwsSettings::default()
    }
}

fn empty_fs() -> Fs {
    Fs::from_map(HashMap::<String, Vec<u8>>::new())
}

/// What `connect_with` refuses before any AWS call, for a provider never stopped.
async fn refused(settings: &AwsSettings, env: &Env, fs: &Fs) -> ConfigError {
    expect_err(connect_with(settings, env, fs, CancellationToken::new()).await)
}

/// The error a failed `connect` returned; panics on success.
fn expect_err(result: Result<AwsClients, ConfigError>) -> ConfigError {
    match result {
        Ok(clients) => panic!("connect succeeded unexpectedly: {clients:?}"),
        Err(e) => e,
    }
}

async fn access_key_of(clients: &AwsClients) -> String {
    let provider = clients
        .sdk_config()
        .credentials_provider()
        .expect("credentials provider");
    provider
        .provide_credentials()
        .await
        .expect("credentials")
        .access_key_id()
        .to_string()
}

// ---------------------------------------------------------------------------------
// Region.
// ---------------------------------------------------------------------------------

#[test]
fn region_attribute_overrides_env() {
    if !in_child(
        "region_attribute_overrides_env",
        &env_with(&[("AWS_REGION", "eu-west-1")]),
    ) {
        return;
    }
    let clients = block_on(connect(&AwsSettings {
        region: Some("us-west-2".to_string()),
        ..AwsSettings::default()
    }))
    .expect("connect");
    assert_eq!(clients.region(), "us-west-2");
    let region = clients.ecs().config().region().map(|r| r.to_string());
    assert_eq!(region.as_deref(), Some("us-west-2"));
}

#[test]
fn region_from_env() {
    if !in_child("region_from_env", &env_with(&[("AWS_REGION", "eu-west-1")])) {
        return;
    }
    let clients = block_on(connect(&AwsSettings::default())).expect("connect");
    assert_eq!(clients.region(), "eu-west-1");
    for region in [
        clients.ecs().config().region(),
        clients.servicediscovery().config().region(),
        clients.route53().config().region(),
    ] {
        assert_eq!(region.map(|r| r.as_ref()), Some("eu-west-1"));
    }
}

#[test]
fn missing_region_is_reported() {
    if !in_child("missing_region_is_reported", &static_credentials_env()) {
        return;
    }
    let err = expect_err(block_on(connect(&AwsSettings::default())));
    assert!(matches!(err, ConfigError::MissingRegion), "{err}");
    assert_eq!(err.attribute(), Some("region"));
    let text = err.to_string();
    assert!(text.contains("set `region`"), "{text}");
    assert!(text.contains("AWS_REGION"), "{text}");
}

#[tokio::test]
async fn invalid_region_attribute_is_reported() {
    let settings = AwsSettings {
        region: Some("US East 1".to_string()),
        ..AwsSettings::default()
    };
    let err = refused(&settings, &Env::from_slice(&[]), &empty_fs()).await;
    assert!(matches!(err, ConfigError::InvalidRegion { .. }), "{err}");
    assert_eq!(err.attribute(), Some("region"));
}

// ---------------------------------------------------------------------------------
// Profiles and shared files.
// ---------------------------------------------------------------------------------

/// A HOME with ~/.aws/config and ~/.aws/credentials holding profile "mesh".
fn home_with_profile() -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("home");
    let aws = home.path().join(".aws");
    std::fs::create_dir(&aws).expect(".aws");
    std::fs::write(
        aws.join("config"),
        "[default]\nregion = us-east-1\n\n[profile mesh]\nregion = ap-southeast-2\n",
    )
    .expect("config");
    std::fs::write(
        aws.join("credentials"),
        format!(
            "[mesh]\naws_access_key_id = AKIDPROFILEMESH\naws_secret_access_key = {SECRET_KEY}\n"
        ),
    )
    .expect("credentials");
    home
}

#[test]
fn profile_from_shared_files() {
    let home = home_with_profile();
    let env = [("HOME", home.path().display().to_string())];
    if !in_child("profile_from_shared_files", &env) {
        return;
    }
    let clients = block_on(async {
        let clients = connect(&AwsSettings {
            profile: Some("mesh".to_string()),
            ..AwsSettings::default()
        })
        .await
        .expect("connect");
        assert_eq!(access_key_of(&clients).await, "AKIDPROFILEMESH");
        clients
    });
    assert_eq!(clients.region(), "ap-southeast-2");
}

#[test]
fn profile_from_aws_profile_env() {
    let home = home_with_profile();
    let env = [
        ("HOME", home.path().display().to_string()),
        ("AWS_PROFILE", "mesh".to_string()),
    ];
    if !in_child("profile_from_aws_profile_env", &env) {
        return;
    }
    let clients = block_on(connect(&AwsSettings::default())).expect("connect");
    assert_eq!(clients.region(), "ap-southeast-2");
}

#[test]
fn unknown_profile_attribute_is_reported() {
    let home = home_with_profile();
    let env = [("HOME", home.path().display().to_string())];
    if !in_child("unknown_profile_attribute_is_reported", &env) {
        return;
    }
    let err = expect_err(block_on(connect(&AwsSettings {
        profile: Some("nope".to_string()),
        ..settings()
    })));
    assert!(matches!(err, ConfigError::UnknownProfile { .. }), "{err}");
    assert_eq!(err.attribute(), Some("profile"));
    let text = err.to_string();
    assert!(text.contains("\"nope\""), "{text}");
    assert!(text.contains("available profiles: default, mesh"), "{text}");
    assert!(text.contains(".aws/credentials"), "{text}");
}

#[test]
fn unknown_profile_from_env_is_reported() {
    let home = home_with_profile();
    let env = [
        ("HOME", home.path().display().to_string()),
        ("AWS_PROFILE", "ghost".to_string()),
    ];
    if !in_child("unknown_profile_from_env_is_reported", &env) {
        return;
    }
    let err = expect_err(block_on(connect(&settings())));
    assert!(matches!(err, ConfigError::UnknownProfile { .. }), "{err}");
    assert_eq!(err.attribute(), None);
    assert!(err.to_string().contains("AWS_PROFILE"), "{err}");
}

#[test]
fn unreadable_credentials_file_is_reported() {
    // A directory exists but cannot be read as a file, even by root.
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().display().to_string();
    let env = env_with(&[("AWS_SHARED_CREDENTIALS_FILE", &path)]);
    if !in_child("unreadable_credentials_file_is_reported", &env) {
        return;
    }
    let err = expect_err(block_on(connect(&settings())));
    assert!(matches!(err, ConfigError::SharedConfigFile { .. }), "{err}");
    assert_eq!(err.attribute(), None);
    let text = err.to_string();
    assert!(text.contains("credentials file"), "{text}");
    assert!(text.contains("AWS_SHARED_CREDENTIALS_FILE"), "{text}");
    assert!(text.contains("cannot be read"), "{text}");
}

#[tokio::test]
async fn unparsable_config_file_is_reported() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("config");
    std::fs::write(&path, "[profile broken\nregion = us-east-1\n").expect("write");
    let path = path.display().to_string();
    let env = Env::from_slice(&[("AWS_CONFIG_FILE", &path)]);
    let err = refused(&settings(), &env, &Fs::real()).await;
    assert!(matches!(err, ConfigError::SharedConfigFile { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains(&path), "{text}");
    assert!(text.contains("cannot be parsed"), "{text}");
    assert!(text.contains("AWS_CONFIG_FILE"), "{text}");
}

#[tokio::test]
async fn unknown_profile_is_reported_before_loading() {
    let fs = Fs::from_map(HashMap::from([(
        "/h/.aws/config".to_string(),
        b"[profile real]\n".to_vec(),
    )]));
    let settings = AwsSettings {
        profile: Some("typo".to_string()),
        ..settings()
    };
    let err = refused(&settings, &Env::from_slice(&[("HOME", "/h")]), &fs).await;
    assert!(matches!(err, ConfigError::UnknownProfile { .. }), "{err}");
    assert!(
        err.to_string().contains("available profiles: real"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------
// Credentials.
// ---------------------------------------------------------------------------------

#[test]
fn no_credentials_is_reported() {
    if !in_child("no_credentials_is_reported", &[]) {
        return;
    }
    let err = expect_err(block_on(connect(&settings())));
    assert!(matches!(err, ConfigError::NoCredentials { .. }), "{err}");
    assert_eq!(err.attribute(), None);
    let text = err.to_string();
    for source in [
        "no valid credential sources found",
        "AWS_ACCESS_KEY_ID",
        "profile \"default\"",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "ECS container credentials",
        "IMDS",
    ] {
        assert!(text.contains(source), "missing {source:?} in: {text}");
    }
}

#[test]
fn environment_credentials_are_used() {
    if !in_child(
        "environment_credentials_are_used",
        &static_credentials_env(),
    ) {
        return;
    }
    block_on(async {
        let clients = connect(&settings()).await.expect("connect");
        assert_eq!(access_key_of(&clients).await, ACCESS_KEY);
    });
}

// ---------------------------------------------------------------------------------
// Assume role.
// ---------------------------------------------------------------------------------

fn assume_role_settings(sts: &str) -> AwsSettings {
    AwsSettings {
        assume_role: Some(AssumeRole {
            role_arn: ROLE_ARN.to_string(),
            session_name: Some("servicemesh-test".to_string()),
            external_id: Some("mesh-external-id".to_string()),
            duration: Some(Duration::from_secs(3600)),
        }),
        endpoints: Endpoints {
            sts: Some(sts.to_string()),
            ..Endpoints::default()
        },
        ..settings()
    }
}

#[test]
fn assume_role_credentials_are_used() {
    let server = Loopback::start(Sts::Grants, 400);
    let env = env_with(&[("SERVICEMESH_TEST_STS", &server.url)]);
    if in_child("assume_role_credentials_are_used", &env) {
        let url = std::env::var("SERVICEMESH_TEST_STS").expect("sts url");
        block_on(async {
            let clients = connect(&assume_role_settings(&url)).await.expect("connect");
            assert_eq!(access_key_of(&clients).await, "ASIAASSUMEDEXAMPLE");
        });
        return;
    }
    let calls: Vec<Seen> = server
        .seen()
        .into_iter()
        .filter(Seen::is_assume_role)
        .collect();
    // Resolved once at configure time and reused by the clients: one STS call.
    assert_eq!(calls.len(), 1, "{calls:?}");
    let body = &calls[0].body;
    assert!(body.contains("RoleSessionName=servicemesh-test"), "{body}");
    assert!(body.contains("ExternalId=mesh-external-id"), "{body}");
    assert!(body.contains("DurationSeconds=3600"), "{body}");
    // Signed with the base credentials.
    assert!(calls[0].head.contains(ACCESS_KEY), "{}", calls[0].head);
}

#[test]
fn failed_role_assumption_carries_aws_message() {
    let server = Loopback::start(Sts::Denies, 400);
    let env = env_with(&[("SERVICEMESH_TEST_STS", &server.url)]);
    if !in_child("failed_role_assumption_carries_aws_message", &env) {
        return;
    }
    let url = std::env::var("SERVICEMESH_TEST_STS").expect("sts url");
    let err = expect_err(block_on(connect(&assume_role_settings(&url))));
    assert!(matches!(err, ConfigError::AssumeRole { .. }), "{err}");
    assert_eq!(err.attribute(), Some("assume_role"));
    let text = err.to_string();
    assert!(text.contains(ROLE_ARN), "{text}");
    assert!(text.contains("AccessDenied"), "{text}");
    assert!(text.contains(DENIED_MESSAGE), "{text}");
}

/// STS is tried at most the SDK's 3 times even though `max_retries` defaults to 25:
/// the role is assumed while Terraform waits for the provider's configuration.
#[test]
fn role_assumption_is_tried_three_times_not_twenty_six() {
    let server = Loopback::start(Sts::Fails, 400);
    let env = env_with(&[("SERVICEMESH_TEST_STS", &server.url)]);
    if in_child("role_assumption_is_tried_three_times_not_twenty_six", &env) {
        let url = std::env::var("SERVICEMESH_TEST_STS").expect("sts url");
        let err = expect_err(block_on(connect(&assume_role_settings(&url))));
        assert!(matches!(err, ConfigError::AssumeRole { .. }), "{err}");
        return;
    }
    let attempts = server.seen().iter().filter(|s| s.is_assume_role()).count();
    assert_eq!(attempts, 3);
}

#[tokio::test]
async fn assume_role_inputs_are_validated() {
    let cases = [
        (
            AssumeRole {
                role_arn: "mesh".to_string(),
                ..AssumeRole::default()
            },
            "assume_role.role_arn",
        ),
        (
            AssumeRole {
                role_arn: ROLE_ARN.to_string(),
                session_name: Some("has space".to_string()),
                ..AssumeRole::default()
            },
            "assume_role.session_name",
        ),
        (
            AssumeRole {
                role_arn: ROLE_ARN.to_string(),
                external_id: Some("x".to_string()),
                ..AssumeRole::default()
            },
            "assume_role.external_id",
        ),
        (
            AssumeRole {
                role_arn: ROLE_ARN.to_string(),
                duration: Some(Duration::from_secs(60)),
                ..AssumeRole::default()
            },
            "assume_role.duration",
        ),
    ];
    for (role, attribute) in cases {
        let settings = AwsSettings {
            assume_role: Some(role),
            ..settings()
        };
        let err = refused(&settings, &Env::from_slice(&[]), &empty_fs()).await;
        assert_eq!(err.attribute(), Some(attribute), "{err}");
    }
}

// ---------------------------------------------------------------------------------
// Endpoints.
// ---------------------------------------------------------------------------------

#[test]
fn endpoints_from_attributes() {
    let server = Loopback::start(Sts::Denies, 400);
    let env = env_with(&[("SERVICEMESH_TEST_URL", &server.url)]);
    if in_child("endpoints_from_attributes", &env) {
        let url = std::env::var("SERVICEMESH_TEST_URL").expect("url");
        block_on(async {
            let clients = connect(&AwsSettings {
                endpoints: Endpoints {
                    ecs: Some(url.clone()),
                    servicediscovery: Some(url.clone()),
                    route53: Some(url),
                    sts: None,
                },
                max_retries: Some(0),
                ..settings()
            })
            .await
            .expect("connect");
            let ecs = clients.ecs().list_clusters().send().await;
            assert!(
                format!("{:?}", ecs).contains("LoopbackProbeException"),
                "{ecs:?}"
            );
            let sd = clients.servicediscovery().list_namespaces().send().await;
            assert!(
                format!("{:?}", sd).contains("LoopbackProbeException"),
                "{sd:?}"
            );
            let r53 = clients.route53().list_hosted_zones().send().await;
            assert!(r53.is_err(), "{r53:?}");
        });
        return;
    }
    let seen = server.seen();
    assert!(seen.iter().any(Seen::is_ecs), "{seen:?}");
    assert!(seen.iter().any(Seen::is_servicediscovery), "{seen:?}");
    assert!(seen.iter().any(Seen::is_route53), "{seen:?}");
}

#[test]
fn ecs_endpoint_from_service_specific_env() {
    let server = Loopback::start(Sts::Denies, 400);
    let env = env_with(&[("AWS_ENDPOINT_URL_ECS", &server.url)]);
    if in_child("ecs_endpoint_from_service_specific_env", &env) {
        block_on(async {
            let clients = connect(&AwsSettings {
                max_retries: Some(0),
                ..settings()
            })
            .await
            .expect("connect");
            let ecs = clients.ecs().list_clusters().send().await;
            assert!(
                format!("{:?}", ecs).contains("LoopbackProbeException"),
                "{ecs:?}"
            );
        });
        return;
    }
    assert!(server.seen().iter().any(Seen::is_ecs));
}

#[test]
fn endpoint_attribute_beats_env() {
    let server = Loopback::start(Sts::Denies, 400);
    // The env points at a dead port; the attribute at the live server.
    let env = env_with(&[
        ("AWS_ENDPOINT_URL_ECS", "http://127.0.0.1:9"),
        ("SERVICEMESH_TEST_URL", &server.url),
    ]);
    if in_child("endpoint_attribute_beats_env", &env) {
        let url = std::env::var("SERVICEMESH_TEST_URL").expect("url");
        block_on(async {
            let clients = connect(&AwsSettings {
                endpoints: Endpoints {
                    ecs: Some(url),
                    ..Endpoints::default()
                },
                max_retries: Some(0),
                ..settings()
            })
            .await
            .expect("connect");
            let ecs = clients.ecs().list_clusters().send().await;
            assert!(
                format!("{:?}", ecs).contains("LoopbackProbeException"),
                "{ecs:?}"
            );
        });
        return;
    }
    assert!(server.seen().iter().any(Seen::is_ecs));
}

#[tokio::test]
async fn endpoint_that_is_not_a_url_is_reported() {
    for (value, fragment) in [
        ("not a url", "whitespace"),
        ("ecs.local", "not an absolute URL"),
        ("/relative/path", "not an absolute URL"),
        ("ftp://ecs.local", "not http or https"),
        ("http://", "not a URL"),
        ("https://ecs.local/?x=1", "query"),
    ] {
        let settings = AwsSettings {
            endpoints: Endpoints {
                servicediscovery: Some(value.to_string()),
                ..Endpoints::default()
            },
            ..settings()
        };
        let err = refused(&settings, &Env::from_slice(&[]), &empty_fs()).await;
        assert!(matches!(err, ConfigError::InvalidEndpoint { .. }), "{err}");
        assert_eq!(err.attribute(), Some("endpoints.servicediscovery"), "{err}");
        let text = err.to_string();
        assert!(text.contains(fragment), "{value:?}: {text}");
        assert!(text.contains("`endpoints.servicediscovery`"), "{text}");
    }
}

#[test]
fn endpoint_with_credentials_is_rejected_without_echoing_them() {
    let err = check_endpoint(
        "ecs",
        "endpoints.ecs",
        SettingOrigin::Attribute,
        "https://admin:hunter2@ecs.local",
    )
    .expect_err("userinfo");
    let text = err.to_string();
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("user credentials"), "{text}");
}

#[tokio::test]
async fn bad_endpoint_env_is_reported_without_attribute() {
    let env = Env::from_slice(&[("AWS_ENDPOINT_URL_ROUTE_53", "localhost:4566")]);
    let err = refused(&settings(), &env, &empty_fs()).await;
    assert_eq!(err.attribute(), None, "{err}");
    assert!(
        err.to_string().contains("AWS_ENDPOINT_URL_ROUTE_53"),
        "{err}"
    );
    // A valid URL in the attribute makes the environment irrelevant.
    let ignored = AwsSettings {
        endpoints: Endpoints {
            route53: Some("http://localhost:4566".to_string()),
            ..Endpoints::default()
        },
        ..settings()
    };
    assert!(resolve_endpoints(&ignored, &env).is_ok());
}

#[test]
fn good_endpoints_are_accepted() {
    for url in [
        "https://ecs.us-east-1.amazonaws.com",
        "http://localhost:4566",
        "http://127.0.0.1:9/",
        "HTTPS://ECS.EXAMPLE.COM/prefix",
        "http://[::1]:4566",
    ] {
        check_endpoint("ecs", "endpoints.ecs", SettingOrigin::Attribute, url)
            .unwrap_or_else(|e| panic!("{url}: {e}"));
    }
}

// ---------------------------------------------------------------------------------
// Retries and concurrency.
// ---------------------------------------------------------------------------------

#[test]
fn max_retries_sets_max_attempts() {
    let server = Loopback::start(Sts::Denies, 500);
    let env = env_with(&[("SERVICEMESH_TEST_URL", &server.url)]);
    if in_child("max_retries_sets_max_attempts", &env) {
        let url = std::env::var("SERVICEMESH_TEST_URL").expect("url");
        block_on(async {
            let clients = connect(&AwsSettings {
                max_retries: Some(2),
                endpoints: Endpoints {
                    ecs: Some(url),
                    ..Endpoints::default()
                },
                ..settings()
            })
            .await
            .expect("connect");
            for retry in [
                clients.ecs().config().retry_config(),
                clients.servicediscovery().config().retry_config(),
                clients.route53().config().retry_config(),
            ] {
                assert_eq!(retry.map(|r| r.max_attempts()), Some(3));
            }
            // The server answers 500: the SDK tries 1 + 2 times.
            let ecs = clients.ecs().list_clusters().send().await;
            assert!(ecs.is_err());
        });
        return;
    }
    let attempts = server.seen().iter().filter(|s| s.is_ecs()).count();
    assert_eq!(attempts, 3);
}

#[test]
fn max_attempts_from_env_when_max_retries_unset() {
    let env = env_with(&[("AWS_MAX_ATTEMPTS", "7")]);
    if !in_child("max_attempts_from_env_when_max_retries_unset", &env) {
        return;
    }
    let clients = block_on(connect(&settings())).expect("connect");
    let attempts = clients
        .ecs()
        .config()
        .retry_config()
        .map(|r| r.max_attempts());
    assert_eq!(attempts, Some(7));
}

#[test]
fn busy_account_defaults_25_retries_in_standard_mode_on_every_client() {
    if !in_child(
        "busy_account_defaults_25_retries_in_standard_mode_on_every_client",
        &static_credentials_env(),
    ) {
        return;
    }
    let clients = block_on(connect(&settings())).expect("connect");
    for retry in [
        clients.ecs().config().retry_config(),
        clients.servicediscovery().config().retry_config(),
        clients.route53().config().retry_config(),
    ] {
        let retry = retry.expect("a retry configuration");
        assert_eq!(retry.max_attempts(), DEFAULT_MAX_RETRIES + 1);
        assert_eq!(retry.mode(), DEFAULT_RETRY_MODE);
        assert_eq!(retry.max_backoff(), Duration::from_secs(20));
    }
    for partition in [
        clients.ecs().config().retry_partition(),
        clients.servicediscovery().config().retry_partition(),
        clients.route53().config().retry_partition(),
    ] {
        assert!(partition.is_some(), "each client has its own partition");
    }
}

/// The chain's retry settings, resolved by `retry::policy` in-process: the attribute
/// beats AWS_MAX_ATTEMPTS, which beats the profile's `max_attempts`.
#[tokio::test]
async fn retry_settings_come_from_the_attribute_the_environment_then_the_profile() {
    let fs = Fs::from_slice(&[(
        "/h/.aws/config",
        "[default]\nmax_attempts = 4\nretry_mode = adaptive\n[profile legacy]\nretry_mode = legacy\n",
    )]);
    let resolve =
        |settings: AwsSettings, env: Vec<(&'static str, &'static str)>, profile: &'static str| {
            let env = Env::from_slice(&[env, vec![("HOME", "/h")]].concat());
            let fs = fs.clone();
            async move {
                let files = profiles::load(&env, &fs).await.expect("shared files");
                retry::policy(&settings, &env, &files, profile).expect("a retry policy")
            }
        };
    let from_profile = resolve(settings(), vec![], "default").await;
    assert_eq!(from_profile.config.max_attempts(), 4);
    assert_eq!(from_profile.config.mode(), RetryMode::Adaptive);
    assert_eq!(
        (from_profile.attempts_from, from_profile.mode_from),
        ("max_attempts", "retry_mode")
    );

    let from_env = resolve(
        settings(),
        vec![("AWS_MAX_ATTEMPTS", "9"), ("AWS_RETRY_MODE", "standard")],
        "default",
    )
    .await;
    assert_eq!(from_env.config.max_attempts(), 9);
    assert_eq!(from_env.config.mode(), RetryMode::Standard);

    let attribute = AwsSettings {
        max_retries: Some(0),
        ..settings()
    };
    let from_attribute = resolve(attribute, vec![("AWS_MAX_ATTEMPTS", "9")], "default").await;
    assert_eq!(from_attribute.config.max_attempts(), 1);
    assert_eq!(from_attribute.attempts_from, "max_retries");

    // The AWS CLI's "legacy" mode is not the Rust SDK's: the closest, standard.
    let legacy = resolve(settings(), vec![], "legacy").await;
    assert_eq!(legacy.config.mode(), RetryMode::Standard);
    assert_eq!(legacy.config.max_attempts(), DEFAULT_MAX_RETRIES + 1);
}

/// aws-config panics on these values; the provider reports them instead.
#[tokio::test]
async fn malformed_retry_settings_are_reported_not_a_panic() {
    for (variable, value, expected) in [
        ("AWS_MAX_ATTEMPTS", "0", "it must be at least 1"),
        (
            "AWS_MAX_ATTEMPTS",
            "many",
            "it must be a whole number of attempts",
        ),
        (
            "AWS_RETRY_MODE",
            "fast",
            "it must be \"standard\" or \"adaptive\"",
        ),
    ] {
        let env = Env::from_slice(&[(variable, value)]);
        let err = refused(&settings(), &env, &empty_fs()).await;
        assert!(
            matches!(err, ConfigError::InvalidRetrySetting { .. }),
            "{err}"
        );
        assert_eq!(err.attribute(), None, "{err}");
        let text = err.to_string();
        assert!(
            text.contains(&format!("{value:?} (from {variable})")),
            "{text}"
        );
        assert!(text.contains(expected), "{text}");
    }
}

#[test]
fn max_concurrency_bounds_each_api_on_its_own() {
    if !in_child(
        "max_concurrency_bounds_each_api_on_its_own",
        &static_credentials_env(),
    ) {
        return;
    }
    block_on(async {
        let clients = connect(&settings()).await.expect("connect");
        assert_eq!(clients.max_concurrency(), DEFAULT_MAX_CONCURRENCY);
        let limits = clients.limits();
        for limit in [&limits.ecs, &limits.servicediscovery, &limits.route53] {
            assert_eq!(limit.available_permits(), DEFAULT_MAX_CONCURRENCY);
        }
        let tags = BTreeMap::from([("team".to_string(), "mesh".to_string())]);
        let clients = connect(&AwsSettings {
            max_concurrency: Some(3),
            default_tags: tags.clone(),
            ..settings()
        })
        .await
        .expect("connect");
        assert_eq!(clients.max_concurrency(), 3);
        assert_eq!(clients.default_tags(), &tags);
        // Every ECS permit taken: Cloud Map and Route 53 still have all of theirs.
        let limits = clients.limits();
        let ecs = limits.ecs.try_acquire_many(3).expect("three ECS permits");
        assert_eq!(limits.ecs.available_permits(), 0);
        assert_eq!(limits.servicediscovery.available_permits(), 3);
        assert_eq!(limits.route53.available_permits(), 3);
        drop(ecs);
        assert_eq!(limits.ecs.available_permits(), 3);
    });
}

/// A refused connection is retried `MAX_UNREACHABLE_ATTEMPTS` times, not 26: the
/// clients as `build_clients` makes them, with the backoff shortened for the test.
#[tokio::test]
async fn an_unreachable_endpoint_is_given_up_after_nine_attempts() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let url = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let settings = AwsSettings {
        endpoints: Endpoints {
            ecs: Some(url.clone()),
            ..Endpoints::default()
        },
        ..settings()
    };
    let overrides = resolve_endpoints(&settings, &Env::from_slice(&[])).expect("endpoints");
    let retry = aws_sdk_ecs::config::retry::RetryConfig::standard()
        .with_max_attempts(DEFAULT_MAX_RETRIES + 1)
        .with_initial_backoff(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(5));
    let sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            ACCESS_KEY, SECRET_KEY, None, None, "test",
        )))
        .retry_config(retry)
        .build();
    let clients = build_clients(
        &settings,
        sdk,
        &overrides,
        "us-east-1".to_string(),
        &CancellationToken::new(),
    );
    let err = clients
        .ecs()
        .list_clusters()
        .send()
        .await
        .expect_err("nothing listens there");
    let text = crate::aws::error::error_chain(&err);
    assert!(
        text.contains(&format!(
            "could not be reached in {} attempts",
            unreachable::MAX_UNREACHABLE_ATTEMPTS
        )),
        "{text}"
    );
    assert!(
        text.to_ascii_lowercase().contains("connection refused"),
        "{text}"
    );
}

/// After StopProvider no attempt is sent: a call retrying a 500 ends at once, in the
/// middle of its backoff, and a new call fails without reaching AWS.
#[test]
fn no_attempt_is_sent_after_the_stop() {
    let server = Loopback::start(Sts::Denies, 500);
    let env = env_with(&[("SERVICEMESH_TEST_URL", &server.url)]);
    if in_child("no_attempt_is_sent_after_the_stop", &env) {
        let url = std::env::var("SERVICEMESH_TEST_URL").expect("url");
        block_on(async {
            let stop = CancellationToken::new();
            let clients = connect_until(
                &AwsSettings {
                    endpoints: Endpoints {
                        ecs: Some(url),
                        ..Endpoints::default()
                    },
                    ..settings()
                },
                stop.clone(),
            )
            .await
            .expect("connect");
            let retrying = tokio::spawn({
                let ecs = clients.ecs().clone();
                async move { ecs.list_clusters().send().await }
            });
            // Let the first attempt fail and the backoff begin, then stop.
            tokio::time::sleep(Duration::from_millis(300)).await;
            let stopped_at = Instant::now();
            stop.cancel();
            let result = retrying.await.expect("the call's task");
            let took = stopped_at.elapsed();
            let err = result.expect_err("the call was stopped");
            let text = crate::aws::error::error_chain(&err);
            assert!(text.contains(stop::STOPPED), "{text}");
            assert!(
                took < Duration::from_millis(500),
                "ended {took:?} after the stop"
            );
            let again = clients.ecs().list_clusters().send().await;
            let text = crate::aws::error::error_chain(&again.expect_err("refused"));
            assert!(text.contains(stop::STOPPED), "{text}");
        });
        return;
    }
    // The attempts before the stop, never the 26 of a call left to retry. The SDK's
    // backoffs are jittered (uniform below 1 s, then 2 s, 4 s, …): two fit in the 300 ms
    // before the stop in about 2 % of runs (three attempts; this test allowed only two and
    // failed so, once), three in about 0.06 % (four attempts), four in about 0.0005 %.
    let attempts = server.seen().iter().filter(|s| s.is_ecs()).count();
    assert!((1..=4).contains(&attempts), "{attempts} attempts");
}

#[test]
fn multi_line_causes_become_one_line() {
    assert_eq!(
        one_line(
            "no credentials found in chain. Attempted:\n  Environment: not set\n  Profile: none\n"
        ),
        "no credentials found in chain. Attempted: Environment: not set; Profile: none"
    );
}

#[tokio::test]
async fn zero_max_concurrency_is_reported() {
    let settings = AwsSettings {
        max_concurrency: Some(0),
        ..settings()
    };
    let err = refused(&settings, &Env::from_slice(&[]), &empty_fs()).await;
    assert_eq!(err.attribute(), Some("max_concurrency"), "{err}");
}

#[tokio::test]
async fn reserved_default_tag_is_reported() {
    let settings = AwsSettings {
        default_tags: BTreeMap::from([("aws:owner".to_string(), "x".to_string())]),
        ..settings()
    };
    let err = refused(&settings, &Env::from_slice(&[]), &empty_fs()).await;
    assert_eq!(err.attribute(), Some("default_tags"), "{err}");
    assert!(err.to_string().contains("reserved"), "{err}");
}

// ---------------------------------------------------------------------------------
// Primed credentials.
// ---------------------------------------------------------------------------------

fn counting_provider(calls: Arc<Mutex<u32>>) -> SharedCredentialsProvider {
    SharedCredentialsProvider::new(aws_credential_types::credential_fn::provide_credentials_fn(
        move || {
            let calls = calls.clone();
            async move {
                *calls.lock().expect("calls") += 1;
                Ok(Credentials::new("AKIDINNER", "inner", None, None, "test"))
            }
        },
    ))
}

#[tokio::test]
async fn primed_credentials_are_served_once_then_refreshed() {
    let calls = Arc::new(Mutex::new(0));
    let primed = Primed::new(
        Credentials::new("AKIDPRIMED", "primed", None, None, "test"),
        counting_provider(calls.clone()),
    );
    let first = primed.provide_credentials().await.expect("first");
    assert_eq!(first.access_key_id(), "AKIDPRIMED");
    assert_eq!(*calls.lock().expect("calls"), 0);
    let second = primed.provide_credentials().await.expect("second");
    assert_eq!(second.access_key_id(), "AKIDINNER");
    assert_eq!(*calls.lock().expect("calls"), 1);
}

#[tokio::test]
async fn nearly_expired_primed_credentials_are_not_served() {
    let calls = Arc::new(Mutex::new(0));
    let soon = SystemTime::now() + Duration::from_secs(30);
    let primed = Primed::new(
        Credentials::new("AKIDPRIMED", "primed", None, Some(soon), "test"),
        counting_provider(calls.clone()),
    );
    let first = primed.provide_credentials().await.expect("first");
    assert_eq!(first.access_key_id(), "AKIDINNER");
    let debug = format!("{primed:?}");
    assert!(!debug.contains("primed\""), "{debug}");
}

// ---------------------------------------------------------------------------------
// Secrets never reach the logs.
// ---------------------------------------------------------------------------------

/// Collects log output: the provider's real hclog lines, plus every span field, which
/// the hclog layer does not print but a future layer might.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer")).to_string()
    }
}

struct SpanFields(Captured);

struct FieldText<'a>(&'a mut String);

impl tracing::field::Visit for FieldText<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={:?}", field.name(), value));
    }
}

impl<S> tracing_subscriber::Layer<S> for SpanFields
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _id: &tracing::span::Id,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut text = format!("span {}:", attrs.metadata().name());
        attrs.record(&mut FieldText(&mut text));
        text.push('\n');
        let _ = self.0.clone().write_all(text.as_bytes());
    }

    fn on_record(
        &self,
        _id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut text = "record:".to_string();
        values.record(&mut FieldText(&mut text));
        text.push('\n');
        let _ = self.0.clone().write_all(text.as_bytes());
    }
}

fn install_capture() -> Captured {
    use tracing_subscriber::layer::SubscriberExt;
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::registry()
        .with(crate::protocol::logging::HclogLayer::new(
            tracing_subscriber::filter::LevelFilter::TRACE,
            move || writer.clone(),
        ))
        .with(SpanFields(captured.clone()));
    // Global, not scoped: the SDK logs from whatever thread its futures run on.
    tracing::subscriber::set_global_default(subscriber).expect("only subscriber");
    captured
}

fn assert_no_secrets(logs: &str) {
    for secret in [SECRET_KEY, SESSION_TOKEN, ASSUMED_SECRET, ASSUMED_TOKEN] {
        assert!(
            !logs.contains(secret),
            "secret {secret:?} leaked into the logs:\n{logs}"
        );
        // Also not in a form a formatter would produce (percent- or JSON-escaped).
        let prefix = &secret[..12];
        assert!(
            !logs.contains(prefix),
            "secret prefix {prefix:?} leaked:\n{logs}"
        );
    }
}

#[test]
fn secrets_never_reach_the_logs() {
    let server = Loopback::start(Sts::Grants, 400);
    let env = env_with(&[("SERVICEMESH_TEST_STS", &server.url)]);
    if !in_child("secrets_never_reach_the_logs", &env) {
        return;
    }
    let captured = install_capture();
    let url = std::env::var("SERVICEMESH_TEST_STS").expect("sts url");
    block_on(async {
        // Static credentials from the environment, then a role assumed with them.
        let mut assumed = assume_role_settings(&url);
        assumed.endpoints.ecs = Some("http://127.0.0.1:9".to_string());
        assumed.max_retries = Some(0);
        let clients = connect(&assumed).await.expect("connect");
        // One SDK call, signed with the assumed credentials, to a dead loopback port.
        let result = clients.ecs().list_clusters().send().await;
        assert!(result.is_err(), "nothing listens on port 9");
        // Without assume_role too: signed with the static key and session token.
        let plain = connect(&AwsSettings {
            endpoints: Endpoints {
                ecs: Some("http://127.0.0.1:9".to_string()),
                ..Endpoints::default()
            },
            max_retries: Some(0),
            ..settings()
        })
        .await
        .expect("connect");
        let result = plain.ecs().list_clusters().send().await;
        assert!(result.is_err(), "nothing listens on port 9");
    });
    let logs = captured.text();
    // The capture works and saw the interesting parts at TRACE.
    assert!(logs.contains("configured AWS clients"), "{logs}");
    assert!(logs.contains("assuming IAM role"), "{logs}");
    // At TF_LOG=TRACE the SDK's own events arrive at DEBUG (see protocol::logging).
    assert!(logs.contains("\"@level\":\"debug\""), "{logs}");
    assert_no_secrets(&logs);
}
