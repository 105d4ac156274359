//! Cloud Map: the private DNS namespace, its asynchronous operations, its tags, and the
//! Cloud Map services ECS creates in it.

use std::collections::BTreeMap;
use std::time::Duration;

use super::config::CallLimit;
use aws_sdk_servicediscovery::operation::create_private_dns_namespace::CreatePrivateDnsNamespaceError;
use aws_sdk_servicediscovery::operation::delete_namespace::DeleteNamespaceError;
use aws_sdk_servicediscovery::types::{
    FilterCondition, NamespaceFilter, NamespaceFilterName, OperationStatus, OperationTargetType,
    PrivateDnsNamespaceChange, RecordType, ServiceFilter, ServiceFilterName, ServiceSummary, Tag,
};
use tokio_util::sync::CancellationToken;

use super::error::{ErrorKind, GatewayError};
use super::wait::{WaitEnd, Waiter};
use crate::mesh::model::ObservedNamespace;
use crate::mesh::validate::format_go_duration;

/// Every page of a Cloud Map listing (`$request`, a request builder), under one permit of
/// `$cloudmap`'s limit: the pages come one after another. The builders share no trait.
macro_rules! every_page {
    ($cloudmap:expr, $request:expr, $action:expr) => {{
        let _permit = $cloudmap.permit().await;
        $request
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|err| GatewayError::from_sdk($action, &err))
    }};
}

pub mod health;
use health::HealthCheck;
pub mod instances;
mod registration;

/// Where a create request left things.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NamespaceStart {
    /// AWS accepted it (or an earlier try with the same request id): this operation
    /// creates the namespace.
    Operation(String),
    /// A namespace made by an earlier try with the same request id already exists.
    Exists(String),
}

/// Where an asynchronous Cloud Map operation stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OperationState {
    /// SUBMITTED or PENDING.
    Running,
    /// SUCCESS, with the namespace it names, if any.
    Succeeded(BTreeMap<OperationTargetType, String>),
    /// FAIL, with AWS's code and message.
    Failed {
        code: Option<String>,
        message: String,
    },
}

/// Why we stopped watching an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OperationEnd {
    /// It ended in FAIL. For a create we take it that nothing was made: the API
    /// reference says only "the operation failed" (Operation.Status), so this is our
    /// reading, not AWS's promise; a later read of an unconfirmed create looks again.
    Failed(GatewayError),
    /// We stopped before it ended (timeout, StopProvider, or GetOperation failed): it
    /// may still succeed.
    Unfinished(GatewayError),
}

impl OperationEnd {
    pub fn into_error(self) -> GatewayError {
        match self {
            OperationEnd::Failed(err) | OperationEnd::Unfinished(err) => err,
        }
    }
}

/// The words for creating a namespace, in every error about it.
pub fn create_namespace_action(name: &str, vpc_id: &str) -> String {
    format!("creating Cloud Map private DNS namespace {name} in {vpc_id}")
}

/// The namespace an operation's targets name.
pub fn namespace_target(targets: &BTreeMap<OperationTargetType, String>) -> Option<String> {
    targets.get(&OperationTargetType::Namespace).cloned()
}

/// The ARN Cloud Map gives namespace `namespace_id` in the account and Region of an ECS
/// service's ARN (`arn:<partition>:ecs:<region>:<account>:service/...`), or `None` if
/// that is not an ARN of this form. Both forms are the Service Authorization Reference's
/// (resource types: Amazon ECS `service`,
/// `arn:${Partition}:ecs:${Region}:${Account}:service/${ClusterName}/${ServiceName}`;
/// AWS Cloud Map `namespace`,
/// `arn:${Partition}:servicediscovery:${Region}:${Account}:namespace/${NamespaceId}`).
/// An ECS service is the caller's account's, as is a namespace it just made. For an apply
/// that writes before GetNamespace answers: the answer is checked against it.
pub fn namespace_arn_beside(service_arn: &str, namespace_id: &str) -> Option<String> {
    let mut parts = service_arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("ecs"), Some(region), Some(account), Some(_)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let valid = |part: &str| !part.is_empty() && !part.contains('/');
    (valid(partition) && valid(region) && valid(account) && valid(namespace_id)).then(|| {
        format!("arn:{partition}:servicediscovery:{region}:{account}:namespace/{namespace_id}")
    })
}

