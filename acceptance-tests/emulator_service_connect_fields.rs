//! Conformance of the local AWS emulator with AWS for the Service Connect fields beside
//! `services[].portName` and the names: `logConfiguration`, `accessLogConfiguration`, and per
//! `services[]` entry `tls` and `timeout` (issue 16), checked with the provider's own SDK crates.
//!
//! What AWS requires of them is botocore's ECS model (`ecs/2014-11-13/service-2.json`:
//! LogConfiguration, Secret, ServiceConnectAccessLogConfiguration,
//! ServiceConnectTlsConfiguration, TimeoutConfiguration) and AWS's documentation; see
//! "The other Service Connect fields" in acceptance-tests/emulator/README.md. Requests the SDK
//! cannot build (a LogConfiguration without logDriver, a Secret without name or valueFrom, an
//! access log configuration without format) are not sent from here: the SDK's builders refuse
//! them first.

use std::error::Error;

use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::{
    ApplicationProtocol, LogConfiguration, LogDriver, Secret, Service,
    ServiceConnectAccessLogConfiguration, ServiceConnectAccessLoggingFormat,
    ServiceConnectClientAlias, ServiceConnectConfiguration, ServiceConnectIncludeQueryParameters,
    ServiceConnectService, ServiceConnectTlsCertificateAuthority, ServiceConnectTlsConfiguration,
    TimeoutConfiguration,
};

use crate::support::conformance::{describe, primary, register_task_definition};
use crate::support::emulator::{Emulator, PooledEmulator};

type TestResult = Result<(), Box<dyn Error>>;

const CLUSTER: &str = "mesh";
const NAMESPACE: &str = "mesh.local";
const SERVICE: &str = "api";
const PCA_ARN: &str = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/ca";

// ---------------------------------------------------------------------------------------------
// Helpers

/// An emulator with a cluster, a private DNS namespace, and an ECS service "api" (no Service
/// Connect yet) on task definition "api", whose ports are "api-8080-tcp" (no appProtocol: TCP),
/// "api-9090-tcp" (TCP), "api-7070-http" (http) and "api-6060-grpc" (grpc).
struct Mesh {
    em: PooledEmulator,
    ecs: aws_sdk_ecs::Client,
    cloudmap: aws_sdk_servicediscovery::Client,
    namespace_id: String,
}

async fn mesh() -> Result<Mesh, Box<dyn Error>> {
    let em = Emulator::shared().await;
    let ecs = em.ecs();
    let cloudmap = em.cloudmap();
    ecs.create_cluster().cluster_name(CLUSTER).send().await?;
    register_task_definition(&ecs, "api", &API_PORTS).await?;
    let vpc = em.network().await.vpc_id;
    cloudmap
        .create_private_dns_namespace()
        .name(NAMESPACE)
        .vpc(vpc)
        .send()
        .await?;
    em.finish_cloudmap_operations().await;
    let namespace_id = cloudmap
        .list_namespaces()
        .send()
        .await?
        .namespaces()
        .iter()
        .find(|ns| ns.name() == Some(NAMESPACE))
        .and_then(|ns| ns.id())
        .ok_or("namespace not listed")?
        .to_owned();
    ecs.create_service()
        .cluster(CLUSTER)
        .service_name(SERVICE)
        .task_definition("api")
        .desired_count(1)
        .send()
        .await?;
    Ok(Mesh {
        em,
        ecs,
        cloudmap,
        namespace_id,
    })
}

/// (port name, container port, appProtocol) of task definition "api".
const API_PORTS: [(&str, i32, Option<ApplicationProtocol>); 4] = [
    ("api-8080-tcp", 8080, None),
    ("api-9090-tcp", 9090, None),
    ("api-7070-http", 7070, Some(ApplicationProtocol::Http)),
    ("api-6060-grpc", 6060, Some(ApplicationProtocol::Grpc)),
];

/// A services[] entry for `port_name`, discovered as `discovery_name`, clients on `port`.
fn entry(port_name: &str, discovery_name: &str, port: i32) -> ServiceConnectService {
    entry_with(port_name, discovery_name, port, None, None)
}

fn entry_with(
    port_name: &str,
    discovery_name: &str,
    port: i32,
    timeout: Option<TimeoutConfiguration>,
    tls: Option<ServiceConnectTlsConfiguration>,
) -> ServiceConnectService {
    ServiceConnectService::builder()
        .port_name(port_name)
        .discovery_name(discovery_name)
        .client_aliases(
            ServiceConnectClientAlias::builder()
                .port(port)
                .build()
                .expect("port is set"),
        )
        .set_timeout(timeout)
        .set_tls(tls)
        .build()
        .expect("portName is set")
}

