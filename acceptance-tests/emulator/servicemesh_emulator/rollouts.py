"""ECS deployments of the rolling-update (ECS) controller, run by pretend tasks.

moto never makes a new deployment and runs no tasks. Here (README.md, "Deployments" and
"Pretend tasks"):
- every change makes a new PRIMARY deployment, IN_PROGRESS; the one it replaces stays ACTIVE;
- time is counted in DescribeServices calls: after `settings.drain_after_describes` of them the
  rollout resolves. Normally it COMPLETES: the PRIMARY's tasks run (runningCount = desiredCount)
  and every older deployment drains (its tasks stop);
- a running task of a Service Connect server registers one Cloud Map instance in each Cloud Map
  service of its deployment's serviceConnectResources, and deregisters it when it stops
  (`settings.register_instances`), so a Cloud Map service a running deployment uses is in use.
  A caller retrying Cloud Map DeleteService of a service that a draining deployment still holds
  lets that rollout advance too (let_time_pass): old tasks stop whether anyone reads ECS or not;
- a deployment armed to fail (control API) FAILS instead. What follows is what the service's
  deploymentConfiguration.deploymentCircuitBreaker asks for: with rollback, ECS starts a new
  PRIMARY deployment with the configuration of the last COMPLETED deployment; without rollback the
  FAILED deployment stays PRIMARY; with no circuit breaker it never resolves (IN_PROGRESS, its
  failedTasks growing), as tasks that cannot start are retried for ever;
- every deployment's life (CREATED, COMPLETED, FAILED, ROLLED_BACK, DRAINED) is written to one
  log with a global sequence number, readable through the control API, so a test can check the
  order in which services were deployed.
"""

import copy
import datetime
import math
import uuid
from dataclasses import dataclass, field
from typing import Any

from moto.core.utils import utcnow
from moto.ecs.models import Service, ecs_backends
from moto.moto_api._internal import mock_random
from moto.servicediscovery.models import Service as CloudMapService
from moto.servicediscovery.models import ServiceDiscoveryBackend, ServiceInstance, servicediscovery_backends

from .service_connect import ServiceConnect
from .settings import settings

# rolloutStateReason texts. "in progress" and "completed" are what moto and ECS's deployment state
# change events say; the two circuit breaker texts are those of the events in the ECS developer
# guide ("Service deployment state change events"). That DescribeServices shows the same words in
# rolloutStateReason is not verified.
FAILED_REASON = "ECS deployment circuit breaker: task failed to start."


def _in_progress(deployment_id: str) -> str:
    return f"ECS deployment {deployment_id} in progress."


def _completed(deployment_id: str) -> str:
    return f"ECS deployment {deployment_id} completed."


def _rolling_back(target_id: str) -> str:
    return f"ECS deployment circuit breaker: rolling back to deploymentId {target_id}."


# ---------------------------------------------------------------------------------------------
# The deployment log and armed failures (module state, cleared by reset)


_log: list[dict[str, Any]] = []
_armed: list[dict[str, str | None]] = []  # [{"service", "cluster", "reason"}], oldest first
_next_ip = 0


def reset() -> None:
    global _next_ip
    _log.clear()
    _armed.clear()
    _next_ip = 0


def deployment_log(service: str | None = None, cluster: str | None = None) -> list[dict[str, Any]]:
    return [
        copy.deepcopy(event)
        for event in _log
        if (service is None or event["service"] == service) and (cluster is None or event["cluster"] == cluster)
    ]


def arm_failure(service: str, cluster: str | None, reason: str | None) -> dict[str, str | None]:
    """The next deployment of `service` (in `cluster`, or any cluster) that starts will fail."""
    armed = {"service": service, "cluster": cluster, "reason": reason or FAILED_REASON}
    _armed.append(armed)
    return dict(armed)


def armed_failures() -> list[dict[str, str | None]]:
    return [dict(a) for a in _armed]


def disarm_failures() -> None:
    _armed.clear()


def _take_failure(service: Service) -> str | None:
    for i, armed in enumerate(_armed):
        if armed["service"] == service.name and armed["cluster"] in (None, service.cluster_name):
            del _armed[i]
            return armed["reason"]
    return None


