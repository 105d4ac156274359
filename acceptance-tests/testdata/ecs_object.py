"""Stands in for hashicorp/aws resources in acceptance tests: a `terraform_data` resource's
local-exec provisioner runs this to create (or, at destroy, delete) an ECS cluster or service
through the AWS API, so that the objects really come into being during `terraform apply`, as
aws_ecs_cluster / aws_ecs_task_definition / aws_ecs_service would make them.

    ecs_object.py cluster create NAME
    ecs_object.py cluster delete NAME
    ecs_object.py service create CLUSTER NAME PORT_NAME PORT   (registers the task definition too)
    ecs_object.py service delete CLUSTER NAME

Talks to whatever AWS_ENDPOINT_URL names, with the environment's credentials and region.
"""

import os
import sys

import boto3


def ecs():
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return boto3.client("ecs", region_name=region)


def create_service(cluster, name, port_name, port):
    client = ecs()
    task = client.register_task_definition(
        family=name,
        containerDefinitions=[
            {
                "name": "app",
                "image": "public.ecr.aws/nginx/nginx:latest",
                "memory": 256,
                "portMappings": [{"name": port_name, "containerPort": int(port)}],
            }
        ],
    )
    client.create_service(
        cluster=cluster,
        serviceName=name,
        taskDefinition=task["taskDefinition"]["taskDefinitionArn"],
        desiredCount=1,
    )


def main(argv):
    match argv:
        case ["cluster", "create", name]:
            ecs().create_cluster(clusterName=name)
        case ["cluster", "delete", name]:
            ecs().delete_cluster(cluster=name)
        case ["service", "create", cluster, name, port_name, port]:
            create_service(cluster, name, port_name, port)
        case ["service", "delete", cluster, name]:
            ecs().delete_service(cluster=cluster, service=name, force=True)
        case _:
            print(__doc__, file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
