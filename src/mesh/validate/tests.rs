//! Tests of the validation rules.

use std::time::Duration;

use super::*;

/// The example base with `services` replaced.
fn with_services(entries: Vec<(&str, Attr<ServiceView>)>) -> ConfigView {
    ConfigView {
        services: Attr::Known(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        ),
        ..example_base()
    }
}

fn one_service(key: &str, view: ServiceView) -> ConfigView {
    with_services(vec![(key, Attr::Known(view))])
}

fn rules(config: &ConfigView) -> Vec<Rule> {
    validate_config(config)
        .into_iter()
        .map(|v| v.rule)
        .collect()
}

/// The only violation, which must be of `rule`.
fn only(config: &ConfigView, rule: Rule) -> Violation {
    let violations = validate_config(config);
    assert_eq!(violations.len(), 1, "{violations:#?}");
    let violation = violations.into_iter().next().expect("one violation");
    assert_eq!(violation.rule, rule, "{violation:#?}");
    assert_eq!(violation.summary, rule.summary());
    violation
}

fn assert_clean(config: &ConfigView) {
    let violations = validate_config(config);
    assert!(violations.is_empty(), "{violations:#?}");
}

fn timeouts(create: &str) -> ConfigView {
    ConfigView {
        timeouts: Attr::Known(TimeoutsView {
            create: text(create),
            ..TimeoutsView::default()
        }),
        ..example_base()
    }
}

fn tagged(tags: Vec<(String, String)>) -> ConfigView {
    ConfigView {
        tags: Attr::Known(tags.into_iter().map(|(k, v)| (k, Attr::Known(v))).collect()),
        ..example_base()
    }
}

#[test]
fn the_example_configuration_is_clean() {
    assert_clean(&example_base());
    // The schema's own example, with a real-length VPC id.
    let full = ConfigView {
        description: text("east-west traffic"),
        tags: Attr::Known(BTreeMap::from([(
            "team".to_string(),
            Attr::Known("platform".to_string()),
        )])),
        client_services: Attr::Known(vec![Attr::Known("frontend".to_string())]),
        wait_for_steady_state: Attr::Known(false),
        timeouts: Attr::Known(TimeoutsView {
            create: text("20m"),
            update: text("20m"),
            delete: text("20m"),
        }),
        ..one_service(
            "backend",
            ServiceView {
                port_name: text("backend-8080-tcp"),
                discovery_name: text("backend"),
                dns_name: text("backend.internal.myapp"),
                port: num(8080),
                ingress_port_override: num(15000),
                idle_timeout_seconds: num(300),
                per_request_timeout_seconds: num(60),
                ..ServiceView::default()
            },
        )
    };
    assert_clean(&full);
}

// --- cluster ------------------------------------------------------------------------

#[test]
fn cluster_names_and_arns() {
    for good in [
        "prod",
        "Prod_Cluster-2",
        &"c".repeat(255),
        "arn:aws:ecs:eu-west-1:123456789012:cluster/prod",
        "arn:aws-cn:ecs:cn-north-1:123456789012:cluster/prod",
        "arn:aws-us-gov:ecs:us-gov-west-1:123456789012:cluster/prod_2",
    ] {
        assert_eq!(validate_cluster(good), Ok(()), "{good}");
    }
    for (bad, reason) in [
        ("", "it is empty"),
        ("prod cluster", "it contains ' ', which is not allowed"),
        (
            &"c".repeat(256),
            "it is 256 characters long, over the limit of 255",
        ),
        (
            "arn:aws:ecs:eu-west-1:123456789012",
            "it is an ARN with fewer than six ':'-separated parts",
        ),
        (
            "arn:aws:ec2:eu-west-1:123456789012:cluster/prod",
            "it is an ARN of the \"ec2\" service, not of \"ecs\"",
        ),
        (
            "arn:aws:ecs:eu-west-1:1234:cluster/prod",
            "its account \"1234\" is not 12 digits",
        ),
        (
            "arn:aws:ecs:eu-west-1:123456789012:service/prod/api",
            "its resource \"service/prod/api\" is not \"cluster/NAME\"",
        ),
        (
            "arn:aws:ecs:eu-west-1:123456789012:cluster/a/b",
            "its cluster name \"a/b\" is invalid: it contains '/', which is not allowed",
        ),
        (
            "arn:AWS:ecs:eu-west-1:123456789012:cluster/prod",
            "its partition \"AWS\" is not a partition such as \"aws\"",
        ),
        (
            "arn:aws:ecs::123456789012:cluster/prod",
            "its region \"\" is not a region such as \"eu-west-1\"",
        ),
    ] {
        assert_eq!(validate_cluster(bad), Err(reason.to_string()), "{bad}");
    }
    let config = ConfigView {
        cluster: text("prod cluster"),
        ..example_base()
    };
    let violation = only(&config, Rule::ClusterInvalid);
    assert_eq!(violation.field, Field::Attribute("cluster"));
    assert_eq!(
        violation.detail,
        "cluster is \"prod cluster\": it contains ' ', which is not allowed. Use the \
         cluster's name (1 to 255 letters, digits, hyphens and underscores) or its ARN, \
         such as \"arn:aws:ecs:eu-west-1:123456789012:cluster/prod\"."
    );
}

// --- namespace ----------------------------------------------------------------------

#[test]
fn namespace_names() {
    for good in [
        "internal.myapp",
        "local",
        "svc_1.my-app.internal",
        &format!("{}.{}", "a".repeat(63), "b".repeat(63)),
    ] {
        assert_eq!(validate_namespace_name(good), Ok(()), "{good}");
    }
    let long = vec!["a".repeat(50); 5].join("."); // 254 characters
    for (bad, reason) in [
        ("", "it is empty".to_string()),
        (
            long.as_str(),
            "it is 254 characters long, over the limit of 253".to_string(),
        ),
        (
            "Internal.myapp",
            "it contains the uppercase letter 'I'; DNS names are case-insensitive and ECS \
             takes endpoint names in lowercase"
                .to_string(),
        ),
        (
            "internal myapp",
            "it contains ' ', which is not allowed".to_string(),
        ),
        (
            "internal..myapp",
            "it has an empty label (two dots in a row)".to_string(),
        ),
        (".internal", "it starts with a dot".to_string()),
        (
            "internal.myapp.",
            "it ends with a dot; leave the trailing dot out".to_string(),
        ),
        (
            "-internal.myapp",
            "its label \"-internal\" starts or ends with a hyphen".to_string(),
        ),
        (
            "internal.myapp-",
            "its label \"myapp-\" starts or ends with a hyphen".to_string(),
        ),
        (
            &format!("{}.myapp", "a".repeat(64)),
            format!(
                "its label \"{}\" is 64 characters long, over the DNS limit of 63",
                "a".repeat(64)
            ),
        ),
    ] {
        assert_eq!(validate_namespace_name(bad), Err(reason), "{bad}");
    }
    let config = ConfigView {
        namespace: text("Internal.MyApp"),
        ..example_base()
    };
    let violation = validate_config(&config)
        .into_iter()
        .find(|v| v.rule == Rule::NamespaceNameInvalid)
        .expect("namespace violation");
    assert_eq!(violation.field, Field::Attribute("namespace"));
    assert!(
        violation
            .detail
            .starts_with("namespace is \"Internal.MyApp\": it contains the uppercase letter 'I'")
    );
    assert!(violation.detail.contains("such as \"internal.myapp\""));
}

#[test]
fn vpc_ids() {
    for good in ["vpc-0abc1234", "vpc-0123456789abcdef0"] {
        assert_eq!(validate_vpc_id(good), Ok(()), "{good}");
    }
    for (bad, reason) in [
        ("0abc1234", "it does not start with \"vpc-\""),
        (
            "vpc-0abc123",
            "it has 7 characters after \"vpc-\" instead of 8 or 17",
        ),
        (
            "vpc-0ABC1234",
            "it contains 'A', which is not a lowercase hexadecimal digit",
        ),
        (
            "vpc-0abc123g",
            "it contains 'g', which is not a lowercase hexadecimal digit",
        ),
    ] {
        assert_eq!(validate_vpc_id(bad), Err(reason.to_string()), "{bad}");
    }
    let config = ConfigView {
        vpc_id: text("vpc-0abc123"),
        ..example_base()
    };
    let violation = only(&config, Rule::VpcIdInvalid);
    assert_eq!(violation.field, Field::Attribute("vpc_id"));
    assert_eq!(
        violation.detail,
        "vpc_id is \"vpc-0abc123\": it has 7 characters after \"vpc-\" instead of 8 or 17. \
         Use the VPC's id, \"vpc-\" followed by 8 or 17 lowercase hexadecimal digits, such \
         as \"vpc-0abc1234def567890\"."
    );
}

fn existing(id: Attr<String>) -> ConfigView {
    ConfigView {
        namespace: Attr::Null,
        vpc_id: Attr::Null,
        namespace_id: id,
        ..example_base()
    }
}

#[test]
fn namespace_ids() {
    assert_clean(&existing(text("ns-abcdefghijklmnop")));
    // A namespace shared through AWS RAM is named by its ARN.
    assert_eq!(
        validate_namespace_id(
            "arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-abcdefghijklmnop"
        ),
        Ok(())
    );
    let not_a_namespace = "it is an ARN, but not of a Cloud Map namespace \
        (arn:<partition>:servicediscovery:<region>:<account>:namespace/ns-…)";
    for arn in [
        "arn:aws:servicediscovery:eu-west-1:1:namespace/x",
        "arn:aws:servicediscovery:eu-west-1:1:service/srv-abcdefghijklmnop",
        "arn:aws:ecs:eu-west-1:123456789012:cluster/prod",
    ] {
        assert_eq!(
            validate_namespace_id(arn),
            Err(not_a_namespace.to_string()),
            "{arn}"
        );
    }
    let violation = only(&existing(text("internal.myapp")), Rule::NamespaceIdInvalid);
    assert_eq!(violation.field, Field::Attribute("namespace_id"));
    assert_eq!(
        violation.detail,
        "namespace_id is \"internal.myapp\": it is not \"ns-\" followed by 16 lowercase \
         letters or digits. Use the namespace's id, \"ns-\" followed by 16 lowercase \
         letters or digits, such as \"ns-abcdefghijklmnop\", or the ARN of a namespace \
         shared with this account through AWS RAM."
    );
}

