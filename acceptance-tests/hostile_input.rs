//! Hostile input, beyond the validation catalogue (issue 17): 10,000-character strings,
//! Unicode and control characters in every string attribute, a `services` map of 1,000
//! entries, null and empty values everywhere, names equal except for case, namespace
//! names with a trailing dot or upper case, numbers far out of range. Each gets a clear
//! diagnostic: its summary, at its attribute path, with a detail that quotes a long
//! value cut and never carries a raw control character. No panic, no AWS call.
//!
//! The bulk runs in this process through ValidateResourceConfig in both wire encodings
//! (msgpack, as Terraform sends it, and JSON), which must agree. What Terraform itself
//! adds (HCL strings and escapes, line numbers, a thousand diagnostics at once, the
//! plan) runs through real Terraform against the emulator, whose call counters show
//! that nothing reached AWS.
//!
//! Also here: the inputs the fuzz targets (fuzz/) once failed on, replayed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use servicemesh::protocol::proto::tfplugin6 as pb;
use servicemesh::protocol::proto::tfplugin6::provider_server::Provider as _;
use servicemesh::protocol::provider::ProviderHandler;
use servicemesh::protocol::rpc::ProviderService;
use servicemesh::protocol::value::{Number, Type, Value, encode_json, encode_msgpack};
use servicemesh::provider::ServicemeshProvider;

use crate::support::emulator::{Counters, Emulator};
use crate::support::hcl::{line_of, required_providers};
use crate::support::terraform::{Outcome, PROVIDER_ADDRESS, Workdir, repo_root};
use crate::support::world::{self, CLUSTER, seed};

const RESOURCE: &str = "servicemesh_internal";
/// The longest detail a diagnostic may have: values are quoted cut, never whole.
const MAX_DETAIL: usize = 600;
const LONG: usize = 10_000;

// ---------------------------------------------------------------------------------------
// ValidateResourceConfig in this process
// ---------------------------------------------------------------------------------------

/// One diagnostic as the provider answered it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Found {
    error: bool,
    summary: String,
    detail: String,
    /// Terraform's way of writing the attribute path: `services["backend"]`.
    path: String,
}

fn path_of(path: Option<&pb::AttributePath>) -> String {
    use pb::attribute_path::step::Selector;
    let steps = path.map(|p| p.steps.as_slice()).unwrap_or_default();
    let mut text = String::new();
    for selector in steps.iter().filter_map(|step| step.selector.as_ref()) {
        match selector {
            Selector::AttributeName(name) if text.is_empty() => text.push_str(name),
            Selector::AttributeName(name) => text.push_str(&format!(".{name}")),
            Selector::ElementKeyString(key) => text.push_str(&format!("[{key:?}]")),
            Selector::ElementKeyInt(index) => text.push_str(&format!("[{index}]")),
        }
    }
    text
}

fn resource_type() -> Type {
    ServicemeshProvider::new()
        .resources()
        .iter()
        .find(|resource| resource.type_name() == RESOURCE)
        .map(|resource| resource.schema().value_type())
        .expect("the provider serves servicemesh_internal")
}

/// ValidateResourceConfig of `config` with the value in one encoding.
async fn validate_encoded(dynamic: pb::DynamicValue) -> Vec<Found> {
    let service = ProviderService::new(PROVIDER_ADDRESS, Arc::new(ServicemeshProvider::new()));
    let request = pb::validate_resource_config::Request {
        type_name: RESOURCE.to_string(),
        config: Some(dynamic),
        client_capabilities: None,
    };
    let answer = service
        .validate_resource_config(tonic::Request::new(request))
        .await
        .expect("ValidateResourceConfig answers")
        .into_inner();
    answer
        .diagnostics
        .iter()
        .map(|d| Found {
            error: d.severity == pb::diagnostic::Severity::Error as i32,
            summary: d.summary.clone(),
            detail: d.detail.clone(),
            path: path_of(d.attribute.as_ref()),
        })
        .collect()
}

/// The diagnostics of `config`, sent as msgpack and (when it holds no unknown) as JSON:
/// both must give the same answer.
async fn validate(config: &Value) -> Vec<Found> {
    let ty = resource_type();
    let msgpack = encode_msgpack(config, &ty).expect("the configuration encodes");
    let found = validate_encoded(pb::DynamicValue {
        msgpack,
        json: Vec::new(),
    })
    .await;
    if config.is_fully_known() {
        let json = encode_json(config, &ty).expect("the configuration encodes as JSON");
        let from_json = validate_encoded(pb::DynamicValue {
            msgpack: Vec::new(),
            json,
        })
        .await;
        assert_eq!(found, from_json, "msgpack and JSON answers differ");
    }
    found
}

/// Every diagnostic is clear: a summary, a detail of at most MAX_DETAIL characters
/// without a raw control or bidirectional-formatting character, and, for an error, a
/// path into the configuration.
fn assert_clear(case: &str, found: &[Found]) {
    for d in found {
        assert!(!d.summary.is_empty(), "{case}: no summary: {d:?}");
        let length = d.detail.chars().count();
        assert!(
            length <= MAX_DETAIL,
            "{case}: a detail of {length} characters: {:?}…",
            d.detail.chars().take(300).collect::<String>()
        );
        assert!(
            !d.detail.chars().any(is_raw_control),
            "{case}: a raw control character in {:?}",
            d.detail
        );
        if d.error {
            assert!(!d.path.is_empty(), "{case}: an error without a path: {d:?}");
        }
    }
}