/// What to create.
#[derive(Clone, Copy, Debug)]
pub struct NamespaceRequest<'a> {
    pub name: &'a str,
    pub vpc_id: &'a str,
    pub description: Option<&'a str>,
    pub tags: &'a BTreeMap<String, String>,
    pub request_id: &'a str,
}

/// A Cloud Map service in a namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudMapService {
    pub id: String,
    pub name: String,
    pub arn: String,
}

/// A Cloud Map service as ListServices summarises it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedService {
    pub service: CloudMapService,
    /// The TTL of its A records; `None` when it has none.
    pub a_record_ttl: Option<u32>,
    pub health_check: HealthCheck,
}

impl From<&ServiceSummary> for ListedService {
    fn from(summary: &ServiceSummary) -> Self {
        let health_check = if summary.health_check_custom_config().is_some() {
            HealthCheck::Custom
        } else if summary.health_check_config().is_some() {
            HealthCheck::Route53
        } else {
            HealthCheck::None
        };
        Self {
            service: CloudMapService {
                id: summary.id().unwrap_or_default().to_string(),
                name: summary.name().unwrap_or_default().to_string(),
                arn: summary.arn().unwrap_or_default().to_string(),
            },
            a_record_ttl: summary.dns_config().and_then(|dns| {
                dns.dns_records()
                    .iter()
                    .find(|r| r.r#type() == &RecordType::A)
                    .and_then(|r| u32::try_from(r.ttl()).ok())
            }),
            health_check,
        }
    }
}

/// Cloud Map calls, bounded by the provider's concurrency limit.
#[derive(Clone, Debug)]
pub struct CloudMap {
    client: aws_sdk_servicediscovery::Client,
    limit: CallLimit,
}

impl CloudMap {
    pub fn new(client: aws_sdk_servicediscovery::Client, limit: CallLimit) -> Self {
        Self { client, limit }
    }

    /// How many Cloud Map calls may be in flight at once (`max_concurrency`).
    pub fn in_flight(&self) -> usize {
        self.limit.in_flight()
    }

    async fn permit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.limit.permit().await
    }

    /// Asks Cloud Map for a private DNS namespace. `request.request_id` (kept by the
    /// caller in private state) makes a retried apply find the first try's namespace or
    /// operation instead of creating a second one. The namespace exists only once the
    /// operation succeeds: see [`CloudMap::created_namespace`].
    pub async fn start_private_dns_namespace(
        &self,
        request: &NamespaceRequest<'_>,
    ) -> Result<NamespaceStart, GatewayError> {
        let NamespaceRequest {
            name,
            vpc_id,
            description,
            tags,
            request_id,
        } = *request;
        let sent = {
            let _permit = self.permit().await;
            self.client
                .create_private_dns_namespace()
                .name(name)
                .vpc(vpc_id)
                .set_description(description.map(str::to_string))
                .set_tags(Some(to_tags(tags)).filter(|t| !t.is_empty()))
                .creator_request_id(request_id)
                .send()
                .await
        };
        let err = match sent {
            Ok(output) => {
                return Ok(NamespaceStart::Operation(
                    output.operation_id().unwrap_or_default().to_string(),
                ));
            }
            Err(err) => err,
        };
        match err.as_service_error() {
            Some(CreatePrivateDnsNamespaceError::NamespaceAlreadyExists(exists))
                if exists.creator_request_id() == Some(request_id) =>
            {
                if let Some(id) = exists.namespace_id() {
                    return Ok(NamespaceStart::Exists(id.to_string()));
                }
            }
            Some(CreatePrivateDnsNamespaceError::DuplicateRequest(duplicate)) => {
                if let Some(operation) = duplicate.duplicate_operation_id() {
                    return Ok(NamespaceStart::Operation(operation.to_string()));
                }
            }
            _ => {}
        }
        Err(GatewayError::from_sdk(
            create_namespace_action(name, vpc_id),
            &err,
        ))
    }

