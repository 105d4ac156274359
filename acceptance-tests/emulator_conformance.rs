//! Conformance of the local AWS emulator with AWS, checked with the provider's own SDK crates.
//!
//! One test per behaviour the emulator adds to moto (see acceptance-tests/emulator/README.md).
//! Tests borrow emulators from a pool that resets them between tests, so no test sees another's
//! state, counters or faults.

use std::error::Error;
use std::time::{Duration, Instant};

use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::{
    ApplicationProtocol, ContainerDefinition, Deployment, LogConfiguration, LogDriver, PortMapping,
    Service, ServiceConnectAccessLogConfiguration, ServiceConnectAccessLoggingFormat,
    ServiceConnectClientAlias, ServiceConnectConfiguration, ServiceConnectIncludeQueryParameters,
    ServiceConnectService, ServiceConnectTestTrafficHeaderMatchRules,
    ServiceConnectTestTrafficHeaderRules, ServiceConnectTestTrafficRules,
    ServiceConnectTlsCertificateAuthority, ServiceConnectTlsConfiguration, TimeoutConfiguration,
};
use aws_sdk_servicediscovery::operation::create_private_dns_namespace::CreatePrivateDnsNamespaceError;
use aws_sdk_servicediscovery::types::{
    FilterCondition, NamespaceFilter, NamespaceFilterName, OperationStatus, OperationTargetType,
    PrivateDnsNamespaceChange, PrivateDnsNamespacePropertiesChange,
    PrivateDnsPropertiesMutableChange, ServiceFilter, ServiceFilterName, SoaChange, Tag,
};
use aws_smithy_types::retry::RetryConfig;
use serde_json::{Value, json};

use crate::support::conformance::{self, describe, primary};
use crate::support::emulator::{ACCOUNT_ID, Emulator, Fault, PooledEmulator};
use crate::support::world::set_circuit_breaker;

type TestResult = Result<(), Box<dyn Error>>;

const CLUSTER: &str = "mesh";
const NAMESPACE: &str = "mesh.local";

// ---------------------------------------------------------------------------------------------
// Helpers

/// An emulator with a cluster, a task definition "web" (ports "http" and "admin") and a private
/// DNS namespace created the AWS way (operation polled to SUCCESS).
struct Mesh {
    em: PooledEmulator,
    ecs: aws_sdk_ecs::Client,
    cloudmap: aws_sdk_servicediscovery::Client,
    namespace_id: String,
    namespace_arn: String,
}

async fn mesh() -> Result<Mesh, Box<dyn Error>> {
    let em = Emulator::shared().await;
    let ecs = em.ecs();
    let cloudmap = em.cloudmap();
    ecs.create_cluster().cluster_name(CLUSTER).send().await?;
    register_task_definition(&ecs, "web", &["http", "admin"]).await?;
    let namespace_id = create_namespace(&em, &cloudmap, NAMESPACE).await?;
    let namespace_arn = cloudmap
        .get_namespace()
        .id(&namespace_id)
        .send()
        .await?
        .namespace()
        .and_then(|ns| ns.arn())
        .ok_or("namespace without ARN")?
        .to_owned();
    Ok(Mesh {
        em,
        ecs,
        cloudmap,
        namespace_id,
        namespace_arn,
    })
}

async fn register_task_definition(
    ecs: &aws_sdk_ecs::Client,
    family: &str,
    port_names: &[&str],
) -> Result<String, Box<dyn Error>> {
    let ports: Vec<_> = (8080..)
        .zip(port_names)
        .map(|(port, name)| (*name, port, None))
        .collect();
    conformance::register_task_definition(ecs, family, &ports).await
}

/// Creates a private DNS namespace in moto's default VPC and polls its operation to SUCCESS.
async fn create_namespace(
    em: &Emulator,
    cloudmap: &aws_sdk_servicediscovery::Client,
    name: &str,
) -> Result<String, Box<dyn Error>> {
    let vpc = em.network().await.vpc_id;
    let operation_id = cloudmap
        .create_private_dns_namespace()
        .name(name)
        .vpc(vpc)
        .send()
        .await?
        .operation_id()
        .ok_or("no operation id")?
        .to_owned();
    let (status, namespace_id) = poll_operation(cloudmap, &operation_id).await?;
    assert_eq!(status, OperationStatus::Success);
    Ok(namespace_id)
}

/// The bare id of a DNS namespace's hosted zone, as GetNamespace shows it.
async fn hosted_zone_of(
    cloudmap: &aws_sdk_servicediscovery::Client,
    namespace_id: &str,
) -> Result<String, Box<dyn Error>> {
    let namespace = cloudmap.get_namespace().id(namespace_id).send().await?;
    Ok(namespace
        .namespace()
        .and_then(|n| n.properties())
        .and_then(|p| p.dns_properties())
        .and_then(|d| d.hosted_zone_id())
        .ok_or("no HostedZoneId")?
        .to_owned())
}

/// Polls GetOperation until the operation finishes; returns its status and NAMESPACE target.
async fn poll_operation(
    cloudmap: &aws_sdk_servicediscovery::Client,
    operation_id: &str,
) -> Result<(OperationStatus, String), Box<dyn Error>> {
    for _ in 0..20 {
        let output = cloudmap
            .get_operation()
            .operation_id(operation_id)
            .send()
            .await?;
        let operation = output.operation().ok_or("no operation")?;
        let status = operation.status().ok_or("no status")?.clone();
        if matches!(status, OperationStatus::Success | OperationStatus::Fail) {
            let target = operation
                .targets()
                .and_then(|t| t.get(&OperationTargetType::Namespace))
                .cloned()
                .unwrap_or_default();
            return Ok((status, target));
        }
    }
    Err(format!("operation {operation_id} did not finish in 20 polls").into())
}

fn client_alias(port: i32, dns_name: Option<&str>) -> ServiceConnectClientAlias {
    ServiceConnectClientAlias::builder()
        .port(port)
        .set_dns_name(dns_name.map(str::to_owned))
        .build()
        .expect("port is set")
}

fn sc_service(port_name: &str, discovery_name: Option<&str>, port: i32) -> ServiceConnectService {
    ServiceConnectService::builder()
        .port_name(port_name)
        .set_discovery_name(discovery_name.map(str::to_owned))
        .client_aliases(client_alias(port, None))
        .build()
        .expect("portName is set")
}

/// Service Connect with the one port "http", discovered as `discovery_name`, clients on `port`.
fn http_only(namespace: &str, discovery_name: &str, port: i32) -> ServiceConnectConfiguration {
    sc_config(
        namespace,
        vec![sc_service("http", Some(discovery_name), port)],
    )
}

fn sc_config(namespace: &str, services: Vec<ServiceConnectService>) -> ServiceConnectConfiguration {
    ServiceConnectConfiguration::builder()
        .enabled(true)
        .namespace(namespace)
        .set_services(Some(services))
        .build()
}

async fn create_service(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    name: &str,
    config: Option<ServiceConnectConfiguration>,
) -> Result<
    Service,
    aws_sdk_ecs::error::SdkError<aws_sdk_ecs::operation::create_service::CreateServiceError>,
> {
    let output = ecs
        .create_service()
        .cluster(cluster)
        .service_name(name)
        .task_definition("web")
        .desired_count(1)
        .set_service_connect_configuration(config)
        .send()
        .await?;
    Ok(output
        .service()
        .cloned()
        .expect("CreateService returns the service"))
}

fn statuses(service: &Service) -> Vec<&str> {
    service
        .deployments()
        .iter()
        .filter_map(|d| d.status())
        .collect()
}

/// The error code and message of a failed call.
fn failure<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, E>,
) -> (String, String) {
    let error = result.expect_err("the call should have failed");
    (
        error.code().unwrap_or_default().to_owned(),
        error.message().unwrap_or_default().to_owned(),
    )
}

/// POSTs each body to the control route and expects 400 for every one.
async fn assert_control_refuses(
    em: &Emulator,
    route: &str,
    bodies: impl IntoIterator<Item = Value>,
) {
    for bad in bodies {
        let refused = em.control_raw("POST", route, Some(bad)).await;
        assert_eq!(refused.status, 400, "{}", refused.body);
    }
}

fn no_retry_ecs(em: &Emulator) -> aws_sdk_ecs::Client {
    let config = aws_sdk_ecs::config::Builder::from(&em.sdk_config())
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_ecs::Client::from_conf(config)
}

// ---------------------------------------------------------------------------------------------
// ECS Service Connect

#[tokio::test]
async fn service_connect_config_appears_on_primary_deployment() -> TestResult {
    let m = mesh().await?;
    let alias = ServiceConnectClientAlias::builder()
        .port(80)
        .dns_name("api.mesh.local")
        .test_traffic_rules(
            ServiceConnectTestTrafficRules::builder()
                .header(
                    ServiceConnectTestTrafficHeaderRules::builder()
                        .name("x-canary")
                        .value(
                            ServiceConnectTestTrafficHeaderMatchRules::builder()
                                .exact("yes")
                                .build()?,
                        )
                        .build()?,
                )
                .build(),
        )
        .build()?;
    let entry = ServiceConnectService::builder()
        .port_name("http")
        .discovery_name("api")
        .client_aliases(alias)
        .ingress_port_override(9090)
        .timeout(
            TimeoutConfiguration::builder()
                .idle_timeout_seconds(30)
                .per_request_timeout_seconds(5)
                .build(),
        )
        .tls(
            ServiceConnectTlsConfiguration::builder()
                .issuer_certificate_authority(
                    ServiceConnectTlsCertificateAuthority::builder()
                        .aws_pca_authority_arn(
                            "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/ca",
                        )
                        .build(),
                )
                .kms_key("alias/mesh")
                .role_arn("arn:aws:iam::123456789012:role/mesh-tls")
                .build(),
        )
        .build()?;
    let sent = ServiceConnectConfiguration::builder()
        .enabled(true)
        .namespace(NAMESPACE)
        .services(entry)
        .log_configuration(
            LogConfiguration::builder()
                .log_driver(LogDriver::Awslogs)
                .options("awslogs-group", "/mesh/envoy")
                .build()?,
        )
        .access_log_configuration(
            ServiceConnectAccessLogConfiguration::builder()
                .format(ServiceConnectAccessLoggingFormat::Json)
                .include_query_parameters(ServiceConnectIncludeQueryParameters::Enabled)
                .build()?,
        )
        .build();

    // perRequestTimeoutSeconds needs a port with an appProtocol (botocore TimeoutConfiguration:
    // not on TCP, which a port mapping without appProtocol is): "web" gets a revision whose
    // "http" port is http.
    m.ecs
        .register_task_definition()
        .family("web")
        .container_definitions(
            ContainerDefinition::builder()
                .name("app")
                .image("public.ecr.aws/nginx/nginx:latest")
                .memory(128)
                .port_mappings(
                    PortMapping::builder()
                        .name("http")
                        .container_port(8080)
                        .app_protocol(ApplicationProtocol::Http)
                        .build(),
                )
                .build(),
        )
        .send()
        .await?;
    let created = create_service(&m.ecs, CLUSTER, "backend", Some(sent.clone())).await?;
    assert_eq!(
        primary(&created).service_connect_configuration(),
        Some(&sent)
    );

    let described = describe(&m.ecs, CLUSTER, "backend").await?;
    let deployment = primary(&described);
    assert_eq!(
        deployment.service_connect_configuration(),
        Some(&sent),
        "every field sent comes back"
    );
    let resources = deployment.service_connect_resources();
    assert_eq!(resources.len(), 1);
    assert_eq!(resources[0].discovery_name(), Some("api"));

    // The discoveryArn is a Cloud Map service named after discoveryName, in the namespace.
    let arn = resources[0].discovery_arn().ok_or("no discoveryArn")?;
    let service_id = arn.rsplit('/').next().ok_or("bad ARN")?;
    let cloud_map = m.cloudmap.get_service().id(service_id).send().await?;
    let cloud_map = cloud_map.service().ok_or("no service")?;
    assert_eq!(cloud_map.name(), Some("api"));
    assert_eq!(cloud_map.namespace_id(), Some(m.namespace_id.as_str()));
    assert_eq!(cloud_map.arn(), Some(arn));
    Ok(())
}

#[tokio::test]
async fn discovery_name_defaults_to_port_name() -> TestResult {
    let m = mesh().await?;
    create_service(
        &m.ecs,
        CLUSTER,
        "backend",
        Some(sc_config(NAMESPACE, vec![sc_service("admin", None, 81)])),
    )
    .await?;
    let described = describe(&m.ecs, CLUSTER, "backend").await?;
    let resources = primary(&described).service_connect_resources();
    assert_eq!(resources.len(), 1);
    assert_eq!(resources[0].discovery_name(), Some("admin"));
    Ok(())
}

#[tokio::test]
async fn namespace_is_echoed_as_given_name_or_arn() -> TestResult {
    let m = mesh().await?;
    create_service(
        &m.ecs,
        CLUSTER,
        "by-name",
        Some(http_only(NAMESPACE, "a", 80)),
    )
    .await?;
    create_service(
        &m.ecs,
        CLUSTER,
        "by-arn",
        Some(http_only(&m.namespace_arn, "b", 80)),
    )
    .await?;
    let echoed = |service: &Service| {
        primary(service)
            .service_connect_configuration()
            .and_then(|c| c.namespace())
            .map(str::to_owned)
    };
    assert_eq!(
        echoed(&describe(&m.ecs, CLUSTER, "by-name").await?).as_deref(),
        Some(NAMESPACE)
    );
    assert_eq!(
        echoed(&describe(&m.ecs, CLUSTER, "by-arn").await?).as_deref(),
        Some(m.namespace_arn.as_str())
    );
    Ok(())
}

#[tokio::test]
async fn unknown_namespace_is_namespace_not_found() -> TestResult {
    let m = mesh().await?;
    let by_name = create_service(
        &m.ecs,
        CLUSTER,
        "a",
        Some(sc_config("nowhere.local", vec![])),
    )
    .await;
    let error = by_name.expect_err("unknown namespace name");
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_namespace_not_found_exception()),
        "{error:?}"
    );

    let missing_arn =
        format!("arn:aws:servicediscovery:us-east-1:{ACCOUNT_ID}:namespace/ns-doesnotexist00000");
    let (code, _) =
        failure(create_service(&m.ecs, CLUSTER, "b", Some(sc_config(&missing_arn, vec![]))).await);
    assert_eq!(code, "NamespaceNotFoundException");

    create_service(&m.ecs, CLUSTER, "c", None).await?;
    let update = m
        .ecs
        .update_service()
        .cluster(CLUSTER)
        .service("c")
        .service_connect_configuration(sc_config("nowhere.local", vec![]))
        .send()
        .await;
    assert_eq!(failure(update).0, "NamespaceNotFoundException");
    Ok(())
}

