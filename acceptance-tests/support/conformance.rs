//! What the emulator's conformance suites share: ECS fixtures made and read the AWS way,
//! through the SDK, so that each suite states only the behaviour it checks.

use std::error::Error;

use aws_sdk_ecs::types::{
    ApplicationProtocol, ContainerDefinition, Deployment, PortMapping, Service,
};

/// Registers task definition `family` with one container whose port mappings are
/// `(name, container port, appProtocol)`; returns its ARN.
pub async fn register_task_definition(
    ecs: &aws_sdk_ecs::Client,
    family: &str,
    ports: &[(&str, i32, Option<ApplicationProtocol>)],
) -> Result<String, Box<dyn Error>> {
    let mut container = ContainerDefinition::builder()
        .name("app")
        .image("public.ecr.aws/nginx/nginx:latest")
        .memory(128);
    for (name, port, protocol) in ports {
        container = container.port_mappings(
            PortMapping::builder()
                .name(*name)
                .container_port(*port)
                .set_app_protocol(protocol.clone())
                .build(),
        );
    }
    let registered = ecs
        .register_task_definition()
        .family(family)
        .container_definitions(container.build())
        .send()
        .await?;
    Ok(registered
        .task_definition()
        .and_then(|td| td.task_definition_arn())
        .ok_or("no task definition ARN")?
        .to_owned())
}

/// ECS service `name` of `cluster` as DescribeServices answers.
pub async fn describe(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    name: &str,
) -> Result<Service, Box<dyn Error>> {
    let output = ecs
        .describe_services()
        .cluster(cluster)
        .services(name)
        .send()
        .await?;
    Ok(output
        .services()
        .first()
        .cloned()
        .ok_or("service not described")?)
}

/// The service's PRIMARY deployment.
pub fn primary(service: &Service) -> &Deployment {
    service
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
        .expect("a PRIMARY deployment")
}
