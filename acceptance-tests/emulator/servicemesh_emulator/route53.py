"""The Route 53 hosted zone behind a Cloud Map DNS namespace.

AWS creates a hosted zone named exactly after the namespace (private ones associated with the
namespace's VPC, which is the only place the Namespace API exposes that VPC) and links it to
Cloud Map. moto names it "<name>-hz", associates no VPC and stores "/hostedzone/<id>" as the
namespace's HostedZoneId where AWS has the bare id. Record contents are out of scope.

A private zone can be associated with more VPCs (AssociateVPCWithHostedZone; GetHostedZone lists
them in the order they were associated). moto associates any VPC id; AWS requires the VPC to exist
(InvalidVPCId) and refuses a VPC already associated with another zone of the same name
(ConflictingDomainExists), as the Route 53 API reference says.
"""

import uuid

from moto.core.exceptions import ServiceException
from moto.ec2 import ec2_backends
from moto.route53.exceptions import InvalidVPCId
from moto.route53.models import FakeZone, Route53Backend, route53_backends
from moto.utilities.utils import get_partition

from .patching import original, patch


class ConflictingDomainExists(ServiceException):
    """Defined here, not taken from moto.route53: moto's takes a delegation set, and an exception of
    moto.core would make moto look for a service model named "core"."""

    code = "ConflictingDomainExists"


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


def private_zone_in_vpc(region: str, name: str, vpc: str) -> FakeZone | None:
    """A private zone named `name`, in any account, already associated with `vpc` (one
    associated later with AssociateVPCWithHostedZone, or another account's zone associated
    with a VPC it shares, counts as well)."""
    wanted = name if name.endswith(".") else f"{name}."
    for account_backends in list(route53_backends.values()):
        backend = account_backends.get(get_partition(region))
        if backend is None:
            continue
        for zone in list(backend.zones.values()):
            if zone.private_zone and zone.name == wanted and any(v.get("vpc_id") == vpc for v in zone.vpcs):
                return zone
    return None


def delete_namespace_zone(account_id: str, region: str, zone_id: str) -> None:
    """Cloud Map removes the records it made before the zone, so no emptiness check here."""
    _backend(account_id, region).zones.pop(zone_id, None)


def associate_vpc_with_hosted_zone(self: Route53Backend, zone_id: str, vpcid: str, vpcregion: str) -> FakeZone:
    zone = self.get_hosted_zone(zone_id)
    region = vpcregion or "us-east-1"
    if zone.private_zone:  # moto answers PublicZoneVPCAssociation for public zones
        if not vpcid or vpcid not in ec2_backends[self.account_id][region].vpcs:
            raise InvalidVPCId()
        for other in self.zones.values():
            if other.private_zone and other.name == zone.name and any(v.get("vpc_id") == vpcid for v in other.vpcs):
                raise ConflictingDomainExists(
                    f"The VPC {vpcid} is already associated with a hosted zone named {zone.name} ({other.id}).",
                )
    return original(Route53Backend, "associate_vpc_with_hosted_zone")(self, zone_id, vpcid, region)


def install() -> None:
    patch(Route53Backend, "associate_vpc_with_hosted_zone", associate_vpc_with_hosted_zone)