fn timeout(idle: Option<i32>, per_request: Option<i32>) -> TimeoutConfiguration {
    TimeoutConfiguration::builder()
        .set_idle_timeout_seconds(idle)
        .set_per_request_timeout_seconds(per_request)
        .build()
}

fn tls() -> ServiceConnectTlsConfiguration {
    ServiceConnectTlsConfiguration::builder()
        .issuer_certificate_authority(
            ServiceConnectTlsCertificateAuthority::builder()
                .aws_pca_authority_arn(PCA_ARN)
                .build(),
        )
        .kms_key("arn:aws:kms:us-east-1:123456789012:key/mesh")
        .role_arn("arn:aws:iam::123456789012:role/mesh-tls")
        .build()
}

fn awslogs() -> LogConfiguration {
    LogConfiguration::builder()
        .log_driver(LogDriver::Awslogs)
        .options("awslogs-group", "/mesh/envoy")
        .options("awslogs-region", "us-east-1")
        .options("awslogs-stream-prefix", "envoy")
        .build()
        .expect("logDriver is set")
}

fn access_log(
    format: ServiceConnectAccessLoggingFormat,
    query: Option<ServiceConnectIncludeQueryParameters>,
) -> ServiceConnectAccessLogConfiguration {
    ServiceConnectAccessLogConfiguration::builder()
        .format(format)
        .set_include_query_parameters(query)
        .build()
        .expect("format is set")
}

/// Service Connect in the namespace with these entries, nothing else.
fn config(services: Vec<ServiceConnectService>) -> ServiceConnectConfiguration {
    ServiceConnectConfiguration::builder()
        .enabled(true)
        .namespace(NAMESPACE)
        .set_services(Some(services))
        .build()
}

/// A configuration of every field (the log configuration with a secret option, JSON access logs
/// with query parameters, TLS and timeouts): the two TCP ports with TLS and an idle timeout, the
/// http port with both timeouts at their limits, the grpc port with the per-request timeout off.
fn everything() -> Result<ServiceConnectConfiguration, Box<dyn Error>> {
    let log = LogConfiguration::builder()
        .log_driver(LogDriver::Awslogs)
        .options("awslogs-group", "/mesh/envoy")
        .options("awslogs-region", "us-east-1")
        .secret_options(
            Secret::builder()
                .name("splunk-token")
                .value_from("arn:aws:ssm:us-east-1:123456789012:parameter/splunk-token")
                .build()?,
        )
        .build()?;
    Ok(ServiceConnectConfiguration::builder()
        .enabled(true)
        .namespace(NAMESPACE)
        .services(entry_with(
            "api-8080-tcp",
            "api",
            8080,
            Some(timeout(Some(3600), None)),
            Some(tls()),
        ))
        .services(entry_with(
            "api-9090-tcp",
            "api-grpc",
            9090,
            Some(timeout(Some(0), None)),
            Some(tls()),
        ))
        .services(entry_with(
            "api-7070-http",
            "api-http",
            7070,
            Some(timeout(Some(i32::MAX), Some(0))),
            None,
        ))
        .services(entry_with(
            "api-6060-grpc",
            "api-rpc",
            6060,
            Some(timeout(None, Some(30))),
            None,
        ))
        .log_configuration(log)
        .access_log_configuration(access_log(
            ServiceConnectAccessLoggingFormat::Json,
            Some(ServiceConnectIncludeQueryParameters::Enabled),
        ))
        .build())
}

async fn update(
    ecs: &aws_sdk_ecs::Client,
    config: ServiceConnectConfiguration,
) -> Result<
    Service,
    aws_sdk_ecs::error::SdkError<aws_sdk_ecs::operation::update_service::UpdateServiceError>,
