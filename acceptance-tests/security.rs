//! Security (issue 17): who may talk to the provider, what it may write to logs, and
//! what the crate may contain.
//!
//! - The socket: its directory is private to the user even under a permissive umask;
//!   a client without the host's certificate (none, another one, plain text, garbage)
//!   is refused on the unix socket and on the TCP fallback alike, and the host is still
//!   served afterwards. (plugin_transport.rs checks the handshake line, the 0700
//!   directory under the default umask and the refusals on the unix socket.)
//! - Logs: with TF_LOG=TRACE, no line Terraform or the provider writes anywhere
//!   (stdout, stderr, TF_LOG_PATH, any file Terraform leaves) holds a secret: not the
//!   secret access key, not the session token, not the credentials an assumed role or a
//!   web identity returns, not the web identity token.
//! - `#![forbid(unsafe_code)]` is in force in the library and the binary.

use std::collections::BTreeSet;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use servicemesh::protocol::handshake::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tonic::transport::{Channel, Endpoint};

use crate::support::emulator::Emulator;
use crate::support::hcl::{Config, Mesh};
use crate::support::plugin::{
    HostCertificate, client_tls, connect, plugin_health, spawn_until_handshake,
};
use crate::support::terraform::{Outcome, Workdir, provider_binary, repo_root};
use crate::support::world::{CLUSTER, seed};

const SERVING: i32 = 1;

// ---------------------------------------------------------------------------------------
// unsafe code
// ---------------------------------------------------------------------------------------

#[test]
fn unsafe_code_is_forbidden_in_the_library_and_the_binary() {
    for root in ["src/lib.rs", "src/main.rs"] {
        let text = std::fs::read_to_string(repo_root().join(root)).expect("reading a crate root");
        // An inner attribute of the crate: on a line of its own, before any item.
        let first_item = text
            .lines()
            .position(|line| {
                let line = line.trim_start();
                !(line.is_empty() || line.starts_with("//") || line.starts_with("#!["))
            })
            .unwrap_or(usize::MAX);
        let at = text
            .lines()
            .position(|line| line.trim() == "#![forbid(unsafe_code)]");
        assert!(
            at.is_some_and(|at| at < first_item),
            "{root} must start with #![forbid(unsafe_code)]"
        );
    }
    // forbid cannot be lifted by an inner allow; nobody tries either.
    let mut offenders = Vec::new();
    for file in rust_files(&repo_root().join("src")) {
        let text = std::fs::read_to_string(&file).expect("reading a source file");
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            if code.contains("allow(unsafe_code)") || code.contains("unsafe {") {
                offenders.push(format!("{}:{}", file.display(), number + 1));
            }
        }
    }
    assert!(offenders.is_empty(), "unsafe code: {offenders:?}");
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("reading a source directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

// ---------------------------------------------------------------------------------------
// The socket
// ---------------------------------------------------------------------------------------

/// The provider started as go-plugin starts it, under `umask`, with extra environment;
/// killed when dropped.
struct Provider {
    child: Child,
    fields: Vec<String>,
}

impl Provider {
    fn start(umask: &str, cert: Option<&HostCertificate>, env: &[(&str, &str)]) -> Self {
        // `sh -c SCRIPT BINARY`: the binary is the script's $0.
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("umask {umask} && exec \"$0\""))
            .arg(provider_binary())
            .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "6")
            .env_remove("PLUGIN_CLIENT_CERT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(cert) = cert {
            command.env("PLUGIN_CLIENT_CERT", &cert.pem);
        }
        for (key, value) in env {
            command.env(key, value);
        }
        let (child, line) = spawn_until_handshake(&mut command);
        let fields = line.split('|').map(str::to_string).collect();
        Self { child, fields }
    }

    fn server_cert(&self) -> rustls::pki_types::CertificateDer<'static> {
        use base64::Engine;
        let der = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(&self.fields[5])
            .expect("an unpadded base64 certificate");
        rustls::pki_types::CertificateDer::from(der)
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The uid this test runs as: the owner of a file it creates.
fn my_uid() -> u32 {
    let file = tempfile::NamedTempFile::new().expect("a temp file");
    file.as_file().metadata().expect("its metadata").uid()
}

