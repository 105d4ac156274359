//! Conformance of the emulator's Cloud Map instance health with AWS (cloudmap_health.py),
//! checked with the provider's own SDK crates: GetInstancesHealthStatus with and without a
//! health check, AWS_INIT_HEALTH_STATUS, and UpdateInstanceCustomHealthStatus.

use std::collections::BTreeMap;
use std::error::Error;

use aws_sdk_servicediscovery::error::ProvideErrorMetadata;
use aws_sdk_servicediscovery::types::CustomHealthStatus;

use crate::support::emulator::{Emulator, PooledEmulator};
use crate::support::world::{hand_made_namespace, hand_made_service_with_instances};

type TestResult = Result<(), Box<dyn Error>>;

/// A namespace and a Cloud Map service "erp" in it, with a custom health check or none,
/// with these instances registered; the service's id.
async fn service(
    em: &PooledEmulator,
    custom_health: bool,
    instances: &[(&str, Option<&str>)],
) -> String {
    let vpc = em.network().await.vpc_id;
    let namespace_id = hand_made_namespace(em, "health.local", &vpc).await;
    hand_made_service_with_instances(em, &namespace_id, "erp", custom_health, instances).await
}

async fn statuses(
    em: &Emulator,
    service_id: &str,
) -> Result<BTreeMap<String, String>, Box<dyn Error>> {
    let answer = em
        .cloudmap()
        .get_instances_health_status()
        .service_id(service_id)
        .send()
        .await?;
    Ok(answer
        .status()
        .map(|s| {
            s.iter()
                .map(|(id, status)| (id.clone(), status.as_str().to_string()))
                .collect()
        })
        .unwrap_or_default())
}

#[tokio::test]
async fn a_custom_health_check_starts_as_aws_init_health_status_says_and_follows_updates()
-> TestResult {
    let em = Emulator::shared().await;
    let service_id = service(
        &em,
        true,
        &[("plain", None), ("starts-sick", Some("UNHEALTHY"))],
    )
    .await;
    assert_eq!(
        statuses(&em, &service_id).await?,
        BTreeMap::from([
            ("plain".to_string(), "HEALTHY".to_string()),
            ("starts-sick".to_string(), "UNHEALTHY".to_string()),
        ]),
        "HEALTHY unless AWS_INIT_HEALTH_STATUS says otherwise"
    );
    for (instance, status) in [
        ("plain", CustomHealthStatus::Unhealthy),
        ("starts-sick", CustomHealthStatus::Healthy),
    ] {
        em.cloudmap()
            .update_instance_custom_health_status()
            .service_id(&service_id)
            .instance_id(instance)
            .status(status)
            .send()
            .await?;
    }
    assert_eq!(
        statuses(&em, &service_id).await?,
        BTreeMap::from([
            ("plain".to_string(), "UNHEALTHY".to_string()),
            ("starts-sick".to_string(), "HEALTHY".to_string()),
        ])
    );
    Ok(())
}

#[tokio::test]
async fn without_a_health_check_statuses_are_unknown_and_cannot_be_set() -> TestResult {
    let em = Emulator::shared().await;
    let service_id = service(&em, false, &[("erp-1", Some("UNHEALTHY"))]).await;
    assert_eq!(
        statuses(&em, &service_id).await?,
        BTreeMap::from([("erp-1".to_string(), "UNKNOWN".to_string())])
    );
    let refused = em
        .cloudmap()
        .update_instance_custom_health_status()
        .service_id(&service_id)
        .instance_id("erp-1")
        .status(CustomHealthStatus::Healthy)
        .send()
        .await
        .expect_err("a service without a custom health check");
    assert_eq!(refused.code(), Some("CustomHealthNotFound"), "{refused:?}");
    Ok(())
}

#[tokio::test]
async fn a_status_outside_the_enum_is_invalid_input() -> TestResult {
    let em = Emulator::shared().await;
    let service_id = service(&em, true, &[("erp-1", None)]).await;
    let refused = em
        .cloudmap()
        .update_instance_custom_health_status()
        .service_id(&service_id)
        .instance_id("erp-1")
        .status(CustomHealthStatus::from("SICK"))
        .send()
        .await
        .expect_err("SICK is not a CustomHealthStatus");
    assert_eq!(refused.code(), Some("InvalidInput"), "{refused:?}");
    assert_eq!(
        statuses(&em, &service_id).await?,
        BTreeMap::from([("erp-1".to_string(), "HEALTHY".to_string())])
    );
    Ok(())
}