/// Characters a terminal would act on or reorder instead of showing.
fn is_raw_control(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The only diagnostic, an error with this summary at this path.
fn assert_only_error(case: &str, found: &[Found], summary: &str, path: &str) {
    assert_clear(case, found);
    let described: Vec<(&str, &str)> = found
        .iter()
        .map(|d| (d.summary.as_str(), d.path.as_str()))
        .collect();
    assert_eq!(
        described,
        vec![(summary, path)],
        "{case}: {found:#?}",
        found = found
            .iter()
            .map(|d| cut(&format!("{d:?}"), 400))
            .collect::<Vec<_>>()
    );
    assert!(found[0].error, "{case}: {:?}", found[0]);
}

fn cut(text: &str, limit: usize) -> String {
    text.chars().take(limit).collect()
}

// ---------------------------------------------------------------------------------------
// Configurations as values
// ---------------------------------------------------------------------------------------

/// `servicemesh_internal` as Terraform would send it: top-level attributes and
/// `services` entries; everything not set is null.
#[derive(Clone, Debug)]
struct Config {
    top: BTreeMap<&'static str, Value>,
    services: Option<BTreeMap<String, Option<BTreeMap<&'static str, Value>>>>,
    timeouts: Option<BTreeMap<&'static str, Value>>,
}

impl Config {
    /// A configuration with no problem: one server in a namespace this resource owns.
    fn valid() -> Self {
        let mut config = Self {
            top: BTreeMap::new(),
            services: None,
            timeouts: None,
        };
        config
            .set("cluster", "prod")
            .set("namespace", "internal.myapp")
            .set("vpc_id", "vpc-0abc1234")
            .service("backend", &[("port_name", "backend-8080-tcp".into())]);
        config
    }

    fn set(&mut self, name: &'static str, value: impl Into<Value>) -> &mut Self {
        self.top.insert(name, value.into());
        self
    }

    fn service(&mut self, key: &str, attributes: &[(&'static str, Value)]) -> &mut Self {
        self.services
            .get_or_insert_with(BTreeMap::new)
            .insert(key.to_string(), Some(attributes.iter().cloned().collect()));
        self
    }

    /// An attribute of the `backend` entry.
    fn backend(&mut self, name: &'static str, value: impl Into<Value>) -> &mut Self {
        if let Some(Some(entry)) = self
            .services
            .get_or_insert_with(BTreeMap::new)
            .get_mut("backend")
        {
            entry.insert(name, value.into());
        }
        self
    }

    fn timeout(&mut self, name: &'static str, value: impl Into<Value>) -> &mut Self {
        self.timeouts
            .get_or_insert_with(BTreeMap::new)
            .insert(name, value.into());
        self
    }

    fn tags(&mut self, tags: &[(&str, Value)]) -> &mut Self {
        self.set(
            "tags",
            Value::map(tags.iter().map(|(k, v)| (k.to_string(), v.clone()))),
        )
    }

    fn clients(&mut self, clients: &[Value]) -> &mut Self {
        self.set("client_services", Value::Set(clients.to_vec()))
    }

    fn value(&self) -> Value {
        let ty = resource_type();
        let service_type = ty
            .attribute_type("services")
            .and_then(Type::element_type)
            .cloned()
            .expect("services is a map of objects");
        let timeouts_type = ty
            .attribute_type("timeouts")
            .cloned()
            .expect("timeouts is an object");
        let mut top: Vec<(String, Value)> = self
            .top
            .iter()
            .map(|(name, value)| (name.to_string(), value.clone()))
            .collect();
        if let Some(services) = &self.services {
            let entries = services.iter().map(|(key, entry)| {
                let value = entry
                    .as_ref()
                    .map_or(Value::Null, |entry| object(&service_type, entry));
                (key.clone(), value)
            });
            top.push(("services".to_string(), Value::map(entries)));
        }
        if let Some(timeouts) = &self.timeouts {
            top.push(("timeouts".to_string(), object(&timeouts_type, timeouts)));
        }
        let top: BTreeMap<&str, Value> = top
            .iter()
            .map(|(name, value)| (name.as_str(), value.clone()))
            .collect();
        object(&ty, &top)
    }
}

/// An object of type `ty`: the attributes in `set`, every other one null.
fn object(ty: &Type, set: &BTreeMap<&str, Value>) -> Value {
    let names = ty.attribute_types().expect("an object type");
    for name in set.keys() {
        assert!(names.contains_key(*name), "no attribute {name} in {ty:?}");
    }
    Value::object(names.keys().map(|name| {
        let value = set.get(name.as_str()).cloned().unwrap_or(Value::Null);
        (name.clone(), value)
    }))
}

fn string(text: &str) -> Value {
    Value::from(text)
}

fn number(text: &str) -> Value {
    Value::Number(text.parse::<Number>().expect("a number"))
}

// ---------------------------------------------------------------------------------------
// In this process
// ---------------------------------------------------------------------------------------

/// One attribute set to a hostile value in an otherwise valid configuration, and the
/// error it must give.
struct Case {
    name: String,
    config: Config,
    summary: &'static str,
    path: String,
}

/// Every string attribute in turn set to `value` (and the ones with a fixed prefix to
/// prefix + `value`), with the summary each must give. Attributes `value` may be are
/// left out by the caller's `accepted` list.
fn every_string_attribute(value: &str, accepted: &[&str]) -> Vec<Case> {
    let case = |name: &str, summary: &'static str, path: String, edit: &dyn Fn(&mut Config)| {
        let mut config = Config::valid();
        edit(&mut config);
        Case {
            name: name.to_string(),
            config,
            summary,
            path,
        }
    };
    let v = value.to_string();
    let quoted = format!("{value:?}");
    let mut cases = vec![
        case("cluster", "Invalid ECS cluster", "cluster".into(), &|c| {
            c.set("cluster", v.as_str());
        }),
        case(
            "cluster ARN",
            "Invalid ECS cluster",
            "cluster".into(),
            &|c| {
                c.set(
                    "cluster",
                    format!("arn:aws:ecs:us-east-1:123456789012:cluster/{v}").as_str(),
                );
            },
        ),
        case(
            "namespace",
            "Invalid namespace name",
            "namespace".into(),
            &|c| {
                c.set("namespace", v.as_str());
            },
        ),
        case("vpc_id", "Invalid VPC id", "vpc_id".into(), &|c| {
            c.set("vpc_id", format!("vpc-{v}").as_str());
        }),
        case(
            "namespace_id",
            "Invalid namespace id",
            "namespace_id".into(),
            &|c| {
                c.set("namespace", Value::Null)
                    .set("vpc_id", Value::Null)
                    .set("namespace_id", format!("ns-{v}").as_str());
            },
        ),
        case(
            "services key",
            "Invalid ECS service name",
            format!("services[{quoted}]"),
            &|c| {
                c.service(&v, &[("port_name", "backend-8080-tcp".into())]);
            },
        ),
        case(
            "port_name",
            "Invalid port name",
            "services[\"backend\"]".into(),
            &|c| {
                c.backend("port_name", v.as_str());
            },
        ),
        case(
            "discovery_name",
            "Invalid discovery name",
            "services[\"backend\"]".into(),
            &|c| {
                c.backend("discovery_name", v.as_str());
            },
        ),
        case(
            "dns_name",
            "Invalid DNS name",
            "services[\"backend\"]".into(),
            &|c| {
                c.backend("dns_name", v.as_str());
            },
        ),
        case(
            "client_services",
            "Invalid ECS service name",
            "client_services".into(),
            &|c| {
                c.clients(&[string(&v)]);
            },
        ),
        case(
            "timeouts.create",
            "Invalid duration",
            "timeouts".into(),
            &|c| {
                c.timeout("create", v.as_str());
            },
        ),
        case(
            "timeouts.update",
            "Invalid duration",
            "timeouts".into(),
            &|c| {
                c.timeout("update", format!("1{v}").as_str());
            },
        ),
        case(
            "timeouts.delete",
            "Invalid duration",
            "timeouts".into(),
            &|c| {
                c.timeout("delete", format!("{v}1m").as_str());
            },
        ),
    ];
    cases.retain(|case| !accepted.contains(&case.name.as_str()));
    cases
}

/// Runs cases; every one must give exactly its error. Returns the failures.
async fn run_cases(what: &str, cases: Vec<Case>) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        let found = validate(&case.config.value()).await;
        let name = format!("{what}, {}", case.name);
        let outcome = tokio::spawn(async move {
            assert_only_error(&name, &found, case.summary, &case.path);
        })
        .await;
        if let Err(panic) = outcome {
            failures.push(format!("{panic}"));
        }
    }
    failures
}

