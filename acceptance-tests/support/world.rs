//! The seed scenario's world, made directly with the AWS API in the emulator: an ECS
//! cluster, backend services whose task definitions name their ports, and a
//! client-only caller. Plus readers that check what the provider did.

use std::collections::BTreeMap;

use aws_sdk_ecs::types::{
    ContainerDefinition, DeploymentCircuitBreaker, DeploymentConfiguration, DeploymentController,
    DeploymentControllerType, PortMapping, Service,
};

use super::emulator::Emulator;
use super::hcl::Mesh;
use super::terraform::{Install, Workdir};

pub const CLUSTER: &str = "prod";

/// (service, port alias, container port) of the seed's servers.
pub const SERVERS: &[(&str, &str, i32)] = &[
    ("backend", "backend-8080-tcp", 8080),
    ("orders", "orders-9090-tcp", 9090),
    ("payments", "payments-7070-tcp", 7070),
];
/// The client-only caller.
pub const CLIENT: (&str, &str, i32) = ("frontend", "frontend-3000-tcp", 3000);

pub struct World {
    pub vpc_id: String,
}

impl World {
    /// A mesh in the seed's cluster that owns its namespace in the world's VPC and wires
    /// `servers` and the client-only caller.
    pub fn mesh(&self, servers: &[(&str, &str, i32)]) -> Mesh {
        Mesh::owned(CLUSTER, &self.vpc_id)
            .servers(servers)
            .client(CLIENT.0)
    }
}

/// Creates the cluster, task definitions and services.
pub async fn seed(emulator: &Emulator) -> World {
    let ecs = emulator.ecs();
    create_cluster(&ecs).await;
    for (service, port_name, port) in SERVERS.iter().chain(std::iter::once(&CLIENT)) {
        create_service(&ecs, service, port_name, *port).await;
    }
    World {
        vpc_id: emulator.network().await.vpc_id,
    }
}

/// The seed's ECS cluster, empty.
pub async fn create_cluster(ecs: &aws_sdk_ecs::Client) {
    ecs.create_cluster()
        .cluster_name(CLUSTER)
        .send()
        .await
        .expect("creating the cluster");
}

pub async fn create_service(ecs: &aws_sdk_ecs::Client, service: &str, port_name: &str, port: i32) {
    create_service_with_ports(ecs, service, &[(Some(port_name), port)]).await;
}

/// Registers a task definition with these (name, container port) mappings (a `None`
/// name is an unnamed mapping) and creates an ECS service on it in the cluster.
pub async fn create_service_with_ports(
    ecs: &aws_sdk_ecs::Client,
    service: &str,
    ports: &[(Option<&str>, i32)],
) {
    create_service_in(ecs, CLUSTER, service, ports).await;
}

/// [`create_service_with_ports`] in another cluster.
pub async fn create_service_in(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    service: &str,
    ports: &[(Option<&str>, i32)],
) {
    create_service_on(ecs, cluster, service, port_mappings(ports)).await;
}

/// Registers a task definition with exactly these port mappings (an `appProtocol`, say)
/// and creates an ECS service on it in the cluster.
pub async fn create_service_with_mappings(
    ecs: &aws_sdk_ecs::Client,
    service: &str,
    mappings: Vec<PortMapping>,
) {
    create_service_on(ecs, CLUSTER, service, mappings).await;
}

async fn create_service_on(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    service: &str,
    mappings: Vec<PortMapping>,
) {
    let arn = register_mappings(ecs, service, mappings).await;
    ecs.create_service()
        .cluster(cluster)
        .service_name(service)
        .task_definition(arn)
        .desired_count(1)
        .send()
        .await
        .expect("creating a service");
}

/// Registers a task definition of family `family` with these (name, container port) mappings
/// (a `None` name is an unnamed mapping); its ARN.
async fn register_task_definition(
    ecs: &aws_sdk_ecs::Client,
    family: &str,
    ports: &[(Option<&str>, i32)],
) -> String {
    register_mappings(ecs, family, port_mappings(ports)).await
}

/// (name, container port) pairs as port mappings (a `None` name is an unnamed mapping).
fn port_mappings(ports: &[(Option<&str>, i32)]) -> Vec<PortMapping> {
    ports
        .iter()
        .map(|(name, port)| {
            PortMapping::builder()
                .set_name(name.map(str::to_string))
                .container_port(*port)
                .build()
        })
        .collect()
}

/// Registers a task definition of family `family` with one container and these port
/// mappings; its ARN.
async fn register_mappings(
    ecs: &aws_sdk_ecs::Client,
    family: &str,
    mappings: Vec<PortMapping>,
) -> String {
    let container = ContainerDefinition::builder()
        .name("app")
        .image("public.ecr.aws/nginx/nginx:latest")
        .memory(256)
        .set_port_mappings(Some(mappings));
    let registered = ecs
        .register_task_definition()
        .family(family)
        .container_definitions(container.build())
        .send()
        .await
        .expect("registering a task definition");
    registered
        .task_definition()
        .and_then(|td| td.task_definition_arn())
        .expect("task definition ARN")
        .to_string()
}

