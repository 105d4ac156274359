"""Cloud Map services with DNS records, and their instances, as AWS does them.

Sources: the Cloud Map API reference (CreateService, DnsConfig, DnsRecord, RegisterInstance,
DeregisterInstance, UpdateService, DiscoverInstances) and botocore's servicediscovery model
(2017-03-14), which carries the same texts and the constraints (patterns, ranges, enums).

Departures from moto fixed here (README.md lists them for users):
- CreateService checks the request as the model does (ServiceName pattern, DnsConfig enums, TTL
  range, the documented record type combinations, CNAME only with WEIGHTED and without a health
  check, not both health check kinds, no DNS records in an HTTP namespace or with Type HTTP);
  service names differing only by case collide in DNS namespaces; a CreatorRequestId already used
  for a service is ServiceAlreadyExists; GetService shows DnsConfig with RoutingPolicy and
  NamespaceId (moto: exactly what was sent);
- RegisterInstance updates an existing InstanceId (moto appends a duplicate), checks the
  attributes each record type requires (AWS_INSTANCE_IPV4 for A, ...) and refuses a second change
  to an instance while one is under way (DuplicateRequest); DeregisterInstance and UpdateService
  too; all three are asynchronous operations (cloudmap_operations) and take effect only when their
  operation succeeds, as on AWS (unless a test switches that off: control API
  `cloudmap/instance-changes`);
- UpdateService may change the TTLs, not the record types;
- Cloud Map writes the records of a DNS service in the namespace's hosted zone (route53): one
  record set per instance and record type, named <service>.<namespace>, SetIdentifier = instance
  id, MultiValueAnswer (MULTIVALUE) or Weight 1 (WEIGHTED), TTL from the DnsConfig; removed on
  deregistration, TTL rewritten on UpdateService;
- DiscoverInstances finds the namespace by HttpName (moto: Name) and ignores HealthStatus for
  services without a health check, returning every instance, as the reference says;
- DeleteService while a registration is under way is ResourceInUse.
"""

import copy
import ipaddress
import json
import re
from collections.abc import Callable
from typing import Any

from moto.route53.models import FakeZone, RecordSet
from moto.servicediscovery.models import Namespace, Service, ServiceDiscoveryBackend, ServiceInstance
from moto.servicediscovery.responses import ServiceDiscoveryResponse

from . import cloudmap, route53
from .cloudmap_errors import CloudMapError, DuplicateRequest, InvalidInput, ResourceInUse, ServiceAlreadyExists
from .cloudmap_operations import AsyncOperation

# Whether RegisterInstance, DeregisterInstance and UpdateService take effect only when their
# operation reaches SUCCESS (as on AWS: the default), or at once while the operation still walks
# its stages. Switched by the control API; reset to on.
_wait_for_operation = True


def timing() -> dict[str, bool]:
    return {"waitForOperation": _wait_for_operation}


def set_timing(body: Any) -> dict[str, bool]:
    global _wait_for_operation
    if not isinstance(body, dict) or not isinstance(body.get("waitForOperation"), bool):
        raise ValueError('instance changes take {"waitForOperation": true|false}')
    _wait_for_operation = body["waitForOperation"]
    return timing()


def reset() -> None:
    global _wait_for_operation
    _wait_for_operation = True


class InstanceNotFound(CloudMapError):
    status = 404

    def __init__(self, instance_id: str) -> None:
        super().__init__(f"Instance not found: {instance_id}")


