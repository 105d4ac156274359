"""ECS Service Connect: validating a serviceConnectConfiguration and the Cloud Map side of it.

AWS checks the configuration when CreateService/UpdateService is called (moto accepts anything
and drops it): the namespace must exist, every portName must name a port mapping of the task
definition, names follow the documented patterns, each services[] entry has exactly one client
alias, ingressPortOverride is above 1024, and discovery names and client endpoints are unique in
the namespace across all ECS services using it. For each services[] entry ECS then uses (or
creates) a Cloud Map service named after its discoveryName (default: portName) in the namespace;
its ARN is the deployment's serviceConnectResources[].discoveryArn. The services ECS creates carry
the tag AmazonECSManaged=true. A namespace shared from another account is found by its ARN only
(ECS's guide for shared namespaces says to use the ARN).
"""

import copy
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from moto.ecs.exceptions import ECSException, InvalidParameterException
from moto.ecs.models import Cluster, EC2ContainerServiceBackend, Service, TaskDefinition
from moto.servicediscovery.models import Namespace, ServiceDiscoveryBackend, servicediscovery_backends

from .cloudmap import own_namespaces

# The tag ECS puts on the Cloud Map services it creates for Service Connect (seen by users,
# aws/containers-roadmap#2560; AWS's documentation does not name it).
ECS_MANAGED_TAG = {"Key": "AmazonECSManaged", "Value": "true"}

_DISCOVERY_NAME = re.compile(r"^(?!-)[a-z0-9_-]{1,64}$")
_DNS_NAME = re.compile(r"^(?!-)[a-z0-9_.-]{1,127}$")


class NamespaceNotFoundException(ECSException):
    code = "NamespaceNotFoundException"

    def __init__(self, namespace: str) -> None:
        super().__init__(f"Failed to retrieve namespace for {namespace}")


@dataclass
class ServiceConnect:
    """Service Connect as one deployment has it."""

    configuration: dict[str, Any]  # echoed as sent (namespace as given: name or ARN)
    namespace_id: str
    resources: list[dict[str, str]] = field(default_factory=list)  # [{discoveryName, discoveryArn}]
    discovery_names: list[str] = field(default_factory=list)
    endpoints: list[tuple[str, int]] = field(default_factory=list)  # (dnsName, port) clients use


def resolve(
    ecs: EC2ContainerServiceBackend,
    cluster: Cluster,
    config: dict[str, Any],
    task_definition: TaskDefinition | None,
    service_name: str,
) -> ServiceConnect | None:
    """Validates `config` for the ECS service `service_name` in `cluster` and makes the Cloud Map
    services it needs. None when Service Connect is turned off (enabled: false)."""
    if not isinstance(config, dict) or "enabled" not in config:
        raise InvalidParameterException("serviceConnectConfiguration.enabled must be specified.")
    if not config["enabled"]:
        return None
    config = copy.deepcopy(config)
    given = config.get("namespace") or (cluster.service_connect_defaults or {}).get("namespace")
    if not given:
        raise InvalidParameterException(
            "Service Connect requires a namespace: set serviceConnectConfiguration.namespace "
            "or the cluster's serviceConnectDefaults."
        )
    config["namespace"] = given
    cloudmap = servicediscovery_backends[ecs.account_id][ecs.region_name]
    namespace = _find_namespace(cloudmap, given)

    entries = config.get("services") or []
    port_names = _port_names(task_definition)
    discovery_names: list[str] = []
    endpoints: list[tuple[str, int]] = []
    for entry in entries:
        discovery, endpoint = _check_entry(entry, port_names, task_definition, namespace)
        if discovery in discovery_names:
            raise InvalidParameterException(f"The discoveryName '{discovery}' is used more than once.")
        if endpoint in endpoints:
            raise InvalidParameterException(f"The client alias '{endpoint[0]}:{endpoint[1]}' is used more than once.")
        discovery_names.append(discovery)
        endpoints.append(endpoint)
    _check_unique_in_namespace(ecs, cluster, service_name, namespace, discovery_names, endpoints)

    resources = [
        {"discoveryName": name, "discoveryArn": _cloud_map_service(cloudmap, namespace, name)}
        for name in discovery_names
    ]
    return ServiceConnect(config, namespace.id, resources, discovery_names, endpoints)


def check_ports(config: dict[str, Any], task_definition: TaskDefinition | None) -> None:
    """A configuration carried over to a new task definition must still find its ports there."""
    port_names = _port_names(task_definition)
    for entry in config.get("services") or []:
        _check_port(entry.get("portName"), port_names, task_definition)


