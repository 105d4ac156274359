//! The documented example of each rule, and the table in docs/validation.md.

use std::collections::BTreeMap;

use super::*;

// ---------------------------------------------------------------------------------------
// Documentation
// ---------------------------------------------------------------------------------------

/// A valid configuration that examples break one thing in.
pub(super) fn example_base() -> ConfigView {
    let backend = ServiceView {
        port_name: Some("backend-8080-tcp".to_string().into()),
        ..ServiceView::default()
    };
    ConfigView {
        cluster: Some("prod".to_string().into()),
        namespace: Some("internal.myapp".to_string().into()),
        vpc_id: Some("vpc-0abc1234".to_string().into()),
        services: Some(BTreeMap::from([("backend".to_string(), backend.into())]).into()),
        ..ConfigView::default()
    }
}

/// A configuration that breaks `rule`, for the docs table.
pub(super) fn example(rule: Rule) -> ConfigView {
    let mut config = example_base();
    let text = |s: &str| Some(Known::Value(s.to_string()));
    let service = |config: &mut ConfigView, key: &str, edit: fn(&mut ServiceView)| {
        let mut view = ServiceView {
            port_name: text("backend-8080-tcp"),
            ..ServiceView::default()
        };
        edit(&mut view);
        if let Some(Known::Value(services)) = &mut config.services {
            services.insert(key.to_string(), view.into());
        }
    };
    let backend = |config: &mut ConfigView, edit: fn(&mut ServiceView)| {
        service(config, "backend", edit);
    };
    let tags = |config: &mut ConfigView, tags: Vec<(String, String)>| {
        config.tags = Some(
            tags.into_iter()
                .map(|(k, v)| (k, Known::Value(v)))
                .collect::<BTreeMap<_, _>>()
                .into(),
        );
    };
    match rule {
        Rule::RequiredNull => config.cluster = None,
        Rule::ClusterInvalid => config.cluster = text("prod cluster"),
        Rule::NamespaceNameInvalid => config.namespace = text("Internal.MyApp"),
        Rule::VpcIdInvalid => config.vpc_id = text("vpc-0abc123"),
        Rule::NamespaceIdInvalid => {
            config.namespace = None;
            config.vpc_id = None;
            config.namespace_id = text("internal.myapp");
        }
        Rule::NamespaceConflict => config.namespace_id = text("ns-abcdefghijklmnop"),
        Rule::NamespaceMissing => {
            config.namespace = None;
            config.vpc_id = None;
        }
        Rule::VpcIdMissing => config.vpc_id = None,
        Rule::OwnedNamespaceOnly => {
            config.namespace = None;
            config.vpc_id = None;
            config.namespace_id = text("ns-abcdefghijklmnop");
            config.description = text("east-west traffic");
        }
        Rule::DescriptionTooLong => config.description = text(&"x".repeat(1025)),
        Rule::ServiceNameInvalid => {
            config.client_services = Some(vec![Known::Value("web frontend".to_string())].into());
        }
        Rule::PortNameInvalid => backend(&mut config, |s| {
            s.port_name = Some("Backend-8080".to_string().into());
        }),
        Rule::DiscoveryNameInvalid => backend(&mut config, |s| {
            s.discovery_name = Some("-backend".to_string().into());
        }),
        Rule::DefaultDiscoveryNameInvalid => service(&mut config, "Orders_API", |_| {}),
        Rule::DnsNameInvalid => backend(&mut config, |s| {
            s.dns_name = Some("backend..internal".to_string().into());
        }),
        Rule::DefaultDnsNameInvalid => {
            config.namespace = text(&format!("{}.myapp", "a".repeat(60)));
            backend(&mut config, |s| {
                s.discovery_name = Some("b".repeat(64).into());
            });
        }
        Rule::PortOutOfRange => backend(&mut config, |s| s.port = Some(Known::Value(0))),
        Rule::IngressPortOverrideOutOfRange => backend(&mut config, |s| {
            s.ingress_port_override = Some(Known::Value(80));
        }),
        Rule::TimeoutSecondsOutOfRange => backend(&mut config, |s| {
            s.idle_timeout_seconds = Some(Known::Value(-1));
        }),
        Rule::DuplicateDiscoveryName => service(&mut config, "backend-v2", |s| {
            s.discovery_name = Some("backend".to_string().into());
        }),
        Rule::DuplicateEndpoint => {
            backend(&mut config, |s| s.port = Some(Known::Value(8080)));
            service(&mut config, "backend-v2", |s| {
                s.dns_name = Some("backend.internal.myapp".to_string().into());
                s.port = Some(Known::Value(8080));
            });
        }
        Rule::ServerAlsoClient => {
            config.client_services = Some(vec![Known::Value("backend".to_string())].into());
        }
        Rule::ClientOnlyNewNamespace => {
            config.services = None;
            config.client_services = Some(vec![Known::Value("frontend".to_string())].into());
        }
        Rule::DurationInvalid => {
            config.timeouts = Some(
                TimeoutsView {
                    create: text("20 minutes"),
                    ..TimeoutsView::default()
                }
                .into(),
            );
        }
        Rule::DurationNotPositive => {
            config.timeouts = Some(
                TimeoutsView {
                    delete: text("0s"),
                    ..TimeoutsView::default()
                }
                .into(),
            );
        }
        Rule::TooManyTags => tags(
            &mut config,
            (0..51)
                .map(|i| (format!("tag{i:02}"), String::new()))
                .collect(),
        ),
        Rule::TagKeyLength => tags(&mut config, vec![("k".repeat(129), String::new())]),
        Rule::TagKeyReserved => tags(&mut config, vec![("AWS:team".to_string(), String::new())]),
        Rule::TagValueTooLong => tags(&mut config, vec![("team".to_string(), "v".repeat(257))]),
    }
    config
}

/// Every rule with its text and an example message, produced by [`validate_config`]
/// itself so the docs cannot show a message the code does not emit.
pub fn rules_table() -> Vec<(Rule, &'static str, String)> {
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
pub fn rules_markdown() -> String {
    let mut table =
        String::from("| Rule | What is checked | Example message |\n| --- | --- | --- |\n");
    for (rule, text, message) in rules_table() {
        let text = text.replace('|', "\\|");
        let message = message.replace('|', "\\|");
        table.push_str(&format!("| `{}` | {text} | {message} |\n", rule.id()));
    }
    table
}