# botocore servicediscovery model: ServiceName, InstanceId, AttrKey, AttrValue, RecordTTL.
_SERVICE_NAME = re.compile(
    r"((?=^.{1,127}$)^([a-zA-Z0-9_][a-zA-Z0-9-_]{0,61}[a-zA-Z0-9_]|[a-zA-Z0-9])"
    r"(\.([a-zA-Z0-9_][a-zA-Z0-9-_]{0,61}[a-zA-Z0-9_]|[a-zA-Z0-9]))*$)|(^\.$)"
)
_INSTANCE_ID = re.compile(r"^[0-9a-zA-Z_/:.@-]{1,64}$")
_ATTR_KEY = re.compile(r"^[a-zA-Z0-9!-~]{1,255}$")
_ATTR_VALUE = re.compile(r"^([a-zA-Z0-9!-~][ \ta-zA-Z0-9!-~]*){0,1}[a-zA-Z0-9!-~]{0,1}$")
_TTL_MAX = 2147483647
_ROUTING_POLICIES = ("MULTIVALUE", "WEIGHTED")
_RECORD_TYPES = ("SRV", "A", "AAAA", "CNAME")
# DnsRecord.Type: "You can specify values for Type in the following combinations".
_RECORD_COMBINATIONS = ({"A"}, {"AAAA"}, {"A", "AAAA"}, {"SRV"}, {"CNAME"})
# RegisterInstance.Attributes: "You can add up to 30 custom attributes ... The total size of all
# provided attributes (sum of all keys and values) must not exceed 5,000 characters."
_RESERVED = {
    "AWS_ALIAS_DNS_NAME",
    "AWS_EC2_INSTANCE_ID",
    "AWS_INIT_HEALTH_STATUS",
    "AWS_INSTANCE_CNAME",
    "AWS_INSTANCE_IPV4",
    "AWS_INSTANCE_IPV6",
    "AWS_INSTANCE_PORT",
}
_MAX_CUSTOM_ATTRIBUTES = 30
_MAX_ATTRIBUTES_SIZE = 5000


def _invalid(path: str, value: Any, constraint: str) -> InvalidInput:
    return InvalidInput(
        f"1 validation error detected: Value '{value}' at '{path}' failed to satisfy constraint: {constraint}"
    )


# ---------------------------------------------------------------------------------------------
# CreateService


def _check_dns_records(records: Any, path: str) -> list[dict[str, Any]]:
    if not isinstance(records, list) or not records:
        raise InvalidInput(f"{path} must contain at least one DnsRecord")
    for i, record in enumerate(records):
        record_type = (record or {}).get("Type")
        ttl = (record or {}).get("TTL")
        if record_type is None:
            raise _invalid(f"{path}.{i + 1}.member.type", None, "Member must not be null")
        if record_type not in _RECORD_TYPES:
            raise _invalid(
                f"{path}.{i + 1}.member.type", record_type, "Member must satisfy enum value set: [SRV, A, AAAA, CNAME]"
            )
        if ttl is None:
            raise _invalid(f"{path}.{i + 1}.member.TTL", None, "Member must not be null")
        if not isinstance(ttl, int) or isinstance(ttl, bool) or not 0 <= ttl <= _TTL_MAX:
            raise _invalid(f"{path}.{i + 1}.member.TTL", ttl, f"Member must have value between 0 and {_TTL_MAX}")
    types = [r["Type"] for r in records]
    if len(set(types)) != len(types) or set(types) not in _RECORD_COMBINATIONS:
        raise InvalidInput(
            f"DnsRecords types {types} are not a supported combination: A, AAAA, A and AAAA, SRV, or CNAME"
        )
    return records


def check_create_service(backend: ServiceDiscoveryBackend, params: dict[str, Any]) -> None:
    """CreateService's request, checked as AWS does before anything is made."""
    name = params.get("Name")
    if name is None:
        raise _invalid("name", None, "Member must not be null")
    if not _SERVICE_NAME.match(name):
        raise _invalid("name", name, f"Member must satisfy regular expression pattern: {_SERVICE_NAME.pattern}")
    dns_config = params.get("DnsConfig")
    health = params.get("HealthCheckConfig")
    if health is not None and params.get("HealthCheckCustomConfig") is not None:
        raise InvalidInput("You can specify either HealthCheckCustomConfig or HealthCheckConfig but not both")
    top_ns, dns_ns = params.get("NamespaceId"), (dns_config or {}).get("NamespaceId")
    if top_ns and dns_ns and cloudmap._resource_id(top_ns, "namespace") != dns_ns:
        raise InvalidInput("NamespaceId and DnsConfig.NamespaceId name different namespaces")
    namespace = cloudmap.get_namespace(backend, top_ns or dns_ns)
    if dns_config is not None:
        if namespace.type == "HTTP":
            raise InvalidInput("DnsConfig can't be specified for a service in an HTTP namespace")
        if params.get("Type") == "HTTP":
            raise InvalidInput("DnsConfig can't be specified for a service of Type HTTP")
        policy = dns_config.get("RoutingPolicy")
        if policy is not None and policy not in _ROUTING_POLICIES:
            raise _invalid(
                "dnsConfig.routingPolicy", policy, "Member must satisfy enum value set: [MULTIVALUE, WEIGHTED]"
            )
        records = _check_dns_records(dns_config.get("DnsRecords"), "dnsConfig.dnsRecords")
        if any(r["Type"] == "CNAME" for r in records):
            if (policy or "MULTIVALUE") != "WEIGHTED":
                raise InvalidInput("A CNAME record requires the WEIGHTED routing policy")
            if health is not None:
                raise InvalidInput("You can't specify both CNAME for Type and settings for HealthCheckConfig")
    creator = params.get("CreatorRequestId")
    for existing in backend.services.values():
        same_dns_name = (
            namespace.type != "HTTP" and existing.namespace_id == namespace.id and existing.name.lower() == name.lower()
        )
        if same_dns_name or (creator and existing.creator_request_id == creator):
            raise ServiceAlreadyExists(existing.id, existing.arn, existing.creator_request_id)