#[test]
fn exactly_one_namespace() {
    // Both.
    let both = ConfigView {
        namespace_id: text("ns-abcdefghijklmnop"),
        ..example_base()
    };
    let violation = only(&both, Rule::NamespaceConflict);
    assert_eq!(violation.field, Field::Attribute("namespace_id"));
    assert_eq!(
        violation.detail,
        "namespace_id is set together with namespace and vpc_id. namespace_id wires \
         services onto an existing namespace; namespace and vpc_id create a new one. \
         Remove namespace_id, or remove namespace and vpc_id."
    );
    let with_vpc_only = ConfigView {
        namespace: Attr::Null,
        ..both.clone()
    };
    assert!(
        only(&with_vpc_only, Rule::NamespaceConflict)
            .detail
            .starts_with("namespace_id is set together with vpc_id.")
    );
    // Neither.
    let neither = existing(Attr::Null);
    let violation = only(&neither, Rule::NamespaceMissing);
    assert_eq!(violation.field, Field::Attribute("namespace"));
    assert_eq!(
        violation.detail,
        "Neither namespace nor namespace_id is set. Set namespace and vpc_id to create a \
         private DNS namespace, or namespace_id to use an existing one."
    );
    // vpc_id alone is not a namespace either.
    let vpc_alone = ConfigView {
        vpc_id: text("vpc-0abc1234"),
        ..existing(Attr::Null)
    };
    assert_eq!(rules(&vpc_alone), vec![Rule::NamespaceMissing]);
    // Namespace without VPC.
    let no_vpc = ConfigView {
        vpc_id: Attr::Null,
        ..example_base()
    };
    let violation = only(&no_vpc, Rule::VpcIdMissing);
    assert_eq!(violation.field, Field::Attribute("vpc_id"));
    assert_eq!(
        violation.detail,
        "namespace is \"internal.myapp\" but vpc_id is not set. A private DNS namespace \
         belongs to a VPC: set vpc_id, or use namespace_id for an existing namespace."
    );
}

#[test]
fn unknown_namespace_settings_may_still_turn_out_null() {
    // namespace_id unknown next to a known namespace: it may be null after all.
    let config = ConfigView {
        namespace_id: Attr::Unknown,
        ..example_base()
    };
    assert_clean(&config);
    // Unknown namespace and no namespace_id: not "missing".
    let config = ConfigView {
        namespace: Attr::Unknown,
        ..example_base()
    };
    assert_clean(&config);
    // Unknown vpc_id: not "missing", not invalid.
    let config = ConfigView {
        vpc_id: Attr::Unknown,
        ..example_base()
    };
    assert_clean(&config);
    assert_clean(&existing(Attr::Unknown));
    // An unknown namespace name with no vpc_id cannot be judged either way.
    let config = ConfigView {
        namespace: Attr::Unknown,
        vpc_id: Attr::Null,
        ..example_base()
    };
    assert_clean(&config);
}

#[test]
fn descriptions() {
    let config = ConfigView {
        description: text(&"é".repeat(1024)),
        ..example_base()
    };
    assert_clean(&config);
    let config = ConfigView {
        description: text(&"x".repeat(1025)),
        ..example_base()
    };
    let violation = only(&config, Rule::DescriptionTooLong);
    assert_eq!(violation.field, Field::Attribute("description"));
    assert_eq!(
        violation.detail,
        "description is 1025 characters long, over the Cloud Map limit of 1024. Shorten it."
    );
}

// --- services -----------------------------------------------------------------------

#[test]
fn service_names() {
    assert_clean(&one_service("Orders_API-2", {
        let mut view = server("orders");
        view.discovery_name = text("orders");
        view
    }));
    let config = one_service("my backend", server("backend-8080-tcp"));
    let violation = only(&config, Rule::ServiceNameInvalid);
    assert_eq!(
        violation.field,
        Field::Service {
            key: "my backend".to_string(),
            attribute: None
        }
    );
    assert_eq!(
        violation.detail,
        "The services key \"my backend\" is not an ECS service name: it contains ' ', \
         which is not allowed. Use the ECS service's name: 1 to 255 letters, digits, \
         hyphens and underscores."
    );
    // Long keys are cut in the message.
    let long = "s".repeat(256);
    let config = one_service(&long, {
        let mut view = server("backend-8080-tcp");
        view.discovery_name = text("backend");
        view
    });
    let violation = only(&config, Rule::ServiceNameInvalid);
    assert!(violation.detail.starts_with(&format!(
        "The services key \"{}\"… is not an ECS service name: it is 256 characters long",
        "s".repeat(60)
    )));

    let config = ConfigView {
        client_services: Attr::Known(vec![Attr::Known("web/frontend".to_string())]),
        ..example_base()
    };
    let violation = only(&config, Rule::ServiceNameInvalid);
    assert_eq!(
        violation.field,
        Field::ClientService("web/frontend".to_string())
    );
    assert_eq!(
        violation.detail,
        "The client_services entry \"web/frontend\" is not an ECS service name: it \
         contains '/', which is not allowed. Use the ECS service's name: 1 to 255 letters, \
         digits, hyphens and underscores."
    );
}

#[test]
fn port_names() {
    for good in ["backend-8080-tcp", "http", "a_1", &"p".repeat(64)] {
        assert_eq!(validate_port_name(good), Ok(()), "{good}");
    }
    for (bad, reason) in [
        ("", "it is empty"),
        ("Backend", "it contains 'B', which is not allowed"),
        ("-http", "it starts with a hyphen"),
        ("http.tcp", "it contains '.', which is not allowed"),
    ] {
        assert_eq!(validate_port_name(bad), Err(reason.to_string()), "{bad}");
    }
    assert_eq!(
        validate_port_name(&"p".repeat(65)),
        Err("it is 65 characters long, over the limit of 64".to_string())
    );
    let violation = only(
        &one_service("backend", server("Backend-8080")),
        Rule::PortNameInvalid,
    );
    assert_eq!(violation.field, service_field("backend", "port_name"));
    assert_eq!(
        violation.detail,
        "services[\"backend\"].port_name is \"Backend-8080\": it contains 'B', which is not \
         allowed. Use the name of a portMappings entry of the service's task definition: 1 \
         to 64 lowercase letters, digits, underscores and hyphens, not starting with a \
         hyphen."
    );
}

#[test]
fn discovery_names() {
    for good in ["backend", "back_end-2", "0api", &"d".repeat(64)] {
        assert_eq!(validate_discovery_name(good), Ok(()), "{good}");
    }
    for (bad, reason) in [
        ("", "it is empty".to_string()),
        ("-backend", "it starts with a hyphen".to_string()),
        (
            "back.end",
            "it contains '.', which is not allowed".to_string(),
        ),
        (
            "Backend",
            "it contains 'B', which is not allowed".to_string(),
        ),
        (
            &"d".repeat(65),
            "it is 65 characters long, over the limit of 64".to_string(),
        ),
    ] {
        assert_eq!(validate_discovery_name(bad), Err(reason), "{bad}");
    }
    let mut view = server("backend-8080-tcp");
    view.discovery_name = text("-backend");
    let violation = only(&one_service("backend", view), Rule::DiscoveryNameInvalid);
    assert_eq!(violation.field, service_field("backend", "discovery_name"));
    assert_eq!(
        violation.detail,
        "services[\"backend\"].discovery_name is \"-backend\": it starts with a hyphen. Use \
         1 to 64 lowercase letters, digits, underscores and hyphens, not starting with a \
         hyphen."
    );
}

#[test]
fn default_discovery_names() {
    let violation = only(
        &one_service("Orders_API", server("orders-8080")),
        Rule::DefaultDiscoveryNameInvalid,
    );
    assert_eq!(
        violation.field,
        Field::Service {
            key: "Orders_API".to_string(),
            attribute: None
        }
    );
    assert_eq!(
        violation.detail,
        "services[\"Orders_API\"] has no discovery_name, so it defaults to the service name \
         \"Orders_API\", which is not a valid discovery name: it contains 'O', which is not \
         allowed. Set discovery_name to 1 to 64 lowercase letters, digits, underscores and \
         hyphens, such as \"orders_api\"."
    );
    // A key too long for a discovery name, but a fine ECS name.
    let key = format!("-{}", "s".repeat(70));
    assert_eq!(
        suggest_discovery_name(&key),
        Some("s".repeat(64)),
        "leading hyphens dropped, cut to 64"
    );
    assert_eq!(suggest_discovery_name("---"), None);
    assert_eq!(
        rules(&one_service(&key, server("p"))),
        vec![Rule::DefaultDiscoveryNameInvalid]
    );
    // An explicit discovery name lifts the requirement; an unknown one defers it.
    let mut view = server("orders-8080");
    view.discovery_name = text("orders");
    assert_clean(&one_service("Orders_API", view.clone()));
    view.discovery_name = Attr::Unknown;
    assert_clean(&one_service("Orders_API", view));
    // A key that is not even an ECS name is reported once, as such.
    assert_eq!(
        rules(&one_service("Orders API", server("p"))),
        vec![Rule::ServiceNameInvalid]
    );
}

