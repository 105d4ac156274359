//! Standalone servers in a namespace: Cloud Map services with A records (MULTIVALUE
//! routing) and one registered instance per IPv4 address. Every change is an
//! asynchronous Cloud Map operation, waited for like the namespace's.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_servicediscovery::operation::create_service::CreateServiceError;
use aws_sdk_servicediscovery::types::{
    DnsConfig, DnsConfigChange, DnsRecord, RecordType, RoutingPolicy, ServiceChange,
};
use futures::future::try_join_all;
use tokio_util::sync::CancellationToken;

use super::{CloudMap, CloudMapService, ListedService};
use crate::aws::error::{ErrorKind, GatewayError};
use crate::mesh::external::ObservedExternal;

/// The instance attribute Cloud Map answers A queries with.
const IPV4: &str = "AWS_INSTANCE_IPV4";
/// The instance attribute that carries a port (SRV records, and DiscoverInstances).
const PORT: &str = "AWS_INSTANCE_PORT";

fn a_records(ttl: u32) -> Result<DnsRecord, aws_sdk_servicediscovery::error::BuildError> {
    DnsRecord::builder()
        .r#type(RecordType::A)
        .ttl(i64::from(ttl))
        .build()
}

/// The idempotency token of a standalone server's CreateService: `<namespace id>/<name>`,
/// or, where that passes Cloud Map's 64 characters, the name's FNV-1a hash in its place.
/// The same for every retry of the same server, and different for every other name.
fn creator_request_id(namespace_id: &str, name: &str) -> String {
    const LIMIT: usize = 64;
    let plain = format!("{namespace_id}/{name}");
    if plain.len() <= LIMIT {
        return plain;
    }
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let short = format!("{namespace_id}/{hash:016x}");
    short.chars().take(LIMIT).collect()
}

fn invalid(action: &str, err: impl std::fmt::Display) -> GatewayError {
    GatewayError::new(action, ErrorKind::Invalid, err.to_string())
}

impl CloudMap {
    /// Creates the Cloud Map service of a standalone server in a namespace. One made
    /// by an earlier try with the same request id (`<namespace id>/<name>`, so a retried
    /// apply never makes two) is taken as it is.
    pub async fn create_dns_service(
        &self,
        namespace_id: &str,
        name: &str,
        ttl: u32,
    ) -> Result<CloudMapService, GatewayError> {
        let action = format!("creating Cloud Map service {name} in namespace {namespace_id}");
        let records = a_records(ttl).map_err(|err| invalid(&action, err))?;
        let dns = DnsConfig::builder()
            .routing_policy(RoutingPolicy::Multivalue)
            .dns_records(records)
            .build()
            .map_err(|err| invalid(&action, err))?;
        let request_id = creator_request_id(namespace_id, name);
        let sent = {
            let _permit = self.permit().await;
            self.client
                .create_service()
                .name(name)
                .namespace_id(namespace_id)
                .creator_request_id(&request_id)
                .description("Standalone server (servicemesh_internal external_services)")
                .dns_config(dns)
                .send()
                .await
        };
        match sent {
            Ok(output) => {
                let service = output.service();
                Ok(CloudMapService {
                    id: service.and_then(|s| s.id()).unwrap_or_default().to_string(),
                    name: name.to_string(),
                    arn: service
                        .and_then(|s| s.arn())
                        .unwrap_or_default()
                        .to_string(),
                })
            }
            Err(err) => match err.as_service_error() {
                Some(CreateServiceError::ServiceAlreadyExists(exists))
                    if exists.creator_request_id() == Some(request_id.as_str()) =>
                {
                    Ok(CloudMapService {
                        id: exists.service_id().unwrap_or_default().to_string(),
                        name: name.to_string(),
                        arn: exists.service_arn().unwrap_or_default().to_string(),
                    })
                }
                _ => Err(GatewayError::from_sdk(action, &err)),
            },
        }
    }

    /// Sets the TTL of a standalone server's A records.
    pub async fn set_dns_ttl(
        &self,
        service: &CloudMapService,
        ttl: u32,
        timeout: Duration,
        cancel: &CancellationToken,
    ) -> Result<(), GatewayError> {
        let action = format!("updating the TTL of Cloud Map service {}", service.name);
        let records = a_records(ttl).map_err(|err| invalid(&action, err))?;
        let change = DnsConfigChange::builder()
            .dns_records(records)
            .build()
            .map_err(|err| invalid(&action, err))?;
        let sent = {
            let _permit = self.permit().await;
            self.client
                .update_service()
                .id(&service.id)
                .service(ServiceChange::builder().dns_config(change).build())
                .send()
                .await
        };
        let operation = sent.map_err(|err| GatewayError::from_sdk(action.clone(), &err))?;
        self.finish(operation.operation_id(), &action, timeout, cancel)
            .await
    }

