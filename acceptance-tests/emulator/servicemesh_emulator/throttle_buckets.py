"""AWS's request token buckets: calls beyond a bucket's burst and refill are throttled.

ECS publishes its buckets (Amazon ECS API Reference, "Request throttling for the Amazon ECS
API", section "Request Token Bucket Sizes and Refill Rates",
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html#throttling-quotas):
each category of actions shares one bucket per account and Region; a call takes a token or is
answered with ThrottlingException; the bucket refills at a set rate up to its capacity. The
`ecs` preset below is that table, for the actions of it the emulator serves.

Modelled as the page describes it, with two choices it leaves open, said here:
- AWS adds the refill "every second"; the emulator adds it continuously (the same rate, since
  AWS does not say when in the second).
- A bucket starts full (an account nobody else used in the last seconds).
Cloud Map publishes a bucket for DiscoverInstances only (2,000, refilled at 1,000 a second,
answered RequestLimitExceeded; Cloud Map developer guide, "Handle AWS Cloud Map DiscoverInstances
API request throttling"), which the provider does not call, and Route 53 none per action, so no
preset models them.

Off unless a test or the bench turns it on (`POST /_emulator/throttle-buckets`).
"""

import threading
import time
from dataclasses import dataclass
from typing import Any

from .protocol import AwsCall, throttling_error

# (category, actions, capacity (burst), refill per second (sustained)) as AWS publishes them.
ECS_PUBLISHED: tuple[tuple[str, tuple[str, ...], int, float], ...] = (
    (
        "Cluster modify actions",
        ("CreateCluster", "DeleteCluster", "PutClusterCapacityProviders", "UpdateCluster", "UpdateClusterSettings"),
        20,
        1,
    ),
    ("Cluster read actions", ("DescribeClusters", "ListClusters"), 50, 20),
    ("Task definition modify actions", ("DeregisterTaskDefinition", "RegisterTaskDefinition"), 20, 1),
    (
        "Task definition read actions",
        ("DescribeTaskDefinition", "ListTaskDefinitions", "ListTaskDefinitionFamilies"),
        50,
        20,
    ),
    ("Task definition deletion actions", ("DeleteTaskDefinitions",), 5, 1),
    (
        "Capacity provider modify actions",
        ("CreateCapacityProvider", "DeleteCapacityProvider", "UpdateCapacityProvider"),
        10,
        1,
    ),
    ("Capacity provider read actions", ("DescribeCapacityProviders",), 50, 20),
    ("Tag modify actions", ("TagResource", "UntagResource"), 20, 10),
    ("Tag read actions", ("ListTagsForResource",), 50, 20),
    ("Setting modify actions", ("DeleteAccountSetting", "PutAccountSetting", "PutAccountSettingDefault"), 10, 1),
    ("Setting read actions", ("ListAccountSettings",), 50, 20),
    (
        "Cluster resource modify actions",
        (
            "DeleteAttributes",
            "DeregisterContainerInstance",
            "ExecuteCommand",
            "PutAttributes",
            "RunTask",
            "StartTask",
            "StopTask",
            "UpdateContainerAgent",
            "UpdateContainerInstancesState",  # the table says "UpdateContainerInstancesStates"
        ),
        100,
        40,
    ),
    (
        "Cluster resource read actions",
        ("DescribeContainerInstances", "DescribeTasks", "ListAttributes", "ListContainerInstances", "ListTasks"),
        100,
        20,
    ),
    ("Service modify actions", ("CreateService", "DeleteService", "UpdateService"), 50, 5),
    ("Service read actions", ("DescribeServices", "ListServices"), 100, 20),
    ("Service deployment actions", ("DescribeServiceDeployments", "ListServiceDeployments"), 50, 20),
    ("Service revision actions", ("DescribeServiceRevisions",), 50, 20),
    ("Task protection actions", ("UpdateTaskProtection", "GetTaskProtection"), 200, 80),
    ("Cluster service resource read actions", ("ListServicesByNamespace",), 10, 1),
)


@dataclass
class Bucket:
    name: str
    operations: frozenset[str]  # "service:Operation"
    capacity: int
    refill: float  # tokens per second
    tokens: float = 0.0
    updated: float = 0.0
    taken: int = 0
    throttled: int = 0

    def level(self, now: float) -> float:
        return min(float(self.capacity), self.tokens + (now - self.updated) * self.refill)

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = self.level(now)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            self.taken += 1
            return True
        self.throttled += 1
        return False

    def fill(self) -> None:
        self.tokens, self.updated = float(self.capacity), time.monotonic()
        self.taken = self.throttled = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "operations": sorted(self.operations),
            "capacity": self.capacity,
            "refill": self.refill,
            "tokens": round(self.level(time.monotonic()), 3),
            "taken": self.taken,
            "throttled": self.throttled,
        }


class ThrottleBuckets:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: list[Bucket] = []

    def set(self, spec: Any) -> list[dict[str, Any]]:
        """`{"preset": "ecs"}`, or `{"buckets": [{"name", "operations": ["ecs:UpdateService"],
        "capacity", "refill"}]}`; replaces the buckets there were, each full."""
        buckets = _parse(spec)
        with self._lock:
            self._buckets = buckets
        return self.fill()

    def fill(self) -> list[dict[str, Any]]:
        """Every bucket full again and its counts zeroed: a command that starts on a quiet account."""
        with self._lock:
            for bucket in self._buckets:
                bucket.fill()
            return [b.as_dict() for b in self._buckets]

    def clear(self) -> None:
        with self._lock:
            self._buckets = []

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [b.as_dict() for b in self._buckets]

    def check(self, call: AwsCall) -> tuple[str, int, str] | None:
        """The throttling error to answer this call with, or None when its bucket has a token
        (or no bucket holds its action)."""
        with self._lock:
            for bucket in self._buckets:
                if call.name in bucket.operations:
                    return None if bucket.take() else throttling_error(call)
        return None


def _parse(spec: Any) -> list[Bucket]:
    if not isinstance(spec, dict) or set(spec) not in ({"preset"}, {"buckets"}):
        raise ValueError('throttle buckets are {"preset": "ecs"} or {"buckets": [...]}')
    if "preset" in spec:
        if spec["preset"] != "ecs":
            raise ValueError('the only preset is "ecs" (the only buckets AWS publishes for calls the provider makes)')
        return [
            Bucket(name, frozenset(f"ecs:{op}" for op in ops), capacity, float(refill))
            for name, ops, capacity, refill in ECS_PUBLISHED
        ]
    raw = spec["buckets"]
    if not isinstance(raw, list):
        raise ValueError('"buckets" is a list')
    buckets = []
    for item in raw:
        if not isinstance(item, dict) or set(item) != {"name", "operations", "capacity", "refill"}:
            raise ValueError('a bucket is {"name", "operations", "capacity", "refill"}')
        operations = item["operations"]
        if not isinstance(operations, list) or not all(isinstance(o, str) and ":" in o for o in operations):
            raise ValueError('"operations" are "service:Operation" names')
        capacity, refill = item["capacity"], item["refill"]
        if not isinstance(capacity, int) or capacity < 0:
            raise ValueError('"capacity" is a non-negative integer')
        if not isinstance(refill, (int, float)) or refill < 0:
            raise ValueError('"refill" is a non-negative number of tokens per second')
        buckets.append(Bucket(str(item["name"]), frozenset(operations), capacity, float(refill)))
    return buckets