#[test]
fn dns_names() {
    for good in [
        "backend",
        "backend.internal.myapp",
        "back_end-1.internal",
        &format!("{}.{}", "a".repeat(63), "b".repeat(63)),
    ] {
        assert_eq!(validate_dns_name(good), Ok(()), "{good}");
    }
    for (bad, reason) in [
        ("", "it is empty".to_string()),
        ("-backend", "it starts with a hyphen".to_string()),
        (
            "Backend",
            "it contains 'B', which is not allowed".to_string(),
        ),
        (
            "back end",
            "it contains ' ', which is not allowed".to_string(),
        ),
        (
            "backend..internal",
            "it has an empty label (two dots in a row)".to_string(),
        ),
        (".backend", "it starts with a dot".to_string()),
        (
            "backend.",
            "it ends with a dot; leave the trailing dot out".to_string(),
        ),
        (
            &"a".repeat(128),
            "it is 128 characters long, over the limit of 127".to_string(),
        ),
        (
            &format!("{}.b", "a".repeat(64)),
            format!(
                "its label \"{}\" is 64 characters long, over the DNS limit of 63",
                "a".repeat(64)
            ),
        ),
    ] {
        assert_eq!(validate_dns_name(bad), Err(reason), "{bad}");
    }
    let mut view = server("backend-8080-tcp");
    view.dns_name = text("backend..internal");
    let violation = only(&one_service("backend", view), Rule::DnsNameInvalid);
    assert_eq!(violation.field, service_field("backend", "dns_name"));
    assert_eq!(
        violation.detail,
        "services[\"backend\"].dns_name is \"backend..internal\": it has an empty label \
         (two dots in a row). Use at most 127 lowercase letters, digits, underscores, \
         hyphens and dots, not starting with a hyphen, such as \"backend.internal.myapp\"."
    );
}

#[test]
fn default_dns_names() {
    let namespace = format!("{}.myapp", "a".repeat(60));
    let mut view = server("backend-8080-tcp");
    view.discovery_name = text(&"b".repeat(64));
    let config = ConfigView {
        namespace: text(&namespace),
        ..one_service("backend", view.clone())
    };
    let violation = only(&config, Rule::DefaultDnsNameInvalid);
    assert_eq!(
        violation.field,
        Field::Service {
            key: "backend".to_string(),
            attribute: None
        }
    );
    assert_eq!(
        violation.detail,
        format!(
            "services[\"backend\"] has no dns_name, so it defaults to \"{}\"… (discovery \
             name, then namespace), which is not a valid DNS name: it is 131 characters \
             long, over the limit of 127. Set a shorter dns_name, or shorten discovery_name \
             or namespace.",
            "b".repeat(60)
        )
    );
    // 63 + 1 + 63 = 127 fits.
    let mut fits = view.clone();
    fits.discovery_name = text(&"b".repeat(60));
    assert_clean(&ConfigView {
        namespace: text(&namespace),
        ..one_service("backend", fits)
    });
    // An explicit dns_name replaces the default.
    let mut explicit = view.clone();
    explicit.dns_name = text("backend.internal");
    assert_clean(&ConfigView {
        namespace: text(&namespace),
        ..one_service("backend", explicit)
    });
    // An existing namespace's name is unknown: nothing to derive.
    assert_clean(&ConfigView {
        namespace: Attr::Null,
        vpc_id: Attr::Null,
        namespace_id: text("ns-abcdefghijklmnop"),
        ..one_service("backend", view.clone())
    });
    // An invalid namespace is reported as such, not again through its default names.
    assert_eq!(
        rules(&ConfigView {
            namespace: text("Internal.myapp"),
            ..example_base()
        }),
        vec![Rule::NamespaceNameInvalid]
    );
}

#[test]
fn ports() {
    for good in [1, 80, 8080, 65535] {
        assert_eq!(validate_port(good), Ok(()), "{good}");
    }
    assert_eq!(
        validate_port(0),
        Err("port 0 gives clients no port to connect to".to_string())
    );
    assert_eq!(
        validate_port(-1),
        Err("it is outside 1 to 65535".to_string())
    );
    assert_eq!(
        validate_port(65536),
        Err("it is outside 1 to 65535".to_string())
    );
    let mut view = server("backend-8080-tcp");
    view.port = num(0);
    let violation = only(&one_service("backend", view), Rule::PortOutOfRange);
    assert_eq!(violation.field, service_field("backend", "port"));
    assert_eq!(
        violation.detail,
        "services[\"backend\"].port is 0: port 0 gives clients no port to connect to. Use a \
         port from 1 to 65535, or leave port out to use the container port of port_name."
    );
}

#[test]
fn ingress_port_overrides() {
    for good in [1025, 15000, 65535] {
        assert_eq!(validate_ingress_port_override(good), Ok(()), "{good}");
    }
    for bad in [0, 80, 1024] {
        assert_eq!(
            validate_ingress_port_override(bad),
            Err("ECS rejects ingress ports of 1024 and below".to_string())
        );
    }
    for bad in [-1, 65536] {
        assert_eq!(
            validate_ingress_port_override(bad),
            Err("it is outside 1025 to 65535".to_string())
        );
    }
    let mut view = server("backend-8080-tcp");
    view.ingress_port_override = num(80);
    let violation = only(
        &one_service("backend", view),
        Rule::IngressPortOverrideOutOfRange,
    );
    assert_eq!(
        violation.field,
        service_field("backend", "ingress_port_override")
    );
    assert_eq!(
        violation.detail,
        "services[\"backend\"].ingress_port_override is 80: ECS rejects ingress ports of \
         1024 and below. Use a port from 1025 to 65535, or leave ingress_port_override out."
    );
}

#[test]
fn timeout_seconds() {
    for good in [0, 1, 300, MAX_TIMEOUT_SECONDS] {
        assert_eq!(validate_timeout_seconds(good), Ok(()), "{good}");
    }
    assert_eq!(
        validate_timeout_seconds(-1),
        Err("it is negative".to_string())
    );
    assert_eq!(
        validate_timeout_seconds(MAX_TIMEOUT_SECONDS + 1),
        Err("it is over the ECS limit of 2147483647".to_string())
    );
    let mut view = server("backend-8080-tcp");
    view.idle_timeout_seconds = num(-1);
    view.per_request_timeout_seconds = num(MAX_TIMEOUT_SECONDS + 1);
    let violations = validate_config(&one_service("backend", view));
    assert_eq!(violations.len(), 2, "{violations:#?}");
    assert!(
        violations
            .iter()
            .all(|v| v.rule == Rule::TimeoutSecondsOutOfRange)
    );
    assert_eq!(
        violations[0].field,
        service_field("backend", "idle_timeout_seconds")
    );
    assert_eq!(
        violations[0].detail,
        "services[\"backend\"].idle_timeout_seconds is -1: it is negative. Use 0 (no \
         timeout) to 2147483647 seconds, or leave it out for the ECS default."
    );
    assert_eq!(
        violations[1].field,
        service_field("backend", "per_request_timeout_seconds")
    );
    assert!(violations[1].detail.starts_with(
        "services[\"backend\"].per_request_timeout_seconds is 2147483648: it is over the \
         ECS limit of 2147483647."
    ));
}

#[test]
fn discovery_names_are_unique() {
    let mut v2 = server("backend-8080-tcp");
    v2.discovery_name = text("backend");
    let config = with_services(vec![
        ("backend", Attr::Known(server("backend-8080-tcp"))),
        ("backend-v2", Attr::Known(v2.clone())),
    ]);
    let violation = only(&config, Rule::DuplicateDiscoveryName);
    assert_eq!(
        violation.field,
        service_field("backend-v2", "discovery_name")
    );
    assert_eq!(
        violation.detail,
        "services[\"backend-v2\"] and services[\"backend\"] both use the discovery name \
         \"backend\", but each discovery name is one Cloud Map service in the namespace. \
         Set a different discovery_name on one of them."
    );
    // Distinct names pass; an unknown one is not compared.
    v2.discovery_name = text("backend-v2");
    assert_clean(&with_services(vec![
        ("backend", Attr::Known(server("backend-8080-tcp"))),
        ("backend-v2", Attr::Known(v2.clone())),
    ]));
    v2.discovery_name = Attr::Unknown;
    assert_clean(&with_services(vec![
        ("backend", Attr::Known(server("backend-8080-tcp"))),
        ("backend-v2", Attr::Known(v2)),
    ]));
}

#[test]
fn endpoints_are_unique() {
    let mut a = server("backend-8080-tcp");
    a.port = num(8080);
    let mut b = server("backend-8080-tcp");
    b.dns_name = text("backend.internal.myapp");
    b.port = num(8080);
    let config = with_services(vec![
        ("backend", Attr::Known(a.clone())),
        ("backend-v2", Attr::Known(b.clone())),
    ]);
    let violation = only(&config, Rule::DuplicateEndpoint);
    assert_eq!(violation.field, service_field("backend-v2", "dns_name"));
    assert_eq!(
        violation.detail,
        "services[\"backend-v2\"] and services[\"backend\"] both use the endpoint \
         backend.internal.myapp:8080, but each DNS name and port must be unique in the \
         namespace. Change dns_name or port on one of them."
    );
    // Same name, other port: fine.
    let mut other_port = b.clone();
    other_port.port = num(9090);
    assert_clean(&with_services(vec![
        ("backend", Attr::Known(a.clone())),
        ("backend-v2", Attr::Known(other_port)),
    ]));
    // A port from the task definition (not set) or unknown cannot be compared.
    for port in [Attr::Null, Attr::Unknown] {
        let mut unknown_port = b.clone();
        unknown_port.port = port;
        assert_clean(&with_services(vec![
            ("backend", Attr::Known(a.clone())),
            ("backend-v2", Attr::Known(unknown_port)),
        ]));
    }
    // Nor can an unknown DNS name.
    let mut unknown_dns = b.clone();
    unknown_dns.dns_name = Attr::Unknown;
    assert_clean(&with_services(vec![
        ("backend", Attr::Known(a)),
        ("backend-v2", Attr::Known(unknown_dns)),
    ]));
}