#[test]
fn the_socket_directory_is_private_even_under_a_permissive_umask() {
    let host = HostCertificate::generate();
    for umask in ["000", "022", "077"] {
        let provider = Provider::start(umask, Some(&host), &[]);
        assert_eq!(provider.fields[2], "unix", "{:?}", provider.fields);
        let socket = PathBuf::from(&provider.fields[3]);
        let dir = socket.parent().expect("the socket's directory");
        let meta = std::fs::symlink_metadata(dir).expect("the socket directory");
        assert!(
            meta.is_dir(),
            "{} is a directory, not a link",
            dir.display()
        );
        assert_eq!(
            meta.permissions().mode() & 0o777,
            0o700,
            "umask {umask}: {}",
            dir.display()
        );
        assert_eq!(meta.uid(), my_uid(), "umask {umask}: owned by this user");
        // Nothing else in it that another process could use.
        let entries: Vec<_> = std::fs::read_dir(dir)
            .expect("listing the socket directory")
            .map(|e| e.expect("an entry").file_name())
            .collect();
        assert_eq!(entries, vec![socket.file_name().expect("a name")]);
    }
}

/// A gRPC channel over TCP, in TLS when `tls` is given.
async fn connect_tcp(
    address: String,
    tls: Option<rustls::ClientConfig>,
) -> Result<Channel, tonic::transport::Error> {
    let tls = tls.map(Arc::new);
    Endpoint::try_from("http://localhost")?
        .connect_with_connector(tower::service_fn(move |_| {
            let (address, tls) = (address.clone(), tls.clone());
            async move {
                let stream = TcpStream::connect(&address).await?;
                let io: Box<dyn crate::support::plugin::ReadWrite> = match tls {
                    None => Box::new(stream),
                    Some(config) => {
                        let name = rustls::pki_types::ServerName::try_from("localhost")
                            .map_err(std::io::Error::other)?;
                        Box::new(
                            tokio_rustls::TlsConnector::from(config)
                                .connect(name, stream)
                                .await?,
                        )
                    }
                };
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(io))
            }
        }))
        .await
}

/// Whether a connection attempt ends without a health answer.
async fn refused(attempt: Result<Channel, tonic::transport::Error>) -> bool {
    match attempt {
        Err(_) => true,
        Ok(channel) => plugin_health(channel).await.is_err(),
    }
}

/// Sends bytes that are neither TLS nor HTTP/2 (ending in half a TLS record) and waits
/// for the provider to answer or hang up.
async fn garbage<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(mut stream: S) {
    let _ = stream
        .write_all(b"GET / HTTP/1.1\r\n\r\n\x00\xff\x16\x03\x01")
        .await;
    let mut buffer = [0u8; 64];
    let _ = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buffer)).await;
}

