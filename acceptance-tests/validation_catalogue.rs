//! Issue 8's catalogue: invalid configurations through real Terraform against the local
//! AWS. Each case must fail with its own diagnostic (summary, a distinctive part of the
//! detail, and the line of main.tf Terraform points at) and must not have made a single
//! mutating AWS call. Config-only rules are checked with `terraform validate` (some also
//! with `terraform plan`, which validates first); the plan-time checks against AWS
//! (services exist, port aliases are in task definitions, the namespace name is free)
//! with `terraform plan`.
//!
//! Also: values not known until apply do not fail the plan, and a port left out is
//! filled from the task definition in the plan.

use crate::support::emulator::{Counters, Emulator};
use crate::support::hcl::Config;
use crate::support::terraform::{Outcome, Workdir};
use crate::support::world::{self, CLUSTER, World, seed};

const NAMESPACE: &str = "internal.myapp";
/// The resource block's first line: where Terraform points when the attribute at fault
/// is absent from the configuration (a missing `vpc_id`, say).
const RESOURCE_LINE: &str = "resource \"servicemesh_internal\" \"mesh\" {";

/// Every AWS operation that changes something, as the emulator counts them.
const MUTATING: &[&str] = &[
    "ecs:UpdateService",
    "ecs:CreateService",
    "ecs:DeleteService",
    "ecs:TagResource",
    "ecs:UntagResource",
    "servicediscovery:CreatePrivateDnsNamespace",
    "servicediscovery:UpdatePrivateDnsNamespace",
    "servicediscovery:DeleteNamespace",
    "servicediscovery:DeleteService",
    "servicediscovery:TagResource",
    "servicediscovery:UntagResource",
];

/// Verbs of AWS operations that change something: a mutating call missing from
/// [`MUTATING`] is caught too.
const MUTATING_VERBS: &[&str] = &[
    "Create",
    "Update",
    "Delete",
    "Tag",
    "Untag",
    "Register",
    "Deregister",
    "Put",
    "Change",
    "Associate",
    "Disassociate",
];

// ---------------------------------------------------------------------------------------
// Configurations
// ---------------------------------------------------------------------------------------

/// main.tf: the provider (unconfigured: credentials and endpoint come from the
/// environment) and one `servicemesh_internal` with `body` inside.
fn config(body: &str) -> String {
    format!("{}\n{RESOURCE_LINE}\n{body}}}\n", Config::new())
}

/// `  name = "value"` lines.
fn attrs(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| format!("  {name} = \"{value}\"\n"))
        .collect()
}

/// cluster, namespace and vpc_id of a namespace this resource creates.
fn owned(world: &World) -> String {
    attrs(&[
        ("cluster", CLUSTER),
        ("namespace", NAMESPACE),
        ("vpc_id", &world.vpc_id),
    ])
}

/// A `services` map with one entry a line.
fn services(entries: &[&str]) -> String {
    let lines: String = entries.iter().map(|e| format!("    {e}\n")).collect();
    format!("  services = {{\n{lines}  }}\n")
}

/// A `timeouts` attribute with one entry.
fn timeouts(name: &str, value: &str) -> String {
    format!("  timeouts = {{\n    {name} = \"{value}\"\n  }}\n")
}

const BACKEND: &str = r#"backend = { port_name = "backend-8080-tcp" }"#;

/// The 1-based number of the one line of `text` that contains `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    let found: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| line.contains(needle))
        .map(|(index, _)| index + 1)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{needle:?} must be on exactly one line of the configuration:\n{text}"
    );
    found[0]
}

// ---------------------------------------------------------------------------------------
// What Terraform printed
// ---------------------------------------------------------------------------------------

/// One diagnostic as Terraform prints it with -no-color.
#[derive(Debug)]
struct Printed {
    severity: &'static str,
    summary: String,
    /// From `on main.tf line N, in …`.
    line: Option<usize>,
    /// The text after the source snippet, with whitespace runs as single spaces
    /// (Terraform wraps at 78 columns).
    detail: String,
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn heading(line: &str) -> Option<(&'static str, &str)> {
    if let Some(summary) = line.strip_prefix("Error: ") {
        Some(("Error", summary))
    } else {
        line.strip_prefix("Warning: ")
            .map(|summary| ("Warning", summary))
    }
}

/// The diagnostics of one output stream.
fn parse_diagnostics(stream: &str) -> Vec<Printed> {
    let lines: Vec<&str> = stream.lines().collect();
    let mut printed = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some((severity, summary)) = heading(lines[i]) else {
            i += 1;
            continue;
        };
        let mut end = i + 1;
        while end < lines.len() && heading(lines[end]).is_none() {
            end += 1;
        }
        let block = &lines[i + 1..end];
        let mut line = None;
        let mut detail_from = 0;
        if let Some(at) = block
            .iter()
            .position(|l| l.trim_start().starts_with("on main.tf line "))
        {
            line = block[at]
                .trim_start()
                .trim_start_matches("on main.tf line ")
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok());
            // The source snippet runs to the next blank line.
            detail_from = at + 1;
            while detail_from < block.len() && !block[detail_from].trim().is_empty() {
                detail_from += 1;
            }
        }
        printed.push(Printed {
            severity,
            summary: summary.trim().to_string(),
            line,
            detail: squash(&block[detail_from..].join("\n")),
        });
        i = end;
    }
    printed
}

fn diagnostics(outcome: &Outcome) -> Vec<Printed> {
    let mut all = parse_diagnostics(&outcome.stdout);
    all.extend(parse_diagnostics(&outcome.stderr));
    all
}

/// The mutating calls among the counters (by name and by verb).
fn mutating_calls(counters: &Counters) -> Vec<String> {
    let mut found: Vec<String> = counters
        .calls
        .iter()
        .filter(|(operation, count)| {
            let verb = operation.split_once(':').map_or("", |(_, verb)| verb);
            **count > 0
                && (MUTATING.contains(&operation.as_str())
                    || MUTATING_VERBS.iter().any(|v| verb.starts_with(v)))
        })
        .map(|(operation, count)| format!("{operation} ×{count}"))
        .collect();
    found.sort();
    found
}

// ---------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Run {
    /// A config-only rule: `terraform validate`.
    Validate,
    /// A config-only rule, also through `terraform plan`.
    ValidateAndPlan,
    /// A plan-time check against AWS: `terraform plan`.
    Plan,
    /// A plan-time finding that may become true during the apply (an object another
    /// resource creates): `terraform plan` succeeds with exactly this warning.
    PlanWarns,
}

struct Case {
    name: &'static str,
    run: Run,
    body: String,
    summary: &'static str,
    /// Distinctive parts of the detail, each of which it must contain.
    details: Vec<String>,
    /// Text on the line Terraform must point at.
    at: String,
}

impl Case {
    fn new(
        name: &'static str,
        run: Run,
        body: impl Into<String>,
        summary: &'static str,
        detail: impl Into<String>,
        at: impl Into<String>,
    ) -> Self {
        Case {
            name,
            run,
            body: body.into(),
            summary,
            details: vec![detail.into()],
            at: at.into(),
        }
    }

    /// Another part the detail must contain.
    fn and_detail(mut self, detail: impl Into<String>) -> Self {
        self.details.push(detail.into());
        self
    }
}

fn validate(
    name: &'static str,
    body: impl Into<String>,
    summary: &'static str,
    detail: impl Into<String>,
    at: impl Into<String>,
) -> Case {
    Case::new(name, Run::Validate, body, summary, detail, at)
}

