"""The demo's AWS side (acceptance-tests/demo.sh): make the seed's world through the AWS
API, and read back what the provider did. Talks to whatever AWS_ENDPOINT_URL names (the
local emulator in the demo) with the credentials and region of the environment.

    demo_aws.py seed CLUSTER FILE     cluster, task definitions with named ports, services;
                                      writes the VPC id to use to FILE
    demo_aws.py check CLUSTER NS      after apply: every discovery name maps to its Cloud
                                      Map service, every PRIMARY deployment carries its
                                      Service Connect configuration (exit 1 if not)
    demo_aws.py gone CLUSTER NS       after destroy: no namespace, no Cloud Map service,
                                      Service Connect off everywhere (exit 1 if not)

Everything is read from the API: nothing printed here is assumed.
"""

import json
import os
import sys
import urllib.request

import boto3
from botocore.config import Config

# The seed: (ECS service, port alias, container port). The servers serve on their alias;
# the last one is the client-only caller.
SERVERS = [
    ("backend", "backend-8080-tcp", 8080),
    ("orders", "orders-9090-tcp", 9090),
    ("payments", "payments-7070-tcp", 7070),
]
CLIENTS = [("frontend", "frontend-3000-tcp", 3000)]

# DiscoverInstances' `data-` host prefix does not resolve for 127.0.0.1 (emulator README).
CONFIG = Config(inject_host_prefix=False, retries={"mode": "standard"})


def region():
    # botocore reads AWS_DEFAULT_REGION; the Rust SDK (and the demo) use AWS_REGION.
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def ecs():
    return boto3.client("ecs", region_name=region(), config=CONFIG)


def cloudmap():
    return boto3.client("servicediscovery", region_name=region(), config=CONFIG)


def step(text):
    print(f"  {text}", flush=True)


def create_service(client, cluster, service, port_name, port):
    """A task definition with one port mapping named `port_name`, and an ECS service on it.
    Returns the task definition."""
    task = client.register_task_definition(
        family=service,
        containerDefinitions=[
            {
                "name": "app",
                "image": "public.ecr.aws/nginx/nginx:latest",
                "memory": 256,
                "portMappings": [{"name": port_name, "containerPort": port}],
            }
        ],
    )["taskDefinition"]
    client.create_service(
        cluster=cluster,
        serviceName=service,
        taskDefinition=task["taskDefinitionArn"],
        desiredCount=1,
    )
    return task