#[test]
fn a_service_is_server_or_client() {
    let config = ConfigView {
        client_services: Attr::Known(vec![
            Attr::Known("backend".to_string()),
            Attr::Known("frontend".to_string()),
        ]),
        ..example_base()
    };
    let violation = only(&config, Rule::ServerAlsoClient);
    assert_eq!(violation.field, Field::ClientService("backend".to_string()));
    assert_eq!(
        violation.detail,
        "\"backend\" is in both services and client_services. A service in services \
         already calls the others: remove it from client_services."
    );
    // Unknown services map: cannot tell.
    let config = ConfigView {
        services: Attr::Unknown,
        ..config
    };
    assert_clean(&config);
}

#[test]
fn a_new_namespace_needs_a_server_first() {
    let clients_only = ConfigView {
        services: Attr::Null,
        client_services: Attr::Known(vec![Attr::Known("frontend".to_string())]),
        ..example_base()
    };
    let violation = only(&clients_only, Rule::ClientOnlyNewNamespace);
    assert_eq!(violation.field, Field::Attribute("client_services"));
    assert_eq!(
        violation.detail,
        "client_services lists \"frontend\" but services is empty, and the namespace is \
         this resource's own (namespace and vpc_id), so no service in it serves anything. \
         A client-only service cannot be the first in an empty namespace (its deployment \
         does not complete). Add at least one entry to services, or use namespace_id with \
         a namespace that already has servers."
    );
    // An empty map counts as empty; an unknown element still counts as a client.
    let config = ConfigView {
        services: Attr::Known(BTreeMap::new()),
        client_services: Attr::Known(vec![Attr::Unknown]),
        ..clients_only.clone()
    };
    assert!(
        only(&config, Rule::ClientOnlyNewNamespace)
            .detail
            .starts_with("client_services lists services but services is empty")
    );
    // An existing namespace may already have servers.
    let config = ConfigView {
        namespace: Attr::Null,
        vpc_id: Attr::Null,
        namespace_id: text("ns-abcdefghijklmnop"),
        ..clients_only.clone()
    };
    assert_clean(&config);
    // Unknown services, or an unknown (but present) entry: not empty.
    assert_clean(&ConfigView {
        services: Attr::Unknown,
        ..clients_only.clone()
    });
    assert_clean(&ConfigView {
        services: Attr::Known(BTreeMap::from([("backend".to_string(), Attr::Unknown)])),
        ..clients_only.clone()
    });
    // No clients, no servers: just a namespace, which is fine.
    assert_clean(&ConfigView {
        client_services: Attr::Known(vec![]),
        ..clients_only
    });
}

// --- timeouts -----------------------------------------------------------------------

#[test]
fn parses_go_durations() {
    for (text, seconds, nanos) in [
        ("20m", 1200, 0),
        ("1h30m", 5400, 0),
        ("90s", 90, 0),
        ("1.5h", 5400, 0),
        (".5s", 0, 500_000_000),
        ("5.s", 5, 0),
        ("+2m", 120, 0),
        ("1h1m1s1ms1us1ns", 3661, 1_001_001),
        ("1\u{b5}s", 0, 1_000),
        ("1\u{3bc}s", 0, 1_000),
        ("0.000000001s", 0, 1),
        ("2562047h", 2562047 * 3600, 0),
    ] {
        assert_eq!(
            parse_duration(text),
            Ok(Duration::new(seconds, nanos)),
            "{text}"
        );
    }
    for (text, reason) in [
        ("", "it is empty"),
        ("-", "it is empty"),
        ("0", "it is zero"),
        ("0s", "it is zero"),
        ("0.0h", "it is zero"),
        ("-5m", "it is negative"),
        ("20", "the number \"20\" has no unit"),
        ("1h30", "the number \"30\" has no unit"),
        ("20 minutes", "\" minutes\" is not a unit"),
        ("20min", "\"min\" is not a unit"),
        ("1d", "\"d\" is not a unit"),
        ("m", "'m' is not where a number should be"),
        (" 20m", "' ' is not where a number should be"),
        (".s", "'s' is not where a number should be"),
        ("1h-5m", "\"h-\" is not a unit"),
        (
            "2562048h",
            "it is longer than Go durations allow (about 292 years)",
        ),
        (
            "99999999999999999999999999999999999999999h",
            "it is longer than Go durations allow (about 292 years)",
        ),
    ] {
        assert_eq!(parse_duration(text), Err(reason.to_string()), "{text:?}");
    }
}

#[test]
fn timeouts_attribute() {
    assert_clean(&timeouts("1h30m"));
    let violation = only(&timeouts("20 minutes"), Rule::DurationInvalid);
    assert_eq!(violation.field, Field::Timeout("create"));
    assert_eq!(
        violation.detail,
        "timeouts.create is \"20 minutes\": \" minutes\" is not a unit. Use a Go duration: \
         numbers with units h, m, s, ms, us or ns, such as \"20m\", \"1h30m\", \"90s\" or \
         \"1.5h\"."
    );
    let violation = only(&timeouts("0s"), Rule::DurationNotPositive);
    assert_eq!(
        violation.detail,
        "timeouts.create is \"0s\": it is zero. Use a positive duration such as \"20m\", or \
         leave it out for the default."
    );
    let violation = only(&timeouts("-5m"), Rule::DurationNotPositive);
    assert_eq!(
        violation.detail,
        "timeouts.create is \"-5m\": it is negative. Use a positive duration such as \
         \"20m\", or leave it out for the default."
    );
    let all_bad = ConfigView {
        timeouts: Attr::Known(TimeoutsView {
            create: text("x"),
            update: Attr::Unknown,
            delete: text("0"),
        }),
        ..example_base()
    };
    let fields: Vec<Field> = validate_config(&all_bad)
        .into_iter()
        .map(|v| v.field)
        .collect();
    assert_eq!(
        fields,
        vec![Field::Timeout("create"), Field::Timeout("delete")]
    );
    assert_clean(&ConfigView {
        timeouts: Attr::Unknown,
        ..example_base()
    });
}

// --- tags ---------------------------------------------------------------------------

#[test]
fn tag_counts() {
    let fifty = (0..50).map(|i| (format!("t{i}"), String::new())).collect();
    assert_clean(&tagged(fifty));
    let many = (0..52).map(|i| (format!("t{i}"), String::new())).collect();
    let violation = only(&tagged(many), Rule::TooManyTags);
    assert_eq!(violation.field, Field::Attribute("tags"));
    assert_eq!(
        violation.detail,
        "tags has 52 entries, over the Cloud Map limit of 50 per resource. Remove 2 of them."
    );
}

#[test]
fn tag_keys_and_values() {
    assert_clean(&tagged(vec![
        ("k".repeat(128), "v".repeat(256)),
        ("awsome".to_string(), String::new()),
        ("team:aws:x".to_string(), "aws:ok".to_string()),
    ]));

    let violation = only(
        &tagged(vec![(String::new(), "x".to_string())]),
        Rule::TagKeyLength,
    );
    assert_eq!(violation.field, Field::Tag(String::new()));
    assert_eq!(
        violation.detail,
        "The tag key \"\" is not valid: it is empty. Use a key of 1 to 128 characters."
    );
    let violation = only(
        &tagged(vec![("k".repeat(129), String::new())]),
        Rule::TagKeyLength,
    );
    assert_eq!(
        violation.detail,
        format!(
            "The tag key \"{}\"… is not valid: it is 129 characters long, over the limit of \
             128. Use a key of 1 to 128 characters.",
            "k".repeat(60)
        )
    );

    for key in ["aws:team", "AWS:team", "Aws:x"] {
        let violation = only(
            &tagged(vec![(key.to_string(), String::new())]),
            Rule::TagKeyReserved,
        );
        assert_eq!(violation.field, Field::Tag(key.to_string()));
        assert_eq!(
            violation.detail,
            format!(
                "The tag key {key:?} starts with \"aws:\", a prefix AWS reserves for its own \
                 tags. Rename the key."
            )
        );
    }
    assert!(!is_reserved_tag_key("aws"));
    assert!(!is_reserved_tag_key("éaws:"));

    let violation = only(
        &tagged(vec![("team".to_string(), "v".repeat(257))]),
        Rule::TagValueTooLong,
    );
    assert_eq!(violation.field, Field::Tag("team".to_string()));
    assert_eq!(
        violation.detail,
        "The value of tag \"team\" is 257 characters long, over the limit of 256. Shorten it."
    );
    // Unknown values and unknown maps are skipped.
    let config = ConfigView {
        tags: Attr::Known(BTreeMap::from([("team".to_string(), Attr::Unknown)])),
        ..example_base()
    };
    assert_clean(&config);
    assert_clean(&ConfigView {
        tags: Attr::Unknown,
        ..example_base()
    });
}

// --- unknowns -----------------------------------------------------------------------

