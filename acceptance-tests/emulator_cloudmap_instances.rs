//! Conformance of the emulator with AWS for Cloud Map services with DNS records and their
//! instances (the standalone servers of issue 19), checked with the provider's own SDK crates.
//!
//! One test per behaviour `servicemesh_emulator/cloudmap_instances.py` adds to moto (see
//! acceptance-tests/emulator/README.md, "Cloud Map services with DNS records and instances").
//! Tests borrow emulators from a pool that resets them between tests.

use std::error::Error;

use aws_sdk_servicediscovery::error::ProvideErrorMetadata;
use aws_sdk_servicediscovery::operation::create_service::CreateServiceError;
use aws_sdk_servicediscovery::operation::register_instance::RegisterInstanceError;
use aws_sdk_servicediscovery::types::{
    DnsConfig, DnsConfigChange, DnsRecord, HealthStatusFilter, OperationStatus,
    OperationTargetType, RecordType, RoutingPolicy, ServiceChange, ServiceType,
};
use serde_json::json;

use crate::support::emulator::{Emulator, PooledEmulator};

type TestResult = Result<(), Box<dyn Error>>;

const NAMESPACE: &str = "internal.myapp";

// ---------------------------------------------------------------------------------------------
// Helpers

/// An emulator with a private DNS namespace created the AWS way (operation polled to SUCCESS).
struct Zone {
    em: PooledEmulator,
    cloudmap: aws_sdk_servicediscovery::Client,
    route53: aws_sdk_route53::Client,
    namespace_id: String,
    hosted_zone_id: String,
}

async fn zone() -> Result<Zone, Box<dyn Error>> {
    let em = Emulator::shared().await;
    let cloudmap = em.cloudmap();
    let route53 = em.route53();
    let vpc = em.network().await.vpc_id;
    let created = cloudmap
        .create_private_dns_namespace()
        .name(NAMESPACE)
        .vpc(vpc)
        .send()
        .await?;
    let operation_id = created.operation_id().ok_or("no operation id")?;
    let (statuses, targets) = poll(&cloudmap, operation_id).await?;
    assert_eq!(statuses.last(), Some(&OperationStatus::Success));
    let namespace_id = targets
        .get(&OperationTargetType::Namespace)
        .ok_or("no namespace target")?
        .clone();
    let namespace = cloudmap.get_namespace().id(&namespace_id).send().await?;
    let hosted_zone_id = namespace
        .namespace()
        .and_then(|ns| ns.properties())
        .and_then(|p| p.dns_properties())
        .and_then(|d| d.hosted_zone_id())
        .ok_or("no hosted zone")?
        .to_owned();
    Ok(Zone {
        em,
        cloudmap,
        route53,
        namespace_id,
        hosted_zone_id,
    })
}

type Targets = std::collections::HashMap<OperationTargetType, String>;

/// Polls GetOperation until the operation finishes; returns every status seen and the targets.
async fn poll(
    cloudmap: &aws_sdk_servicediscovery::Client,
    operation_id: &str,
) -> Result<(Vec<OperationStatus>, Targets), Box<dyn Error>> {
    let mut seen = Vec::new();
    for _ in 0..20 {
        let output = cloudmap
            .get_operation()
            .operation_id(operation_id)
            .send()
            .await?;
        let operation = output.operation().ok_or("no operation")?;
        let status = operation.status().ok_or("no status")?.clone();
        seen.push(status.clone());
        if matches!(status, OperationStatus::Success | OperationStatus::Fail) {
            return Ok((seen, operation.targets().cloned().unwrap_or_default()));
        }
    }
    Err(format!("operation {operation_id} did not finish in 20 polls").into())
}

fn a_records(ttl: i64) -> Result<DnsConfig, Box<dyn Error>> {
    Ok(DnsConfig::builder()
        .routing_policy(RoutingPolicy::Multivalue)
        .dns_records(
            DnsRecord::builder()
                .r#type(RecordType::A)
                .ttl(ttl)
                .build()?,
        )
        .build()?)
}