def _find_namespace(cloudmap: ServiceDiscoveryBackend, given: str) -> Namespace:
    if given.startswith("arn:"):
        for namespace in cloudmap.namespaces.values():
            if namespace.arn == given:
                return namespace
        raise NamespaceNotFoundException(given)
    own = own_namespaces(cloudmap)
    named = [ns for ns in own if ns.name == given]
    if not named:
        named = [ns for ns in own if ns.http_properties.get("HttpName") == given]
    if not named:
        raise NamespaceNotFoundException(given)
    if len(named) > 1:
        raise InvalidParameterException(
            f"More than one namespace is named '{given}'; use the namespace ARN to say which."
        )
    return named[0]


def _port_names(task_definition: TaskDefinition | None) -> set[str]:
    if task_definition is None:
        return set()
    return {
        mapping["name"]
        for container in task_definition.container_definitions
        for mapping in container.get("portMappings") or []
        if mapping.get("name")
    }


def _check_port(port_name: Any, port_names: set[str], task_definition: TaskDefinition | None) -> None:
    if not port_name:
        raise InvalidParameterException("portName must be specified for each Service Connect service.")
    if port_name not in port_names:
        where = task_definition.arn if task_definition else "the service's task definition"
        raise InvalidParameterException(
            f"The portName '{port_name}' does not match the name of any portMappings in {where}."
        )


def _check_entry(
    entry: dict[str, Any], port_names: set[str], task_definition: TaskDefinition | None, namespace: Namespace
) -> tuple[str, tuple[str, int]]:
    """Checks one services[] entry; returns its discovery name and client endpoint."""
    _check_port(entry.get("portName"), port_names, task_definition)
    discovery = entry.get("discoveryName")
    if discovery is not None and not _DISCOVERY_NAME.match(discovery):
        raise InvalidParameterException(
            f"Invalid discoveryName '{discovery}': up to 64 characters of a-z, 0-9, '_' and '-', not starting with '-'."
        )
    aliases = entry.get("clientAliases") or []
    if len(aliases) != 1:
        raise InvalidParameterException("clientAliases must have 1 element.")
    alias = aliases[0]
    port = alias.get("port")
    if not isinstance(port, int) or not 0 <= port <= 65535:
        raise InvalidParameterException("clientAliases[].port must be between 0 and 65535.")
    dns_name = alias.get("dnsName")
    if dns_name is not None and not _DNS_NAME.match(dns_name):
        raise InvalidParameterException(
            f"Invalid dnsName '{dns_name}': up to 127 characters of a-z, 0-9, '_', '.' and '-', not starting with '-'."
        )
    ingress = entry.get("ingressPortOverride")
    if ingress is not None and ingress <= 1024:
        raise InvalidParameterException("IngressPortOverride cannot use ports <= 1024.")
    discovery = discovery or entry["portName"]
    return discovery, (dns_name or f"{discovery}.{namespace.name}", port)


def _check_unique_in_namespace(
    ecs: EC2ContainerServiceBackend,
    cluster: Cluster,
    service_name: str,
    namespace: Namespace,
    discovery_names: list[str],
    endpoints: list[tuple[str, int]],
) -> None:
    """Discovery names and endpoints belong to one ECS service per namespace, across clusters."""
    for other in ecs.services.values():
        if other.status != "ACTIVE" or (other.cluster_name == cluster.name and other.name == service_name):
            continue
        theirs: ServiceConnect | None = getattr(other, "service_connect", None)
        if theirs is None or theirs.namespace_id != namespace.id:
            continue
        for name in discovery_names:
            if name in theirs.discovery_names:
                raise InvalidParameterException(
                    f"The discoveryName '{name}' is already used in namespace {namespace.name} by service {other.arn}."
                )
        for endpoint in endpoints:
            if endpoint in theirs.endpoints:
                raise InvalidParameterException(
                    f"The client alias '{endpoint[0]}:{endpoint[1]}' is already used in namespace "
                    f"{namespace.name} by service {other.arn}."
                )


def _cloud_map_service(cloudmap: ServiceDiscoveryBackend, namespace: Namespace, name: str) -> str:
    """The ARN of the namespace's Cloud Map service of that name, made if there is none."""
    for existing in cloudmap.services.values():
        if existing.namespace_id == namespace.id and existing.name == name:
            return existing.arn
    made = cloudmap.create_service(
        name=name,
        namespace_id=namespace.arn,  # by ARN: the namespace may be shared with this account
        creator_request_id=str(uuid.uuid4()),
        description=None,
        dns_config=None,
        health_check_config=None,
        health_check_custom_config=None,
        tags=[dict(ECS_MANAGED_TAG)],
        service_type="HTTP",
    )
    return made.arn


def of(service: Service) -> ServiceConnect | None:
    """Service Connect of the service's PRIMARY deployment."""
    return getattr(service, "service_connect", None)