def _record(service: Service, event: str, deployment: dict[str, Any], **details: Any) -> None:
    now = datetime.datetime.now(datetime.UTC)
    sc = deployment.get("serviceConnectConfiguration")
    entry = {
        "seq": len(_log) + 1,
        "time": now.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "timestamp": now.timestamp(),
        "event": event,
        "cluster": service.cluster_name,
        "service": service.name,
        "serviceArn": service.arn,
        "deploymentId": deployment["id"],
        "taskDefinition": deployment.get("taskDefinition"),
        "serviceConnect": bool(sc),
        "discoveryNames": [r["discoveryName"] for r in deployment.get("serviceConnectResources") or []],
    }
    entry.update({k: v for k, v in details.items() if v is not None})
    _log.append(entry)


# ---------------------------------------------------------------------------------------------
# Per-service state


@dataclass
class _Task:
    id: str
    ip: str
    registrations: list[tuple[str, str]] = field(default_factory=list)  # (Cloud Map service id, instance id)


@dataclass
class _DeploymentState:
    service_connect: ServiceConnect | None
    failure: str | None = None  # armed to fail with this reason
    tasks: list[_Task] = field(default_factory=list)


@dataclass
class _Rollouts:
    deployments: dict[str, _DeploymentState] = field(default_factory=dict)
    last_completed: tuple[dict[str, Any], ServiceConnect | None] | None = None


def _state(service: Service) -> _Rollouts:
    state = getattr(service, "rollouts", None)
    if state is None:
        state = service.rollouts = _Rollouts()
    return state


def _deployment_state(service: Service, deployment: dict[str, Any]) -> _DeploymentState:
    states = _state(service).deployments
    if deployment["id"] not in states:
        states[deployment["id"]] = _DeploymentState(getattr(service, "service_connect", None))
    return states[deployment["id"]]


def _primary(service: Service) -> dict[str, Any] | None:
    return next((d for d in service.deployments if d["status"] == "PRIMARY"), None)


# ---------------------------------------------------------------------------------------------
# Starting deployments


def new_deployment(service: Service, network_configuration: dict[str, Any] | None) -> dict[str, Any]:
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
        "rolloutStateReason": _in_progress(deployment_id),
    }


def _carry_service_connect(deployment: dict[str, Any], sc: ServiceConnect | None) -> None:
    deployment.pop("serviceConnectConfiguration", None)
    deployment.pop("serviceConnectResources", None)
    if sc is not None:
        deployment["serviceConnectConfiguration"] = copy.deepcopy(sc.configuration)
        if sc.resources:
            deployment["serviceConnectResources"] = copy.deepcopy(sc.resources)


def first_deployment(service: Service, sc: ServiceConnect | None) -> None:
    """CreateService: moto made the first deployment (ECS controller only); it carries `sc`."""
    service.service_connect = sc
    for deployment in service.deployments[:1]:
        _carry_service_connect(deployment, sc)
        _begin(service, deployment, sc, "CreateService")


def start_rollout(service: Service, deployment: dict[str, Any], sc: ServiceConnect | None) -> None:
    """UpdateService: the new deployment becomes PRIMARY; the one it replaces stays ACTIVE until
    the rollout resolves."""
    _demote_primary(service)
    _carry_service_connect(deployment, sc)
    service.deployments.insert(0, deployment)
    service.service_connect = sc
    _begin(service, deployment, sc, "UpdateService")


def _demote_primary(service: Service) -> None:
    now = utcnow()
    for old in service.deployments:
        if old["status"] == "PRIMARY":
            old["status"] = "ACTIVE"
            old["updatedAt"] = now


def _begin(
    service: Service, deployment: dict[str, Any], sc: ServiceConnect | None, trigger: str, **details: Any
) -> None:
    state = _deployment_state(service, deployment)
    state.service_connect = sc
    # A rollback is ECS's own deployment: an armed failure waits for the next one the user makes.
    state.failure = None if trigger == "Rollback" else _take_failure(service)
    service.rollout_describes_left = settings.drain_after_describes
    _record(service, "CREATED", deployment, trigger=trigger, **details)


# ---------------------------------------------------------------------------------------------
# Resolving rollouts


def observe(service: Service) -> None:
    """A DescribeServices call that sees the service: rollouts resolve after
    `drain_after_describes` of them."""
    left = getattr(service, "rollout_describes_left", None)
    if left is None:
        return
    if left > 0:
        service.rollout_describes_left = left - 1
        return
    primary = _primary(service)
    if primary is None:
        service.rollout_describes_left = None
        return
    failure = _deployment_state(service, primary).failure
    if failure is not None:
        _fail(service, primary, failure)
    else:
        complete_rollout(service)