def create_service_response(self: ServiceDiscoveryResponse) -> str:
    check_create_service(self.servicediscovery_backend, json.loads(self.body or "{}"))
    return _previous[(ServiceDiscoveryResponse, "create_service")](self)


def create_service(
    self: ServiceDiscoveryBackend, name: str, namespace_id: str, creator_request_id: str, **kwargs: Any
) -> Service:
    dns_config = kwargs.get("dns_config")
    service = _previous[(ServiceDiscoveryBackend, "create_service")](
        self, name, namespace_id, creator_request_id, **kwargs
    )
    if dns_config is not None:
        # GetService shows the routing policy (MULTIVALUE when none was given) and the namespace.
        stored = copy.deepcopy(dns_config)
        stored.setdefault("NamespaceId", service.namespace_id)
        stored.setdefault("RoutingPolicy", "MULTIVALUE")
        service.dns_config = stored
    return service


# ---------------------------------------------------------------------------------------------
# Operations on instances and services


def _unfinished(backend: ServiceDiscoveryBackend) -> list[AsyncOperation]:
    """Operations of this module whose change has not happened yet (none unless changes wait for
    their operation: a change made at once is not under way any more)."""
    return [
        op
        for op in backend.operations.values()
        if isinstance(op, AsyncOperation) and not op.done and getattr(op, "change_pending", False)
    ]


def _refuse_concurrent(backend: ServiceDiscoveryBackend, service: Service, instance_id: str | None) -> None:
    """One change to an instance (or to the service) at a time (RegisterInstance: "One
    RegisterInstance request must complete before you can submit another request and specify the
    same service ID and instance ID")."""
    for op in _unfinished(backend):
        if op.targets.get("SERVICE") != service.id:
            continue
        if instance_id is None and op.operation_type == "UPDATE_SERVICE":
            raise DuplicateRequest(op.request_type, op.id)
        if instance_id is not None and op.targets.get("INSTANCE") == instance_id:
            raise DuplicateRequest(op.request_type, op.id)


def _run(
    backend: ServiceDiscoveryBackend,
    op_type: str,
    request_type: str,
    service: Service,
    instance_id: str | None,
    change: Callable[[], None],
) -> str:
    targets = {"SERVICE": service.id}
    if instance_id is not None:
        targets["INSTANCE"] = instance_id
    deferred = _wait_for_operation
    if not deferred:
        change()
    operation = AsyncOperation(
        op_type,
        targets,
        backend.account_id,
        on_success=change if deferred else None,
        request_type=request_type,
    )
    operation.change_pending = deferred  # type: ignore[attr-defined]
    backend.operations[operation.id] = operation
    operation.start()
    return operation.id


def _namespace_of(backend: ServiceDiscoveryBackend, service: Service) -> Namespace | None:
    return backend.namespaces.get(service.namespace_id)


def _record_types(service: Service) -> set[str]:
    return {r.get("Type") for r in ((service.dns_config or {}).get("DnsRecords") or [])}


