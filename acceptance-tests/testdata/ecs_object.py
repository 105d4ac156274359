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

# The demo's AWS helpers (acceptance-tests/demo_aws.py) make services the same way.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from demo_aws import create_service, ecs


def main(argv):
    match argv:
        case ["cluster", "create", name]:
            ecs().create_cluster(clusterName=name)
        case ["cluster", "delete", name]:
            ecs().delete_cluster(cluster=name)
        case ["service", "create", cluster, name, port_name, port]:
            create_service(ecs(), cluster, name, port_name, int(port))
        case ["service", "delete", cluster, name]:
            ecs().delete_service(cluster=cluster, service=name, force=True)
        case _:
            print(__doc__, file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
