"""Cloud Map (servicediscovery) as AWS does it, on top of moto's backend.

Departures from moto fixed here (README.md lists them for users):
- namespace calls are asynchronous operations (cloudmap_operations) and take effect on SUCCESS;
- several private DNS namespaces per VPC; same name and VPC is NamespaceAlreadyExists; a name a
  VPC already resolves through another zone (associated later, or shared) fails the operation;
- a repeated CreatorRequestId is DuplicateRequest while its operation runs, and
  NamespaceAlreadyExists once it has succeeded;
- DNS namespaces get a hosted zone named after them (route53), VPC associated, bare HostedZoneId,
  and UpdatePrivateDnsNamespace keeps it;
- ResourceInUse for a namespace with services or a service with instances; NotFound errors for
  unknown ids and ARNs, with the model's HTTP status;
- List* calls filter and page; summaries carry the members the model declares;
- namespaces shared from another account (cloudmap_sharing plants them) are listed with their
  owner as ResourceOwner, read by ARN only, and cannot be changed or deleted by this account.
Ids may also be given as ARNs, as the API allows.
"""

import copy
import json
import re
import string
from collections.abc import Callable
from typing import Any

from moto.core.utils import unix_time
from moto.moto_api._internal import mock_random as random
from moto.servicediscovery.models import Namespace, Service, ServiceDiscoveryBackend
from moto.servicediscovery.responses import ServiceDiscoveryResponse

from . import route53
from .cloudmap_errors import (
    AccessDeniedException,
    DuplicateRequest,
    InvalidInput,
    NamespaceAlreadyExists,
    NamespaceNotFound,
    OperationFailure,
    OperationNotFound,
    ResourceInUse,
    ResourceNotFoundException,
    ServiceAlreadyExists,
    ServiceNotFound,
)
from .cloudmap_listing import PAGING, FilterSpec, apply_filters
from .cloudmap_operations import AsyncOperation
from .patching import original, patch

_NAMESPACE_NAME = re.compile(r"^(?!arn:)[!-~]{1,1024}$")
_PRIVATE_NAME = re.compile(r"^(?!arn:)[!-~]{1,253}$")
_PUBLIC_NAME = re.compile(
    r"^([a-zA-Z0-9]([a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z0-9]([a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?$"
)
_REQUEST_TYPE = {
    "HTTP": "CreateHttpNamespace",
    "DNS_PRIVATE": "CreatePrivateDnsNamespace",
    "DNS_PUBLIC": "CreatePublicDnsNamespace",
}


def _resource_id(id_or_arn: str | None, kind: str) -> str:
    """The id in "arn:...:namespace/ns-x" or "ns-x" itself."""
    if id_or_arn and id_or_arn.startswith("arn:") and f":{kind}/" in id_or_arn:
        return id_or_arn.rsplit("/", 1)[-1]
    return id_or_arn or ""


def owner_of(namespace: Namespace) -> str:
    """The account that owns the namespace: the caller's own, or the one that shared it."""
    return namespace.arn.split(":")[4]


def is_shared(backend: ServiceDiscoveryBackend, namespace: Namespace) -> bool:
    """True for a namespace another account shared with this one (through AWS RAM)."""
    return owner_of(namespace) != backend.account_id


def own_namespaces(backend: ServiceDiscoveryBackend) -> list[Namespace]:
    return [ns for ns in backend.namespaces.values() if not is_shared(backend, ns)]


# ---------------------------------------------------------------------------------------------
# Backend: operations


def _start_operation(backend: ServiceDiscoveryBackend, operation: AsyncOperation) -> str:
    backend.operations[operation.id] = operation
    operation.start()
    return operation.id


def create_operation(self: ServiceDiscoveryBackend, op_type: str, targets: dict[str, str]) -> str:
    """moto's own operations (instances, service updates): their effect is already applied,
    but their status still walks SUBMITTED -> PENDING -> SUCCESS so pollers poll."""
    return _start_operation(self, AsyncOperation(op_type, targets, self.account_id))


def get_operation(self: ServiceDiscoveryBackend, operation_id: str) -> AsyncOperation:
    operation = self.operations.get(operation_id)
    if operation is None:
        raise OperationNotFound(operation_id)
    if isinstance(operation, AsyncOperation):
        operation.poll()
    return operation