    /// Waits for a create operation and returns the id of the namespace it made.
    pub async fn created_namespace(
        &self,
        operation_id: &str,
        action: &str,
        timeout: Duration,
        cancel: &CancellationToken,
    ) -> Result<String, OperationEnd> {
        let targets = self
            .poll_operation(operation_id, action, timeout, cancel)
            .await?;
        namespace_target(&targets).ok_or_else(|| {
            OperationEnd::Unfinished(GatewayError::new(
                action,
                ErrorKind::Other,
                format!("operation {operation_id} succeeded without naming a namespace"),
            ))
        })
    }

    /// Reads an operation once.
    pub async fn operation_state(
        &self,
        operation_id: &str,
        action: &str,
    ) -> Result<OperationState, GatewayError> {
        let output = {
            let _permit = self.permit().await;
            self.client
                .get_operation()
                .operation_id(operation_id)
                .send()
                .await
        }
        .map_err(|err| {
            GatewayError::from_sdk(format!("{action}: reading operation {operation_id}"), &err)
        })?;
        let Some(operation) = output.operation() else {
            return Ok(OperationState::Running);
        };
        Ok(match operation.status() {
            Some(OperationStatus::Success) => OperationState::Succeeded(
                operation
                    .targets()
                    .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
            ),
            Some(OperationStatus::Fail) => OperationState::Failed {
                code: operation.error_code().map(str::to_string),
                message: format!(
                    "{}: {}",
                    operation.error_code().unwrap_or("FAIL"),
                    operation.error_message().unwrap_or("the operation failed")
                ),
            },
            _ => OperationState::Running,
        })
    }

    /// Polls GetOperation through SUBMITTED and PENDING until SUCCESS or FAIL.
    pub async fn wait_for_operation(
        &self,
        operation_id: &str,
        action: &str,
        timeout: Duration,
        cancel: &CancellationToken,
    ) -> Result<BTreeMap<OperationTargetType, String>, GatewayError> {
        self.poll_operation(operation_id, action, timeout, cancel)
            .await
            .map_err(OperationEnd::into_error)
    }

    async fn poll_operation(
        &self,
        operation_id: &str,
        action: &str,
        timeout: Duration,
        cancel: &CancellationToken,
    ) -> Result<BTreeMap<OperationTargetType, String>, OperationEnd> {
        let mut waiter = Waiter::for_operation(timeout, cancel.clone());
        loop {
            match self
                .operation_state(operation_id, action)
                .await
                .map_err(OperationEnd::Unfinished)?
            {
                OperationState::Succeeded(targets) => return Ok(targets),
                OperationState::Failed { code, message } => {
                    let error = match code {
                        Some(code) => GatewayError::with_code(action, code, message),
                        None => GatewayError::new(action, ErrorKind::Other, message),
                    };
                    return Err(OperationEnd::Failed(error));
                }
                OperationState::Running => {}
            }
            if let Err(end) = waiter.pause().await {
                return Err(OperationEnd::Unfinished(wait_error(
                    action,
                    &format!("operation {operation_id}"),
                    timeout,
                    end,
                )));
            }
        }
    }

