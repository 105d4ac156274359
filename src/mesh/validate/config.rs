//! Rules on the whole configuration: presence, conflicts, duplicates, defaults.

use std::collections::BTreeMap;

use super::*;

// ---------------------------------------------------------------------------------------
// The whole configuration
// ---------------------------------------------------------------------------------------

/// Everything wrong with a configuration, in a stable order. Checks whose inputs are
/// unknown are skipped: they run again at plan time, when the values are known.
pub fn validate_config(config: &ConfigView) -> Vec<Violation> {
    let mut out = Vec::new();
    check_required(config, &mut out);
    check_cluster(config, &mut out);
    check_namespace(config, &mut out);
    check_tags(config, &mut out);
    check_services(config, &mut out);
    check_client_services(config, &mut out);
    check_timeouts(config, &mut out);
    check_mesh_settings(config, &mut out);
    check_external(config, &mut out);
    check_mesh_timeouts(config, &mut out);
    out
}

/// Required attributes set to null. Terraform checks that a required attribute is
/// written, not that its value is not null, and never looks inside a map's entries.
pub(super) fn check_required(config: &ConfigView, out: &mut Vec<Violation>) {
    if config.cluster.is_null() {
        out.push(Violation::new(
            Rule::RequiredNull,
            Field::Attribute("cluster"),
            "cluster is null. Set it to the name or ARN of the ECS cluster whose services \
             the mesh wires, such as \"prod\"."
                .to_string(),
        ));
    }
    if let Attr::Known(tags) = &config.tags {
        for key in tags
            .iter()
            .filter(|(_, value)| value.is_null())
            .map(|(key, _)| key)
        {
            out.push(Violation::new(
                Rule::RequiredNull,
                Field::Tag(key.clone()),
                format!(
                    "tags[{}] is null. Give the tag a value (an empty string is allowed), or \
                     remove it.",
                    quote(key)
                ),
            ));
        }
    }
    if let Attr::Known(clients) = &config.client_services
        && clients.iter().any(Attr::is_null)
    {
        let field = Field::Attribute("client_services");
        let detail = format!("{field} contains null. List ECS service names only.");
        out.push(Violation::new(Rule::RequiredNull, field, detail));
    }
    let Some(services) = config.services.known() else {
        return;
    };
    for (key, entry) in services {
        if entry.is_null() {
            out.push(Violation::new(
                Rule::RequiredNull,
                Field::Service {
                    key: key.clone(),
                    attribute: None,
                },
                format!(
                    "{} is null. Give it at least a port_name{}, or remove the entry.",
                    service_entry(key),
                    example_for(key, |key| format!(
                        ", such as {key} = {{ port_name = \"{key}-8080-tcp\" }}"
                    ))
                ),
            ));
        } else if let Attr::Known(service) = entry {
            check_required_endpoints(key, service, out);
        }
    }
}

