"""ECS services and deployments as AWS does them, on top of moto's backend.

Departures from moto fixed here (README.md lists them for users):
- CreateService/UpdateService validate serviceConnectConfiguration (service_connect) and every
  change makes a new PRIMARY deployment carrying it and its serviceConnectResources, run by
  pretend tasks (rollouts: IN_PROGRESS -> COMPLETED or FAILED and rolled back, Cloud Map
  instances, the deployment log);
- CODE_DEPLOY and EXTERNAL services keep task sets and have no deployments; CODE_DEPLOY gets its
  first task set at CreateService; UpdateService refuses the fields only a new task set can
  change, serviceConnectConfiguration among them, and CreateService refuses Service Connect;
- UpdateService resolves a new taskDefinition to its ARN; leaving serviceConnectConfiguration out
  changes nothing; an INACTIVE service is ServiceNotActiveException;
- CreateService of a name that is ACTIVE in the cluster is "not idempotent";
- DescribeServices takes at most 10 services; ListServices pages and leaves out INACTIVE ones;
- ListServicesByNamespace (moto has none) lists the ACTIVE services of every cluster whose PRIMARY
  deployment has Service Connect in the namespace (name or ARN), paged like ListServices;
- a service just created can read as MISSING for a few DescribeServices calls
  (settings.missing_after_create_describes), as ECS is eventually consistent;
- DeleteService stops the service's tasks; CreateTaskSet needs no container instances.
"""

import math
from typing import Any

from botocore import xform_name
from moto.core.responses import ActionResult
from moto.ecs.exceptions import ECSException, InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Service, TaskSet
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.servicediscovery.models import servicediscovery_backends

from . import cloudmap, rollouts, service_connect
from .paging import Paging
from .patching import original, patch
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
# Backend


