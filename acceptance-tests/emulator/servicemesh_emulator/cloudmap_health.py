"""Cloud Map instance health as AWS reports it: GetInstancesHealthStatus and
UpdateInstanceCustomHealthStatus.

Sources: the Cloud Map API reference and botocore's servicediscovery model (2017-03-14):
GetInstancesHealthStatus, UpdateInstanceCustomHealthStatus, HealthCheckCustomConfig,
CustomHealthNotFound, CustomHealthStatus, RegisterInstance's Attributes.

Departures from moto fixed here (README.md lists them for users):
- RegisterInstance's `AWS_INIT_HEALTH_STATUS`: "If the service configuration includes
  HealthCheckCustomConfig, you can optionally use AWS_INIT_HEALTH_STATUS to specify the initial
  status of the custom health check, HEALTHY or UNHEALTHY. If you don't specify a value for
  AWS_INIT_HEALTH_STATUS, the initial status is HEALTHY." moto starts every instance HEALTHY.
- UpdateInstanceCustomHealthStatus on a service without HealthCheckCustomConfig is
  CustomHealthNotFound ("The health check for the instance that's specified by ServiceId and
  InstanceId isn't a custom health check."); moto accepts it for any service. A Status other than
  HEALTHY or UNHEALTHY (the CustomHealthStatus enum) is InvalidInput; moto answers
  CustomHealthNotFound.
- GetInstancesHealthStatus of a service with no health check reports UNKNOWN for each instance;
  moto reports HEALTHY. The API reference lists UNKNOWN among the statuses without saying when;
  that a service without a health check shows it is what users report of the console
  (anomalyco/sst#5915): *unverified* against the API.

Not modelled: Cloud Map applies a custom status about 30 seconds after the request
(HealthCheckCustomConfig); here at once. Route 53 health checks (HealthCheckConfig) are never
run: their instances keep the status they started with (HEALTHY).
"""

from typing import Any

from moto.servicediscovery.models import ServiceDiscoveryBackend, ServiceInstance

from .cloudmap_errors import CloudMapError, InvalidInput
from .patching import original, patch


class CustomHealthNotFound(CloudMapError):
    status = 400


def _has_health_check(service: Any) -> bool:
    return service.health_check_custom_config is not None or service.health_check_config is not None


def instance_init(
    self: ServiceInstance,
    service_id: str,
    instance_id: str,
    creator_request_id: str | None = None,
    attributes: dict[str, str] | None = None,
) -> None:
    original(ServiceInstance, "__init__")(self, service_id, instance_id, creator_request_id, attributes)
    initial = self.attributes.get("AWS_INIT_HEALTH_STATUS")
    if initial in ("HEALTHY", "UNHEALTHY"):
        self.health_status = initial


def get_instances_health_status(
    self: ServiceDiscoveryBackend, service_id: str, instances: list[str] | None = None
) -> list[tuple[str, str]]:
    statuses = original(ServiceDiscoveryBackend, "get_instances_health_status")(self, service_id, instances)
    if _has_health_check(self.get_service(service_id)):
        return statuses
    return [(instance_id, "UNKNOWN") for instance_id, _ in statuses]


def update_instance_custom_health_status(
    self: ServiceDiscoveryBackend, service_id: str, instance_id: str, status: str
) -> None:
    if status not in ("HEALTHY", "UNHEALTHY"):
        raise InvalidInput(f"1 validation error detected: Value '{status}' at 'status' failed to satisfy constraint: "
                           "Member must satisfy enum value set: [HEALTHY, UNHEALTHY]")  # fmt: skip
    service = self.get_service(service_id)
    instance = self.get_instance(service_id, instance_id)
    if service.health_check_custom_config is None:
        raise CustomHealthNotFound(
            "The health check for the instance that's specified by ServiceId and InstanceId "
            "isn't a custom health check."
        )
    instance.health_status = status


def install() -> None:
    patch(ServiceInstance, "__init__", instance_init)
    patch(ServiceDiscoveryBackend, "get_instances_health_status", get_instances_health_status)
    patch(ServiceDiscoveryBackend, "update_instance_custom_health_status", update_instance_custom_health_status)
