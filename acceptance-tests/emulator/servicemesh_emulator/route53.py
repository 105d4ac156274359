"""The Route 53 hosted zone behind a Cloud Map DNS namespace.

AWS creates a hosted zone named exactly after the namespace (private ones associated with the
namespace's VPC, which is the only place the Namespace API exposes that VPC) and links it to
Cloud Map. moto names it "<name>-hz", associates no VPC and stores "/hostedzone/<id>" as the
namespace's HostedZoneId where AWS has the bare id. Record contents are out of scope.
"""

import uuid

from moto.route53.models import FakeZone, route53_backends
from moto.utilities.utils import get_partition


def _backend(account_id: str, region: str):  # type: ignore[no-untyped-def]
    return route53_backends[account_id][get_partition(region)]


def create_namespace_zone(account_id: str, region: str, name: str, namespace_arn: str, vpc: str | None) -> FakeZone:
    """A zone for a DNS namespace: private and associated with `vpc` when one is given."""
    zone = _backend(account_id, region).create_hosted_zone(
        name=name if name.endswith(".") else f"{name}.",
        private_zone=vpc is not None,
        caller_reference=f"servicediscovery-{uuid.uuid4()}",
        vpcid=vpc,
        vpcregion=region if vpc is not None else None,
    )
    # GetHostedZone shows which service manages the zone.
    zone.linked_service = {"ServicePrincipal": "servicediscovery.amazonaws.com", "Description": namespace_arn}
    return zone


def delete_namespace_zone(account_id: str, region: str, zone_id: str) -> None:
    """Cloud Map removes the records it made before the zone, so no emptiness check here."""
    _backend(account_id, region).zones.pop(zone_id, None)