/// The short form's `port_name`, or each `endpoints` entry and its `port_name`.
fn check_required_endpoints(key: &str, service: &ServiceView, out: &mut Vec<Violation>) {
    match &service.endpoints {
        Attr::Null if service.port_name.is_null() => out.push(Violation::new(
            Rule::RequiredNull,
            service_field(key, "port_name"),
            format!(
                "{}.port_name is null. Set it to the name of the port mapping in the \
                 service's task definition that Service Connect serves{}; for a service with \
                 several ports, set endpoints instead; a service that serves nothing belongs \
                 in client_services.",
                service_entry(key),
                example_for(key, |key| format!(", such as \"{key}-8080-tcp\""))
            ),
        )),
        Attr::Known(endpoints) => {
            for (name, endpoint) in endpoints {
                let at = EndpointAt::long(key, name);
                match endpoint {
                    Attr::Null => out.push(Violation::new(
                        Rule::RequiredNull,
                        at.field(None),
                        format!(
                            "{} is null. Give it a port_name{}, or remove the entry.",
                            at.label(),
                            example_for(key, |key| format!(
                                ", such as {{ port_name = \"{key}-8080-tcp\" }}"
                            ))
                        ),
                    )),
                    Attr::Known(endpoint) if endpoint.port_name.is_null() => {
                        out.push(Violation::new(
                            Rule::RequiredNull,
                            at.field(Some("port_name")),
                            format!(
                                "{}.port_name is null. Set it to the name of the port mapping \
                                 in the service's task definition that this endpoint serves{}.",
                                at.label(),
                                example_for(key, |key| format!(", such as \"{key}-8080-tcp\""))
                            ),
                        ));
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

pub(super) fn check_cluster(config: &ConfigView, out: &mut Vec<Violation>) {
    if let Some(cluster) = config.cluster.known()
        && let Err(reason) = validate_cluster(cluster)
    {
        out.push(Violation::new(
            Rule::ClusterInvalid,
            Field::Attribute("cluster"),
            format!(
                "cluster is {}: {reason}. Use the cluster's name (1 to 255 letters, \
                 digits, hyphens and underscores) or its ARN, such as \
                 \"arn:aws:ecs:eu-west-1:123456789012:cluster/prod\".",
                quote(cluster)
            ),
        ));
    }
}

/// The namespace settings: each value's form, then which of them are set together.
/// Presence: an unknown value may still turn out null, so only known values count as
/// set, and only nulls as unset.
pub(super) fn check_namespace(config: &ConfigView, out: &mut Vec<Violation>) {
    check_namespace_values(config, out);
    check_namespace_conflicts(config, out);
    check_namespace_missing(config, out);
}

fn check_namespace_values(config: &ConfigView, out: &mut Vec<Violation>) {
    if let Some(name) = config.namespace.known()
        && let Err(reason) = validate_namespace_name(name)
    {
        out.push(Violation::new(
            Rule::NamespaceNameInvalid,
            Field::Attribute("namespace"),
            format!(
                "namespace is {}: {reason}. Use a lowercase DNS name of at most 253 \
                 characters made of dot-separated labels of 1 to 63 letters, digits, hyphens \
                 or underscores, such as \"internal.myapp\".",
                quote(name)
            ),
        ));
    }
    if let Some(vpc_id) = config.vpc_id.known()
        && let Err(reason) = validate_vpc_id(vpc_id)
    {
        out.push(Violation::new(
            Rule::VpcIdInvalid,
            Field::Attribute("vpc_id"),
            format!(
                "vpc_id is {}: {reason}. Use the VPC's id, \"vpc-\" followed by 8 or 17 \
                 lowercase hexadecimal digits, such as \"vpc-0abc1234def567890\".",
                quote(vpc_id)
            ),
        ));
    }
    if let Some(id) = config.namespace_id.known()
        && let Err(reason) = validate_namespace_id(id)
    {
        out.push(Violation::new(
            Rule::NamespaceIdInvalid,
            Field::Attribute("namespace_id"),
            format!(
                "namespace_id is {}: {reason}. Use the namespace's id, \"ns-\" followed by \
                 16 lowercase letters or digits, such as \"ns-abcdefghijklmnop\", or the ARN \
                 of a namespace shared with this account through AWS RAM.",
                quote(id)
            ),
        ));
    }
    if let Some(description) = config.description.known() {
        let length = description.chars().count();
        if length > MAX_DESCRIPTION {
            out.push(Violation::new(
                Rule::DescriptionTooLong,
                Field::Attribute("description"),
                format!(
                    "description is {length} characters long, over the Cloud Map limit of \
                     {MAX_DESCRIPTION}. Shorten it."
                ),
            ));
        }
    }
}

/// `namespace_id` (an existing namespace) with what belongs to an owned one.
fn check_namespace_conflicts(config: &ConfigView, out: &mut Vec<Violation>) {
    let set = |a: &Attr<String>| a.is_known();
    if set(&config.namespace_id) && (set(&config.namespace) || set(&config.vpc_id)) {
        let others: Vec<&str> = [("namespace", &config.namespace), ("vpc_id", &config.vpc_id)]
            .into_iter()
            .filter(|(_, a)| set(a))
            .map(|(name, _)| name)
            .collect();
        out.push(Violation::new(
            Rule::NamespaceConflict,
            Field::Attribute("namespace_id"),
            format!(
                "namespace_id is set together with {}. namespace_id wires services onto an \
                 existing namespace; namespace and vpc_id create a new one. Remove \
                 namespace_id, or remove namespace and vpc_id.",
                others.join(" and ")
            ),
        ));
    }
    if set(&config.namespace_id) {
        let owned_only = [
            ("description", !config.description.is_null()),
            ("tags", !config.tags.is_null()),
        ];
        for (attribute, present) in owned_only {
            if present {
                out.push(Violation::new(
                    Rule::OwnedNamespaceOnly,
                    Field::Attribute(attribute),
                    format!(
                        "{attribute} is set, but namespace_id names an existing namespace, which this \
                         resource never changes. Set {attribute} on that namespace where it is managed, \
                         or remove {attribute} here."
                    ),
                ));
            }
        }
    }
}

/// Neither kind of namespace, or an owned one without its VPC.
fn check_namespace_missing(config: &ConfigView, out: &mut Vec<Violation>) {
    let unset = |a: &Attr<String>| a.is_null();
    if unset(&config.namespace_id) && unset(&config.namespace) {
        out.push(Violation::new(
            Rule::NamespaceMissing,
            Field::Attribute("namespace"),
            "Neither namespace nor namespace_id is set. Set namespace and vpc_id to create a \
             private DNS namespace, or namespace_id to use an existing one."
                .to_string(),
        ));
    }
    if unset(&config.namespace_id)
        && let Some(name) = config.namespace.known()
        && unset(&config.vpc_id)
    {
        out.push(Violation::new(
            Rule::VpcIdMissing,
            Field::Attribute("vpc_id"),
            format!(
                "namespace is {} but vpc_id is not set. A private DNS namespace belongs \
                 to a VPC: set vpc_id, or use namespace_id for an existing namespace.",
                quote(name)
            ),
        ));
    }
}

pub(super) fn check_tags(config: &ConfigView, out: &mut Vec<Violation>) {
    let Some(tags) = config.tags.known() else {
        return;
    };
    if tags.len() > MAX_TAGS {
        out.push(Violation::new(
            Rule::TooManyTags,
            Field::Attribute("tags"),
            format!(
                "tags has {} entries, over the Cloud Map limit of {MAX_TAGS} per resource. \
                 Remove {} of them.",
                tags.len(),
                tags.len() - MAX_TAGS
            ),
        ));
    }
    for (key, value) in tags {
        if let Err(reason) = validate_tag_key(key) {
            out.push(Violation::new(
                Rule::TagKeyLength,
                Field::Tag(key.clone()),
                format!(
                    "The tag key {} is not valid: {reason}. Use a key of 1 to {MAX_TAG_KEY} \
                     characters.",
                    quote(key)
                ),
            ));
        }
        if is_reserved_tag_key(key) {
            out.push(Violation::new(
                Rule::TagKeyReserved,
                Field::Tag(key.clone()),
                format!(
                    "The tag key {} starts with \"aws:\", a prefix AWS reserves for its \
                     own tags. Rename the key.",
                    quote(key)
                ),
            ));
        }
        if let Attr::Known(value) = value {
            let length = value.chars().count();
            if length > MAX_TAG_VALUE {
                out.push(Violation::new(
                    Rule::TagValueTooLong,
                    Field::Tag(key.clone()),
                    format!(
                        "The value of tag {} is {length} characters long, over the limit \
                         of {MAX_TAG_VALUE}. Shorten it.",
                        quote(key)
                    ),
                ));
            }
        }
    }
}

/// The namespace name when this resource creates it and the name is known: the base of
/// default DNS names. An existing namespace's name is not known before apply.
pub(super) fn owned_namespace_name(config: &ConfigView) -> Option<&String> {
    if !config.namespace_id.is_null() {
        return None;
    }
    config.namespace.known()
}

/// `services["key"]` as messages write it, the key quoted (and cut when long).
pub(crate) fn service_entry(key: &str) -> String {
    format!("services[{}]", quote(key))
}

/// An example built from a service name, when the name is one (it then has only
/// letters, digits, hyphens and underscores); nothing otherwise.
pub(super) fn example_for(key: &str, example: impl Fn(&str) -> String) -> String {
    if validate_ecs_name(key).is_ok() {
        example(key)
    } else {
        String::new()
    }
}

/// A DNS name as messages show it: as it is when valid, quoted (and cut) otherwise.
fn shown_name(dns: &str) -> String {
    if validate_dns_name(dns).is_ok() {
        dns.to_string()
    } else {
        quote(dns)
    }
}

pub(super) fn service_field(key: &str, attribute: &'static str) -> Field {
    Field::Service {
        key: key.to_string(),
        attribute: Some(attribute),
    }
}

/// A discovery name derived from a service name: lowercase, invalid characters as
/// hyphens, no leading hyphens, cut to the limit. `None` when nothing usable is left.
pub(super) fn suggest_discovery_name(service: &str) -> Option<String> {
    let suggestion: String = service
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| if is_lower_label_char(c) { c } else { '-' })
        .skip_while(|&c| c == '-')
        .take(MAX_DISCOVERY_NAME)
        .collect();
    validate_discovery_name(&suggestion)
        .is_ok()
        .then_some(suggestion)
}

pub(super) fn check_services(config: &ConfigView, out: &mut Vec<Violation>) {
    let Some(services) = config.services.known() else {
        return;
    };
    let mut seen = Seen {
        namespace: owned_namespace_name(config),
        discovery_names: BTreeMap::new(),
        endpoints: BTreeMap::new(),
    };
    for (key, entry) in services {
        check_service_key(key, out);
        let Attr::Known(service) = entry else {
            continue;
        };
        check_endpoints_form(key, service, out);
        for (at, endpoint) in service.endpoint_list(key) {
            let discovery = match at.key {
                None => check_discovery_name(key, service, out),
                Some(name) => {
                    check_endpoint_key(at, name, out);
                    Some(name)
                }
            };
            check_endpoint(at, &endpoint, discovery, &mut seen, out);
        }
        check_service_settings(key, service, out);
    }
}

/// What the endpoints checked so far use, across all services: the namespace default
/// DNS names are built on, each discovery name's and each `dns:port`'s first user.
struct Seen<'a> {
    namespace: Option<&'a String>,
    discovery_names: BTreeMap<String, EndpointAt<'a>>,
    endpoints: BTreeMap<(String, i64), EndpointAt<'a>>,
}

/// One endpoint, in either form; `discovery` is its discovery name when known.
fn check_endpoint<'a>(
    at: EndpointAt<'a>,
    endpoint: &EndpointView,
    discovery: Option<&str>,
    seen: &mut Seen<'a>,
    out: &mut Vec<Violation>,
) {
    check_port_name(at, endpoint, out);
    if let Some(name) = discovery {
        check_unique_discovery_name(at, name, &mut seen.discovery_names, out);
    }
    let dns = check_dns_name(at, endpoint, discovery, seen.namespace, out);
    if let Some(port) = whole(&endpoint.port) {
        check_port(at, port, out);
        if let Some(dns) = dns {
            check_unique_endpoint(at, dns, port, &mut seen.endpoints, out);
        }
    }
    check_ingress_port_override(at, endpoint, out);
    check_timeout_seconds(at, endpoint, out);
    if let Attr::Known(tls) = &endpoint.tls {
        check_tls(Owner::Endpoint(at), tls, out);
    }
}

/// A `services` key is an ECS service name.
fn check_service_key(key: &str, out: &mut Vec<Violation>) {
    if let Err(reason) = validate_ecs_name(key) {
        out.push(Violation::new(
            Rule::ServiceNameInvalid,
            Field::Service {
                key: key.to_string(),
                attribute: None,
            },
            format!(
                "The services key {} is not an ECS service name: {reason}. Use the \
                 ECS service's name: 1 to 255 letters, digits, hyphens and underscores.",
                quote(key)
            ),
        ));
    }
}

/// `names` as prose: "a", "a and b", "a, b and c".
pub(super) fn and_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The long form with the short form's attributes beside it, or with no endpoint.
fn check_endpoints_form(key: &str, service: &ServiceView, out: &mut Vec<Violation>) {
    let Attr::Known(endpoints) = &service.endpoints else {
        return;
    };
    let short = service.short_form_attributes();
    if !short.is_empty() {
        let listed = and_list(&short);
        let renamed = if short.contains(&"discovery_name") {
            " (discovery_name becomes the entry's key)"
        } else {
            ""
        };
        out.push(Violation::new(
            Rule::EndpointsConflict,
            service_field(key, "endpoints"),
            format!(
                "{} sets endpoints together with {listed}. With endpoints, each endpoint \
                 carries its own settings: move {listed} into the entries of \
                 endpoints{renamed}, or remove endpoints and keep the short form.",
                service_entry(key)
            ),
        ));
    }
    if endpoints.is_empty() {
        out.push(Violation::new(
            Rule::EndpointsEmpty,
            service_field(key, "endpoints"),
            format!(
                "{}.endpoints is empty, so the service would serve nothing. Add an endpoint \
                 keyed by its discovery name{}, or set port_name instead; a service that only \
                 calls the others belongs in client_services.",
                service_entry(key),
                example_for(key, |key| format!(
                    ", such as endpoints = {{ {key} = {{ port_name = \"{key}-8080-tcp\" }} }}"
                ))
            ),
        ));
    }
}

fn check_port_name(at: EndpointAt<'_>, endpoint: &EndpointView, out: &mut Vec<Violation>) {
    if let Some(port_name) = endpoint.port_name.known()
        && let Err(reason) = validate_port_name(port_name)
    {
        out.push(Violation::new(
            Rule::PortNameInvalid,
            at.field(Some("port_name")),
            format!(
                "{}.port_name is {}: {reason}. Use the name of a portMappings entry of the \
                 service's task definition: 1 to 64 lowercase letters, digits, underscores and \
                 hyphens, not starting with a hyphen.",
                at.label(),
                quote(port_name)
            ),
        ));
    }
}

/// ` such as "suggestion"` for a discovery name made from `name`, when one can be.
fn discovery_example(name: &str) -> String {
    suggest_discovery_name(name)
        .map(|s| format!(", such as {s:?}"))
        .unwrap_or_default()
}

/// The long form's key is the endpoint's discovery name.
fn check_endpoint_key(at: EndpointAt<'_>, name: &str, out: &mut Vec<Violation>) {
    if let Err(reason) = validate_discovery_name(name) {
        out.push(Violation::new(
            Rule::DiscoveryNameInvalid,
            at.field(None),
            format!(
                "{} is keyed by {}, which is its discovery name and not a valid one: \
                 {reason}. Rename the key to 1 to 64 lowercase letters, digits, underscores \
                 and hyphens, not starting with a hyphen{}.",
                at.label(),
                quote(name),
                discovery_example(name)
            ),
        ));
    }
}

/// Checks the short form's discovery name, written or defaulted to the key, and
/// returns it when known.
fn check_discovery_name<'a>(
    key: &'a str,
    service: &'a ServiceView,
    out: &mut Vec<Violation>,
) -> Option<&'a str> {
    match &service.discovery_name {
        Attr::Known(name) => {
            if let Err(reason) = validate_discovery_name(name) {
                out.push(Violation::new(
                    Rule::DiscoveryNameInvalid,
                    service_field(key, "discovery_name"),
                    format!(
                        "{}.discovery_name is {}: {reason}. Use 1 to 64 lowercase letters, \
                         digits, underscores and hyphens, not starting with a hyphen.",
                        service_entry(key),
                        quote(name)
                    ),
                ));
            }
            Some(name.as_str())
        }
        Attr::Unknown => None,
        Attr::Null => {
            if validate_ecs_name(key).is_ok()
                && let Err(reason) = validate_discovery_name(key)
            {
                out.push(Violation::new(
                    Rule::DefaultDiscoveryNameInvalid,
                    Field::Service {
                        key: key.to_string(),
                        attribute: None,
                    },
                    format!(
                        "{} has no discovery_name, so it defaults to the service name {}, \
                         which is not a valid discovery name: {reason}. Set discovery_name to \
                         1 to 64 lowercase letters, digits, underscores and hyphens{}.",
                        service_entry(key),
                        quote(key),
                        discovery_example(key)
                    ),
                ));
            }
            Some(key)
        }
    }
}

/// `name` is used by no earlier endpoint; remembers it for the later ones.
fn check_unique_discovery_name<'a>(
    at: EndpointAt<'a>,
    name: &str,
    first_users: &mut BTreeMap<String, EndpointAt<'a>>,
    out: &mut Vec<Violation>,
) {
    match first_users.get(name) {
        Some(first) => {
            let fix = if at.key.is_none() && first.key.is_none() {
                "Set a different discovery_name on one of them."
            } else {
                "Give one of them another discovery name: discovery_name in the short form, \
                 the endpoints key in the long form."
            };
            let field = match at.key {
                None => at.field(Some("discovery_name")),
                Some(_) => at.field(None),
            };
            out.push(Violation::new(
                Rule::DuplicateDiscoveryName,
                field,
                format!(
                    "{} and {} both use the discovery name {}, but each discovery name is \
                     one Cloud Map service in the namespace. {fix}",
                    at.label(),
                    first.label(),
                    quote(name)
                ),
            ));
        }
        None => {
            first_users.insert(name.to_string(), at);
        }
    }
}