/// A service of the cluster with one named port, like [`create_service`], deployed by
/// `controller`. A CODE_DEPLOY service gets its first task set from ECS at creation; for an
/// EXTERNAL one this creates a task set (100%) and makes it PRIMARY, as a third-party controller
/// would. Either has task sets and no `deployments`, and UpdateService refuses a
/// serviceConnectConfiguration for it (InvalidParameterException), as AWS does.
pub async fn create_service_with_controller(
    ecs: &aws_sdk_ecs::Client,
    service: &str,
    port_name: &str,
    port: i32,
    controller: DeploymentControllerType,
) {
    let arn = register_task_definition(ecs, service, &[(Some(port_name), port)]).await;
    let external = controller == DeploymentControllerType::External;
    ecs.create_service()
        .cluster(CLUSTER)
        .service_name(service)
        .task_definition(&arn)
        .desired_count(1)
        .deployment_controller(
            DeploymentController::builder()
                .r#type(controller)
                .build()
                .expect("a controller type"),
        )
        .send()
        .await
        .expect("creating a service with a deployment controller");
    if external {
        let task_set = ecs
            .create_task_set()
            .cluster(CLUSTER)
            .service(service)
            .task_definition(&arn)
            .send()
            .await
            .expect("creating a task set");
        let task_set_arn = task_set
            .task_set()
            .and_then(|t| t.task_set_arn())
            .expect("task set ARN")
            .to_string();
        ecs.update_service_primary_task_set()
            .cluster(CLUSTER)
            .service(service)
            .primary_task_set(task_set_arn)
            .send()
            .await
            .expect("making the task set primary");
    }
}

/// Turns on the deployment circuit breaker with rollback for a service of the cluster (an
/// UpdateService of its deploymentConfiguration, which starts no deployment), so that a
/// deployment the emulator makes fail ([`Emulator::fail_next_deployment`]) is rolled back.
pub async fn enable_circuit_breaker(emulator: &Emulator, service: &str) {
    set_circuit_breaker(&emulator.ecs(), CLUSTER, service, true).await;
}

