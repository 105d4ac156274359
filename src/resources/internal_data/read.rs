//! Reading a mesh for the data source: GetNamespace (ListNamespaces for a name), the
//! hosted zone's VPC, the cluster's services (ListServices, DescribeServices), then per
//! Cloud Map service of the namespace GetService, ListInstances and, with a health
//! check, GetInstancesHealthStatus. Not a single mutating call.

use std::collections::BTreeMap;

use super::view::{InstanceCount, MeshView, count_instances};
use crate::aws::cloudmap::ListedService;
use crate::aws::cloudmap::health::HealthCheck;
use crate::aws::error::{ErrorKind, GatewayError};
use crate::aws::gateway::Gateway;
use crate::aws::in_order;
use crate::mesh::names::cluster_name;
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::value::{AttributePath, Value};
use crate::resources::internal::import::{ImportError, find_namespace, wired_services};

/// Reads the mesh of `cluster` on `namespace` (name, id or ARN).
pub async fn read(gateway: &Gateway, cluster: &str, namespace: &str) -> Result<Value, Diagnostics> {
    let at_namespace = || AttributePath::root().attribute("namespace");
    let observed = find_namespace(gateway, namespace)
        .await
        .map_err(|err| match err {
            ImportError::NotFound(detail) => Diagnostics::error_at(
                at_namespace(),
                "Namespace not found",
                format!("reading Cloud Map namespace {namespace}: {detail}"),
            ),
            ImportError::Ambiguous(detail) => Diagnostics::error_at(
                at_namespace(),
                "Ambiguous namespace",
                ambiguous(namespace, &detail),
            ),
            ImportError::Aws(err) => aws_failed(at_namespace(), &err),
        })?;
    let vpc_id = match &observed.hosted_zone_id {
        // A zone in another account (a namespace shared through AWS RAM) is not ours
        // to read: the VPC stays null.
        Some(zone) => match gateway.route53.shared_zone_vpcs(zone).await {
            Ok(vpcs) => vpcs.and_then(|vpcs| vpcs.into_iter().next()),
            Err(err) => return Err(aws_failed(at_namespace(), &err)),
        },
        None => None,
    };
    let wired = wired_services(gateway, cluster_name(cluster), &observed)
        .await
        .map_err(|err| {
            let at = AttributePath::root().attribute("cluster");
            if err.is(ErrorKind::NotFound) {
                Diagnostics::error_at(at, "Cluster not found", err.to_string())
            } else {
                aws_failed(at, &err)
            }
        })?;
    let services = gateway
        .cloudmap
        .listed_services(&observed.id)
        .await
        .map_err(|err| aws_failed(at_namespace(), &err))?;
    let in_flight = gateway.cloudmap.in_flight();
    let counts = in_order(0..services.len(), in_flight, |i: usize| {
        instances_of(gateway, &services[i])
    })
    .await
    .into_iter()
    .collect::<Result<Vec<_>, _>>()
    .map_err(|err| aws_failed(at_namespace(), &err))?;
    let cloud_map: BTreeMap<String, InstanceCount> = services
        .iter()
        .map(|s| s.service.name.clone())
        .zip(counts)
        .filter_map(|(name, count)| Some((name, count?)))
        .collect();
    Ok(MeshView {
        cluster,
        namespace_given: namespace,
        namespace: &observed,
        vpc_id,
        wired: &wired,
        cloud_map: &cloud_map,
    }
    .to_value())
}

/// A Cloud Map service's instances, counted as Cloud Map routes to them; `None` for a
/// service deleted since it was listed (it no longer names anything): ServiceNotFound,
/// which botocore's Cloud Map model lists for ListInstances and GetInstancesHealthStatus.
async fn instances_of(
    gateway: &Gateway,
    listed: &ListedService,
) -> Result<Option<InstanceCount>, GatewayError> {
    let service = &listed.service;
    let gone = |err: &GatewayError| err.is(ErrorKind::NotFound);
    let instances = match gateway.cloudmap.list_instances(&service.id).await {
        Ok(instances) => instances,
        Err(err) if gone(&err) => return Ok(None),
        Err(err) => return Err(err),
    };
    let check = listed.health_check;
    let statuses = match check {
        HealthCheck::None => BTreeMap::new(),
        HealthCheck::Custom | HealthCheck::Route53 => {
            match gateway.cloudmap.instances_health(&service.id).await {
                Ok(statuses) => statuses,
                Err(err) if gone(&err) => return Ok(None),
                Err(err) => return Err(err),
            }
        }
    };
    let ids: Vec<String> = instances.into_iter().map(|i| i.id).collect();
    Ok(Some(count_instances(&ids, check, &statuses)))
}

/// Several namespaces have the name: what they are (the first sentence of the lookup's
/// answer, which lists them), and how to name one.
fn ambiguous(namespace: &str, detail: &str) -> String {
    let found = detail
        .split(". ")
        .next()
        .unwrap_or(detail)
        .trim_end_matches('.');
    format!(
        "reading Cloud Map namespace {namespace}: {found}. Name the namespace by id (`ns-…`) or ARN instead."
    )
}

fn aws_failed(at: AttributePath, err: &GatewayError) -> Diagnostics {
    Diagnostics::error_at(at, "Reading the service mesh failed", err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ambiguous_name_lists_the_namespaces_and_says_how_to_name_one() {
        let detail = "2 namespaces are named \"internal.myapp\": ns-aaaaaaaaaaaaaaaa (DNS_PRIVATE), \
                      ns-bbbbbbbbbbbbbbbb (HTTP). Import by id instead, e.g. `<cluster>/ns-aaaaaaaaaaaaaaaa`.";
        assert_eq!(
            ambiguous("internal.myapp", detail),
            "reading Cloud Map namespace internal.myapp: 2 namespaces are named \"internal.myapp\": \
             ns-aaaaaaaaaaaaaaaa (DNS_PRIVATE), ns-bbbbbbbbbbbbbbbb (HTTP). Name the namespace by id \
             (`ns-…`) or ARN instead."
        );
    }
}