#[test]
fn unknown_values_skip_their_checks() {
    let all_unknown = ConfigView {
        cluster: Attr::Unknown,
        namespace: Attr::Unknown,
        vpc_id: Attr::Unknown,
        namespace_id: Attr::Null,
        description: Attr::Unknown,
        tags: Attr::Unknown,
        services: Attr::Unknown,
        client_services: Attr::Unknown,
        wait_for_steady_state: Attr::Unknown,
        timeouts: Attr::Unknown,
        external_services: Attr::Unknown,
        idle_timeout_seconds: Attr::Unknown,
        per_request_timeout_seconds: Attr::Unknown,
        tls: Attr::Unknown,
        log_configuration: Attr::Unknown,
        access_log_configuration: Attr::Unknown,
    };
    assert_clean(&all_unknown);

    // An unknown service entry: only its (always known) key is checked.
    let config = with_services(vec![("backend", Attr::Unknown)]);
    assert_clean(&config);
    let config = with_services(vec![("bad key", Attr::Unknown)]);
    assert_eq!(rules(&config), vec![Rule::ServiceNameInvalid]);

    // Every attribute of an entry unknown.
    let view = ServiceView {
        port_name: Attr::Unknown,
        discovery_name: Attr::Unknown,
        dns_name: Attr::Unknown,
        port: Attr::Unknown,
        ingress_port_override: Attr::Unknown,
        idle_timeout_seconds: Attr::Unknown,
        per_request_timeout_seconds: Attr::Unknown,
        tls: Attr::Unknown,
        endpoints: Attr::Unknown,
        log_configuration: Attr::Unknown,
        access_log_configuration: Attr::Unknown,
    };
    assert_clean(&one_service("backend", view));
    // Every attribute of an endpoint, and of each setting, unknown.
    let mut view = server("backend-8080-tcp");
    view.port_name = Attr::Null;
    view.endpoints = Attr::Known(BTreeMap::from([
        (
            "api".to_string(),
            Attr::Known(EndpointView {
                port_name: Attr::Unknown,
                dns_name: Attr::Unknown,
                port: Attr::Unknown,
                ingress_port_override: Attr::Unknown,
                idle_timeout_seconds: Attr::Unknown,
                per_request_timeout_seconds: Attr::Unknown,
                tls: Attr::Known(TlsView {
                    aws_pca_authority_arn: Attr::Unknown,
                    kms_key: Attr::Unknown,
                    role_arn: Attr::Unknown,
                }),
            }),
        ),
        ("api-grpc".to_string(), Attr::Unknown),
    ]));
    view.log_configuration = Attr::Known(LogView {
        log_driver: Attr::Unknown,
        options: Attr::Unknown,
        secret_options: Attr::Known(vec![
            Attr::Unknown,
            Attr::Known(SecretView {
                name: Attr::Unknown,
                value_from: Attr::Unknown,
            }),
        ]),
    });
    view.access_log_configuration = Attr::Known(AccessLogView {
        format: Attr::Unknown,
        include_query_parameters: Attr::Unknown,
    });
    assert_clean(&one_service("backend", view));

    // Unknown client_services elements are neither validated nor compared.
    let config = ConfigView {
        client_services: Attr::Known(vec![Attr::Unknown]),
        ..example_base()
    };
    assert_clean(&config);

    // With an unknown namespace name, default DNS names are not derived.
    let mut long = server("p");
    long.discovery_name = text(&"b".repeat(64));
    assert_clean(&ConfigView {
        namespace: Attr::Unknown,
        ..one_service("backend", long)
    });
}

#[test]
fn several_violations_come_in_a_stable_order() {
    let mut view = server("Bad");
    view.port = num(0);
    let config = ConfigView {
        cluster: text("a b"),
        vpc_id: text("vpc-1"),
        tags: Attr::Known(BTreeMap::from([(
            "aws:x".to_string(),
            Attr::Known(String::new()),
        )])),
        timeouts: Attr::Known(TimeoutsView {
            update: text("soon"),
            ..TimeoutsView::default()
        }),
        ..one_service("backend", view)
    };
    assert_eq!(
        rules(&config),
        vec![
            Rule::ClusterInvalid,
            Rule::VpcIdInvalid,
            Rule::TagKeyReserved,
            Rule::PortNameInvalid,
            Rule::PortOutOfRange,
            Rule::DurationInvalid,
        ]
    );
}

#[test]
fn fields_display_as_terraform_paths() {
    assert_eq!(Field::Attribute("vpc_id").to_string(), "vpc_id");
    assert_eq!(
        service_field("backend", "dns_name").to_string(),
        "services[\"backend\"].dns_name"
    );
    assert_eq!(
        Field::Service {
            key: "backend".to_string(),
            attribute: None
        }
        .to_string(),
        "services[\"backend\"]"
    );
    assert_eq!(
        Field::ClientService("web".to_string()).to_string(),
        "client_services[\"web\"]"
    );
    assert_eq!(Field::Tag("team".to_string()).to_string(), "tags[\"team\"]");
    assert_eq!(Field::Timeout("create").to_string(), "timeouts.create");
}

// --- the rules table and its documentation ------------------------------------------

#[test]
fn every_rule_has_a_distinct_id_and_an_example_that_breaks_only_it() {
    let ids: std::collections::BTreeSet<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
    assert_eq!(ids.len(), Rule::ALL.len());
    for rule in Rule::ALL {
        assert_eq!(rules(&example(rule)), vec![rule], "example of {rule}");
    }
    for (rule, text, message) in rules_table() {
        assert!(!text.is_empty(), "{rule}");
        assert!(
            message.starts_with(&format!("{}: ", rule.summary())),
            "{rule}: {message}"
        );
        assert!(!message.contains('\n'), "{rule}: one line");
    }
}

const DOCS: &str = include_str!("../../../docs/validation.md");
const BEGIN: &str = "<!-- rules:begin -->\n";
const END: &str = "<!-- rules:end -->";

#[test]
fn docs_list_every_rule_with_its_current_example() {
    for (rule, _, message) in rules_table() {
        assert!(
            DOCS.contains(&format!("`{}`", rule.id())),
            "docs/validation.md lacks rule {rule}; run `cargo test --lib \
             mesh::validate::tests::regenerate_docs -- --ignored`"
        );
        assert!(
            DOCS.contains(&message.replace('|', "\\|")),
            "docs/validation.md lacks the example message of {rule}: {message}; run `cargo \
             test --lib mesh::validate::tests::regenerate_docs -- --ignored`"
        );
    }
}

/// Rewrites the table between the markers in docs/validation.md.
#[test]
#[ignore = "writes docs/validation.md"]
fn regenerate_docs() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/validation.md");
    let current = std::fs::read_to_string(path).expect("read docs/validation.md");
    let start = current.find(BEGIN).expect("begin marker") + BEGIN.len();
    let end = current.find(END).expect("end marker");
    let updated = format!(
        "{}{}{}",
        &current[..start],
        rules_markdown(),
        &current[end..]
    );
    std::fs::write(path, updated).expect("write docs/validation.md");
}

#[test]
fn required_values_refuse_null_with_their_path() {
    let mut config = example_base();
    config.cluster = Attr::Null;
    let found = validate_config(&config);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].rule, Rule::RequiredNull);
    assert_eq!(found[0].field, Field::Attribute("cluster"));

    let found = validate_config(&with_services(vec![("backend", Attr::Null)]));
    assert_eq!(
        found
            .iter()
            .map(|v| (v.rule, v.field.to_string()))
            .collect::<Vec<_>>(),
        vec![(Rule::RequiredNull, "services[\"backend\"]".to_string())],
        "one violation for the entry, none for its null attributes"
    );

    let no_port_name = ServiceView::default();
    let found = validate_config(&one_service("backend", no_port_name));
    assert_eq!(
        found
            .iter()
            .map(|v| (v.rule, v.field.to_string()))
            .collect::<Vec<_>>(),
        vec![(
            Rule::RequiredNull,
            "services[\"backend\"].port_name".to_string()
        )]
    );

    let mut config = example_base();
    config.tags = Attr::Known(BTreeMap::from([("team".to_string(), Attr::Null)]));
    config.client_services = Attr::Known(vec![text("frontend"), Attr::Null]);
    assert_eq!(
        validate_config(&config)
            .iter()
            .map(|v| (v.rule, v.field.to_string()))
            .collect::<Vec<_>>(),
        vec![
            (Rule::RequiredNull, "tags[\"team\"]".to_string()),
            (Rule::RequiredNull, "client_services".to_string()),
        ]
    );

    // Unknown may still become a value: not refused.
    let mut config = example_base();
    config.cluster = Attr::Unknown;
    assert_clean(&config);
}

#[test]
fn durations_read_back_as_go_writes_them() {
    for (text, shown) in [
        ("1ns", "1ns"),
        ("1500ns", "1.5µs"),
        ("250ms", "250ms"),
        ("1.5s", "1.5s"),
        ("90s", "1m30s"),
        ("20m", "20m0s"),
        ("1h30m", "1h30m0s"),
        ("2h", "2h0m0s"),
    ] {
        let duration = parse_duration(text).expect("valid");
        assert_eq!(format_go_duration(duration), shown, "{text}");
        assert_eq!(parse_duration(shown), Ok(duration), "{shown} parses back");
    }
}

// --- several endpoints per service ---------------------------------------------------

/// `api` in the long form, with `edit` applied to its `api-grpc` endpoint (port name
/// `api-9090-tcp`) beside `api` (`api-8080-tcp`).
fn long_form(edit: fn(&mut EndpointView)) -> ServiceView {
    let mut service = ServiceView {
        endpoints: endpoints(&[("api", "api-8080-tcp"), ("api-grpc", "api-9090-tcp")]),
        ..ServiceView::default()
    };
    if let Attr::Known(endpoints) = &mut service.endpoints
        && let Some(Attr::Known(grpc)) = endpoints.get_mut("api-grpc")
    {
        edit(grpc);
    }
    service
}

/// The (rule, location, detail) of every violation.
fn found(config: &ConfigView) -> Vec<(Rule, String, String)> {
    validate_config(config)
        .into_iter()
        .map(|v| (v.rule, v.field.to_string(), v.detail))
        .collect()
}

