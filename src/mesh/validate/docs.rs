//! The documented example of each rule, and the table in docs/validation.md. Test code:
//! the unit tests check the table against docs/validation.md and rewrite it on request.

use std::collections::BTreeMap;

use super::*;

// ---------------------------------------------------------------------------------------
// Documentation
// ---------------------------------------------------------------------------------------

/// A known string.
pub(super) fn text(s: &str) -> Attr<String> {
    Attr::Known(s.to_string())
}

/// A known number.
pub(super) fn num(n: i64) -> Attr<Number> {
    Attr::Known(Number::from(n))
}

/// A service entry with only a port name.
pub(super) fn server(port_name: &str) -> ServiceView {
    ServiceView {
        port_name: text(port_name),
        ..ServiceView::default()
    }
}

/// A valid configuration that examples break one thing in.
pub(super) fn example_base() -> ConfigView {
    ConfigView {
        cluster: text("prod"),
        namespace: text("internal.myapp"),
        vpc_id: text("vpc-0abc1234"),
        services: Attr::Known(BTreeMap::from([(
            "backend".to_string(),
            Attr::Known(server("backend-8080-tcp")),
        )])),
        ..ConfigView::default()
    }
}

/// Adds (or replaces) the service `key`: a server as in the base, then `edit`ed.
fn add_service(config: &mut ConfigView, key: &str, edit: fn(&mut ServiceView)) {
    let mut view = server("backend-8080-tcp");
    edit(&mut view);
    if let Attr::Known(services) = &mut config.services {
        services.insert(key.to_string(), Attr::Known(view));
    }
}

/// Edits the base's `backend` service.
fn edit_backend(config: &mut ConfigView, edit: fn(&mut ServiceView)) {
    add_service(config, "backend", edit);
}

/// A known `endpoints` map of endpoints with only a port name.
pub(super) fn endpoints(entries: &[(&str, &str)]) -> Attr<BTreeMap<String, Attr<EndpointView>>> {
    Attr::Known(
        entries
            .iter()
            .map(|(name, port_name)| {
                let endpoint = EndpointView {
                    port_name: text(port_name),
                    ..EndpointView::default()
                };
                (name.to_string(), Attr::Known(endpoint))
            })
            .collect(),
    )
}

/// A `tls` with a valid CA, then `edit`ed.
pub(super) fn tls(edit: fn(&mut TlsView)) -> Attr<TlsView> {
    let mut tls = TlsView {
        aws_pca_authority_arn: text(
            "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/1234abcd-12ab-34cd-56ef-1234567890ab",
        ),
        ..TlsView::default()
    };
    edit(&mut tls);
    Attr::Known(tls)
}

/// A `log_configuration` with the driver `awslogs`, then `edit`ed.
pub(super) fn log(edit: fn(&mut LogView)) -> Attr<LogView> {
    let mut log = LogView {
        log_driver: text("awslogs"),
        ..LogView::default()
    };
    edit(&mut log);
    Attr::Known(log)
}

/// A known `secret_options` list of (name, value_from).
pub(super) fn secrets(entries: &[(Attr<String>, Attr<String>)]) -> Attr<Vec<Attr<SecretView>>> {
    Attr::Known(
        entries
            .iter()
            .map(|(name, value_from)| {
                Attr::Known(SecretView {
                    name: name.clone(),
                    value_from: value_from.clone(),
                })
            })
            .collect(),
    )
}

/// An `access_log_configuration` in `format`.
pub(super) fn access_log(format: &str) -> Attr<AccessLogView> {
    Attr::Known(AccessLogView {
        format: text(format),
        ..AccessLogView::default()
    })
}

fn set_tags(config: &mut ConfigView, tags: Vec<(String, String)>) {
    config.tags = Attr::Known(tags.into_iter().map(|(k, v)| (k, Attr::Known(v))).collect());
}

fn set_timeouts(config: &mut ConfigView, edit: fn(&mut TimeoutsView)) {
    let mut timeouts = TimeoutsView::default();
    edit(&mut timeouts);
    config.timeouts = Attr::Known(timeouts);
}

fn existing_namespace(config: &mut ConfigView, id: &str) {
    config.namespace = Attr::Null;
    config.vpc_id = Attr::Null;
    config.namespace_id = text(id);
}

