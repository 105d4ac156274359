"""Switches for the behaviours AWS spreads over time, which the emulator spreads over calls instead.

Tests change them through the control API (POST /_emulator/settings). A value is read when the
thing it governs starts (a rollout, a Cloud Map operation), so changing it never rewrites history.
"""

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class Settings:
    # DescribeServices calls that still show a rollout in progress (the old deployment ACTIVE)
    # before it completes. 0: the first DescribeServices after a change already shows it done.
    drain_after_describes: int = 0
    # GetOperation polls an asynchronous Cloud Map operation spends in SUBMITTED, then in PENDING,
    # before it reaches SUCCESS or FAIL. 0: operations finish (and take effect) at once.
    operation_polls_per_stage: int = 2
    # DescribeServices calls that do not see a service just created: they report it as a failure
    # with reason MISSING, as ECS's eventual consistency does right after CreateService.
    # 0: visible at once.
    missing_after_create_describes: int = 0
    # 1: each running task of a Service Connect server registers an instance in every Cloud Map
    # service of its deployment's serviceConnectResources (and deregisters it when it stops), as
    # ECS does, so DeleteService of such a Cloud Map service is ResourceInUse while a deployment
    # that uses it runs. 0: no instances (tasks still "run"). Off by default: a test through
    # Terraform force-destroys a Cloud Map service another cluster's running service uses.
    register_instances: int = 0

    def update(self, changes: dict[str, Any]) -> None:
        known = {f.name: f for f in fields(self)}
        for key, value in changes.items():
            if key not in known:
                raise ValueError(f"unknown setting {key!r}; known: {sorted(known)}")
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"setting {key!r} must be a non-negative integer")
        for key, value in changes.items():
            setattr(self, key, value)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


settings = Settings()


def reset() -> None:
    fresh = Settings()
    for f in fields(fresh):
        setattr(settings, f.name, getattr(fresh, f.name))
