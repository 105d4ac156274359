"""The control API for tests: JSON in and out, under /_emulator/ on the emulator's own port.

See README.md for every route. Anything that touches moto's state takes the moto lock.
"""

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ec2 import ec2_backends
from moto.moto_api._internal.models import moto_api_backend

from . import cloudmap_instances, cloudmap_operations, cloudmap_sharing, rollouts, settings

if TYPE_CHECKING:
    from .middleware import EmulatorApp

CONTROL_PREFIX = "/_emulator/"


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ControlApi:
    def __init__(self, app: "EmulatorApp") -> None:
        self.app = app
        self.routes: dict[tuple[str, str], Callable[[dict[str, Any], dict[str, str]], Any]] = {
            ("GET", "health"): lambda body, query: {"status": "ok"},
            ("POST", "reset"): self.reset,
            ("GET", "counters"): lambda body, query: app.counters.as_dict(),
            ("GET", "counters/log"): lambda body, query: {"log": app.counters.log()},
            ("POST", "counters/reset"): self.reset_counters,
            ("DELETE", "counters"): self.reset_counters,
            ("GET", "settings"): lambda body, query: settings.settings.as_dict(),
            ("POST", "settings"): self.update_settings,
            ("GET", "faults"): lambda body, query: {"faults": app.faults.list()},
            ("POST", "faults"): lambda body, query: app.faults.add(body).as_dict(),
            ("DELETE", "faults"): self.clear_faults,
            ("GET", "latency"): lambda body, query: {"latency": app.latency.as_dict()},
            ("POST", "latency"): self.set_latency,
            ("DELETE", "latency"): self.clear_latency,
            ("GET", "throttle-buckets"): lambda body, query: {"buckets": app.buckets.list()},
            ("POST", "throttle-buckets"): lambda body, query: {"buckets": app.buckets.set(body)},
            ("POST", "throttle-buckets/fill"): lambda body, query: {"buckets": app.buckets.fill()},
            ("DELETE", "throttle-buckets"): self.clear_buckets,
            ("POST", "cloudmap/fail-next-namespace-operation"): self.fail_next_namespace_operation,
            ("DELETE", "cloudmap/fail-next-namespace-operation"): self.cancel_namespace_failure,
            ("POST", "cloudmap/finish-operations"): self.finish_operations,
            ("POST", "cloudmap/shared-namespaces"): self.share_namespace,
            ("GET", "cloudmap/instance-changes"): lambda body, query: cloudmap_instances.timing(),
            ("POST", "cloudmap/instance-changes"): lambda body, query: cloudmap_instances.set_timing(body),
            ("GET", "ecs/deployment-log"): self.deployment_log,
            ("POST", "ecs/fail-next-deployment"): self.fail_next_deployment,
            ("GET", "ecs/fail-next-deployment"): self.armed_deployment_failures,
            ("DELETE", "ecs/fail-next-deployment"): self.cancel_deployment_failures,
            ("GET", "network"): self.network,
            ("POST", "network/vpcs"): self.create_vpc,
        }

    def handle(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        route = environ.get("PATH_INFO", "")[len(CONTROL_PREFIX) :].strip("/")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            body = _json_body(environ)
            handler = self.routes.get((method, route))
            if handler is None and method == "DELETE" and route.startswith("faults/"):
                result = self.remove_fault(route.split("/", 1)[1])
            elif handler is None:
                raise ControlError(404, f"no control route {method} {CONTROL_PREFIX}{route}")
            else:
                result = handler(body, query)
            status, payload = "200 OK", result
        except ControlError as error:
            status, payload = f"{error.status} Error", {"error": str(error)}
        except ValueError as error:
            status, payload = "400 Bad Request", {"error": str(error)}
        data = json.dumps(payload).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    def reset(self, body: Any, query: dict[str, str]) -> dict[str, Any]:
        with self.app.moto_lock:
            moto_api_backend.reset()
            cloudmap_operations.reset()
            cloudmap_instances.reset()
            rollouts.reset()
            settings.reset()
        self.app.faults.clear()
        self.app.latency.clear()
        self.app.buckets.clear()
        self.app.counters.reset()
        return {"reset": True}

    def reset_counters(self, body: Any, query: dict[str, str]) -> dict[str, Any]:
        self.app.counters.reset()
        return self.app.counters.as_dict()

    def update_settings(self, body: Any, query: dict[str, str]) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ValueError("settings are a JSON object")
        settings.settings.update(body)
        return settings.settings.as_dict()

    def clear_faults(self, body: Any, query: dict[str, str]) -> dict[str, Any]:
        self.app.faults.clear()
        return {"faults": []}

    def remove_fault(self, rule_id: str) -> dict[str, Any]:
        if not rule_id.isdigit() or not self.app.faults.remove(int(rule_id)):
            raise ControlError(404, f"no fault rule {rule_id}")
        return {"removed": int(rule_id)}

    def set_latency(self, body: Any, query: dict[str, str]) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ValueError('latency is {"operation": "*", "ms": 100}')
        self.app.latency.set(body.get("operation", "*"), body.get("ms"))
        return {"latency": self.app.latency.as_dict()}

    def clear_latency(self, body: Any, query: dict[str, str]) -> dict[str, Any]:
        self.app.latency.clear()
        return {"latency": {}}

    def clear_buckets(self, body: Any, query: dict[str, str]) -> dict[str, Any]:
        self.app.buckets.clear()
        return {"buckets": []}

    def fail_next_namespace_operation(self, body: Any, query: dict[str, str]) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        code = body.get("code", "INTERNAL_FAILURE")
        message = body.get("message", "Injected failure of the namespace operation.")
        if not isinstance(code, str) or not isinstance(message, str):
            raise ValueError('"code" and "message" must be strings')
        with self.app.moto_lock:
            cloudmap_operations.fail_next_namespace_operation(code, message)
        return {"code": code, "message": message}

    def cancel_namespace_failure(self, body: Any, query: dict[str, str]) -> dict[str, Any]:
        with self.app.moto_lock:
            cloudmap_operations.fail_next_namespace_operation(None, None)
        return {"cancelled": True}

    def finish_operations(self, body: Any, query: dict[str, str]) -> dict[str, Any]:
        with self.app.moto_lock:
            return {"finished": cloudmap_operations.finish_all()}

    def deployment_log(self, body: Any, query: dict[str, str]) -> dict[str, Any]:
        """Every ECS deployment event (CREATED, COMPLETED, FAILED, ROLLED_BACK, DRAINED) in the
        order it happened, optionally only those of ?service=NAME and/or ?cluster=NAME."""
        with self.app.moto_lock:
            return {"events": rollouts.deployment_log(query.get("service"), query.get("cluster"))}

    def fail_next_deployment(self, body: Any, query: dict[str, str]) -> dict[str, Any]:
        """The next deployment of the named ECS service that starts fails its tasks; the
        service's deployment circuit breaker decides what follows (rollouts)."""
        if not isinstance(body, dict) or not isinstance(body.get("service"), str) or not body["service"]:
            raise ValueError('a deployment failure is {"service": "name", "cluster": "name", "reason": "..."}')
        for key in ("cluster", "reason"):
            if body.get(key) is not None and not isinstance(body[key], str):
                raise ValueError(f'"{key}" must be a string')
        with self.app.moto_lock:
            return rollouts.arm_failure(body["service"], body.get("cluster"), body.get("reason"))

    def armed_deployment_failures(self, body: Any, query: dict[str, str]) -> dict[str, Any]:
        with self.app.moto_lock:
            return {"armed": rollouts.armed_failures()}

    def cancel_deployment_failures(self, body: Any, query: dict[str, str]) -> dict[str, Any]:
        with self.app.moto_lock:
            rollouts.disarm_failures()
        return {"armed": []}

    def share_namespace(self, body: Any, query: dict[str, str]) -> dict[str, Any]:
        """A namespace of another account, shared with ours through AWS RAM (cloudmap_sharing)."""
        if not isinstance(body, dict):
            raise ValueError('a shared namespace is {"name": "...", "ownerAccount": "210987654321", ...}')
        region = body.get("region") or "us-east-1"
        with self.app.moto_lock:
            default_vpc = ec2_backends[DEFAULT_ACCOUNT_ID][region].get_default_vpc()
            return cloudmap_sharing.plant_shared_namespace(
                DEFAULT_ACCOUNT_ID, region, body, default_vpc.id if default_vpc else ""
            )

    def create_vpc(self, body: Any, query: dict[str, str]) -> dict[str, Any]:
        """Another VPC in the account (moto's EC2), e.g. to associate with a namespace's zone."""
        body = body if isinstance(body, dict) else {}
        region = body.get("region") or "us-east-1"
        cidr = body.get("cidr") or "10.1.0.0/16"
        if not isinstance(cidr, str):
            raise ValueError('"cidr" is a CIDR block string such as "10.1.0.0/16"')
        with self.app.moto_lock:
            try:
                vpc = ec2_backends[DEFAULT_ACCOUNT_ID][region].create_vpc(cidr)
            except Exception as error:  # moto's EC2 errors (bad CIDR) are the caller's input
                raise ValueError(f"cannot create a VPC with {cidr}: {error}") from error
            return {"vpcId": vpc.id, "cidr": cidr, "region": region}

    def network(self, body: Any, query: dict[str, str]) -> dict[str, Any]:
        """moto's default VPC, its subnets and default security group, to pass to AWS calls."""
        region = query.get("region", "us-east-1")
        with self.app.moto_lock:
            ec2 = ec2_backends[DEFAULT_ACCOUNT_ID][region]
            vpc = ec2.get_default_vpc()
            if vpc is None:
                raise ControlError(404, f"no default VPC in {region}")
            subnets = sorted(s.id for s in ec2.get_default_subnets().values())
            group = ec2.get_default_security_group(vpc.id)
            return {"vpcId": vpc.id, "subnetIds": subnets, "securityGroupId": group.id if group else None}


def _json_body(environ: dict[str, Any]) -> Any:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError as error:
        raise ValueError(f"request body is not JSON: {error}") from error