#[test]
fn the_long_form_is_clean_and_every_endpoint_counts() {
    assert_clean(&one_service("api", long_form(|_| {})));
    let full = long_form(|e| {
        e.dns_name = text("grpc.internal.myapp");
        e.port = num(9090);
        e.ingress_port_override = num(19090);
        e.idle_timeout_seconds = num(0);
        e.per_request_timeout_seconds = num(30);
        e.tls = tls(|t| {
            t.kms_key = text("alias/service-connect");
            t.role_arn = text("arn:aws:iam::123456789012:role/ecs/service-connect-tls");
        });
    });
    assert_clean(&with_services(vec![
        ("api", Attr::Known(full)),
        ("backend", Attr::Known(server("backend-8080-tcp"))),
    ]));
}

/// An edit of an endpoint, the rule it breaks, the attribute at fault and the start of
/// the detail after the endpoint's label.
type EndpointCase = (fn(&mut EndpointView), Rule, &'static str, &'static str);

#[test]
fn every_endpoint_rule_applies_in_the_long_form_and_names_the_endpoint() {
    let grpc = "services[\"api\"].endpoints[\"api-grpc\"]";
    let cases: Vec<EndpointCase> = vec![
        (
            |e| e.port_name = text("API-9090"),
            Rule::PortNameInvalid,
            ".port_name",
            ".port_name is \"API-9090\": it contains 'A', which is not allowed. Use the name \
             of a portMappings entry",
        ),
        (
            |e| e.dns_name = text("grpc..internal"),
            Rule::DnsNameInvalid,
            ".dns_name",
            ".dns_name is \"grpc..internal\": it has an empty label (two dots in a row).",
        ),
        (
            |e| e.port = num(0),
            Rule::PortOutOfRange,
            ".port",
            ".port is 0: port 0 gives clients no port to connect to. Use a port from 1 to \
             65535",
        ),
        (
            |e| e.ingress_port_override = num(443),
            Rule::IngressPortOverrideOutOfRange,
            ".ingress_port_override",
            ".ingress_port_override is 443: ECS rejects ingress ports of 1024 and below.",
        ),
        (
            |e| e.per_request_timeout_seconds = num(-5),
            Rule::TimeoutSecondsOutOfRange,
            ".per_request_timeout_seconds",
            ".per_request_timeout_seconds is -5: it is negative.",
        ),
    ];
    for (edit, rule, attribute, detail) in cases {
        let violation = only(&one_service("api", long_form(edit)), rule);
        assert_eq!(violation.field.to_string(), format!("{grpc}{attribute}"));
        assert!(
            violation.detail.starts_with(&format!("{grpc}{detail}")),
            "{violation:#?}"
        );
        assert!(matches!(violation.field, Field::Endpoint { .. }));
    }
}

#[test]
fn an_endpoints_key_is_a_discovery_name() {
    let service = ServiceView {
        endpoints: endpoints(&[("Api_Grpc", "api-9090-tcp")]),
        ..ServiceView::default()
    };
    let violation = only(&one_service("api", service), Rule::DiscoveryNameInvalid);
    assert_eq!(
        violation.field,
        Field::Endpoint {
            service: "api".to_string(),
            key: "Api_Grpc".to_string(),
            attribute: None
        }
    );
    assert_eq!(
        violation.detail,
        "services[\"api\"].endpoints[\"Api_Grpc\"] is keyed by \"Api_Grpc\", which is its \
         discovery name and not a valid one: it contains 'A', which is not allowed. Rename \
         the key to 1 to 64 lowercase letters, digits, underscores and hyphens, not starting \
         with a hyphen, such as \"api_grpc\"."
    );
    // A key of the long form does not default anything: the service name may be any
    // ECS service name.
    assert_clean(&one_service("Orders_API", long_form(|_| {})));
}

#[test]
fn default_dns_names_of_the_long_form_come_from_the_key() {
    let key = "g".repeat(64);
    let config = ConfigView {
        namespace: text(&"n".repeat(63)),
        ..one_service(
            "api",
            ServiceView {
                endpoints: endpoints(&[(key.as_str(), "api-9090-tcp")]),
                ..ServiceView::default()
            },
        )
    };
    let violation = only(&config, Rule::DefaultDnsNameInvalid);
    assert_eq!(
        violation.field.to_string(),
        format!("services[\"api\"].endpoints[\"{key}\"]")
    );
    assert!(
        violation.detail.ends_with(
            "it is 128 characters long, over the limit of 127. Set a shorter dns_name, or \
             shorten the endpoints key or namespace."
        ),
        "{violation:#?}"
    );
    // The default is `<key>.<namespace>`: another endpoint written with that name and
    // port collides with it.
    let config = with_services(vec![
        ("api", Attr::Known(long_form(|e| e.port = num(9090)))),
        (
            "orders",
            Attr::Known(ServiceView {
                dns_name: text("api-grpc.internal.myapp"),
                port: num(9090),
                ..server("orders-9090-tcp")
            }),
        ),
    ]);
    let violation = only(&config, Rule::DuplicateEndpoint);
    assert_eq!(violation.field.to_string(), "services[\"orders\"].dns_name");
    assert!(violation.detail.starts_with(
        "services[\"orders\"] and services[\"api\"].endpoints[\"api-grpc\"] both use the \
         endpoint api-grpc.internal.myapp:9090"
    ));
}

#[test]
fn discovery_names_are_unique_across_every_endpoint_of_every_service() {
    // A short form's default (its key) against another service's endpoints key.
    let config = with_services(vec![
        ("api-grpc", Attr::Known(server("grpc-80-tcp"))),
        ("api", Attr::Known(long_form(|_| {}))),
    ]);
    let violation = only(&config, Rule::DuplicateDiscoveryName);
    assert_eq!(
        violation.field.to_string(),
        "services[\"api-grpc\"].discovery_name"
    );
    assert_eq!(
        violation.detail,
        "services[\"api-grpc\"] and services[\"api\"].endpoints[\"api-grpc\"] both use the \
         discovery name \"api-grpc\", but each discovery name is one Cloud Map service in the \
         namespace. Give one of them another discovery name: discovery_name in the short \
         form, the endpoints key in the long form."
    );
    // Two long forms: the later endpoint is at fault.
    let other = ServiceView {
        endpoints: endpoints(&[("api", "web-80-tcp")]),
        ..ServiceView::default()
    };
    let config = with_services(vec![
        ("api", Attr::Known(long_form(|_| {}))),
        ("web", Attr::Known(other)),
    ]);
    let violation = only(&config, Rule::DuplicateDiscoveryName);
    assert_eq!(
        violation.field.to_string(),
        "services[\"web\"].endpoints[\"api\"]"
    );
}

#[test]
fn endpoints_are_unique_across_the_endpoints_of_one_service() {
    let mut service = long_form(|e| {
        e.dns_name = text("api.internal.myapp");
        e.port = num(8080);
    });
    if let Attr::Known(endpoints) = &mut service.endpoints
        && let Some(Attr::Known(api)) = endpoints.get_mut("api")
    {
        api.port = num(8080);
    }
    let violation = only(&one_service("api", service), Rule::DuplicateEndpoint);
    assert_eq!(
        violation.detail,
        "services[\"api\"].endpoints[\"api-grpc\"] and services[\"api\"].endpoints[\"api\"] \
         both use the endpoint api.internal.myapp:8080, but each DNS name and port must be \
         unique in the namespace. Change dns_name or port on one of them."
    );
}

#[test]
fn endpoints_cannot_be_combined_with_the_short_form() {
    let mut service = long_form(|_| {});
    service.port_name = text("api-8080-tcp");
    service.discovery_name = text("api");
    service.idle_timeout_seconds = num(60);
    service.tls = tls(|_| {});
    let violation = only(&one_service("api", service), Rule::EndpointsConflict);
    assert_eq!(violation.field.to_string(), "services[\"api\"].endpoints");
    assert_eq!(
        violation.detail,
        "services[\"api\"] sets endpoints together with port_name, discovery_name, \
         idle_timeout_seconds and tls. With endpoints, each endpoint carries its own \
         settings: move port_name, discovery_name, idle_timeout_seconds and tls into the \
         entries of endpoints (discovery_name becomes the entry's key), or remove endpoints \
         and keep the short form."
    );
    // Every short-form attribute counts; an unknown one may still turn out null.
    for edit in [
        (|s: &mut ServiceView| s.dns_name = text("api.internal.myapp")) as fn(&mut ServiceView),
        |s| s.port = num(8080),
        |s| s.ingress_port_override = num(15000),
        |s| s.per_request_timeout_seconds = num(5),
    ] {
        let mut service = long_form(|_| {});
        edit(&mut service);
        assert_eq!(
            rules(&one_service("api", service)),
            vec![Rule::EndpointsConflict]
        );
    }
    let mut service = long_form(|_| {});
    service.port_name = Attr::Unknown;
    assert_clean(&one_service("api", service));
}

#[test]
fn endpoints_are_never_empty() {
    let service = ServiceView {
        endpoints: endpoints(&[]),
        ..ServiceView::default()
    };
    let violation = only(&one_service("api", service), Rule::EndpointsEmpty);
    assert_eq!(violation.field.to_string(), "services[\"api\"].endpoints");
    assert_eq!(
        violation.detail,
        "services[\"api\"].endpoints is empty, so the service would serve nothing. Add an \
         endpoint keyed by its discovery name, such as endpoints = { api = { port_name = \
         \"api-8080-tcp\" } }, or set port_name instead; a service that only calls the others \
         belongs in client_services."
    );
    // Unknown endpoints: nothing to check yet, and port_name may be left out.
    let service = ServiceView {
        endpoints: Attr::Unknown,
        ..ServiceView::default()
    };
    assert_clean(&one_service("api", service));
}