def _check_attributes(backend: ServiceDiscoveryBackend, service: Service, attributes: dict[str, str]) -> None:
    for key, value in attributes.items():
        if not isinstance(key, str) or not _ATTR_KEY.match(key):
            raise _invalid(
                "attributes",
                key,
                "Map keys must satisfy constraint: [Member must have length less than or equal to 255]",
            )
        if not isinstance(value, str) or len(value) > 1024 or not _ATTR_VALUE.match(value):
            raise _invalid(f"attributes.{key}", value, "Member must have length less than or equal to 1024")
    custom = [k for k in attributes if k not in _RESERVED]
    if len(custom) > _MAX_CUSTOM_ATTRIBUTES:
        raise InvalidInput(f"An instance can have at most {_MAX_CUSTOM_ATTRIBUTES} custom attributes")
    if sum(len(k) + len(v) for k, v in attributes.items()) > _MAX_ATTRIBUTES_SIZE:
        raise InvalidInput(f"The total size of the attributes must not exceed {_MAX_ATTRIBUTES_SIZE} characters")
    ipv4, ipv6 = attributes.get("AWS_INSTANCE_IPV4"), attributes.get("AWS_INSTANCE_IPV6")
    if ipv4 is not None:
        try:
            ipaddress.IPv4Address(ipv4)
        except ValueError:
            raise InvalidInput(f"AWS_INSTANCE_IPV4 is not a valid IPv4 address: {ipv4}") from None
    if ipv6 is not None:
        try:
            ipaddress.IPv6Address(ipv6)
        except ValueError:
            raise InvalidInput(f"AWS_INSTANCE_IPV6 is not a valid IPv6 address: {ipv6}") from None
    port = attributes.get("AWS_INSTANCE_PORT")
    if port is not None and not (port.isdigit() and 0 <= int(port) <= 65535):
        raise InvalidInput(f"AWS_INSTANCE_PORT is not a valid port: {port}")
    namespace = _namespace_of(backend, service)
    if "AWS_EC2_INSTANCE_ID" in attributes and namespace is not None and namespace.type != "HTTP":
        raise InvalidInput("AWS_EC2_INSTANCE_ID can be specified only for services in HTTP namespaces")
    types = _record_types(service)
    policy = (service.dns_config or {}).get("RoutingPolicy", "MULTIVALUE")
    if "AWS_ALIAS_DNS_NAME" in attributes:
        if not types & {"A", "AAAA"} or policy != "WEIGHTED":
            raise InvalidInput(
                "AWS_ALIAS_DNS_NAME requires a service with A or AAAA records and the WEIGHTED routing policy"
            )
        if any(k.startswith("AWS_INSTANCE_") for k in attributes):
            raise InvalidInput("AWS_ALIAS_DNS_NAME can't be specified together with AWS_INSTANCE attributes")
        return
    if "A" in types and ipv4 is None:
        raise InvalidInput("AWS_INSTANCE_IPV4 is required: the service has an A record")
    if "AAAA" in types and ipv6 is None:
        raise InvalidInput("AWS_INSTANCE_IPV6 is required: the service has an AAAA record")
    if "SRV" in types and ipv4 is None and ipv6 is None:
        raise InvalidInput("AWS_INSTANCE_IPV4 or AWS_INSTANCE_IPV6 is required: the service has an SRV record")
    if ("SRV" in types or service.health_check_config) and port is None:
        raise InvalidInput("AWS_INSTANCE_PORT is required: the service has an SRV record or a health check")
    if "CNAME" in types and "AWS_INSTANCE_CNAME" not in attributes:
        raise InvalidInput("AWS_INSTANCE_CNAME is required: the service has a CNAME record")


