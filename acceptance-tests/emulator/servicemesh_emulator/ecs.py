"""ECS services and deployments as AWS does them, on top of moto's backend.

Departures from moto fixed here (README.md lists them for users):
- CreateService/UpdateService validate serviceConnectConfiguration (service_connect) and every
  change makes a new PRIMARY deployment carrying it and its serviceConnectResources; the old
  deployment stays ACTIVE until the rollout completes (settings.drain_after_describes);
- UpdateService resolves a new taskDefinition to its ARN; leaving serviceConnectConfiguration out
  changes nothing; an INACTIVE service is ServiceNotActiveException;
- CreateService of a name that is ACTIVE in the cluster is "not idempotent";
- DescribeServices takes at most 10 services; ListServices pages and leaves out INACTIVE ones;
- ListServicesByNamespace (moto has none) lists the ACTIVE services of every cluster whose PRIMARY
  deployment has Service Connect in the namespace (name or ARN), paged like ListServices;
- a service just created can read as MISSING for a few DescribeServices calls
  (settings.missing_after_create_describes), as ECS is eventually consistent.
Tasks are not run: a rollout "completes" by setting the counts to the desired count.
"""

import copy
from typing import Any

from botocore import xform_name
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ecs.exceptions import ECSException, InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Service
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.moto_api._internal import mock_random
from moto.servicediscovery.models import servicediscovery_backends

from . import service_connect
from .paging import Paging
from .patching import original, patch
from .service_connect import ServiceConnect
from .settings import settings

# ListServices: maxResults 1-100, default 10; InvalidParameterException otherwise.
_PAGING = Paging(
    default_max_results=10,
    error=InvalidParameterException,
    bad_max_results="maxResults must be between 1 and 100.",
    bad_token="Invalid nextToken.",
)

# UpdateService fields that start a new deployment when their value changes.
_DEPLOYMENT_FIELDS = (
    "capacityProviderStrategy",
    "loadBalancers",
    "serviceRegistries",
    "volumeConfigurations",
    "vpcLatticeConfigurations",
)


class ServiceNotActiveException(ECSException):
    code = "ServiceNotActiveException"

    def __init__(self) -> None:
        super().__init__("Service was not ACTIVE.")


# ---------------------------------------------------------------------------------------------
# Deployments and rollouts


def _new_deployment(service: Service, network_configuration: dict[str, Any] | None) -> dict[str, Any]:
    deployment_id = f"ecs-svc/{mock_random.randint(0, 10**19 - 1):019d}"
    now = utcnow()
    return {
        "id": deployment_id,
        "status": "PRIMARY",
        "taskDefinition": service.task_definition,
        "desiredCount": service.desired_count,
        "pendingCount": service.desired_count,
        "runningCount": 0,
        "failedTasks": 0,
        "createdAt": now,
        "updatedAt": now,
        "launchType": service.launch_type,
        "platformVersion": service.platform_version,
        "platformFamily": "EC2" if service.launch_type == "EC2" else "FARGATE",
        "networkConfiguration": network_configuration or None,
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": f"ECS deployment {deployment_id} in progress.",
    }


def _carry_service_connect(deployment: dict[str, Any], sc: ServiceConnect | None) -> None:
    deployment.pop("serviceConnectConfiguration", None)
    deployment.pop("serviceConnectResources", None)
    if sc is not None:
        deployment["serviceConnectConfiguration"] = copy.deepcopy(sc.configuration)
        if sc.resources:
            deployment["serviceConnectResources"] = copy.deepcopy(sc.resources)


def _start_rollout(service: Service, deployment: dict[str, Any], sc: ServiceConnect | None) -> None:
    """The new deployment becomes PRIMARY; the one it replaces stays ACTIVE until it drains."""
    now = utcnow()
    for old in service.deployments:
        if old["status"] == "PRIMARY":
            old["status"] = "ACTIVE"
            old["updatedAt"] = now
    _carry_service_connect(deployment, sc)
    service.deployments.insert(0, deployment)
    service.service_connect = sc
    service.rollout_describes_left = settings.drain_after_describes


def _complete_rollout(service: Service) -> None:
    service.deployments = [d for d in service.deployments if d["status"] == "PRIMARY"]
    for primary in service.deployments:
        primary.update(
            desiredCount=service.desired_count,
            runningCount=service.desired_count,
            pendingCount=0,
            rolloutState="COMPLETED",
            rolloutStateReason=f"ECS deployment {primary['id']} completed.",
            updatedAt=utcnow(),
        )
    service.running_count, service.pending_count = service.desired_count, 0
    service.rollout_describes_left = None


