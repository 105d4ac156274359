//! A stand-in for the EC2 instance metadata service (IMDSv2), enough for the AWS SDK's
//! credential chain: a session token, the instance role's name, and its credentials.
//! Listens on 127.0.0.1 only and counts the credential requests it served.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

pub const ROLE: &str = "mesh-instance-role";
pub const ACCESS_KEY_ID: &str = "AKIDIMDSINSTANCEROLE";

pub struct Imds {
    pub endpoint: String,
    credential_requests: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Imds {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the IMDS stand-in");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let credential_requests = Arc::new(AtomicU64::new(0));
        let counter = credential_requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let counter = counter.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut reader = BufReader::new(read);
                    let mut request_line = String::new();
                    if reader.read_line(&mut request_line).await.is_err() {
                        return;
                    }
                    // Skip the headers.
                    let mut line = String::new();
                    while reader.read_line(&mut line).await.is_ok_and(|n| n > 2) {
                        line.clear();
                    }
                    let mut parts = request_line.split_whitespace();
                    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                    let credentials_path =
                        format!("/latest/meta-data/iam/security-credentials/{ROLE}");
                    let (status, body) = match (method, path) {
                        ("PUT", "/latest/api/token") => {
                            ("200 OK", "imds-session-token".to_string())
                        }
                        ("GET", "/latest/meta-data/iam/security-credentials/") => {
                            ("200 OK", ROLE.to_string())
                        }
                        ("GET", p) if p == credentials_path => {
                            counter.fetch_add(1, Ordering::SeqCst);
                            let body = serde_json::json!({
                                "Code": "Success",
                                "LastUpdated": "2026-01-01T00:00:00Z",
                                "Type": "AWS-HMAC",
                                "AccessKeyId": ACCESS_KEY_ID,
                                "SecretAccessKey": "imds-secret",
                                "Token": "imds-token",
                                "Expiration": "2099-01-01T00:00:00Z"
                            });
                            ("200 OK", body.to_string())
                        }
                        _ => ("404 Not Found", String::new()),
                    };
                    // IMDSv2 says how long the session token lives.
                    let ttl = if method == "PUT" {
                        "x-aws-ec2-metadata-token-ttl-seconds: 21600\r\n"
                    } else {
                        ""
                    };
                    let response = format!(
                        "HTTP/1.1 {status}\r\n{ttl}Content-Length: {}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = write.write_all(response.as_bytes()).await;
                    let _ = write.shutdown().await;
                });
            }
        });
        Self {
            endpoint,
            credential_requests,
            task,
        }
    }

    pub fn credential_requests(&self) -> u64 {
        self.credential_requests.load(Ordering::SeqCst)
    }
}

impl Drop for Imds {
    fn drop(&mut self) {
        self.task.abort();
    }
}