    /// Reads a namespace; `None` when it no longer exists.
    pub async fn get_namespace(&self, id: &str) -> Result<Option<ObservedNamespace>, GatewayError> {
        let _permit = self.permit().await;
        match self.client.get_namespace().id(id).send().await {
            Ok(output) => Ok(output.namespace().map(|ns| ObservedNamespace {
                id: ns.id().unwrap_or(id).to_string(),
                arn: ns.arn().unwrap_or_default().to_string(),
                name: ns.name().unwrap_or_default().to_string(),
                description: ns
                    .description()
                    .map(str::to_string)
                    .filter(|d| !d.is_empty()),
                hosted_zone_id: ns
                    .properties()
                    .and_then(|p| p.dns_properties())
                    .and_then(|d| d.hosted_zone_id())
                    .map(str::to_string),
                kind: ns.r#type().map(|t| t.as_str().to_string()),
                creator_request_id: ns.creator_request_id().map(str::to_string),
                tags: BTreeMap::new(),
            })),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_namespace_not_found()) =>
            {
                Ok(None)
            }
            Err(err) => Err(GatewayError::from_sdk(
                format!("reading Cloud Map namespace {id}"),
                &err,
            )),
        }
    }

    /// This account's namespaces with exactly this name (any type), following pages:
    /// (id, arn, type). Namespaces other accounts share through AWS RAM are left out
    /// (filter RESOURCE_OWNER = SELF): a name means one of the account's own, as ECS
    /// resolves it, and a shared namespace is named by its ARN.
    pub async fn find_namespaces_by_name(
        &self,
        name: &str,
    ) -> Result<Vec<(String, String, String)>, GatewayError> {
        let action = format!("listing Cloud Map namespaces named {name}");
        let filter = |name: NamespaceFilterName, value: &str| {
            NamespaceFilter::builder()
                .name(name)
                .values(value)
                .condition(FilterCondition::Eq)
                .build()
                .map_err(|err| {
                    GatewayError::new(action.clone(), ErrorKind::Invalid, err.to_string())
                })
        };
        let filters = vec![
            filter(NamespaceFilterName::Name, name)?,
            filter(NamespaceFilterName::ResourceOwner, "SELF")?,
        ];
        let pages: Vec<_> = every_page!(
            self,
            self.client.list_namespaces().set_filters(Some(filters)),
            format!("listing Cloud Map namespaces named {name}")
        )?;
        Ok(pages
            .iter()
            .flat_map(|page| page.namespaces())
            // Filters are advisory in some implementations: check the name ourselves.
            .filter(|summary| summary.name() == Some(name))
            .map(|summary| {
                (
                    summary.id().unwrap_or_default().to_string(),
                    summary.arn().unwrap_or_default().to_string(),
                    summary
                        .r#type()
                        .map(|t| t.as_str().to_string())
                        .unwrap_or_default(),
                )
            })
            .collect())
    }

    /// Changes a namespace's description (an asynchronous operation) and waits.
    pub async fn update_description(
        &self,
        id: &str,
        description: &str,
        request_id: &str,
        timeout: Duration,
        cancel: &CancellationToken,
    ) -> Result<(), GatewayError> {
        let action = format!("updating the description of Cloud Map namespace {id}");
        let change = PrivateDnsNamespaceChange::builder()
            .description(description)
            .build();
        let output = {
            let _permit = self.permit().await;
            self.client
                .update_private_dns_namespace()
                .id(id)
                .updater_request_id(request_id)
                .namespace(change)
                .send()
                .await
                .map_err(|err| GatewayError::from_sdk(action.clone(), &err))?
        };
        if let Some(operation) = output.operation_id() {
            self.wait_for_operation(operation, &action, timeout, cancel)
                .await?;
        }
        Ok(())
    }

    pub async fn tags(&self, arn: &str) -> Result<BTreeMap<String, String>, GatewayError> {
        let _permit = self.permit().await;
        let output = self
            .client
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|err| {
                GatewayError::from_sdk(format!("reading tags of Cloud Map resource {arn}"), &err)
            })?;
        Ok(output
            .tags()
            .iter()
            .map(|tag| (tag.key().to_string(), tag.value().to_string()))
            .collect())
    }

    /// Makes the namespace's tags exactly `wanted`, given the `current` ones.
    pub async fn set_tags(
        &self,
        arn: &str,
        current: &BTreeMap<String, String>,
        wanted: &BTreeMap<String, String>,
    ) -> Result<(), GatewayError> {
        let removed: Vec<String> = current
            .keys()
            .filter(|k| !wanted.contains_key(*k))
            .cloned()
            .collect();
        let changed: BTreeMap<String, String> = wanted
            .iter()
            .filter(|(k, v)| current.get(*k) != Some(v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let action = format!("tagging Cloud Map namespace {arn}");
        if !removed.is_empty() {
            let _permit = self.permit().await;
            self.client
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(|err| GatewayError::from_sdk(action.clone(), &err))?;
        }
        if !changed.is_empty() {
            let _permit = self.permit().await;
            self.client
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(to_tags(&changed)))
                .send()
                .await
                .map_err(|err| GatewayError::from_sdk(action, &err))?;
        }
        Ok(())
    }

    /// The Cloud Map services in a namespace, following pages.
    pub async fn services_in(
        &self,
        namespace_id: &str,
    ) -> Result<Vec<CloudMapService>, GatewayError> {
        let listed = self.listed_services(namespace_id).await?;
        Ok(listed.into_iter().map(|listed| listed.service).collect())
    }

    /// The Cloud Map services in a namespace with what ListServices tells of each
    /// (botocore's servicediscovery model, ServiceSummary: DnsConfig, HealthCheckConfig,
    /// HealthCheckCustomConfig), following pages: no GetService is needed for them.
    pub async fn listed_services(
        &self,
        namespace_id: &str,
    ) -> Result<Vec<ListedService>, GatewayError> {
        let action = format!("listing Cloud Map services in namespace {namespace_id}");
        let filter = ServiceFilter::builder()
            .name(ServiceFilterName::NamespaceId)
            .values(namespace_id)
            .condition(FilterCondition::Eq)
            .build()
            .map_err(|err| {
                GatewayError::new(action.clone(), ErrorKind::Invalid, err.to_string())
            })?;
        let pages: Vec<_> = every_page!(
            self,
            self.client.list_services().filters(filter),
            action.clone()
        )?;
        Ok(pages
            .iter()
            .flat_map(|page| page.services())
            .map(ListedService::from)
            .collect())
    }

    /// Deletes a Cloud Map service, retrying while it is still in use (ECS lets go of
    /// its instances only as the old tasks stop). Already gone counts as done.
    pub async fn delete_service(
        &self,
        service: &CloudMapService,
        timeout: Duration,
        cancel: &CancellationToken,
    ) -> Result<(), GatewayError> {
        let action = format!(
            "deleting Cloud Map service {} ({})",
            service.name, service.id
        );
        let action = action.as_str();
        retry_while_in_use(timeout, cancel, move || async move {
            let _permit = self.permit().await;
            match self.client.delete_service().id(&service.id).send().await {
                Ok(_) => Attempt::Done(()),
                Err(err) => match err.as_service_error() {
                    Some(e) if e.is_service_not_found() => Attempt::Gone,
                    Some(e) if e.is_resource_in_use() => {
                        Attempt::InUse(GatewayError::from_sdk(action, &err))
                    }
                    _ => Attempt::Failed(GatewayError::from_sdk(action, &err)),
                },
            }
        })
        .await
        .map(|_| ())
    }

    /// Deletes a namespace and waits for the operation; retries while services remain.
    pub async fn delete_namespace(
        &self,
        id: &str,
        timeout: Duration,
        cancel: &CancellationToken,
    ) -> Result<(), GatewayError> {
        let action = format!("deleting Cloud Map namespace {id}");
        let action_ref = action.as_str();
        let operation = retry_while_in_use(timeout, cancel, move || async move {
            let _permit = self.permit().await;
            match self.client.delete_namespace().id(id).send().await {
                Ok(output) => Attempt::Done(output.operation_id().map(str::to_string)),
                Err(err) => match err.as_service_error() {
                    Some(e) if e.is_namespace_not_found() => Attempt::Gone,
                    Some(e) if e.is_resource_in_use() => {
                        Attempt::InUse(GatewayError::from_sdk(action_ref, &err))
                    }
                    // An earlier try's delete is still under way (we stopped watching
                    // it): wait for that one. DuplicateRequest, with DuplicateOperationId
                    // ("the ID of the operation that's already in progress"), is one of
                    // DeleteNamespace's modelled errors (botocore servicediscovery
                    // service-2.json; aws-sdk-servicediscovery DeleteNamespaceError).
                    Some(DeleteNamespaceError::DuplicateRequest(duplicate))
                        if duplicate.duplicate_operation_id().is_some() =>
                    {
                        Attempt::Done(duplicate.duplicate_operation_id().map(str::to_string))
                    }
                    _ => Attempt::Failed(GatewayError::from_sdk(action_ref, &err)),
                },
            }
        })
        .await?;
        if let Some(Some(operation)) = operation {
            self.wait_for_operation(&operation, &action, timeout, cancel)
                .await?;
        }
        Ok(())
    }
}