/// A Cloud Map service with MULTIVALUE A records (what the provider makes for a standalone
/// server); returns its id.
async fn dns_service(z: &Zone, name: &str, ttl: i64) -> Result<String, Box<dyn Error>> {
    let made = z
        .cloudmap
        .create_service()
        .name(name)
        .namespace_id(&z.namespace_id)
        .dns_config(a_records(ttl)?)
        .send()
        .await?;
    Ok(made
        .service()
        .and_then(|s| s.id())
        .ok_or("no id")?
        .to_owned())
}

async fn register(
    z: &Zone,
    service_id: &str,
    address: &str,
    port: Option<&str>,
) -> Result<String, Box<dyn Error>> {
    let mut call = z
        .cloudmap
        .register_instance()
        .service_id(service_id)
        .instance_id(address)
        .attributes("AWS_INSTANCE_IPV4", address);
    if let Some(port) = port {
        call = call.attributes("AWS_INSTANCE_PORT", port);
    }
    Ok(call
        .send()
        .await?
        .operation_id()
        .ok_or("no operation id")?
        .to_owned())
}

async fn deregister(z: &Zone, service_id: &str, id: &str) -> Result<String, Box<dyn Error>> {
    Ok(z.cloudmap
        .deregister_instance()
        .service_id(service_id)
        .instance_id(id)
        .send()
        .await?
        .operation_id()
        .ok_or("no operation id")?
        .to_owned())
}