def list_operations(self: ServiceDiscoveryBackend) -> list[AsyncOperation]:
    return list(self.operations.values())


def _pending(backend: ServiceDiscoveryBackend) -> list[AsyncOperation]:
    return [op for op in backend.operations.values() if isinstance(op, AsyncOperation) and not op.done]


# ---------------------------------------------------------------------------------------------
# Backend: namespaces


def _check_create(
    backend: ServiceDiscoveryBackend, name: str, ns_type: str, creator_request_id: str | None, vpc: str | None
) -> None:
    """The idempotency and uniqueness rules of Create*Namespace, checked before any work starts."""
    creates = [op for op in _pending(backend) if op.operation_type == "CREATE_NAMESPACE"]
    if creator_request_id:
        for op in creates:
            if op.creator_request_id == creator_request_id:
                raise DuplicateRequest(op.request_type, op.id)
        for namespace in own_namespaces(backend):
            if namespace.creator_request_id == creator_request_id:
                raise NamespaceAlreadyExists(namespace.id, namespace.creator_request_id)
    # Private DNS names are per VPC; HTTP and public names are per account and region.
    for op in creates:
        if op.namespace_name == name and (op.vpc == vpc or ns_type != "DNS_PRIVATE"):
            raise DuplicateRequest(op.request_type, op.id)
    for namespace in own_namespaces(backend):
        same_scope = namespace.vpc == vpc if ns_type == "DNS_PRIVATE" else namespace.type == ns_type
        if namespace.name == name and same_scope:
            raise NamespaceAlreadyExists(namespace.id, namespace.creator_request_id)


def _http_name(backend: ServiceDiscoveryBackend, name: str) -> str:
    """Every namespace has an HttpName for API discovery; AWS suffixes it when the name is taken
    (two private namespaces of one name in different VPCs)."""
    taken = {ns.http_properties.get("HttpName") for ns in own_namespaces(backend)}
    if name not in taken:
        return name
    suffix = "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(16))
    return f"{name}-{suffix}"


def _create_namespace(
    backend: ServiceDiscoveryBackend,
    name: str,
    ns_type: str,
    creator_request_id: str | None,
    description: str | None,
    tags: list[dict[str, str]] | None,
    properties: dict[str, Any] | None,
    vpc: str | None = None,
) -> str:
    _check_create(backend, name, ns_type, creator_request_id, vpc)
    dns_properties = copy.deepcopy((properties or {}).get("DnsProperties") or {})
    namespace = Namespace(
        account_id=backend.account_id,
        region=backend.region_name,
        name=name,
        ns_type=ns_type,
        creator_request_id=creator_request_id,  # type: ignore[arg-type]
        description=description,  # type: ignore[arg-type]
        dns_properties=dns_properties,
        http_properties={},
        vpc=vpc,
    )

    def bring_into_being() -> None:
        if ns_type == "DNS_PRIVATE" and vpc is not None:
            taken = route53.private_zone_in_vpc(backend.region_name, name, vpc)
            if taken is not None:
                # The namespace's zone cannot be associated with a VPC that a zone of the same
                # name already serves: the operation fails (real-aws-semantics.md; the code is
                # terraform-provider-aws's, the message ours).
                raise OperationFailure(
                    "CANNOT_CREATE_HOSTED_ZONE",
                    f"ConflictingDomainExists: the VPC {vpc} is already associated with a private hosted "
                    f"zone named {name} ({taken.id}).",
                )
        if ns_type != "HTTP":
            zone = route53.create_namespace_zone(backend.account_id, backend.region_name, name, namespace.arn, vpc)
            namespace.dns_properties["HostedZoneId"] = zone.resource_id
        namespace.http_properties = {"HttpName": _http_name(backend, name)}
        namespace.created = namespace.updated = unix_time()
        backend.namespaces[namespace.id] = namespace
        if tags:
            backend.tagger.tag_resource(namespace.arn, tags)

    operation = AsyncOperation(
        "CREATE_NAMESPACE",
        {"NAMESPACE": namespace.id},
        backend.account_id,
        on_success=bring_into_being,
        affects_namespace=True,
        request_type=_REQUEST_TYPE[ns_type],
        creator_request_id=creator_request_id,
        namespace_name=name,
        vpc=vpc,
    )
    return _start_operation(backend, operation)


