//! The provider block on the standard AWS chain, through real Terraform: every source
//! of settings, a clear diagnostic for each bad configuration, no secret in the logs,
//! and a configuration not known until apply.

use crate::support::emulator::{Emulator, Fault};
use crate::support::hcl::{Config, Mesh, line_of};
use crate::support::terraform::{Outcome, Workdir};
use crate::support::world::{self, CLUSTER, seed};

const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRETKEY";
const SESSION_TOKEN: &str = "FwoGZXIvYXdzEXAMPLESESSIONTOKENzzz";

/// A mesh of backend alone.
fn backend_mesh(vpc_id: &str) -> Mesh {
    Mesh::owned(CLUSTER, vpc_id).server("backend", "backend-8080-tcp")
}

/// main.tf: `provider_body` in the provider block, and a mesh of backend.
fn config(provider_body: &str, vpc_id: &str) -> String {
    Config::new()
        .provider(provider_body)
        .mesh(backend_mesh(vpc_id))
        .to_string()
}

/// A working directory with no AWS settings in its environment at all.
fn bare_workdir() -> Workdir {
    let mut dir = Workdir::new(crate::support::terraform::Install::DevOverrides);
    dir.set_env("AWS_EC2_METADATA_DISABLED", "true");
    dir
}

fn plan(dir: &Workdir) -> Outcome {
    dir.run(&["plan", "-no-color"])
}

#[tokio::test(flavor = "multi_thread")]
async fn configures_from_attributes_env_and_profile_files() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let endpoint = emulator.endpoint();

    // Everything from the provider block, credentials from the environment.
    let mut dir = bare_workdir();
    dir.set_env("AWS_ACCESS_KEY_ID", "AKIDATTRIBUTES")
        .set_env("AWS_SECRET_ACCESS_KEY", "secret");
    let body = format!(
        "region = \"us-east-1\"\nendpoints {{\n  ecs              = \"{endpoint}\"\n  servicediscovery = \"{endpoint}\"\n  route53          = \"{endpoint}\"\n}}"
    );
    dir.write("main.tf", &config(&body, &world.vpc_id));
    plan(&dir).success();

    // Everything from the environment.
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &config("", &world.vpc_id));
    plan(&dir).success();

    // A named profile in shared files under the test's HOME.
    let mut dir = bare_workdir();
    let home = dir.path().parent().expect("root").join("home");
    std::fs::create_dir_all(home.join(".aws")).expect(".aws");
    std::fs::write(
        home.join(".aws/config"),
        format!("[profile mesh]\nregion = us-east-1\nendpoint_url = {endpoint}\n"),
    )
    .expect("config file");
    std::fs::write(
        home.join(".aws/credentials"),
        "[mesh]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = secret\n",
    )
    .expect("credentials file");
    dir.set_env(
        "AWS_CONFIG_FILE",
        home.join(".aws/config").display().to_string(),
    )
    .set_env(
        "AWS_SHARED_CREDENTIALS_FILE",
        home.join(".aws/credentials").display().to_string(),
    );
    dir.write("main.tf", &config("profile = \"mesh\"", &world.vpc_id));
    plan(&dir).success();
}