def let_time_pass(cloudmap: ServiceDiscoveryBackend, target: CloudMapService) -> None:
    """Cloud Map DeleteService of `target`: on AWS an old deployment's tasks stop, and their
    instances go, over minutes whether anyone looks or not; here time passes in calls. A caller
    retrying the delete while a deployment that is no longer PRIMARY keeps instances in `target`
    lets the rollout of that ECS service advance, as a DescribeServices call would."""
    for service in ecs_backends[cloudmap.account_id][cloudmap.region_name].services.values():
        state = getattr(service, "rollouts", None)
        if state is None or service.status != "ACTIVE":
            continue
        primary = _primary(service)
        draining = (
            task
            for deployment_id, deployment in state.deployments.items()
            if primary is None or deployment_id != primary["id"]
            for task in deployment.tasks
        )
        if any(service_id == target.id for task in draining for service_id, _ in task.registrations):
            observe(service)


def complete_rollout(service: Service) -> None:
    """The PRIMARY's tasks run; every other deployment drains. Also called after a change that
    made no new deployment (desiredCount), to run as many tasks as now desired."""
    primary = _primary(service)
    if primary is None:
        service.rollout_describes_left = None
        return
    for old in [d for d in service.deployments if d is not primary]:
        _drain(service, old)
    service.deployments = [primary]
    state = _deployment_state(service, primary)
    _run_tasks(service, primary, state, service.desired_count)
    newly = primary.get("rolloutState") != "COMPLETED"
    primary.update(
        desiredCount=service.desired_count,
        runningCount=service.desired_count,
        pendingCount=0,
        failedTasks=0,
        rolloutState="COMPLETED",
        rolloutStateReason=_completed(primary["id"]),
        updatedAt=utcnow(),
    )
    service.running_count, service.pending_count = service.desired_count, 0
    service.rollout_describes_left = None
    _state(service).last_completed = (copy.deepcopy(primary), state.service_connect)
    if newly:
        _record(service, "COMPLETED", primary, runningCount=service.desired_count, instances=_instance_count(state))


def rollout_settled(service: Service) -> bool:
    """No rollout is under way and the PRIMARY has COMPLETED (not FAILED, not stuck)."""
    primary = _primary(service)
    return (
        getattr(service, "rollout_describes_left", None) is None
        and primary is not None
        and primary.get("rolloutState") == "COMPLETED"
    )


def _fail(service: Service, primary: dict[str, Any], reason: str) -> None:
    breaker = (getattr(service, "deployment_configuration", None) or {}).get("deploymentCircuitBreaker") or {}
    # The ECS developer guide ("How the Amazon ECS deployment circuit breaker detects failures"):
    # the failure threshold is 50% of the desired count, at least 3 and at most 200.
    threshold = min(200, max(3, math.ceil(0.5 * service.desired_count)))
    if not breaker.get("enable"):
        # No circuit breaker: ECS keeps trying to start tasks; the rollout never resolves. One
        # failed task per look is our choice (AWS does not say how fast tasks fail).
        primary["failedTasks"] = primary.get("failedTasks", 0) + 1
        primary["updatedAt"] = utcnow()
        return
    primary.update(
        rolloutState="FAILED",
        rolloutStateReason=reason,
        failedTasks=threshold,
        runningCount=0,
        pendingCount=0,
        updatedAt=utcnow(),
    )
    _record(service, "FAILED", primary, reason=reason)
    service.rollout_describes_left = None
    last = _state(service).last_completed
    if not breaker.get("rollback") or last is None:
        return  # FAILED stays PRIMARY: "the deployment is stalled"
    _roll_back(service, primary, *last)


def _roll_back(service: Service, failed: dict[str, Any], target: dict[str, Any], sc: ServiceConnect | None) -> None:
    """A new PRIMARY deployment with the configuration of the last COMPLETED deployment."""
    service.task_definition = target.get("taskDefinition")
    service.network_configuration = target.get("networkConfiguration") or {}
    service.platform_version = target.get("platformVersion")
    rollback = new_deployment(service, service.network_configuration)
    rollback["rolloutStateReason"] = _rolling_back(target["id"])
    _demote_primary(service)
    _carry_service_connect(rollback, sc)
    service.deployments.insert(0, rollback)
    service.service_connect = sc
    _record(service, "ROLLED_BACK", failed, rollbackDeploymentId=rollback["id"], rolledBackTo=target["id"])
    _begin(service, rollback, sc, "Rollback", rolledBackFrom=failed["id"], rolledBackTo=target["id"])
    # This call shows the rollback under way; it resolves on later calls.