def seed(cluster, vpc_file):
    client = ecs()
    client.create_cluster(clusterName=cluster)
    step(f"ECS cluster {cluster}")
    for service, port_name, port in SERVERS + CLIENTS:
        task = create_service(client, cluster, service, port_name, port)
        role = "client only" if (service, port_name, port) in CLIENTS else "backend"
        step(
            f"ECS service {service:<9} task definition {task['family']}:{task['revision']}, "
            f"port mapping {port_name} -> {port}  ({role})"
        )
    # The emulator's default VPC (its control API): the namespace's hosted zone goes there.
    endpoint = os.environ["AWS_ENDPOINT_URL"].rstrip("/")
    with urllib.request.urlopen(f"{endpoint}/_emulator/network?region={region()}") as answer:
        vpc_id = json.load(answer)["vpcId"]
    step(f"VPC {vpc_id} (the emulator's default VPC)")
    with open(vpc_file, "w") as out:
        out.write(vpc_id + "\n")
    # Running tasks of Service Connect servers register Cloud Map instances, as on AWS: what
    # the quickstart's check "names_resolve" counts (the emulator's setting register_instances).
    settings = urllib.request.Request(
        f"{endpoint}/_emulator/settings",
        data=json.dumps({"register_instances": 1}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(settings) as answer:
        answer.read()
    step("running tasks register Cloud Map instances (the emulator's register_instances)")


def namespaces_named(name):
    pages = cloudmap().get_paginator("list_namespaces").paginate()
    return [ns for page in pages for ns in page["Namespaces"] if ns["Name"] == name]


def cloud_map_services(namespace_id=None):
    """Cloud Map services, by name, of one namespace or of all."""
    filters = []
    if namespace_id:
        filters = [{"Name": "NAMESPACE_ID", "Values": [namespace_id], "Condition": "EQ"}]
    pages = cloudmap().get_paginator("list_services").paginate(Filters=filters)
    return {s["Name"]: s for page in pages for s in page["Services"]}


def ecs_services(cluster):
    client = ecs()
    arns = [
        arn for page in client.get_paginator("list_services").paginate(cluster=cluster) for arn in page["serviceArns"]
    ]
    names = sorted(arn.rsplit("/", 1)[-1] for arn in arns)
    described = []
    for i in range(0, len(names), 10):
        described += client.describe_services(cluster=cluster, services=names[i : i + 10])["services"]
    return sorted(described, key=lambda s: s["serviceName"])


def primary(service):
    return next((d for d in service.get("deployments", []) if d["status"] == "PRIMARY"), None)


def check(cluster, namespace):
    problems = []
    found = namespaces_named(namespace)
    if len(found) != 1:
        print(f"  expected one namespace {namespace}, found {len(found)}")
        return 1
    ns = found[0]
    detail = cloudmap().get_namespace(Id=ns["Id"])["Namespace"]
    zone = detail.get("Properties", {}).get("DnsProperties", {}).get("HostedZoneId", "?")
    step(f"namespace {namespace}: {ns['Id']} ({ns['Type']}, hosted zone {zone})")
    discovery = cloud_map_services(ns["Id"])
    for service in ecs_services(cluster):
        name = service["serviceName"]
        deployment = primary(service)
        config = (deployment or {}).get("serviceConnectConfiguration")
        if not config or not config.get("enabled"):
            step(f"{name:<9} PRIMARY deployment: Service Connect off")
            continue
        if config.get("namespace") not in (namespace, ns["Id"], ns["Arn"]):
            problems.append(f"{name}: PRIMARY deployment uses namespace {config.get('namespace')}")
        entries = config.get("services", [])
        if not entries:
            step(f"{name:<9} PRIMARY deployment: Service Connect on, client only")
            continue
        resources = {r["discoveryName"]: r["discoveryArn"] for r in deployment.get("serviceConnectResources", [])}
        for entry in entries:
            discovery_name = entry.get("discoveryName", entry["portName"])
            aliases = ", ".join(f"{a.get('dnsName', '?')}:{a['port']}" for a in entry.get("clientAliases", []))
            cm = discovery.get(discovery_name)
            arn = resources.get(discovery_name)
            if cm is None:
                problems.append(f"{name}: no Cloud Map service {discovery_name} in {namespace}")
                mapped = "NO Cloud Map service"
            elif arn != cm["Arn"]:
                problems.append(f"{name}: deployment's discoveryArn {arn} is not {cm['Arn']}")
                mapped = f"Cloud Map service {cm['Id']}, but the deployment points at {arn}"
            else:
                mapped = f"Cloud Map service {cm['Id']}"
            step(
                f"{name:<9} PRIMARY deployment: Service Connect on, {entry['portName']} -> {aliases}; "
                f"discovery name {discovery_name} -> {mapped}"
            )
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    return 1 if problems else 0


def gone(cluster, namespace):
    problems = []
    left = namespaces_named(namespace)
    step(f"namespaces named {namespace}: {len(left)}")
    if left:
        problems.append(f"namespace {namespace} still exists: {[n['Id'] for n in left]}")
    services = cloud_map_services()
    step(f"Cloud Map services: {len(services)}")
    if services:
        problems.append(f"Cloud Map services left: {sorted(services)}")
    on = []
    for service in ecs_services(cluster):
        config = (primary(service) or {}).get("serviceConnectConfiguration") or {}
        if config.get("enabled"):
            on.append(service["serviceName"])
    step(f"ECS services with Service Connect on: {len(on)}{' (' + ', '.join(on) + ')' if on else ''}")
    if on:
        problems.append(f"Service Connect still on: {on}")
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    return 1 if problems else 0


def main(argv):
    if len(argv) == 3 and argv[0] == "seed":
        seed(argv[1], argv[2])
        return 0
    if len(argv) == 3 and argv[0] == "check":
        return check(argv[1], argv[2])
    if len(argv) == 3 and argv[0] == "gone":
        return gone(argv[1], argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