#[tokio::test(flavor = "multi_thread")]
async fn each_bad_configuration_gets_a_clear_diagnostic() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let endpoint = emulator.endpoint();

    // No region anywhere.
    let mut dir = bare_workdir();
    dir.set_env("AWS_ACCESS_KEY_ID", "AKID")
        .set_env("AWS_SECRET_ACCESS_KEY", "secret");
    dir.write("main.tf", &config("", &world.vpc_id));
    let out = plan(&dir);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.flat_output().contains("no AWS region configured"),
        "{out}"
    );

    // A profile that does not exist.
    dir.set_env("AWS_REGION", "us-east-1");
    dir.write("main.tf", &config("profile = \"nope\"", &world.vpc_id));
    let out = plan(&dir);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.flat_output().contains("\"nope\"") && out.flat_output().contains("not found"),
        "{out}"
    );
    assert!(
        out.flat_output().contains("on main.tf line"),
        "points at the provider block:\n{out}"
    );

    // An unreadable credentials file.
    let root = dir.path().parent().expect("root").to_path_buf();
    let unreadable = root.join("credentials-dir");
    std::fs::create_dir_all(&unreadable).expect("a directory where a file should be");
    dir.set_env(
        "AWS_SHARED_CREDENTIALS_FILE",
        unreadable.display().to_string(),
    );
    dir.write("main.tf", &config("", &world.vpc_id));
    let out = plan(&dir);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.flat_output().contains("cannot be read"), "{out}");
    dir.set_env(
        "AWS_SHARED_CREDENTIALS_FILE",
        root.join("absent").display().to_string(),
    );

    // An endpoint that is not a URL.
    dir.write(
        "main.tf",
        &config("endpoints {\n  ecs = \"ecs.local\"\n}", &world.vpc_id),
    );
    let out = plan(&dir);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.flat_output().contains("not an absolute URL"), "{out}");

    // Numbers out of range, in words a user knows, on their line.
    for (body, words) in [
        (
            "max_retries = -1",
            "max_retries is -1. Use 0 (no retries) or more",
        ),
        ("max_concurrency = 0", "max_concurrency is 0. Use 1 or more"),
        ("max_retries = 2.5", "max_retries is 2.5."),
    ] {
        dir.write("main.tf", &config(body, &world.vpc_id));
        let out = dir.run(&["validate", "-no-color"]);
        assert_eq!(out.code, 1, "{out}");
        let text = out.flat_output();
        assert!(text.contains(words), "{body}:\n{out}");
        assert!(!text.contains("expected u32"), "no decoder words:\n{out}");
        assert!(
            text.contains(&format!(
                "on main.tf line {}",
                line_of(&config(body, &world.vpc_id), body)
            )),
            "points at the line:\n{out}"
        );
    }

    // A role that cannot be assumed: AWS's own message comes through.
    let dir = world::workdir(&emulator);
    emulator
        .inject_fault(Fault::error(
            "sts:AssumeRole",
            "AccessDenied",
            403,
            "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: sts:AssumeRole",
        ))
        .await;
    let body = format!(
        "assume_role {{\n  role_arn = \"arn:aws:iam::123456789012:role/mesh-admin\"\n}}\nendpoints {{\n  sts = \"{endpoint}\"\n}}"
    );
    dir.write("main.tf", &config(&body, &world.vpc_id));
    let out = plan(&dir);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.flat_output().contains("AccessDenied: User: arn:aws:iam::123456789012:user/ci is not authorized to perform: sts:AssumeRole"), "{out}");
    assert!(
        !out.flat_output().contains("aws_request_id"),
        "no SDK debug dump:\n{out}"
    );
    assert!(out.flat_output().contains("mesh-admin"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_reaches_the_logs_at_trace() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let mut dir = world::workdir(&emulator);
    dir.set_env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .set_env("AWS_SESSION_TOKEN", SESSION_TOKEN)
        .set_env("TF_LOG", "TRACE");
    dir.write("main.tf", &config("", &world.vpc_id));
    let apply = dir.apply();
    assert!(
        apply
            .stderr
            .contains("provider.terraform-provider-servicemesh"),
        "provider logs expected"
    );
    for secret in [SECRET_KEY, SESSION_TOKEN] {
        assert!(
            !apply.stdout.contains(secret) && !apply.stderr.contains(secret),
            "a secret leaked into the logs"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_configuration_unknown_until_apply_does_not_fail_the_plan() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    let config = Config::new()
        .provider("region = terraform_data.region.output")
        .block("resource \"terraform_data\" \"region\" {\n  input = \"us-east-1\"\n}")
        .mesh(backend_mesh(&world.vpc_id));
    dir.write("main.tf", &config.to_string());
    let plan = plan(&dir).success();
    assert!(
        plan.stdout
            .contains("servicemesh_internal.mesh will be created"),
        "{plan}"
    );
    dir.apply();
    dir.assert_no_changes();
}

#[tokio::test(flavor = "multi_thread")]
async fn default_tags_merge_under_resource_tags() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    let config = Config::new()
        .provider("default_tags {\n  tags = {\n    env  = \"prod\"\n    team = \"default\"\n  }\n}")
        .mesh(backend_mesh(&world.vpc_id).with(r#"tags = { team = "platform" }"#));
    dir.write("main.tf", &config.to_string());
    dir.apply();
    let state = dir.state();
    let values = &state["values"]["root_module"]["resources"][0]["values"];
    assert_eq!(values["tags_all"]["env"], "prod", "{values}");
    assert_eq!(
        values["tags_all"]["team"], "platform",
        "the resource's own tag wins: {values}"
    );
    dir.assert_no_changes();
    let arn = values["namespace_arn"].as_str().expect("namespace ARN");
    let tags = emulator
        .cloudmap()
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .expect("tags");
    let mut tags: Vec<(String, String)> = tags
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    tags.sort();
    assert_eq!(
        tags,
        vec![
            ("env".into(), "prod".into()),
            ("team".into(), "platform".into())
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn configures_from_web_identity() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let endpoint = emulator.endpoint();
    let mut dir = bare_workdir();
    let token = dir
        .path()
        .parent()
        .expect("root")
        .join("web-identity-token");
    std::fs::write(&token, "eyJhbGciOiJSUzI1NiJ9.test-token.signature").expect("token file");
    dir.set_env("AWS_REGION", "us-east-1")
        .set_env("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci-deployer")
        .set_env("AWS_ROLE_SESSION_NAME", "ci")
        .set_env("AWS_WEB_IDENTITY_TOKEN_FILE", token.display().to_string())
        .set_env("AWS_ENDPOINT_URL", endpoint);
    dir.write("main.tf", &config("", &world.vpc_id));
    emulator.reset_counters().await;
    plan(&dir).success();
    let counters = emulator.counters().await;
    assert!(
        counters.calls("sts:AssumeRoleWithWebIdentity") >= 1,
        "credentials came from the web identity token: {:?}",
        counters.calls
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn configures_from_instance_metadata() {
    use crate::support::imds::Imds;
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let imds = Imds::start().await;
    let mut dir = bare_workdir();
    dir.set_env("AWS_EC2_METADATA_DISABLED", "false")
        .set_env("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.endpoint.clone())
        .set_env("AWS_REGION", "us-east-1")
        .set_env("AWS_ENDPOINT_URL", emulator.endpoint());
    dir.write("main.tf", &config("", &world.vpc_id));
    // Terraform blocks this thread; the IMDS stand-in answers on the runtime's other one.
    let outcome = tokio::task::block_in_place(|| plan(&dir));
    outcome.success();
    assert!(
        imds.credential_requests() >= 1,
        "credentials came from instance metadata"
    );
}
