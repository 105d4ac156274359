//! `servicemesh_internal` configurations built from the input (names near and far from
//! valid, nulls, unknowns, odd numbers, many entries), encoded as Terraform does and
//! sent to ValidateResourceConfig in this process. The answer must come (no panic), and
//! every diagnostic must be an error or warning with a summary, a detail of bounded
//! length and, for an error, an attribute path that exists in the schema.

#![no_main]

#[path = "common.rs"]
mod common;

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use servicemesh::protocol::proto::tfplugin6 as pb;
use servicemesh::protocol::proto::tfplugin6::provider_server::Provider as _;
use servicemesh::protocol::server::MAX_MESSAGE_BYTES;
use servicemesh::protocol::value::{Number, Type, Value, encode_msgpack};

/// Strings that pass or nearly pass the rules, so the fuzzer reaches the rules that
/// need several valid values at once.
const WORDS: &[&str] = &[
    "",
    "prod",
    "backend",
    "Backend",
    "orders",
    "api",
    "backend-8080-tcp",
    "internal.myapp",
    "internal.myapp.",
    "Internal.MyApp",
    "backend.internal.myapp",
    "vpc-0abc1234",
    "vpc-0abc1234def567890",
    "ns-abcdefghijklmnop",
    "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
    "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-abcdefghijklmnop",
    "20m",
    "1h30m",
    "-5m",
    "0s",
    "aws:team",
    "-",
    ".",
    "\u{0}",
    "é",
    "\u{202e}",
];

#[derive(Arbitrary, Debug)]
enum Text {
    Null,
    Unknown,
    Word(u8),
    Free(String),
    /// A word repeated: values of up to about LONGEST characters.
    Long(u8, u16),
}

#[derive(Arbitrary, Debug)]
enum Num {
    Null,
    Unknown,
    Int(i64),
    Float(f64),
    /// Decimal text (exponents, fractions, many digits), if it parses.
    Decimal(String),
}

#[derive(Arbitrary, Debug)]
struct Service {
    port_name: Text,
    discovery_name: Text,
    dns_name: Text,
    port: Num,
    ingress_port_override: Num,
    idle_timeout_seconds: Num,
    per_request_timeout_seconds: Num,
}

#[derive(Arbitrary, Debug)]
struct Config {
    cluster: Text,
    namespace: Text,
    vpc_id: Text,
    namespace_id: Text,
    description: Text,
    tags: Option<Vec<(Text, Text)>>,
    services: Option<Vec<(Text, Option<Option<Service>>)>>,
    /// Copies of one service under generated names: large maps.
    many_services: Option<(u16, Service)>,
    client_services: Option<Vec<Text>>,
    wait_for_steady_state: Option<Option<bool>>,
    timeouts: Option<(Text, Text, Text)>,
}

/// The longest value built (a little more than the 10,000 characters of the hostile
/// input tests). Longer ones only make each run slower: 1,500 services of three such
/// values are 54 MB of configuration already.
const LONGEST: usize = 12_000;

fn word(index: u8) -> &'static str {
    WORDS[usize::from(index) % WORDS.len()]
}

/// `word(index)` repeated `count` times, within LONGEST characters.
fn long(index: u8, count: u16) -> String {
    let word = word(index);
    let most = LONGEST / word.len().max(1) + 1;
    word.repeat(usize::from(count) % most)
}

fn text(text: &Text) -> Value {
    match text {
        Text::Null => Value::Null,
        Text::Unknown => Value::unknown(),
        Text::Word(index) => Value::from(word(*index)),
        Text::Free(free) => Value::from(free.as_str()),
        Text::Long(index, count) => Value::from(long(*index, *count).as_str()),
    }
}

/// A map key: never null or unknown (Terraform's map keys are always known).
fn key(text: &Text) -> String {
    match text {
        Text::Null | Text::Unknown => String::new(),
        Text::Word(index) => word(*index).to_string(),
        Text::Free(free) => free.clone(),
        Text::Long(index, count) => long(*index, *count),
    }
}

fn number(number: &Num) -> Value {
    match number {
        Num::Null => Value::Null,
        Num::Unknown => Value::unknown(),
        Num::Int(int) => Value::Number(Number::from(*int)),
        Num::Float(float) => Number::from_f64(*float).map_or(Value::Null, Value::Number),
        Num::Decimal(text) => text.parse::<Number>().map_or(Value::Null, Value::Number),
    }
}

/// An object of type `ty` with `set` attributes and every other one null.
fn object(ty: &Type, set: Vec<(&str, Value)>) -> Value {
    let mut attributes: BTreeMap<String, Value> = ty
        .attribute_types()
        .map(|types| {
            types
                .keys()
                .map(|name| (name.clone(), Value::Null))
                .collect()
        })
        .unwrap_or_default();
    for (name, value) in set {
        attributes.insert(name.to_string(), value);
    }
    Value::object(attributes)
}