def create_http_namespace(
    self: ServiceDiscoveryBackend, name: str, creator_request_id: str, description: str, tags: list[dict[str, str]]
) -> str:
    if not name or not _NAMESPACE_NAME.match(name):
        raise InvalidInput(f"Invalid namespace name: {name!r}")
    return _create_namespace(self, name, "HTTP", creator_request_id, description, tags, None)


def create_private_dns_namespace(
    self: ServiceDiscoveryBackend,
    name: str,
    creator_request_id: str,
    description: str,
    vpc: str,
    tags: list[dict[str, str]],
    properties: dict[str, Any],
) -> str:
    if not name or not _PRIVATE_NAME.match(name):
        raise InvalidInput(f"Invalid namespace name: {name!r}")
    if not vpc:
        raise InvalidInput("Vpc is required for a private DNS namespace")
    return _create_namespace(self, name, "DNS_PRIVATE", creator_request_id, description, tags, properties, vpc)


def create_public_dns_namespace(
    self: ServiceDiscoveryBackend,
    name: str,
    creator_request_id: str,
    description: str,
    tags: list[dict[str, str]],
    properties: dict[str, Any],
) -> str:
    if not name or not _PUBLIC_NAME.match(name):
        raise InvalidInput(f"Invalid namespace name: {name!r}")
    return _create_namespace(self, name, "DNS_PUBLIC", creator_request_id, description, tags, properties)


def get_namespace(self: ServiceDiscoveryBackend, namespace_id: str) -> Namespace:
    """By id or ARN. A namespace shared with this account is found by its ARN only: the API
    reference says to give the ARN for shared namespaces."""
    namespace = self.namespaces.get(_resource_id(namespace_id, "namespace"))
    if namespace is None:
        raise NamespaceNotFound(namespace_id)
    by_arn = (namespace_id or "").startswith("arn:")
    if (by_arn and namespace.arn != namespace_id) or (not by_arn and is_shared(self, namespace)):
        raise NamespaceNotFound(namespace_id)
    return namespace


def _own_namespace(backend: ServiceDiscoveryBackend, namespace_id: str, action: str) -> Namespace:
    """A namespace this account may change: a shared one belongs to its owner."""
    namespace = get_namespace(backend, namespace_id)
    if is_shared(backend, namespace):
        raise AccessDeniedException(backend.account_id, action, namespace.arn)
    return namespace


def _services_in(backend: ServiceDiscoveryBackend, namespace_id: str) -> list[Service]:
    return [s for s in backend.services.values() if s.namespace_id == namespace_id]


def _refuse_concurrent_change(backend: ServiceDiscoveryBackend, namespace: Namespace) -> None:
    for op in _pending(backend):
        if op.targets.get("NAMESPACE") == namespace.id:
            raise DuplicateRequest(op.request_type, op.id)


def delete_namespace(self: ServiceDiscoveryBackend, namespace_id: str) -> str:
    namespace = _own_namespace(self, namespace_id, "DeleteNamespace")
    _refuse_concurrent_change(self, namespace)

    def ensure_empty() -> None:
        if _services_in(self, namespace.id):
            raise ResourceInUse("Namespace has associated services; delete them before deleting the namespace")

    ensure_empty()

    def remove() -> None:
        ensure_empty()
        self.namespaces.pop(namespace.id, None)
        zone_id = namespace.dns_properties.get("HostedZoneId")
        if zone_id:
            route53.delete_namespace_zone(self.account_id, self.region_name, zone_id)
        self.tagger.delete_all_tags_for_resource(namespace.arn)

    operation = AsyncOperation(
        "DELETE_NAMESPACE",
        {"NAMESPACE": namespace.id},
        self.account_id,
        on_success=remove,
        affects_namespace=True,
        request_type="DeleteNamespace",
    )
    return _start_operation(self, operation)


def _update_namespace(
    backend: ServiceDiscoveryBackend,
    namespace_id: str,
    description: str | None,
    soa: dict[str, Any] | None,
    request_type: str,
) -> str:
    namespace = _own_namespace(backend, namespace_id, request_type)
    _refuse_concurrent_change(backend, namespace)

    def apply() -> None:
        if description is not None:
            namespace.description = description
        if soa is not None:
            # Only SOA is mutable; HostedZoneId (which moto drops here) stays.
            namespace.dns_properties["SOA"] = copy.deepcopy(soa)
        namespace.updated = unix_time()

    operation = AsyncOperation(
        "UPDATE_NAMESPACE",
        {"NAMESPACE": namespace.id},
        backend.account_id,
        on_success=apply,
        affects_namespace=True,
        request_type=request_type,
    )
    return _start_operation(backend, operation)


