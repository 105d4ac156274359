//! The binary as go-plugin sees it: handshake, mTLS both ways, and real Terraform.

use std::process::Command;
use std::time::Duration;

use servicemesh::protocol::handshake::{
    LOWEST_SUPPORTED_TERRAFORM, MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE,
};

use crate::support::plugin::{
    HostCertificate, LaunchedProvider, client_tls, connect, plugin_health,
};
use crate::support::terraform::{Install, Workdir, provider_binary, repo_root};

const SERVING: i32 = 1;

#[test]
fn refuses_to_run_without_the_magic_cookie() {
    let output = Command::new(provider_binary())
        .env_remove(MAGIC_COOKIE_KEY)
        .output()
        .expect("running the provider");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "stdout must stay empty");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("plugin for Terraform"), "{stderr}");
    assert!(stderr.contains("terraform init"), "{stderr}");
}

#[test]
fn refuses_a_host_without_protocol_six_naming_the_lowest_supported_terraform() {
    // Terraform 0.12 to 0.14 offer protocol 5 only (0.12 also 4).
    for offered in ["5", "4,5"] {
        let output = Command::new(provider_binary())
            .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
            .env("PLUGIN_PROTOCOL_VERSIONS", offered)
            .output()
            .expect("running the provider");
        assert_eq!(output.status.code(), Some(1));
        let floor = format!("needs Terraform {LOWEST_SUPPORTED_TERRAFORM} or later");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&floor) && stderr.contains(&format!("[{offered}]")),
            "{stderr}"
        );
        // The host shows one line of stdout that is not a handshake, and drops stderr:
        // the refusal is that line, with no '|' that would make it parse as a handshake.
        let stdout = String::from_utf8_lossy(&output.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 1, "{stdout}");
        assert!(
            lines[0].contains(&floor) && !lines[0].contains('|'),
            "{stdout}"
        );
        assert!(lines[0].contains("older than 1.0"), "{stdout}");
    }
}

#[test]
fn prints_one_handshake_line_with_a_private_unix_socket() {
    let host = HostCertificate::generate();
    let provider = LaunchedProvider::start(Some(&host.pem));
    let fields = provider.fields();
    assert_eq!(fields.len(), 6, "{}", provider.handshake);
    assert_eq!(&fields[..3], &["1", "6", "unix"]);
    assert_eq!(fields[4], "grpc");
    assert!(
        !fields[5].ends_with('='),
        "certificate must be unpadded base64"
    );
    let socket = provider.socket_path();
    assert!(socket.exists(), "{}", socket.display());
    use std::os::unix::fs::PermissionsExt;
    let dir_mode = std::fs::metadata(socket.parent().expect("socket dir"))
        .expect("socket dir metadata")
        .permissions()
        .mode();
    assert_eq!(dir_mode & 0o777, 0o700, "socket directory must be private");
    // The printed certificate parses and names localhost.
    let cert = provider.server_cert();
    assert!(cert.as_ref().windows(9).any(|w| w == b"localhost"));
}

#[tokio::test]
async fn mtls_accepts_only_the_hosts_certificate() {
    let host = HostCertificate::generate();
    let provider = LaunchedProvider::start(Some(&host.pem));
    let socket = provider.socket_path();

    // Terraform's kind of certificate (P-521, IsCA): accepted.
    let tls = client_tls(provider.server_cert(), Some(&host));
    let channel = connect(socket.clone(), Some(tls))
        .await
        .expect("mTLS connection");
    assert_eq!(plugin_health(channel).await.expect("health check"), SERVING);

    // No client certificate: refused.
    let tls = client_tls(provider.server_cert(), None);
    let refused = match connect(socket.clone(), Some(tls)).await {
        Err(_) => true,
        Ok(channel) => plugin_health(channel).await.is_err(),
    };
    assert!(refused, "a client without a certificate must be refused");

    // Another process's certificate of the same kind: refused.
    let stranger = HostCertificate::generate();
    let tls = client_tls(provider.server_cert(), Some(&stranger));
    let refused = match connect(socket.clone(), Some(tls)).await {
        Err(_) => true,
        Ok(channel) => plugin_health(channel).await.is_err(),
    };
    assert!(refused, "a client with another certificate must be refused");

    // Plain text on a TLS socket: refused.
    let refused = match connect(socket, None).await {
        Err(_) => true,
        Ok(channel) => plugin_health(channel).await.is_err(),
    };
    assert!(refused, "a plain-text client must be refused");
}

#[tokio::test]
async fn serves_plain_when_the_host_disables_tls() {
    let provider = LaunchedProvider::start(None);
    assert_eq!(provider.fields()[5], "", "no certificate without AutoMTLS");
    let channel = connect(provider.socket_path(), None)
        .await
        .expect("plain connection");
    assert_eq!(plugin_health(channel).await.expect("health check"), SERVING);
}