def register_instance(
    self: ServiceDiscoveryBackend,
    service_id: str,
    instance_id: str,
    creator_request_id: str,
    attributes: dict[str, str],
) -> str:
    service = cloudmap.get_service(self, service_id)
    if instance_id is None or not _INSTANCE_ID.match(instance_id):
        raise _invalid(
            "instanceId", instance_id, "Member must satisfy regular expression pattern: ^[0-9a-zA-Z_/:.@-]+$"
        )
    if attributes is None:
        raise _invalid("attributes", None, "Member must not be null")
    _check_attributes(self, service, attributes)
    _refuse_concurrent(self, service, instance_id)

    def upsert() -> None:
        instance = ServiceInstance(service.id, instance_id, creator_request_id, dict(attributes))
        for i, existing in enumerate(service.instances):
            if existing.instance_id == instance_id:
                # "If you specify an existing InstanceId and ServiceId, Cloud Map updates the
                # existing DNS records" (and makes its health check again: status starts afresh).
                service.instances[i] = instance
                break
        else:
            service.instances.append(instance)
        service.instances_revision[instance_id] = service.instances_revision.get(instance_id, 0) + 1
        sync_records(self, service)

    return _run(self, "REGISTER_INSTANCE", "RegisterInstance", service, instance_id, upsert)


def deregister_instance(self: ServiceDiscoveryBackend, service_id: str, instance_id: str) -> str:
    service = cloudmap.get_service(self, service_id)
    _refuse_concurrent(self, service, instance_id)
    if not any(i.instance_id == instance_id for i in service.instances):
        raise InstanceNotFound(instance_id)

    def remove() -> None:
        service.instances[:] = [i for i in service.instances if i.instance_id != instance_id]
        service.instances_revision[instance_id] = service.instances_revision.get(instance_id, 0) + 1
        sync_records(self, service)

    return _run(self, "DEREGISTER_INSTANCE", "DeregisterInstance", service, instance_id, remove)


def update_service(self: ServiceDiscoveryBackend, service_id: str, details: dict[str, Any]) -> str:
    service = cloudmap.get_service(self, service_id)
    details = details or {}
    namespace = _namespace_of(self, service)
    if namespace is not None and namespace.type == "HTTP":
        # UpdateService: "You can't call UpdateService and update settings ... When the service is
        # associated with an HTTP namespace".
        raise InvalidInput("UpdateService can't update a service in an HTTP namespace")
    change = details.get("DnsConfig")
    if change is not None:
        records = _check_dns_records(change.get("DnsRecords"), "service.dnsConfig.dnsRecords")
        old = sorted(_record_types(service))
        if sorted(r["Type"] for r in records) != old:
            raise InvalidInput(
                f"The record types of a service can't be changed (it has {old}); delete the service and create it again"
            )
    _refuse_concurrent(self, service, None)

    def apply() -> None:
        kept = copy.deepcopy(service.dns_config)
        Service.update(service, details)
        if kept is not None and service.dns_config is not None:
            kept["DnsRecords"] = service.dns_config["DnsRecords"]
            service.dns_config = kept
        sync_records(self, service)

    return _run(self, "UPDATE_SERVICE", "UpdateService", service, None, apply)


def _refuse_delete_while_registering(backend: ServiceDiscoveryBackend, service: Service) -> None:
    for op in _unfinished(backend):
        if op.targets.get("SERVICE") == service.id and op.operation_type == "REGISTER_INSTANCE":
            raise ResourceInUse(
                "Service contains registered instances; delete the instances before deleting the service"
            )


# ---------------------------------------------------------------------------------------------
# Route 53 records


def _zone(backend: ServiceDiscoveryBackend, namespace: Namespace) -> FakeZone | None:
    zone_id = namespace.dns_properties.get("HostedZoneId")
    if not zone_id:
        return None
    return route53._backend(cloudmap.owner_of(namespace), backend.region_name).zones.get(zone_id)