/// (instance id, attributes) of the service's instances, sorted.
async fn instances(
    z: &Zone,
    service_id: &str,
) -> Result<Vec<(String, Vec<(String, String)>)>, Box<dyn Error>> {
    let listed = z
        .cloudmap
        .list_instances()
        .service_id(service_id)
        .send()
        .await?;
    let mut out: Vec<_> = listed
        .instances()
        .iter()
        .map(|i| {
            let mut attributes: Vec<_> = i
                .attributes()
                .map(|a| a.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            attributes.sort();
            (i.id().unwrap_or_default().to_owned(), attributes)
        })
        .collect();
    out.sort();
    Ok(out)
}

/// A record of the hosted zone: (name, type, set identifier, multivalue, TTL, values).
type Record = (String, String, String, bool, i64, Vec<String>);

/// The zone's records other than the SOA and NS Route 53 makes with it, sorted.
async fn records(z: &Zone) -> Result<Vec<Record>, Box<dyn Error>> {
    let listed = z
        .route53
        .list_resource_record_sets()
        .hosted_zone_id(&z.hosted_zone_id)
        .send()
        .await?;
    let mut out: Vec<Record> = listed
        .resource_record_sets()
        .iter()
        .filter(|r| !matches!(r.r#type().as_str(), "SOA" | "NS"))
        .map(|r| {
            (
                r.name().to_owned(),
                r.r#type().as_str().to_owned(),
                r.set_identifier().unwrap_or_default().to_owned(),
                r.multi_value_answer().unwrap_or(false),
                r.ttl().unwrap_or(-1),
                r.resource_records()
                    .iter()
                    .map(|v| v.value().to_owned())
                    .collect(),
            )
        })
        .collect();
    out.sort();
    Ok(out)
}

fn a_record(service: &str, address: &str, ttl: i64) -> Record {
    (
        format!("{service}.{NAMESPACE}."),
        "A".to_owned(),
        address.to_owned(),
        true,
        ttl,
        vec![address.to_owned()],
    )
}

fn code<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, aws_sdk_servicediscovery::error::SdkError<E>>,
) -> String {
    let error = result.expect_err("the call should fail");
    error.code().unwrap_or_default().to_owned()
}

// ---------------------------------------------------------------------------------------------
// CreateService with a DNS configuration

#[tokio::test]
async fn dns_service_is_dns_http_and_shows_its_dns_config() -> TestResult {
    let z = zone().await?;
    let id = dns_service(&z, "erp", 60).await?;
    let got = z.cloudmap.get_service().id(&id).send().await?;
    let service = got.service().ok_or("no service")?;
    // Service.Type: DNS_HTTP, "discovered using either DNS queries or DiscoverInstances".
    assert_eq!(service.r#type(), Some(&ServiceType::DnsHttp));
    assert_eq!(service.namespace_id(), Some(z.namespace_id.as_str()));
    assert_eq!(service.instance_count(), Some(0));
    let dns = service.dns_config().ok_or("no DnsConfig")?;
    assert_eq!(dns.routing_policy(), Some(&RoutingPolicy::Multivalue));
    let records: Vec<_> = dns
        .dns_records()
        .iter()
        .map(|r| (r.r#type().clone(), r.ttl()))
        .collect();
    assert_eq!(records, [(RecordType::A, 60)]);

    // The deprecated form: the namespace only in DnsConfig.NamespaceId.
    #[allow(deprecated)]
    let old_form = DnsConfig::builder()
        .namespace_id(&z.namespace_id)
        .dns_records(DnsRecord::builder().r#type(RecordType::A).ttl(10).build()?)
        .build()?;
    let made = z
        .cloudmap
        .create_service()
        .name("legacy")
        .dns_config(old_form)
        .send()
        .await?;
    let made = made.service().ok_or("no service")?;
    assert_eq!(made.namespace_id(), Some(z.namespace_id.as_str()));
    assert_eq!(made.r#type(), Some(&ServiceType::DnsHttp));
    assert_eq!(
        made.dns_config().and_then(|d| d.routing_policy()),
        Some(&RoutingPolicy::Multivalue),
        "MULTIVALUE when none is given"
    );
    Ok(())
}

#[tokio::test]
async fn create_service_checks_the_dns_config_as_the_model_does() -> TestResult {
    let z = zone().await?;
    let record = |t: RecordType, ttl: i64| DnsRecord::builder().r#type(t).ttl(ttl).build();
    let attempt = |name: &str, dns: DnsConfig| {
        z.cloudmap
            .create_service()
            .name(name)
            .namespace_id(&z.namespace_id)
            .dns_config(dns)
            .send()
    };
    // TTL: RecordTTL is 0..2147483647.
    for ttl in [-1, 2_147_483_648] {
        let dns = DnsConfig::builder()
            .dns_records(record(RecordType::A, ttl)?)
            .build()?;
        assert_eq!(code(attempt("erp", dns).await), "InvalidInput", "TTL {ttl}");
    }
    for ttl in [0, 2_147_483_647] {
        let dns = DnsConfig::builder()
            .dns_records(record(RecordType::A, ttl)?)
            .build()?;
        attempt(&format!("ttl-{ttl}"), dns).await?;
    }
    // RoutingPolicy: MULTIVALUE or WEIGHTED.
    let dns = DnsConfig::builder()
        .routing_policy(RoutingPolicy::from("FAILOVER"))
        .dns_records(record(RecordType::A, 60)?)
        .build()?;
    assert_eq!(code(attempt("erp", dns).await), "InvalidInput");
    // CNAME: "You must specify WEIGHTED for the value of RoutingPolicy".
    let dns = DnsConfig::builder()
        .routing_policy(RoutingPolicy::Multivalue)
        .dns_records(record(RecordType::Cname, 60)?)
        .build()?;
    assert_eq!(code(attempt("alias", dns).await), "InvalidInput");
    let dns = DnsConfig::builder()
        .routing_policy(RoutingPolicy::Weighted)
        .dns_records(record(RecordType::Cname, 60)?)
        .build()?;
    attempt("alias", dns).await?;
    // Combinations: A, AAAA, A and AAAA, SRV, CNAME.
    let dns = DnsConfig::builder()
        .dns_records(record(RecordType::A, 60)?)
        .dns_records(record(RecordType::Srv, 60)?)
        .build()?;
    assert_eq!(code(attempt("mixed", dns).await), "InvalidInput");
    let dns = DnsConfig::builder()
        .dns_records(record(RecordType::A, 60)?)
        .dns_records(record(RecordType::Aaaa, 60)?)
        .build()?;
    attempt("dual", dns).await?;
    // ServiceName: DNS labels.
    assert_eq!(code(attempt("-erp", a_records(60)?).await), "InvalidInput");
    // An HTTP namespace has no DNS.
    z.em.control(
        "POST",
        "settings",
        Some(json!({"operation_polls_per_stage": 0})),
    )
    .await;
    let http = z
        .cloudmap
        .create_http_namespace()
        .name("api")
        .send()
        .await?;
    let (_, targets) = poll(&z.cloudmap, http.operation_id().ok_or("no id")?).await?;
    let http_id = targets
        .get(&OperationTargetType::Namespace)
        .ok_or("no id")?;
    let refused = z
        .cloudmap
        .create_service()
        .name("erp")
        .namespace_id(http_id)
        .dns_config(a_records(60)?)
        .send()
        .await;
    assert_eq!(code(refused), "InvalidInput");
    Ok(())
}

#[tokio::test]
async fn a_name_taken_in_the_namespace_is_service_already_exists_with_its_id() -> TestResult {
    let z = zone().await?;
    let id = dns_service(&z, "erp", 60).await?;
    // DNS names are case-insensitive: ERP is erp in the zone.
    for name in ["erp", "ERP"] {
        let again = z
            .cloudmap
            .create_service()
            .name(name)
            .namespace_id(&z.namespace_id)
            .dns_config(a_records(30)?)
            .send()
            .await
            .expect_err("the name is taken");
        match again.into_service_error() {
            CreateServiceError::ServiceAlreadyExists(e) => {
                assert_eq!(e.service_id(), Some(id.as_str()), "{name}");
                assert!(e.service_arn().is_some_and(|arn| arn.ends_with(&id)));
                assert!(e.creator_request_id().is_some());
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    // A CreatorRequestId already used: the service it made.
    let made = z
        .cloudmap
        .create_service()
        .name("saleor")
        .namespace_id(&z.namespace_id)
        .creator_request_id("saleor-once")
        .dns_config(a_records(30)?)
        .send()
        .await?;
    let saleor = made.service().and_then(|s| s.id()).ok_or("no id")?;
    let retried = z
        .cloudmap
        .create_service()
        .name("saleor-2")
        .namespace_id(&z.namespace_id)
        .creator_request_id("saleor-once")
        .dns_config(a_records(30)?)
        .send()
        .await
        .expect_err("the request id was used");
    match retried.into_service_error() {
        CreateServiceError::ServiceAlreadyExists(e) => {
            assert_eq!(e.service_id(), Some(saleor));
            assert_eq!(e.creator_request_id(), Some("saleor-once"));
        }
        other => panic!("{other:?}"),
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// RegisterInstance, DeregisterInstance

#[tokio::test]
async fn registration_is_an_operation_that_takes_effect_on_success() -> TestResult {
    let z = zone().await?;
    let erp = dns_service(&z, "erp", 60).await?;
    let operation = register(&z, &erp, "10.0.3.12", Some("8069")).await?;
    assert!(
        instances(&z, &erp).await?.is_empty(),
        "not registered before SUCCESS"
    );
    assert!(records(&z).await?.is_empty());
    let (statuses, targets) = poll(&z.cloudmap, &operation).await?;
    assert_eq!(
        statuses,
        [
            OperationStatus::Submitted,
            OperationStatus::Submitted,
            OperationStatus::Pending,
            OperationStatus::Pending,
            OperationStatus::Success
        ]
    );
    assert_eq!(
        targets
            .get(&OperationTargetType::Instance)
            .map(String::as_str),
        Some("10.0.3.12")
    );
    assert_eq!(
        targets.get(&OperationTargetType::Service),
        Some(&erp),
        "so ListOperations' SERVICE_ID filter finds it"
    );
    let expected_attributes = vec![
        ("AWS_INSTANCE_IPV4".to_owned(), "10.0.3.12".to_owned()),
        ("AWS_INSTANCE_PORT".to_owned(), "8069".to_owned()),
    ];
    assert_eq!(
        instances(&z, &erp).await?,
        [("10.0.3.12".to_owned(), expected_attributes)]
    );

    // Deregistration likewise.
    let operation = deregister(&z, &erp, "10.0.3.12").await?;
    assert_eq!(instances(&z, &erp).await?.len(), 1, "still there");
    let (statuses, _) = poll(&z.cloudmap, &operation).await?;
    assert_eq!(statuses.last(), Some(&OperationStatus::Success));
    assert!(instances(&z, &erp).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn with_the_switch_off_changes_take_effect_at_once_while_the_operation_walks() -> TestResult {
    let z = zone().await?;
    let timing = z.em.control("GET", "cloudmap/instance-changes", None).await;
    assert_eq!(
        timing,
        json!({"waitForOperation": true}),
        "as on AWS by default"
    );
    let answer =
        z.em.control(
            "POST",
            "cloudmap/instance-changes",
            Some(json!({"waitForOperation": false})),
        )
        .await;
    assert_eq!(
        answer,
        json!({"waitForOperation": false}),
        "the switch answers"
    );
    let erp = dns_service(&z, "erp", 60).await?;
    let operation = register(&z, &erp, "10.0.3.12", None).await?;
    assert_eq!(instances(&z, &erp).await?.len(), 1);
    assert_eq!(records(&z).await?, [a_record("erp", "10.0.3.12", 60)]);
    let (statuses, _) = poll(&z.cloudmap, &operation).await?;
    assert_eq!(statuses.first(), Some(&OperationStatus::Submitted));
    assert_eq!(statuses.last(), Some(&OperationStatus::Success));
    let refused =
        z.em.control_raw(
            "POST",
            "cloudmap/instance-changes",
            Some(json!({"waitForOperation": 1})),
        )
        .await;
    assert_eq!(refused.status, 400);
    Ok(())
}

#[tokio::test]
async fn registering_an_existing_instance_id_updates_it() -> TestResult {
    let z = zone().await?;
    let erp = dns_service(&z, "erp", 60).await?;
    let first = register(&z, &erp, "10.0.3.12", Some("8069")).await?;
    poll(&z.cloudmap, &first).await?;
    let second = register(&z, &erp, "10.0.3.12", Some("8070")).await?;
    poll(&z.cloudmap, &second).await?;
    let expected = vec![
        ("AWS_INSTANCE_IPV4".to_owned(), "10.0.3.12".to_owned()),
        ("AWS_INSTANCE_PORT".to_owned(), "8070".to_owned()),
    ];
    assert_eq!(
        instances(&z, &erp).await?,
        [("10.0.3.12".to_owned(), expected)]
    );
    let service = z.cloudmap.get_service().id(&erp).send().await?;
    assert_eq!(service.service().and_then(|s| s.instance_count()), Some(1));
    assert_eq!(records(&z).await?, [a_record("erp", "10.0.3.12", 60)]);
    Ok(())
}

#[tokio::test]
async fn a_records_need_an_ipv4_address() -> TestResult {
    let z = zone().await?;
    let erp = dns_service(&z, "erp", 60).await?;
    let attempt = |attributes: &[(&str, &str)]| {
        let mut call = z
            .cloudmap
            .register_instance()
            .service_id(&erp)
            .instance_id("erp-1");
        for (k, v) in attributes {
            call = call.attributes(*k, *v);
        }
        call.send()
    };
    // "This value is required if the service ... includes settings for an A record."
    assert_eq!(
        code(attempt(&[("AWS_INSTANCE_PORT", "8069")]).await),
        "InvalidInput"
    );
    assert_eq!(
        code(attempt(&[("AWS_INSTANCE_IPV4", "10.0.3")]).await),
        "InvalidInput"
    );
    assert_eq!(
        code(
            attempt(&[
                ("AWS_INSTANCE_IPV4", "10.0.3.12"),
                ("AWS_INSTANCE_PORT", "http")
            ])
            .await
        ),
        "InvalidInput"
    );
    // InstanceId: at most 64 of [0-9a-zA-Z_/:.@-].
    let bad_id = z
        .cloudmap
        .register_instance()
        .service_id(&erp)
        .instance_id("erp 1")
        .attributes("AWS_INSTANCE_IPV4", "10.0.3.12")
        .send()
        .await;
    assert_eq!(code(bad_id), "InvalidInput");
    attempt(&[("AWS_INSTANCE_IPV4", "10.0.3.12")]).await?;
    Ok(())
}

#[tokio::test]
async fn a_second_change_to_an_instance_under_way_is_duplicate_request() -> TestResult {
    let z = zone().await?;
    let erp = dns_service(&z, "erp", 60).await?;
    let running = register(&z, &erp, "10.0.3.12", None).await?;
    let again = z
        .cloudmap
        .register_instance()
        .service_id(&erp)
        .instance_id("10.0.3.12")
        .attributes("AWS_INSTANCE_IPV4", "10.0.3.12")
        .send()
        .await
        .expect_err("one change at a time");
    match again.into_service_error() {
        RegisterInstanceError::DuplicateRequest(e) => {
            assert_eq!(e.duplicate_operation_id(), Some(running.as_str()));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        code(
            z.cloudmap
                .deregister_instance()
                .service_id(&erp)
                .instance_id("10.0.3.12")
                .send()
                .await
        ),
        "DuplicateRequest"
    );
    // Another instance of the same service is not held up.
    let other = register(&z, &erp, "10.0.3.13", None).await?;
    poll(&z.cloudmap, &running).await?;
    poll(&z.cloudmap, &other).await?;
    assert_eq!(instances(&z, &erp).await?.len(), 2);
    Ok(())
}

#[tokio::test]
async fn deregistering_an_unknown_instance_is_instance_not_found() -> TestResult {
    let z = zone().await?;
    let erp = dns_service(&z, "erp", 60).await?;
    let missing = z
        .cloudmap
        .deregister_instance()
        .service_id(&erp)
        .instance_id("10.9.9.9")
        .send()
        .await
        .expect_err("no such instance");
    assert!(missing.into_service_error().is_instance_not_found());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Route 53 records, UpdateService

#[tokio::test]
async fn the_hosted_zone_has_one_multivalue_record_per_instance() -> TestResult {
    let z = zone().await?;
    let saleor = dns_service(&z, "saleor", 30).await?;
    let erp = dns_service(&z, "erp", 60).await?;
    for (service, address) in [
        (&saleor, "10.0.4.20"),
        (&saleor, "10.0.4.21"),
        (&erp, "10.0.3.12"),
    ] {
        let operation = register(&z, service, address, Some("8000")).await?;
        poll(&z.cloudmap, &operation).await?;
    }
    assert_eq!(
        records(&z).await?,
        [
            a_record("erp", "10.0.3.12", 60),
            a_record("saleor", "10.0.4.20", 30),
            a_record("saleor", "10.0.4.21", 30),
        ]
    );

    // Deregistration removes the instance's record when its operation succeeds.
    let operation = deregister(&z, &saleor, "10.0.4.20").await?;
    assert_eq!(records(&z).await?.len(), 3);
    poll(&z.cloudmap, &operation).await?;
    assert_eq!(
        records(&z).await?,
        [
            a_record("erp", "10.0.3.12", 60),
            a_record("saleor", "10.0.4.21", 30),
        ]
    );
    Ok(())
}

#[tokio::test]
async fn update_service_changes_the_ttl_of_every_record_but_not_the_types() -> TestResult {
    let z = zone().await?;
    let saleor = dns_service(&z, "saleor", 60).await?;
    for address in ["10.0.4.20", "10.0.4.21"] {
        let operation = register(&z, &saleor, address, None).await?;
        poll(&z.cloudmap, &operation).await?;
    }
    let change = |t: RecordType, ttl: i64| -> Result<ServiceChange, Box<dyn Error>> {
        Ok(ServiceChange::builder()
            .dns_config(
                DnsConfigChange::builder()
                    .dns_records(DnsRecord::builder().r#type(t).ttl(ttl).build()?)
                    .build()?,
            )
            .build())
    };
    let updated = z
        .cloudmap
        .update_service()
        .id(&saleor)
        .service(change(RecordType::A, 30)?)
        .send()
        .await?;
    let operation = updated.operation_id().ok_or("no operation id")?;
    let before: Vec<_> = records(&z).await?.into_iter().map(|r| r.4).collect();
    assert_eq!(before, [60, 60], "not before SUCCESS");
    let (statuses, targets) = poll(&z.cloudmap, operation).await?;
    assert_eq!(statuses.last(), Some(&OperationStatus::Success));
    assert_eq!(targets.get(&OperationTargetType::Service), Some(&saleor));
    assert_eq!(
        records(&z).await?,
        [
            a_record("saleor", "10.0.4.20", 30),
            a_record("saleor", "10.0.4.21", 30),
        ]
    );
    let got = z.cloudmap.get_service().id(&saleor).send().await?;
    let dns = got
        .service()
        .and_then(|s| s.dns_config())
        .ok_or("no DnsConfig")?;
    assert_eq!(dns.dns_records()[0].ttl(), 30);
    assert_eq!(
        dns.routing_policy(),
        Some(&RoutingPolicy::Multivalue),
        "kept"
    );

    // "The record type of a service ... can't be updated."
    let refused = z
        .cloudmap
        .update_service()
        .id(&saleor)
        .service(change(RecordType::Aaaa, 30)?)
        .send()
        .await;
    assert_eq!(code(refused), "InvalidInput");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// DiscoverInstances, DeleteService

#[tokio::test]
async fn discover_instances_returns_every_instance_of_a_service_without_health_checks() -> TestResult
{
    let z = zone().await?;
    let saleor = dns_service(&z, "saleor", 30).await?;
    for address in ["10.0.4.20", "10.0.4.21"] {
        register(&z, &saleor, address, Some("8000")).await?;
    }
    z.em.finish_cloudmap_operations().await;
    // "This parameter is ignored for services that don't have a health check configured, and
    // all instances are returned."
    for filter in [
        None,
        Some(HealthStatusFilter::Healthy),
        Some(HealthStatusFilter::Unhealthy),
        Some(HealthStatusFilter::HealthyOrElseAll),
    ] {
        let found = z
            .cloudmap
            .discover_instances()
            .namespace_name(NAMESPACE)
            .service_name("saleor")
            .set_health_status(filter.clone())
            .send()
            .await?;
        let mut ids: Vec<_> = found
            .instances()
            .iter()
            .map(|i| {
                assert_eq!(i.namespace_name(), Some(NAMESPACE));
                assert_eq!(i.service_name(), Some("saleor"));
                let port = i.attributes().and_then(|a| a.get("AWS_INSTANCE_PORT"));
                assert_eq!(port.map(String::as_str), Some("8000"));
                i.instance_id().unwrap_or_default().to_owned()
            })
            .collect();
        ids.sort();
        assert_eq!(ids, ["10.0.4.20", "10.0.4.21"], "{filter:?}");
    }
    let unknown = z
        .cloudmap
        .discover_instances()
        .namespace_name(NAMESPACE)
        .service_name("nobody")
        .send()
        .await;
    assert_eq!(code(unknown), "ServiceNotFound");
    Ok(())
}

#[tokio::test]
async fn a_service_with_instances_or_one_being_registered_is_resource_in_use() -> TestResult {
    let z = zone().await?;
    let erp = dns_service(&z, "erp", 60).await?;
    let registering = register(&z, &erp, "10.0.3.12", None).await?;
    let delete = || z.cloudmap.delete_service().id(&erp).send();
    assert_eq!(code(delete().await), "ResourceInUse", "while registering");
    poll(&z.cloudmap, &registering).await?;
    assert_eq!(code(delete().await), "ResourceInUse", "registered");
    let deregistering = deregister(&z, &erp, "10.0.3.12").await?;
    assert_eq!(code(delete().await), "ResourceInUse", "while deregistering");
    poll(&z.cloudmap, &deregistering).await?;
    delete().await?;
    Ok(())
}