/// Checks the DNS name, written or defaulted to `<discovery>.<namespace>`, and returns it
/// when known.
fn check_dns_name(
    at: EndpointAt<'_>,
    endpoint: &EndpointView,
    discovery: Option<&str>,
    namespace: Option<&String>,
    out: &mut Vec<Violation>,
) -> Option<String> {
    match &endpoint.dns_name {
        Attr::Known(dns) => {
            if let Err(reason) = validate_dns_name(dns) {
                out.push(Violation::new(
                    Rule::DnsNameInvalid,
                    at.field(Some("dns_name")),
                    format!(
                        "{}.dns_name is {}: {reason}. Use at most 127 \
                         lowercase letters, digits, underscores, hyphens and dots, not \
                         starting with a hyphen, such as \"backend.internal.myapp\".",
                        at.label(),
                        quote(dns)
                    ),
                ));
            }
            Some(dns.clone())
        }
        Attr::Unknown => None,
        Attr::Null => {
            let (discovery, namespace) = (discovery?, namespace?);
            let dns = names::default_dns_name(discovery, namespace);
            check_default_dns_name(at, discovery, namespace, &dns, out);
            Some(dns)
        }
    }
}

/// Only what the namespace and discovery rules do not already report.
fn check_default_dns_name(
    at: EndpointAt<'_>,
    discovery: &str,
    namespace: &str,
    dns: &str,
    out: &mut Vec<Violation>,
) {
    if validate_namespace_name(namespace).is_ok()
        && validate_discovery_name(discovery).is_ok()
        && let Err(reason) = validate_dns_name(dns)
    {
        let discovery_source = match at.key {
            None => "discovery_name",
            Some(_) => "the endpoints key",
        };
        out.push(Violation::new(
            Rule::DefaultDnsNameInvalid,
            at.field(None),
            format!(
                "{} has no dns_name, so it defaults to {} (discovery name, \
                 then namespace), which is not a valid DNS name: {reason}. Set a shorter \
                 dns_name, or shorten {discovery_source} or namespace.",
                at.label(),
                quote(dns)
            ),
        ));
    }
}