def _observe(service: Service) -> None:
    """A DescribeServices call: rollouts complete after `drain_after_describes` of them."""
    left = getattr(service, "rollout_describes_left", None)
    if left is None:
        return
    if left <= 0:
        _complete_rollout(service)
    else:
        service.rollout_describes_left = left - 1


# ---------------------------------------------------------------------------------------------
# Backend


def create_service(
    self: EC2ContainerServiceBackend,
    cluster_str: str,
    service_name: str,
    desired_count: int,
    task_definition_str: str | None = None,
    *args: Any,
    service_connect_configuration: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Service:
    cluster = self._get_cluster(cluster_str)
    existing = self.services.get(f"{cluster.name}:{service_name}")
    if existing is not None and existing.status == "ACTIVE":
        raise InvalidParameterException("Creation of service was not idempotent.")
    task_definition = self.describe_task_definition(task_definition_str) if task_definition_str else None
    sc = None
    if service_connect_configuration is not None:
        sc = service_connect.resolve(self, cluster, service_connect_configuration, task_definition, service_name)
    service = original(EC2ContainerServiceBackend, "create_service")(
        self, cluster_str, service_name, desired_count, task_definition_str, *args, **kwargs
    )
    service.service_connect = sc
    service.missing_describes_left = settings.missing_after_create_describes
    if service.deployments:
        _carry_service_connect(service.deployments[0], sc)
        service.rollout_describes_left = settings.drain_after_describes
    return service


def update_service(self: EC2ContainerServiceBackend, request: dict[str, Any]) -> Service:
    """UpdateService with the request as sent (camelCase), unlike moto's version."""
    cluster_str = request.get("cluster") or "default"
    cluster = self._get_cluster(cluster_str)
    service = self._get_service(cluster_str, str(request.get("service", "")).split("/")[-1])
    if service.status != "ACTIVE":
        raise ServiceNotActiveException()

    changed = bool(request.get("forceNewDeployment"))
    task_definition_arn = service.task_definition
    task_definition = None
    if request.get("taskDefinition"):
        task_definition = self.describe_task_definition(request["taskDefinition"])
        task_definition_arn = task_definition.arn
        changed |= task_definition_arn != service.task_definition
    elif service.task_definition:
        task_definition = self.describe_task_definition(service.task_definition)

    network = request.get("networkConfiguration")
    if network is not None:
        network = service._validate_network(network)
        changed |= network != service.network_configuration
    if request.get("platformVersion") is not None:
        changed |= request["platformVersion"] != service.platform_version
    for name in _DEPLOYMENT_FIELDS:
        if name in request:
            changed |= request[name] != getattr(service, xform_name(name), None)

    current = service_connect.of(service)
    sc = current
    if "serviceConnectConfiguration" in request:  # absent means "no change", as on AWS
        sc = service_connect.resolve(
            self, cluster, request["serviceConnectConfiguration"], task_definition, service.name
        )
        changed |= (sc.configuration if sc else None) != (current.configuration if current else None)
    elif current is not None and task_definition_arn != service.task_definition:
        service_connect.check_ports(current.configuration, task_definition)

    # Everything is valid: apply.
    if request.get("desiredCount") is not None:
        service.desired_count = int(request["desiredCount"])
    if network is not None:
        service.network_configuration = network
    if request.get("platformVersion") is not None:
        service.platform_version = request["platformVersion"]
    service.task_definition = task_definition_arn
    _set_plain_fields(service, request)

    if changed:
        _start_rollout(service, _new_deployment(service, service.network_configuration), sc)
    else:
        for primary in service.deployments[:1]:
            primary["desiredCount"] = service.desired_count
        if getattr(service, "rollout_describes_left", None) is None:
            _complete_rollout(service)
    return service


# Request fields UpdateService handles itself; any other is stored as sent so DescribeServices
# shows it (healthCheckGracePeriodSeconds, deploymentConfiguration, ...).
_HANDLED = {
    "cluster",
    "service",
    "taskDefinition",
    "desiredCount",
    "forceNewDeployment",
    "serviceConnectConfiguration",
    "networkConfiguration",
    "platformVersion",
}


def _set_plain_fields(service: Service, request: dict[str, Any]) -> None:
    for name, value in request.items():
        if name not in _HANDLED and value is not None:
            setattr(service, xform_name(name), value)


def describe_services(
    self: EC2ContainerServiceBackend, cluster_str: str, service_names_or_arns: list[str]
) -> tuple[list[Service], list[dict[str, str]]]:
    if len(service_names_or_arns) > 10:
        raise InvalidParameterException("service names can have at most 10 items.")
    services, failures = original(EC2ContainerServiceBackend, "describe_services")(
        self, cluster_str, service_names_or_arns
    )
    visible = []
    for service in services:
        left = getattr(service, "missing_describes_left", 0)
        if left > 0:  # not yet visible after CreateService
            service.missing_describes_left = left - 1
            failures.append({"arn": service.arn, "reason": "MISSING"})
            continue
        _observe(service)
        visible.append(service)
    return visible, failures


def list_services_by_namespace(self: EC2ContainerServiceBackend, namespace: str) -> list[str]:
    """The botocore model: "all of the services that are associated with a Cloud Map namespace
    ... might include services in different clusters". Which services count as associated is not
    documented further; here, those whose PRIMARY deployment uses the namespace (a service whose
    Service Connect was turned off no longer does). Unverified on AWS."""
    cloudmap = servicediscovery_backends[self.account_id][self.region_name]
    try:
        wanted = service_connect._find_namespace(cloudmap, namespace).id
    except ECSException:
        return []
    return [
        s.arn
        for s in sorted(self.services.values(), key=lambda s: s.arn)
        if s.status == "ACTIVE" and getattr(s, "service_connect", None) and s.service_connect.namespace_id == wanted
    ]


def list_services(
    self: EC2ContainerServiceBackend,
    cluster_str: str,
    scheduling_strategy: str | None = None,
    launch_type: str | None = None,
) -> list[str]:
    arns = original(EC2ContainerServiceBackend, "list_services")(self, cluster_str, scheduling_strategy, launch_type)
    inactive = {s.arn for s in self.services.values() if s.status != "ACTIVE"}
    return [arn for arn in arns if arn not in inactive]


# ---------------------------------------------------------------------------------------------
# Responses


def create_service_response(self: EC2ContainerServiceResponse) -> ActionResult:
    service = self.ecs_backend.create_service(
        self._get_param("cluster", "default"),
        self._get_param("serviceName"),
        self._get_int_param("desiredCount"),
        self._get_param("taskDefinition"),
        self._get_param("loadBalancers"),
        self._get_param("schedulingStrategy"),
        self._get_param("tags"),
        self._get_param("deploymentController"),
        self._get_param("launchType"),
        network_configuration=self._get_param("networkConfiguration"),
        service_registries=self._get_param("serviceRegistries"),
        platform_version=self._get_param("platformVersion"),
        propagate_tags=self._get_param("propagateTags") or "NONE",
        role_arn=self._get_param("role"),
        service_connect_configuration=self._get_param("serviceConnectConfiguration"),
    )
    consumed = {
        "cluster", "serviceName", "desiredCount", "taskDefinition", "loadBalancers", "schedulingStrategy",
        "tags", "deploymentController", "launchType", "networkConfiguration", "serviceRegistries",
        "platformVersion", "propagateTags", "role", "serviceConnectConfiguration", "clientToken",
    }  # fmt: skip
    _set_plain_fields(service, {k: v for k, v in dict(self.params).items() if k not in consumed})
    return ActionResult({"service": service})


def update_service_response(self: EC2ContainerServiceResponse) -> ActionResult:
    return ActionResult({"service": self.ecs_backend.update_service(dict(self.params))})


def list_services_response(self: EC2ContainerServiceResponse) -> ActionResult:
    arns = self.ecs_backend.list_services(
        self._get_param("cluster", "default"), self._get_param("schedulingStrategy"), self._get_param("launchType")
    )
    page, token = _PAGING.page(arns, self._get_int_param("maxResults"), self._get_param("nextToken"))
    result: dict[str, Any] = {"serviceArns": page}
    if token:
        result["nextToken"] = token
    return ActionResult(result)


def list_services_by_namespace_response(self: EC2ContainerServiceResponse) -> ActionResult:
    namespace = self._get_param("namespace")
    if not namespace:
        raise InvalidParameterException("namespace must be specified.")
    arns = self.ecs_backend.list_services_by_namespace(namespace)
    page, token = _PAGING.page(arns, self._get_int_param("maxResults"), self._get_param("nextToken"))
    result: dict[str, Any] = {"serviceArns": page}
    if token:
        result["nextToken"] = token
    return ActionResult(result)


def install() -> None:
    backend = EC2ContainerServiceBackend
    patch(backend, "create_service", create_service)
    patch(backend, "update_service", update_service)
    patch(backend, "describe_services", describe_services)
    patch(backend, "list_services", list_services)
    patch(backend, "list_services_by_namespace", list_services_by_namespace)
    response = EC2ContainerServiceResponse
    patch(response, "create_service", create_service_response)
    patch(response, "update_service", update_service_response)
    patch(response, "list_services", list_services_response)
    patch(response, "list_services_by_namespace", list_services_by_namespace_response)