#[test]
fn required_values_of_the_long_form() {
    // Neither port_name nor endpoints.
    let violation = only(
        &one_service("api", ServiceView::default()),
        Rule::RequiredNull,
    );
    assert_eq!(violation.field.to_string(), "services[\"api\"].port_name");
    assert_eq!(
        violation.detail,
        "services[\"api\"].port_name is null. Set it to the name of the port mapping in the \
         service's task definition that Service Connect serves, such as \"api-8080-tcp\"; for \
         a service with several ports, set endpoints instead; a service that serves nothing \
         belongs in client_services."
    );
    // A null endpoint, and an endpoint with a null port_name.
    let mut service = long_form(|e| e.port_name = Attr::Null);
    if let Attr::Known(endpoints) = &mut service.endpoints {
        endpoints.insert("api-admin".to_string(), Attr::Null);
    }
    assert_eq!(
        found(&one_service("api", service)),
        vec![
            (
                Rule::RequiredNull,
                "services[\"api\"].endpoints[\"api-admin\"]".to_string(),
                "services[\"api\"].endpoints[\"api-admin\"] is null. Give it a port_name, \
                 such as { port_name = \"api-8080-tcp\" }, or remove the entry."
                    .to_string()
            ),
            (
                Rule::RequiredNull,
                "services[\"api\"].endpoints[\"api-grpc\"].port_name".to_string(),
                "services[\"api\"].endpoints[\"api-grpc\"].port_name is null. Set it to the \
                 name of the port mapping in the service's task definition that this endpoint \
                 serves, such as \"api-8080-tcp\"."
                    .to_string()
            ),
        ]
    );
}

// --- TLS ----------------------------------------------------------------------------

#[test]
fn private_ca_arns() {
    for good in [
        "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws-cn:acm-pca:cn-north-1:123456789012:certificate-authority/ca1",
    ] {
        assert_eq!(validate_pca_authority_arn(good), Ok(()), "{good}");
    }
    for (bad, reason) in [
        (
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "it is not an ARN: it does not start with \"arn:\"",
        ),
        (
            "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
            "it is an ARN of the \"acm\" service, not of \"acm-pca\"",
        ),
        (
            "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/",
            "its certificate authority id \"\" is invalid: it is empty",
        ),
        (
            "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/ca1/certificate/x",
            "its certificate authority id \"ca1/certificate/x\" is invalid: it contains '/', \
             which is not allowed",
        ),
        (
            "arn:aws:acm-pca:eu-west-1:1234:certificate-authority/ca1",
            "its account \"1234\" is not 12 digits",
        ),
        (
            "arn:aws:acm-pca:eu-west-1:123456789012:ca/ca1",
            "its resource \"ca/ca1\" is not \"certificate-authority/ID\"",
        ),
    ] {
        assert_eq!(
            validate_pca_authority_arn(bad),
            Err(reason.to_string()),
            "{bad}"
        );
    }
}

#[test]
fn kms_keys() {
    for good in [
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "mrk-1234abcd12ab34cd56ef1234567890ab",
        "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "alias/service-connect",
        "alias/aws/ecs",
        "arn:aws:kms:eu-west-1:123456789012:alias/service-connect",
    ] {
        assert_eq!(validate_kms_key(good), Ok(()), "{good}");
    }
    for (bad, reason) in [
        (
            "service-connect",
            "it is none of a key id, a key ARN, an alias name (\"alias/NAME\") or an alias ARN",
        ),
        ("alias/", "its alias name \"\" is invalid: it is empty"),
        (
            "alias/my key",
            "its alias name \"my key\" is invalid: it contains ' ', which is not allowed",
        ),
        (
            "arn:aws:kms:eu-west-1:123456789012:key/1234",
            "its key id \"1234\" is invalid: a key id is a UUID, such as \
             \"1234abcd-12ab-34cd-56ef-1234567890ab\"",
        ),
        (
            "arn:aws:kms:eu-west-1:123456789012:key/mrk-12",
            "its key id \"mrk-12\" is invalid: a multi-Region key id is \"mrk-\" and 32 \
             hexadecimal digits",
        ),
        (
            "arn:aws:kms:eu-west-1:123456789012:grant/abc",
            "its resource \"grant/abc\" is not \"key/ID\" or \"alias/NAME\"",
        ),
        (
            "arn:aws:iam::123456789012:role/key",
            "it is an ARN of the \"iam\" service, not of \"kms\"",
        ),
    ] {
        assert_eq!(validate_kms_key(bad), Err(reason.to_string()), "{bad}");
    }
}

#[test]
fn iam_role_arns() {
    for good in [
        "arn:aws:iam::123456789012:role/ecs-service-connect-tls",
        "arn:aws:iam::123456789012:role/service-role/ecs/tls+role=a,b.c@d_e-f",
        "arn:aws-us-gov:iam::123456789012:role/r",
    ] {
        assert_eq!(validate_role_arn(good), Ok(()), "{good}");
    }
    for (bad, reason) in [
        (
            "ecsInfrastructureRole",
            "it is not an ARN: it does not start with \"arn:\"",
        ),
        (
            "arn:aws:iam:eu-west-1:123456789012:role/r",
            "it has the region \"eu-west-1\", but iam ARNs have none (\"arn:aws:iam::…\")",
        ),
        (
            "arn:aws:iam::123456789012:user/deploy",
            "its resource \"user/deploy\" is not \"role/NAME\" (an IAM role)",
        ),
        (
            "arn:aws:iam::123456789012:role/",
            "its role name \"\" is invalid: it is empty",
        ),
        (
            "arn:aws:iam::123456789012:role/a//b",
            "its path has an empty segment (two slashes in a row)",
        ),
        (
            &format!("arn:aws:iam::123456789012:role/{}", "r".repeat(65)),
            "its role name \"rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr\" is \
             invalid: it is 65 characters long, over the limit of 64",
        ),
        (
            "arn:aws:iam::123456789012:role/my role",
            "its role name \"my role\" is invalid: it contains ' ', which is not allowed",
        ),
    ] {
        assert_eq!(validate_role_arn(bad), Err(reason.to_string()), "{bad}");
    }
}

#[test]
fn tls_is_checked_wherever_it_is_written_and_points_there() {
    let bad_key = |t: &mut TlsView| t.kms_key = text("my-key");
    // On the resource.
    let config = ConfigView {
        tls: tls(bad_key),
        ..example_base()
    };
    let violation = only(&config, Rule::KmsKeyInvalid);
    assert_eq!(violation.field.to_string(), "tls.kms_key");
    assert!(
        violation
            .detail
            .starts_with("tls.kms_key is \"my-key\": it is none of")
    );
    // On a short-form entry.
    let mut service = server("backend-8080-tcp");
    service.tls = tls(bad_key);
    let violation = only(&one_service("backend", service), Rule::KmsKeyInvalid);
    assert_eq!(
        violation.field.to_string(),
        "services[\"backend\"].tls.kms_key"
    );
    assert!(
        violation
            .detail
            .starts_with("services[\"backend\"].tls.kms_key is \"my-key\"")
    );
    // On an endpoint of the long form.
    let violation = only(
        &one_service(
            "api",
            long_form(|e| e.tls = tls(|t| t.role_arn = text("admin"))),
        ),
        Rule::RoleArnInvalid,
    );
    assert_eq!(
        violation.field,
        Field::Setting {
            service: Some("api".to_string()),
            endpoint: Some("api-grpc".to_string()),
            attribute: "tls",
            inner: ".role_arn".to_string(),
        }
    );
    assert_eq!(
        violation.detail,
        "services[\"api\"].endpoints[\"api-grpc\"].tls.role_arn is \"admin\": it is not an \
         ARN: it does not start with \"arn:\". Use the ARN of an IAM role, such as \
         \"arn:aws:iam::123456789012:role/ecs-service-connect-tls\", or leave role_arn out \
         for the ECS infrastructure role."
    );
    // The CA.
    let config = ConfigView {
        tls: tls(|t| t.aws_pca_authority_arn = text("arn:aws:acm-pca:eu-west-1:123456789012:ca/x")),
        ..example_base()
    };
    let violation = only(&config, Rule::PcaAuthorityArnInvalid);
    assert!(violation.detail.starts_with(
        "tls.aws_pca_authority_arn is \"arn:aws:acm-pca:eu-west-1:123456789012:ca/x\": its \
         resource \"ca/x\" is not \"certificate-authority/ID\". Use the ARN of an AWS Private \
         CA"
    ));
}

#[test]
fn a_kms_key_without_a_ca_is_refused() {
    let config = ConfigView {
        tls: tls(|t| {
            t.aws_pca_authority_arn = Attr::Null;
            t.kms_key = text("alias/service-connect");
        }),
        ..example_base()
    };
    let violation = only(&config, Rule::RequiredNull);
    assert_eq!(violation.field.to_string(), "tls.aws_pca_authority_arn");
    assert_eq!(
        violation.detail,
        "tls.aws_pca_authority_arn is null, but TLS needs the AWS Private CA that issues the \
         endpoints' certificates: a kms_key does not turn TLS on. Set it to the CA's ARN, such \
         as \"arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/\
         1234abcd-12ab-34cd-56ef-1234567890ab\", or remove tls."
    );
    // On an endpoint, with a role too; an unknown CA may still be given.
    let service = long_form(|e| {
        e.tls = tls(|t| {
            t.aws_pca_authority_arn = Attr::Null;
            t.kms_key = text("alias/k");
            t.role_arn = text("arn:aws:iam::123456789012:role/r");
        })
    });
    let violation = only(&one_service("api", service), Rule::RequiredNull);
    assert!(violation.detail.starts_with(
        "services[\"api\"].endpoints[\"api-grpc\"].tls.aws_pca_authority_arn is null, but TLS \
         needs the AWS Private CA that issues the endpoints' certificates: kms_key and \
         role_arn do not turn TLS on."
    ));
    let config = ConfigView {
        tls: tls(|t| t.aws_pca_authority_arn = Attr::Unknown),
        ..example_base()
    };
    assert_clean(&config);
}