fn check_port(at: EndpointAt<'_>, port: i64, out: &mut Vec<Violation>) {
    if let Err(reason) = validate_port(port) {
        out.push(Violation::new(
            Rule::PortOutOfRange,
            at.field(Some("port")),
            format!(
                "{}.port is {port}: {reason}. Use a port from 1 to 65535, or leave port \
                 out to use the container port of port_name.",
                at.label()
            ),
        ));
    }
}

/// `dns:port` is used by no earlier endpoint; remembers it for the later ones.
fn check_unique_endpoint<'a>(
    at: EndpointAt<'a>,
    dns: String,
    port: i64,
    first_users: &mut BTreeMap<(String, i64), EndpointAt<'a>>,
    out: &mut Vec<Violation>,
) {
    match first_users.get(&(dns.clone(), port)) {
        Some(first) => out.push(Violation::new(
            Rule::DuplicateEndpoint,
            at.field(Some("dns_name")),
            format!(
                "{} and {} both use the endpoint {}:{port}, but each DNS name and port must \
                 be unique in the namespace. Change dns_name or port on one of them.",
                at.label(),
                first.label(),
                shown_name(&dns)
            ),
        )),
        None => {
            first_users.insert((dns, port), at);
        }
    }
}

fn check_ingress_port_override(
    at: EndpointAt<'_>,
    endpoint: &EndpointView,
    out: &mut Vec<Violation>,
) {
    if let Some(port) = whole(&endpoint.ingress_port_override)
        && let Err(reason) = validate_ingress_port_override(port)
    {
        out.push(Violation::new(
            Rule::IngressPortOverrideOutOfRange,
            at.field(Some("ingress_port_override")),
            format!(
                "{}.ingress_port_override is {port}: {reason}. Use a port from 1025 to \
                 65535, or leave ingress_port_override out.",
                at.label()
            ),
        ));
    }
}