/// How one try of a delete went.
enum Attempt<T> {
    Done(T),
    /// Already deleted: nothing to do.
    Gone,
    /// Something still uses it: try again after a pause.
    InUse(GatewayError),
    Failed(GatewayError),
}

/// Repeats `attempt` while the thing is in use, with backoff, until the timeout or a
/// stop. `Ok(None)` when it was already gone.
async fn retry_while_in_use<T, F, Fut>(
    timeout: Duration,
    cancel: &CancellationToken,
    mut attempt: F,
) -> Result<Option<T>, GatewayError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Attempt<T>>,
{
    let mut waiter = Waiter::for_retry(timeout, cancel.clone());
    loop {
        match attempt().await {
            Attempt::Done(value) => return Ok(Some(value)),
            Attempt::Gone => return Ok(None),
            Attempt::Failed(err) => return Err(err),
            Attempt::InUse(err) => {
                if waiter.pause().await.is_err() {
                    return Err(err);
                }
            }
        }
    }
}

fn to_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(key, value)| Tag::builder().key(key).value(value).build().ok())
        .collect()
}

fn wait_error(action: &str, what: &str, timeout: Duration, end: WaitEnd) -> GatewayError {
    let message = match end {
        WaitEnd::TimedOut => format!(
            "{what} did not finish within {} (the resource's timeout); raise it in `timeouts` \
             and apply again",
            format_go_duration(timeout)
        ),
        WaitEnd::Cancelled => {
            format!("stopped waiting for {what}: Terraform asked the provider to stop")
        }
    };
    GatewayError::new(action, ErrorKind::Unfinished, message)
}

