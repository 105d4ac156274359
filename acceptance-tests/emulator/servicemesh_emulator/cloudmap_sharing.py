"""Namespaces another account shares with ours through AWS RAM (test hook).

On AWS a namespace owner shares it with a resource share; the consumer then sees it in
ListNamespaces with the owner's account id as ResourceOwner (and in its ARN), reads it by ARN,
and may use it (ECS Service Connect, its own Cloud Map services), but cannot change or delete it.
Nothing of that can be done through moto (one account, no RAM for Cloud Map), so the control API
plants such a namespace directly: it exists at once (the owner's create operation is not ours to
see), in the consumer's Cloud Map view, with the owner's account in its ARN; a DNS namespace's
hosted zone lives in the owner's Route 53. `services` are Cloud Map services the owner created in it.
"""

from typing import Any

from moto.core.utils import unix_time
from moto.servicediscovery.models import Namespace, Service, servicediscovery_backends

from . import route53

DEFAULT_OWNER_ACCOUNT = "210987654321"
_TYPES = ("HTTP", "DNS_PRIVATE", "DNS_PUBLIC")


def plant_shared_namespace(
    consumer_account: str, region: str, spec: dict[str, Any], default_vpc: str
) -> dict[str, Any]:
    """Plants the namespace `spec` describes, owned by spec["ownerAccount"] and shared with
    `consumer_account`; returns what a test needs to refer to it."""
    name = spec.get("name")
    owner = str(spec.get("ownerAccount") or DEFAULT_OWNER_ACCOUNT)
    ns_type = spec.get("type") or "HTTP"
    services = spec.get("services") or []
    if not isinstance(name, str) or not name:
        raise ValueError('"name" (the namespace name) is required')
    if not (owner.isdigit() and len(owner) == 12) or owner == consumer_account:
        raise ValueError(f'"ownerAccount" must be 12 digits and not the caller\'s account {consumer_account}')
    if ns_type not in _TYPES:
        raise ValueError(f'"type" must be one of {list(_TYPES)}')
    if not isinstance(services, list) or not all(isinstance(s, str) and s for s in services):
        raise ValueError('"services" is a list of Cloud Map service names')
    vpc = (spec.get("vpc") or default_vpc) if ns_type == "DNS_PRIVATE" else None

    backend = servicediscovery_backends[consumer_account][region]
    namespace = Namespace(
        account_id=owner,
        region=region,
        name=name,
        ns_type=ns_type,
        creator_request_id=None,  # type: ignore[arg-type]  # the owner's, not shown to consumers
        description=spec.get("description"),  # type: ignore[arg-type]
        dns_properties={},
        http_properties={},
        vpc=vpc,
    )
    if ns_type != "HTTP":
        zone = route53.create_namespace_zone(owner, region, name, namespace.arn, vpc)
        namespace.dns_properties["HostedZoneId"] = zone.resource_id
    # HttpName is unique per owner; the owner's other namespaces are not modelled.
    namespace.http_properties = {"HttpName": name}
    backend.namespaces[namespace.id] = namespace

    planted = []
    for service_name in services:
        service = Service(
            account_id=owner,
            region=region,
            name=service_name,
            namespace_id=namespace.id,
            description=None,  # type: ignore[arg-type]
            creator_request_id=None,  # type: ignore[arg-type]
            dns_config=None,  # type: ignore[arg-type]
            health_check_config=None,  # type: ignore[arg-type]
            health_check_custom_config=None,  # type: ignore[arg-type]
            service_type="HTTP",
        )
        service.resource_owner = owner
        service.created_by_account = owner
        service.created = unix_time()
        backend.services[service.id] = service
        planted.append({"name": service.name, "id": service.id, "arn": service.arn})

    return {
        "id": namespace.id,
        "arn": namespace.arn,
        "name": namespace.name,
        "type": namespace.type,
        "ownerAccount": owner,
        "hostedZoneId": namespace.dns_properties.get("HostedZoneId"),
        "services": planted,
    }