def update_http_namespace(
    self: ServiceDiscoveryBackend, _id: str, namespace_dict: dict[str, Any], updater_request_id: str | None = None
) -> str:
    if "Description" not in (namespace_dict or {}):
        raise InvalidInput("Namespace.Description is required")
    return _update_namespace(self, _id, namespace_dict["Description"], None, "UpdateHttpNamespace")


def update_private_dns_namespace(
    self: ServiceDiscoveryBackend, _id: str, description: str | None, properties: dict[str, Any] | None
) -> str:
    soa = (properties or {}).get("SOA")
    return _update_namespace(self, _id, description, soa, "UpdatePrivateDnsNamespace")


def update_public_dns_namespace(
    self: ServiceDiscoveryBackend, _id: str, description: str | None, properties: dict[str, Any] | None
) -> str:
    soa = (properties or {}).get("SOA")
    return _update_namespace(self, _id, description, soa, "UpdatePublicDnsNamespace")


# ---------------------------------------------------------------------------------------------
# Backend: services and tags


def create_service(
    self: ServiceDiscoveryBackend, name: str, namespace_id: str, creator_request_id: str, **kwargs: Any
) -> Service:
    dns_config = kwargs.get("dns_config")
    namespace_id = namespace_id or (dns_config or {}).get("NamespaceId")
    namespace = get_namespace(self, namespace_id)
    for existing in _services_in(self, namespace.id):
        if existing.name == name:
            raise ServiceAlreadyExists(existing.id, existing.arn, existing.creator_request_id)
    if kwargs.get("service_type") is None:
        kwargs["service_type"] = "DNS_HTTP" if dns_config else "HTTP"
    service = original(ServiceDiscoveryBackend, "create_service")(
        self, name, namespace.id, creator_request_id, **kwargs
    )
    service.resource_owner = owner_of(namespace)  # the namespace's owner (Service.ResourceOwner)
    service.created_by_account = self.account_id
    return service


def created_by(service: Service) -> str:
    return getattr(service, "created_by_account", service.account_id)


# Called with (backend, service) before DeleteService checks for instances: ECS lets the time
# a caller spends waiting for the service to be free pass (rollouts.let_time_pass).
_before_delete_service: list[Callable[[ServiceDiscoveryBackend, Service], None]] = []


def before_delete_service(hook: Callable[[ServiceDiscoveryBackend, Service], None]) -> None:
    if hook not in _before_delete_service:
        _before_delete_service.append(hook)


def delete_service(self: ServiceDiscoveryBackend, service_id: str) -> None:
    service = self.get_service(service_id)
    if created_by(service) != self.account_id:
        raise AccessDeniedException(self.account_id, "DeleteService", service.arn)
    for hook in _before_delete_service:
        hook(self, service)
    if service.instances:
        raise ResourceInUse("Service contains registered instances; delete the instances before deleting the service")
    self.services.pop(service.id)
    self.tagger.delete_all_tags_for_resource(service.arn)


def get_service(self: ServiceDiscoveryBackend, service_id: str) -> Service:
    service = self.services.get(_resource_id(service_id, "service"))
    if service is None:
        raise ServiceNotFound(service_id)
    return service


def _require_resource(backend: ServiceDiscoveryBackend, arn: str) -> None:
    known = {ns.arn for ns in backend.namespaces.values()} | {s.arn for s in backend.services.values()}
    if arn not in known:
        raise ResourceNotFoundException(arn)


def tag_resource(self: ServiceDiscoveryBackend, resource_arn: str, tags: list[dict[str, str]]) -> None:
    _require_resource(self, resource_arn)
    self.tagger.tag_resource(resource_arn, tags)


def untag_resource(self: ServiceDiscoveryBackend, resource_arn: str, tag_keys: list[str]) -> None:
    _require_resource(self, resource_arn)
    self.tagger.untag_resource_using_names(resource_arn, tag_keys)


def list_tags_for_resource(self: ServiceDiscoveryBackend, resource_arn: str) -> dict[str, list[dict[str, str]]]:
    _require_resource(self, resource_arn)
    return self.tagger.list_tags_for_resource(resource_arn)