def create_service(
    self: EC2ContainerServiceBackend,
    cluster_str: str,
    service_name: str,
    desired_count: int,
    task_definition_str: str | None = None,
    *,
    deployment_controller: dict[str, str] | None = None,
    service_connect_configuration: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Service:
    cluster = self._get_cluster(cluster_str)
    existing = self.services.get(f"{cluster.name}:{service_name}")
    if existing is not None and existing.status == "ACTIVE":
        raise InvalidParameterException("Creation of service was not idempotent.")
    controller = _controller_type(deployment_controller)
    # ECS developer guide, Service Connect considerations: only the rolling update (ECS)
    # deployment controller supports Service Connect.
    if controller != "ECS" and service_connect_configuration is not None:
        raise InvalidParameterException(
            f"Service Connect is not supported for services with the {controller} deployment controller."
        )
    task_definition = self.describe_task_definition(task_definition_str) if task_definition_str else None
    sc = None
    if service_connect_configuration is not None:
        sc = service_connect.resolve(self, cluster, service_connect_configuration, task_definition, service_name)
    service = original(EC2ContainerServiceBackend, "create_service")(
        self,
        cluster_str,
        service_name,
        desired_count,
        task_definition_str,
        deployment_controller=deployment_controller,
        **kwargs,
    )
    service.missing_describes_left = settings.missing_after_create_describes
    rollouts.first_deployment(service, sc)  # the ECS controller's; moto makes none for the others
    if controller == "CODE_DEPLOY" and task_definition is not None:
        # "When an Amazon ECS service using the blue/green deployment type is initially created,
        # an Amazon ECS task set is created" (ECS developer guide, blue/green considerations).
        task_set = self.create_task_set(
            service.arn,
            cluster.name,
            task_definition.arn,
            launch_type=service.launch_type,
            network_configuration=service.network_configuration or None,
            platform_version=service.platform_version,
        )
        task_set.started_by = "CODE_DEPLOY"
        self.update_service_primary_task_set(cluster.name, service.name, task_set.task_set_arn)
    elif controller == "EXTERNAL":
        # "If no primary task set is defined for a service, when describing the service, the task
        # set fields are null" (ECS developer guide, external deployment): CreateTaskSet and
        # UpdateServicePrimaryTaskSet give it one.
        service.task_definition = None
    return service


def _controller_type(deployment_controller: dict[str, str] | None) -> str:
    return (deployment_controller or {}).get("type") or "ECS"


# UpdateService fields a CODE_DEPLOY or EXTERNAL service refuses (botocore's UpdateService
# documentation lists what those controllers may change: desired count, deployment configuration,
# health check grace period, placement, managed tags, tag propagation). Messages: the two
# CODE_DEPLOY ones marked "reported" are what users report AWS answering; the rest are ours.
_TASK_SET_FIELDS = (
    ("taskDefinition", "task definition"),  # reported
    ("networkConfiguration", "network parameters"),  # reported
    ("platformVersion", "network parameters"),  # reported (platform version counts as network)
    ("serviceConnectConfiguration", "Service Connect configuration"),
    ("loadBalancers", "load balancers"),
    ("serviceRegistries", "service registries"),
    ("capacityProviderStrategy", "capacity provider strategy"),
    ("volumeConfigurations", "volume configurations"),
    ("vpcLatticeConfigurations", "VPC Lattice configurations"),
)


def _refuse_task_set_changes(service: Service, request: dict[str, Any]) -> None:
    controller = _controller_type(service.deployment_controller)
    if controller == "ECS":
        return
    for name, what in _TASK_SET_FIELDS:
        if request.get(name) is not None:
            if controller == "CODE_DEPLOY":
                raise InvalidParameterException(
                    f"Unable to update {what} on services with a CODE_DEPLOY deployment controller. "
                    "Use AWS CodeDeploy to trigger a new deployment."
                )
            raise InvalidParameterException(
                f"Unable to update {what} on services with an {controller} deployment controller. "
                "Create a new task set."
            )


def update_service(self: EC2ContainerServiceBackend, request: dict[str, Any]) -> Service:
    """UpdateService with the request as sent (camelCase), unlike moto's version."""
    cluster_str = request.get("cluster") or "default"
    cluster = self._get_cluster(cluster_str)
    service = self._get_service(cluster_str, str(request.get("service", "")).split("/")[-1])
    if service.status != "ACTIVE":
        raise ServiceNotActiveException()
    _refuse_task_set_changes(service, request)
    if _controller_type(service.deployment_controller) != "ECS":
        # Task sets carry everything else: no deployment to make.
        if request.get("desiredCount") is not None:
            service.desired_count = int(request["desiredCount"])
        _set_plain_fields(service, request)
        return service

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
        rollouts.start_rollout(service, rollouts.new_deployment(service, service.network_configuration), sc)
    else:
        for primary in service.deployments[:1]:
            primary["desiredCount"] = service.desired_count
        if rollouts.rollout_settled(service):
            rollouts.complete_rollout(service)  # runs as many tasks as now desired
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
        rollouts.observe(service)
        visible.append(service)
    return visible, failures


def delete_service(self: EC2ContainerServiceBackend, cluster_name: str, service_name: str, force: bool) -> Service:
    """moto marks the service INACTIVE; its tasks stop (at once here) and their Cloud Map
    instances are deregistered."""
    service = original(EC2ContainerServiceBackend, "delete_service")(self, cluster_name, service_name, force)
    rollouts.drain_all(service)
    return service


def create_task_set(
    self: EC2ContainerServiceBackend, service: str, cluster_str: str, *args: Any, **kwargs: Any
) -> TaskSet:
    """moto runs the task set's tasks on container instances and fails without any; here the
    tasks are pretend, like a deployment's: the task set is at its computed desired count."""
    scale = kwargs.pop("scale", None) or {"value": 100.0, "unit": "PERCENT"}
    task_set = original(EC2ContainerServiceBackend, "create_task_set")(self, service, cluster_str, *args, **kwargs)
    owner = self._get_service(cluster_str, service.split("/")[-1])
    task_set.scale = scale
    # botocore's ECS model, TaskSet.computedDesiredCount: the service's desired count times the
    # scale, "always rounded up"; Scale defaults to 100 PERCENT here (our choice).
    computed = math.ceil(owner.desired_count * float(scale.get("value", 100.0)) / 100.0)
    task_set.computed_desired_count = computed
    task_set.running_count, task_set.pending_count = computed, 0
    return task_set


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
        load_balancers=self._get_param("loadBalancers"),
        scheduling_strategy=self._get_param("schedulingStrategy"),
        tags=self._get_param("tags"),
        deployment_controller=self._get_param("deploymentController"),
        launch_type=self._get_param("launchType"),
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
    cloudmap.before_delete_service(rollouts.let_time_pass)
    backend = EC2ContainerServiceBackend
    patch(backend, "create_service", create_service)
    patch(backend, "update_service", update_service)
    patch(backend, "describe_services", describe_services)
    patch(backend, "list_services", list_services)
    patch(backend, "list_services_by_namespace", list_services_by_namespace)
    patch(backend, "delete_service", delete_service)
    patch(backend, "create_task_set", create_task_set)
    response = EC2ContainerServiceResponse
    patch(response, "create_service", create_service_response)
    patch(response, "update_service", update_service_response)
    patch(response, "list_services", list_services_response)
    patch(response, "list_services_by_namespace", list_services_by_namespace_response)