/// Runs one case; every command of it fails with exactly its diagnostic and changes
/// nothing in AWS.
async fn run_case(emulator: &Emulator, dir: &Workdir, case: &Case) -> Result<(), String> {
    let text = config(&case.body);
    let expected_line = line_of(&text, &case.at);
    dir.write("main.tf", &text);
    let commands: &[&str] = match case.run {
        Run::Validate => &["validate"],
        Run::ValidateAndPlan => &["validate", "plan"],
        Run::Plan | Run::PlanWarns => &["plan"],
    };
    let (expected_code, severity) = match case.run {
        Run::PlanWarns => (0, "Warning"),
        _ => (1, "Error"),
    };
    let mut problems = Vec::new();
    for command in commands {
        emulator.reset_counters().await;
        let outcome = dir.run(&[command, "-no-color"]);
        let counters = emulator.counters().await;
        let mut wrong = Vec::new();
        if outcome.code != expected_code {
            wrong.push(format!(
                "exit code {} instead of {expected_code}",
                outcome.code
            ));
        }
        let printed = diagnostics(&outcome);
        let errors: Vec<&Printed> = printed
            .iter()
            .filter(|d| d.severity == severity)
            .filter(|d| d.summary != "Provider development overrides are in effect")
            .collect();
        if severity == "Warning" && printed.iter().any(|d| d.severity == "Error") {
            wrong.push("an error where only a warning belongs".to_string());
        }
        match errors.as_slice() {
            [error] => {
                if error.summary != case.summary {
                    wrong.push(format!(
                        "summary {:?} instead of {:?}",
                        error.summary, case.summary
                    ));
                }
                for detail in &case.details {
                    if !error.detail.contains(&squash(detail)) {
                        wrong.push(format!("detail {:?} lacks {detail:?}", error.detail));
                    }
                }
                if error.line != Some(expected_line) {
                    wrong.push(format!(
                        "points at line {:?} instead of line {expected_line} ({:?})",
                        error.line,
                        text.lines().nth(expected_line - 1).unwrap_or_default()
                    ));
                }
            }
            _ => wrong.push(format!(
                "{} {severity}s instead of one: {:?}",
                errors.len(),
                errors.iter().map(|e| &e.summary).collect::<Vec<_>>()
            )),
        }
        let mutating = mutating_calls(&counters);
        if !mutating.is_empty() {
            wrong.push(format!("mutating AWS calls: {mutating:?}"));
        }
        // A configuration that breaks a config-only rule never gets as far as AWS.
        let reads_aws = matches!(case.run, Run::Plan | Run::PlanWarns);
        if !reads_aws && !counters.calls.is_empty() {
            wrong.push(format!(
                "AWS calls for a config-only rule: {:?}",
                counters.calls
            ));
        }
        if !wrong.is_empty() {
            problems.push(format!(
                "terraform {command}: {}\n{outcome}",
                wrong.join("; ")
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "case {:?}:\n{}\n--- main.tf ---\n{text}",
            case.name,
            problems.join("\n")
        ))
    }
}

/// The rules of docs/validation.md that configuration can break.
fn config_cases(world: &World) -> Vec<Case> {
    let vpc = world.vpc_id.as_str();
    let with_backend = |head: String| format!("{head}{}", services(&[BACKEND]));
    let backend_entry = |attributes: &str| {
        format!("backend = {{ port_name = \"backend-8080-tcp\", {attributes} }}")
    };
    let one_backend = |attributes: &str| {
        let entry = backend_entry(attributes);
        (format!("{}{}", owned(world), services(&[&entry])), entry)
    };
    let long_tag_key = "k".repeat(129);
    let many_tags: String = (1..=51).map(|i| format!("    t{i} = \"v\"\n")).collect();
    let long_discovery = "b".repeat(65);
    let max_discovery = "b".repeat(64);
    let single_label_namespace = "n".repeat(63);
    // 128 characters, in labels of at most 63.
    let long_dns = format!("{}.{}.internal", "a".repeat(59), "b".repeat(59));
    assert_eq!(long_dns.len(), 128);
    let long_label = format!("{}.internal.myapp", "c".repeat(64));
    let service_arn =
        "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-abcdefghijklmnop";

    let mut cases = vec![
        // --- required values set to null ---------------------------------------------------
        Case::new(
            "cluster set to null",
            Run::ValidateAndPlan,
            format!(
                "  cluster = null\n{}{}",
                attrs(&[("namespace", NAMESPACE), ("vpc_id", vpc)]),
                services(&[BACKEND])
            ),
            "Missing required value",
            "cluster is null. Set it to the name or ARN of the ECS cluster",
            "cluster = null",
        ),
        Case::new(
            "services entry set to null",
            Run::ValidateAndPlan,
            format!("{}{}", owned(world), services(&["backend = null"])),
            "Missing required value",
            "services[\"backend\"] is null. Give it at least a port_name",
            "backend = null",
        ),
        Case::new(
            "port_name set to null",
            Run::ValidateAndPlan,
            format!(
                "{}{}",
                owned(world),
                services(&["backend = { port_name = null }"])
            ),
            "Missing required value",
            "services[\"backend\"].port_name is null. Set it to the name of the port mapping",
            "backend = {",
        ),
        Case::new(
            "tag value set to null",
            Run::ValidateAndPlan,
            format!(
                "{}  tags = {{ team = null }}\n{}",
                owned(world),
                services(&[BACKEND])
            ),
            "Missing required value",
            "tags[\"team\"] is null. Give the tag a value",
            "team = null",
        ),
        Case::new(
            "client_services element set to null",
            Run::ValidateAndPlan,
            format!(
                "{}{}  client_services = [\"frontend\", null]\n",
                owned(world),
                services(&[BACKEND])
            ),
            "Missing required value",
            "client_services contains null. List ECS service names only.",
            "client_services = [",
        ),
        // --- cluster -------------------------------------------------------------------
        Case::new(
            "cluster name with a space",
            Run::ValidateAndPlan,
            with_backend(attrs(&[
                ("cluster", "prod cluster"),
                ("namespace", NAMESPACE),
                ("vpc_id", vpc),
            ])),
            "Invalid ECS cluster",
            "cluster is \"prod cluster\": it contains ' ', which is not allowed. Use the \
             cluster's name",
            "\"prod cluster\"",
        ),
        validate(
            "cluster ARN of a service",
            with_backend(attrs(&[
                (
                    "cluster",
                    "arn:aws:ecs:us-east-1:123456789012:service/prod/backend",
                ),
                ("namespace", NAMESPACE),
                ("vpc_id", vpc),
            ])),
            "Invalid ECS cluster",
            "its resource \"service/prod/backend\" is not \"cluster/NAME\"",
            "service/prod/backend",
        ),
        // --- namespace name ------------------------------------------------------------
        Case::new(
            "namespace name with uppercase letters",
            Run::ValidateAndPlan,
            with_backend(attrs(&[
                ("cluster", CLUSTER),
                ("namespace", "Internal.MyApp"),
                ("vpc_id", vpc),
            ])),
            "Invalid namespace name",
            "namespace is \"Internal.MyApp\": it contains the uppercase letter 'I'",
            "Internal.MyApp",
        ),
        validate(
            "namespace label of 64 characters",
            with_backend(attrs(&[
                ("cluster", CLUSTER),
                ("namespace", &format!("{}.myapp", "n".repeat(64))),
                ("vpc_id", vpc),
            ])),
            "Invalid namespace name",
            "is 64 characters long, over the DNS limit of 63",
            "namespace =",
        ),
        validate(
            "namespace label ending in a hyphen",
            with_backend(attrs(&[
                ("cluster", CLUSTER),
                ("namespace", "internal-.myapp"),
                ("vpc_id", vpc),
            ])),
            "Invalid namespace name",
            "its label \"internal-\" starts or ends with a hyphen",
            "internal-.myapp",
        ),
        validate(
            "namespace name with a trailing dot",
            with_backend(attrs(&[
                ("cluster", CLUSTER),
                ("namespace", "internal.myapp."),
                ("vpc_id", vpc),
            ])),
            "Invalid namespace name",
            "it ends with a dot; leave the trailing dot out",
            "internal.myapp.",
        ),
        // --- vpc_id --------------------------------------------------------------------
        validate(
            "vpc id too short",
            with_backend(attrs(&[
                ("cluster", CLUSTER),
                ("namespace", NAMESPACE),
                ("vpc_id", "vpc-0abc123"),
            ])),
            "Invalid VPC id",
            "vpc_id is \"vpc-0abc123\": it has 7 characters after \"vpc-\" instead of 8 or 17",
            "vpc-0abc123",
        ),
        validate(
            "subnet id as vpc id",
            with_backend(attrs(&[
                ("cluster", CLUSTER),
                ("namespace", NAMESPACE),
                ("vpc_id", "subnet-0abc1234"),
            ])),
            "Invalid VPC id",
            "it does not start with \"vpc-\"",
            "subnet-0abc1234",
        ),
        validate(
            "vpc id in uppercase",
            with_backend(attrs(&[
                ("cluster", CLUSTER),
                ("namespace", NAMESPACE),
                ("vpc_id", "vpc-0ABC1234"),
            ])),
            "Invalid VPC id",
            "it contains 'A', which is not a lowercase hexadecimal digit",
            "vpc-0ABC1234",
        ),
        // --- namespace_id --------------------------------------------------------------
        validate(
            "namespace name as namespace id",
            with_backend(attrs(&[("cluster", CLUSTER), ("namespace_id", NAMESPACE)])),
            "Invalid namespace id",
            "namespace_id is \"internal.myapp\": it is not \"ns-\" followed by 16 lowercase \
             letters or digits",
            "namespace_id =",
        ),
        validate(
            "Cloud Map service ARN as namespace id",
            with_backend(attrs(&[
                ("cluster", CLUSTER),
                ("namespace_id", service_arn),
            ])),
            "Invalid namespace id",
            "it is an ARN, but not of a Cloud Map namespace",
            "namespace_id =",
        ),
        // --- which namespace -----------------------------------------------------------
        Case::new(
            "namespace and namespace id together",
            Run::ValidateAndPlan,
            with_backend(attrs(&[
                ("cluster", CLUSTER),
                ("namespace", NAMESPACE),
                ("vpc_id", vpc),
                ("namespace_id", "ns-abcdefghijklmnop"),
            ])),
            "Conflicting namespace settings",
            "namespace_id is set together with namespace and vpc_id. namespace_id wires \
             services onto an existing namespace",
            "namespace_id =",
        ),
        validate(
            "vpc id with a namespace id",
            with_backend(attrs(&[
                ("cluster", CLUSTER),
                ("vpc_id", vpc),
                ("namespace_id", "ns-abcdefghijklmnop"),
            ])),
            "Conflicting namespace settings",
            "namespace_id is set together with vpc_id.",
            "namespace_id =",
        ),
        validate(
            "no namespace at all",
            with_backend(attrs(&[("cluster", CLUSTER)])),
            "No namespace",
            "Neither namespace nor namespace_id is set.",
            RESOURCE_LINE,
        ),
        Case::new(
            "namespace without vpc id",
            Run::ValidateAndPlan,
            with_backend(attrs(&[("cluster", CLUSTER), ("namespace", NAMESPACE)])),
            "Missing vpc_id",
            "namespace is \"internal.myapp\" but vpc_id is not set. A private DNS namespace \
             belongs to a VPC",
            RESOURCE_LINE,
        ),
        // --- description and tags ------------------------------------------------------
        validate(
            "tags on an existing namespace",
            with_backend(format!(
                "{}  tags = {{\n    team = \"core\"\n  }}\n",
                attrs(&[
                    ("cluster", CLUSTER),
                    ("namespace_id", "ns-abcdefghijklmnop")
                ])
            )),
            "Setting for owned namespaces only",
            "tags is set, but namespace_id names an existing namespace, which this resource never changes.",
            "tags = {",
        ),
        validate(
            "description of 1025 characters",
            with_backend(format!(
                "{}{}",
                owned(world),
                attrs(&[("description", &"d".repeat(1025))])
            )),
            "Description too long",
            "description is 1025 characters long, over the Cloud Map limit of 1024. Shorten it.",
            "description =",
        ),
        validate(
            "51 tags",
            with_backend(format!("{}  tags = {{\n{many_tags}  }}\n", owned(world))),
            "Too many tags",
            "tags has 51 entries, over the Cloud Map limit of 50 per resource. Remove 1 of them.",
            "tags = {",
        ),
        validate(
            "empty tag key",
            with_backend(format!(
                "{}  tags = {{\n    team = \"core\"\n    \"\" = \"empty\"\n  }}\n",
                owned(world)
            )),
            "Invalid tag key length",
            "The tag key \"\" is not valid: it is empty.",
            "\"\" = \"empty\"",
        ),
        validate(
            "tag key of 129 characters",
            with_backend(format!(
                "{}  tags = {{\n    team = \"core\"\n    {long_tag_key} = \"v\"\n  }}\n",
                owned(world)
            )),
            "Invalid tag key length",
            "is not valid: it is 129 characters long, over the limit of 128",
            long_tag_key.as_str(),
        ),
        Case::new(
            "tag key with the aws: prefix",
            Run::ValidateAndPlan,
            with_backend(format!(
                "{}  tags = {{\n    team = \"core\"\n    \"AWS:team\" = \"core\"\n  }}\n",
                owned(world)
            )),
            "Reserved tag key",
            "The tag key \"AWS:team\" starts with \"aws:\", a prefix AWS reserves",
            "\"AWS:team\"",
        ),
        validate(
            "tag value of 257 characters",
            with_backend(format!(
                "{}  tags = {{\n    team = \"{}\"\n  }}\n",
                owned(world),
                "v".repeat(257)
            )),
            "Tag value too long",
            "The value of tag \"team\" is 257 characters long, over the limit of 256.",
            "team =",
        ),
        // --- service names -------------------------------------------------------------
        validate(
            "services key with a space",
            format!(
                "{}{}",
                owned(world),
                services(&[BACKEND, r#""my service" = { port_name = "my-80-tcp" }"#])
            ),
            "Invalid ECS service name",
            "The services key \"my service\" is not an ECS service name: it contains ' '",
            "\"my service\" = {",
        ),
        validate(
            "services key of 256 characters",
            format!(
                "{}{}",
                owned(world),
                services(&[
                    BACKEND,
                    &format!("{} = {{ port_name = \"s-80-tcp\" }}", "s".repeat(256))
                ])
            ),
            "Invalid ECS service name",
            "is not an ECS service name: it is 256 characters long, over the limit of 255",
            "s-80-tcp",
        ),
        validate(
            "client_services entry with a space",
            format!(
                "{}{}  client_services = [\"web frontend\"]\n",
                owned(world),
                services(&[BACKEND])
            ),
            "Invalid ECS service name",
            "The client_services entry \"web frontend\" is not an ECS service name",
            "client_services =",
        ),
        // --- port_name -----------------------------------------------------------------
        validate(
            "port name with an uppercase letter",
            format!(
                "{}{}",
                owned(world),
                services(&[r#"backend = { port_name = "Backend-8080" }"#])
            ),
            "Invalid port name",
            "services[\"backend\"].port_name is \"Backend-8080\": it contains 'B', which is \
             not allowed",
            "backend = {",
        ),
        validate(
            "empty port name",
            format!(
                "{}{}",
                owned(world),
                services(&[r#"backend = { port_name = "" }"#])
            ),
            "Invalid port name",
            "services[\"backend\"].port_name is \"\": it is empty.",
            "backend = {",
        ),
    ];

    // --- discovery_name ------------------------------------------------------------------
    let (body, at) = one_backend("discovery_name = \"-backend\"");
    cases.push(Case::new(
        "discovery name starting with a hyphen",
        Run::ValidateAndPlan,
        body,
        "Invalid discovery name",
        "services[\"backend\"].discovery_name is \"-backend\": it starts with a hyphen.",
        at,
    ));
    let (body, at) = one_backend("discovery_name = \"back.end\"");
    cases.push(validate(
        "discovery name with a dot",
        body,
        "Invalid discovery name",
        "discovery_name is \"back.end\": it contains '.', which is not allowed",
        at,
    ));
    let (body, at) = one_backend(&format!("discovery_name = \"{long_discovery}\""));
    cases.push(validate(
        "discovery name of 65 characters",
        body,
        "Invalid discovery name",
        "it is 65 characters long, over the limit of 64",
        at,
    ));
    cases.push(validate(
        "service name that is no discovery name",
        format!(
            "{}{}",
            owned(world),
            services(&[r#"Orders_API = { port_name = "orders-9090-tcp" }"#])
        ),
        "Invalid default discovery name",
        "services[\"Orders_API\"] has no discovery_name, so it defaults to the service name \
         \"Orders_API\", which is not a valid discovery name: it contains 'O', which is not \
         allowed. Set discovery_name to 1 to 64 lowercase letters, digits, underscores and \
         hyphens, such as \"orders_api\".",
        "Orders_API = {",
    ));

    // --- dns_name --------------------------------------------------------------------------
    let (body, at) = one_backend("dns_name = \"backend..internal\"");
    cases.push(validate(
        "dns name with an empty label",
        body,
        "Invalid DNS name",
        "dns_name is \"backend..internal\": it has an empty label (two dots in a row)",
        at,
    ));
    let (body, at) = one_backend("dns_name = \"-backend.internal.myapp\"");
    cases.push(validate(
        "dns name starting with a hyphen",
        body,
        "Invalid DNS name",
        "dns_name is \"-backend.internal.myapp\": it starts with a hyphen",
        at,
    ));
    let (body, at) = one_backend(&format!("dns_name = \"{long_dns}\""));
    cases.push(validate(
        "dns name of 128 characters",
        body,
        "Invalid DNS name",
        ": it is 128 characters long, over the limit of 127",
        at,
    ));
    let (body, at) = one_backend(&format!("dns_name = \"{long_label}\""));
    cases.push(validate(
        "dns name with a label of 64 characters",
        body,
        "Invalid DNS name",
        "is 64 characters long, over the DNS limit of 63",
        at,
    ));
    let entry = backend_entry(&format!("discovery_name = \"{max_discovery}\""));
    cases.push(
        validate(
            "default dns name of 128 characters",
            format!(
                "{}{}",
                attrs(&[
                    ("cluster", CLUSTER),
                    ("namespace", &single_label_namespace),
                    ("vpc_id", vpc),
                ]),
                services(&[&entry])
            ),
            "Invalid default DNS name",
            "services[\"backend\"] has no dns_name, so it defaults to",
            entry.as_str(),
        )
        .and_detail(
            "which is not a valid DNS name: it is 128 characters long, over the limit of 127. \
             Set a shorter dns_name, or shorten discovery_name or namespace.",
        ),
    );

    // --- ports and timeouts ------------------------------------------------------------------
    let (body, at) = one_backend("port = 0");
    cases.push(validate(
        "port 0",
        body,
        "Port out of range",
        "services[\"backend\"].port is 0: port 0 gives clients no port to connect to",
        at,
    ));
    let (body, at) = one_backend("port = 65536");
    cases.push(Case::new(
        "port 65536",
        Run::ValidateAndPlan,
        body,
        "Port out of range",
        "services[\"backend\"].port is 65536: it is outside 1 to 65535",
        at,
    ));
    let (body, at) = one_backend("ingress_port_override = 80");
    cases.push(validate(
        "ingress port override 80",
        body,
        "Ingress port override out of range",
        "services[\"backend\"].ingress_port_override is 80: ECS rejects ingress ports of 1024 \
         and below",
        at,
    ));
    let (body, at) = one_backend("ingress_port_override = 1024");
    cases.push(validate(
        "ingress port override 1024",
        body,
        "Ingress port override out of range",
        "ingress_port_override is 1024: ECS rejects ingress ports of 1024 and below",
        at,
    ));
    let (body, at) = one_backend("ingress_port_override = 65536");
    cases.push(validate(
        "ingress port override 65536",
        body,
        "Ingress port override out of range",
        "ingress_port_override is 65536: it is outside 1025 to 65535",
        at,
    ));
    let (body, at) = one_backend("idle_timeout_seconds = -1");
    cases.push(validate(
        "negative idle timeout",
        body,
        "Timeout out of range",
        "services[\"backend\"].idle_timeout_seconds is -1: it is negative",
        at,
    ));
    let (body, at) = one_backend("per_request_timeout_seconds = 2147483648");
    cases.push(validate(
        "per-request timeout over 2147483647 seconds",
        body,
        "Timeout out of range",
        "services[\"backend\"].per_request_timeout_seconds is 2147483648: it is over the ECS \
         limit of 2147483647",
        at,
    ));

    // --- across services ---------------------------------------------------------------------
    let orders = r#"orders = { port_name = "orders-9090-tcp", discovery_name = "api" }"#;
    cases.push(validate(
        "two services with one discovery name",
        format!(
            "{}{}",
            owned(world),
            services(&[
                r#"backend = { port_name = "backend-8080-tcp", discovery_name = "api" }"#,
                orders
            ])
        ),
        "Duplicate discovery name",
        "services[\"orders\"] and services[\"backend\"] both use the discovery name \"api\"",
        orders,
    ));
    let orders = r#"orders = { port_name = "orders-9090-tcp", discovery_name = "backend" }"#;
    cases.push(validate(
        "a discovery name that is another service's default",
        format!("{}{}", owned(world), services(&[BACKEND, orders])),
        "Duplicate discovery name",
        "services[\"orders\"] and services[\"backend\"] both use the discovery name \"backend\"",
        orders,
    ));
    let orders = r#"orders = { port_name = "orders-9090-tcp", dns_name = "api.internal.myapp", port = 8080 }"#;
    cases.push(Case::new(
        "two services with one endpoint",
        Run::ValidateAndPlan,
        format!(
            "{}{}",
            owned(world),
            services(&[
                r#"backend = { port_name = "backend-8080-tcp", dns_name = "api.internal.myapp", port = 8080 }"#,
                orders
            ])
        ),
        "Duplicate endpoint",
        "services[\"orders\"] and services[\"backend\"] both use the endpoint \
         api.internal.myapp:8080, but each DNS name and port must be unique in the namespace",
        orders,
    ));
    let orders = r#"orders = { port_name = "orders-9090-tcp", dns_name = "backend.internal.myapp", port = 8080 }"#;
    cases.push(validate(
        "an endpoint that is another service's default",
        format!(
            "{}{}",
            owned(world),
            services(&[
                r#"backend = { port_name = "backend-8080-tcp", port = 8080 }"#,
                orders
            ])
        ),
        "Duplicate endpoint",
        "both use the endpoint backend.internal.myapp:8080",
        orders,
    ));
    cases.push(Case::new(
        "a server also listed as a client",
        Run::ValidateAndPlan,
        format!(
            "{}{}  client_services = [\"frontend\", \"backend\"]\n",
            owned(world),
            services(&[BACKEND])
        ),
        "Service listed twice",
        "\"backend\" is in both services and client_services. A service in services already \
         calls the others",
        "client_services =",
    ));
    cases.push(validate(
        "only clients in a new namespace",
        format!("{}  client_services = [\"frontend\"]\n", owned(world)),
        "Client-only services with no server",
        "client_services lists \"frontend\" but services is empty, and the namespace is this \
         resource's own",
        "client_services =",
    ));
    cases.push(validate(
        "only clients and empty services in a new namespace",
        format!(
            "{}  services        = {{}}\n  client_services = [\"frontend\"]\n",
            owned(world)
        ),
        "Client-only services with no server",
        "A client-only service cannot be the first in an empty namespace",
        "client_services =",
    ));

    // --- timeouts ------------------------------------------------------------------------------
    cases.push(Case::new(
        "timeout in words",
        Run::ValidateAndPlan,
        with_backend(format!(
            "{}{}",
            owned(world),
            timeouts("create", "20 minutes")
        )),
        "Invalid duration",
        "timeouts.create is \"20 minutes\": \" minutes\" is not a unit. Use a Go duration",
        "timeouts = {",
    ));
    cases.push(validate(
        "timeout without a unit",
        with_backend(format!("{}{}", owned(world), timeouts("update", "20"))),
        "Invalid duration",
        "timeouts.update is \"20\": the number \"20\" has no unit",
        "timeouts = {",
    ));
    cases.push(validate(
        "zero timeout",
        with_backend(format!("{}{}", owned(world), timeouts("delete", "0s"))),
        "Duration not positive",
        "timeouts.delete is \"0s\": it is zero. Use a positive duration",
        "timeouts = {",
    ));
    cases.push(validate(
        "negative timeout",
        with_backend(format!("{}{}", owned(world), timeouts("create", "-5m"))),
        "Duration not positive",
        "timeouts.create is \"-5m\": it is negative",
        "timeouts = {",
    ));
    cases.extend(endpoint_cases(world));
    cases.extend(setting_cases(world));
    cases.extend(external_cases(world));
    cases
}

/// `api` in the long form: `api` on api-8080-tcp and `api-grpc` with `grpc` (its
/// attributes) inside.
fn long_api(grpc: &str) -> String {
    format!(
        "api = {{ endpoints = {{ api = {{ port_name = \"api-8080-tcp\" }}, \"api-grpc\" = {{ {grpc} }} }} }}"
    )
}

/// The attributes of a valid `api-grpc` endpoint, followed by `more`.
fn grpc_with(more: &str) -> String {
    format!("port_name = \"api-9090-tcp\", {more}")
}

/// Several endpoints per service: the per-endpoint rules in the long form, its own
/// rules, and names unique across every endpoint. Terraform points at the service's
/// entry; the message names the endpoint.
fn endpoint_cases(world: &World) -> Vec<Case> {
    let with = |entries: &[&str]| format!("{}{}", owned(world), services(entries));
    let grpc = "services[\"api\"].endpoints[\"api-grpc\"]";
    let long =
        |case: &'static str, grpc_attributes: &str, summary: &'static str, detail: String| {
            let entry = long_api(grpc_attributes);
            validate(case, with(&[BACKEND, &entry]), summary, detail, entry)
        };
    let long_key = "g".repeat(64);
    let long_key_entry =
        format!("api = {{ endpoints = {{ {long_key} = {{ port_name = \"api-9090-tcp\" }} }} }}");
    let neither = r#"backend = { discovery_name = "backend" }"#;
    let null_endpoint =
        r#"api = { endpoints = { api = { port_name = "api-8080-tcp" }, "api-grpc" = null } }"#;
    let both = r#"api = { port_name = "api-8080-tcp", dns_name = "api.internal.myapp", endpoints = { api = { port_name = "api-8080-tcp" } } }"#;
    let empty = r#"api = { endpoints = {} }"#;
    let bad_key = r#"api = { endpoints = { Api_Grpc = { port_name = "api-9090-tcp" } } }"#;
    let grpc_service = r#"api-grpc = { port_name = "grpc-9090-tcp" }"#;
    let same_endpoint = r#"api = { endpoints = { api = { port_name = "api-8080-tcp", port = 8080 }, "api-grpc" = { port_name = "api-9090-tcp", dns_name = "api.internal.myapp", port = 8080 } } }"#;
    vec![
        Case::new(
            "an entry with neither port_name nor endpoints",
            Run::ValidateAndPlan,
            with(&[neither]),
            "Missing required value",
            "services[\"backend\"].port_name is null. Set it to the name of the port mapping",
            neither,
        )
        .and_detail(
            "for a service with several ports, set endpoints instead; a service that serves \
             nothing belongs in client_services.",
        ),
        validate(
            "an endpoint set to null",
            with(&[BACKEND, null_endpoint]),
            "Missing required value",
            "services[\"api\"].endpoints[\"api-grpc\"] is null. Give it a port_name",
            null_endpoint,
        ),
        long(
            "an endpoint's port_name set to null",
            "port_name = null",
            "Missing required value",
            format!("{grpc}.port_name is null. Set it to the name of the port mapping"),
        ),
        Case::new(
            "endpoints beside port_name and dns_name",
            Run::ValidateAndPlan,
            with(&[BACKEND, both]),
            "Conflicting endpoint settings",
            "services[\"api\"] sets endpoints together with port_name and dns_name. With \
             endpoints, each endpoint carries its own settings: move port_name and dns_name \
             into the entries of endpoints",
            both,
        ),
        validate(
            "empty endpoints",
            with(&[BACKEND, empty]),
            "No endpoints",
            "services[\"api\"].endpoints is empty, so the service would serve nothing. Add an \
             endpoint keyed by its discovery name, such as endpoints = { api = { port_name = \
             \"api-8080-tcp\" } }",
            empty,
        ),
        long(
            "an endpoint's port name in uppercase",
            "port_name = \"API-9090\"",
            "Invalid port name",
            format!("{grpc}.port_name is \"API-9090\": it contains 'A', which is not allowed."),
        ),
        validate(
            "an endpoints key that is no discovery name",
            with(&[BACKEND, bad_key]),
            "Invalid discovery name",
            "services[\"api\"].endpoints[\"Api_Grpc\"] is keyed by \"Api_Grpc\", which is its \
             discovery name and not a valid one: it contains 'A', which is not allowed. Rename \
             the key",
            bad_key,
        ),
        long(
            "an endpoint's dns name with an empty label",
            &grpc_with("dns_name = \"grpc..internal\""),
            "Invalid DNS name",
            format!("{grpc}.dns_name is \"grpc..internal\": it has an empty label"),
        ),
        validate(
            "an endpoint's default dns name of 128 characters",
            format!(
                "{}{}",
                attrs(&[
                    ("cluster", CLUSTER),
                    ("namespace", &"n".repeat(63)),
                    ("vpc_id", &world.vpc_id),
                ]),
                services(&[&long_key_entry])
            ),
            "Invalid default DNS name",
            "it is 128 characters long, over the limit of 127. Set a shorter dns_name, or \
             shorten the endpoints key or namespace.",
            long_key_entry.as_str(),
        ),
        long(
            "an endpoint's port 65536",
            &grpc_with("port = 65536"),
            "Port out of range",
            format!("{grpc}.port is 65536: it is outside 1 to 65535"),
        ),
        long(
            "an endpoint's ingress port override 1024",
            &grpc_with("ingress_port_override = 1024"),
            "Ingress port override out of range",
            format!("{grpc}.ingress_port_override is 1024: ECS rejects ingress ports of 1024"),
        ),
        long(
            "an endpoint's negative idle timeout",
            &grpc_with("idle_timeout_seconds = -1"),
            "Timeout out of range",
            format!("{grpc}.idle_timeout_seconds is -1: it is negative"),
        ),
        long(
            "an endpoint's port that is not a whole number",
            &grpc_with("port = 9090.5"),
            "Invalid number",
            format!("{grpc}.port is 9090.5, which is not a whole number."),
        ),
        validate(
            "a service name that is another service's endpoints key",
            with(&[&long_api(&grpc_with("port = 9090")), grpc_service]),
            "Duplicate discovery name",
            "services[\"api-grpc\"] and services[\"api\"].endpoints[\"api-grpc\"] both use \
             the discovery name \"api-grpc\"",
            grpc_service,
        ),
        validate(
            "two endpoints of one service with one name and port",
            with(&[BACKEND, same_endpoint]),
            "Duplicate endpoint",
            "services[\"api\"].endpoints[\"api-grpc\"] and services[\"api\"].endpoints[\"api\"] \
             both use the endpoint api.internal.myapp:8080",
            same_endpoint,
        ),
    ]
}

/// TLS, proxy logs and access logs: on the resource (Terraform points at the attribute)
/// or in a service entry (at the entry).
/// `external_services`: standalone servers named in the namespace.
fn external_cases(world: &World) -> Vec<Case> {
    let with = |entry: &str| {
        let body = format!(
            "{}{}  external_services = {{\n    {entry}\n  }}\n",
            owned(world),
            services(&[BACKEND])
        );
        (body, entry.to_string())
    };
    let case = |name: &'static str, entry: &str, summary: &'static str, detail: &str| {
        let (body, at) = with(entry);
        validate(name, body, summary, detail, at)
    };
    let (public, at) = with(r#"erp = { addresses = ["10.0.3.12", "52.1.2.3"], port = 8069 }"#);
    vec![
        case(
            "a standalone server named in capitals",
            r#"ERP = { addresses = ["10.0.3.12"] }"#,
            "Invalid standalone server name",
            "The external_services key \"ERP\" is not a name in the namespace",
        ),
        case(
            "a standalone server named like an endpoint",
            r#"backend = { addresses = ["10.0.3.12"] }"#,
            "Name already used",
            "external_services[\"backend\"] is named \"backend\", which an endpoint of `services` \
             already uses as its discovery name",
        ),
        case(
            "an address that is not IPv4",
            r#"erp = { addresses = ["10.0.3.256"] }"#,
            "Invalid address",
            "external_services[\"erp\"].addresses has \"10.0.3.256\", which is not an IPv4 address",
        ),
        case(
            "a negative TTL",
            r#"erp = { addresses = ["10.0.3.12"], ttl = -1 }"#,
            "TTL out of range",
            "external_services[\"erp\"].ttl is -1: it is outside 0 to 2147483647 seconds",
        ),
        Case::new(
            "a public address",
            Run::PlanWarns,
            public,
            "Standalone server with a public address",
            "external_services[\"erp\"].addresses has 52.1.2.3, which is not in a private range",
            at,
        ),
    ]
}

fn setting_cases(world: &World) -> Vec<Case> {
    let on_mesh = |setting: &str| format!("{}{}  {setting}\n", owned(world), services(&[BACKEND]));
    let backend_with = |setting: &str| {
        let entry = format!("backend = {{ port_name = \"backend-8080-tcp\", {setting} }}");
        (format!("{}{}", owned(world), services(&[&entry])), entry)
    };
    let ca = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/1234abcd-12ab-34cd-56ef-1234567890ab";
    let mut cases = vec![
        Case::new(
            "a KMS key without a CA",
            Run::ValidateAndPlan,
            on_mesh(r#"tls = { aws_pca_authority_arn = null, kms_key = "alias/service-connect" }"#),
            "Missing required value",
            "tls.aws_pca_authority_arn is null, but TLS needs the AWS Private CA that issues the \
             endpoints' certificates: a kms_key does not turn TLS on.",
            "tls = {",
        ),
        validate(
            "an ACM certificate as the CA",
            on_mesh(
                r#"tls = { aws_pca_authority_arn = "arn:aws:acm:us-east-1:123456789012:certificate/1234abcd" }"#,
            ),
            "Invalid private CA ARN",
            "tls.aws_pca_authority_arn is \"arn:aws:acm:us-east-1:123456789012:certificate/1234abcd\": \
             it is an ARN of the \"acm\" service, not of \"acm-pca\". Use the ARN of an AWS \
             Private CA",
            "tls = {",
        ),
        validate(
            "a log driver null",
            on_mesh("log_configuration = { log_driver = null }"),
            "Missing required value",
            "log_configuration.log_driver is null. Set it to the log driver of the Service \
             Connect proxy, such as \"awslogs\"",
            "log_configuration = {",
        ),
        Case::new(
            "a log driver in the wrong case",
            Run::ValidateAndPlan,
            on_mesh(
                r#"log_configuration = { log_driver = "awsLogs", options = { "awslogs-group" = "/ecs/mesh" } }"#,
            ),
            "Invalid log driver",
            "log_configuration.log_driver is \"awsLogs\": ECS does not take it. Did you mean \
             \"awslogs\"?",
            "log_configuration = {",
        ),
        validate(
            "an access log format in lowercase",
            on_mesh(r#"access_log_configuration = { format = "json" }"#),
            "Invalid access log format",
            "access_log_configuration.format is \"json\": ECS does not take it. Did you mean \
             \"JSON\"?",
            "access_log_configuration = {",
        ),
        validate(
            "an access log format null",
            on_mesh(
                "access_log_configuration = { format = null, include_query_parameters = true }",
            ),
            "Missing required value",
            "access_log_configuration.format is null. Set it to \"TEXT\" or \"JSON\"",
            "access_log_configuration = {",
        ),
    ];
    let (body, at) = backend_with(&format!(
        "tls = {{ aws_pca_authority_arn = \"{ca}\", kms_key = \"my-key\" }}"
    ));
    cases.push(validate(
        "a KMS key that is a name",
        body,
        "Invalid KMS key",
        "services[\"backend\"].tls.kms_key is \"my-key\": it is none of a key id, a key ARN, \
         an alias name (\"alias/NAME\") or an alias ARN.",
        at,
    ));
    let entry = long_api(&format!(
        "port_name = \"api-9090-tcp\", tls = {{ aws_pca_authority_arn = \"{ca}\", role_arn = \"arn:aws:iam::123456789012:user/deploy\" }}"
    ));
    cases.push(validate(
        "a user ARN as an endpoint's TLS role",
        format!("{}{}", owned(world), services(&[&entry])),
        "Invalid IAM role ARN",
        "services[\"api\"].endpoints[\"api-grpc\"].tls.role_arn is \
         \"arn:aws:iam::123456789012:user/deploy\": its resource \"user/deploy\" is not \
         \"role/NAME\" (an IAM role).",
        entry,
    ));
    let (body, at) = backend_with(
        r#"log_configuration = { log_driver = "splunk", secret_options = [{ name = "splunk-token", value_from = "" }] }"#,
    );
    cases.push(validate(
        "a secret option with an empty value_from",
        body,
        "Empty secret option",
        "services[\"backend\"].log_configuration.secret_options[0].value_from is empty. Set it \
         to the ARN of the Secrets Manager secret or SSM parameter",
        at,
    ));
    let (body, at) = backend_with(
        r#"log_configuration = { log_driver = "splunk", secret_options = [{ name = null, value_from = "splunk-token" }] }"#,
    );
    cases.push(validate(
        "a secret option's name null",
        body,
        "Missing required value",
        "services[\"backend\"].log_configuration.secret_options[0].name is null.",
        at,
    ));
    cases
}

/// What the world has for the plan-time cases, beyond the seed.
struct PlanWorld {
    /// A hand-made namespace named "taken.myapp" in the world's VPC.
    taken_namespace_id: String,
    /// The task definition of the seed's backend service.
    backend_task_definition: String,
}

async fn create_service(emulator: &Emulator, service: &str, ports: &[(Option<&str>, i32)]) {
    world::create_service_with_ports(&emulator.ecs(), service, ports).await;
}

async fn prepare_plan_world(emulator: &Emulator, world: &World) -> PlanWorld {
    create_service(
        emulator,
        "admin",
        &[(Some("web-8080-tcp"), 8080), (Some("admin-9000-tcp"), 9000)],
    )
    .await;
    create_service(emulator, "legacy", &[(None, 8000)]).await;
    create_service(emulator, "retired", &[(Some("retired-80-tcp"), 80)]).await;
    emulator
        .ecs()
        .delete_service()
        .cluster(CLUSTER)
        .service("retired")
        .force(true)
        .send()
        .await
        .expect("deleting the retired service");
    emulator
        .cloudmap()
        .create_private_dns_namespace()
        .name("taken.myapp")
        .vpc(&world.vpc_id)
        .send()
        .await
        .expect("creating a namespace by hand");
    emulator.finish_cloudmap_operations().await;
    let taken_namespace_id = world::namespaces(emulator)
        .await
        .get("taken.myapp")
        .cloned()
        .expect("the hand-made namespace exists");
    let backend_task_definition = world::describe(emulator, "backend")
        .await
        .task_definition()
        .expect("backend has a task definition")
        .to_string();
    PlanWorld {
        taken_namespace_id,
        backend_task_definition,
    }
}

/// The checks that need AWS: `terraform plan`.
fn plan_cases(world: &World, plan_world: &PlanWorld) -> Vec<Case> {
    let vpc = world.vpc_id.as_str();
    let id = plan_world.taken_namespace_id.as_str();
    let ghost = r#"ghost = { port_name = "ghost-80-tcp" }"#;
    let retired = r#"retired = { port_name = "retired-80-tcp" }"#;
    let admin = r#"admin = { port_name = "admin-80-tcp" }"#;
    let typo = r#"backend = { port_name = "backend-8080" }"#;
    let legacy = r#"legacy = { port_name = "legacy-8000-tcp" }"#;
    let backend_task_definition = plan_world.backend_task_definition.as_str();
    vec![
        Case::new(
            "a service that does not exist (yet)",
            Run::PlanWarns,
            format!("{}{}", owned(world), services(&[BACKEND, ghost])),
            "ECS service not found (yet)",
            "ECS service prod/ghost does not exist. Keys of `services` and entries of \
             `client_services` are ECS service names. If this configuration creates it in the \
             same apply, nothing is wrong",
            ghost,
        ),
        Case::new(
            "a client that does not exist (yet)",
            Run::PlanWarns,
            format!(
                "{}{}  client_services = [\"phantom\"]\n",
                owned(world),
                services(&[BACKEND])
            ),
            "ECS service not found (yet)",
            "ECS service prod/phantom does not exist",
            "client_services =",
        ),
        Case::new(
            "a deleted (INACTIVE) service, which another resource may create again",
            Run::PlanWarns,
            format!("{}{}", owned(world), services(&[BACKEND, retired])),
            "ECS service not found (yet)",
            "ECS service prod/retired does not exist",
            retired,
        ),
        Case::new(
            "a port name the task definition does not have",
            Run::Plan,
            format!("{}{}", owned(world), services(&[BACKEND, admin])),
            "Port name not in the task definition",
            "of ECS service prod/admin has no port mapping of that name. It has: web-8080-tcp, \
             admin-9000-tcp.",
            admin,
        ),
        Case::new(
            "a typo in a port name",
            Run::Plan,
            format!("{}{}", owned(world), services(&[typo])),
            "Port name not in the task definition",
            format!(
                "services[\"backend\"].port_name is \"backend-8080\", but task definition \
                 {backend_task_definition} of ECS service prod/backend has no port mapping of \
                 that name. It has: backend-8080-tcp."
            ),
            typo,
        ),
        Case::new(
            "a task definition without named ports",
            Run::Plan,
            format!("{}{}", owned(world), services(&[legacy])),
            "Port name not in the task definition",
            "It has no named port mappings: add `name` to a port mapping first.",
            legacy,
        ),
        Case::new(
            "a namespace name taken in the VPC by a hand-made namespace",
            Run::Plan,
            format!(
                "{}{}",
                attrs(&[
                    ("cluster", CLUSTER),
                    ("namespace", "taken.myapp"),
                    ("vpc_id", vpc)
                ]),
                services(&[BACKEND])
            ),
            "Namespace already exists",
            format!(
                "A private DNS namespace named \"taken.myapp\" already exists in {vpc} ({id}), \
                 and this resource did not create it. Import it with `terraform import \
                 <address> prod/{id}`, or wire onto it with `namespace_id = \"{id}\"`"
            ),
            "taken.myapp",
        ),
        Case::new(
            "a cluster that does not exist (yet)",
            Run::PlanWarns,
            with_cluster("staging", world),
            "ECS cluster not found (yet)",
            "ECS cluster staging does not exist in us-east-1. If this configuration creates it \
             in the same apply, nothing is wrong: the apply waits up to 2 minutes for it",
            "cluster",
        ),
        Case::new(
            "a namespace id that does not exist",
            Run::Plan,
            format!(
                "{}{}",
                attrs(&[
                    ("cluster", CLUSTER),
                    ("namespace_id", "ns-abcdefghijklmnop")
                ]),
                services(&[BACKEND])
            ),
            "Namespace not found",
            "No Cloud Map namespace has the id \"ns-abcdefghijklmnop\"",
            "namespace_id =",
        ),
        Case::new(
            "two endpoints that collide once the port comes from the task definition",
            Run::Plan,
            format!(
                "{}  services = {{\n    backend = {{ port_name = \"backend-8080-tcp\", dns_name = \"x.internal.myapp\" }}\n    orders  = {{ port_name = \"orders-9090-tcp\", dns_name = \"x.internal.myapp\", port = 8080 }}\n  }}\n",
                owned(world)
            ),
            "Duplicate endpoint",
            "x.internal.myapp:8080",
            "orders  = {",
        ),
        Case::new(
            "a port that is not a whole number",
            Run::Validate,
            format!(
                "{}  services = {{\n    backend = {{ port_name = \"backend-8080-tcp\", port = 8080.5 }}\n  }}\n",
                owned(world)
            ),
            "Invalid number",
            "services[\"backend\"].port is 8080.5, which is not a whole number.",
            "backend = {",
        ),
    ]
}

fn with_cluster(cluster: &str, world: &World) -> String {
    format!(
        "{}{}",
        attrs(&[
            ("cluster", cluster),
            ("namespace", NAMESPACE),
            ("vpc_id", &world.vpc_id)
        ]),
        services(&[BACKEND])
    )
}

/// (rule id, diagnostic summary) of every rule in docs/validation.md's table, whose
/// example messages start with the summary.
fn documented_rules() -> Vec<(String, String)> {
    let docs =
        std::fs::read_to_string(crate::support::terraform::repo_root().join("docs/validation.md"))
            .expect("reading docs/validation.md");
    let rules: Vec<(String, String)> = docs
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("| `")?;
            let (rule, rest) = rest.split_once('`')?;
            let message = rest.rsplit(" | ").next()?;
            let (summary, _) = message.split_once(": ")?;
            Some((rule.to_string(), summary.to_string()))
        })
        .collect();
    assert!(rules.len() >= 27, "the rules table: {rules:?}");
    rules
}

// Found while writing this catalogue and reported instead of tested, as they cannot
// pass today: a duplicate endpoint whose port comes from the task definition passes
// the plan (the rule never sees filled ports); `tags` or `description` with
// `namespace_id` plan a `tags_all` that apply does not produce; a number too large for
// 64 bits, or a fraction, is "Invalid value" with a serde message and hides every other
// diagnostic.

#[tokio::test(flavor = "multi_thread")]
async fn every_invalid_configuration_fails_on_its_line_with_its_message_and_changes_nothing() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let plan_world = prepare_plan_world(&emulator, &world).await;
    let dir = world::workdir(&emulator);

    let mut cases = config_cases(&world);
    // Every rule of docs/validation.md has a case (matched by its summary).
    for (rule, summary) in documented_rules() {
        assert!(
            cases.iter().any(|c| c.summary == summary),
            "no case breaks rule {rule} ({summary:?})"
        );
    }
    cases.extend(plan_cases(&world, &plan_world));
    let mut names = std::collections::BTreeSet::new();
    for case in &cases {
        assert!(names.insert(case.name), "two cases named {:?}", case.name);
    }

    let mut failures = Vec::new();
    for case in &cases {
        if let Err(failure) = run_case(&emulator, &dir, case).await {
            failures.push(failure);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
    // Nothing was created along the way: the only namespace is the hand-made one.
    assert_eq!(
        world::namespaces(&emulator)
            .await
            .into_keys()
            .collect::<Vec<_>>(),
        vec!["taken.myapp".to_string()]
    );
}

/// `terraform plan` of a configuration whose `port_name` and `discovery_name` come from
/// `terraform_data` outputs, unknown until apply.
#[tokio::test(flavor = "multi_thread")]
async fn unknown_values_in_the_config_must_not_fail_the_plan() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    let names = "resource \"terraform_data\" \"names\" {\n  input = {\n    port_name      = \"backend-8080-tcp\"\n    discovery_name = \"api\"\n  }\n}\n";
    let body = format!(
        "{}{}",
        owned(&world),
        services(&[
            "backend = { port_name = terraform_data.names.output.port_name }",
            "orders  = { port_name = \"orders-9090-tcp\", discovery_name = terraform_data.names.output.discovery_name }",
        ])
    );
    let text = format!(
        "{names}\n{}\noutput \"endpoints\" {{\n  value = servicemesh_internal.mesh.endpoints\n}}\n",
        config(&body)
    );
    dir.write("main.tf", &text);

    dir.run(&["validate", "-no-color"]).success();
    emulator.reset_counters().await;
    // The plan does not fail: it creates both resources.
    let plan = dir.assert_changes();
    let shown = squash(&plan.output());
    for unknown in [
        "port_name = (known after apply)",
        "discovery_name = (known after apply)",
    ] {
        assert!(shown.contains(unknown), "{unknown:?} in the plan:\n{plan}");
    }
    assert!(
        !plan.output().contains("Error:"),
        "no diagnostics for values not known yet:\n{plan}"
    );
    let mutating = mutating_calls(&emulator.counters().await);
    assert!(mutating.is_empty(), "plan changed AWS: {mutating:?}");

    emulator.reset_counters().await;
    let apply = dir.apply();
    // The detector the catalogue relies on sees a real apply's changes.
    let mutating = mutating_calls(&emulator.counters().await);
    for call in [
        "ecs:UpdateService ×2",
        "servicediscovery:CreatePrivateDnsNamespace ×1",
    ] {
        assert!(mutating.iter().any(|m| m == call), "{call} in {mutating:?}");
    }
    assert!(
        apply.stdout.contains("backend.internal.myapp:8080"),
        "{apply}"
    );
    assert!(apply.stdout.contains("api.internal.myapp:9090"), "{apply}");
    let backend = world::primary_service_connect(&emulator, "backend")
        .await
        .expect("backend wired");
    assert_eq!(backend.services()[0].port_name(), "backend-8080-tcp");
    let orders = world::primary_service_connect(&emulator, "orders")
        .await
        .expect("orders wired");
    assert_eq!(orders.services()[0].discovery_name(), Some("api"));
    dir.assert_no_changes();
}

/// The plan shows the endpoint of a service whose port is left out, with the container
/// port of its port alias, before anything is applied.
#[tokio::test(flavor = "multi_thread")]
async fn a_port_left_unset_is_filled_from_the_task_definition_at_plan_time() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    dir.write(
        "main.tf",
        &config(&format!("{}{}", owned(&world), services(&[BACKEND]))),
    );
    assert!(!BACKEND.contains("port ="), "the port is left out");

    emulator.reset_counters().await;
    let plan = dir.run(&["plan", "-no-color", "-out", "tfplan"]).success();
    let shown = squash(&plan.stdout);
    assert!(
        shown.contains("+ endpoints = { + \"backend\" = \"backend.internal.myapp:8080\" }"),
        "the endpoint is known in the plan:\n{plan}"
    );
    assert!(shown.contains("+ port = 8080"), "{plan}");
    let counters = emulator.counters().await;
    assert_eq!(
        counters.calls("ecs:DescribeTaskDefinition"),
        1,
        "the port comes from the task definition: {counters:?}"
    );
    let mutating = mutating_calls(&counters);
    assert!(mutating.is_empty(), "plan changed AWS: {mutating:?}");

    let saved = dir.run(&["show", "-json", "tfplan"]).success();
    let saved: serde_json::Value = serde_json::from_str(&saved.stdout).expect("plan JSON");
    let planned = &saved["planned_values"]["root_module"]["resources"][0]["values"];
    assert_eq!(
        planned["endpoints"]["backend"], "backend.internal.myapp:8080",
        "{saved}"
    );
    assert_eq!(planned["services"]["backend"]["port"], 8080, "{saved}");
    assert!(
        world::namespaces(&emulator).await.is_empty(),
        "nothing applied"
    );
}

/// The reader of Terraform's output that the catalogue's assertions rest on.
#[test]
fn diagnostics_are_read_with_their_line_and_unwrapped_detail() {
    let stderr = "\nError: Invalid discovery name\n\n  with servicemesh_internal.mesh,\n  on main.tf line 17, in resource \"servicemesh_internal\" \"mesh\":\n  17:     backend = {\n  18:       discovery_name = \"-backend\"\n  19:     }\n\nservices[\"backend\"].discovery_name is \"-backend\": it starts with a hyphen.\nUse 1 to 64 lowercase letters.\n\nError: No namespace\n\n  with servicemesh_internal.mesh,\n  on main.tf line 11, in resource \"servicemesh_internal\" \"mesh\":\n  11: resource \"servicemesh_internal\" \"mesh\" {\n\nNeither namespace nor namespace_id is set.\n";
    let stdout = "\nWarning: Provider development overrides are in effect\n\nThe following provider development overrides are set.\n";
    let outcome = Outcome {
        code: 1,
        stdout: stdout.to_string(),
        stderr: stderr.to_string(),
        elapsed: std::time::Duration::ZERO,
        leftover_processes: Vec::new(),
    };
    let printed = diagnostics(&outcome);
    let seen: Vec<(&str, &str, Option<usize>, &str)> = printed
        .iter()
        .map(|d| (d.severity, d.summary.as_str(), d.line, d.detail.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                "Warning",
                "Provider development overrides are in effect",
                None,
                "The following provider development overrides are set."
            ),
            (
                "Error",
                "Invalid discovery name",
                Some(17),
                "services[\"backend\"].discovery_name is \"-backend\": it starts with a hyphen. \
                 Use 1 to 64 lowercase letters."
            ),
            (
                "Error",
                "No namespace",
                Some(11),
                "Neither namespace nor namespace_id is set."
            ),
        ]
    );
    let config = config(&attrs(&[("cluster", CLUSTER)]));
    assert_eq!(line_of(&config, RESOURCE_LINE), 11);
    assert_eq!(line_of(&config, "cluster ="), 12);
}