/// Turns on the deployment circuit breaker of `service` in `cluster`, with or without rollback.
pub async fn set_circuit_breaker(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    service: &str,
    rollback: bool,
) {
    ecs.update_service()
        .cluster(cluster)
        .service(service)
        .deployment_configuration(
            DeploymentConfiguration::builder()
                .deployment_circuit_breaker(
                    DeploymentCircuitBreaker::builder()
                        .enable(true)
                        .rollback(rollback)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("turning on the deployment circuit breaker");
}

/// A Terraform working directory whose provider talks to the emulator.
pub fn workdir(emulator: &Emulator) -> Workdir {
    workdir_installed(emulator, Install::DevOverrides)
}

/// [`workdir`] with the provider installed as `install` says.
pub fn workdir_installed(emulator: &Emulator, install: Install) -> Workdir {
    let mut dir = Workdir::new(install);
    dir.set_env("AWS_ACCESS_KEY_ID", "AKIDTESTTESTTEST")
        .set_env("AWS_SECRET_ACCESS_KEY", "test-secret")
        .set_env("AWS_REGION", "us-east-1")
        .set_env("AWS_EC2_METADATA_DISABLED", "true")
        .set_env("AWS_ENDPOINT_URL", emulator.endpoint());
    dir
}

/// Changes a service's Service Connect straight through the API, as someone in the
/// console would.
pub async fn set_service_connect(
    emulator: &Emulator,
    service: &str,
    config: aws_sdk_ecs::types::ServiceConnectConfiguration,
) {
    emulator
        .ecs()
        .update_service()
        .cluster(CLUSTER)
        .service(service)
        .service_connect_configuration(config)
        .send()
        .await
        .expect("changing Service Connect out of band");
}

/// A private DNS namespace made straight through the API, as in the console; its id.
pub async fn hand_made_namespace(emulator: &Emulator, name: &str, vpc_id: &str) -> String {
    emulator
        .cloudmap()
        .create_private_dns_namespace()
        .name(name)
        .vpc(vpc_id)
        .send()
        .await
        .expect("creating a namespace by hand");
    emulator.finish_cloudmap_operations().await;
    namespaces(emulator).await[name].clone()
}

/// Deletes an ECS service of the cluster outside Terraform.
pub async fn delete_service(emulator: &Emulator, service: &str) {
    emulator
        .ecs()
        .delete_service()
        .cluster(CLUSTER)
        .service(service)
        .force(true)
        .send()
        .await
        .expect("deleting the ECS service");
}

/// The ECS service as DescribeServices shows it.
pub async fn describe(emulator: &Emulator, service: &str) -> Service {
    describe_in(emulator, CLUSTER, service).await
}

/// [`describe`] in another cluster.
pub async fn describe_in(emulator: &Emulator, cluster: &str, service: &str) -> Service {
    emulator
        .ecs()
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .expect("describing a service")
        .services()
        .first()
        .cloned()
        .expect("service exists")
}

/// The Service Connect configuration of the PRIMARY deployment, if any.
pub async fn primary_service_connect(
    emulator: &Emulator,
    service: &str,
) -> Option<aws_sdk_ecs::types::ServiceConnectConfiguration> {
    primary_service_connect_in(emulator, CLUSTER, service).await
}

/// [`primary_service_connect`] in another cluster.
pub async fn primary_service_connect_in(
    emulator: &Emulator,
    cluster: &str,
    service: &str,
) -> Option<aws_sdk_ecs::types::ServiceConnectConfiguration> {
    describe_in(emulator, cluster, service)
        .await
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
        .and_then(|d| d.service_connect_configuration())
        .cloned()
}

/// Every namespace in the emulator, by name → id.
pub async fn namespaces(emulator: &Emulator) -> BTreeMap<String, String> {
    namespace_list(emulator).await.into_iter().collect()
}

/// How many namespaces are called `name` (a retried create must never make two).
pub async fn namespaces_named(emulator: &Emulator, name: &str) -> usize {
    namespace_list(emulator)
        .await
        .iter()
        .filter(|(named, _)| named == name)
        .count()
}

/// Every namespace in the emulator as (name, id), duplicates included.
pub async fn namespace_list(emulator: &Emulator) -> Vec<(String, String)> {
    emulator
        .cloudmap()
        .list_namespaces()
        .send()
        .await
        .expect("listing namespaces")
        .namespaces()
        .iter()
        .map(|ns| {
            (
                ns.name().unwrap_or_default().to_string(),
                ns.id().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Every Cloud Map service in the emulator, by name.
pub async fn cloud_map_services(emulator: &Emulator) -> Vec<String> {
    emulator
        .cloudmap()
        .list_services()
        .send()
        .await
        .expect("listing Cloud Map services")
        .services()
        .iter()
        .map(|s| s.name().unwrap_or_default().to_string())
        .collect()
}

/// What a console user builds: the namespace `internal.myapp` in the world's VPC, and
/// Service Connect with the console's defaults (discovery name = service, DNS name =
/// `<service>.internal.myapp`, the container port) on `servers`, plus the client-only
/// caller. Made straight through the AWS API. Returns the namespace id.
pub async fn console_built_mesh(
    emulator: &Emulator,
    world: &World,
    servers: &[(&str, &str, i32)],
) -> String {
    use aws_sdk_ecs::types::{
        ServiceConnectClientAlias, ServiceConnectConfiguration, ServiceConnectService,
    };
    let namespace_id = hand_made_namespace(emulator, "internal.myapp", &world.vpc_id).await;
    let entry = |service: &str, port_name: &str, port: i32| {
        ServiceConnectService::builder()
            .port_name(port_name)
            .discovery_name(service)
            .client_aliases(
                ServiceConnectClientAlias::builder()
                    .port(port)
                    .dns_name(format!("{service}.internal.myapp"))
                    .build()
                    .expect("alias"),
            )
            .build()
            .expect("entry")
    };
    let wirings = servers
        .iter()
        .map(|(service, port_name, port)| (*service, Some(entry(service, port_name, *port))))
        .chain(std::iter::once((CLIENT.0, None)));
    for (service, entry) in wirings {
        let config = ServiceConnectConfiguration::builder()
            .enabled(true)
            .namespace("internal.myapp")
            .set_services(entry.map(|e| vec![e]))
            .build();
        set_service_connect(emulator, service, config).await;
    }
    namespace_id
}

/// Cloud Map services that no deployment of any seeded ECS service uses (a
/// deployment's Service Connect entry names its Cloud Map service by discovery name,
/// or by port alias when it has none).
pub async fn unused_cloud_map_services(emulator: &Emulator) -> Vec<String> {
    let mut in_use = std::collections::BTreeSet::new();
    for (service, _, _) in SERVERS.iter().chain(std::iter::once(&CLIENT)) {
        for deployment in describe(emulator, service).await.deployments() {
            let entries = deployment
                .service_connect_configuration()
                .map(|sc| sc.services())
                .unwrap_or_default();
            for entry in entries {
                in_use.insert(
                    entry
                        .discovery_name()
                        .unwrap_or(entry.port_name())
                        .to_string(),
                );
            }
        }
    }
    cloud_map_services(emulator)
        .await
        .into_iter()
        .filter(|name| !in_use.contains(name))
        .collect()
}

/// A Cloud Map service someone else made by hand in the namespace (ECS did not: it has no
/// `AmazonECSManaged` tag), with one instance registered at `instance_ip` when given, as a
/// standalone server would have. Its ARN.
pub async fn hand_made_cloud_map_service(
    emulator: &Emulator,
    namespace_id: &str,
    name: &str,
    instance_ip: Option<&str>,
) -> String {
    let cloudmap = emulator.cloudmap();
    let made = cloudmap
        .create_service()
        .name(name)
        .namespace_id(namespace_id)
        .send()
        .await
        .expect("creating a Cloud Map service by hand");
    let service = made.service().expect("the new Cloud Map service");
    if let Some(ip) = instance_ip {
        cloudmap
            .register_instance()
            .service_id(service.id().unwrap_or_default())
            .instance_id(format!("{name}-1"))
            .attributes("AWS_INSTANCE_IPV4", ip)
            .send()
            .await
            .expect("registering an instance by hand");
        emulator.finish_cloudmap_operations().await;
    }
    service.arn().unwrap_or_default().to_owned()
}

/// Every ECS service of the cluster whose PRIMARY deployment has Service Connect on,
/// sorted.
pub async fn wired_services(emulator: &Emulator) -> Vec<String> {
    let arns: Vec<String> = emulator
        .ecs()
        .list_services()
        .cluster(CLUSTER)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("listing the cluster's services");
    let mut wired = Vec::new();
    for arn in arns {
        let name = arn.rsplit('/').next().unwrap_or_default().to_string();
        if primary_service_connect(emulator, &name)
            .await
            .is_some_and(|sc| sc.enabled())
        {
            wired.push(name);
        }
    }
    wired.sort();
    wired
}

/// What a test leaves behind in AWS: namespaces, Cloud Map services and wired ECS
/// services (all empty after a destroy).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Leftovers {
    pub namespaces: Vec<String>,
    pub cloud_map_services: Vec<String>,
    pub wired_services: Vec<String>,
}

impl Leftovers {
    pub async fn of(emulator: &Emulator) -> Self {
        Self {
            namespaces: namespaces(emulator).await.into_keys().collect(),
            cloud_map_services: cloud_map_services(emulator).await,
            wired_services: wired_services(emulator).await,
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A new VPC (`cidr`) associated with the private hosted zone `zone_id` as well, as
/// Route 53's AssociateVPCWithHostedZone does for a zone that serves several VPCs. Its id.
pub async fn second_vpc_for_zone(emulator: &Emulator, zone_id: &str, cidr: &str) -> String {
    use aws_sdk_route53::types::{Vpc, VpcRegion};
    let vpc_id = emulator.create_vpc(cidr).await;
    emulator
        .route53()
        .associate_vpc_with_hosted_zone()
        .hosted_zone_id(zone_id)
        .vpc(
            Vpc::builder()
                .vpc_id(&vpc_id)
                .vpc_region(VpcRegion::UsEast1)
                .build(),
        )
        .send()
        .await
        .expect("associating a second VPC");
    vpc_id
}

/// A Cloud Map service made by hand, with a custom health check when `custom_health` (as
/// a standalone server's own health checker would use), and `instances` registered in it:
/// (instance id, its `AWS_INIT_HEALTH_STATUS` if any), each at 10.0.3.12. Its id.
pub async fn hand_made_service_with_instances(
    emulator: &Emulator,
    namespace_id: &str,
    name: &str,
    custom_health: bool,
    instances: &[(&str, Option<&str>)],
) -> String {
    use aws_sdk_servicediscovery::types::HealthCheckCustomConfig;
    let cloudmap = emulator.cloudmap();
    let service_id = cloudmap
        .create_service()
        .name(name)
        .namespace_id(namespace_id)
        .set_health_check_custom_config(
            custom_health.then(|| HealthCheckCustomConfig::builder().build()),
        )
        .send()
        .await
        .expect("creating a Cloud Map service by hand")
        .service()
        .and_then(|s| s.id())
        .expect("the new Cloud Map service's id")
        .to_string();
    for (instance, initial) in instances {
        let mut request = cloudmap
            .register_instance()
            .service_id(&service_id)
            .instance_id(*instance)
            .attributes("AWS_INSTANCE_IPV4", "10.0.3.12");
        if let Some(initial) = initial {
            request = request.attributes("AWS_INIT_HEALTH_STATUS", *initial);
        }
        request
            .send()
            .await
            .expect("registering an instance by hand");
    }
    emulator.finish_cloudmap_operations().await;
    service_id
}