    /// Registers `address` (instance id: the address) in a standalone server's service,
    /// or updates the instance of that id, and waits for Cloud Map to be done.
    pub async fn register_address(
        &self,
        service: &CloudMapService,
        address: &str,
        port: Option<u16>,
        timeout: Duration,
        cancel: &CancellationToken,
    ) -> Result<(), GatewayError> {
        let action = format!(
            "registering {address} in Cloud Map service {}",
            service.name
        );
        let mut request = self
            .client
            .register_instance()
            .service_id(&service.id)
            .instance_id(address)
            .attributes(IPV4, address);
        if let Some(port) = port {
            request = request.attributes(PORT, port.to_string());
        }
        let sent = {
            let _permit = self.permit().await;
            request.send().await
        };
        let operation = sent.map_err(|err| GatewayError::from_sdk(action.clone(), &err))?;
        self.finish(operation.operation_id(), &action, timeout, cancel)
            .await
    }

    /// Deregisters an instance and waits for Cloud Map to be done; one already gone
    /// counts as done.
    pub async fn deregister(
        &self,
        service: &CloudMapService,
        instance_id: &str,
        timeout: Duration,
        cancel: &CancellationToken,
    ) -> Result<(), GatewayError> {
        let action = format!(
            "deregistering {instance_id} from Cloud Map service {}",
            service.name
        );
        let sent = {
            let _permit = self.permit().await;
            self.client
                .deregister_instance()
                .service_id(&service.id)
                .instance_id(instance_id)
                .send()
                .await
        };
        match sent {
            Ok(output) => {
                self.finish(output.operation_id(), &action, timeout, cancel)
                    .await
            }
            Err(err) => match err.as_service_error() {
                Some(e) if e.is_instance_not_found() => Ok(()),
                _ => Err(GatewayError::from_sdk(action, &err)),
            },
        }
    }

    /// Waits for the operation a request started.
    async fn finish(
        &self,
        operation: Option<&str>,
        action: &str,
        timeout: Duration,
        cancel: &CancellationToken,
    ) -> Result<(), GatewayError> {
        let operation = operation.unwrap_or_default();
        self.wait_for_operation(operation, action, timeout, cancel)
            .await
            .map(|_| ())
    }

    /// The standalone servers named `names` in a namespace, as AWS has them: one
    /// listing of the namespace's services (which carries each one's records), then a
    /// ListInstances for each found, concurrently. Names not found are absent.
    pub async fn observe_external(
        &self,
        namespace_id: &str,
        names: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, ObservedExternal>, GatewayError> {
        if names.is_empty() {
            return Ok(BTreeMap::new());
        }
        let found: Vec<ListedService> = self
            .listed_services(namespace_id)
            .await?
            .into_iter()
            .filter(|listed| names.contains(&listed.service.name))
            .collect();
        self.observe_services(&found).await
    }

    /// Cloud Map services already listed, read as standalone servers: a ListInstances
    /// each, concurrently. Those deleted meanwhile are absent.
    pub async fn observe_services(
        &self,
        services: &[ListedService],
    ) -> Result<BTreeMap<String, ObservedExternal>, GatewayError> {
        let observed = try_join_all(services.iter().map(|listed| self.observe_one(listed))).await?;
        Ok(observed.into_iter().flatten().collect())
    }

    /// One standalone server; `None` when it was deleted meanwhile.
    async fn observe_one(
        &self,
        listed: &ListedService,
    ) -> Result<Option<(String, ObservedExternal)>, GatewayError> {
        let service = &listed.service;
        let instances = match self.list_instances(&service.id).await {
            Ok(instances) => instances,
            Err(err) if err.is(ErrorKind::NotFound) => return Ok(None),
            Err(err) => return Err(err),
        };
        let instances = instances
            .into_iter()
            .map(|instance| {
                let ip = instance.ipv4().map(str::to_string);
                let port = instance
                    .attributes
                    .get(PORT)
                    .and_then(|p| p.parse::<u16>().ok());
                (instance.id, (ip, port))
            })
            .collect();
        Ok(Some((
            service.name.clone(),
            ObservedExternal {
                service_id: service.id.clone(),
                arn: service.arn.clone(),
                ttl: listed.a_record_ttl,
                instances,
            },
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::creator_request_id;

    #[test]
    fn request_ids_fit_cloud_maps_limit_and_tell_names_apart() {
        let namespace = "ns-abcdefghijklmnop";
        assert_eq!(
            creator_request_id(namespace, "erp"),
            "ns-abcdefghijklmnop/erp"
        );
        let long_a = format!("{}a", "x".repeat(62));
        let long_b = format!("{}b", "x".repeat(62));
        let (a, b) = (
            creator_request_id(namespace, &long_a),
            creator_request_id(namespace, &long_b),
        );
        assert!(a.len() <= 64 && b.len() <= 64, "{a} {b}");
        assert_ne!(a, b);
        assert_eq!(
            a,
            creator_request_id(namespace, &long_a),
            "the same for a retry"
        );
    }
}