#[tokio::test]
async fn shutdown_ends_the_process_promptly() {
    let provider = LaunchedProvider::start(None);
    let channel = connect(provider.socket_path(), None)
        .await
        .expect("connection");
    let mut controller =
        servicemesh::protocol::proto::plugin::grpc_controller_client::GrpcControllerClient::new(
            channel,
        );
    controller
        .shutdown(servicemesh::protocol::proto::plugin::Empty {})
        .await
        .expect("Shutdown RPC");
    let mut provider = provider;
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    loop {
        if let Some(status) = provider.child.try_wait().expect("polling the child") {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still running 2 s after Shutdown"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn debug_mode_prints_reattach_instructions() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(provider_binary())
        .arg("--debug")
        .env_remove(MAGIC_COOKIE_KEY)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starting in debug mode");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut text = String::new();
    for _ in 0..3 {
        if let Some(Ok(line)) = lines.next() {
            text.push_str(&line);
            text.push('\n');
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(text.contains("TF_REATTACH_PROVIDERS="), "{text}");
    let json_start = text.find('{').expect("JSON value");
    let json_end = text.rfind('}').expect("JSON end");
    let value: serde_json::Value =
        serde_json::from_str(&text[json_start..=json_end]).expect("valid JSON");
    let entry = &value["registry.terraform.io/servicemesh/servicemesh"];
    assert_eq!(entry["ProtocolVersion"], 6);
    assert_eq!(entry["Addr"]["Network"], "unix");
}

#[test]
fn terraform_inits_validates_and_reads_the_schema() {
    let dir = Workdir::new(Install::Mirror);
    dir.copy_from(&repo_root().join("examples/provider"));
    dir.run(&["init", "-no-color"]).success();
    assert!(
        dir.path().join(".terraform.lock.hcl").exists(),
        "init writes a lock file"
    );
    let validate = dir.run(&["validate", "-no-color"]).success();
    assert!(
        validate.stdout.contains("The configuration is valid"),
        "{validate}"
    );
    let schema = dir.run(&["providers", "schema", "-json"]).success();
    let schema: serde_json::Value = serde_json::from_str(&schema.stdout).expect("schema JSON");
    let provider = &schema["provider_schemas"]["registry.terraform.io/servicemesh/servicemesh"];
    assert!(
        provider["provider"]["block"]["attributes"]["region"].is_object(),
        "{provider}"
    );
}

#[test]
fn provider_logs_reach_terraform_and_it_exits_cleanly() {
    let mut dir = Workdir::new(Install::Mirror);
    dir.copy_from(&repo_root().join("examples/provider"));
    dir.run(&["init", "-no-color"]).success();
    dir.set_env("TF_LOG_PROVIDER", "DEBUG");
    dir.set_env("TF_LOG_CORE", "DEBUG");
    let plan = dir.run(&["plan", "-no-color"]).success();
    assert!(
        plan.stderr
            .contains("provider.terraform-provider-servicemesh"),
        "provider log lines expected in Terraform's log:\n{}",
        plan.stderr
    );
    assert!(
        plan.stderr.contains("plugin process exited"),
        "Terraform's plugin lifecycle log expected:\n{}",
        plan.stderr
    );
    assert!(
        !plan.stderr.contains("plugin failed to exit gracefully"),
        "{}",
        plan.stderr
    );
    assert!(!plan.stderr.contains("stack backtrace"), "{}", plan.stderr);
    assert!(
        plan.leftover_processes.is_empty(),
        "processes left behind by terraform plan: {:?}",
        plan.leftover_processes
    );
}

#[test]
fn falls_back_to_tcp_within_the_hosts_port_range() {
    use std::io::{BufRead, BufReader};
    // A socket directory that cannot be created: the provider must use TCP.
    let mut child = Command::new(provider_binary())
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("PLUGIN_UNIX_SOCKET_DIR", "/proc/no-such-dir")
        .env("PLUGIN_MIN_PORT", "23100")
        .env("PLUGIN_MAX_PORT", "23199")
        .env_remove("PLUGIN_CLIENT_CERT")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starting the provider");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("handshake line");
    let _ = child.kill();
    let _ = child.wait();
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(&fields[..3], &["1", "6", "tcp"], "{line}");
    let addr: std::net::SocketAddr = fields[3].parse().expect("an address");
    assert!(addr.ip().is_loopback(), "{addr}");
    assert!((23100..=23199).contains(&addr.port()), "{addr}");
}

#[test]
fn exits_by_itself_when_terraform_is_gone() {
    // sh starts the provider, lives a moment (as Terraform does while it works), then
    // goes away without a word, as a killed Terraform would.
    let output = Command::new("sh")
        .args([
            "-c",
            "\"$0\" >/dev/null 2>&1 & echo $!; sleep 0.5",
            &provider_binary().display().to_string(),
        ])
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .output()
        .expect("running sh");
    let pid: u32 = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("a pid");
    let proc_dir = std::path::PathBuf::from(format!("/proc/{pid}"));
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while proc_dir.exists() {
        let zombie = std::fs::read_to_string(proc_dir.join("stat"))
            .map(|stat| {
                stat.rsplit_once(')')
                    .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
            })
            .unwrap_or(true);
        if zombie {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "provider {pid} still running 3 s after its parent left"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