def _records_for(service: Service, namespace: Namespace, instance: ServiceInstance) -> list[dict[str, Any]]:
    dns = service.dns_config or {}
    attributes = instance.attributes
    if "AWS_ALIAS_DNS_NAME" in attributes:
        return []  # alias records are not modelled
    name = f"{service.name}.{namespace.name}."
    policy = dns.get("RoutingPolicy", "MULTIVALUE")
    routing: dict[str, Any] = {"SetIdentifier": instance.instance_id}
    routing.update({"MultiValueAnswer": True} if policy == "MULTIVALUE" else {"Weight": 1})
    host = f"{instance.instance_id}.{service.name}.{namespace.name}."
    values = {
        "A": attributes.get("AWS_INSTANCE_IPV4"),
        "AAAA": attributes.get("AWS_INSTANCE_IPV6"),
        "CNAME": attributes.get("AWS_INSTANCE_CNAME"),
        "SRV": f"1 1 {attributes.get('AWS_INSTANCE_PORT')} {host.rstrip('.')}",
    }
    out = []
    for record in dns.get("DnsRecords") or []:
        value = values.get(record["Type"])
        if value is None:
            continue
        out.append({"Name": name, "Type": record["Type"], "TTL": record["TTL"], "ResourceRecords": [value], **routing})
        if record["Type"] == "SRV":
            # "Cloud Map automatically creates A and/or AAAA records that have the same name as
            # the value of service-hostname in the SRV record."
            for kind in ("A", "AAAA"):
                if values[kind] is not None:
                    out.append({"Name": host, "Type": kind, "TTL": record["TTL"], "ResourceRecords": [values[kind]]})
    return out


def sync_records(backend: ServiceDiscoveryBackend, service: Service) -> None:
    """The zone's records for this service, made again from its instances and DnsConfig."""
    namespace = _namespace_of(backend, service)
    zone = _zone(backend, namespace) if namespace is not None else None
    if zone is None:
        return
    zone.rrsets = [rs for rs in zone.rrsets if getattr(rs, "cloudmap_service_id", None) != service.id]
    if not service.dns_config:
        return
    for instance in service.instances:
        for record in _records_for(service, namespace, instance):  # type: ignore[arg-type]
            record_set = RecordSet(record)
            record_set.cloudmap_service_id = service.id  # type: ignore[attr-defined]
            zone.rrsets.append(record_set)


# ---------------------------------------------------------------------------------------------
# DiscoverInstances


def _has_health_check(service: Service) -> bool:
    return bool(service.health_check_config) or service.health_check_custom_config is not None


def discover_instances(
    self: ServiceDiscoveryBackend,
    namespace_name: str,
    service_name: str,
    query_parameters: dict[str, str] | None = None,
    optional_parameters: dict[str, str] | None = None,
    health_status: str | None = None,
) -> tuple[list[ServiceInstance], dict[str, int]]:
    # NamespaceName is the namespace's HttpName (moto matches Name, which differs for a private
    # name reused in another VPC).
    if health_status is not None and health_status not in ("HEALTHY", "UNHEALTHY", "ALL", "HEALTHY_OR_ELSE_ALL"):
        raise InvalidInput("Invalid health status")
    by_http_name = [ns for ns in self.namespaces.values() if ns.http_properties.get("HttpName") == namespace_name]
    if by_http_name:
        candidates = [
            s for s in self.services.values() if s.name == service_name and s.namespace_id == by_http_name[0].id
        ]
        # "This parameter is ignored for services that don't have a health check configured,
        # and all instances are returned."
        if candidates and not _has_health_check(candidates[0]):
            health_status = "ALL"
        if candidates:
            instances = candidates[0].instances
            found = self._filter_instances(instances, query_parameters, optional_parameters, health_status)
            revisions = {i.instance_id: candidates[0].instances_revision.get(i.instance_id, 0) for i in found}
            return found, revisions
    return _previous[(ServiceDiscoveryBackend, "discover_instances")](
        self, namespace_name, service_name, query_parameters, optional_parameters, health_status
    )


# ---------------------------------------------------------------------------------------------

_previous: dict[tuple[type, str], Any] = {}


def _wrap(cls: type, name: str, replacement: Callable[..., Any]) -> None:
    """Replaces what is installed now (moto's or an earlier patch), keeping it to delegate to."""
    if (cls, name) not in _previous:
        _previous[(cls, name)] = getattr(cls, name)
    setattr(cls, name, replacement)


def install() -> None:
    backend = ServiceDiscoveryBackend
    _wrap(ServiceDiscoveryResponse, "create_service", create_service_response)
    _wrap(backend, "create_service", create_service)
    _wrap(backend, "register_instance", register_instance)
    _wrap(backend, "deregister_instance", deregister_instance)
    _wrap(backend, "update_service", update_service)
    _wrap(backend, "discover_instances", discover_instances)
    cloudmap.before_delete_service(_refuse_delete_while_registering)