fn service_value(ty: &Type, service: &Service) -> Value {
    object(
        ty,
        vec![
            ("port_name", text(&service.port_name)),
            ("discovery_name", text(&service.discovery_name)),
            ("dns_name", text(&service.dns_name)),
            ("port", number(&service.port)),
            (
                "ingress_port_override",
                number(&service.ingress_port_override),
            ),
            (
                "idle_timeout_seconds",
                number(&service.idle_timeout_seconds),
            ),
            (
                "per_request_timeout_seconds",
                number(&service.per_request_timeout_seconds),
            ),
        ],
    )
}

fn config_value(ty: &Type, config: &Config) -> Value {
    let service_type = ty
        .attribute_type("services")
        .and_then(Type::element_type)
        .cloned()
        .unwrap_or(Type::Dynamic);
    let timeouts_type = ty
        .attribute_type("timeouts")
        .cloned()
        .unwrap_or(Type::Dynamic);
    let tags = config.tags.as_ref().map_or(Value::Null, |tags| {
        Value::map(tags.iter().map(|(k, v)| (key(k), text(v))))
    });
    let mut services: Option<BTreeMap<String, Value>> = config.services.as_ref().map(|entries| {
        entries
            .iter()
            .map(|(name, entry)| {
                let value = match entry {
                    None => Value::Null,
                    Some(None) => Value::unknown(),
                    Some(Some(service)) => service_value(&service_type, service),
                };
                (key(name), value)
            })
            .collect()
    });
    if let Some((count, service)) = &config.many_services {
        let entries = services.get_or_insert_with(BTreeMap::new);
        for i in 0..(count % 1_500) {
            entries.insert(format!("svc-{i}"), service_value(&service_type, service));
        }
    }
    let clients = config
        .client_services
        .as_ref()
        .map_or(Value::Null, |clients| {
            let mut elements: Vec<Value> = clients.iter().map(text).collect();
            // A set: no two known elements alike.
            elements.sort_by_key(|v| format!("{v:?}"));
            elements.dedup();
            Value::Set(elements)
        });
    let timeouts = config.timeouts.as_ref().map_or(Value::Null, |(c, u, d)| {
        object(
            &timeouts_type,
            vec![
                ("create", text(c)),
                ("update", text(u)),
                ("delete", text(d)),
            ],
        )
    });
    object(
        ty,
        vec![
            ("cluster", text(&config.cluster)),
            ("namespace", text(&config.namespace)),
            ("vpc_id", text(&config.vpc_id)),
            ("namespace_id", text(&config.namespace_id)),
            ("description", text(&config.description)),
            ("tags", tags),
            ("services", services.map_or(Value::Null, Value::Map)),
            ("client_services", clients),
            (
                "wait_for_steady_state",
                match config.wait_for_steady_state {
                    None => Value::Null,
                    Some(None) => Value::unknown(),
                    Some(Some(wait)) => Value::Bool(wait),
                },
            ),
            ("timeouts", timeouts),
        ],
    )
}

/// The longest detail a diagnostic may have: a value is quoted cut, never whole.
const MAX_DETAIL: usize = 2_000;

fuzz_target!(|config: Config| {
    let ty = common::resource_type();
    let value = config_value(ty, &config);
    let Ok(msgpack) = encode_msgpack(&value, ty) else {
        return;
    };
    // The gRPC server refuses larger messages before any decoding (as Terraform's own
    // plugin servers do).
    if msgpack.len() > MAX_MESSAGE_BYTES {
        return;
    }
    let request = pb::validate_resource_config::Request {
        type_name: common::RESOURCE.to_string(),
        config: Some(pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        }),
        client_capabilities: None,
    };
    let answer = futures::executor::block_on(
        common::service().validate_resource_config(tonic::Request::new(request)),
    );
    let answer = match answer {
        Ok(answer) => answer.into_inner(),
        Err(status) => panic!("ValidateResourceConfig failed: {status}"),
    };
    for diagnostic in &answer.diagnostics {
        let severity = pb::diagnostic::Severity::try_from(diagnostic.severity);
        assert!(
            matches!(
                severity,
                Ok(pb::diagnostic::Severity::Error | pb::diagnostic::Severity::Warning)
            ),
            "{diagnostic:?}"
        );
        assert!(!diagnostic.summary.is_empty(), "{diagnostic:?}");
        assert!(
            diagnostic.detail.chars().count() <= MAX_DETAIL,
            "a detail of {} characters: {:?}…",
            diagnostic.detail.chars().count(),
            diagnostic.detail.chars().take(200).collect::<String>()
        );
        if severity == Ok(pb::diagnostic::Severity::Error) {
            let path = diagnostic.attribute.as_ref();
            let first = path
                .and_then(|p| p.steps.first())
                .and_then(|s| s.selector.as_ref());
            let Some(pb::attribute_path::step::Selector::AttributeName(name)) = first else {
                panic!("an error without an attribute path: {diagnostic:?}");
            };
            assert!(
                ty.attribute_type(name).is_some(),
                "an error at an attribute the schema does not have: {diagnostic:?}"
            );
        }
    }
});