# ---------------------------------------------------------------------------------------------
# Shapes the model declares (moto's to_json misses some members)


def namespace_json(backend: ServiceDiscoveryBackend, namespace: Namespace, summary: bool = False) -> dict[str, Any]:
    dns = {k: v for k, v in namespace.dns_properties.items() if v not in (None, {})}
    out: dict[str, Any] = {
        "Id": namespace.id,
        "Arn": namespace.arn,
        "ResourceOwner": owner_of(namespace),
        "Name": namespace.name,
        "Type": namespace.type,
        "ServiceCount": len(_services_in(backend, namespace.id)),
        "Properties": {"DnsProperties": dns, "HttpProperties": dict(namespace.http_properties)},
        "CreateDate": namespace.created,
    }
    if namespace.description is not None:
        out["Description"] = namespace.description
    if not summary and namespace.creator_request_id:
        out["CreatorRequestId"] = namespace.creator_request_id
    return out


def service_to_json(self: Service) -> dict[str, Any]:
    out = original(Service, "to_json")(self)
    out.update(
        InstanceCount=len(self.instances),
        ResourceOwner=getattr(self, "resource_owner", self.account_id),
        CreatedByAccount=created_by(self),
    )
    return {k: v for k, v in out.items() if v is not None}


def service_summary(service: Service) -> dict[str, Any]:
    keys = ("Id", "Arn", "ResourceOwner", "Name", "Type", "Description", "InstanceCount", "DnsConfig",
            "HealthCheckConfig", "HealthCheckCustomConfig", "CreateDate", "CreatedByAccount")  # fmt: skip
    full = service_to_json(service)
    return {k: full[k] for k in keys if k in full}


# ---------------------------------------------------------------------------------------------
# Responses

# RESOURCE_OWNER takes SELF (the caller's own) or OTHER_ACCOUNTS (shared with it), per the model.
_RESOURCE_OWNER_VALUES = {"RESOURCE_OWNER": {"SELF", "OTHER_ACCOUNTS"}}


def _ownership(backend: ServiceDiscoveryBackend, owner: str) -> str:
    return "SELF" if owner == backend.account_id else "OTHER_ACCOUNTS"


def _namespace_filters(backend: ServiceDiscoveryBackend) -> FilterSpec:
    return {
        "TYPE": ({"EQ", "IN"}, lambda ns: ns.type),
        "NAME": ({"EQ", "BEGINS_WITH"}, lambda ns: ns.name),
        "HTTP_NAME": ({"EQ", "BEGINS_WITH"}, lambda ns: ns.http_properties.get("HttpName", "")),
        "RESOURCE_OWNER": ({"EQ"}, lambda ns: _ownership(backend, owner_of(ns))),
    }


def _service_filters(backend: ServiceDiscoveryBackend) -> FilterSpec:
    return {
        "NAMESPACE_ID": ({"EQ"}, lambda s: s.namespace_id),
        "RESOURCE_OWNER": ({"EQ"}, lambda s: _ownership(backend, getattr(s, "resource_owner", s.account_id))),
    }


_OPERATION_FILTERS: FilterSpec = {
    "NAMESPACE_ID": ({"EQ"}, lambda op: op.targets.get("NAMESPACE", "")),
    "SERVICE_ID": ({"EQ"}, lambda op: op.targets.get("SERVICE", "")),
    "STATUS": ({"EQ", "IN"}, lambda op: op.status),
    "TYPE": ({"EQ", "IN"}, lambda op: op.operation_type),
    "UPDATE_DATE": ({"BETWEEN"}, lambda op: op.updated),
}


def _params(response: ServiceDiscoveryResponse) -> dict[str, Any]:
    return json.loads(response.body or "{}")


def _listed(items: list[Any], params: dict[str, Any], spec: FilterSpec) -> tuple[list[Any], str | None]:
    filtered = apply_filters(items, params.get("Filters"), spec, _RESOURCE_OWNER_VALUES)
    return PAGING.page(filtered, params.get("MaxResults"), params.get("NextToken"))


def _with_token(body: dict[str, Any], token: str | None) -> str:
    if token:
        body["NextToken"] = token
    return json.dumps(body)


