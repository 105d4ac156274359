//! The docs tell the truth (issue 24): the IAM tables in docs/index.md list every AWS
//! call the gateway can make and every call each Terraform command really makes
//! (measured with the emulator's call counters), the example policy grants exactly what
//! the tables list, and the module-testing example runs under `terraform test`.

use std::collections::{BTreeMap, BTreeSet};

use crate::support::emulator::{Emulator, Fault};
use crate::support::hcl::{Config, Mesh, NAMESPACE, list_all};
use crate::support::terraform::{Install, Workdir, repo_root};
use crate::support::world::{self, CLUSTER, SERVERS, seed};

// ---- measuring -------------------------------------------------------------------

/// What each IAM table of the docs covers, by the Terraform commands measured for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Table {
    Plan,
    Create,
    Update,
    Destroy,
    Import,
    Query,
    DataSource,
    AssumeRole,
}

/// The calls each command made, by table.
#[derive(Default)]
struct Observed(BTreeMap<Table, BTreeSet<String>>);

impl Observed {
    /// Runs `terraform ARGS` from a fresh count, files its calls under `table` and
    /// returns them.
    async fn run(
        &mut self,
        emulator: &Emulator,
        table: Table,
        dir: &Workdir,
        args: &[&str],
    ) -> BTreeSet<String> {
        emulator.reset_counters().await;
        dir.run(args).success();
        let calls: BTreeSet<String> = emulator
            .counters()
            .await
            .calls
            .into_iter()
            .filter(|(_, calls)| *calls > 0)
            .map(|(operation, _)| operation)
            .collect();
        self.0.entry(table).or_default().extend(calls.clone());
        calls
    }
}

fn apply() -> [&'static str; 3] {
    ["apply", "-auto-approve", "-no-color"]
}

