//! What ships besides the binary, checked with real Terraform: the examples (formatted,
//! valid), the registry docs (generated from the current schema, not stale), and the
//! packaging targets (`make release` files that `terraform init` installs from a packed
//! mirror, `make install` into the implied local mirror that `terraform init` finds).
//!
//! The packaging tests package the debug binary cargo built for this run
//! (`BINARY=target/debug/...`): a release build costs minutes on two cores and packaging
//! does not depend on the profile.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::hcl::{Config, required_providers};
use crate::support::terraform::{
    Install, Outcome, Workdir, provider_binary, repo_root, terraform_binary,
};

const PROVIDER: &str = "terraform-provider-servicemesh";

fn examples() -> PathBuf {
    repo_root().join("examples")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// A scratch temp directory.
fn tempdir(prefix: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("creating a temp dir")
}

/// Runs a command to completion; panics with its output unless it succeeded.
#[track_caller]
fn run_ok(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("starting {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// `make -C <repo> ARGS...`, isolated from a surrounding make (`make test` runs us).
fn make(args: &[&str]) -> Command {
    let mut command = Command::new("make");
    command
        .arg("--no-print-directory")
        .arg("-C")
        .arg(repo_root())
        .args(args)
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        .env_remove("MAKELEVEL");
    command
}

/// Terraform's name for this machine's platform, as `make` computes it.
fn os_arch() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{}_{arch}", std::env::consts::OS)
}

/// `terraform init`, then the names of the resources that declare an identity schema.
fn init_and_identities(dir: &Workdir) -> Vec<String> {
    dir.run(&["init", "-no-color"]).success();
    let schema = dir.run(&["providers", "schema", "-json"]).success().stdout;
    let schema: serde_json::Value =
        serde_json::from_str(&schema).expect("providers schema -json printed JSON");
    schema["provider_schemas"]["registry.terraform.io/servicemesh/servicemesh"]
        ["resource_identity_schemas"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

// ---- examples ----------------------------------------------------------------------

#[test]
fn examples_are_formatted() {
    let dir = Workdir::new(Install::DevOverrides);
    let examples = examples();
    let fmt = dir.run(&[
        "fmt",
        "-check",
        "-recursive",
        "-diff",
        "-no-color",
        examples.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(
        fmt.code, 0,
        "examples/ is not `terraform fmt`-formatted (run `terraform fmt -recursive examples`):\n{fmt}"
    );
}

#[test]
fn quickstart_example_is_valid() {
    let dir = Workdir::new(Install::Mirror);
    dir.copy_from(&examples().join("quickstart"));
    dir.run(&["init", "-no-color"]).success();
    let validate = dir.run(&["validate", "-no-color"]).success();
    assert!(
        validate.stdout.contains("The configuration is valid"),
        "{validate}"
    );
}

/// The README's opening example is what a new user copies first: it must validate.
#[test]
fn readme_first_example_is_valid() {
    let readme = read(&crate::support::terraform::repo_root().join("README.md"));
    let start = readme.find("```hcl\n").expect("an hcl block in README.md") + "```hcl\n".len();
    let end = start + readme[start..].find("```").expect("the block ends");
    let example = &readme[start..end];
    assert!(
        example.contains("resource \"servicemesh_internal\""),
        "{example}"
    );
    let dir = Workdir::new(Install::Mirror);
    dir.write("main.tf", &format!("{}\n{example}", required_providers()));
    dir.run(&["init", "-no-color"]).success();
    let validate = dir.run(&["validate", "-no-color"]);
    assert_eq!(
        validate.code, 0,
        "README.md's first example:\n{example}\n{validate}"
    );
}

#[test]
fn provider_example_is_valid() {
    let dir = Workdir::new(Install::Mirror);
    dir.copy_from(&examples().join("provider"));
    dir.run(&["init", "-no-color"]).success();
    dir.run(&["validate", "-no-color"]).success();
}

#[test]
fn resource_examples_are_valid() {
    let source = examples().join("resources/servicemesh_internal");
    let dir = Workdir::new(Install::Mirror);
    dir.write("providers.tf", &required_providers());
    // The import blocks target the same resource, so each is validated on its own.
    dir.write("resource.tf", &read(&source.join("resource.tf")));
    let identities = init_and_identities(&dir);
    dir.run(&["validate", "-no-color"]).success();

    dir.write("import.tf", &read(&source.join("import-by-string-id.tf")));
    dir.run(&["validate", "-no-color"]).success();

    // Import by identity needs the resource to declare its identity; until it does, the
    // docs leave that section out (tools/docs/render.py) and this step is skipped.
    if identities.iter().any(|r| r == "servicemesh_internal") {
        dir.write("import.tf", &read(&source.join("import-by-identity.tf")));
        dir.run(&["validate", "-no-color"]).success();
    } else {
        eprintln!(
            "servicemesh_internal declares no identity schema: import-by-identity.tf not validated"
        );
    }

    // Several endpoints, TLS and logs: a resource of its own beside the first.
    dir.write(
        "endpoints-tls-logs.tf",
        &read(&source.join("endpoints-tls-logs.tf")),
    );
    dir.run(&["validate", "-no-color"]).success();

    // Taking over a hashicorp/aws namespace: the moved block alone needs no aws provider.
    std::fs::remove_file(dir.path().join("import.tf")).expect("removing import.tf");
    dir.write("moved.tf", &read(&source.join("moved.tf")));
    dir.run(&["validate", "-no-color"]).success();

    let import_sh = read(&source.join("import.sh"));
    assert!(
        import_sh.contains("terraform import servicemesh_internal.example prod/internal.myapp"),
        "{import_sh}"
    );
    assert!(
        import_sh.contains("/ns-"),
        "import.sh shows the namespace-id form:\n{import_sh}"
    );
}

#[test]
fn list_resource_example_is_valid() {
    let source = examples().join("list-resources/servicemesh_internal/list-resource.tfquery.hcl");
    let dir = Workdir::new(Install::Mirror);
    dir.write("providers.tf", &Config::new().to_string());
    dir.write("list.tfquery.hcl", &read(&source));
    dir.run(&["init", "-no-color"]).success();
    let validate = dir.run(&["validate", "-query", "-no-color"]).success();
    assert!(
        validate.stdout.contains("The configuration is valid"),
        "{validate}"
    );
}

/// The data source's example (in its docs), and the README's check block beside the
/// README's first example, as a configuration that manages the mesh and checks it would be.
#[test]
fn data_source_examples_are_valid() {
    let dir = Workdir::new(Install::Mirror);
    dir.write("providers.tf", &required_providers());
    dir.write(
        "data-source.tf",
        &read(&examples().join("data-sources/servicemesh_internal/data-source.tf")),
    );
    dir.run(&["init", "-no-color"]).success();
    dir.run(&["validate", "-no-color"]).success();

    let readme = read(&crate::support::terraform::repo_root().join("README.md"));
    let section = &readme[readme
        .find("## Checking that the names resolve")
        .expect("README.md explains the check")..];
    let start = section.find("```hcl\n").expect("an hcl block") + "```hcl\n".len();
    let example = &section[start..start + section[start..].find("```").expect("the block ends")];
    assert!(example.contains("check \"names_resolve\""), "{example}");
    // Beside the README's first example, the mesh it names.
    let first = readme.find("```hcl\n").expect("an hcl block in README.md") + "```hcl\n".len();
    let mesh = &readme[first..first + readme[first..].find("```").expect("the block ends")];
    std::fs::remove_file(dir.path().join("data-source.tf")).expect("removing data-source.tf");
    dir.write("mesh.tf", mesh);
    dir.write("check.tf", example);
    let validate = dir.run(&["validate", "-no-color"]);
    assert_eq!(
        validate.code, 0,
        "README.md's check:\n{example}\n{validate}"
    );
}

/// The blocks `<kind> "<type>" "<name>" { ... }` of a configuration, as (name, body).
/// Enough HCL for a structural check: braces inside strings or comments are not expected
/// in the example.
fn blocks<'a>(text: &'a str, kind: &str, type_name: &str) -> Vec<(String, &'a str)> {
    let header = format!("{kind} \"{type_name}\" \"");
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&header) {
        let after = &rest[start + header.len()..];
        let name_end = after.find('"').expect("block name ends");
        let name = after[..name_end].to_string();
        let open = after.find('{').expect("block opens");
        let mut depth = 0usize;
        let mut close = None;
        for (i, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(open + i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let close = close.expect("block closes");
        found.push((name, &after[open + 1..close]));
        rest = &after[close..];
    }
    found
}

/// hashicorp/aws cannot be installed here, so this example gets `terraform fmt` (full
/// HCL syntax) and a structural check instead of `terraform validate`.
#[test]
fn with_aws_provider_example_leaves_service_connect_to_servicemesh() {
    let source = examples().join("with-aws-provider");
    let dir = Workdir::new(Install::DevOverrides);
    let fmt = dir.run(&[
        "fmt",
        "-check",
        "-diff",
        "-no-color",
        source.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(fmt.code, 0, "not formatted or not valid HCL:\n{fmt}");

    let main = read(&source.join("main.tf"));
    let services = blocks(&main, "resource", "aws_ecs_service");
    assert!(
        services.len() >= 2,
        "expected aws_ecs_service resources:\n{main}"
    );
    for (name, body) in &services {
        let lifecycle = body
            .find("lifecycle {")
            .map(|at| &body[at..])
            .unwrap_or_else(|| panic!("aws_ecs_service.{name} has no lifecycle block"));
        let ignore = lifecycle
            .lines()
            .find(|line| line.trim_start().starts_with("ignore_changes"))
            .unwrap_or_else(|| panic!("aws_ecs_service.{name} has no ignore_changes"));
        assert!(
            ignore.contains("service_connect_configuration"),
            "aws_ecs_service.{name} must ignore service_connect_configuration: {ignore}"
        );
    }
    let meshes = blocks(&main, "resource", "servicemesh_internal");
    assert_eq!(meshes.len(), 1, "one servicemesh_internal:\n{main}");
    for (name, _) in &services {
        assert!(
            meshes[0].1.contains("aws_ecs_service."),
            "servicemesh_internal names the services through aws_ecs_service ({name})"
        );
    }
    for file in ["main.tf", "README.md"] {
        let text = read(&source.join(file));
        assert!(
            text.contains("syntax and structure only"),
            "{file} says how the example is checked"
        );
    }
}

// ---- docs --------------------------------------------------------------------------

/// `make docs` output for the current schema, examples and templates must be committed.
#[test]
fn docs_match_the_current_schema() {
    let out = tempdir("servicemesh-docs-");
    run_ok(
        Command::new(repo_root().join("tools/docs/generate"))
            .arg("--binary")
            .arg(provider_binary())
            .arg("--out")
            .arg(out.path())
            .env("TERRAFORM", terraform_binary()),
    );
    let generated = markdown_files(out.path(), None);
    let committed = markdown_files(&repo_root().join("docs"), Some(GENERATED_MARK));
    assert!(
        generated.contains(&"index.md".to_string())
            && generated.contains(&"resources/internal.md".to_string()),
        "generated pages: {generated:?}"
    );
    let mut stale = Vec::new();
    for page in &generated {
        let fresh = read(&out.path().join(page));
        let committed =
            std::fs::read_to_string(repo_root().join("docs").join(page)).unwrap_or_default();
        if fresh != committed {
            stale.push(format!(
                "docs/{page}:\n{}",
                first_difference(&committed, &fresh)
            ));
        }
    }
    for page in committed.iter().filter(|p| !generated.contains(p)) {
        stale.push(format!("docs/{page}: generated once, but no longer"));
    }
    assert!(
        stale.is_empty(),
        "the committed docs differ from the generated ones: run `make docs` and commit docs/.\n{}",
        stale.join("\n")
    );
}

/// What every generated page says near its top (tools/docs/render.py).
const GENERATED_MARK: &str = "<!-- Generated by `make docs` (tools/docs)";

/// The .md files under `dir` (relative paths, sorted), only those holding `mark` if given.
fn markdown_files(dir: &Path, mark: Option<&str>) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, mark: Option<&str>, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("reading docs dir") {
            let path = entry.expect("docs entry").path();
            if path.is_dir() {
                walk(base, &path, mark, found);
            } else if path.extension().is_some_and(|e| e == "md")
                && mark.is_none_or(|m| read(&path).contains(m))
            {
                let relative = path.strip_prefix(base).expect("under base");
                found.push(relative.to_string_lossy().into_owned());
            }
        }
    }
    let mut found = Vec::new();
    walk(dir, dir, mark, &mut found);
    found.sort();
    found
}

/// The first differing line of two texts, with a little context.
fn first_difference(committed: &str, fresh: &str) -> String {
    let old: Vec<&str> = committed.lines().collect();
    let new: Vec<&str> = fresh.lines().collect();
    let at = old
        .iter()
        .zip(&new)
        .position(|(a, b)| a != b)
        .unwrap_or(old.len().min(new.len()));
    format!(
        "  first difference at line {}\n  committed: {:?}\n  generated: {:?}",
        at + 1,
        old.get(at).copied().unwrap_or("<end of file>"),
        new.get(at).copied().unwrap_or("<end of file>")
    )
}

// ---- packaging ---------------------------------------------------------------------

/// What one archive holds: (name, unix mode) of every entry.
fn zip_entries(zip: &Path) -> Vec<(String, u32)> {
    let output = run_ok(Command::new("python3").arg("-c").arg(
        "import sys, zipfile\n\
         for i in zipfile.ZipFile(sys.argv[1]).infolist():\n    print(i.filename, i.external_attr >> 16)",
    ).arg(zip));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let (name, mode) = line.rsplit_once(' ').expect("name and mode");
            (name.to_string(), mode.parse().expect("mode"))
        })
        .collect()
}

/// A CLI configuration that installs servicemesh/* only from `mirror`.
fn mirror_cli_config(dir: &Path, mirror: &Path) -> PathBuf {
    let path = dir.join("mirror.tfrc");
    std::fs::write(
        &path,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/servicemesh/*\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/servicemesh/*\"]\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .expect("writing CLI config");
    path
}

/// `required_providers` pinned to one version.
fn pinned(version: &str) -> String {
    Config::new().version(version).to_string()
}

/// The lock file records the version; init printed that it installed it.
#[track_caller]
fn assert_installed(dir: &Workdir, init: &Outcome, version: &str) {
    assert!(
        init.stdout
            .contains(&format!("Installing servicemesh/servicemesh v{version}")),
        "{init}"
    );
    let lock = read(&dir.path().join(".terraform.lock.hcl"));
    assert!(
        lock.contains("provider \"registry.terraform.io/servicemesh/servicemesh\"")
            && lock.contains(&format!("version     = \"{version}\""))
            && lock.contains("\"h1:"),
        "lock file:\n{lock}"
    );
    // The installed binary runs: Terraform reads its schema through it.
    let schema = dir.run(&["providers", "schema", "-json"]).success();
    assert!(schema.stdout.contains("servicemesh_internal"), "{schema}");
}

#[test]
fn release_packages_what_terraform_installs() {
    const VERSION: &str = "9.8.7";
    let binary = provider_binary();
    let mut zippers = vec!["python"];
    if Command::new("zip")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        zippers.push("zip");
    }
    for zipper in zippers {
        let dist = tempdir("servicemesh-dist-");
        let output = run_ok(&mut make(&[
            "release",
            &format!("VERSION={VERSION}"),
            &format!("BINARY={}", binary.display()),
            &format!("DIST={}", dist.path().display()),
            &format!("ZIPPER={zipper}"),
        ]));
        eprintln!("{}", String::from_utf8_lossy(&output.stdout));

        let base = format!("{PROVIDER}_{VERSION}");
        let zip_name = format!("{base}_{}.zip", os_arch());
        let mut files: Vec<String> = std::fs::read_dir(dist.path())
            .expect("reading dist")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        let mut expected = vec![
            zip_name.clone(),
            format!("{base}_SHA256SUMS"),
            format!("{base}_manifest.json"),
        ];
        expected.sort();
        assert_eq!(
            files, expected,
            "{zipper}: dist holds exactly the release files"
        );

        // The zip holds the binary alone, executable, named as Terraform expects.
        let entries = zip_entries(&dist.path().join(&zip_name));
        assert_eq!(entries.len(), 1, "{zipper}: {entries:?}");
        assert_eq!(entries[0].0, format!("{PROVIDER}_v{VERSION}"), "{zipper}");
        assert_eq!(
            entries[0].1 & 0o111,
            0o111,
            "{zipper}: executable: {entries:?}"
        );

        // SHA256SUMS covers the zip and the manifest, and is right.
        let sums = read(&dist.path().join(format!("{base}_SHA256SUMS")));
        assert_eq!(sums.lines().count(), 2, "{sums}");
        assert!(
            sums.contains(&zip_name) && sums.contains(&format!("{base}_manifest.json")),
            "{sums}"
        );
        run_ok(
            Command::new("sha256sum")
                .args(["--check", "--strict", &format!("{base}_SHA256SUMS")])
                .current_dir(dist.path()),
        );

        // The manifest is the repository's registry manifest.
        let manifest = read(&dist.path().join(format!("{base}_manifest.json")));
        assert_eq!(
            manifest,
            read(&repo_root().join("terraform-registry-manifest.json"))
        );
        let manifest: serde_json::Value =
            serde_json::from_str(&manifest).expect("manifest is JSON");
        assert_eq!(
            manifest,
            serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}})
        );

        // Terraform installs the zip as it is, from a mirror in the packed layout.
        let mut dir = Workdir::new(Install::DevOverrides);
        let mirror = dist
            .path()
            .join("mirror/registry.terraform.io/servicemesh/servicemesh");
        std::fs::create_dir_all(&mirror).expect("creating mirror");
        std::fs::copy(dist.path().join(&zip_name), mirror.join(&zip_name)).expect("copying zip");
        let config = mirror_cli_config(dist.path(), &dist.path().join("mirror"));
        dir.set_env("TF_CLI_CONFIG_FILE", config.display().to_string());
        dir.write("main.tf", &pinned(VERSION));
        let init = dir.run(&["init", "-no-color"]).success();
        assert_installed(&dir, &init, VERSION);
    }
}

#[test]
fn install_puts_the_provider_where_terraform_init_finds_it() {
    const VERSION: &str = "9.8.6";
    let mut dir = Workdir::new(Install::DevOverrides);
    let home = dir.path().parent().expect("workdir parent").join("home");
    let output = run_ok(
        make(&[
            "install",
            &format!("VERSION={VERSION}"),
            &format!("BINARY={}", provider_binary().display()),
        ])
        .env("HOME", &home)
        .env_remove("PLUGIN_MIRROR_DIR"),
    );
    eprintln!("{}", String::from_utf8_lossy(&output.stdout));
    let installed = home.join(format!(
        ".terraform.d/plugins/registry.terraform.io/servicemesh/servicemesh/{VERSION}/{}/{PROVIDER}_v{VERSION}",
        os_arch()
    ));
    assert!(installed.is_file(), "{} is missing", installed.display());

    // No provider_installation block: Terraform's implied configuration searches
    // ~/.terraform.d/plugins (HOME is the test's own).
    let empty = home.join("empty.tfrc");
    std::fs::write(&empty, "").expect("writing an empty CLI config");
    dir.set_env("TF_CLI_CONFIG_FILE", empty.display().to_string());
    dir.write("main.tf", &pinned(VERSION));
    let init = dir.run(&["init", "-no-color"]).success();
    assert_installed(&dir, &init, VERSION);
}

#[test]
fn make_finds_the_binary_where_cargo_puts_it() {
    // A shared target directory, as CARGO_TARGET_DIR sets it: `make -n` prints the
    // recipes (cargo's own build commands included) without running them.
    let elsewhere = tempdir("servicemesh-target-");
    let target = elsewhere.path().join("shared");
    let targets = ["-n", "demo", "release", "install", "docs"];
    let from_env = run_ok(make(&targets).env("CARGO_TARGET_DIR", &target));
    // The same given on make's command line.
    let on_command_line = format!("CARGO_TARGET_DIR={}", target.display());
    let from_argument = run_ok(
        make(&[&targets[..], &[on_command_line.as_str()]].concat()).env_remove("CARGO_TARGET_DIR"),
    );
    for output in [from_env, from_argument] {
        assert_make_uses(&String::from_utf8_lossy(&output.stdout), &target);
    }
}

fn assert_make_uses(recipes: &str, target: &Path) {
    let release = target.join("release").join(PROVIDER);
    let debug = target.join("debug").join(PROVIDER);
    assert!(
        recipes.contains(&format!("PROVIDER_BINARY=\"{}\"", release.display())),
        "demo runs the release build cargo made:\n{recipes}"
    );
    assert!(
        recipes.contains(&format!("test -x \"{}\"", release.display())),
        "release and install package it:\n{recipes}"
    );
    assert!(
        recipes.contains(&format!("--binary \"{}\"", debug.display())),
        "docs read the debug build's schema:\n{recipes}"
    );
    assert!(
        !recipes.contains(&format!("{}/target/", repo_root().display()))
            && !recipes.contains(" target/"),
        "nothing assumes target/:\n{recipes}"
    );
}

#[test]
fn the_compatibility_table_is_the_matrix_results() {
    // The matrix's own check: docs/COMPATIBILITY.md's table rendered from
    // docs/compatibility-results.json, every core of cores.txt in the results, and the
    // floor they give stated by the handshake's error, the README and the doc.
    terraform_binary(); // the venv whose Python runs the check
    let output = Command::new(repo_root().join("acceptance-tests/.venv/bin/python"))
        .arg(repo_root().join("acceptance-tests/matrix.py"))
        .arg("check")
        .output()
        .expect("running matrix.py check");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