#[tokio::test]
async fn ten_thousand_characters_in_every_string_attribute() {
    let mut failures = Vec::new();
    for (what, long) in [
        ("letters", "a".repeat(LONG)),
        ("digits", "7".repeat(LONG)),
        ("multi-byte letters", "é".repeat(LONG)),
    ] {
        let mut cases = every_string_attribute(&long, &[]);
        // The attributes limited by length alone.
        let mut description = Config::valid();
        description.set("description", long.as_str());
        let mut tag_key = Config::valid();
        tag_key.tags(&[(&long, string("v"))]);
        let mut tag_value = Config::valid();
        tag_value.tags(&[("team", string(&long))]);
        cases.extend([
            Case {
                name: "description".into(),
                config: description,
                summary: "Description too long",
                path: "description".into(),
            },
            Case {
                name: "tag key".into(),
                config: tag_key,
                summary: "Invalid tag key length",
                path: format!("tags[{long:?}]"),
            },
            Case {
                name: "tag value".into(),
                config: tag_value,
                summary: "Tag value too long",
                path: "tags[\"team\"]".into(),
            },
        ]);
        failures.extend(run_cases(what, cases).await);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Control characters, invisible and bidirectional formatting characters, letters
/// outside ASCII, emoji and a combining accent.
const ODD_CHARACTERS: &[(&str, &str)] = &[
    ("NUL", "prod\u{0}"),
    ("newline", "prod\nnext"),
    ("tab", "prod\t"),
    ("escape", "\u{1b}[31mprod"),
    ("delete", "prod\u{7f}"),
    ("right-to-left override", "\u{202e}dorp"),
    ("zero-width space", "pr\u{200b}od"),
    ("byte order mark", "\u{feff}prod"),
    ("accented letter", "pröd"),
    ("combining accent", "pro\u{301}d"),
    ("Cyrillic look-alike", "\u{440}rod"),
    ("emoji", "prod-\u{1f980}"),
    ("fullwidth letters", "\u{ff50}\u{ff52}\u{ff4f}\u{ff44}"),
];

#[tokio::test]
async fn unicode_and_control_characters_in_every_string_attribute() {
    let mut failures = Vec::new();
    for (what, odd) in ODD_CHARACTERS {
        failures.extend(run_cases(what, every_string_attribute(odd, &[])).await);
        // Cloud Map's API model sets no pattern on descriptions and tags: any text of
        // the right length is accepted, and nothing about it is reported.
        let mut config = Config::valid();
        config
            .set("description", *odd)
            .tags(&[(odd, string(odd)), ("team", string(odd))]);
        let found = validate(&config.value()).await;
        if !found.is_empty() {
            failures.push(format!("{what} in description and tags: {found:?}"));
        }
        // A null entry or port name under such a key: no example built from the key.
        let mut config = Config::valid();
        config.service(odd, &[]);
        if let Some(services) = config.services.as_mut() {
            services.insert(format!("{odd}2"), None);
        }
        let found = validate(&config.value()).await;
        assert_clear(what, &found);
        if found.iter().any(|d| d.detail.contains("such as")) {
            failures.push(format!("{what}: an example made of the key: {found:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // The VPC id's length counts characters, not bytes: 8 characters, one not hex.
    let mut config = Config::valid();
    config.set("vpc_id", "vpc-abcdef0\u{e9}");
    let found = validate(&config.value()).await;
    assert_only_error("vpc-abcdef0é", &found, "Invalid VPC id", "vpc_id");
    assert!(
        found[0]
            .detail
            .contains("it contains 'é', which is not a lowercase hexadecimal digit"),
        "{found:?}"
    );
}

#[tokio::test]
async fn a_thousand_services() {
    let thousand = |edit: &dyn Fn(usize) -> Vec<(&'static str, Value)>| {
        let mut config = Config::valid();
        config.services = None;
        for i in 0..1_000 {
            config.service(&format!("svc-{i:04}"), &edit(i));
        }
        config.value()
    };
    // All valid: no diagnostic, quickly.
    let valid = thousand(&|i| vec![("port_name", string(&format!("svc-{i}-8080-tcp")))]);
    let started = Instant::now();
    let found = validate(&valid).await;
    assert!(found.is_empty(), "{found:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "validating 1,000 services took {:?}",
        started.elapsed()
    );
    // All with one discovery name: each after the first is reported at its own entry.
    let same = thousand(&|_| {
        vec![
            ("port_name", string("app-8080-tcp")),
            ("discovery_name", string("app")),
        ]
    });
    let found = validate(&same).await;
    assert_clear("1,000 services with one discovery name", &found);
    assert_eq!(found.len(), 999, "{:?}", &found[..3.min(found.len())]);
    for (i, d) in (1..1_000).zip(&found) {
        assert_eq!(d.summary, "Duplicate discovery name");
        assert_eq!(d.path, format!("services[\"svc-{i:04}\"]"));
        assert!(d.detail.contains("services[\"svc-0000\"]"), "{d:?}");
    }
    // All with the port out of range.
    let found = validate(&thousand(&|i| {
        vec![
            ("port_name", string(&format!("svc-{i}-8080-tcp"))),
            ("port", Value::Number(Number::from(70_000 + i as i64))),
        ]
    }))
    .await;
    assert_clear("1,000 ports out of range", &found);
    assert_eq!(found.len(), 1_000);
    assert!(found.iter().all(|d| d.summary == "Port out of range"));
}

#[tokio::test]
async fn null_and_empty_values_everywhere() {
    // (what, edit, the errors it must give as (summary, path); none: accepted)
    type Edit = Box<dyn Fn(&mut Config)>;
    type Expected = Vec<(&'static str, &'static str)>;
    let cases: Vec<(&str, Edit, Expected)> = vec![
        (
            "everything null",
            Box::new(|c| {
                c.top.clear();
                c.services = None;
                c.set("cluster", Value::Null);
            }),
            vec![
                ("Missing required value", "cluster"),
                ("No namespace", "namespace"),
            ],
        ),
        (
            "everything empty",
            Box::new(|c| {
                for name in ["cluster", "namespace", "vpc_id", "description"] {
                    c.set(name, "");
                }
                c.services = Some(BTreeMap::new());
                c.tags(&[]).clients(&[]);
                c.timeouts = Some(BTreeMap::new());
            }),
            vec![
                ("Invalid ECS cluster", "cluster"),
                ("Invalid namespace name", "namespace"),
                ("Invalid VPC id", "vpc_id"),
            ],
        ),
        (
            "empty namespace_id",
            Box::new(|c| {
                c.set("namespace", Value::Null)
                    .set("vpc_id", Value::Null)
                    .set("namespace_id", "");
            }),
            vec![("Invalid namespace id", "namespace_id")],
        ),
        (
            "empty strings in a service",
            Box::new(|c| {
                c.backend("port_name", "")
                    .backend("discovery_name", "")
                    .backend("dns_name", "");
            }),
            vec![
                ("Invalid port name", "services[\"backend\"]"),
                ("Invalid discovery name", "services[\"backend\"]"),
                ("Invalid DNS name", "services[\"backend\"]"),
            ],
        ),
        (
            "an empty services key",
            Box::new(|c| {
                c.service("", &[("port_name", string("x-80-tcp"))]);
            }),
            vec![("Invalid ECS service name", "services[\"\"]")],
        ),
        (
            "an entry with every attribute null",
            Box::new(|c| {
                c.service("orders", &[]);
            }),
            vec![("Missing required value", "services[\"orders\"]")],
        ),
        (
            "a null entry",
            Box::new(|c| {
                if let Some(services) = c.services.as_mut() {
                    services.insert("orders".into(), None);
                }
            }),
            vec![("Missing required value", "services[\"orders\"]")],
        ),
        (
            "an empty and a null client",
            Box::new(|c| {
                c.clients(&[string(""), Value::Null]);
            }),
            vec![
                ("Missing required value", "client_services"),
                ("Invalid ECS service name", "client_services"),
            ],
        ),
        (
            "empty and null timeouts",
            Box::new(|c| {
                c.timeout("create", "")
                    .timeout("update", Value::Null)
                    .timeout("delete", "");
            }),
            vec![
                ("Invalid duration", "timeouts"),
                ("Invalid duration", "timeouts"),
            ],
        ),
        (
            "an empty tag key and a null tag value",
            Box::new(|c| {
                c.tags(&[("", string("v")), ("team", Value::Null)]);
            }),
            vec![
                ("Missing required value", "tags[\"team\"]"),
                ("Invalid tag key length", "tags[\"\"]"),
            ],
        ),
        (
            "empty description, tags, services, clients and timeouts",
            Box::new(|c| {
                c.set("description", "").tags(&[]).clients(&[]);
                c.timeouts = Some(BTreeMap::new());
            }),
            vec![],
        ),
        (
            "null optional attributes",
            Box::new(|c| {
                for name in ["description", "tags", "client_services", "timeouts"] {
                    c.set(name, Value::Null);
                }
                c.backend("discovery_name", Value::Null)
                    .backend("dns_name", Value::Null)
                    .backend("port", Value::Null);
            }),
            vec![],
        ),
    ];
    let mut failures = Vec::new();
    for (what, edit, expected) in cases {
        let mut config = Config::valid();
        edit(&mut config);
        let found = validate(&config.value()).await;
        assert_clear(what, &found);
        let mut seen: Vec<(&str, &str)> = found
            .iter()
            .filter(|d| d.error)
            .map(|d| (d.summary.as_str(), d.path.as_str()))
            .collect();
        let mut expected = expected;
        seen.sort();
        expected.sort();
        if seen != expected {
            failures.push(format!("{what}: {seen:?} instead of {expected:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn names_equal_except_for_case() {
    // ECS service names are compared as written: "Backend" and "backend" are two
    // services, each checked on its own. Their discovery names default to the service
    // name, and a discovery name is a DNS label, lowercase only: "Backend" is refused
    // with a suggestion, so two case variants can never share a Cloud Map service.
    let mut config = Config::valid();
    config.service("Backend", &[("port_name", string("backend-8080-tcp"))]);
    let found = validate(&config.value()).await;
    assert_only_error(
        "Backend beside backend",
        &found,
        "Invalid default discovery name",
        "services[\"Backend\"]",
    );
    // With its own discovery name, the case variant is another service.
    config.service(
        "Backend",
        &[
            ("port_name", string("backend-8080-tcp")),
            ("discovery_name", string("backend-2")),
        ],
    );
    assert_eq!(validate(&config.value()).await, Vec::new());
    // Upper case where DNS names go: refused, wherever it is.
    for (what, edit, summary, path) in [
        (
            "discovery name",
            ("discovery_name", "Backend"),
            "Invalid discovery name",
            "services[\"backend\"]",
        ),
        (
            "DNS name",
            ("dns_name", "Backend.internal.myapp"),
            "Invalid DNS name",
            "services[\"backend\"]",
        ),
        (
            "port name",
            ("port_name", "Backend-8080-tcp"),
            "Invalid port name",
            "services[\"backend\"]",
        ),
    ] {
        let mut config = Config::valid();
        config.backend(edit.0, edit.1);
        assert_only_error(what, &validate(&config.value()).await, summary, path);
    }
    // A server and a client that differ in case are two ECS services.
    let mut config = Config::valid();
    config.clients(&[string("BACKEND"), string("Frontend"), string("frontend")]);
    assert_eq!(validate(&config.value()).await, Vec::new());
    // The same name exactly is refused.
    config.clients(&[string("backend")]);
    assert_only_error(
        "backend as server and client",
        &validate(&config.value()).await,
        "Service listed twice",
        "client_services",
    );
}

#[tokio::test]
async fn namespace_names_with_a_trailing_dot_or_upper_case() {
    for (name, reason) in [
        ("internal.myapp.", "it ends with a dot"),
        ("Internal.myapp", "uppercase letter 'I'"),
        ("internal.MyApp", "uppercase letter 'M'"),
        ("INTERNAL.MYAPP.", "uppercase letter 'I'"),
        (".", "it starts with a dot"),
        ("..", "it starts with a dot"),
        ("internal.myapp..", "it ends with a dot"),
        ("internal..myapp", "empty label"),
        ("internal.myapp.\u{0}", "'\\0'"),
        ("ınternal.myapp", "'ı'"),
        ("internal.myapp\u{3002}", "'\u{3002}'"),
    ] {
        let mut config = Config::valid();
        config.set("namespace", name);
        let found = validate(&config.value()).await;
        assert_only_error(name, &found, "Invalid namespace name", "namespace");
        assert!(found[0].detail.contains(reason), "{name}: {:?}", found[0]);
    }
    // The names derived from a namespace are not reported again: one error, at the
    // namespace, even with a service whose DNS name would end in it.
    let mut config = Config::valid();
    config.set("namespace", "Internal.MyApp.");
    assert_eq!(validate(&config.value()).await.len(), 1);
    // A DNS name with a trailing dot, upper case in a namespace id.
    let mut config = Config::valid();
    config.backend("dns_name", "backend.internal.myapp.");
    let found = validate(&config.value()).await;
    assert_only_error(
        "dns_name",
        &found,
        "Invalid DNS name",
        "services[\"backend\"]",
    );
    assert!(found[0].detail.contains("it ends with a dot"), "{found:?}");
    let mut config = Config::valid();
    config
        .set("namespace", Value::Null)
        .set("vpc_id", Value::Null)
        .set("namespace_id", "NS-ABCDEFGHIJKLMNOP");
    let found = validate(&config.value()).await;
    assert_only_error(
        "namespace_id",
        &found,
        "Invalid namespace id",
        "namespace_id",
    );
}

#[tokio::test]
async fn numbers_far_out_of_range() {
    for (text, summary, words) in [
        ("1e10000", "Invalid number", "far outside any valid range"),
        ("-1e10000", "Invalid number", "far outside any valid range"),
        ("1e-10000", "Invalid number", "not a whole number"),
        (
            "123456789012345678901234567890.5",
            "Invalid number",
            "not a whole number",
        ),
        ("18446744073709551616", "Invalid number", "far outside"),
        (
            "-9223372036854775808",
            "Port out of range",
            "outside 1 to 65535",
        ),
    ] {
        for attribute in [
            "port",
            "ingress_port_override",
            "idle_timeout_seconds",
            "per_request_timeout_seconds",
        ] {
            let mut config = Config::valid();
            config.backend(attribute, number(text));
            let found = validate(&config.value()).await;
            let case = format!("{attribute} = {text}");
            assert_clear(&case, &found);
            assert_eq!(found.len(), 1, "{case}: {found:?}");
            assert_eq!(found[0].path, "services[\"backend\"]", "{case}");
            assert!(found[0].detail.contains(attribute), "{case}: {found:?}");
            if attribute == "port" || summary == "Invalid number" {
                assert_eq!(found[0].summary, summary, "{case}");
                assert!(found[0].detail.contains(words), "{case}: {found:?}");
            }
        }
    }
}

/// A value the wire format cannot carry (a number beyond the supported range, text
/// that is no number) is refused where it is, as Terraform would show it.
#[tokio::test]
async fn undecodable_wire_values_are_refused_at_their_path() {
    let ty = resource_type();
    let mut config = Config::valid();
    config.backend("port", Value::Null);
    let value = config.value();
    let json = String::from_utf8(encode_json(&value, &ty).expect("JSON")).expect("UTF-8");
    for replacement in ["1e99999", "\"eighty\"", "[8080]", "{\"a\":1}"] {
        let hostile = json.replacen("\"port\":null", &format!("\"port\":{replacement}"), 1);
        assert_ne!(hostile, json, "the port is in the JSON: {json}");
        let found = validate_encoded(pb::DynamicValue {
            msgpack: Vec::new(),
            json: hostile.into_bytes(),
        })
        .await;
        let case = format!("port = {replacement}");
        assert_clear(&case, &found);
        assert_eq!(found.len(), 1, "{case}: {found:?}");
        assert!(found[0].error, "{case}: {found:?}");
        assert!(
            found[0].path.starts_with("services[\"backend\"]"),
            "{case}: {found:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// The fuzz targets' kept regressions
// ---------------------------------------------------------------------------------------

#[path = "../fuzz/fuzz_targets/common.rs"]
#[allow(clippy::duplicate_mod)]
mod fuzz_common;

/// The inputs kept in fuzz/regressions/<target>/ once failed the target: each is run
/// through the same property again (fuzz_common::round_trip). The validate_config
/// target's regressions are test cases above.
#[test]
fn fuzz_regressions_stay_fixed() {
    use servicemesh::protocol::value::{decode_json, decode_msgpack};
    let targets: [(&str, fuzz_common::Decode, fuzz_common::Encode, bool); 2] = [
        ("msgpack_value", decode_msgpack, encode_msgpack, true),
        ("json_value", decode_json, encode_json, false),
    ];
    let mut replayed = 0;
    for (target, decode, encode, infinity_encodes) in targets {
        let dir = repo_root().join("fuzz/regressions").join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            let data = std::fs::read(&path).expect("reading a regression");
            replayed += 1;
            if let Err(broken) = fuzz_common::round_trip(&data, decode, encode, infinity_encodes) {
                panic!("{}: {broken}", path.display());
            }
        }
    }
    assert!(replayed >= 2, "the kept regressions are found: {replayed}");
}

// ---------------------------------------------------------------------------------------
// Through real Terraform
// ---------------------------------------------------------------------------------------

/// A string as an HCL quoted template that Terraform reads back as exactly `text`.
fn hcl(text: &str) -> String {
    let mut out = String::from("\"");
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// main.tf with one `servicemesh_internal.mesh` of these body lines.
fn main_tf(body: &[String]) -> String {
    let lines: String = body.iter().map(|line| format!("  {line}\n")).collect();
    format!(
        "{}\nprovider \"servicemesh\" {{}}\n\nresource \"servicemesh_internal\" \"mesh\" {{\n{lines}}}\n",
        required_providers()
    )
}

/// main.tf with a mesh of 1,000 services `svc-0000` … `svc-0999` in the seed's cluster,
/// entry `i` holding `entry(i)`.
fn thousand_services(vpc: &str, entry: impl Fn(usize) -> String) -> String {
    let mut body = vec![
        format!("cluster = \"{CLUSTER}\""),
        "namespace = \"internal.myapp\"".into(),
        format!("vpc_id = \"{vpc}\""),
        "services = {".into(),
    ];
    body.extend((0..1_000).map(|i| format!("  svc-{i:04} = {{ {} }}", entry(i))));
    body.push("}".into());
    main_tf(&body)
}

/// (summary, line) of each error Terraform printed with -no-color.
fn printed_errors(outcome: &Outcome) -> Vec<(String, Option<usize>)> {
    let text = outcome.output();
    let lines: Vec<&str> = text.lines().collect();
    let mut errors = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(summary) = line.strip_prefix("Error: ") else {
            continue;
        };
        let at = lines[i + 1..]
            .iter()
            .take_while(|l| !l.starts_with("Error: ") && !l.starts_with("Warning: "))
            .find_map(|l| l.trim_start().strip_prefix("on main.tf line "))
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok());
        errors.push((summary.trim().to_string(), at));
    }
    errors
}

/// What must hold after any hostile configuration: Terraform answered (no crash of the
/// provider, no panic), left no process behind, and AWS saw `allowed` calls at most.
fn assert_survived(
    what: &str,
    outcome: &Outcome,
    counters: &Counters,
    allowed: &dyn Fn(&str) -> bool,
) {
    let text = outcome.output();
    for sign in [
        "panicked",
        "plugin crashed",
        "stack backtrace",
        "Plugin did not respond",
    ] {
        assert!(
            !text.contains(sign),
            "{what}: {sign:?} in\n{}",
            cut(&text, 4_000)
        );
    }
    assert!(
        outcome.leftover_processes.is_empty(),
        "{what}: processes left: {:?}",
        outcome.leftover_processes
    );
    let calls: Vec<String> = counters
        .calls
        .iter()
        .filter(|(operation, count)| **count > 0 && !allowed(operation))
        .map(|(operation, count)| format!("{operation} ×{count}"))
        .collect();
    assert!(calls.is_empty(), "{what}: AWS calls {calls:?}");
}

/// A read-only AWS call: what a plan may make.
fn is_read(operation: &str) -> bool {
    let verb = operation.split_once(':').map_or("", |(_, verb)| verb);
    ["Describe", "List", "Get", "Discover"]
        .iter()
        .any(|prefix| verb.starts_with(prefix))
        || operation.starts_with("sts:GetCallerIdentity")
}

/// Runs `terraform validate` and then `terraform plan` on `text`: both must fail with
/// exactly `expected` errors, as (summary, needle of the line Terraform points at), and
/// neither may call AWS.
async fn refused_everywhere(
    emulator: &Emulator,
    dir: &Workdir,
    what: &str,
    text: &str,
    expected: &[(&str, &str)],
) {
    dir.write("main.tf", text);
    let mut expected: Vec<(String, Option<usize>)> = expected
        .iter()
        .map(|(summary, needle)| (summary.to_string(), Some(line_of(text, needle))))
        .collect();
    expected.sort();
    for command in ["validate", "plan"] {
        emulator.reset_counters().await;
        let outcome = dir.run(&[command, "-no-color"]);
        let counters = emulator.counters().await;
        let case = format!("{what}, terraform {command}");
        assert_survived(&case, &outcome, &counters, &|_| false);
        assert_eq!(
            outcome.code,
            1,
            "{case}:\n{}",
            cut(&outcome.to_string(), 6_000)
        );
        let mut errors = printed_errors(&outcome);
        errors.sort();
        assert_eq!(
            errors,
            expected,
            "{case}:\n{}",
            cut(&outcome.to_string(), 6_000)
        );
        assert!(
            outcome.elapsed < Duration::from_secs(60),
            "{case} took {:?}",
            outcome.elapsed
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_configurations_through_terraform_change_nothing() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    let vpc = world.vpc_id.as_str();
    let long = "a".repeat(LONG);

    // 10,000 characters in every string attribute at once.
    let text = main_tf(&[
        format!("cluster     = {}", hcl(&long)),
        format!("namespace   = {}", hcl(&format!("n{long}"))),
        format!("vpc_id      = {}", hcl(&format!("vpc-{long}"))),
        format!("description = {}", hcl(&format!("d{long}"))),
        format!(
            "tags = {{ {} = {} }}",
            hcl(&format!("k{long}")),
            hcl(&format!("v{long}"))
        ),
        "services = {".into(),
        format!(
            "  {} = {{ port_name = \"x-80-tcp\" }}",
            hcl(&format!("s{long}"))
        ),
        format!(
            "  backend = {{ port_name = {}, discovery_name = {}, dns_name = {} }}",
            hcl(&format!("p{long}")),
            hcl(&format!("q{long}")),
            hcl(&format!("r{long}"))
        ),
        "}".into(),
        format!("client_services = [{}]", hcl(&format!("c{long}"))),
        format!("timeouts = {{ create = {} }}", hcl(&format!("1{long}"))),
    ]);
    refused_everywhere(
        &emulator,
        &dir,
        "10,000 characters everywhere",
        &text,
        &[
            ("Invalid ECS cluster", "cluster     ="),
            ("Invalid namespace name", "namespace   ="),
            ("Invalid VPC id", "vpc_id      ="),
            ("Description too long", "description ="),
            ("Invalid tag key length", "tags = {"),
            ("Tag value too long", "tags = {"),
            ("Invalid ECS service name", "x-80-tcp"),
            ("Invalid port name", "backend = {"),
            ("Invalid discovery name", "backend = {"),
            ("Invalid DNS name", "backend = {"),
            ("Invalid ECS service name", "client_services ="),
            ("Invalid duration", "timeouts = {"),
        ],
    )
    .await;

    // Control characters and Unicode through HCL's escapes, in every attribute.
    let odd = |prefix: &str| hcl(&format!("{prefix}\u{0}\u{7}\u{1b}[0m\u{202e}ö\u{1f980}"));
    let text = main_tf(&[
        format!("cluster   = {}", odd("prod")),
        format!("namespace = {}", odd("internal.myapp")),
        format!("vpc_id    = {}", odd("vpc-")),
        format!("description = {}", odd("fine")),
        format!("tags = {{ team = {} }}", odd("fine")),
        "services = {".into(),
        format!("  {} = {{ port_name = \"x-80-tcp\" }}", odd("svc")),
        format!(
            "  backend = {{ port_name = {}, discovery_name = {}, dns_name = {} }}",
            odd("backend-8080-tcp"),
            odd("backend"),
            odd("backend.internal.myapp")
        ),
        "}".into(),
        format!("client_services = [{}]", odd("frontend")),
        format!("timeouts = {{ delete = {} }}", odd("20m")),
    ]);
    refused_everywhere(
        &emulator,
        &dir,
        "control characters and Unicode everywhere",
        &text,
        &[
            ("Invalid ECS cluster", "cluster   ="),
            ("Invalid namespace name", "namespace ="),
            ("Invalid VPC id", "vpc_id    ="),
            ("Invalid ECS service name", "x-80-tcp"),
            ("Invalid port name", "backend = {"),
            ("Invalid discovery name", "backend = {"),
            ("Invalid DNS name", "backend = {"),
            ("Invalid ECS service name", "client_services ="),
            ("Invalid duration", "timeouts = {"),
        ],
    )
    .await;

    // Empty values everywhere, and namespace names with a trailing dot and upper case.
    let text = main_tf(&[
        "cluster = \"\"".into(),
        "namespace = \"Internal.MyApp.\"".into(),
        format!("vpc_id = \"{vpc}\""),
        "description = \"\"".into(),
        "tags = {}".into(),
        "services = {".into(),
        "  \"\" = { port_name = \"\" }".into(),
        "  Backend = { port_name = \"backend-8080-tcp\", dns_name = \"backend.internal.myapp.\" }"
            .into(),
        "}".into(),
        "client_services = [\"\"]".into(),
        "timeouts = { create = \"\" }".into(),
    ]);
    refused_everywhere(
        &emulator,
        &dir,
        "empty values, case and trailing dots",
        &text,
        &[
            ("Invalid ECS cluster", "cluster ="),
            ("Invalid namespace name", "namespace ="),
            ("Invalid ECS service name", "\"\" = {"),
            ("Invalid port name", "\"\" = {"),
            ("Invalid default discovery name", "Backend = {"),
            ("Invalid DNS name", "Backend = {"),
            ("Invalid ECS service name", "client_services ="),
            // The empty name is in services as well.
            ("Service listed twice", "client_services ="),
            ("Invalid duration", "timeouts = {"),
        ],
    )
    .await;

    // Numbers: one beyond any range the rules know, one beyond what the provider
    // decodes at all. Both at the entry's line.
    let text = main_tf(&[
        format!("cluster = \"{CLUSTER}\""),
        "namespace = \"internal.myapp\"".into(),
        format!("vpc_id = \"{vpc}\""),
        "services = {".into(),
        "  backend = { port_name = \"backend-8080-tcp\", port = 1e9999 }".into(),
        "}".into(),
    ]);
    refused_everywhere(
        &emulator,
        &dir,
        "a port of 10,000 digits",
        &text,
        &[("Invalid number", "backend = {")],
    )
    .await;
    let text = text.replace("1e9999", "1e99999");
    refused_everywhere(
        &emulator,
        &dir,
        "a port of 100,000 digits",
        &text,
        &[("Invalid configuration from Terraform", "backend = {")],
    )
    .await;

    // A thousand services, every hundredth with a port out of range: ten errors, each on
    // its own entry's line. (A thousand errors at once are checked in this process
    // above: Terraform itself takes about 25 s to print that many.)
    let text = thousand_services(vpc, |i| {
        let port = if i % 100 == 99 { 0 } else { 8080 };
        format!("port_name = \"p-80-tcp\", port = {port}")
    });
    dir.write("main.tf", &text);
    emulator.reset_counters().await;
    let outcome = dir.run(&["validate", "-no-color"]);
    assert_survived(
        "1,000 services, 10 bad ports",
        &outcome,
        &emulator.counters().await,
        &|_| false,
    );
    assert_eq!(outcome.code, 1, "{}", cut(&outcome.to_string(), 4_000));
    let mut errors = printed_errors(&outcome);
    errors.sort();
    let expected: Vec<(String, Option<usize>)> = (0..10)
        .map(|n| {
            let entry = format!("svc-{:04} =", n * 100 + 99);
            (
                "Port out of range".to_string(),
                Some(line_of(&text, &entry)),
            )
        })
        .collect();
    assert_eq!(errors, expected, "{}", cut(&outcome.to_string(), 4_000));

    // A thousand services of a valid form that do not exist: the plan reads AWS,
    // warns once about all of them, and writes nothing.
    dir.write(
        "main.tf",
        &thousand_services(vpc, |_| "port_name = \"p-80-tcp\"".to_string()),
    );
    emulator.reset_counters().await;
    let outcome = dir.run(&["plan", "-no-color"]);
    assert_survived(
        "1,000 services that do not exist",
        &outcome,
        &emulator.counters().await,
        &is_read,
    );
    assert_eq!(outcome.code, 0, "{}", cut(&outcome.to_string(), 4_000));
    // One warning for all of them, naming the first ten and the count.
    let text = outcome.flat_output();
    let tail: String = text
        .chars()
        .skip(text.chars().count().saturating_sub(3_000))
        .collect();
    assert_eq!(
        text.matches("Warning: ECS services not found (yet)")
            .count(),
        1,
        "{tail}"
    );
    assert!(
        text.contains(
            "1000 ECS services in cluster prod do not exist: svc-0000, svc-0001, svc-0002, \
             svc-0003, svc-0004, svc-0005, svc-0006, svc-0007, svc-0008, svc-0009 and 990 more."
        ),
        "{tail}"
    );
    assert!(
        world::namespaces(&emulator).await.is_empty(),
        "nothing was created"
    );
}