> {
    let output = ecs
        .update_service()
        .cluster(CLUSTER)
        .service(SERVICE)
        .service_connect_configuration(config)
        .send()
        .await?;
    Ok(output
        .service()
        .cloned()
        .expect("UpdateService returns the service"))
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

/// Sends `config` and expects InvalidParameterException with a message containing `words`; the
/// service's deployments are then as before.
async fn assert_refused(m: &Mesh, what: &str, config: ServiceConnectConfiguration, words: &str) {
    let before = describe(&m.ecs, CLUSTER, SERVICE)
        .await
        .expect("describing")
        .deployments()
        .to_vec();
    let (code, message) = failure(update(&m.ecs, config).await);
    assert_eq!(code, "InvalidParameterException", "{what}: {message}");
    assert!(message.contains(words), "{what}: {message}");
    let after = describe(&m.ecs, CLUSTER, SERVICE)
        .await
        .expect("describing");
    assert_eq!(
        after.deployments(),
        before.as_slice(),
        "{what}: a refused update changes nothing"
    );
}

// ---------------------------------------------------------------------------------------------
// Round trips

#[tokio::test]
async fn every_service_connect_field_comes_back_as_sent() -> TestResult {
    let m = mesh().await?;
    let sent = everything()?;
    let updated = update(&m.ecs, sent.clone()).await?;
    assert_eq!(
        primary(&updated).service_connect_configuration(),
        Some(&sent)
    );
    let described = describe(&m.ecs, CLUSTER, SERVICE).await?;
    assert_eq!(
        primary(&described).service_connect_configuration(),
        Some(&sent),
        "logConfiguration, accessLogConfiguration, tls and timeout come back exactly"
    );

    // CreateService keeps them too, here the smallest valid forms: a log driver alone, TEXT
    // access logs without includeQueryParameters, TLS with an empty issuerCertificateAuthority
    // (awsPcaAuthorityArn is optional in the model), a timeout with neither member.
    let smallest = ServiceConnectConfiguration::builder()
        .enabled(true)
        .namespace(NAMESPACE)
        .services(entry_with(
            "api-7070-http",
            "small",
            7071,
            Some(timeout(None, None)),
            Some(
                ServiceConnectTlsConfiguration::builder()
                    .issuer_certificate_authority(
                        ServiceConnectTlsCertificateAuthority::builder().build(),
                    )
                    .build(),
            ),
        ))
        .log_configuration(
            LogConfiguration::builder()
                .log_driver(LogDriver::JsonFile)
                .build()?,
        )
        .access_log_configuration(access_log(ServiceConnectAccessLoggingFormat::Text, None))
        .build();
    m.ecs
        .create_service()
        .cluster(CLUSTER)
        .service_name("small")
        .task_definition("api")
        .desired_count(1)
        .service_connect_configuration(smallest.clone())
        .send()
        .await?;
    let small = describe(&m.ecs, CLUSTER, "small").await?;
    assert_eq!(
        primary(&small).service_connect_configuration(),
        Some(&smallest)
    );
    Ok(())
}

#[tokio::test]
async fn every_log_driver_of_the_model_is_accepted() -> TestResult {
    let m = mesh().await?;
    for driver in LogDriver::values() {
        let sent = ServiceConnectConfiguration::builder()
            .enabled(true)
            .namespace(NAMESPACE)
            .services(entry("api-8080-tcp", "api", 8080))
            .log_configuration(
                LogConfiguration::builder()
                    .log_driver(LogDriver::from(*driver))
                    .build()?,
            )
            .build();
        let updated = update(&m.ecs, sent.clone()).await?;
        assert_eq!(
            primary(&updated).service_connect_configuration(),
            Some(&sent),
            "{driver}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn two_endpoints_of_one_service_get_two_cloud_map_services() -> TestResult {
    let m = mesh().await?;
    let sent = config(vec![
        entry("api-8080-tcp", "api", 8080),
        entry("api-9090-tcp", "api-grpc", 9090),
    ]);
    update(&m.ecs, sent.clone()).await?;
    let described = describe(&m.ecs, CLUSTER, SERVICE).await?;
    let deployment = primary(&described);
    assert_eq!(deployment.service_connect_configuration(), Some(&sent));
    let resources: Vec<(&str, &str)> = deployment
        .service_connect_resources()
        .iter()
        .map(|r| {
            (
                r.discovery_name().unwrap_or_default(),
                r.discovery_arn().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        resources.iter().map(|(name, _)| *name).collect::<Vec<_>>(),
        ["api", "api-grpc"],
        "serviceConnectResources lists both endpoints"
    );
    assert_ne!(resources[0].1, resources[1].1, "two Cloud Map services");

    // Each discoveryArn is a Cloud Map service of that name in the namespace.
    for (name, arn) in &resources {
        let id = arn.rsplit('/').next().ok_or("bad ARN")?;
        let got = m.cloudmap.get_service().id(id).send().await?;
        let service = got.service().ok_or("no service")?;
        assert_eq!(service.name(), Some(*name));
        assert_eq!(service.arn(), Some(*arn));
        assert_eq!(service.namespace_id(), Some(m.namespace_id.as_str()));
    }
    let counters = m.em.counters().await;
    assert_eq!(
        counters.calls("servicediscovery:CreateService"),
        0,
        "ECS made them, not the caller"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// logConfiguration and accessLogConfiguration

#[tokio::test]
async fn log_drivers_outside_the_model_enum_are_kept() -> TestResult {
    // The model's LogDriver enum is not enforced: users report ECS accepting other Docker log
    // drivers in the same LogConfiguration shape ("none": aws/aws-cdk#35795; "sumologic":
    // aws-cloudformation/cfn-lint#3933). Only a missing logDriver (which the SDK cannot send)
    // is refused.
    let m = mesh().await?;
    for driver in ["none", "sumologic"] {
        let sent = ServiceConnectConfiguration::builder()
            .enabled(true)
            .namespace(NAMESPACE)
            .services(entry("api-8080-tcp", "api", 8080))
            .log_configuration(
                LogConfiguration::builder()
                    .log_driver(LogDriver::from(driver))
                    .build()?,
            )
            .build();
        let updated = update(&m.ecs, sent.clone()).await?;
        assert_eq!(
            primary(&updated).service_connect_configuration(),
            Some(&sent),
            "{driver}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn access_log_values_outside_the_model_are_refused() -> TestResult {
    let m = mesh().await?;
    let with_access_log = |access: ServiceConnectAccessLogConfiguration| {
        ServiceConnectConfiguration::builder()
            .enabled(true)
            .namespace(NAMESPACE)
            .services(entry("api-8080-tcp", "api", 8080))
            .log_configuration(awslogs())
            .access_log_configuration(access)
            .build()
    };
    assert_refused(
        &m,
        "format XML",
        with_access_log(access_log(
            ServiceConnectAccessLoggingFormat::from("XML"),
            None,
        )),
        "Member must satisfy enum value set: [TEXT, JSON]",
    )
    .await;
    assert_refused(
        &m,
        "includeQueryParameters YES",
        with_access_log(access_log(
            ServiceConnectAccessLoggingFormat::Text,
            Some(ServiceConnectIncludeQueryParameters::from("YES")),
        )),
        "Member must satisfy enum value set: [DISABLED, ENABLED]",
    )
    .await;
    for (format, query) in [
        (ServiceConnectAccessLoggingFormat::Text, None),
        (
            ServiceConnectAccessLoggingFormat::Json,
            Some(ServiceConnectIncludeQueryParameters::Disabled),
        ),
    ] {
        update(&m.ecs, with_access_log(access_log(format, query))).await?;
    }
    Ok(())
}

#[tokio::test]
async fn access_logs_without_a_log_configuration_are_kept() -> TestResult {
    // ServiceConnectAccessLogConfiguration (botocore): "To enable access logs, you must also
    // specify a logConfiguration in the serviceConnectConfiguration." That ECS refuses the
    // request without one is neither documented nor reported, so the emulator takes it.
    let m = mesh().await?;
    let sent = ServiceConnectConfiguration::builder()
        .enabled(true)
        .namespace(NAMESPACE)
        .services(entry("api-8080-tcp", "api", 8080))
        .access_log_configuration(access_log(ServiceConnectAccessLoggingFormat::Json, None))
        .build();
    let updated = update(&m.ecs, sent.clone()).await?;
    assert_eq!(
        primary(&updated).service_connect_configuration(),
        Some(&sent)
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// tls and timeout

#[tokio::test]
async fn tls_needs_an_issuer_certificate_authority() -> TestResult {
    let m = mesh().await?;
    let without_issuer = ServiceConnectTlsConfiguration::builder()
        .kms_key("arn:aws:kms:us-east-1:123456789012:key/mesh")
        .role_arn("arn:aws:iam::123456789012:role/mesh-tls")
        .build();
    let sent = config(vec![entry_with(
        "api-8080-tcp",
        "api",
        8080,
        None,
        Some(without_issuer),
    )]);
    assert_refused(
        &m,
        "tls without issuerCertificateAuthority",
        sent,
        "issuerCertificateAuthority' failed to satisfy constraint: Member must not be null",
    )
    .await;
    Ok(())
}

#[tokio::test]
async fn timeouts_are_from_0_to_i32_max() -> TestResult {
    let m = mesh().await?;
    for (what, idle, per_request) in [
        ("idleTimeoutSeconds -1", Some(-1), None),
        ("perRequestTimeoutSeconds -1", None, Some(-1)),
        ("idleTimeoutSeconds i32::MIN", Some(i32::MIN), Some(10)),
    ] {
        let sent = config(vec![entry_with(
            "api-7070-http",
            "api-http",
            7070,
            Some(timeout(idle, per_request)),
            None,
        )]);
        assert_refused(
            &m,
            what,
            sent,
            "Member must have value greater than or equal to 0",
        )
        .await;
    }
    // 0 (off) and the model's maximum, 2147483647 = i32::MAX, on a port with an appProtocol.
    for (idle, per_request) in [(0, 0), (i32::MAX, i32::MAX), (300, 15)] {
        let sent = config(vec![entry_with(
            "api-7070-http",
            "api-http",
            7070,
            Some(timeout(Some(idle), Some(per_request))),
            None,
        )]);
        let updated = update(&m.ecs, sent.clone()).await?;
        assert_eq!(
            primary(&updated).service_connect_configuration(),
            Some(&sent)
        );
    }
    Ok(())
}

#[tokio::test]
async fn per_request_timeout_is_refused_on_a_tcp_port() -> TestResult {
    // TimeoutConfiguration (botocore): "perRequestTimeout can only be set if Service Connect
    // appProtocol isn't TCP. Only idleTimeout is allowed for TCP appProtocol." A port mapping
    // without appProtocol is TCP. The message is the one users report AWS answering, for 0
    // (pulumi/pulumi-aws#4265): 0 counts as set.
    let m = mesh().await?;
    for per_request in [0, 30] {
        let sent = config(vec![entry_with(
            "api-8080-tcp",
            "api",
            8080,
            Some(timeout(Some(60), Some(per_request))),
            None,
        )]);
        let (code, message) = failure(update(&m.ecs, sent).await);
        assert_eq!(
            (code.as_str(), message),
            (
                "InvalidParameterException",
                format!("Per request timeout {per_request} can't be set for tcp application.")
            )
        );
    }
    // The idle timeout alone is fine on TCP; both are fine on http, http2 and grpc ports.
    update(
        &m.ecs,
        config(vec![entry_with(
            "api-8080-tcp",
            "api",
            8080,
            Some(timeout(Some(60), None)),
            None,
        )]),
    )
    .await?;
    update(
        &m.ecs,
        config(vec![
            entry_with(
                "api-7070-http",
                "api-http",
                7070,
                Some(timeout(Some(60), Some(30))),
                None,
            ),
            entry_with(
                "api-6060-grpc",
                "api-rpc",
                6060,
                Some(timeout(Some(60), Some(30))),
                None,
            ),
        ]),
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn a_kept_per_request_timeout_is_checked_against_a_new_task_definition() -> TestResult {
    // The configuration stays when only the task definition changes (UpdateService replaces it
    // only when sent), so the new task definition's port must still allow it. AWS also documents
    // appProtocol as immutable in a Service Connect service (botocore PortMapping), which the
    // emulator does not model: on AWS this update may be refused for that reason instead, so
    // only the error name is checked here.
    let m = mesh().await?;
    update(
        &m.ecs,
        config(vec![entry_with(
            "api-7070-http",
            "api-http",
            7070,
            Some(timeout(None, Some(30))),
            None,
        )]),
    )
    .await?;
    register_task_definition(&m.ecs, "api-tcp", &[("api-7070-http", 7070, None)]).await?;
    let (code, message) = failure(
        m.ecs
            .update_service()
            .cluster(CLUSTER)
            .service(SERVICE)
            .task_definition("api-tcp")
            .send()
            .await,
    );
    assert_eq!(code, "InvalidParameterException", "{message}");
    Ok(())
}

#[tokio::test]
async fn the_model_is_checked_even_when_service_connect_is_turned_off() -> TestResult {
    // AWS validates a request against its model before acting on it, so `enabled: false` with
    // an invalid member is still refused.
    let m = mesh().await?;
    let sent = ServiceConnectConfiguration::builder()
        .enabled(false)
        .log_configuration(awslogs())
        .access_log_configuration(access_log(
            ServiceConnectAccessLoggingFormat::from("XML"),
            None,
        ))
        .build();
    assert_refused(
        &m,
        "enabled false",
        sent,
        "Member must satisfy enum value set",
    )
    .await;
    Ok(())
}