// --- logs and access logs -----------------------------------------------------------

#[test]
fn log_drivers_are_ecs_own_with_a_suggestion() {
    for good in LOG_DRIVERS {
        assert_eq!(validate_log_driver(good), Ok(()), "{good}");
    }
    for (bad, meant) in [
        ("awsLogs", Some("awslogs")),
        ("AWSLOGS", Some("awslogs")),
        ("awslog", Some("awslogs")),
        ("json_file", Some("json-file")),
        ("jsonfile", Some("json-file")),
        ("firelens", Some("awsfirelens")),
        ("fluentbit", None),
        ("none", None),
        ("", None),
    ] {
        assert!(validate_log_driver(bad).is_err(), "{bad}");
        assert_eq!(closest(bad, &LOG_DRIVERS), meant, "{bad}");
    }
    let config = ConfigView {
        log_configuration: log(|l| l.log_driver = text("cloudwatch")),
        ..example_base()
    };
    let violation = only(&config, Rule::LogDriverInvalid);
    assert_eq!(violation.field.to_string(), "log_configuration.log_driver");
    assert_eq!(
        violation.detail,
        "log_configuration.log_driver is \"cloudwatch\": ECS does not take it. For CloudWatch \
         Logs, use \"awslogs\". Use json-file, syslog, journald, gelf, fluentd, awslogs, \
         splunk or awsfirelens (on Fargate: awslogs, splunk or awsfirelens), written as \
         listed."
    );
    // On a service entry.
    let mut service = server("backend-8080-tcp");
    service.log_configuration = log(|l| l.log_driver = text("Splunk"));
    let violation = only(&one_service("backend", service), Rule::LogDriverInvalid);
    assert_eq!(
        violation.field,
        Field::Setting {
            service: Some("backend".to_string()),
            endpoint: None,
            attribute: "log_configuration",
            inner: ".log_driver".to_string(),
        }
    );
    assert!(violation.detail.starts_with(
        "services[\"backend\"].log_configuration.log_driver is \"Splunk\": ECS does not take \
         it. Did you mean \"splunk\"?"
    ));
}

#[test]
fn log_configuration_values_need_values() {
    let mut service = server("backend-8080-tcp");
    service.log_configuration = Attr::Known(LogView {
        log_driver: Attr::Null,
        options: Attr::Known(BTreeMap::from([
            ("awslogs-group".to_string(), text("/ecs/mesh")),
            ("awslogs-region".to_string(), Attr::Null),
        ])),
        secret_options: secrets(&[
            (
                Attr::Null,
                text("arn:aws:ssm:eu-west-1:123456789012:parameter/token"),
            ),
            (text(""), Attr::Null),
            (text("splunk-token"), text("")),
            (text("splunk-url"), Attr::Unknown),
        ]),
    });
    let prefix = "services[\"backend\"].log_configuration";
    assert_eq!(
        found(&one_service("backend", service))
            .into_iter()
            .map(|(rule, field, detail)| (
                rule,
                field,
                detail.split(". ").next().unwrap_or_default().to_string()
            ))
            .collect::<Vec<_>>(),
        [
            (Rule::RequiredNull, ".log_driver", ".log_driver is null"),
            (
                Rule::RequiredNull,
                ".options[\"awslogs-region\"]",
                ".options[\"awslogs-region\"] is null"
            ),
            (
                Rule::RequiredNull,
                ".secret_options[0].name",
                ".secret_options[0].name is null"
            ),
            (
                Rule::SecretOptionEmpty,
                ".secret_options[1].name",
                ".secret_options[1].name is empty"
            ),
            (
                Rule::RequiredNull,
                ".secret_options[1].value_from",
                ".secret_options[1].value_from is null"
            ),
            (
                Rule::SecretOptionEmpty,
                ".secret_options[2].value_from",
                ".secret_options[2].value_from is empty"
            ),
        ]
        .into_iter()
        .map(|(rule, field, detail)| (
            rule,
            format!("{prefix}{field}"),
            format!("{prefix}{detail}")
        ))
        .collect::<Vec<_>>()
    );
    // A null secret option, on the resource.
    let config = ConfigView {
        log_configuration: log(|l| l.secret_options = Attr::Known(vec![Attr::Null])),
        ..example_base()
    };
    let violation = only(&config, Rule::RequiredNull);
    assert_eq!(
        violation.detail,
        "log_configuration.secret_options[0] is null. Give it a name and a value_from, or \
         remove it."
    );
    assert_eq!(
        violation.field.to_string(),
        "log_configuration.secret_options[0]"
    );
}

#[test]
fn access_log_formats() {
    for good in ACCESS_LOG_FORMATS {
        assert_eq!(validate_access_log_format(good), Ok(()));
    }
    let config = ConfigView {
        access_log_configuration: access_log("Json"),
        ..example_base()
    };
    let violation = only(&config, Rule::AccessLogFormatInvalid);
    assert_eq!(
        violation.field.to_string(),
        "access_log_configuration.format"
    );
    assert_eq!(
        violation.detail,
        "access_log_configuration.format is \"Json\": ECS does not take it. Did you mean \
         \"JSON\"? Use \"TEXT\" for readable lines or \"JSON\" for structured records, in \
         capitals."
    );
    let mut service = server("backend-8080-tcp");
    service.access_log_configuration = Attr::Known(AccessLogView {
        format: Attr::Null,
        include_query_parameters: Attr::Known(true),
    });
    let violation = only(&one_service("backend", service), Rule::RequiredNull);
    assert_eq!(
        violation.detail,
        "services[\"backend\"].access_log_configuration.format is null. Set it to \"TEXT\" or \
         \"JSON\", or remove access_log_configuration."
    );
    let mut service = server("backend-8080-tcp");
    service.access_log_configuration = access_log("XML");
    let violation = only(
        &one_service("backend", service),
        Rule::AccessLogFormatInvalid,
    );
    assert!(!violation.detail.contains("Did you mean"), "{violation:#?}");
}

#[test]
fn new_fields_display_their_full_location() {
    assert_eq!(
        EndpointAt::long("api", "api-grpc")
            .field(Some("port_name"))
            .to_string(),
        "services[\"api\"].endpoints[\"api-grpc\"].port_name"
    );
    assert_eq!(
        EndpointAt::long("api", "api-grpc").field(None).to_string(),
        "services[\"api\"].endpoints[\"api-grpc\"]"
    );
    assert_eq!(
        EndpointAt::short("api").field(Some("port")).to_string(),
        "services[\"api\"].port"
    );
    assert_eq!(
        Field::Setting {
            service: None,
            endpoint: None,
            attribute: "log_configuration",
            inner: ".secret_options[1].name".to_string(),
        }
        .to_string(),
        "log_configuration.secret_options[1].name"
    );
}

// --- standalone servers ---------------------------------------------------------------

fn with_external(name: &str, addresses: Attr<Vec<Attr<String>>>) -> ConfigView {
    let mut config = example_base();
    config.external_services = Attr::Known(BTreeMap::from([(
        name.to_string(),
        Attr::Known(ExternalView {
            addresses,
            ..ExternalView::default()
        }),
    )]));
    config
}

fn addresses(list: &[&str]) -> Attr<Vec<Attr<String>>> {
    Attr::Known(list.iter().map(|a| text(a)).collect())
}

#[test]
fn standalone_servers_need_a_label_name_not_taken_and_ipv4_addresses() {
    assert_clean(&with_external("erp", addresses(&["10.0.3.12"])));
    assert_clean(&with_external(
        "saleor",
        addresses(&["10.0.4.20", "10.0.4.21"]),
    ));
    for bad in ["ERP", "erp.prod", "-erp", "erp-", ""] {
        assert_eq!(
            rules(&with_external(bad, addresses(&["10.0.3.12"]))),
            vec![Rule::ExternalNameInvalid],
            "{bad:?}"
        );
    }
    // `backend` is the base's discovery name.
    assert_eq!(
        rules(&with_external("backend", addresses(&["10.0.3.12"]))),
        vec![Rule::ExternalNameTaken]
    );
    for bad in [
        vec!["10.0.3.256"],
        vec!["010.0.3.12"],
        vec!["erp.example.com"],
        vec!["2001:db8::1"],
        vec!["10.0.3.12", "10.0.3.12"],
        vec![],
    ] {
        assert_eq!(
            rules(&with_external("erp", addresses(&bad))),
            vec![Rule::AddressInvalid],
            "{bad:?}"
        );
    }
    assert_eq!(
        rules(&with_external("erp", Attr::Null)),
        vec![Rule::RequiredNull]
    );
    assert_clean(&with_external("erp", Attr::Unknown));
}

#[test]
fn only_public_addresses_are_flagged() {
    let config = with_external(
        "erp",
        addresses(&[
            "10.0.3.12",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "52.1.2.3",
        ]),
    );
    assert_eq!(
        public_addresses(&config),
        BTreeMap::from([("erp".to_string(), vec!["52.1.2.3".to_string()])])
    );
}

#[test]
fn mesh_wide_timeouts_have_the_endpoints_range() {
    let mut config = example_base();
    config.idle_timeout_seconds = num(600);
    config.per_request_timeout_seconds = num(30);
    assert_clean(&config);
    config.per_request_timeout_seconds = num(-1);
    assert_eq!(rules(&config), vec![Rule::TimeoutSecondsOutOfRange]);
}