def _drain(service: Service, deployment: dict[str, Any]) -> None:
    state = _deployment_state(service, deployment)
    stopped = _instance_count(state)
    _stop_tasks(service, state, len(state.tasks))
    deployment.update(runningCount=0, pendingCount=0, updatedAt=utcnow())
    _state(service).deployments.pop(deployment["id"], None)
    _record(service, "DRAINED", deployment, instancesDeregistered=stopped)


def drain_all(service: Service) -> None:
    """DeleteService: every task stops at once (on AWS they stop over a while)."""
    for deployment in list(service.deployments):
        if deployment["id"] in _state(service).deployments:
            _drain(service, deployment)
    service.running_count = 0
    service.rollout_describes_left = None


# ---------------------------------------------------------------------------------------------
# Pretend tasks and their Cloud Map instances


def _run_tasks(service: Service, deployment: dict[str, Any], state: _DeploymentState, count: int) -> None:
    while len(state.tasks) > count:
        _stop_tasks(service, state, 1)
    while len(state.tasks) < count:
        task = _Task(uuid.UUID(int=mock_random.getrandbits(128)).hex, _ip())
        if settings.register_instances and state.service_connect is not None:
            task.registrations = _register(service, deployment, state.service_connect, task)
        state.tasks.append(task)


def _stop_tasks(service: Service, state: _DeploymentState, count: int) -> None:
    for task in [state.tasks.pop() for _ in range(min(count, len(state.tasks)))]:
        cloudmap = servicediscovery_backends[service._account_id][service.region_name]
        for service_id, instance_id in task.registrations:
            registered = cloudmap.services.get(service_id)
            if registered is None:
                continue
            for instance in list(registered.instances):
                if instance.instance_id == instance_id:
                    registered.instances.remove(instance)
                    registered.instances_revision[instance_id] = registered.instances_revision.get(instance_id, 0) + 1


def _register(service: Service, deployment: dict[str, Any], sc: ServiceConnect, task: _Task) -> list[tuple[str, str]]:
    """One instance per Cloud Map service of the deployment. The attributes are those ECS
    service discovery documents for its instances; which ones Service Connect writes is not
    documented."""
    cloudmap = servicediscovery_backends[service._account_id][service.region_name]
    by_arn = {s.arn: s for s in cloudmap.services.values()}
    ports = _container_ports(service, deployment)
    entries = {e.get("discoveryName") or e.get("portName"): e for e in sc.configuration.get("services") or []}
    family = (deployment.get("taskDefinition") or "").rsplit("/", 1)[-1].split(":")[0]
    made = []
    for resource in sc.resources:
        target = by_arn.get(resource["discoveryArn"])
        if target is None:
            continue
        entry = entries.get(resource["discoveryName"]) or {}
        port = entry.get("ingressPortOverride") or ports.get(entry.get("portName"))
        attributes = {
            "AWS_INSTANCE_IPV4": task.ip,
            "AVAILABILITY_ZONE": f"{service.region_name}a",
            "REGION": service.region_name,
            "ECS_CLUSTER_NAME": service.cluster_name,
            "ECS_SERVICE_NAME": service.name,
            "ECS_TASK_DEFINITION_FAMILY": family,
        }
        if port is not None:
            # The port the Service Connect proxy listens on (ingressPortOverride, else the container
            # port): our reading of the ECS guide's Service Connect concepts, not stated by AWS.
            attributes["AWS_INSTANCE_PORT"] = str(port)
        target.instances.append(ServiceInstance(target.id, task.id, attributes=attributes))
        target.instances_revision[task.id] = target.instances_revision.get(task.id, 0) + 1
        made.append((target.id, task.id))
    return made


def _container_ports(service: Service, deployment: dict[str, Any]) -> dict[str, int]:
    arn = deployment.get("taskDefinition")
    if not arn:
        return {}
    try:
        task_definition = service._backend.describe_task_definition(arn)
    except Exception:  # a deregistered revision: no port to report
        return {}
    return {
        mapping["name"]: mapping.get("containerPort")
        for container in task_definition.container_definitions
        for mapping in container.get("portMappings") or []
        if mapping.get("name")
    }


def _instance_count(state: _DeploymentState) -> int:
    return sum(len(task.registrations) for task in state.tasks)


def _ip() -> str:
    global _next_ip
    _next_ip += 1
    return f"10.0.{(_next_ip >> 8) & 255}.{_next_ip & 255}"