#[cfg(test)]
mod tests {
    use super::namespace_arn_beside;

    #[test]
    fn a_namespace_arn_takes_the_partition_region_and_account_of_an_ecs_service_arn() {
        assert_eq!(
            namespace_arn_beside(
                "arn:aws:ecs:eu-west-1:123456789012:service/prod/backend",
                "ns-abcdefghijklmnop"
            )
            .as_deref(),
            Some("arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-abcdefghijklmnop")
        );
        assert_eq!(
            namespace_arn_beside(
                "arn:aws-cn:ecs:cn-north-1:123456789012:service/backend",
                "ns-1"
            )
            .as_deref(),
            Some("arn:aws-cn:servicediscovery:cn-north-1:123456789012:namespace/ns-1")
        );
        // Not an ECS service's ARN, or parts missing: no guess.
        for not_one in [
            "",
            "backend",
            "arn:aws:ecs:eu-west-1:123456789012",
            "arn:aws:ecs::123456789012:service/prod/backend",
            "arn:aws:servicediscovery:eu-west-1:123456789012:service/srv-1",
        ] {
            assert_eq!(namespace_arn_beside(not_one, "ns-1"), None, "{not_one}");
        }
        assert_eq!(
            namespace_arn_beside("arn:aws:ecs:eu-west-1:123456789012:service/a/b", ""),
            None
        );
    }
}