def list_namespaces_response(self: ServiceDiscoveryResponse) -> str:
    backend = self.servicediscovery_backend
    namespaces = sorted(backend.namespaces.values(), key=lambda ns: (ns.created, ns.id))
    page, token = _listed(namespaces, _params(self), _namespace_filters(backend))
    return _with_token({"Namespaces": [namespace_json(backend, ns, summary=True) for ns in page]}, token)


def get_namespace_response(self: ServiceDiscoveryResponse) -> str:
    backend = self.servicediscovery_backend
    namespace = backend.get_namespace(_params(self).get("Id"))
    return json.dumps({"Namespace": namespace_json(backend, namespace)})


def list_services_response(self: ServiceDiscoveryResponse) -> str:
    backend = self.servicediscovery_backend
    params = _params(self)
    for flt in params.get("Filters") or []:  # the filter takes an id, or an ARN (shared: ARN only)
        if flt.get("Name") == "NAMESPACE_ID":
            flt["Values"] = [_namespace_filter_value(backend, v) for v in flt.get("Values") or []]
    services = sorted(backend.services.values(), key=lambda s: (s.created, s.id))
    page, token = _listed(services, params, _service_filters(backend))
    return _with_token({"Services": [service_summary(s) for s in page]}, token)


def _namespace_filter_value(backend: ServiceDiscoveryBackend, value: str) -> str:
    """The namespace id a NAMESPACE_ID filter value names, or a value no service has."""
    try:
        return get_namespace(backend, value).id
    except NamespaceNotFound:
        return f"unknown:{value}"


def list_operations_response(self: ServiceDiscoveryResponse) -> str:
    operations = sorted(self.servicediscovery_backend.list_operations(), key=lambda op: (op.created, op.id))
    page, token = _listed(operations, _params(self), _OPERATION_FILTERS)
    return _with_token({"Operations": [op.to_json(short=True) for op in page]}, token)


def update_http_namespace_response(self: ServiceDiscoveryResponse) -> str:
    params = _params(self)
    operation_id = self.servicediscovery_backend.update_http_namespace(
        _id=params.get("Id"), namespace_dict=params.get("Namespace"), updater_request_id=params.get("UpdaterRequestId")
    )
    return json.dumps({"OperationId": operation_id})  # moto answers "operationId"


def _aws_shaped_id(prefix: str) -> str:
    """Cloud Map ids are a prefix and 16 lowercase alphanumerics (moto makes 20 or 8):
    code that recognises ids by their form must see the real form."""
    return prefix + "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(16))


def _with_aws_shaped_id(cls: type, prefix: str) -> None:
    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(cls, "__init__")(self, *args, **kwargs)
        self.id = _aws_shaped_id(prefix)
        self.arn = self.arn.rsplit("/", 1)[0] + "/" + self.id

    patch(cls, "__init__", init)


def install() -> None:
    backend = ServiceDiscoveryBackend
    _with_aws_shaped_id(Namespace, "ns-")
    _with_aws_shaped_id(Service, "srv-")
    patch(backend, "_create_operation", create_operation)
    patch(backend, "get_operation", get_operation)
    patch(backend, "list_operations", list_operations)
    patch(backend, "create_http_namespace", create_http_namespace)
    patch(backend, "create_private_dns_namespace", create_private_dns_namespace)
    patch(backend, "create_public_dns_namespace", create_public_dns_namespace)
    patch(backend, "get_namespace", get_namespace)
    patch(backend, "delete_namespace", delete_namespace)
    patch(backend, "update_http_namespace", update_http_namespace)
    patch(backend, "update_private_dns_namespace", update_private_dns_namespace)
    patch(backend, "update_public_dns_namespace", update_public_dns_namespace)
    patch(backend, "create_service", create_service)
    patch(backend, "get_service", get_service)
    patch(backend, "delete_service", delete_service)
    patch(backend, "tag_resource", tag_resource)
    patch(backend, "untag_resource", untag_resource)
    patch(backend, "list_tags_for_resource", list_tags_for_resource)
    patch(Service, "to_json", service_to_json)
    response = ServiceDiscoveryResponse
    patch(response, "list_namespaces", list_namespaces_response)
    patch(response, "get_namespace", get_namespace_response)
    patch(response, "list_services", list_services_response)
    patch(response, "list_operations", list_operations_response)
    patch(response, "update_http_namespace", update_http_namespace_response)