#[tokio::test]
async fn only_the_hosts_certificate_gets_in_on_unix_sockets_and_tcp_alike() {
    let host = HostCertificate::generate();
    let stranger = HostCertificate::generate();
    // The unix socket, and the TCP fallback when no socket directory can be made.
    for tcp in [false, true] {
        let env: &[(&str, &str)] = if tcp {
            &[
                ("PLUGIN_UNIX_SOCKET_DIR", "/proc/no-such-dir"),
                ("PLUGIN_MIN_PORT", "23200"),
                ("PLUGIN_MAX_PORT", "23299"),
            ]
        } else {
            &[]
        };
        let provider = Provider::start("022", Some(&host), env);
        let network = if tcp { "tcp" } else { "unix" };
        assert_eq!(provider.fields[2], network, "{:?}", provider.fields);
        let address = provider.fields[3].clone();
        let cert = provider.server_cert();
        let dial = |tls: Option<rustls::ClientConfig>| {
            let address = address.clone();
            async move {
                if tcp {
                    connect_tcp(address, tls).await
                } else {
                    connect(PathBuf::from(address), tls).await
                }
            }
        };
        let strangers = [
            (
                "no client certificate",
                Some(client_tls(cert.clone(), None)),
            ),
            (
                "another certificate of the same kind",
                Some(client_tls(cert.clone(), Some(&stranger))),
            ),
            ("plain text", None),
        ];
        for (who, tls) in strangers {
            assert!(
                refused(dial(tls).await).await,
                "{network}: a client with {who} must be refused"
            );
        }
        if tcp {
            garbage(
                TcpStream::connect(&address)
                    .await
                    .expect("a TCP connection"),
            )
            .await;
        } else {
            let stream = tokio::net::UnixStream::connect(&address).await;
            garbage(stream.expect("a unix socket connection")).await;
        }
        // After all that, the host is served as before.
        let channel = dial(Some(client_tls(cert.clone(), Some(&host))))
            .await
            .expect("the host connects");
        assert_eq!(
            plugin_health(channel).await.expect("health"),
            SERVING,
            "{network}: the host is still served"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Secrets and logs
// ---------------------------------------------------------------------------------------

/// Distinctive values, each found nowhere but where it is given.
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYHOSTILE17KEY";
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEHOSTILE17SESSIONTOKEN/zzAbCdEfGh==";
const WEB_IDENTITY_TOKEN: &str =
    "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJIT1NUSUxFMTcifQ.HOSTILE17WEBIDENTITYSIGNATURE";

/// A pass-through proxy to the emulator that keeps what STS answered: the credentials
/// an assumed role or a web identity gets. The provider's AWS endpoint is this proxy.
struct StsRecorder {
    endpoint: String,
    /// Secrets seen in STS answers (secret keys and session tokens).
    secrets: Arc<Mutex<BTreeSet<String>>>,
    /// STS actions seen, by name.
    actions: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl StsRecorder {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the recorder");
        let endpoint = format!("http://{}", listener.local_addr().expect("an address"));
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let secrets = Arc::new(Mutex::new(BTreeSet::new()));
        let actions = Arc::new(Mutex::new(Vec::new()));
        let (kept, seen) = (secrets.clone(), actions.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, kept, seen) = (upstream.clone(), kept.clone(), seen.clone());
                tokio::spawn(async move {
                    let _ = relay(client, &upstream, &kept, &seen).await;
                });
            }
        });
        Self {
            endpoint,
            secrets,
            actions,
            task,
        }
    }

    fn secrets(&self) -> BTreeSet<String> {
        self.secrets.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn actions(&self) -> Vec<String> {
        self.actions.lock().map(|a| a.clone()).unwrap_or_default()
    }
}

impl Drop for StsRecorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One request from `client` to `upstream` (with `Connection: close`) and its answer
/// back, keeping the secrets of an STS answer.
async fn relay(
    mut client: TcpStream,
    upstream: &str,
    kept: &Mutex<BTreeSet<String>>,
    seen: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut request = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    let head_end = loop {
        let n = client.read(&mut buffer).await?;
        if n == 0 {
            return Ok(());
        }
        request.extend_from_slice(&buffer[..n]);
        if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
    };
    let head = String::from_utf8_lossy(&request[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())
                .flatten()
        })
        .unwrap_or(0);
    while request.len() < head_end + length {
        let n = client.read(&mut buffer).await?;
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buffer[..n]);
    }
    let body = String::from_utf8_lossy(&request[head_end..]).into_owned();
    if let Some(action) = body
        .split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
        && let Ok(mut seen) = seen.lock()
    {
        seen.push(action.to_string());
    }
    // The same request, asking the emulator to close the connection after answering.
    let mut forwarded = String::new();
    for line in head.trim_end().lines() {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            forwarded.push_str(line);
            forwarded.push_str("\r\n");
        }
    }
    forwarded.push_str("Connection: close\r\n\r\n");
    let mut server = TcpStream::connect(upstream).await?;
    server.write_all(forwarded.as_bytes()).await?;
    server.write_all(&request[head_end..]).await?;
    let mut answer = Vec::new();
    server.read_to_end(&mut answer).await?;
    let text = String::from_utf8_lossy(&answer);
    for tag in ["SecretAccessKey", "SessionToken"] {
        let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
        for part in text.split(&open).skip(1) {
            if let Some((value, _)) = part.split_once(&close)
                && let Ok(mut kept) = kept.lock()
            {
                kept.insert(value.trim().to_string());
            }
        }
    }
    client.write_all(&answer).await?;
    client.shutdown().await
}