/// Every command a user runs, each once or more, through real Terraform: plan and
/// apply of a new mesh, a refresh, updates of every kind (settings, tags, description,
/// servers added and removed, a leftover left and cleaned, another VPC of the zone,
/// standalone servers added and changed),
/// a destroy planned while someone else's server is in the namespace, an import by name,
/// `terraform query`, and a plan that assumes a role.
async fn observed_calls() -> (Observed, BTreeSet<String>) {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let mut observed = Observed::default();
    let dir = world::workdir(&emulator);
    // No retries: the leftover below comes from one failed DeleteService.
    let config = |mesh: Mesh| Config::new().no_retries().mesh(mesh).to_string();
    let first = world
        .mesh(&SERVERS[..2])
        .with(r#"description = "v1""#)
        .with(r#"tags = { team = "platform", tier = "web" }"#);
    dir.write("main.tf", &config(first));
    // A namespace of the same name in another VPC (a staging VPC, say) is no conflict:
    // the plan and the create ask Route 53 which VPCs its zone serves.
    let elsewhere = emulator.create_vpc("10.2.0.0/16").await;
    let same_name = world::hand_made_namespace(&emulator, NAMESPACE, &elsewhere).await;
    observed
        .run(&emulator, Table::Plan, &dir, &["plan", "-no-color"])
        .await;
    observed.run(&emulator, Table::Create, &dir, &apply()).await;
    delete_namespace(&emulator, &same_name).await;
    let unchanged = observed
        .run(&emulator, Table::Plan, &dir, &["plan", "-no-color"])
        .await;

    // An update of everything: description, a tag removed and one added, orders removed
    // (its Cloud Map service freed, and left once by a failing DeleteService), payments
    // added, backend's timeout changed.
    dir.write("main.tf", &config(updated_mesh(&world.vpc_id, SALEOR)));
    emulator
        .inject_fault(Fault::server_error("servicediscovery:DeleteService").count(1))
        .await;
    observed.run(&emulator, Table::Update, &dir, &apply()).await;
    emulator.clear_faults().await;
    // The leftover shows in the plan (refresh lists the namespace's services) and the
    // next apply deletes it.
    observed
        .run(&emulator, Table::Plan, &dir, &["plan", "-no-color"])
        .await;
    observed.run(&emulator, Table::Update, &dir, &apply()).await;

    // Another VPC the namespace's zone serves: the plan asks Route 53, the state follows.
    let second_vpc = associate_second_vpc(&emulator, &dir).await;
    dir.write(
        "main.tf",
        &config(updated_mesh(&second_vpc, SALEOR_CHANGED)),
    );
    observed
        .run(&emulator, Table::Plan, &dir, &["plan", "-no-color"])
        .await;
    observed.run(&emulator, Table::Update, &dir, &apply()).await;

    // Someone registered a standalone server in the namespace: the destroy's plan looks at
    // it (was it made by ECS?) and warns. Once it is gone, the destroy deletes everything.
    let namespace_id = state_value(&dir, "id");
    let erp = world::hand_made_cloud_map_service(&emulator, &namespace_id, "erp", None).await;
    observed
        .run(
            &emulator,
            Table::Destroy,
            &dir,
            &["plan", "-destroy", "-no-color"],
        )
        .await;
    emulator
        .cloudmap()
        .delete_service()
        .id(erp.rsplit('/').next().unwrap_or_default())
        .send()
        .await
        .expect("deleting erp");
    observed
        .run(
            &emulator,
            Table::Destroy,
            &dir,
            &["destroy", "-auto-approve", "-no-color"],
        )
        .await;

    // A mesh on a namespace made elsewhere (`namespace_id`): created, read, destroyed.
    let shared_id = world::hand_made_namespace(&emulator, "shared.myapp", &world.vpc_id).await;
    let on_shared = world::workdir(&emulator);
    let mesh = Mesh::on_namespace_id(CLUSTER, &shared_id)
        .servers(&SERVERS[..2])
        .client(world::CLIENT.0)
        .with("external_services = {\n  erp = { addresses = [\"10.0.3.12\"], port = 8069 }\n}");
    on_shared.write("main.tf", &config(mesh));
    observed
        .run(&emulator, Table::Create, &on_shared, &apply())
        .await;
    observed
        .run(&emulator, Table::Plan, &on_shared, &["plan", "-no-color"])
        .await;
    observed
        .run(
            &emulator,
            Table::Destroy,
            &on_shared,
            &["destroy", "-auto-approve", "-no-color"],
        )
        .await;

    // Import a console-built mesh by name, with a standalone server registered by hand,
    // then list what the cluster uses.
    let console_namespace = world::console_built_mesh(&emulator, &world, &SERVERS[..2]).await;
    hand_made_standalone_server(&emulator, &console_namespace, "ledger").await;
    let imported = world::workdir(&emulator);
    imported.write(
        "main.tf",
        &Config::new().mesh(world.mesh(&SERVERS[..2])).to_string(),
    );
    let by_name = format!("{CLUSTER}/internal.myapp");
    observed
        .run(
            &emulator,
            Table::Import,
            &imported,
            &["import", "-no-color", "servicemesh_internal.mesh", &by_name],
        )
        .await;
    let listing = world::workdir(&emulator);
    listing.write("main.tf", &Config::new().to_string());
    listing.write("mesh.tfquery.hcl", &list_all(CLUSTER));
    observed
        .run(&emulator, Table::Query, &listing, &["query", "-no-color"])
        .await;

    // With assume_role, the provider first asks STS for the role's credentials.
    imported.write(
        "main.tf",
        &Config::new()
            .provider(&format!(
                "assume_role {{\n  role_arn = \"arn:aws:iam::123456789012:role/mesh-admin\"\n}}\nendpoints {{\n  sts = \"{}\"\n}}",
                emulator.endpoint()
            ))
            .mesh(world.mesh(&SERVERS[..2]))
            .to_string(),
    );
    observed
        .run(
            &emulator,
            Table::AssumeRole,
            &imported,
            &["plan", "-no-color"],
        )
        .await;

    // The data source reads the console-built mesh, and a standalone server whose Cloud
    // Map service has a custom health check (so that its instances' health is read).
    let namespace_id = state_value(&imported, "namespace_id");
    world::hand_made_service_with_instances(
        &emulator,
        &namespace_id,
        "erp",
        true,
        &[("erp-1", None)],
    )
    .await;
    let reader = world::workdir(&emulator);
    reader.write(
        "main.tf",
        &Config::new()
            .block(&format!(
                "data \"servicemesh_internal\" \"mesh\" {{\n  cluster   = \"{CLUSTER}\"\n  namespace = \"{NAMESPACE}\"\n}}"
            ))
            .to_string(),
    );
    observed
        .run(
            &emulator,
            Table::DataSource,
            &reader,
            &["plan", "-no-color"],
        )
        .await;
    (observed, unchanged)
}

async fn delete_namespace(emulator: &Emulator, id: &str) {
    emulator
        .cloudmap()
        .delete_namespace()
        .id(id)
        .send()
        .await
        .expect("deleting a namespace");
    emulator.finish_cloudmap_operations().await;
}

/// The mesh after the update: backend (with another timeout) and payments serve,
/// frontend calls; another description and tags; in `vpc_id`.
fn updated_mesh(vpc_id: &str, saleor: &str) -> Mesh {
    Mesh::owned(CLUSTER, vpc_id)
        .servers(&[SERVERS[0], SERVERS[2]])
        .server_with("backend", "backend-8080-tcp", "idle_timeout_seconds = 30")
        .client(world::CLIENT.0)
        .with(r#"description = "v2""#)
        .with(r#"tags = { team = "platform", owner = "sre" }"#)
        .with(&format!(
            "external_services = {{\n  saleor = {{ {saleor} }}\n}}"
        ))
}

/// A standalone server, added by the first update.
const SALEOR: &str = r#"addresses = ["10.0.4.20", "10.0.4.21"], port = 8000"#;
/// The same, one address swapped and a new TTL: a registration, a deregistration and
/// an UpdateService.
const SALEOR_CHANGED: &str = r#"addresses = ["10.0.4.20", "10.0.4.22"], port = 8000, ttl = 30"#;

/// A standalone server registered by hand as `external_services` would: A records and
/// an IPv4 instance.
async fn hand_made_standalone_server(emulator: &Emulator, namespace_id: &str, name: &str) {
    use aws_sdk_servicediscovery::types::{DnsConfig, DnsRecord, RecordType, RoutingPolicy};
    let cloudmap = emulator.cloudmap();
    let records = DnsRecord::builder()
        .r#type(RecordType::A)
        .ttl(60)
        .build()
        .expect("an A record");
    let dns = DnsConfig::builder()
        .routing_policy(RoutingPolicy::Multivalue)
        .dns_records(records)
        .build()
        .expect("a DNS configuration");
    let created = cloudmap
        .create_service()
        .name(name)
        .namespace_id(namespace_id)
        .dns_config(dns)
        .send()
        .await
        .expect("creating a standalone server by hand");
    let id = created
        .service()
        .and_then(|s| s.id())
        .expect("its id")
        .to_string();
    cloudmap
        .register_instance()
        .service_id(id)
        .instance_id("10.0.5.7")
        .attributes("AWS_INSTANCE_IPV4", "10.0.5.7")
        .send()
        .await
        .expect("registering it");
    emulator.finish_cloudmap_operations().await;
}

/// A string attribute of the mesh in `dir`'s state.
fn state_value(dir: &Workdir, attribute: &str) -> String {
    dir.resource_values()[attribute]
        .as_str()
        .unwrap_or_else(|| panic!("the mesh's {attribute}"))
        .to_string()
}

/// Associates a second VPC with the mesh's hosted zone; its id.
async fn associate_second_vpc(emulator: &Emulator, dir: &Workdir) -> String {
    let zone = state_value(dir, "hosted_zone_id");
    world::second_vpc_for_zone(emulator, &zone, "10.1.0.0/16").await
}

// ---- reading the docs, the gateway and the example policy ----------------------------

/// One row of an IAM table: the action, and whether the provider calls it (or AWS
/// checks it on the caller's behalf).
#[derive(Debug)]
struct Row {
    action: String,
    by_provider: bool,
}

/// The IAM tables of docs/index.md ("## AWS permissions"), by the table they head.
fn iam_tables() -> BTreeMap<Table, Vec<Row>> {
    let index = read("docs/index.md");
    let start = index
        .find("\n## AWS permissions")
        .expect("docs/index.md has an AWS permissions section");
    let section = &index[start + 1..];
    let section = &section[..section[1..]
        .find("\n## ")
        .map_or(section.len(), |end| end + 1)];
    let mut tables: BTreeMap<Table, Vec<Row>> = BTreeMap::new();
    let mut current = None;
    for line in section.lines() {
        if let Some(heading) = line.strip_prefix("### ") {
            current = match heading {
                "Plan" => Some(Table::Plan),
                "Create" => Some(Table::Create),
                "Update" => Some(Table::Update),
                "Destroy" => Some(Table::Destroy),
                "Import" => Some(Table::Import),
                "Query" => Some(Table::Query),
                "Data source" => Some(Table::DataSource),
                "With `assume_role`" => Some(Table::AssumeRole),
                _ => None,
            };
            continue;
        }
        let (Some(table), Some(row)) = (current, line.strip_prefix("| `")) else {
            continue;
        };
        let cells: Vec<&str> = row.split(" | ").collect();
        let action = cells[0].trim_end_matches('`');
        assert!(
            is_action(action),
            "docs/index.md, table {table:?}: {action:?} is not an IAM action"
        );
        let by = cells.get(1).copied().unwrap_or_default();
        assert!(
            by == "provider" || by.starts_with("AWS, for "),
            "docs/index.md, {action}: the By column says {by:?}"
        );
        tables.entry(table).or_default().push(Row {
            action: action.to_string(),
            by_provider: by == "provider",
        });
    }
    tables
}

/// `service:Operation`, as IAM and the emulator's counters name calls.
fn is_action(text: &str) -> bool {
    text.split_once(':').is_some_and(|(service, operation)| {
        !service.is_empty()
            && service
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && operation.starts_with(|c: char| c.is_ascii_uppercase())
            && operation.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

/// The provider calls a table lists.
fn provider_calls(rows: &[Row]) -> BTreeSet<String> {
    rows.iter()
        .filter(|row| row.by_provider)
        .map(|row| row.action.clone())
        .collect()
}

/// Every operation the AWS gateway (src/aws/) can call, read from its source: each SDK
/// client's fluent builders (`self.client.describe_services()`), named by the crate
/// (`aws_sdk_ecs` → `ecs`), and the role the configuration assumes through aws-config's
/// AssumeRoleProvider (STS AssumeRole).
fn gateway_operations() -> BTreeSet<String> {
    let mut operations = BTreeSet::new();
    // Every file under src/aws, submodules (src/aws/cloudmap/…) included.
    let mut files = Vec::new();
    let mut dirs = vec![repo_root().join("src/aws")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("reading src/aws") {
            let path = entry.expect("src/aws entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    // Whitespace out, so that a call split over lines reads as one.
    let flat_of = |path: &std::path::Path| -> String {
        let source = std::fs::read_to_string(path).expect("reading a gateway file");
        source.split_whitespace().collect()
    };
    // The SDK crate a file's `client` field is of (`aws_sdk_ecs` → `ecs`); a submodule
    // (src/aws/cloudmap/health.rs) calls through its parent's (src/aws/cloudmap.rs).
    let service_of = |flat: &str| {
        flat.split("client:aws_sdk_")
            .nth(1)
            .and_then(|rest| rest.split("::Client").next())
            .map(str::to_string)
    };
    for path in files {
        let flat = flat_of(&path);
        if flat.contains("AssumeRoleProvider::builder(") {
            operations.insert("sts:AssumeRole".to_string());
        }
        let parent = path.parent().map(|dir| dir.with_extension("rs"));
        let Some(service) = service_of(&flat).or_else(|| {
            parent
                .filter(|file| file.is_file())
                .and_then(|file| service_of(&flat_of(&file)))
        }) else {
            continue;
        };
        for call in flat.split("client.").skip(1) {
            let name: String = call
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            if !name.is_empty() && call[name.len()..].starts_with('(') {
                operations.insert(format!("{service}:{}", pascal_case(&name)));
            }
        }
    }
    operations
}

/// `describe_services` → `DescribeServices`.
fn pascal_case(snake: &str) -> String {
    snake
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The actions the example policies (examples/iam/*.json) allow, each statement checked
/// for the shape IAM takes.
fn policy_actions() -> BTreeSet<String> {
    let mut actions = BTreeSet::new();
    let dir = repo_root().join("examples/iam");
    for entry in std::fs::read_dir(&dir).expect("reading examples/iam") {
        let path = entry.expect("examples/iam entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let name = path.display().to_string();
        let policy: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("reading a policy"))
                .unwrap_or_else(|err| panic!("{name} is not JSON: {err}"));
        assert_eq!(policy["Version"], "2012-10-17", "{name}");
        for statement in policy["Statement"].as_array().expect("Statement list") {
            assert_eq!(statement["Effect"], "Allow", "{name}: {statement}");
            let resource = &statement["Resource"];
            assert!(
                resource
                    .as_str()
                    .is_some_and(|r| r == "*" || r.starts_with("arn:aws:")),
                "{name}: {statement}"
            );
            for action in statement["Action"].as_array().expect("Action list") {
                let action = action.as_str().expect("an action is a string");
                assert!(is_action(action), "{name}: {action:?} (no wildcards)");
                actions.insert(action.to_string());
            }
        }
    }
    actions
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo_root().join(path)).unwrap_or_else(|err| panic!("{path}: {err}"))
}

// ---- the tests -------------------------------------------------------------------

#[test]
fn the_iam_tables_list_every_call_the_gateway_can_make() {
    let gateway = gateway_operations();
    // The reader must see the gateway, or this test proves nothing.
    for known in [
        "ecs:UpdateService",
        "ecs:ListServicesByNamespace",
        "servicediscovery:CreatePrivateDnsNamespace",
        "servicediscovery:DeleteNamespace",
        "route53:GetHostedZone",
        "sts:AssumeRole",
    ] {
        assert!(
            gateway.contains(known),
            "{known} not read from src/aws: {gateway:?}"
        );
    }
    let tables = iam_tables();
    assert_eq!(
        tables.len(),
        8,
        "docs/index.md has the Plan, Create, Update, Destroy, Import, Query, Data source and assume_role tables"
    );
    let documented: BTreeSet<String> = tables
        .values()
        .flat_map(|rows| provider_calls(rows))
        .collect();
    let undocumented: Vec<&String> = gateway.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "the gateway (src/aws/) can call these, but no IAM table in docs/index.md lists them \
         (tools/docs/templates/index.md.tmpl, then `make docs`): {undocumented:?}"
    );
    let impossible: Vec<&String> = documented.difference(&gateway).collect();
    assert!(
        impossible.is_empty(),
        "docs/index.md says the provider calls these, but src/aws/ has no such call: {impossible:?}"
    );

    let listed: BTreeSet<String> = tables
        .values()
        .flatten()
        .map(|row| row.action.clone())
        .collect();
    let granted = policy_actions();
    let missing: Vec<&String> = listed.difference(&granted).collect();
    assert!(
        missing.is_empty(),
        "the IAM tables list these, but no policy in examples/iam/ grants them: {missing:?}"
    );
    let extra: Vec<&String> = granted.difference(&listed).collect();
    assert!(
        extra.is_empty(),
        "examples/iam/ grants these, but no IAM table lists them (least privilege): {extra:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn each_command_calls_only_what_its_table_lists() {
    let tables = iam_tables();
    let (observed, unchanged) = observed_calls().await;
    let documented = |table: Table| provider_calls(tables.get(&table).map_or(&[][..], |r| r));
    let mut problems = Vec::new();
    for (table, calls) in &observed.0 {
        let mut allowed = documented(*table);
        if *table == Table::AssumeRole {
            // A plan with assume_role: the role's credentials, then a plan's calls.
            allowed.extend(documented(Table::Plan));
        }
        let unlisted: Vec<&String> = calls.difference(&allowed).collect();
        if !unlisted.is_empty() {
            problems.push(format!(
                "{table:?} made calls its table does not list: {unlisted:?}"
            ));
        }
    }
    for (table, rows) in &tables {
        let seen = observed.0.get(table).cloned().unwrap_or_default();
        let never: Vec<String> = provider_calls(rows).difference(&seen).cloned().collect();
        if !never.is_empty() {
            problems.push(format!(
                "the {table:?} table lists provider calls that no {table:?} command made: {never:?}"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/index.md's IAM tables and the calls Terraform commands make differ:\n{}",
        problems.join("\n")
    );

    // Import, query and the data source only read (docs: "It makes no change in AWS",
    // "Listing only reads").
    for table in [Table::Import, Table::Query, Table::DataSource] {
        let writes: Vec<&String> = observed.0[&table]
            .iter()
            .filter(|call| {
                let operation = call.split_once(':').map_or("", |(_, op)| op);
                !["Describe", "Get", "List"]
                    .iter()
                    .any(|read| operation.starts_with(read))
            })
            .collect();
        assert!(writes.is_empty(), "{table:?} changed something: {writes:?}");
    }
    // The refresh of an unchanged mesh (docs/PERFORMANCE.md, "Refresh cost"): these
    // three reads and nothing else.
    let expected: BTreeSet<String> = [
        "ecs:DescribeServices",
        "servicediscovery:GetNamespace",
        "servicediscovery:ListTagsForResource",
    ]
    .map(String::from)
    .into();
    assert_eq!(unchanged, expected, "the plan of an unchanged mesh");
}

// ---- testing modules with a mocked provider (docs/guides/testing-modules.md) ---------

/// A working directory holding examples/testing-modules (its .tf files and tests/),
/// initialised: `terraform init` installs the provider under test from a filesystem
/// mirror, as it would from the registry. A mocked provider is never configured and
/// calls no AWS, but Terraform still starts it for its schema and its validation.
fn testing_modules_example() -> Workdir {
    let dir = Workdir::new(Install::Mirror);
    let example = repo_root().join("examples/testing-modules");
    dir.copy_from(&example);
    let tests = dir.path().join("tests");
    std::fs::create_dir_all(&tests).expect("creating tests/");
    for entry in std::fs::read_dir(example.join("tests")).expect("reading the example's tests") {
        let path = entry.expect("tests entry").path();
        std::fs::copy(&path, tests.join(path.file_name().expect("file name")))
            .expect("copying a test file");
    }
    dir.run(&["init", "-no-color"]).success();
    dir
}

#[test]
fn the_testing_modules_example_passes_terraform_test() {
    let dir = testing_modules_example();
    let test = dir.run(&["test", "-no-color"]).success();
    assert!(
        test.stdout.contains("Success! 5 passed, 0 failed."),
        "every run of the example passes:\n{test}"
    );
    for run in [
        "names_the_namespace_after_the_app",
        "hands_out_the_api_url",
        "follows_the_endpoint_the_provider_reports",
        "plans_the_api_url",
        "applies_the_same_values",
    ] {
        assert!(
            test.stdout.contains(&format!("run \"{run}\"... pass")),
            "{run}:\n{test}"
        );
    }
}

/// Each pitfall the guide describes fails as it says, with the message it quotes.
#[test]
fn the_testing_guides_pitfalls_fail_as_it_says() {
    let dir = testing_modules_example();
    // Only the pitfalls run: the example's own files are the other test's.
    for name in ["mesh.tftest.hcl", "plan_only.tftest.hcl"] {
        std::fs::remove_file(dir.path().join("tests").join(name)).expect("removing a test file");
    }
    let variables = r#"
variables {
  app     = "shop"
  cluster = "prod"
  vpc_id  = "vpc-0abc1234def567890"
  servers = { api = "api-8080-tcp" }
}
"#;
    let pitfalls = [
        (
            "validation_runs",
            "mock_provider \"servicemesh\" {}\n",
            "run \"plan\" {\n  command = plan\n  variables {\n    vpc_id = \"not-a-vpc\"\n  }\n}\n",
            "vpc_id is \"not-a-vpc\": it does not start with \"vpc-\"",
        ),
        (
            "no_default",
            "mock_provider \"servicemesh\" {}\n",
            "run \"apply\" {}\n",
            "servicemesh_internal.this.endpoints is empty map of string",
        ),
        (
            "unknown_in_plan",
            "mock_provider \"servicemesh\" {\n  mock_resource \"servicemesh_internal\" {\n    defaults = { endpoints = { api = \"api.internal.shop:8080\" } }\n  }\n}\n",
            "run \"plan\" {\n  command = plan\n  assert {\n    condition     = output.api_url == \"http://api.internal.shop:8080\"\n    error_message = \"api_url\"\n  }\n}\n",
            "Unknown condition value",
        ),
        (
            "override_during_plan_then_apply",
            "mock_provider \"servicemesh\" {\n  override_during = plan\n  mock_resource \"servicemesh_internal\" {\n    defaults = { endpoints = { api = \"api.internal.shop:8080\" } }\n  }\n}\n",
            "run \"plan\" {\n  command = plan\n}\n\nrun \"apply\" {}\n",
            "Provider produced inconsistent final plan",
        ),
        (
            "override_after_apply",
            "mock_provider \"servicemesh\" {\n  mock_resource \"servicemesh_internal\" {\n    defaults = { endpoints = { api = \"api.internal.shop:8080\" } }\n  }\n}\n",
            "run \"apply\" {}\n\nrun \"override\" {\n  override_resource {\n    target = servicemesh_internal.this\n    values = { endpoints = { api = \"api.internal.shop:9090\" } }\n  }\n  assert {\n    condition     = output.api_url == \"http://api.internal.shop:9090\"\n    error_message = \"api_url is ${output.api_url}\"\n  }\n}\n",
            "api_url is http://api.internal.shop:8080",
        ),
    ];
    for (name, mock, runs, expected) in pitfalls {
        let file = format!("tests/{name}.tftest.hcl");
        dir.write(&file, &format!("{mock}{variables}\n{runs}"));
        let test = dir.run(&["test", "-no-color", &format!("-filter={file}")]);
        assert_ne!(test.code, 0, "{name} must fail:\n{test}");
        assert!(
            test.flat_output().contains(expected),
            "{name} fails with {expected:?}:\n{test}"
        );
    }
}

/// The guide shows the example's files as they are.
#[test]
fn the_testing_guide_shows_the_example_as_it_is() {
    let guide = read("docs/guides/testing-modules.md");
    for file in [
        "main.tf",
        "tests/mesh.tftest.hcl",
        "tests/plan_only.tftest.hcl",
    ] {
        let text = read(&format!("examples/testing-modules/{file}"));
        assert!(
            guide.contains(&format!("\n{}\n```", text.trim_end())),
            "docs/guides/testing-modules.md must show examples/testing-modules/{file} verbatim"
        );
    }
    assert!(
        read("docs/index.md").contains("(guides/testing-modules.md)"),
        "docs/index.md links the guide"
    );
}

// ---- claims of the README and docs that no other suite shows ----------------------

/// README, "Keeps what it does not manage": TLS, access logs and test-traffic rules set
/// elsewhere are read back and sent again, never wiped (the log configuration is
/// lifecycle::settings_made_elsewhere_survive_an_update's).
#[tokio::test(flavor = "multi_thread")]
async fn tls_access_logs_and_test_traffic_rules_set_elsewhere_survive_an_update() {
    use aws_sdk_ecs::types::{
        ServiceConnectAccessLogConfiguration, ServiceConnectAccessLoggingFormat,
        ServiceConnectConfiguration, ServiceConnectTestTrafficHeaderMatchRules,
        ServiceConnectTestTrafficHeaderRules, ServiceConnectTestTrafficRules,
        ServiceConnectTlsCertificateAuthority, ServiceConnectTlsConfiguration,
    };
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    let mesh = |idle: u32| {
        world
            .mesh(&SERVERS[..2])
            .server_with(
                "backend",
                "backend-8080-tcp",
                &format!("idle_timeout_seconds = {idle}"),
            )
            .with("redeploy_clients = false")
    };
    dir.write("main.tf", &Config::new().mesh(mesh(60)).to_string());
    dir.run(&apply()).success();

    // Someone adds TLS, access logs and a test-traffic rule to backend, keeping the rest.
    let current = world::primary_service_connect(&emulator, "backend")
        .await
        .expect("wired");
    let entry = current.services()[0].clone();
    let alias = entry.client_aliases()[0].clone();
    let rules = ServiceConnectTestTrafficRules::builder()
        .header(
            ServiceConnectTestTrafficHeaderRules::builder()
                .name("x-canary")
                .value(
                    ServiceConnectTestTrafficHeaderMatchRules::builder()
                        .exact("true")
                        .build()
                        .expect("match rule"),
                )
                .build()
                .expect("header rule"),
        )
        .build();
    let tls = ServiceConnectTlsConfiguration::builder()
        .issuer_certificate_authority(
            ServiceConnectTlsCertificateAuthority::builder()
                .aws_pca_authority_arn(
                    "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/mesh",
                )
                .build(),
        )
        .role_arn("arn:aws:iam::123456789012:role/service-connect-tls")
        .build();
    let entry = aws_sdk_ecs::types::ServiceConnectService::builder()
        .port_name(entry.port_name())
        .set_discovery_name(entry.discovery_name().map(str::to_string))
        .set_timeout(entry.timeout().cloned())
        .client_aliases(
            aws_sdk_ecs::types::ServiceConnectClientAlias::builder()
                .port(alias.port())
                .set_dns_name(alias.dns_name().map(str::to_string))
                .test_traffic_rules(rules)
                .build()
                .expect("alias"),
        )
        .tls(tls)
        .build()
        .expect("entry");
    let elsewhere = ServiceConnectConfiguration::builder()
        .enabled(true)
        .set_namespace(current.namespace().map(str::to_string))
        .services(entry)
        .access_log_configuration(
            ServiceConnectAccessLogConfiguration::builder()
                .format(ServiceConnectAccessLoggingFormat::Json)
                .build()
                .expect("access logs"),
        )
        .build();
    world::set_service_connect(&emulator, "backend", elsewhere.clone()).await;
    dir.assert_no_changes();

    dir.write("main.tf", &Config::new().mesh(mesh(120)).to_string());
    emulator.reset_counters().await;
    dir.run(&apply()).success();
    assert_eq!(
        emulator.counters().await.calls("ecs:UpdateService"),
        1,
        "backend only"
    );
    let after = world::primary_service_connect(&emulator, "backend")
        .await
        .expect("wired");
    let kept = &after.services()[0];
    assert_eq!(
        kept.timeout().and_then(|t| t.idle_timeout_seconds()),
        Some(120),
        "the change is made"
    );
    assert_eq!(kept.tls(), elsewhere.services()[0].tls(), "TLS kept");
    assert_eq!(
        kept.client_aliases()[0].test_traffic_rules(),
        elsewhere.services()[0].client_aliases()[0].test_traffic_rules(),
        "test-traffic rules kept"
    );
    assert_eq!(
        after.access_log_configuration(),
        elsewhere.access_log_configuration(),
        "access logs kept"
    );
    dir.assert_no_changes();
}

/// README, "A plain re-apply, or `terraform untaint` first": `terraform apply -replace`
/// still rebuilds the whole mesh (a new namespace, every service wired again).
#[tokio::test(flavor = "multi_thread")]
async fn apply_replace_rebuilds_the_whole_mesh() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    let mesh = world.mesh(&SERVERS[..2]).with("redeploy_clients = false");
    dir.write("main.tf", &Config::new().mesh(mesh).to_string());
    dir.run(&apply()).success();
    let before = state_value(&dir, "id");

    emulator.reset_counters().await;
    let replace = dir
        .run(&[
            "apply",
            "-auto-approve",
            "-no-color",
            "-replace=servicemesh_internal.mesh",
        ])
        .success();
    assert!(
        replace
            .flat_output()
            .contains("1 added, 0 changed, 1 destroyed"),
        "{replace}"
    );
    let counters = emulator.counters().await;
    assert_eq!(counters.calls("servicediscovery:DeleteNamespace"), 1);
    assert_eq!(
        counters.calls("servicediscovery:CreatePrivateDnsNamespace"),
        1
    );
    assert_eq!(
        counters.calls("ecs:UpdateService"),
        6,
        "backend, orders and frontend turned off, then on again: {counters:?}"
    );
    assert_ne!(state_value(&dir, "id"), before, "another namespace");
    dir.assert_no_changes();
}

/// README, "Refreshes cheaply" and docs/PERFORMANCE.md: the refresh's reads are issued
/// concurrently. Each of them is made to take 3 s: one after another, the refresh of 12
/// services would take 12 s longer (GetNamespace, ListTagsForResource and two
/// DescribeServices); at once, 3 s.
#[tokio::test(flavor = "multi_thread")]
async fn the_refresh_reads_concurrently() {
    const LATENCY_MS: u64 = 3000;
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let ecs = emulator.ecs();
    let mut mesh = Mesh::owned(CLUSTER, &world.vpc_id).with(r#"tags = { team = "platform" }"#);
    for i in 0..12 {
        let name = format!("svc{i:02}");
        let port_name = format!("{name}-80-tcp");
        world::create_service(&ecs, &name, &port_name, 80).await;
        mesh = mesh.server(&name, &port_name);
    }
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &Config::new().mesh(mesh).to_string());
    dir.run(&apply()).success();

    let quick = dir.run(&["plan", "-no-color"]).success().elapsed;
    for operation in [
        "servicediscovery:GetNamespace",
        "servicediscovery:ListTagsForResource",
        "ecs:DescribeServices",
    ] {
        emulator.set_latency(operation, LATENCY_MS).await;
    }
    emulator.reset_counters().await;
    let slow = dir.run(&["plan", "-no-color"]).success().elapsed;
    emulator.clear_latency().await;
    let counters = emulator.counters().await;
    assert_eq!(counters.calls("ecs:DescribeServices"), 2, "{counters:?}");
    let added = slow.saturating_sub(quick);
    // One after another: 4 × 3 s; at once: 3 s. The line between, with room for a busy
    // machine: 2.5 × 3 s.
    assert!(
        added.as_millis() < u128::from(LATENCY_MS) * 5 / 2,
        "the refresh took {added:?} longer with {LATENCY_MS} ms per read: not concurrent"
    );
    assert!(
        slow.as_millis() >= u128::from(LATENCY_MS),
        "the latency applied ({slow:?})"
    );
}

/// docs/PERFORMANCE.md: how many times Terraform starts the provider for one command,
/// counted by a wrapper that logs each start and runs the provider.
#[tokio::test(flavor = "multi_thread")]
async fn terraform_starts_the_provider_this_many_times_per_command() {
    use std::os::unix::fs::PermissionsExt;
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let mut dir = world::workdir(&emulator);
    let wrapper = tempfile::tempdir().expect("a temp dir");
    let log = wrapper.path().join("starts.log");
    let script = wrapper.path().join("terraform-provider-servicemesh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho start >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            crate::support::terraform::provider_binary().display()
        ),
    )
    .expect("writing the wrapper");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
        .expect("making the wrapper executable");
    let cli_config = wrapper.path().join("terraform.rc");
    std::fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  dev_overrides {{\n    \"servicemesh/servicemesh\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            wrapper.path().display()
        ),
    )
    .expect("writing the CLI config");
    dir.set_env("TF_CLI_CONFIG_FILE", cli_config.display().to_string());
    dir.write(
        "main.tf",
        &Config::new().mesh(world.mesh(&SERVERS[..2])).to_string(),
    );
    let starts = |args: &[&str]| {
        let _ = std::fs::remove_file(&log);
        dir.run(args).success();
        std::fs::read_to_string(&log).map_or(0, |text| text.lines().count())
    };
    let apply = starts(&apply());
    let plan = starts(&["plan", "-no-color"]);
    let destroy = starts(&["destroy", "-auto-approve", "-no-color"]);
    eprintln!("provider starts: plan {plan}, apply {apply}, destroy {destroy}");
    assert_eq!(
        (plan, apply, destroy),
        (3, 4, 5),
        "docs/PERFORMANCE.md says how often Terraform 1.15 starts the provider"
    );
}

/// docs/resources/internal.md, "Import": an import by id owns the namespace when this
/// provider made it for the same cluster (a mesh whose state was lost).
#[tokio::test(flavor = "multi_thread")]
async fn an_import_by_id_owns_a_namespace_this_provider_made_for_the_cluster() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    let mesh = world.mesh(&SERVERS[..2]);
    dir.write("main.tf", &Config::new().mesh(mesh).to_string());
    dir.run(&apply()).success();
    let namespace_id = state_value(&dir, "id");
    dir.run(&["state", "rm", "-no-color", "servicemesh_internal.mesh"])
        .success();

    dir.run(&[
        "import",
        "-no-color",
        "servicemesh_internal.mesh",
        &format!("{CLUSTER}/{namespace_id}"),
    ])
    .success();
    let owned = &dir.resource_values()["namespace_owned"];
    assert_eq!(owned, true, "made by this provider for prod: owned");
    dir.assert_no_changes();
}

/// docs/resources/internal.md, "Import": until an apply sees the configuration, a
/// destroy follows the import (by name: owned, so the namespace is deleted even though
/// the configuration names it by `namespace_id`).
#[tokio::test(flavor = "multi_thread")]
async fn a_destroy_before_the_first_apply_follows_the_import() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let namespace_id = world::console_built_mesh(&emulator, &world, &SERVERS[..2]).await;
    let dir = world::workdir(&emulator);
    let mesh = Mesh::on_namespace_id(CLUSTER, &namespace_id)
        .servers(&SERVERS[..2])
        .client(world::CLIENT.0);
    dir.write("main.tf", &Config::new().mesh(mesh).to_string());
    dir.run(&[
        "import",
        "-no-color",
        "servicemesh_internal.mesh",
        &format!("{CLUSTER}/{NAMESPACE}"),
    ])
    .success();
    let plan = dir.assert_changes();
    assert!(
        plan.stdout.contains("namespace_owned"),
        "the plan would give ownership back:\n{plan}"
    );
    dir.run(&["destroy", "-auto-approve", "-no-color"])
        .success();
    assert!(
        !world::namespaces(&emulator).await.contains_key(NAMESPACE),
        "the import by name owned the namespace, and no apply changed that"
    );
}

/// Every test the README and the docs name (`file::test` for acceptance-tests/file.rs,
/// `module::tests::test` for a unit test in src/) exists.
#[test]
fn every_test_the_docs_name_exists() {
    let mut files = vec![repo_root().join("README.md")];
    let mut dirs = vec![
        repo_root().join("docs"),
        repo_root().join("tools/docs/templates"),
    ];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("reading a docs dir") {
            let path = entry.expect("docs entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md" || e == "tmpl") {
                files.push(path);
            }
        }
    }
    let mut named = 0;
    let mut missing = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("reading a docs file");
        for reference in text.split('`').skip(1).step_by(2) {
            let segments: Vec<&str> = reference.split("::").collect();
            let is_path = segments.len() >= 2
                && segments.iter().all(|segment| {
                    !segment.is_empty()
                        && segment
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                });
            if !is_path {
                continue;
            }
            let (name, modules) = segments.split_last().expect("two segments or more");
            let modules: Vec<&str> = modules.iter().copied().filter(|m| *m != "tests").collect();
            let acceptance = repo_root().join(format!("acceptance-tests/{}.rs", modules[0]));
            let candidates = if modules.len() == 1 && acceptance.exists() {
                vec![acceptance]
            } else {
                let module = modules.join("/");
                ["{}.rs", "{}/mod.rs", "{}/tests.rs"]
                    .iter()
                    .map(|form| repo_root().join("src").join(form.replace("{}", &module)))
                    .collect()
            };
            let found = candidates.iter().any(|path| {
                std::fs::read_to_string(path)
                    .is_ok_and(|source| source.contains(&format!("fn {name}(")))
            });
            named += 1;
            if !found {
                missing.push(format!("{}: `{reference}`", file.display()));
            }
        }
    }
    assert!(
        named >= 50,
        "the README and docs name their tests ({named} found)"
    );
    assert!(
        missing.is_empty(),
        "the docs name tests that do not exist:\n{}",
        missing.join("\n")
    );
}
