//! The documented example of each rule, and the table in docs/validation.md.

use std::collections::BTreeMap;

use super::*;

// ---------------------------------------------------------------------------------------
// Documentation
// ---------------------------------------------------------------------------------------

/// A valid configuration that examples break one thing in.
pub(super) fn example_base() -> ConfigView {
    let backend = ServiceView {
        port_name: Attr::Known("backend-8080-tcp".to_string()),
        ..ServiceView::default()
    };
    ConfigView {
        cluster: Attr::Known("prod".to_string()),
        namespace: Attr::Known("internal.myapp".to_string()),
        vpc_id: Attr::Known("vpc-0abc1234".to_string()),
        services: Attr::Known(BTreeMap::from([(
            "backend".to_string(),
            Attr::Known(backend),
        )])),
        ..ConfigView::default()
    }
}

/// A configuration that breaks `rule`, for the docs table.
pub(super) fn example(rule: Rule) -> ConfigView {
    let mut config = example_base();
    let text = |s: &str| Attr::Known(s.to_string());
    let service = |config: &mut ConfigView, key: &str, edit: fn(&mut ServiceView)| {
        let mut view = ServiceView {
            port_name: text("backend-8080-tcp"),
            ..ServiceView::default()
        };
        edit(&mut view);
        if let Attr::Known(services) = &mut config.services {
            services.insert(key.to_string(), Attr::Known(view));
        }
    };
    let backend = |config: &mut ConfigView, edit: fn(&mut ServiceView)| {
        service(config, "backend", edit);
    };
    let tags = |config: &mut ConfigView, tags: Vec<(String, String)>| {
        config.tags = Attr::Known(tags.into_iter().map(|(k, v)| (k, Attr::Known(v))).collect());
    };
    match rule {
        Rule::RequiredNull => config.cluster = Attr::Null,
        Rule::ClusterInvalid => config.cluster = text("prod cluster"),
        Rule::NamespaceNameInvalid => config.namespace = text("Internal.MyApp"),
        Rule::VpcIdInvalid => config.vpc_id = text("vpc-0abc123"),
        Rule::NamespaceIdInvalid => {
            config.namespace = Attr::Null;
            config.vpc_id = Attr::Null;
            config.namespace_id = text("internal.myapp");
        }
        Rule::NamespaceConflict => config.namespace_id = text("ns-abcdefghijklmnop"),
        Rule::NamespaceMissing => {
            config.namespace = Attr::Null;
            config.vpc_id = Attr::Null;
        }
        Rule::VpcIdMissing => config.vpc_id = Attr::Null,
        Rule::OwnedNamespaceOnly => {
            config.namespace = Attr::Null;
            config.vpc_id = Attr::Null;
            config.namespace_id = text("ns-abcdefghijklmnop");
            config.description = text("east-west traffic");
        }
        Rule::DescriptionTooLong => config.description = text(&"x".repeat(1025)),
        Rule::ServiceNameInvalid => {
            config.client_services = Attr::Known(vec![text("web frontend")]);
        }
        Rule::PortNameInvalid => backend(&mut config, |s| {
            s.port_name = Attr::Known("Backend-8080".to_string());
        }),
        Rule::DiscoveryNameInvalid => backend(&mut config, |s| {
            s.discovery_name = Attr::Known("-backend".to_string());
        }),
        Rule::DefaultDiscoveryNameInvalid => service(&mut config, "Orders_API", |_| {}),
        Rule::DnsNameInvalid => backend(&mut config, |s| {
            s.dns_name = Attr::Known("backend..internal".to_string());
        }),
        Rule::DefaultDnsNameInvalid => {
            config.namespace = text(&format!("{}.myapp", "a".repeat(60)));
            backend(&mut config, |s| {
                s.discovery_name = Attr::Known("b".repeat(64));
            });
        }
        Rule::PortOutOfRange => backend(&mut config, |s| s.port = Attr::Known(Number::from(0))),
        Rule::IngressPortOverrideOutOfRange => backend(&mut config, |s| {
            s.ingress_port_override = Attr::Known(Number::from(80));
        }),
        Rule::TimeoutSecondsOutOfRange => backend(&mut config, |s| {
            s.idle_timeout_seconds = Attr::Known(Number::from(-1));
        }),
        Rule::DuplicateDiscoveryName => service(&mut config, "backend-v2", |s| {
            s.discovery_name = Attr::Known("backend".to_string());
        }),
        Rule::DuplicateEndpoint => {
            backend(&mut config, |s| s.port = Attr::Known(Number::from(8080)));
            service(&mut config, "backend-v2", |s| {
                s.dns_name = Attr::Known("backend.internal.myapp".to_string());
                s.port = Attr::Known(Number::from(8080));
            });
        }
        Rule::ServerAlsoClient => {
            config.client_services = Attr::Known(vec![text("backend")]);
        }
        Rule::ClientOnlyNewNamespace => {
            config.services = Attr::Null;
            config.client_services = Attr::Known(vec![text("frontend")]);
        }
        Rule::DurationInvalid => {
            config.timeouts = Attr::Known(TimeoutsView {
                create: text("20 minutes"),
                ..TimeoutsView::default()
            });
        }
        Rule::DurationNotPositive => {
            config.timeouts = Attr::Known(TimeoutsView {
                delete: text("0s"),
                ..TimeoutsView::default()
            });
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