fn check_timeout_seconds(at: EndpointAt<'_>, endpoint: &EndpointView, out: &mut Vec<Violation>) {
    let timeouts = [
        &endpoint.idle_timeout_seconds,
        &endpoint.per_request_timeout_seconds,
    ];
    let label = at.label();
    timeout_violations(timeouts, |a| at.field(Some(a)), &format!("{label}."), out);
}

/// The mesh-wide timeouts: the same range as an endpoint's.
fn check_mesh_timeouts(config: &ConfigView, out: &mut Vec<Violation>) {
    let timeouts = [
        &config.idle_timeout_seconds,
        &config.per_request_timeout_seconds,
    ];
    timeout_violations(timeouts, Field::Attribute, "", out);
}

/// The range rule on an (idle, per-request) pair of timeouts; `prefix` is where they
/// are written, as messages show it.
fn timeout_violations(
    [idle, per_request]: [&Attr<Number>; 2],
    field: impl Fn(&'static str) -> Field,
    prefix: &str,
    out: &mut Vec<Violation>,
) {
    for (attribute, value) in [
        ("idle_timeout_seconds", idle),
        ("per_request_timeout_seconds", per_request),
    ] {
        if let Some(seconds) = whole(value)
            && let Err(reason) = validate_timeout_seconds(seconds)
        {
            out.push(Violation::new(
                Rule::TimeoutSecondsOutOfRange,
                field(attribute),
                format!(
                    "{prefix}{attribute} is {seconds}: {reason}. Use 0 (no timeout) to \
                     {MAX_TIMEOUT_SECONDS} seconds, or leave it out for the ECS default."
                ),
            ));
        }
    }
}

pub(super) fn check_client_services(config: &ConfigView, out: &mut Vec<Violation>) {
    let Some(clients) = config.client_services.known() else {
        return;
    };
    let servers = config.services.known();
    for name in clients.iter().filter_map(Attr::known) {
        if let Err(reason) = validate_ecs_name(name) {
            out.push(Violation::new(
                Rule::ServiceNameInvalid,
                Field::ClientService(name.clone()),
                format!(
                    "The client_services entry {} is not an ECS service name: {reason}. \
                     Use the ECS service's name: 1 to 255 letters, digits, hyphens and \
                     underscores.",
                    quote(name)
                ),
            ));
        }
        if servers.is_some_and(|servers| servers.contains_key(name)) {
            out.push(Violation::new(
                Rule::ServerAlsoClient,
                Field::ClientService(name.clone()),
                format!(
                    "{} is in both services and client_services. A service in services \
                     already calls the others: remove it from client_services.",
                    quote(name)
                ),
            ));
        }
    }
    // An unknown element is still an element, so only the count of known servers matters.
    let no_servers = match &config.services {
        Attr::Null => true,
        Attr::Known(servers) => servers.is_empty(),
        Attr::Unknown => false,
    };
    if !clients.is_empty()
        && no_servers
        && config.namespace_id.is_null()
        && !config.namespace.is_null()
    {
        let listed = clients
            .iter()
            .filter_map(Attr::known)
            .map(|name| quote(name))
            .collect::<Vec<_>>();
        let listed = if listed.is_empty() {
            "services".to_string()
        } else {
            listed.join(", ")
        };
        out.push(Violation::new(
            Rule::ClientOnlyNewNamespace,
            Field::Attribute("client_services"),
            format!(
                "client_services lists {listed} but services is empty, and the namespace is \
                 this resource's own (namespace and vpc_id), so no service in it serves \
                 anything. A client-only service cannot be the first in an empty namespace \
                 (its deployment does not complete). Add at least one entry to services, or \
                 use namespace_id with a namespace that already has servers."
            ),
        ));
    }
}

pub(super) fn check_timeouts(config: &ConfigView, out: &mut Vec<Violation>) {
    let Some(timeouts) = config.timeouts.known() else {
        return;
    };
    for (name, value) in [
        ("create", &timeouts.create),
        ("update", &timeouts.update),
        ("delete", &timeouts.delete),
    ] {
        let Some(text) = value.known() else {
            continue;
        };
        let (rule, reason) = match parse_go_duration(text) {
            Ok((_, 0)) => (Rule::DurationNotPositive, "it is zero".to_string()),
            Ok((true, _)) => (Rule::DurationNotPositive, "it is negative".to_string()),
            Ok(_) => continue,
            Err(reason) => (Rule::DurationInvalid, reason),
        };
        let fix = match rule {
            Rule::DurationNotPositive => {
                "Use a positive duration such as \"20m\", or leave it out for the default."
            }
            _ => {
                "Use a Go duration: numbers with units h, m, s, ms, us or ns, such as \"20m\", \
                 \"1h30m\", \"90s\" or \"1.5h\"."
            }
        };
        out.push(Violation::new(
            rule,
            Field::Timeout(name),
            format!("timeouts.{name} is {}: {reason}. {fix}", quote(text)),
        ));
    }
}
