"""ECS Service Connect: validating a serviceConnectConfiguration and the Cloud Map side of it.

AWS checks the configuration when CreateService/UpdateService is called (moto accepts anything
and drops it): the namespace must exist, every portName must name a port mapping of the task
definition, names follow the documented patterns, each services[] entry has exactly one client
alias, ingressPortOverride is above 1024, and discovery names and client endpoints are unique in
the namespace across all ECS services using it. The other members (logConfiguration,
accessLogConfiguration, per entry tls and timeout) are checked against botocore's ECS model
(required members, enums, ranges) and the few rules AWS documents for them; everything is then
stored, and echoed by DescribeServices, exactly as sent. For each services[] entry ECS then uses (or
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

# Enums and ranges of botocore's ECS model (botocore/data/ecs/2014-11-13/service-2.json, checked
# against botocore 1.44.8): ServiceConnectAccessLoggingFormat, ServiceConnectIncludeQueryParameters,
# Duration (TimeoutConfiguration's two members). The model's LogDriver enum (json-file, syslog,
# journald, gelf, fluentd, awslogs, splunk, awsfirelens) is NOT enforced: users report ECS
# accepting other Docker log drivers in the same LogConfiguration shape of task definitions
# ("none": aws/aws-cdk#35795, "accepted by ECS for EC2-based tasks"; "sumologic":
# aws-cloudformation/cfn-lint#3933), so a value outside it is not known to be refused.
ACCESS_LOG_FORMATS = ("TEXT", "JSON")
INCLUDE_QUERY_PARAMETERS = ("DISABLED", "ENABLED")
DURATION_MAX = 2147483647
# PortMapping.appProtocol (ApplicationProtocol enum: http, http2, grpc). Left out, the port is TCP
# ("If you don't set a value for this parameter, then TCP is used", PortMapping in the API reference).
_REQUEST_PROTOCOLS = ("http", "http2", "grpc")


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
    # The model's constraints are checked whatever `enabled` says, as AWS validates a request
    # against its model before acting on it.
    _check_shapes(config)
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
        _check_timeout_protocol(entry, task_definition)


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


def _port_mapping(task_definition: TaskDefinition | None, port_name: str) -> dict[str, Any] | None:
    if task_definition is None:
        return None
    for container in task_definition.container_definitions:
        for mapping in container.get("portMappings") or []:
            if mapping.get("name") == port_name:
                return mapping
    return None


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
    _check_timeout_protocol(entry, task_definition)
    discovery = discovery or entry["portName"]
    return discovery, (dns_name or f"{discovery}.{namespace.name}", port)


def _check_timeout_protocol(entry: dict[str, Any], task_definition: TaskDefinition | None) -> None:
    """TimeoutConfiguration (botocore): "perRequestTimeout can only be set if Service Connect
    appProtocol isn't TCP. Only idleTimeout is allowed for TCP appProtocol." Any value counts as
    set, 0 included: users report AWS answering InvalidParameterException "Per request timeout 0
    can't be set for tcp application." to a perRequestTimeoutSeconds of 0 on a TCP port
    (pulumi/pulumi-aws#4265); the text for other values is assumed to follow the same pattern."""
    per_request = (entry.get("timeout") or {}).get("perRequestTimeoutSeconds")
    if per_request is None:
        return
    mapping = _port_mapping(task_definition, entry.get("portName"))
    protocol = str((mapping or {}).get("appProtocol") or "").lower()
    if protocol not in _REQUEST_PROTOCOLS:
        raise InvalidParameterException(f"Per request timeout {per_request} can't be set for tcp application.")


# ---------------------------------------------------------------------------------------------
# The model's constraints on the other members (botocore's ECS model).
#
# AWS's exact texts for these are not known (none is documented or reported by users that we
# found). The messages follow the wording of AWS's request validation ("1 validation error
# detected: Value ... at '...' failed to satisfy constraint: ..."); the error name is
# InvalidParameterException, the one ECS declares for bad parameters. The paths in them are ours.
# That ECS enforces the two access log enums is not verified either (it must read them to set up
# the proxy's logs). Not checked, because AWS documents no rule that refuses them: the contents
# of logConfiguration.options (they depend on the log driver), the log driver's name (see the
# note on LogDriver above), an accessLogConfiguration without a logConfiguration (below), the
# form of secretOptions[].valueFrom, tls.kmsKey and tls.roleArn (whether they must be ARNs, and
# whether the role and key exist), issuerCertificateAuthority.awsPcaAuthorityArn (the model does
# not make it required), which log drivers a launch type supports, and idleTimeoutSeconds
# against perRequestTimeoutSeconds (documented as allowed: the idle timeout then wins).
# containerConfigurations and testTrafficRules are stored as sent, unchecked.


def _failed(path: str, value: Any, constraint: str) -> InvalidParameterException:
    shown = "null" if value is None else f"'{value}'"
    return InvalidParameterException(
        f"1 validation error detected: Value {shown} at 'serviceConnectConfiguration.{path}' "
        f"failed to satisfy constraint: {constraint}"
    )


def _not_null(path: str) -> InvalidParameterException:
    return _failed(path, None, "Member must not be null")


def _check_enum(path: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise _failed(path, value, f"Member must satisfy enum value set: [{', '.join(allowed)}]")


def _check_object(path: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _failed(path, value, "Member must be a structure")
    return value


def _check_shapes(config: dict[str, Any]) -> None:
    log = config.get("logConfiguration")
    if log is not None:
        _check_log_configuration(_check_object("logConfiguration", log))
    access = config.get("accessLogConfiguration")
    if access is not None:
        access = _check_object("accessLogConfiguration", access)
        if access.get("format") is None:
            raise _not_null("accessLogConfiguration.format")
        _check_enum("accessLogConfiguration.format", access["format"], ACCESS_LOG_FORMATS)
        if access.get("includeQueryParameters") is not None:
            _check_enum(
                "accessLogConfiguration.includeQueryParameters",
                access["includeQueryParameters"],
                INCLUDE_QUERY_PARAMETERS,
            )
        # ServiceConnectAccessLogConfiguration (botocore): "To enable access logs, you must also
        # specify a logConfiguration in the serviceConnectConfiguration." Not enforced: this
        # reads as what access logs need to reach anywhere, and that ECS refuses the request
        # without one is not documented or reported.
    for i, entry in enumerate(config.get("services") or []):
        if not isinstance(entry, dict):
            continue  # _check_entry reports it
        if entry.get("tls") is not None:
            _check_tls(f"services[{i}].tls", _check_object(f"services[{i}].tls", entry["tls"]))
        if entry.get("timeout") is not None:
            timeout = _check_object(f"services[{i}].timeout", entry["timeout"])
            for name in ("idleTimeoutSeconds", "perRequestTimeoutSeconds"):
                _check_duration(f"services[{i}].timeout.{name}", timeout.get(name))


def _check_log_configuration(log: dict[str, Any]) -> None:
    """LogConfiguration: logDriver required (any driver name: see the note on LogDriver above);
    options a map of strings; secretOptions a list of Secret, whose name and valueFrom are both
    required."""
    if log.get("logDriver") is None:
        raise _not_null("logConfiguration.logDriver")
    options = log.get("options")
    if options is not None and not (
        isinstance(options, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in options.items())
    ):
        raise _failed("logConfiguration.options", options, "Member must be a map of strings to strings")
    secrets = log.get("secretOptions")
    if secrets is None:
        return
    if not isinstance(secrets, list):
        raise _failed("logConfiguration.secretOptions", secrets, "Member must be a list")
    for i, secret in enumerate(secrets):
        path = f"logConfiguration.secretOptions[{i}]"
        secret = _check_object(path, secret)
        for name in ("name", "valueFrom"):
            if secret.get(name) is None:
                raise _not_null(f"{path}.{name}")


def _check_tls(path: str, tls: dict[str, Any]) -> None:
    """ServiceConnectTlsConfiguration: issuerCertificateAuthority required (a
    ServiceConnectTlsCertificateAuthority, whose awsPcaAuthorityArn the model leaves optional:
    not required here either); kmsKey and roleArn optional strings."""
    if tls.get("issuerCertificateAuthority") is None:
        raise _not_null(f"{path}.issuerCertificateAuthority")
    _check_object(f"{path}.issuerCertificateAuthority", tls["issuerCertificateAuthority"])


def _check_duration(path: str, value: Any) -> None:
    """Duration: an integer from 0 to 2147483647 (0 turns the timeout off)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise _failed(path, value, "Member must be an integer")
    if value < 0:
        raise _failed(path, value, "Member must have value greater than or equal to 0")
    if value > DURATION_MAX:
        raise _failed(path, value, f"Member must have value less than or equal to {DURATION_MAX}")


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