#[tokio::test]
async fn port_name_must_exist_in_task_definition() -> TestResult {
    let m = mesh().await?;
    let (code, message) = failure(
        create_service(
            &m.ecs,
            CLUSTER,
            "a",
            Some(sc_config(NAMESPACE, vec![sc_service("grpc", None, 80)])),
        )
        .await,
    );
    assert_eq!(code, "InvalidParameterException");
    assert!(message.contains("grpc"), "{message}");

    // A configuration kept across a task definition change must still find its port there.
    create_service(
        &m.ecs,
        CLUSTER,
        "b",
        Some(sc_config(NAMESPACE, vec![sc_service("admin", None, 80)])),
    )
    .await?;
    register_task_definition(&m.ecs, "other", &["http"]).await?;
    let update = m
        .ecs
        .update_service()
        .cluster(CLUSTER)
        .service("b")
        .task_definition("other")
        .send()
        .await;
    assert_eq!(failure(update).0, "InvalidParameterException");
    Ok(())
}

#[tokio::test]
async fn discovery_and_dns_names_follow_documented_rules() -> TestResult {
    let m = mesh().await?;
    let too_long = "a".repeat(65);
    for bad in ["Api", "-api", "api.v1", too_long.as_str()] {
        let config = http_only(NAMESPACE, bad, 80);
        let (code, _) = failure(create_service(&m.ecs, CLUSTER, "bad", Some(config)).await);
        assert_eq!(code, "InvalidParameterException", "discoveryName {bad:?}");
    }
    let longest = "a".repeat(64);
    create_service(
        &m.ecs,
        CLUSTER,
        "ok",
        Some(http_only(NAMESPACE, &longest, 80)),
    )
    .await?;

    let dns_too_long = "b".repeat(128);
    for bad in ["-api", "API.mesh", dns_too_long.as_str()] {
        let entry = ServiceConnectService::builder()
            .port_name("admin")
            .client_aliases(client_alias(80, Some(bad)))
            .build()?;
        let (code, _) = failure(
            create_service(
                &m.ecs,
                CLUSTER,
                "bad-dns",
                Some(sc_config(NAMESPACE, vec![entry])),
            )
            .await,
        );
        assert_eq!(code, "InvalidParameterException", "dnsName {bad:?}");
    }
    let entry = ServiceConnectService::builder()
        .port_name("admin")
        .client_aliases(client_alias(80, Some(&"c.".repeat(63))))
        .build()?;
    create_service(
        &m.ecs,
        CLUSTER,
        "ok-dns",
        Some(sc_config(NAMESPACE, vec![entry])),
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn exactly_one_client_alias_per_service() -> TestResult {
    let m = mesh().await?;
    let none = ServiceConnectService::builder().port_name("http").build()?;
    let (code, message) =
        failure(create_service(&m.ecs, CLUSTER, "a", Some(sc_config(NAMESPACE, vec![none]))).await);
    assert_eq!(
        (code.as_str(), message.as_str()),
        (
            "InvalidParameterException",
            "clientAliases must have 1 element."
        )
    );

    let two = ServiceConnectService::builder()
        .port_name("http")
        .client_aliases(client_alias(80, None))
        .client_aliases(client_alias(81, Some("other")))
        .build()?;
    let (code, _) =
        failure(create_service(&m.ecs, CLUSTER, "a", Some(sc_config(NAMESPACE, vec![two]))).await);
    assert_eq!(code, "InvalidParameterException");
    Ok(())
}

#[tokio::test]
async fn ingress_port_override_must_be_above_1024() -> TestResult {
    let m = mesh().await?;
    for (port, ok) in [(0, false), (1024, false), (1025, true)] {
        let entry = ServiceConnectService::builder()
            .port_name("http")
            .discovery_name(format!("p{port}"))
            .client_aliases(client_alias(80 + port, None))
            .ingress_port_override(port)
            .build()?;
        let result = create_service(
            &m.ecs,
            CLUSTER,
            &format!("s{port}"),
            Some(sc_config(NAMESPACE, vec![entry])),
        )
        .await;
        if ok {
            result?;
        } else {
            let (code, message) = failure(result);
            assert_eq!(code, "InvalidParameterException");
            assert_eq!(message, "IngressPortOverride cannot use ports <= 1024.");
        }
    }
    Ok(())
}

#[tokio::test]
async fn discovery_names_are_unique_in_namespace_across_services() -> TestResult {
    let m = mesh().await?;
    m.ecs.create_cluster().cluster_name("other").send().await?;
    let api = |port| http_only(NAMESPACE, "api", port);
    let first = create_service(&m.ecs, CLUSTER, "first", Some(api(80))).await?;

    // Another service, even in another cluster, cannot take the name in the same namespace.
    let (code, message) = failure(create_service(&m.ecs, "other", "second", Some(api(81))).await);
    assert_eq!(code, "InvalidParameterException");
    assert!(message.contains("api"), "{message}");

    // Nor within one configuration.
    let twice = sc_config(
        NAMESPACE,
        vec![
            sc_service("http", Some("dup"), 80),
            sc_service("admin", Some("dup"), 81),
        ],
    );
    assert_eq!(
        failure(create_service(&m.ecs, CLUSTER, "third", Some(twice)).await).0,
        "InvalidParameterException"
    );

    // Once the owner is deleted, the name is free again and its Cloud Map service is reused.
    m.ecs
        .delete_service()
        .cluster(CLUSTER)
        .service("first")
        .force(true)
        .send()
        .await?;
    let second = create_service(&m.ecs, "other", "second", Some(api(81))).await?;
    assert_eq!(
        primary(&second).service_connect_resources()[0].discovery_arn(),
        primary(&first).service_connect_resources()[0].discovery_arn()
    );
    Ok(())
}

#[tokio::test]
async fn existing_cloud_map_service_is_reused() -> TestResult {
    let m = mesh().await?;
    let made = m
        .cloudmap
        .create_service()
        .name("api")
        .namespace_id(&m.namespace_id)
        .send()
        .await?;
    let made_arn = made
        .service()
        .and_then(|s| s.arn())
        .ok_or("no ARN")?
        .to_owned();

    let created = create_service(
        &m.ecs,
        CLUSTER,
        "backend",
        Some(http_only(NAMESPACE, "api", 80)),
    )
    .await?;
    assert_eq!(
        primary(&created).service_connect_resources()[0].discovery_arn(),
        Some(made_arn.as_str())
    );
    let filter = ServiceFilter::builder()
        .name(ServiceFilterName::NamespaceId)
        .values(&m.namespace_id)
        .build()?;
    let listed = m.cloudmap.list_services().filters(filter).send().await?;
    assert_eq!(
        listed.services().len(),
        1,
        "no second Cloud Map service named api"
    );
    Ok(())
}

#[tokio::test]
async fn service_in_one_namespace_at_a_time_releases_names_when_it_moves() -> TestResult {
    let m = mesh().await?;
    create_namespace(&m.em, &m.cloudmap, "other.local").await?;
    let in_ns = |ns: &str, port| http_only(ns, "api", port);
    create_service(&m.ecs, CLUSTER, "mover", Some(in_ns(NAMESPACE, 80))).await?;
    m.ecs
        .update_service()
        .cluster(CLUSTER)
        .service("mover")
        .service_connect_configuration(in_ns("other.local", 80))
        .send()
        .await?;
    let moved = describe(&m.ecs, CLUSTER, "mover").await?;
    let config = primary(&moved)
        .service_connect_configuration()
        .ok_or("no config")?;
    assert_eq!(config.namespace(), Some("other.local"));
    // "api" in the first namespace is free now; in the new one it is taken.
    create_service(&m.ecs, CLUSTER, "newcomer", Some(in_ns(NAMESPACE, 81))).await?;
    assert_eq!(
        failure(create_service(&m.ecs, CLUSTER, "late", Some(in_ns("other.local", 82))).await).0,
        "InvalidParameterException"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// ECS deployments and service life cycle

/// ECS is eventually consistent after CreateService: for a while DescribeServices reports
/// the new service under `failures` with reason MISSING, then shows it ACTIVE.
#[tokio::test]
async fn a_new_service_reads_as_missing_for_a_while() -> TestResult {
    let m = mesh().await?;
    m.em.update_settings(json!({"missing_after_create_describes": 2}))
        .await;
    create_service(&m.ecs, CLUSTER, "fresh", None).await?;
    for _ in 0..2 {
        let out = m
            .ecs
            .describe_services()
            .cluster(CLUSTER)
            .services("fresh")
            .send()
            .await?;
        assert!(out.services().is_empty(), "not visible yet");
        let reasons: Vec<_> = out.failures().iter().filter_map(|f| f.reason()).collect();
        assert_eq!(reasons, ["MISSING"]);
    }
    let visible = describe(&m.ecs, CLUSTER, "fresh").await?;
    assert_eq!(visible.status(), Some("ACTIVE"));
    // Services that already existed are not affected.
    m.em.update_settings(json!({"missing_after_create_describes": 0}))
        .await;
    assert_eq!(
        describe(&m.ecs, CLUSTER, "fresh").await?.status(),
        Some("ACTIVE")
    );
    Ok(())
}

#[tokio::test]
async fn update_makes_new_primary_and_old_stays_active_until_drained() -> TestResult {
    let m = mesh().await?;
    m.em.set_drain_after_describes(2).await;
    create_service(&m.ecs, CLUSTER, "backend", None).await?;
    describe(&m.ecs, CLUSTER, "backend").await?;
    describe(&m.ecs, CLUSTER, "backend").await?;
    describe(&m.ecs, CLUSTER, "backend").await?; // the create rollout is done

    let config = sc_config(NAMESPACE, vec![sc_service("http", None, 80)]);
    let updated = m
        .ecs
        .update_service()
        .cluster(CLUSTER)
        .service("backend")
        .service_connect_configuration(config.clone())
        .send()
        .await?;
    let updated = updated.service().ok_or("no service")?;
    assert_eq!(statuses(updated), ["PRIMARY", "ACTIVE"]);
    assert_eq!(
        primary(updated).service_connect_configuration(),
        Some(&config)
    );
    assert_eq!(
        primary(updated).rollout_state().map(|s| s.as_str()),
        Some("IN_PROGRESS")
    );
    let old = &updated.deployments()[1];
    assert!(
        old.service_connect_configuration().is_none(),
        "the old deployment keeps what it had"
    );

    for _ in 0..2 {
        assert_eq!(
            statuses(&describe(&m.ecs, CLUSTER, "backend").await?),
            ["PRIMARY", "ACTIVE"]
        );
    }
    let drained = describe(&m.ecs, CLUSTER, "backend").await?;
    assert_eq!(statuses(&drained), ["PRIMARY"]);
    assert_eq!(
        primary(&drained).rollout_state().map(|s| s.as_str()),
        Some("COMPLETED")
    );
    assert_eq!(
        primary(&drained).service_connect_configuration(),
        Some(&config)
    );
    Ok(())
}

#[tokio::test]
async fn drain_is_instant_by_default() -> TestResult {
    let m = mesh().await?;
    create_service(&m.ecs, CLUSTER, "backend", None).await?;
    let updated = m
        .ecs
        .update_service()
        .cluster(CLUSTER)
        .service("backend")
        .force_new_deployment(true)
        .desired_count(3)
        .send()
        .await?;
    assert_eq!(
        statuses(updated.service().ok_or("no service")?),
        ["PRIMARY", "ACTIVE"]
    );
    let described = describe(&m.ecs, CLUSTER, "backend").await?;
    assert_eq!(statuses(&described), ["PRIMARY"]);
    assert_eq!(
        primary(&described).rollout_state().map(|s| s.as_str()),
        Some("COMPLETED")
    );
    assert_eq!(
        (
            described.running_count(),
            primary(&described).running_count()
        ),
        (3, 3)
    );
    Ok(())
}

#[tokio::test]
async fn update_without_config_keeps_it() -> TestResult {
    let m = mesh().await?;
    let config = http_only(NAMESPACE, "api", 80);
    create_service(&m.ecs, CLUSTER, "backend", Some(config.clone())).await?;
    let before = primary(&describe(&m.ecs, CLUSTER, "backend").await?)
        .id()
        .map(str::to_owned);

    // Scaling alone is no new deployment, and leaves Service Connect as it was.
    m.ecs
        .update_service()
        .cluster(CLUSTER)
        .service("backend")
        .desired_count(2)
        .send()
        .await?;
    let scaled = describe(&m.ecs, CLUSTER, "backend").await?;
    assert_eq!(primary(&scaled).id().map(str::to_owned), before);
    assert_eq!(
        primary(&scaled).service_connect_configuration(),
        Some(&config)
    );
    assert_eq!(primary(&scaled).desired_count(), 2);

    // A forced deployment carries it to the new PRIMARY.
    m.ecs
        .update_service()
        .cluster(CLUSTER)
        .service("backend")
        .force_new_deployment(true)
        .send()
        .await?;
    let forced = describe(&m.ecs, CLUSTER, "backend").await?;
    assert_ne!(primary(&forced).id().map(str::to_owned), before);
    assert_eq!(
        primary(&forced).service_connect_configuration(),
        Some(&config)
    );
    assert_eq!(
        primary(&forced).service_connect_resources()[0].discovery_name(),
        Some("api")
    );
    Ok(())
}

#[tokio::test]
async fn enabled_false_removes_service_connect() -> TestResult {
    let m = mesh().await?;
    create_service(
        &m.ecs,
        CLUSTER,
        "backend",
        Some(sc_config(NAMESPACE, vec![sc_service("http", None, 80)])),
    )
    .await?;
    let off = ServiceConnectConfiguration::builder()
        .enabled(false)
        .build();
    let updated = m
        .ecs
        .update_service()
        .cluster(CLUSTER)
        .service("backend")
        .service_connect_configuration(off)
        .send()
        .await?;
    let updated = updated.service().ok_or("no service")?;
    assert_eq!(
        statuses(updated),
        ["PRIMARY", "ACTIVE"],
        "turning it off is a new deployment"
    );
    let described = describe(&m.ecs, CLUSTER, "backend").await?;
    assert!(
        primary(&described)
            .service_connect_configuration()
            .is_none()
    );
    assert!(primary(&described).service_connect_resources().is_empty());
    // The name is free for others now.
    create_service(
        &m.ecs,
        CLUSTER,
        "other",
        Some(sc_config(NAMESPACE, vec![sc_service("http", None, 81)])),
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn update_resolves_task_definition_to_arn() -> TestResult {
    let m = mesh().await?;
    create_service(&m.ecs, CLUSTER, "backend", None).await?;
    let second = register_task_definition(&m.ecs, "web", &["http", "admin"]).await?;
    assert!(second.ends_with("task-definition/web:2"), "{second}");
    m.ecs
        .update_service()
        .cluster(CLUSTER)
        .service("backend")
        .task_definition("web:2")
        .send()
        .await?;
    let described = describe(&m.ecs, CLUSTER, "backend").await?;
    assert_eq!(described.task_definition(), Some(second.as_str()));
    assert_eq!(primary(&described).task_definition(), Some(second.as_str()));
    Ok(())
}

#[tokio::test]
async fn update_of_deleted_service_is_service_not_active() -> TestResult {
    let m = mesh().await?;
    create_service(&m.ecs, CLUSTER, "backend", None).await?;
    m.ecs
        .delete_service()
        .cluster(CLUSTER)
        .service("backend")
        .force(true)
        .send()
        .await?;
    let update = m
        .ecs
        .update_service()
        .cluster(CLUSTER)
        .service("backend")
        .desired_count(1)
        .send()
        .await;
    let error = update.expect_err("INACTIVE services cannot be updated");
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_service_not_active_exception()),
        "{error:?}"
    );

    let never = m
        .ecs
        .update_service()
        .cluster(CLUSTER)
        .service("never")
        .desired_count(1)
        .send()
        .await;
    assert_eq!(failure(never).0, "ServiceNotFoundException");
    Ok(())
}

#[tokio::test]
async fn create_of_existing_active_service_is_not_idempotent() -> TestResult {
    let m = mesh().await?;
    create_service(&m.ecs, CLUSTER, "backend", None).await?;
    let (code, message) = failure(create_service(&m.ecs, CLUSTER, "backend", None).await);
    assert_eq!(
        (code.as_str(), message.as_str()),
        (
            "InvalidParameterException",
            "Creation of service was not idempotent."
        )
    );
    // The same name in another cluster, or after deletion, is a new service.
    m.ecs.create_cluster().cluster_name("other").send().await?;
    create_service(&m.ecs, "other", "backend", None).await?;
    m.ecs
        .delete_service()
        .cluster(CLUSTER)
        .service("backend")
        .force(true)
        .send()
        .await?;
    let again = create_service(&m.ecs, CLUSTER, "backend", None).await?;
    assert_eq!(again.status(), Some("ACTIVE"));
    Ok(())
}

#[tokio::test]
async fn describe_services_rejects_more_than_ten() -> TestResult {
    let m = mesh().await?;
    create_service(&m.ecs, CLUSTER, "real", None).await?;
    let eleven: Vec<String> = (0..11).map(|i| format!("s{i}")).collect();
    let result = m
        .ecs
        .describe_services()
        .cluster(CLUSTER)
        .set_services(Some(eleven.clone()))
        .send()
        .await;
    let (code, message) = failure(result);
    assert_eq!(
        (code.as_str(), message.as_str()),
        (
            "InvalidParameterException",
            "service names can have at most 10 items."
        )
    );

    let mut ten = eleven[..9].to_vec();
    ten.push("real".to_owned());
    let described = m
        .ecs
        .describe_services()
        .cluster(CLUSTER)
        .set_services(Some(ten))
        .send()
        .await?;
    assert_eq!(described.services().len(), 1);
    assert_eq!(described.failures().len(), 9);
    let missing = &described.failures()[0];
    assert_eq!(missing.reason(), Some("MISSING"));
    assert_eq!(
        missing.arn(),
        Some(format!("arn:aws:ecs:us-east-1:{ACCOUNT_ID}:service/s0").as_str())
    );
    Ok(())
}

#[tokio::test]
async fn list_services_pages_with_max_results() -> TestResult {
    let m = mesh().await?;
    for i in 0..5 {
        create_service(&m.ecs, CLUSTER, &format!("svc{i}"), None).await?;
    }
    create_service(&m.ecs, CLUSTER, "gone", None).await?;
    m.ecs
        .delete_service()
        .cluster(CLUSTER)
        .service("gone")
        .force(true)
        .send()
        .await?;

    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = m
            .ecs
            .list_services()
            .cluster(CLUSTER)
            .max_results(2)
            .set_next_token(token.clone())
            .send()
            .await?;
        pages.push(page.service_arns().to_vec());
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1]);
    let mut all: Vec<String> = pages.concat();
    all.sort();
    all.dedup();
    assert_eq!(
        all.len(),
        5,
        "every ACTIVE service once, the deleted one not at all"
    );
    assert!(all.iter().all(|arn| !arn.ends_with("/gone")));

    let default_page = m.ecs.list_services().cluster(CLUSTER).send().await?;
    assert_eq!(default_page.service_arns().len(), 5);
    assert!(default_page.next_token().is_none());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Cloud Map

#[tokio::test]
async fn several_private_namespaces_share_a_vpc_each_with_its_hosted_zone() -> TestResult {
    let em = Emulator::shared().await;
    let (cloudmap, route53) = (em.cloudmap(), em.route53());
    let vpc = em.network().await.vpc_id;
    let mut zones = Vec::new();
    for name in ["one.local", "two.local"] {
        let id = create_namespace(&em, &cloudmap, name).await?;
        let namespace = cloudmap.get_namespace().id(&id).send().await?;
        let namespace = namespace.namespace().ok_or("no namespace")?;
        let properties = namespace.properties().ok_or("no properties")?;
        let zone_id = properties
            .dns_properties()
            .and_then(|d| d.hosted_zone_id())
            .ok_or("no HostedZoneId")?;
        assert!(
            !zone_id.contains('/'),
            "a bare zone id, as AWS returns: {zone_id}"
        );
        assert_eq!(
            properties.http_properties().and_then(|h| h.http_name()),
            Some(name)
        );

        let zone = route53.get_hosted_zone().id(zone_id).send().await?;
        let hosted = zone.hosted_zone().ok_or("no zone")?;
        assert_eq!(hosted.name(), format!("{name}."));
        assert_eq!(hosted.config().map(|c| c.private_zone()), Some(true));
        let vpcs: Vec<_> = zone.vpcs().iter().filter_map(|v| v.vpc_id()).collect();
        assert_eq!(vpcs, [vpc.as_str()]);
        zones.push(zone_id.to_owned());
    }
    assert_ne!(zones[0], zones[1]);
    Ok(())
}

#[tokio::test]
async fn same_namespace_name_twice_in_one_vpc_already_exists() -> TestResult {
    let em = Emulator::shared().await;
    let cloudmap = em.cloudmap();
    let id = create_namespace(&em, &cloudmap, "dup.local").await?;
    let vpc = em.network().await.vpc_id;
    let again = cloudmap
        .create_private_dns_namespace()
        .name("dup.local")
        .vpc(&vpc)
        .send()
        .await;
    let error = again.expect_err("same name, same VPC").into_service_error();
    match error {
        CreatePrivateDnsNamespaceError::NamespaceAlreadyExists(e) => {
            assert_eq!(e.namespace_id(), Some(id.as_str()))
        }
        other => panic!("expected NamespaceAlreadyExists, got {other:?}"),
    }
    // Another VPC may use the name.
    let elsewhere = cloudmap
        .create_private_dns_namespace()
        .name("dup.local")
        .vpc("vpc-0another")
        .send()
        .await?;
    let (status, _) = poll_operation(&cloudmap, elsewhere.operation_id().ok_or("no id")?).await?;
    assert_eq!(status, OperationStatus::Success);
    Ok(())
}

#[tokio::test]
async fn namespace_operation_goes_submitted_pending_success() -> TestResult {
    let em = Emulator::shared().await;
    let cloudmap = em.cloudmap();
    let vpc = em.network().await.vpc_id;
    let created = cloudmap
        .create_private_dns_namespace()
        .name("slow.local")
        .vpc(&vpc)
        .send()
        .await?;
    let operation_id = created.operation_id().ok_or("no operation id")?;

    let mut seen = Vec::new();
    let mut namespace_id = String::new();
    for _ in 0..5 {
        let output = cloudmap
            .get_operation()
            .operation_id(operation_id)
            .send()
            .await?;
        let operation = output.operation().ok_or("no operation")?;
        let status = operation.status().ok_or("no status")?.clone();
        namespace_id = operation
            .targets()
            .and_then(|t| t.get(&OperationTargetType::Namespace))
            .cloned()
            .ok_or("no NAMESPACE target")?;
        if status != OperationStatus::Success {
            // Not there until the operation succeeds.
            let early = cloudmap.get_namespace().id(&namespace_id).send().await;
            assert!(
                early
                    .expect_err("not yet")
                    .into_service_error()
                    .is_namespace_not_found()
            );
            assert!(
                cloudmap
                    .list_namespaces()
                    .send()
                    .await?
                    .namespaces()
                    .is_empty()
            );
        }
        seen.push(status);
    }
    use OperationStatus::{Pending, Submitted, Success};
    assert_eq!(seen, [Submitted, Submitted, Pending, Pending, Success]);
    let namespace = cloudmap.get_namespace().id(&namespace_id).send().await?;
    assert_eq!(
        namespace.namespace().and_then(|n| n.name()),
        Some("slow.local")
    );
    Ok(())
}

#[tokio::test]
async fn operation_polls_per_stage_is_configurable() -> TestResult {
    let em = Emulator::shared().await;
    let cloudmap = em.cloudmap();
    let statuses_of = |name: &'static str, polls: usize| {
        let cloudmap = cloudmap.clone();
        async move {
            let created = cloudmap.create_http_namespace().name(name).send().await?;
            let id = created.operation_id().ok_or("no id")?.to_owned();
            let mut seen = Vec::new();
            for _ in 0..polls {
                let output = cloudmap.get_operation().operation_id(&id).send().await?;
                seen.push(
                    output
                        .operation()
                        .and_then(|o| o.status())
                        .ok_or("no status")?
                        .clone(),
                );
            }
            Ok::<_, Box<dyn Error>>(seen)
        }
    };
    use OperationStatus::{Pending, Submitted, Success};
    em.set_operation_polls_per_stage(1).await;
    assert_eq!(statuses_of("one", 3).await?, [Submitted, Pending, Success]);
    em.set_operation_polls_per_stage(0).await;
    assert_eq!(statuses_of("instant", 1).await?, [Success]);

    // finish-operations completes what was never polled.
    em.set_operation_polls_per_stage(2).await;
    cloudmap
        .create_http_namespace()
        .name("unpolled")
        .send()
        .await?;
    assert_eq!(em.finish_cloudmap_operations().await.len(), 1);
    let listed = cloudmap.list_namespaces().send().await?;
    assert!(
        listed
            .namespaces()
            .iter()
            .any(|n| n.name() == Some("unpolled"))
    );
    Ok(())
}

#[tokio::test]
async fn namespace_operation_can_be_made_to_fail() -> TestResult {
    let em = Emulator::shared().await;
    let cloudmap = em.cloudmap();
    let vpc = em.network().await.vpc_id;
    em.fail_next_namespace_operation(
        "CANNOT_CREATE_HOSTED_ZONE",
        "Injected: no hosted zone today",
    )
    .await;
    let created = cloudmap
        .create_private_dns_namespace()
        .name("doomed.local")
        .vpc(&vpc)
        .creator_request_id("req-1")
        .send()
        .await?;
    let operation_id = created.operation_id().ok_or("no id")?.to_owned();
    let (status, namespace_id) = poll_operation(&cloudmap, &operation_id).await?;
    assert_eq!(status, OperationStatus::Fail);
    let output = cloudmap
        .get_operation()
        .operation_id(&operation_id)
        .send()
        .await?;
    let operation = output.operation().ok_or("no operation")?;
    assert_eq!(operation.error_code(), Some("CANNOT_CREATE_HOSTED_ZONE"));
    assert_eq!(
        operation.error_message(),
        Some("Injected: no hosted zone today")
    );
    assert!(
        cloudmap
            .get_namespace()
            .id(&namespace_id)
            .send()
            .await
            .is_err(),
        "a failed create leaves nothing"
    );
    assert!(
        em.route53()
            .list_hosted_zones()
            .send()
            .await?
            .hosted_zones()
            .is_empty()
    );

    // The failure is one-shot, and a failed request may be retried with its CreatorRequestId.
    let retried = cloudmap
        .create_private_dns_namespace()
        .name("doomed.local")
        .vpc(&vpc)
        .creator_request_id("req-1")
        .send()
        .await?;
    let (status, _) = poll_operation(&cloudmap, retried.operation_id().ok_or("no id")?).await?;
    assert_eq!(status, OperationStatus::Success);
    Ok(())
}

#[tokio::test]
async fn repeated_creator_request_id_gives_documented_errors() -> TestResult {
    let em = Emulator::shared().await;
    let cloudmap = em.cloudmap();
    let vpc = em.network().await.vpc_id;
    let create = || {
        cloudmap
            .create_private_dns_namespace()
            .name("idem.local")
            .vpc(&vpc)
            .creator_request_id("req-42")
    };
    let first = create().send().await?;
    let operation_id = first.operation_id().ok_or("no id")?.to_owned();

    let pending = create().send().await.expect_err("while the first runs");
    assert_eq!(
        pending.raw_response().map(|r| r.status().as_u16()),
        Some(409)
    );
    match pending.into_service_error() {
        CreatePrivateDnsNamespaceError::DuplicateRequest(e) => {
            assert_eq!(e.duplicate_operation_id(), Some(operation_id.as_str()))
        }
        other => panic!("expected DuplicateRequest, got {other:?}"),
    }

    let (_, namespace_id) = poll_operation(&cloudmap, &operation_id).await?;
    let after = create().send().await.expect_err("after it succeeded");
    match after.into_service_error() {
        CreatePrivateDnsNamespaceError::NamespaceAlreadyExists(e) => {
            assert_eq!(e.namespace_id(), Some(namespace_id.as_str()));
            assert_eq!(e.creator_request_id(), Some("req-42"));
        }
        other => panic!("expected NamespaceAlreadyExists, got {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn delete_namespace_with_services_is_resource_in_use() -> TestResult {
    let em = Emulator::shared().await;
    let cloudmap = em.cloudmap();
    let namespace_id = create_namespace(&em, &cloudmap, "busy.local").await?;
    let service = cloudmap
        .create_service()
        .name("api")
        .namespace_id(&namespace_id)
        .send()
        .await?;
    let service_id = service
        .service()
        .and_then(|s| s.id())
        .ok_or("no id")?
        .to_owned();

    let refused = cloudmap
        .delete_namespace()
        .id(&namespace_id)
        .send()
        .await
        .expect_err("services inside");
    assert_eq!(
        refused.raw_response().map(|r| r.status().as_u16()),
        Some(409)
    );
    assert!(refused.into_service_error().is_resource_in_use());

    cloudmap.delete_service().id(&service_id).send().await?;
    let deleted = cloudmap.delete_namespace().id(&namespace_id).send().await?;
    let (status, _) = poll_operation(&cloudmap, deleted.operation_id().ok_or("no id")?).await?;
    assert_eq!(status, OperationStatus::Success);
    assert!(
        cloudmap
            .get_namespace()
            .id(&namespace_id)
            .send()
            .await
            .is_err()
    );
    assert!(
        em.route53()
            .list_hosted_zones()
            .send()
            .await?
            .hosted_zones()
            .is_empty(),
        "its zone went with it"
    );
    Ok(())
}

#[tokio::test]
async fn delete_service_with_instances_is_resource_in_use() -> TestResult {
    let em = Emulator::shared().await;
    let cloudmap = em.cloudmap();
    let namespace_id = create_namespace(&em, &cloudmap, "inst.local").await?;
    let service = cloudmap
        .create_service()
        .name("api")
        .namespace_id(&namespace_id)
        .send()
        .await?;
    let service_id = service
        .service()
        .and_then(|s| s.id())
        .ok_or("no id")?
        .to_owned();
    cloudmap
        .register_instance()
        .service_id(&service_id)
        .instance_id("i-1")
        .attributes("AWS_INSTANCE_IPV4", "10.0.0.1")
        .send()
        .await?;
    // Registration takes effect when its operation succeeds, as on AWS.
    em.finish_cloudmap_operations().await;
    let refused = cloudmap
        .delete_service()
        .id(&service_id)
        .send()
        .await
        .expect_err("an instance is registered");
    assert!(refused.into_service_error().is_resource_in_use());
    cloudmap
        .deregister_instance()
        .service_id(&service_id)
        .instance_id("i-1")
        .send()
        .await?;
    em.finish_cloudmap_operations().await;
    cloudmap.delete_service().id(&service_id).send().await?;
    Ok(())
}

#[tokio::test]
async fn unknown_cloud_map_ids_are_not_found() -> TestResult {
    let em = Emulator::shared().await;
    let cloudmap = em.cloudmap();
    let service = cloudmap
        .delete_service()
        .id("srv-doesnotexist")
        .send()
        .await
        .expect_err("unknown service");
    assert_eq!(
        service.raw_response().map(|r| r.status().as_u16()),
        Some(404)
    );
    assert!(service.into_service_error().is_service_not_found());
    let namespace = cloudmap
        .get_namespace()
        .id("ns-doesnotexist")
        .send()
        .await
        .expect_err("unknown namespace");
    assert_eq!(
        namespace.raw_response().map(|r| r.status().as_u16()),
        Some(404)
    );
    assert!(namespace.into_service_error().is_namespace_not_found());
    let in_missing = cloudmap
        .create_service()
        .name("api")
        .namespace_id("ns-doesnotexist")
        .send()
        .await;
    assert_eq!(failure(in_missing).0, "NamespaceNotFound");
    Ok(())
}

#[tokio::test]
async fn list_namespaces_filters_and_pages() -> TestResult {
    let em = Emulator::shared().await;
    let cloudmap = em.cloudmap();
    create_namespace(&em, &cloudmap, "alpha.local").await?;
    create_namespace(&em, &cloudmap, "beta.local").await?;
    em.set_operation_polls_per_stage(0).await;
    cloudmap
        .create_http_namespace()
        .name("alpha-http")
        .send()
        .await?;

    let filter = |name, condition, values: &[&str]| {
        NamespaceFilter::builder()
            .name(name)
            .condition(condition)
            .set_values(Some(values.iter().map(|v| v.to_string()).collect()))
            .build()
    };
    let names =
        |output: &aws_sdk_servicediscovery::operation::list_namespaces::ListNamespacesOutput| {
            let mut names: Vec<String> = output
                .namespaces()
                .iter()
                .filter_map(|n| n.name().map(str::to_owned))
                .collect();
            names.sort();
            names
        };
    let private = cloudmap
        .list_namespaces()
        .filters(filter(
            NamespaceFilterName::Type,
            FilterCondition::Eq,
            &["DNS_PRIVATE"],
        )?)
        .send()
        .await?;
    assert_eq!(names(&private), ["alpha.local", "beta.local"]);
    let typed = cloudmap
        .list_namespaces()
        .filters(filter(
            NamespaceFilterName::Type,
            FilterCondition::In,
            &["HTTP", "DNS_PUBLIC"],
        )?)
        .send()
        .await?;
    assert_eq!(names(&typed), ["alpha-http"]);
    let prefixed = cloudmap
        .list_namespaces()
        .filters(filter(
            NamespaceFilterName::Name,
            FilterCondition::BeginsWith,
            &["alpha"],
        )?)
        .send()
        .await?;
    assert_eq!(names(&prefixed), ["alpha-http", "alpha.local"]);
    let exact = cloudmap
        .list_namespaces()
        .filters(filter(
            NamespaceFilterName::HttpName,
            FilterCondition::Eq,
            &["beta.local"],
        )?)
        .send()
        .await?;
    assert_eq!(names(&exact), ["beta.local"]);
    let bad = cloudmap
        .list_namespaces()
        .filters(filter(
            NamespaceFilterName::Name,
            FilterCondition::In,
            &["a", "b"],
        )?)
        .send()
        .await;
    assert_eq!(failure(bad).0, "InvalidInput");

    let first = cloudmap.list_namespaces().max_results(2).send().await?;
    assert_eq!(first.namespaces().len(), 2);
    let token = first.next_token().ok_or("a second page")?;
    let second = cloudmap
        .list_namespaces()
        .max_results(2)
        .next_token(token)
        .send()
        .await?;
    assert_eq!(second.namespaces().len(), 1);
    assert!(second.next_token().is_none());
    let summary = &second.namespaces()[0];
    assert!(
        summary.service_count().is_some()
            && summary.arn().is_some()
            && summary.create_date().is_some()
    );
    Ok(())
}

#[tokio::test]
async fn list_services_filters_by_namespace_and_pages() -> TestResult {
    let em = Emulator::shared().await;
    let cloudmap = em.cloudmap();
    let one = create_namespace(&em, &cloudmap, "one.local").await?;
    let two = create_namespace(&em, &cloudmap, "two.local").await?;
    for name in ["a", "b", "c"] {
        cloudmap
            .create_service()
            .name(name)
            .namespace_id(&one)
            .send()
            .await?;
    }
    cloudmap
        .create_service()
        .name("z")
        .namespace_id(&two)
        .send()
        .await?;
    let in_one = ServiceFilter::builder()
        .name(ServiceFilterName::NamespaceId)
        .values(&one)
        .build()?;

    let first = cloudmap
        .list_services()
        .filters(in_one.clone())
        .max_results(2)
        .send()
        .await?;
    let token = first.next_token().ok_or("a second page")?.to_owned();
    let second = cloudmap
        .list_services()
        .filters(in_one)
        .max_results(2)
        .next_token(token)
        .send()
        .await?;
    let mut names: Vec<&str> = first
        .services()
        .iter()
        .chain(second.services())
        .filter_map(|s| s.name())
        .collect();
    names.sort();
    assert_eq!(names, ["a", "b", "c"]);
    assert!(second.next_token().is_none());
    let summary = &first.services()[0];
    assert_eq!(summary.instance_count(), Some(0));
    assert!(summary.arn().is_some() && summary.id().is_some() && summary.create_date().is_some());
    assert_eq!(cloudmap.list_services().send().await?.services().len(), 4);
    Ok(())
}

#[tokio::test]
async fn update_private_dns_namespace_is_async_and_keeps_hosted_zone() -> TestResult {
    let em = Emulator::shared().await;
    let cloudmap = em.cloudmap();
    let id = create_namespace(&em, &cloudmap, "upd.local").await?;
    let zone_of =
        |output: &aws_sdk_servicediscovery::operation::get_namespace::GetNamespaceOutput| {
            output
                .namespace()
                .and_then(|n| n.properties())
                .and_then(|p| p.dns_properties())
                .and_then(|d| d.hosted_zone_id())
                .map(str::to_owned)
        };
    let before = zone_of(&cloudmap.get_namespace().id(&id).send().await?);
    assert!(before.is_some());

    let change = PrivateDnsNamespaceChange::builder()
        .description("updated")
        .properties(
            PrivateDnsNamespacePropertiesChange::builder()
                .dns_properties(
                    PrivateDnsPropertiesMutableChange::builder()
                        .soa(SoaChange::builder().ttl(60).build()?)
                        .build(),
                )
                .build(),
        )
        .build();
    let updated = cloudmap
        .update_private_dns_namespace()
        .id(&id)
        .namespace(change)
        .send()
        .await?;
    let operation_id = updated.operation_id().ok_or("no id")?.to_owned();
    let pending = cloudmap.get_namespace().id(&id).send().await?;
    assert_eq!(
        pending.namespace().and_then(|n| n.description()),
        None,
        "not applied before SUCCESS"
    );

    let (status, _) = poll_operation(&cloudmap, &operation_id).await?;
    assert_eq!(status, OperationStatus::Success);
    let after = cloudmap.get_namespace().id(&id).send().await?;
    assert_eq!(
        after.namespace().and_then(|n| n.description()),
        Some("updated")
    );
    assert_eq!(zone_of(&after), before, "HostedZoneId survives the update");
    let soa_ttl = after
        .namespace()
        .and_then(|n| n.properties())
        .and_then(|p| p.dns_properties())
        .and_then(|d| d.soa())
        .map(|s| s.ttl());
    assert_eq!(soa_ttl, Some(60));
    Ok(())
}

#[tokio::test]
async fn tags_on_unknown_arns_are_resource_not_found() -> TestResult {
    let em = Emulator::shared().await;
    let cloudmap = em.cloudmap();
    let unknown = format!("arn:aws:servicediscovery:us-east-1:{ACCOUNT_ID}:namespace/ns-unknown");
    let tag = Tag::builder().key("team").value("mesh").build()?;
    let listed = cloudmap
        .list_tags_for_resource()
        .resource_arn(&unknown)
        .send()
        .await
        .expect_err("unknown ARN");
    assert!(
        listed
            .into_service_error()
            .is_resource_not_found_exception()
    );
    let tagged = cloudmap
        .tag_resource()
        .resource_arn(&unknown)
        .tags(tag.clone())
        .send()
        .await
        .expect_err("unknown ARN");
    assert!(
        tagged
            .into_service_error()
            .is_resource_not_found_exception()
    );
    let untagged = cloudmap
        .untag_resource()
        .resource_arn(&unknown)
        .tag_keys("team")
        .send()
        .await
        .expect_err("unknown ARN");
    assert!(
        untagged
            .into_service_error()
            .is_resource_not_found_exception()
    );

    let id = create_namespace(&em, &cloudmap, "tags.local").await?;
    let arn = cloudmap
        .get_namespace()
        .id(&id)
        .send()
        .await?
        .namespace()
        .and_then(|n| n.arn())
        .ok_or("no ARN")?
        .to_owned();
    cloudmap
        .tag_resource()
        .resource_arn(&arn)
        .tags(tag.clone())
        .send()
        .await?;
    let tags = cloudmap
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await?;
    assert_eq!(tags.tags(), [tag]);
    Ok(())
}

#[tokio::test]
async fn discover_instances_works_without_data_host_prefix() -> TestResult {
    let em = Emulator::shared().await;
    let cloudmap = em.cloudmap();
    em.set_operation_polls_per_stage(0).await;
    let created = cloudmap.create_http_namespace().name("disc").send().await?;
    let (_, namespace_id) =
        poll_operation(&cloudmap, created.operation_id().ok_or("no id")?).await?;
    let service = cloudmap
        .create_service()
        .name("api")
        .namespace_id(&namespace_id)
        .send()
        .await?;
    let service_id = service.service().and_then(|s| s.id()).ok_or("no id")?;
    cloudmap
        .register_instance()
        .service_id(service_id)
        .instance_id("i-1")
        .attributes("AWS_INSTANCE_IPV4", "10.0.0.7")
        .send()
        .await?;

    // The SDK client (its "data-" prefix stripped for loopback) reaches the emulator.
    let found = cloudmap
        .discover_instances()
        .namespace_name("disc")
        .service_name("api")
        .send()
        .await?;
    let ids: Vec<_> = found
        .instances()
        .iter()
        .filter_map(|i| i.instance_id())
        .collect();
    assert_eq!(ids, ["i-1"]);

    // The emulator routes by the signed service name, so a data- Host header is fine too.
    let host = format!("data-127.0.0.1:{}", em.port());
    let auth = "AWS4-HMAC-SHA256 Credential=AKIAEMULATORTEST/20240101/us-east-1/servicediscovery/aws4_request, SignedHeaders=host, Signature=0";
    let raw = em
        .http(
            "POST",
            "/",
            &[
                ("Host", host.as_str()),
                ("Content-Type", "application/x-amz-json-1.1"),
                (
                    "X-Amz-Target",
                    "Route53AutoNaming_v20170314.DiscoverInstances",
                ),
                ("Authorization", auth),
            ],
            br#"{"NamespaceName": "disc", "ServiceName": "api"}"#,
        )
        .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
    assert_eq!(raw.json()["Instances"][0]["InstanceId"], "i-1");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Control API: counters, faults, latency, reset

#[tokio::test]
async fn counters_count_every_call_including_failures_and_reset() -> TestResult {
    let em = Emulator::shared().await;
    let (ecs, cloudmap) = (em.ecs(), em.cloudmap());
    ecs.create_cluster().cluster_name(CLUSTER).send().await?;
    ecs.list_clusters().send().await?;
    ecs.list_clusters().send().await?;
    let _ = ecs
        .describe_services()
        .cluster("missing-cluster")
        .services("x")
        .send()
        .await;
    cloudmap.list_namespaces().send().await?;
    em.route53().list_hosted_zones().send().await?;

    let counters = em.counters().await;
    assert_eq!(counters.calls("ecs:CreateCluster"), 1);
    assert_eq!(counters.calls("ecs:ListClusters"), 2);
    assert_eq!(counters.calls("ecs:DescribeServices"), 1);
    assert_eq!(
        counters.errors("ecs:DescribeServices"),
        1,
        "the failed call is counted as an error"
    );
    assert_eq!(counters.calls("servicediscovery:ListNamespaces"), 1);
    assert_eq!(counters.calls("route53:ListHostedZones"), 1);
    assert_eq!(counters.errors("ecs:ListClusters"), 0);

    em.reset_counters().await;
    assert!(em.counters().await.calls.is_empty());
    ecs.list_clusters().send().await?;
    assert_eq!(em.counters().await.calls("ecs:ListClusters"), 1);
    Ok(())
}

#[tokio::test]
async fn throttling_fault_has_each_protocol_shape_and_sdk_retries_it() -> TestResult {
    let em = Emulator::shared().await;
    em.inject_fault(Fault::throttle("ecs:ListClusters").count(1))
        .await;
    em.inject_fault(Fault::throttle("route53:ListHostedZones").count(1))
        .await;
    em.inject_fault(Fault::throttle("servicediscovery:ListNamespaces").count(1))
        .await;

    let (code, message) = failure(no_retry_ecs(&em).list_clusters().send().await);
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("ThrottlingException", "Rate exceeded")
    );
    let route53 = aws_sdk_route53::Client::from_conf(
        aws_sdk_route53::config::Builder::from(&em.sdk_config())
            .retry_config(RetryConfig::disabled())
            .build(),
    );
    assert_eq!(
        failure(route53.list_hosted_zones().send().await).0,
        "Throttling"
    );
    let cloudmap = aws_sdk_servicediscovery::Client::from_conf(
        aws_sdk_servicediscovery::config::Builder::from(&em.sdk_config())
            .retry_config(RetryConfig::disabled())
            .build(),
    );
    assert_eq!(
        failure(cloudmap.list_namespaces().send().await).0,
        "ThrottlingException"
    );

    // The SDK's standard retry recognises it as throttling and tries again.
    em.inject_fault(Fault::throttle("ecs:ListClusters").count(2))
        .await;
    em.reset_counters().await;
    em.ecs().list_clusters().send().await?;
    let counters = em.counters().await;
    assert_eq!(
        (
            counters.calls("ecs:ListClusters"),
            counters.errors("ecs:ListClusters")
        ),
        (3, 2)
    );
    Ok(())
}

#[tokio::test]
async fn fault_matched_on_request_field_fails_one_service_only() -> TestResult {
    let m = mesh().await?;
    create_service(&m.ecs, CLUSTER, "backend", None).await?;
    create_service(&m.ecs, CLUSTER, "frontend", None).await?;
    m.em.inject_fault(Fault::server_error("ecs:UpdateService").matching("service", "backend"))
        .await;
    let ecs = no_retry_ecs(&m.em);

    let failed = ecs
        .update_service()
        .cluster(CLUSTER)
        .service("backend")
        .desired_count(2)
        .send()
        .await;
    let error = failed.expect_err("backend's update fails");
    assert_eq!(error.raw_response().map(|r| r.status().as_u16()), Some(500));
    assert!(error.into_service_error().is_server_exception());
    let by_arn = format!("arn:aws:ecs:us-east-1:{ACCOUNT_ID}:service/{CLUSTER}/backend");
    assert_eq!(
        failure(
            ecs.update_service()
                .cluster(CLUSTER)
                .service(by_arn)
                .send()
                .await
        )
        .0,
        "ServerException"
    );

    ecs.update_service()
        .cluster(CLUSTER)
        .service("frontend")
        .desired_count(2)
        .send()
        .await?;
    let rules = m.em.faults().await;
    assert_eq!(rules[0]["fired"], 2);
    Ok(())
}

#[tokio::test]
async fn outage_fails_every_call_after_the_first_k() -> TestResult {
    let em = Emulator::shared().await;
    let id = em.inject_fault(Fault::server_error("ecs:*").after(2)).await;
    let ecs = no_retry_ecs(&em);
    ecs.list_clusters().send().await?;
    ecs.create_cluster().cluster_name("c").send().await?;
    for _ in 0..3 {
        assert_eq!(
            failure(ecs.list_clusters().send().await).0,
            "ServerException"
        );
    }
    // Other services are not in the outage.
    em.cloudmap().list_namespaces().send().await?;
    em.remove_fault(id).await;
    ecs.list_clusters().send().await?;
    Ok(())
}

#[tokio::test]
async fn rate_fault_fails_a_seeded_share_of_calls() -> TestResult {
    let em = Emulator::shared().await;
    em.inject_fault(
        Fault::error(
            "ecs:ListClusters",
            "ServiceUnavailableException",
            503,
            "try later",
        )
        .rate(0.5, 7),
    )
    .await;
    let ecs = no_retry_ecs(&em);
    let mut failed = 0;
    for _ in 0..20 {
        if let Err(error) = ecs.list_clusters().send().await {
            assert_eq!(error.code(), Some("ServiceUnavailableException"));
            failed += 1;
        }
    }
    assert!(
        (1..20).contains(&failed),
        "a share, not all or none: {failed}"
    );
    assert_eq!(em.counters().await.errors("ecs:ListClusters"), failed);
    assert_eq!(em.faults().await[0]["fired"], failed);
    Ok(())
}

#[tokio::test]
async fn latency_is_added_per_operation_and_globally() -> TestResult {
    let em = Emulator::shared().await;
    let ecs = em.ecs();
    ecs.list_clusters().send().await?; // warm the client's connection
    em.set_latency("ecs:ListClusters", 400).await;
    let started = Instant::now();
    ecs.list_clusters().send().await?;
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );

    em.clear_latency().await;
    em.set_latency("*", 300).await;
    let started = Instant::now();
    em.cloudmap().list_namespaces().send().await?;
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    Ok(())
}

/// ECS's published token buckets (API Reference, "Request throttling for the Amazon ECS API",
/// table "Request Token Bucket Sizes and Refill Rates"), as the `ecs` preset holds them.
#[tokio::test]
async fn the_ecs_preset_holds_the_buckets_aws_publishes() -> TestResult {
    let em = Emulator::shared().await;
    let buckets = em.throttle_like_aws().await;
    let holding = |operation: &str| {
        buckets.iter().find(|b| {
            b["operations"]
                .as_array()
                .is_some_and(|ops| ops.iter().any(|o| o == operation))
        })
    };
    let bucket_of = |operation: &str| {
        holding(operation).map(|b| (b["capacity"].as_u64(), b["refill"].as_f64()))
    };
    // (action, burst, refill per second) from AWS's table.
    for (operation, burst, refill) in [
        ("ecs:UpdateService", 50, 5.0),
        ("ecs:CreateService", 50, 5.0),
        ("ecs:DeleteService", 50, 5.0),
        ("ecs:DescribeServices", 100, 20.0),
        ("ecs:DescribeTaskDefinition", 50, 20.0),
        ("ecs:ListTagsForResource", 50, 20.0),
        ("ecs:ListServicesByNamespace", 10, 1.0),
        ("ecs:DescribeClusters", 50, 20.0),
    ] {
        assert_eq!(
            bucket_of(operation),
            Some((Some(burst), Some(refill))),
            "{operation}"
        );
    }
    assert_eq!(
        holding("ecs:CreateService").map(|b| &b["name"]),
        holding("ecs:UpdateService").map(|b| &b["name"]),
        "one bucket for all service modify actions"
    );
    assert_eq!(bucket_of("servicediscovery:ListNamespaces"), None);

    // ListServicesByNamespace: a burst of 10, then one token a second. The bucket is asked
    // before the call is handled, so calls that fail for another reason take a token too.
    let ecs = no_retry_ecs(&em);
    for _ in 0..10 {
        let answer = ecs
            .list_services_by_namespace()
            .namespace("nothing.internal")
            .send()
            .await;
        if let Err(err) = answer {
            assert_ne!(err.code(), Some("ThrottlingException"));
        }
    }
    let throttled = ecs
        .list_services_by_namespace()
        .namespace("nothing.internal")
        .send()
        .await;
    assert_eq!(
        failure(throttled),
        ("ThrottlingException".to_owned(), "Rate exceeded".to_owned())
    );
    let listed = em.throttle_buckets().await;
    let namespace_reads = listed
        .iter()
        .find(|b| b["name"] == "Cluster service resource read actions")
        .expect("the bucket");
    assert_eq!(
        (&namespace_reads["taken"], &namespace_reads["throttled"]),
        (&json!(10), &json!(1))
    );
    assert!(em.counters().await.errors("ecs:ListServicesByNamespace") >= 1);
    Ok(())
}

#[tokio::test]
async fn a_token_bucket_refills_at_its_rate_and_fill_restores_it() -> TestResult {
    let em = Emulator::shared().await;
    em.control(
        "POST",
        "throttle-buckets",
        Some(json!({"buckets": [
            {"name": "two, never refilled", "operations": ["ecs:ListClusters"], "capacity": 2, "refill": 0},
            {"name": "one, ten a second", "operations": ["ecs:DescribeClusters"], "capacity": 1, "refill": 10},
        ]})),
    )
    .await;
    let ecs = no_retry_ecs(&em);
    ecs.list_clusters().send().await?;
    ecs.list_clusters().send().await?;
    assert_eq!(
        failure(ecs.list_clusters().send().await).0,
        "ThrottlingException"
    );
    em.fill_throttle_buckets().await;
    ecs.list_clusters().send().await?;

    ecs.describe_clusters().clusters("x").send().await?;
    assert_eq!(
        failure(ecs.describe_clusters().clusters("x").send().await).0,
        "ThrottlingException"
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    ecs.describe_clusters().clusters("x").send().await?;

    em.reset().await;
    assert!(em.throttle_buckets().await.is_empty());
    for _ in 0..3 {
        ecs.list_clusters().send().await?;
    }
    Ok(())
}

#[tokio::test]
async fn throttle_buckets_refuse_malformed_specs() -> TestResult {
    let em = Emulator::shared().await;
    let bucket = |fields: Value| json!({"buckets": [fields]});
    assert_control_refuses(
        &em,
        "throttle-buckets",
        [
            json!({"preset": "cloudmap"}),
            json!({"preset": "ecs", "buckets": []}),
            json!({"buckets": {}}),
            bucket(json!({"name": "x", "operations": ["ListClusters"], "capacity": 1, "refill": 1})),
            bucket(json!({"name": "x", "operations": ["ecs:ListClusters"], "capacity": -1, "refill": 1})),
            bucket(json!({"name": "x", "operations": ["ecs:ListClusters"], "capacity": 1})),
        ],
    )
    .await;
    Ok(())
}

#[tokio::test]
async fn reset_clears_all_state() -> TestResult {
    let m = mesh().await?;
    m.em.set_drain_after_describes(3).await;
    m.em.inject_fault(Fault::throttle("ecs:DescribeClusters"))
        .await;
    m.em.set_latency("ecs:*", 10).await;
    m.em.reset().await;

    assert!(
        m.ecs
            .list_clusters()
            .send()
            .await?
            .cluster_arns()
            .is_empty()
    );
    assert!(
        m.cloudmap
            .list_namespaces()
            .send()
            .await?
            .namespaces()
            .is_empty()
    );
    assert!(m.em.faults().await.is_empty());
    let settings = m.em.update_settings(json!({})).await;
    assert_eq!(
        settings,
        json!({
            "drain_after_describes": 0,
            "missing_after_create_describes": 0,
            "operation_polls_per_stage": 2,
            "register_instances": 0
        })
    );
    let counters = m.em.counters().await;
    let expected = [
        ("ecs:ListClusters".to_owned(), 1),
        ("servicediscovery:ListNamespaces".to_owned(), 1),
    ];
    assert_eq!(
        counters.calls,
        expected.into_iter().collect(),
        "only the calls since the reset"
    );
    Ok(())
}

#[tokio::test]
async fn control_api_rejects_bad_input() -> TestResult {
    let em = Emulator::shared().await;
    let unknown_setting = em
        .control_raw("POST", "settings", Some(json!({"drain_after": 1})))
        .await;
    assert_eq!(unknown_setting.status, 400, "{}", unknown_setting.body);
    let bad_kind = em
        .control_raw(
            "POST",
            "faults",
            Some(json!({"operation": "ecs:*", "kind": "explode"})),
        )
        .await;
    assert_eq!(bad_kind.status, 400, "{}", bad_kind.body);
    let no_route = em.control_raw("GET", "nothing-here", None).await;
    assert_eq!(no_route.status, 404);
    assert_eq!(em.control("GET", "health", None).await["status"], "ok");
    Ok(())
}

#[tokio::test]
async fn dropping_the_emulator_stops_its_process_group() -> TestResult {
    let em = Emulator::start().await;
    let (pid, port) = (em.pid(), em.port());
    assert_eq!(em.control("GET", "health", None).await["status"], "ok");
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    drop(em);
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "process {pid} is gone"
    );
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err(),
        "nothing listens on {port}"
    );
    Ok(())
}

#[tokio::test]
async fn list_operations_filters_pages_and_keeps_deleted_namespaces() -> TestResult {
    use aws_sdk_servicediscovery::types::{OperationFilter, OperationFilterName};
    let em = Emulator::shared().await;
    let cloudmap = em.cloudmap();
    em.set_operation_polls_per_stage(0).await;
    let created = cloudmap.create_http_namespace().name("ops").send().await?;
    let (_, namespace_id) =
        poll_operation(&cloudmap, created.operation_id().ok_or("no id")?).await?;
    let updated = cloudmap
        .update_http_namespace()
        .id(&namespace_id)
        .namespace(
            aws_sdk_servicediscovery::types::HttpNamespaceChange::builder()
                .description("d")
                .build()?,
        )
        .send()
        .await?;
    let update_id = updated
        .operation_id()
        .ok_or("UpdateHttpNamespace answers OperationId")?
        .to_owned();
    cloudmap.delete_namespace().id(&namespace_id).send().await?;

    let of_type = |kind: &str| {
        OperationFilter::builder()
            .name(OperationFilterName::Type)
            .values(kind)
            .build()
    };
    let updates = cloudmap
        .list_operations()
        .filters(of_type("UPDATE_NAMESPACE")?)
        .send()
        .await?;
    let ids: Vec<_> = updates.operations().iter().filter_map(|o| o.id()).collect();
    assert_eq!(ids, [update_id.as_str()]);

    let in_namespace = OperationFilter::builder()
        .name(OperationFilterName::NamespaceId)
        .values(&namespace_id)
        .build()?;
    let first = cloudmap
        .list_operations()
        .filters(in_namespace.clone())
        .max_results(2)
        .send()
        .await?;
    let token = first.next_token().ok_or("a second page")?.to_owned();
    let second = cloudmap
        .list_operations()
        .filters(in_namespace)
        .max_results(2)
        .next_token(token)
        .send()
        .await?;
    assert_eq!(
        first.operations().len() + second.operations().len(),
        3,
        "create, update and delete, though the namespace is gone"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Who owns what in a namespace: ECS-managed services, other callers' services, other clusters,
// more VPCs, namespaces shared from another account

/// The tags of a Cloud Map resource, as (key, value) pairs.
async fn cloud_map_tags(
    cloudmap: &aws_sdk_servicediscovery::Client,
    arn: &str,
) -> Result<Vec<(String, String)>, Box<dyn Error>> {
    let listed = cloudmap
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await?;
    Ok(listed
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect())
}

fn ecs_managed() -> Vec<(String, String)> {
    vec![("AmazonECSManaged".to_owned(), "true".to_owned())]
}

/// The Cloud Map services of a namespace (given by id, or by ARN for a shared one).
async fn services_in(
    cloudmap: &aws_sdk_servicediscovery::Client,
    namespace: &str,
) -> Result<Vec<aws_sdk_servicediscovery::types::ServiceSummary>, Box<dyn Error>> {
    let filter = ServiceFilter::builder()
        .name(ServiceFilterName::NamespaceId)
        .values(namespace)
        .build()?;
    let listed = cloudmap.list_services().filters(filter).send().await?;
    Ok(listed.services().to_vec())
}

/// ECS tags the Cloud Map services it creates for Service Connect `AmazonECSManaged=true`
/// (seen by users, aws/containers-roadmap#2560; not in AWS's documentation), and the ECS
/// service's deployment names each as (discoveryName, discoveryArn).
#[tokio::test]
async fn cloud_map_services_ecs_creates_are_tagged_ecs_managed() -> TestResult {
    let m = mesh().await?;
    let config = sc_config(
        NAMESPACE,
        vec![
            sc_service("http", Some("api"), 80),
            sc_service("admin", None, 81),
        ],
    );
    create_service(&m.ecs, CLUSTER, "backend", Some(config)).await?;
    let described = describe(&m.ecs, CLUSTER, "backend").await?;
    let resources = primary(&described).service_connect_resources();
    let names: Vec<_> = resources
        .iter()
        .filter_map(|r| r.discovery_name())
        .collect();
    assert_eq!(names, ["api", "admin"]);
    let in_namespace = services_in(&m.cloudmap, &m.namespace_id).await?;
    for resource in resources {
        let arn = resource.discovery_arn().ok_or("no discoveryArn")?;
        let listed = in_namespace
            .iter()
            .find(|s| s.arn() == Some(arn))
            .ok_or("the discoveryArn is a Cloud Map service of the namespace")?;
        assert_eq!(listed.name(), resource.discovery_name());
        assert_eq!(listed.created_by_account(), Some(ACCOUNT_ID));
        assert_eq!(cloud_map_tags(&m.cloudmap, arn).await?, ecs_managed());
    }
    Ok(())
}

/// Other callers' Cloud Map services (with DNS records or API-only, instances registered by
/// hand) live in the namespace beside the ones ECS made; they carry no ECS tag, and neither
/// they nor the namespace can be deleted while in use.
#[tokio::test]
async fn other_callers_cloud_map_services_coexist_with_ecs_ones() -> TestResult {
    use aws_sdk_servicediscovery::types::{DnsConfig, DnsRecord, RecordType, ServiceType};
    let m = mesh().await?;
    create_service(
        &m.ecs,
        CLUSTER,
        "backend",
        Some(http_only(NAMESPACE, "api", 80)),
    )
    .await?;
    let dns = DnsConfig::builder()
        .dns_records(DnsRecord::builder().r#type(RecordType::A).ttl(60).build()?)
        .build()?;
    let erp = m
        .cloudmap
        .create_service()
        .name("erp")
        .namespace_id(&m.namespace_id)
        .dns_config(dns)
        .send()
        .await?;
    let erp = erp.service().ok_or("no service")?;
    assert_eq!(erp.r#type(), Some(&ServiceType::DnsHttp));
    let erp_id = erp.id().ok_or("no id")?.to_owned();
    m.cloudmap
        .register_instance()
        .service_id(&erp_id)
        .instance_id("erp-1")
        .attributes("AWS_INSTANCE_IPV4", "10.0.0.7")
        .send()
        .await?;
    m.em.finish_cloudmap_operations().await;
    // The world.rs helper does the same for provider tests: API-only, no instance.
    let batch_arn =
        crate::support::world::hand_made_cloud_map_service(&m.em, &m.namespace_id, "batch", None)
            .await;

    let listed = services_in(&m.cloudmap, &m.namespace_id).await?;
    let mut names: Vec<_> = listed.iter().filter_map(|s| s.name()).collect();
    names.sort();
    assert_eq!(names, ["api", "batch", "erp"]);
    let by_name = |name: &str| listed.iter().find(|s| s.name() == Some(name));
    assert_eq!(by_name("erp").and_then(|s| s.instance_count()), Some(1));
    assert_eq!(
        by_name("batch").and_then(|s| s.r#type()),
        Some(&ServiceType::Http)
    );
    for name in ["erp", "batch"] {
        let arn = by_name(name).and_then(|s| s.arn()).ok_or("no ARN")?;
        assert!(cloud_map_tags(&m.cloudmap, arn).await?.is_empty(), "{name}");
    }

    let refused = m
        .cloudmap
        .delete_service()
        .id(&erp_id)
        .send()
        .await
        .expect_err("erp has an instance");
    assert!(refused.into_service_error().is_resource_in_use());
    let in_use = m
        .cloudmap
        .delete_namespace()
        .id(&m.namespace_id)
        .send()
        .await
        .expect_err("services inside");
    assert!(in_use.into_service_error().is_resource_in_use());
    // The ECS service goes, its Cloud Map service stays; the others are untouched.
    m.ecs
        .delete_service()
        .cluster(CLUSTER)
        .service("backend")
        .force(true)
        .send()
        .await?;
    assert_eq!(services_in(&m.cloudmap, &m.namespace_id).await?.len(), 3);
    m.cloudmap.delete_service().id(&batch_arn).send().await?;
    assert_eq!(services_in(&m.cloudmap, &m.namespace_id).await?.len(), 2);
    Ok(())
}

/// Services of two clusters enable Service Connect in one namespace; each gets its own
/// ECS-managed Cloud Map service there. A discovery name must be unique in the namespace
/// (ECS API reference, ServiceConnectServiceResource), so the other cluster cannot take one
/// an ACTIVE service uses (the error's wording is ours).
#[tokio::test]
async fn services_of_two_clusters_share_one_namespace() -> TestResult {
    let m = mesh().await?;
    m.ecs.create_cluster().cluster_name("batch").send().await?;
    let api = create_service(
        &m.ecs,
        CLUSTER,
        "backend",
        Some(http_only(NAMESPACE, "api", 80)),
    )
    .await?;
    let jobs = create_service(
        &m.ecs,
        "batch",
        "worker",
        Some(http_only(&m.namespace_arn, "jobs", 80)),
    )
    .await?;
    let arn_of = |service: &Service| {
        primary(service).service_connect_resources()[0]
            .discovery_arn()
            .map(str::to_owned)
    };
    let (api_arn, jobs_arn) = (arn_of(&api).ok_or("api")?, arn_of(&jobs).ok_or("jobs")?);
    assert_ne!(api_arn, jobs_arn);
    let listed = services_in(&m.cloudmap, &m.namespace_id).await?;
    let arns: Vec<_> = listed.iter().filter_map(|s| s.arn()).collect();
    assert_eq!(arns, [api_arn.as_str(), jobs_arn.as_str()]);
    for arn in [&api_arn, &jobs_arn] {
        assert_eq!(cloud_map_tags(&m.cloudmap, arn).await?, ecs_managed());
    }

    let (code, message) = failure(
        create_service(
            &m.ecs,
            "batch",
            "thief",
            Some(http_only(NAMESPACE, "api", 81)),
        )
        .await,
    );
    assert_eq!(code, "InvalidParameterException");
    assert!(message.contains("api"), "{message}");

    // The namespace's ServiceCount counts both clusters' Cloud Map services.
    let namespace = m
        .cloudmap
        .get_namespace()
        .id(&m.namespace_id)
        .send()
        .await?;
    assert_eq!(
        namespace.namespace().and_then(|n| n.service_count()),
        Some(2)
    );
    Ok(())
}

/// A private hosted zone can be associated with more VPCs; GetHostedZone lists them in the
/// order they were associated. The VPC must exist (InvalidVPCId), and one already associated
/// with a zone of that name is ConflictingDomainExists (Route 53 API reference).
#[tokio::test]
async fn namespace_zone_can_be_associated_with_a_second_vpc() -> TestResult {
    use aws_sdk_route53::types::{Vpc, VpcRegion};
    let m = mesh().await?;
    let route53 = m.em.route53();
    let first_vpc = m.em.network().await.vpc_id;
    let second_vpc = m.em.create_vpc("10.1.0.0/16").await;
    let namespace = m
        .cloudmap
        .get_namespace()
        .id(&m.namespace_id)
        .send()
        .await?;
    let zone_id = namespace
        .namespace()
        .and_then(|n| n.properties())
        .and_then(|p| p.dns_properties())
        .and_then(|d| d.hosted_zone_id())
        .ok_or("no HostedZoneId")?
        .to_owned();
    let vpc = |id: &str| {
        Vpc::builder()
            .vpc_id(id)
            .vpc_region(VpcRegion::UsEast1)
            .build()
    };
    route53
        .associate_vpc_with_hosted_zone()
        .hosted_zone_id(&zone_id)
        .vpc(vpc(&second_vpc))
        .send()
        .await?;
    let zone = route53.get_hosted_zone().id(&zone_id).send().await?;
    let vpcs: Vec<_> = zone.vpcs().iter().filter_map(|v| v.vpc_id()).collect();
    assert_eq!(vpcs, [first_vpc.as_str(), second_vpc.as_str()]);
    let by_vpc = route53
        .list_hosted_zones_by_vpc()
        .vpc_id(&second_vpc)
        .vpc_region(VpcRegion::UsEast1)
        .send()
        .await?;
    let zone_ids: Vec<_> = by_vpc
        .hosted_zone_summaries()
        .iter()
        .map(|z| z.hosted_zone_id())
        .collect();
    assert_eq!(zone_ids, [zone_id.as_str()]);

    let unknown = route53
        .associate_vpc_with_hosted_zone()
        .hosted_zone_id(&zone_id)
        .vpc(vpc("vpc-0doesnotexist"))
        .send()
        .await
        .expect_err("no such VPC");
    assert!(unknown.into_service_error().is_invalid_vpc_id());
    let again = route53
        .associate_vpc_with_hosted_zone()
        .hosted_zone_id(&zone_id)
        .vpc(vpc(&second_vpc))
        .send()
        .await
        .expect_err("already associated");
    assert!(again.into_service_error().is_conflicting_domain_exists());

    // The Namespace API still answers as before; the zone goes with the namespace.
    assert_eq!(
        namespace
            .namespace()
            .and_then(|n| n.properties())
            .and_then(|p| p.dns_properties())
            .and_then(|d| d.hosted_zone_id()),
        Some(zone_id.as_str())
    );
    let deleted = m
        .cloudmap
        .delete_namespace()
        .id(&m.namespace_id)
        .send()
        .await?;
    poll_operation(&m.cloudmap, deleted.operation_id().ok_or("no id")?).await?;
    assert!(route53.get_hosted_zone().id(&zone_id).send().await.is_err());
    Ok(())
}

/// A private DNS namespace cannot be made in a VPC that a zone of the same name already
/// serves, whether that zone was associated with the VPC later or is another account's: the
/// operation ends FAIL with CANNOT_CREATE_HOSTED_ZONE (ConflictingDomainExists;
/// ../shared/research/real-aws-semantics.md), and no namespace is made.
#[tokio::test]
async fn a_namespace_name_a_vpc_already_serves_fails_its_operation() -> TestResult {
    use crate::support::emulator::ShareNamespace;
    use aws_sdk_route53::types::{Vpc, VpcRegion};
    let em = Emulator::shared().await;
    let cloudmap = em.cloudmap();
    let route53 = em.route53();
    let first = create_namespace(&em, &cloudmap, "later.local").await?;
    let zone_id = hosted_zone_of(&cloudmap, &first).await?;
    let second_vpc = em.create_vpc("10.3.0.0/16").await;
    route53
        .associate_vpc_with_hosted_zone()
        .hosted_zone_id(&zone_id)
        .vpc(
            Vpc::builder()
                .vpc_id(&second_vpc)
                .vpc_region(VpcRegion::UsEast1)
                .build(),
        )
        .send()
        .await?;
    let default_vpc = em.network().await.vpc_id;
    em.share_namespace(ShareNamespace::private_dns("shared.local").vpc(&default_vpc))
        .await;

    for (name, vpc) in [("later.local", &second_vpc), ("shared.local", &default_vpc)] {
        let started = cloudmap
            .create_private_dns_namespace()
            .name(name)
            .vpc(vpc)
            .send()
            .await?;
        let operation_id = started.operation_id().ok_or("no operation id")?;
        let (status, _) = poll_operation(&cloudmap, operation_id).await?;
        assert_eq!(status, OperationStatus::Fail, "{name} in {vpc}");
        let operation = cloudmap
            .get_operation()
            .operation_id(operation_id)
            .send()
            .await?;
        assert_eq!(
            operation.operation().and_then(|o| o.error_code()),
            Some("CANNOT_CREATE_HOSTED_ZONE"),
            "{name} in {vpc}: {operation:?}"
        );
    }
    let own: Vec<String> = cloudmap
        .list_namespaces()
        .send()
        .await?
        .namespaces()
        .iter()
        .filter_map(|n| n.name().map(str::to_owned))
        .collect();
    assert_eq!(
        own.iter().filter(|n| *n == "later.local").count(),
        1,
        "{own:?}"
    );
    Ok(())
}

/// (name, ResourceOwner) of the namespaces ListNamespaces returns, with a RESOURCE_OWNER filter.
async fn namespace_owners(
    cloudmap: &aws_sdk_servicediscovery::Client,
    resource_owner: Option<&str>,
) -> Result<
    Vec<(String, String)>,
    aws_sdk_servicediscovery::error::SdkError<
        aws_sdk_servicediscovery::operation::list_namespaces::ListNamespacesError,
    >,
> {
    let filter = resource_owner.map(|value| {
        NamespaceFilter::builder()
            .name(NamespaceFilterName::ResourceOwner)
            .condition(FilterCondition::Eq)
            .values(value)
            .build()
            .expect("name and values are set")
    });
    let listed = cloudmap
        .list_namespaces()
        .set_filters(filter.map(|f| vec![f]))
        .send()
        .await?;
    Ok(listed
        .namespaces()
        .iter()
        .map(|n| {
            (
                n.name().unwrap_or_default().to_owned(),
                n.resource_owner().unwrap_or_default().to_owned(),
            )
        })
        .collect())
}

/// A namespace shared from another account through AWS RAM: ListNamespaces returns it with
/// the owner as ResourceOwner, RESOURCE_OWNER = SELF / OTHER_ACCOUNTS tells it apart,
/// GetNamespace reads it by ARN (the API reference: "For namespaces shared with your Amazon
/// Web Services account, specify the namespace ARN"), and our account cannot delete it or
/// the owner's services in it (AccessDeniedException: the error is our choice).
#[tokio::test]
async fn namespace_shared_from_another_account() -> TestResult {
    use crate::support::emulator::{OTHER_ACCOUNT_ID, ShareNamespace};
    let m = mesh().await?;
    let shared =
        m.em.share_namespace(ShareNamespace::private_dns("shared.corp").service("erp"))
            .await;
    assert_eq!(shared.owner_account, OTHER_ACCOUNT_ID);
    assert!(
        shared.arn.starts_with(&format!(
            "arn:aws:servicediscovery:us-east-1:{OTHER_ACCOUNT_ID}:namespace/ns-"
        )),
        "{}",
        shared.arn
    );

    let mine = (NAMESPACE.to_owned(), ACCOUNT_ID.to_owned());
    let theirs = ("shared.corp".to_owned(), OTHER_ACCOUNT_ID.to_owned());
    let owners = |filter| namespace_owners(&m.cloudmap, filter);
    assert_eq!(owners(None).await?, [mine.clone(), theirs.clone()]);
    assert_eq!(owners(Some("SELF")).await?, [mine]);
    assert_eq!(owners(Some("OTHER_ACCOUNTS")).await?, [theirs]);
    let (code, _) = failure(owners(Some(ACCOUNT_ID)).await);
    assert_eq!(
        code, "InvalidInput",
        "the values are SELF and OTHER_ACCOUNTS"
    );

    let by_arn = m.cloudmap.get_namespace().id(&shared.arn).send().await?;
    let namespace = by_arn.namespace().ok_or("no namespace")?;
    assert_eq!(namespace.id(), Some(shared.id.as_str()));
    assert_eq!(namespace.resource_owner(), Some(OTHER_ACCOUNT_ID));
    assert_eq!(namespace.service_count(), Some(1));
    assert_eq!(
        namespace
            .properties()
            .and_then(|p| p.dns_properties())
            .and_then(|d| d.hosted_zone_id()),
        shared.hosted_zone_id.as_deref()
    );
    let by_id = m
        .cloudmap
        .get_namespace()
        .id(&shared.id)
        .send()
        .await
        .expect_err("a shared namespace is read by ARN");
    assert!(by_id.into_service_error().is_namespace_not_found());

    // The owner's service: listed by the namespace's ARN, owned and created by the owner.
    let listed = services_in(&m.cloudmap, &shared.arn).await?;
    assert_eq!(listed.len(), 1);
    let erp = &listed[0];
    assert_eq!(erp.name(), Some("erp"));
    assert_eq!(erp.arn(), Some(shared.services[0].1.as_str()));
    assert_eq!(erp.resource_owner(), Some(OTHER_ACCOUNT_ID));
    assert_eq!(erp.created_by_account(), Some(OTHER_ACCOUNT_ID));
    let other_accounts = ServiceFilter::builder()
        .name(ServiceFilterName::ResourceOwner)
        .values("OTHER_ACCOUNTS")
        .build()?;
    let shared_services = m
        .cloudmap
        .list_services()
        .filters(other_accounts)
        .send()
        .await?;
    assert_eq!(shared_services.services().len(), 1);

    let delete_namespace = m.cloudmap.delete_namespace().id(&shared.arn).send().await;
    assert_eq!(failure(delete_namespace).0, "AccessDeniedException");
    let delete_erp = m
        .cloudmap
        .delete_service()
        .id(&shared.services[0].1)
        .send()
        .await;
    assert_eq!(failure(delete_erp).0, "AccessDeniedException");
    assert!(
        m.cloudmap
            .get_namespace()
            .id(&shared.arn)
            .send()
            .await
            .is_ok(),
        "still there"
    );

    // The hook checks what it is given.
    assert_control_refuses(
        &m.em,
        "cloudmap/shared-namespaces",
        [
            json!({"type": "HTTP"}),
            json!({"name": "x", "ownerAccount": ACCOUNT_ID}),
            json!({"name": "x", "type": "LOCAL"}),
        ],
    )
    .await;
    Ok(())
}

/// ECS Service Connect uses a shared namespace given by ARN (ECS developer guide, "Amazon ECS
/// Service Connect with shared AWS Cloud Map namespaces": "You must use the namespace ARN");
/// the Cloud Map service it creates there is ours (CreatedByAccount) in the owner's namespace
/// (ResourceOwner), tagged like any ECS-made one. By name the namespace is not found.
#[tokio::test]
async fn service_connect_uses_a_shared_namespace_by_arn() -> TestResult {
    use crate::support::emulator::{OTHER_ACCOUNT_ID, ShareNamespace};
    let m = mesh().await?;
    let shared = m.em.share_namespace(ShareNamespace::http("corp")).await;
    let by_name = create_service(
        &m.ecs,
        CLUSTER,
        "by-name",
        Some(http_only("corp", "api", 80)),
    )
    .await;
    assert_eq!(failure(by_name).0, "NamespaceNotFoundException");

    let created = create_service(
        &m.ecs,
        CLUSTER,
        "backend",
        Some(http_only(&shared.arn, "api", 80)),
    )
    .await?;
    let arn = primary(&created).service_connect_resources()[0]
        .discovery_arn()
        .ok_or("no discoveryArn")?
        .to_owned();
    let service = m.cloudmap.get_service().id(&arn).send().await?;
    let service = service.service().ok_or("no service")?;
    assert_eq!(service.namespace_id(), Some(shared.id.as_str()));
    assert_eq!(service.resource_owner(), Some(OTHER_ACCOUNT_ID));
    assert_eq!(service.created_by_account(), Some(ACCOUNT_ID));
    assert_eq!(cloud_map_tags(&m.cloudmap, &arn).await?, ecs_managed());
    // What our account created there, it may delete.
    m.ecs
        .delete_service()
        .cluster(CLUSTER)
        .service("backend")
        .force(true)
        .send()
        .await?;
    m.cloudmap.delete_service().id(&arn).send().await?;
    assert!(services_in(&m.cloudmap, &shared.arn).await?.is_empty());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Deployments run by pretend tasks: rollouts over DescribeServices calls, the deployment log,
// Cloud Map instances of running tasks, failed deployments and circuit breaker rollbacks,
// CODE_DEPLOY and EXTERNAL services

/// The Cloud Map service of `discovery_name` in the mesh's namespace: (id, instance ids).
async fn instances_of(
    m: &Mesh,
    discovery_name: &str,
) -> Result<(String, Vec<String>), Box<dyn Error>> {
    let listed = services_in(&m.cloudmap, &m.namespace_id).await?;
    let id = listed
        .iter()
        .find(|s| s.name() == Some(discovery_name))
        .and_then(|s| s.id())
        .ok_or_else(|| format!("no Cloud Map service {discovery_name}"))?
        .to_owned();
    let instances = m.cloudmap.list_instances().service_id(&id).send().await?;
    let mut ids: Vec<String> = instances
        .instances()
        .iter()
        .filter_map(|i| i.id().map(str::to_owned))
        .collect();
    ids.sort();
    Ok((id, ids))
}

fn rollout(deployment: &Deployment) -> (&str, &str) {
    (
        deployment.status().unwrap_or_default(),
        deployment
            .rollout_state()
            .map(|s| s.as_str())
            .unwrap_or_default(),
    )
}

/// A deployment starts IN_PROGRESS (pending tasks, none running) and COMPLETES after
/// `drain_after_describes` DescribeServices calls (running = desired), with the reasons ECS's
/// deployment events use and createdAt <= updatedAt.
#[tokio::test]
async fn a_deployment_goes_in_progress_then_completed_with_counts_and_times() -> TestResult {
    let m = mesh().await?;
    m.em.set_drain_after_describes(2).await;
    let created = create_service(&m.ecs, CLUSTER, "backend", None).await?;
    let first = primary(&created);
    let id = first.id().ok_or("no id")?.to_owned();
    assert_eq!(rollout(first), ("PRIMARY", "IN_PROGRESS"));
    assert_eq!((first.running_count(), first.pending_count()), (0, 1));
    assert_eq!(
        first.rollout_state_reason(),
        Some(format!("ECS deployment {id} in progress.").as_str())
    );
    for _ in 0..2 {
        let described = describe(&m.ecs, CLUSTER, "backend").await?;
        assert_eq!(rollout(primary(&described)), ("PRIMARY", "IN_PROGRESS"));
    }
    let done = describe(&m.ecs, CLUSTER, "backend").await?;
    let deployment = primary(&done);
    assert_eq!(rollout(deployment), ("PRIMARY", "COMPLETED"));
    assert_eq!(
        (
            deployment.desired_count(),
            deployment.running_count(),
            deployment.pending_count(),
            deployment.failed_tasks()
        ),
        (1, 1, 0, 0)
    );
    assert_eq!((done.running_count(), done.pending_count()), (1, 0));
    assert_eq!(
        deployment.rollout_state_reason(),
        Some(format!("ECS deployment {id} completed.").as_str())
    );
    let created_at = deployment.created_at().ok_or("no createdAt")?;
    let updated_at = deployment.updated_at().ok_or("no updatedAt")?;
    assert!(created_at <= updated_at);
    Ok(())
}

/// The control API's deployment log: every deployment event of every service with a global
/// sequence number, so a test can check that one service's deployment completed before
/// another's was created. Filters by service and cluster; a reset empties it.
#[tokio::test]
async fn the_deployment_log_orders_every_services_deployments() -> TestResult {
    let m = mesh().await?;
    m.em.set_drain_after_describes(1).await;
    create_service(
        &m.ecs,
        CLUSTER,
        "server",
        Some(http_only(NAMESPACE, "api", 80)),
    )
    .await?;
    describe(&m.ecs, CLUSTER, "server").await?;
    describe(&m.ecs, CLUSTER, "server").await?; // completed
    create_service(&m.ecs, CLUSTER, "client", None).await?;
    m.ecs
        .update_service()
        .cluster(CLUSTER)
        .service("server")
        .force_new_deployment(true)
        .send()
        .await?;
    for _ in 0..2 {
        describe(&m.ecs, CLUSTER, "server").await?;
        describe(&m.ecs, CLUSTER, "client").await?;
    }

    let log = m.em.deployment_log().await;
    let seqs: Vec<u64> = log.0.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    assert!(log.0.windows(2).all(|w| w[0].time <= w[1].time));
    assert_eq!(
        log.kinds("server"),
        ["CREATED", "COMPLETED", "CREATED", "DRAINED", "COMPLETED"]
    );
    assert_eq!(log.kinds("client"), ["CREATED", "COMPLETED"]);
    let server_done = log.first("server", "COMPLETED").ok_or("server completed")?;
    let client_created = log.first("client", "CREATED").ok_or("client created")?;
    assert!(server_done.seq < client_created.seq);
    assert_eq!(client_created.trigger.as_deref(), Some("CreateService"));
    assert!(!client_created.service_connect);
    assert_eq!(server_done.discovery_names, ["api"]);
    assert_eq!(server_done.cluster, CLUSTER);
    let redeploy = log
        .first_after(server_done.seq, "server", "CREATED")
        .ok_or("the forced deployment")?;
    assert_eq!(redeploy.trigger.as_deref(), Some("UpdateService"));
    let drained = log.first("server", "DRAINED").ok_or("the first drained")?;
    assert_eq!(drained.deployment_id, server_done.deployment_id);
    assert_eq!(
        log.last("server", "COMPLETED").map(|e| &e.deployment_id),
        Some(&redeploy.deployment_id)
    );

    let only_client =
        m.em.control("GET", "ecs/deployment-log?service=client", None)
            .await;
    assert_eq!(only_client["events"].as_array().map(Vec::len), Some(2));
    let other_cluster =
        m.em.control("GET", "ecs/deployment-log?cluster=elsewhere", None)
            .await;
    assert_eq!(other_cluster["events"], json!([]));
    m.em.reset().await;
    assert!(m.em.deployment_log().await.0.is_empty());
    Ok(())
}

/// Each running task of a Service Connect server registers an instance in the Cloud Map service
/// of its deployment's serviceConnectResources when the deployment runs, and deregisters it when
/// the deployment drains. So DeleteService of that Cloud Map service is ResourceInUse while a
/// running deployment uses it, and succeeds after the drain. Scaling adds and removes instances;
/// a client (no services entries) registers none; deleting the ECS service stops its tasks.
#[tokio::test]
async fn running_server_tasks_register_cloud_map_instances_until_their_deployment_drains()
-> TestResult {
    let m = mesh().await?;
    m.em.set_register_instances(true).await;
    m.em.set_drain_after_describes(1).await;
    create_service(
        &m.ecs,
        CLUSTER,
        "backend",
        Some(http_only(NAMESPACE, "api", 80)),
    )
    .await?;
    let client = ServiceConnectConfiguration::builder()
        .enabled(true)
        .namespace(NAMESPACE)
        .build();
    create_service(&m.ecs, CLUSTER, "frontend", Some(client)).await?;
    let (api_id, pending) = instances_of(&m, "api").await?;
    assert!(pending.is_empty(), "no task runs before the rollout");
    for _ in 0..2 {
        describe(&m.ecs, CLUSTER, "backend").await?;
        describe(&m.ecs, CLUSTER, "frontend").await?;
    }
    let (_, running) = instances_of(&m, "api").await?;
    assert_eq!(running.len(), 1);
    let listed = m
        .cloudmap
        .list_instances()
        .service_id(&api_id)
        .send()
        .await?;
    let attributes = listed.instances()[0].attributes().ok_or("no attributes")?;
    assert_eq!(
        attributes.get("ECS_SERVICE_NAME").map(String::as_str),
        Some("backend")
    );
    assert_eq!(
        attributes.get("ECS_CLUSTER_NAME").map(String::as_str),
        Some(CLUSTER)
    );
    assert_eq!(
        attributes.get("AWS_INSTANCE_PORT").map(String::as_str),
        Some("8080"),
        "the container port of portName http"
    );
    assert!(attributes.contains_key("AWS_INSTANCE_IPV4"));
    assert_eq!(
        services_in(&m.cloudmap, &m.namespace_id).await?.len(),
        1,
        "the client makes no Cloud Map service and registers nothing"
    );

    // Scaling the completed deployment runs more tasks.
    m.ecs
        .update_service()
        .cluster(CLUSTER)
        .service("backend")
        .desired_count(3)
        .send()
        .await?;
    assert_eq!(instances_of(&m, "api").await?.1.len(), 3);

    // The running PRIMARY holds its Cloud Map service, however often one tries.
    for _ in 0..3 {
        let in_use = m.cloudmap.delete_service().id(&api_id).send().await;
        assert_eq!(failure(in_use).0, "ResourceInUse");
    }

    // A new discovery name: the old tasks keep their instances until the old deployment
    // drains. Time passes in DescribeServices calls and in DeleteService attempts on what the
    // draining deployment holds (2 here, then the third resolves the rollout).
    m.em.set_drain_after_describes(2).await;
    m.ecs
        .update_service()
        .cluster(CLUSTER)
        .service("backend")
        .service_connect_configuration(http_only(NAMESPACE, "api-v2", 80))
        .send()
        .await?;
    let in_use = m.cloudmap.delete_service().id(&api_id).send().await;
    assert_eq!(failure(in_use).0, "ResourceInUse");
    let rolling = describe(&m.ecs, CLUSTER, "backend").await?;
    assert_eq!(statuses(&rolling), ["PRIMARY", "ACTIVE"]);
    assert_eq!(instances_of(&m, "api").await?.1.len(), 3);
    assert!(instances_of(&m, "api-v2").await?.1.is_empty());
    m.cloudmap.delete_service().id(&api_id).send().await?;
    let drained = describe(&m.ecs, CLUSTER, "backend").await?;
    assert_eq!(statuses(&drained), ["PRIMARY"]);
    assert_eq!(instances_of(&m, "api-v2").await?.1.len(), 3);

    // Deleting the ECS service stops its tasks.
    let (v2_id, _) = instances_of(&m, "api-v2").await?;
    m.ecs
        .delete_service()
        .cluster(CLUSTER)
        .service("backend")
        .force(true)
        .send()
        .await?;
    assert!(instances_of(&m, "api-v2").await?.1.is_empty());
    m.cloudmap.delete_service().id(&v2_id).send().await?;
    let log = m.em.deployment_log().await;
    assert_eq!(
        log.last("backend", "DRAINED")
            .map(|e| e.raw["instancesDeregistered"].clone()),
        Some(json!(3))
    );
    Ok(())
}

/// Instance registration is off unless `register_instances` is 1 (a test through Terraform
/// deletes a Cloud Map service that running tasks would hold): deployments still run.
#[tokio::test]
async fn instance_registration_is_off_by_default() -> TestResult {
    let m = mesh().await?;
    create_service(
        &m.ecs,
        CLUSTER,
        "backend",
        Some(http_only(NAMESPACE, "api", 80)),
    )
    .await?;
    let described = describe(&m.ecs, CLUSTER, "backend").await?;
    assert_eq!(rollout(primary(&described)), ("PRIMARY", "COMPLETED"));
    let (api_id, instances) = instances_of(&m, "api").await?;
    assert!(instances.is_empty());
    m.cloudmap.delete_service().id(&api_id).send().await?;
    Ok(())
}

/// With the deployment circuit breaker and rollback on, a deployment whose tasks fail to start
/// goes FAILED ("ECS deployment circuit breaker: task failed to start.", failedTasks at the
/// threshold, minimum 3) and ECS starts a new PRIMARY deployment with the last COMPLETED
/// deployment's task definition and Service Connect configuration ("ECS deployment circuit
/// breaker: rolling back to deploymentId X."); when it completes, only it remains and the
/// old endpoints are served again. The log shows FAILED, ROLLED_BACK and the rollback's CREATED.
#[tokio::test]
async fn a_failed_deployment_is_rolled_back_to_the_last_completed_configuration() -> TestResult {
    let m = mesh().await?;
    m.em.set_register_instances(true).await;
    let v2 = register_task_definition(&m.ecs, "web", &["http", "admin"]).await?;
    let old_config = http_only(NAMESPACE, "api", 80);
    let created = create_service(&m.ecs, CLUSTER, "backend", Some(old_config.clone())).await?;
    let v1 = primary(&created)
        .task_definition()
        .ok_or("no TD")?
        .to_owned();
    let completed = describe(&m.ecs, CLUSTER, "backend").await?;
    let good = primary(&completed).id().ok_or("no id")?.to_owned();
    set_circuit_breaker(&m.ecs, CLUSTER, "backend", true).await;
    m.em.fail_next_deployment(CLUSTER, "backend").await;

    let new_config = http_only(NAMESPACE, "api-v2", 80);
    let updated = m
        .ecs
        .update_service()
        .cluster(CLUSTER)
        .service("backend")
        .task_definition(&v2)
        .service_connect_configuration(new_config.clone())
        .send()
        .await?;
    let updated = updated.service().ok_or("no service")?;
    let bad = primary(updated).id().ok_or("no id")?.to_owned();
    assert_eq!(rollout(primary(updated)), ("PRIMARY", "IN_PROGRESS"));

    let rolling_back = describe(&m.ecs, CLUSTER, "backend").await?;
    let deployments = rolling_back.deployments();
    assert_eq!(deployments.len(), 3, "{deployments:?}");
    let (rollback, failed, previous) = (&deployments[0], &deployments[1], &deployments[2]);
    assert_eq!(rollout(rollback), ("PRIMARY", "IN_PROGRESS"));
    assert_eq!(
        rollback.rollout_state_reason(),
        Some(
            format!("ECS deployment circuit breaker: rolling back to deploymentId {good}.")
                .as_str()
        )
    );
    assert_eq!(rollback.task_definition(), Some(v1.as_str()));
    assert_eq!(rollback.service_connect_configuration(), Some(&old_config));
    assert_eq!(failed.id(), Some(bad.as_str()));
    assert_eq!(rollout(failed), ("ACTIVE", "FAILED"));
    assert_eq!(
        failed.rollout_state_reason(),
        Some("ECS deployment circuit breaker: task failed to start.")
    );
    assert_eq!((failed.running_count(), failed.failed_tasks()), (0, 3));
    assert_eq!(failed.service_connect_configuration(), Some(&new_config));
    assert_eq!(previous.id(), Some(good.as_str()));
    assert_eq!(rollout(previous), ("ACTIVE", "COMPLETED"));
    assert_eq!(rolling_back.task_definition(), Some(v1.as_str()));

    let settled = describe(&m.ecs, CLUSTER, "backend").await?;
    assert_eq!(statuses(&settled), ["PRIMARY"]);
    let now = primary(&settled);
    assert_eq!(now.id(), rollback.id());
    assert_eq!(rollout(now), ("PRIMARY", "COMPLETED"));
    assert_eq!(now.service_connect_configuration(), Some(&old_config));
    assert_eq!(instances_of(&m, "api").await?.1.len(), 1);
    assert!(
        instances_of(&m, "api-v2").await?.1.is_empty(),
        "the failed tasks never ran"
    );

    let log = m.em.deployment_log().await;
    assert_eq!(
        log.kinds("backend"),
        [
            "CREATED",
            "COMPLETED",
            "CREATED",
            "FAILED",
            "ROLLED_BACK",
            "CREATED",
            "DRAINED",
            "DRAINED",
            "COMPLETED"
        ]
    );
    let failed_event = log.first("backend", "FAILED").ok_or("failed")?;
    assert_eq!(failed_event.deployment_id, bad);
    assert_eq!(
        failed_event.reason.as_deref(),
        Some("ECS deployment circuit breaker: task failed to start.")
    );
    let rolled_back = log.first("backend", "ROLLED_BACK").ok_or("rolled back")?;
    assert_eq!(rolled_back.raw["rolledBackTo"], json!(good));
    let restart = log.last("backend", "CREATED").ok_or("the rollback")?;
    assert_eq!(restart.trigger.as_deref(), Some("Rollback"));
    assert_eq!(restart.deployment_id, now.id().unwrap_or_default());

    // The failure was used up: the next deployment completes.
    m.ecs
        .update_service()
        .cluster(CLUSTER)
        .service("backend")
        .force_new_deployment(true)
        .send()
        .await?;
    let next = describe(&m.ecs, CLUSTER, "backend").await?;
    assert_eq!(rollout(primary(&next)), ("PRIMARY", "COMPLETED"));
    Ok(())
}

/// What follows a failed deployment is the service's circuit breaker: without rollback the
/// FAILED deployment stays PRIMARY beside the old one; without the breaker it never resolves
/// (IN_PROGRESS, failedTasks growing). A failure can name its reason, waits for the named
/// service (and cluster), and can be cancelled.
#[tokio::test]
async fn without_rollback_a_failed_deployment_stays_and_without_breaker_it_never_ends() -> TestResult
{
    let m = mesh().await?;
    for name in ["no-rollback", "no-breaker", "spared"] {
        create_service(&m.ecs, CLUSTER, name, None).await?;
        describe(&m.ecs, CLUSTER, name).await?;
    }
    set_circuit_breaker(&m.ecs, CLUSTER, "no-rollback", false).await;
    m.em.fail_next_deployment_because(CLUSTER, "no-rollback", "tasks failed health checks")
        .await;
    m.em.fail_next_deployment(CLUSTER, "no-breaker").await;
    m.em.fail_next_deployment("another-cluster", "spared").await;
    m.em.fail_next_deployment(CLUSTER, "cancelled").await;
    let armed = m.em.control("GET", "ecs/fail-next-deployment", None).await;
    assert_eq!(armed["armed"].as_array().map(Vec::len), Some(4));
    m.em.cancel_deployment_failures().await;
    m.em.fail_next_deployment_because(CLUSTER, "no-rollback", "tasks failed health checks")
        .await;
    m.em.fail_next_deployment(CLUSTER, "no-breaker").await;
    m.em.fail_next_deployment("another-cluster", "spared").await;

    for name in ["no-rollback", "no-breaker", "spared"] {
        m.ecs
            .update_service()
            .cluster(CLUSTER)
            .service(name)
            .force_new_deployment(true)
            .send()
            .await?;
    }
    for _ in 0..3 {
        let stalled = describe(&m.ecs, CLUSTER, "no-rollback").await?;
        assert_eq!(statuses(&stalled), ["PRIMARY", "ACTIVE"]);
        assert_eq!(rollout(primary(&stalled)), ("PRIMARY", "FAILED"));
        assert_eq!(
            primary(&stalled).rollout_state_reason(),
            Some("tasks failed health checks")
        );
    }
    let mut failed_tasks = Vec::new();
    for _ in 0..3 {
        let stuck = describe(&m.ecs, CLUSTER, "no-breaker").await?;
        assert_eq!(statuses(&stuck), ["PRIMARY", "ACTIVE"]);
        assert_eq!(rollout(primary(&stuck)), ("PRIMARY", "IN_PROGRESS"));
        failed_tasks.push(primary(&stuck).failed_tasks());
    }
    assert_eq!(failed_tasks, [1, 2, 3]);
    let spared = describe(&m.ecs, CLUSTER, "spared").await?;
    assert_eq!(rollout(primary(&spared)), ("PRIMARY", "COMPLETED"));

    let log = m.em.deployment_log().await;
    assert_eq!(
        log.kinds("no-rollback"),
        ["CREATED", "COMPLETED", "CREATED", "FAILED"]
    );
    assert_eq!(log.kinds("no-breaker"), ["CREATED", "COMPLETED", "CREATED"]);

    assert_control_refuses(
        &m.em,
        "ecs/fail-next-deployment",
        [
            json!({}),
            json!({"service": ""}),
            json!({"service": "x", "cluster": 3}),
        ],
    )
    .await;
    Ok(())
}

/// A CODE_DEPLOY service (blue/green by CodeDeploy) gets a PRIMARY task set at creation ("When
/// an Amazon ECS service using the blue/green deployment type is initially created, an Amazon
/// ECS task set is created") and has no deployments. UpdateService may change only what the
/// API reference lists for it: a task definition or network change is InvalidParameterException
/// with the message users report, and so is Service Connect (not supported for blue/green;
/// its message is ours). Desired count may change. CreateService refuses Service Connect too.
#[tokio::test]
async fn a_code_deploy_service_has_a_task_set_and_refuses_service_connect() -> TestResult {
    use aws_sdk_ecs::types::{DeploymentController, DeploymentControllerType};
    let m = mesh().await?;
    let controller = DeploymentController::builder()
        .r#type(DeploymentControllerType::CodeDeploy)
        .build()?;
    let created = m
        .ecs
        .create_service()
        .cluster(CLUSTER)
        .service_name("blue-green")
        .task_definition("web")
        .desired_count(2)
        .deployment_controller(controller.clone())
        .send()
        .await?;
    let created = created.service().ok_or("no service")?;
    assert!(created.deployments().is_empty());
    let described = describe(&m.ecs, CLUSTER, "blue-green").await?;
    assert!(described.deployments().is_empty());
    assert_eq!(
        described.deployment_controller().map(|c| c.r#type()),
        Some(&DeploymentControllerType::CodeDeploy)
    );
    let task_sets = described.task_sets();
    assert_eq!(task_sets.len(), 1);
    assert_eq!(task_sets[0].status(), Some("PRIMARY"));
    assert_eq!(task_sets[0].task_definition(), described.task_definition());
    assert_eq!(
        (
            task_sets[0].computed_desired_count(),
            task_sets[0].running_count()
        ),
        (2, 2)
    );

    let with_sc = m
        .ecs
        .update_service()
        .cluster(CLUSTER)
        .service("blue-green")
        .service_connect_configuration(http_only(NAMESPACE, "api", 80))
        .send()
        .await;
    let (code, message) = failure(with_sc);
    assert_eq!(code, "InvalidParameterException");
    assert!(message.contains("CODE_DEPLOY"), "{message}");
    let with_td = m
        .ecs
        .update_service()
        .cluster(CLUSTER)
        .service("blue-green")
        .task_definition("web")
        .send()
        .await;
    assert_eq!(
        failure(with_td),
        (
            "InvalidParameterException".to_owned(),
            "Unable to update task definition on services with a CODE_DEPLOY deployment \
             controller. Use AWS CodeDeploy to trigger a new deployment."
                .to_owned()
        )
    );
    let scaled = m
        .ecs
        .update_service()
        .cluster(CLUSTER)
        .service("blue-green")
        .desired_count(3)
        .send()
        .await?;
    assert_eq!(scaled.service().map(|s| s.desired_count()), Some(3));
    assert!(primary_less(
        &describe(&m.ecs, CLUSTER, "blue-green").await?
    ));

    let refused = m
        .ecs
        .create_service()
        .cluster(CLUSTER)
        .service_name("blue-green-sc")
        .task_definition("web")
        .desired_count(1)
        .deployment_controller(controller)
        .service_connect_configuration(http_only(NAMESPACE, "api", 80))
        .send()
        .await;
    assert_eq!(failure(refused).0, "InvalidParameterException");
    assert!(
        services_in(&m.cloudmap, &m.namespace_id).await?.is_empty(),
        "nothing was made in Cloud Map"
    );
    assert!(m.em.deployment_log().await.0.is_empty());
    Ok(())
}

fn primary_less(service: &Service) -> bool {
    !service
        .deployments()
        .iter()
        .any(|d| d.status() == Some("PRIMARY"))
}

/// An EXTERNAL service has no task set until its controller makes one (CreateTaskSet, which
/// needs no container instances here) and makes it PRIMARY; until then the task set fields of
/// the service are null (ECS developer guide, "External deployment"). It never has deployments
/// and refuses Service Connect. The world's helper makes one with its task set.
#[tokio::test]
async fn an_external_service_keeps_task_sets_and_refuses_service_connect() -> TestResult {
    use aws_sdk_ecs::types::{DeploymentController, DeploymentControllerType};
    let m = mesh().await?;
    let created = m
        .ecs
        .create_service()
        .cluster(CLUSTER)
        .service_name("external")
        .desired_count(2)
        .deployment_controller(
            DeploymentController::builder()
                .r#type(DeploymentControllerType::External)
                .build()?,
        )
        .send()
        .await?;
    let created = created.service().ok_or("no service")?;
    assert!(created.deployments().is_empty() && created.task_sets().is_empty());
    assert_eq!(created.task_definition(), None);

    let task_set = m
        .ecs
        .create_task_set()
        .cluster(CLUSTER)
        .service("external")
        .task_definition("web")
        .scale(
            aws_sdk_ecs::types::Scale::builder()
                .unit(aws_sdk_ecs::types::ScaleUnit::Percent)
                .value(50.0)
                .build(),
        )
        .send()
        .await?;
    let task_set_arn = task_set
        .task_set()
        .and_then(|t| t.task_set_arn())
        .ok_or("no task set ARN")?
        .to_owned();
    m.ecs
        .update_service_primary_task_set()
        .cluster(CLUSTER)
        .service("external")
        .primary_task_set(&task_set_arn)
        .send()
        .await?;
    let described = describe(&m.ecs, CLUSTER, "external").await?;
    assert!(primary_less(&described));
    let task_sets = described.task_sets();
    assert_eq!(task_sets.len(), 1);
    assert_eq!(task_sets[0].status(), Some("PRIMARY"));
    assert_eq!(task_sets[0].computed_desired_count(), 1, "50% of 2");
    assert!(
        described
            .task_definition()
            .is_some_and(|td| td.contains("web"))
    );

    let with_sc = m
        .ecs
        .update_service()
        .cluster(CLUSTER)
        .service("external")
        .service_connect_configuration(http_only(NAMESPACE, "api", 80))
        .send()
        .await;
    let (code, message) = failure(with_sc);
    assert_eq!(code, "InvalidParameterException");
    assert!(message.contains("EXTERNAL"), "{message}");

    // The world's helper, for tests through Terraform.
    let em = Emulator::shared().await;
    let ecs = em.ecs();
    ecs.create_cluster()
        .cluster_name(crate::support::world::CLUSTER)
        .send()
        .await?;
    for (name, controller) in [
        ("codedeploy", DeploymentControllerType::CodeDeploy),
        ("external", DeploymentControllerType::External),
    ] {
        crate::support::world::create_service_with_controller(&ecs, name, "http", 8080, controller)
            .await;
        let made = crate::support::world::describe(&em, name).await;
        assert!(made.deployments().is_empty(), "{name}");
        assert_eq!(made.task_sets().len(), 1, "{name}");
        assert_eq!(made.task_sets()[0].status(), Some("PRIMARY"), "{name}");
    }
    crate::support::world::create_service(&ecs, "rolling", "http", 8080).await;
    crate::support::world::enable_circuit_breaker(&em, "rolling").await;
    let rolling = crate::support::world::describe(&em, "rolling").await;
    let breaker = rolling
        .deployment_configuration()
        .and_then(|c| c.deployment_circuit_breaker())
        .ok_or("no circuit breaker")?;
    assert!(breaker.enable() && breaker.rollback());
    assert_eq!(statuses(&rolling), ["PRIMARY"], "no new deployment");
    Ok(())
}