/// Where each secret (or a distinctive 16-character piece of it) appears in `text`.
fn leaks(text: &str, secrets: &BTreeSet<String>) -> Vec<String> {
    let mut found = Vec::new();
    for secret in secrets {
        let chars: Vec<char> = secret.chars().collect();
        let middle: String = chars
            .iter()
            .skip(chars.len().saturating_sub(16) / 2)
            .take(16)
            .collect();
        for needle in [secret.as_str(), middle.as_str()] {
            if let Some(at) = text.find(needle) {
                let start = text[..at]
                    .char_indices()
                    .rev()
                    .nth(60)
                    .map_or(0, |(i, _)| i);
                let context: String = text[start..].chars().take(160).collect();
                found.push(format!("{needle:?} in …{context}…"));
            }
        }
    }
    found
}

/// Every file under `dir` (except `skip`), as text.
fn files_under(dir: &Path, skip: &[PathBuf]) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if skip.contains(&path) {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            files.extend(files_under(&path, skip));
        } else if meta.is_file()
            && let Ok(bytes) = std::fs::read(&path)
        {
            files.push((path, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    files
}

/// Fails with every place a secret shows up: the outcomes' output, the TF_LOG_PATH
/// file, and every file under the working directory's root (state, plans, the
/// provider's copies), except those the test wrote the secrets into.
fn assert_no_leak(
    what: &str,
    outcomes: &[Outcome],
    root: &Path,
    skip: &[PathBuf],
    secrets: &BTreeSet<String>,
) {
    let mut found = Vec::new();
    for outcome in outcomes {
        for leak in leaks(&outcome.output(), secrets) {
            found.push(format!("terraform output: {leak}"));
        }
    }
    let files = files_under(root, skip);
    assert!(
        files
            .iter()
            .any(|(path, _)| path.file_name().is_some_and(|n| n == "trace.log")),
        "{what}: the TF_LOG_PATH file was written"
    );
    for (path, text) in &files {
        for leak in leaks(text, secrets) {
            found.push(format!("{}: {leak}", path.display()));
        }
    }
    assert!(
        found.is_empty(),
        "{what}: secrets leaked:\n{}",
        found.join("\n")
    );
}

/// The trace log holds the provider's own TRACE lines: the scan was of real logs.
fn assert_provider_traced(what: &str, root: &Path) {
    let log = std::fs::read_to_string(root.join("trace.log")).expect("the trace log");
    assert!(
        log.contains("provider.terraform-provider-servicemesh")
            && log.contains("configured AWS clients"),
        "{what}: the provider's log lines are in the trace log ({} bytes)",
        log.len()
    );
}

#[test]
fn the_leak_scanner_finds_a_secret_and_a_piece_of_one() {
    let secrets = BTreeSet::from([SECRET_KEY.to_string()]);
    assert_eq!(leaks(&format!("x {SECRET_KEY} y"), &secrets).len(), 2);
    let piece: String = SECRET_KEY.chars().skip(10).take(20).collect();
    assert_eq!(leaks(&format!("key={piece}"), &secrets).len(), 1);
    assert!(leaks("nothing here", &secrets).is_empty());
}

/// A working directory whose AWS calls go through `recorder`, with no credentials yet,
/// and Terraform's TRACE log in `trace.log` at its root; and that root.
fn traced_workdir(recorder: &StsRecorder) -> (Workdir, PathBuf) {
    let mut dir = Workdir::new(crate::support::terraform::Install::DevOverrides);
    let root = dir
        .path()
        .parent()
        .expect("the workdir's root")
        .to_path_buf();
    dir.set_env("AWS_REGION", "us-east-1")
        .set_env("AWS_EC2_METADATA_DISABLED", "true")
        .set_env("AWS_ENDPOINT_URL", recorder.endpoint.clone())
        .set_env("TF_LOG", "TRACE")
        .set_env("TF_LOG_PATH", root.join("trace.log").display().to_string());
    (dir, root)
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_in_any_log_at_trace() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let recorder = StsRecorder::start(emulator.endpoint()).await;

    // 1. Static keys with a session token, and a role assumed on top of them.
    let (mut dir, root) = traced_workdir(&recorder);
    dir.set_env("AWS_ACCESS_KEY_ID", "AKIDHOSTILE17STATIC")
        .set_env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .set_env("AWS_SESSION_TOKEN", SESSION_TOKEN);
    let config = Config::new()
        .provider(&format!(
            "assume_role {{\n  role_arn = \"arn:aws:iam::123456789012:role/mesh-admin\"\n}}\nendpoints {{\n  sts = \"{}\"\n}}",
            recorder.endpoint
        ))
        .mesh(Mesh::owned(CLUSTER, &world.vpc_id).server("backend", "backend-8080-tcp"));
    dir.write("main.tf", &config.to_string());
    let outcomes: Vec<Outcome> = [
        vec!["plan", "-no-color", "-out", "tfplan"],
        vec!["apply", "-no-color", "tfplan"],
        vec!["destroy", "-auto-approve", "-no-color"],
    ]
    .iter()
    .map(|args| {
        let outcome = tokio::task::block_in_place(|| dir.run(args));
        assert_eq!(outcome.code, 0, "terraform {}:\n{outcome}", args[0]);
        outcome
    })
    .collect();
    assert!(
        recorder.actions().iter().any(|a| a == "AssumeRole"),
        "the role was assumed through STS: {:?}",
        recorder.actions()
    );
    let assumed = recorder.secrets();
    assert!(
        assumed.len() >= 2,
        "STS answered with a secret key and a session token: {assumed:?}"
    );
    let mut secrets = assumed.clone();
    secrets.extend([SECRET_KEY.to_string(), SESSION_TOKEN.to_string()]);
    assert_provider_traced("static keys and an assumed role", &root);
    assert_no_leak(
        "static keys and an assumed role",
        &outcomes,
        &root,
        &[],
        &secrets,
    );

    // 2. A web identity token, exchanged for credentials by the standard chain.
    let (mut dir, root) = traced_workdir(&recorder);
    let token = root.join("web-identity-token");
    std::fs::write(&token, WEB_IDENTITY_TOKEN).expect("writing the token file");
    dir.set_env("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci-deployer")
        .set_env("AWS_ROLE_SESSION_NAME", "ci")
        .set_env("AWS_WEB_IDENTITY_TOKEN_FILE", token.display().to_string());
    let config = Config::new()
        .mesh(Mesh::owned(CLUSTER, &world.vpc_id).server("backend", "backend-8080-tcp"));
    dir.write("main.tf", &config.to_string());
    let outcome = tokio::task::block_in_place(|| dir.run(&["plan", "-no-color"]));
    assert_eq!(outcome.code, 0, "terraform plan:\n{outcome}");
    assert!(
        recorder
            .actions()
            .iter()
            .any(|a| a == "AssumeRoleWithWebIdentity"),
        "the token was exchanged through STS: {:?}",
        recorder.actions()
    );
    let mut secrets: BTreeSet<String> = recorder.secrets().difference(&assumed).cloned().collect();
    assert!(
        secrets.len() >= 2,
        "the web identity got its own credentials: {secrets:?}"
    );
    secrets.insert(WEB_IDENTITY_TOKEN.to_string());
    assert_provider_traced("a web identity", &root);
    assert_no_leak("a web identity", &[outcome], &root, &[token], &secrets);
}