/// A configuration that breaks `rule`, for the docs table.
pub(super) fn example(rule: Rule) -> ConfigView {
    let mut config = example_base();
    match rule {
        Rule::RequiredNull => config.cluster = Attr::Null,
        Rule::ClusterInvalid => config.cluster = text("prod cluster"),
        Rule::NamespaceNameInvalid => config.namespace = text("Internal.MyApp"),
        Rule::VpcIdInvalid => config.vpc_id = text("vpc-0abc123"),
        Rule::NamespaceIdInvalid => existing_namespace(&mut config, "internal.myapp"),
        Rule::NamespaceConflict => config.namespace_id = text("ns-abcdefghijklmnop"),
        Rule::NamespaceMissing => {
            config.namespace = Attr::Null;
            config.vpc_id = Attr::Null;
        }
        Rule::VpcIdMissing => config.vpc_id = Attr::Null,
        Rule::OwnedNamespaceOnly => {
            existing_namespace(&mut config, "ns-abcdefghijklmnop");
            config.description = text("east-west traffic");
        }
        Rule::DescriptionTooLong => config.description = text(&"x".repeat(1025)),
        Rule::ServiceNameInvalid => {
            config.client_services = Attr::Known(vec![text("web frontend")])
        }
        Rule::EndpointsConflict => edit_backend(&mut config, |s| {
            s.endpoints = endpoints(&[("backend", "backend-8080-tcp")]);
        }),
        Rule::EndpointsEmpty => edit_backend(&mut config, |s| {
            s.port_name = Attr::Null;
            s.endpoints = endpoints(&[]);
        }),
        Rule::PortNameInvalid => edit_backend(&mut config, |s| s.port_name = text("Backend-8080")),
        Rule::DiscoveryNameInvalid => {
            edit_backend(&mut config, |s| s.discovery_name = text("-backend"));
        }
        Rule::DefaultDiscoveryNameInvalid => add_service(&mut config, "Orders_API", |_| {}),
        Rule::DnsNameInvalid => {
            edit_backend(&mut config, |s| s.dns_name = text("backend..internal"));
        }
        Rule::DefaultDnsNameInvalid => {
            config.namespace = text(&format!("{}.myapp", "a".repeat(60)));
            edit_backend(&mut config, |s| s.discovery_name = text(&"b".repeat(64)));
        }
        Rule::PortOutOfRange => edit_backend(&mut config, |s| s.port = num(0)),
        Rule::IngressPortOverrideOutOfRange => {
            edit_backend(&mut config, |s| s.ingress_port_override = num(80));
        }
        Rule::TimeoutSecondsOutOfRange => {
            edit_backend(&mut config, |s| s.idle_timeout_seconds = num(-1));
        }
        Rule::DuplicateDiscoveryName => {
            add_service(&mut config, "backend-v2", |s| {
                s.discovery_name = text("backend")
            });
        }
        Rule::DuplicateEndpoint => {
            edit_backend(&mut config, |s| s.port = num(8080));
            add_service(&mut config, "backend-v2", |s| {
                s.dns_name = text("backend.internal.myapp");
                s.port = num(8080);
            });
        }
        Rule::ServerAlsoClient => config.client_services = Attr::Known(vec![text("backend")]),
        Rule::ClientOnlyNewNamespace => {
            config.services = Attr::Null;
            config.client_services = Attr::Known(vec![text("frontend")]);
        }
        Rule::PcaAuthorityArnInvalid => {
            config.tls = tls(|t| {
                t.aws_pca_authority_arn =
                    text("arn:aws:acm:eu-west-1:123456789012:certificate/1234abcd")
            })
        }
        Rule::KmsKeyInvalid => config.tls = tls(|t| t.kms_key = text("service-connect")),
        Rule::RoleArnInvalid => {
            config.tls = tls(|t| t.role_arn = text("arn:aws:iam::123456789012:user/deploy"))
        }
        Rule::LogDriverInvalid => {
            config.log_configuration = log(|l| l.log_driver = text("awsLogs"))
        }
        Rule::SecretOptionEmpty => {
            config.log_configuration = log(|l| {
                l.log_driver = text("splunk");
                l.secret_options = secrets(&[(text("splunk-token"), text(""))]);
            })
        }
        Rule::AccessLogFormatInvalid => config.access_log_configuration = access_log("text"),
        Rule::ExternalNameInvalid => set_external(&mut config, "ERP", &["10.0.3.12"], None),
        Rule::ExternalNameTaken => set_external(&mut config, "backend", &["10.0.3.12"], None),
        Rule::AddressInvalid => set_external(&mut config, "erp", &["10.0.3.256"], None),
        Rule::TtlOutOfRange => set_external(&mut config, "erp", &["10.0.3.12"], Some(-1)),
        Rule::DurationInvalid => set_timeouts(&mut config, |t| t.create = text("20 minutes")),
        Rule::DurationNotPositive => set_timeouts(&mut config, |t| t.delete = text("0s")),
        Rule::TooManyTags => set_tags(
            &mut config,
            (0..51)
                .map(|i| (format!("tag{i:02}"), String::new()))
                .collect(),
        ),
        Rule::TagKeyLength => set_tags(&mut config, vec![("k".repeat(129), String::new())]),
        Rule::TagKeyReserved => {
            set_tags(&mut config, vec![("AWS:team".to_string(), String::new())])
        }
        Rule::TagValueTooLong => set_tags(&mut config, vec![("team".to_string(), "v".repeat(257))]),
    }
    config
}

/// Adds the standalone server `name` with these addresses and TTL.
fn set_external(config: &mut ConfigView, name: &str, addresses: &[&str], ttl: Option<i64>) {
    let external = ExternalView {
        addresses: Attr::Known(addresses.iter().map(|a| text(a)).collect()),
        ttl: ttl.map_or(Attr::Null, num),
        ..ExternalView::default()
    };
    config.external_services =
        Attr::Known(BTreeMap::from([(name.to_string(), Attr::Known(external))]));
}

/// Every rule with its text and an example message, produced by [`validate_config`]
/// itself so the docs cannot show a message the code does not emit.
pub(super) fn rules_table() -> Vec<(Rule, &'static str, String)> {
    Rule::ALL
        .iter()
        .map(|&rule| {
            let message = validate_config(&example(rule))
                .into_iter()
                .find(|violation| violation.rule == rule)
                .map(|violation| violation.to_string())
                .unwrap_or_default();
            (rule, rule.text(), message)
        })
        .collect()
}

/// [`rules_table`] as a markdown table, for `docs/validation.md`.
pub(super) fn rules_markdown() -> String {
    let mut table =
        String::from("| Rule | What is checked | Example message |\n| --- | --- | --- |\n");
    for (rule, text, message) in rules_table() {
        let text = text.replace('|', "\\|");
        let message = message.replace('|', "\\|");
        table.push_str(&format!("| `{}` | {text} | {message} |\n", rule.id()));
    }
    table
}
