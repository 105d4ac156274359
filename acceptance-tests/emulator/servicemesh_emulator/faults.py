"""Fault and latency rules, matched against each AWS call before moto sees it.

A fault rule fails calls to one operation pattern ("ecs:UpdateService", "ecs:*", "*"):
  kind     "throttle" (the protocol's throttling error), "5xx" (the service's fault shape),
           or "error" (give code, status and message yourself)
  count    fail at most this many calls (default: no limit)
  rate     fail each eligible call with this probability (default 1.0); seed makes it repeatable
  after    let the first K matching calls through, then fail: with no count, an outage
  match    only calls whose request fields match, e.g. {"service": "backend"}; a value also
           matches an ARN or path whose last "/" segment equals it
The first rule that fires wins; code/status/message override the kind's defaults.
"""

import fnmatch
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .protocol import AwsCall, server_error, throttling_error

_KINDS = ("throttle", "5xx", "error")


@dataclass
class FaultRule:
    id: int
    operation: str
    kind: str
    count: int | None = None
    rate: float = 1.0
    after: int = 0
    match: dict[str, Any] = field(default_factory=dict)
    code: str | None = None
    status: int | None = None
    message: str | None = None
    seed: int | None = None
    seen: int = 0  # matching calls so far
    fired: int = 0  # calls this rule failed

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def applies_to(self, call: AwsCall) -> bool:
        if not fnmatch.fnmatchcase(call.name, self.operation):
            return False
        return all(_field_matches(call.params.get(k), v) for k, v in self.match.items())

    def should_fire(self) -> bool:
        self.seen += 1
        if self.seen <= self.after:
            return False
        if self.count is not None and self.fired >= self.count:
            return False
        if self.rate < 1.0 and self._random.random() >= self.rate:
            return False
        self.fired += 1
        return True

    def error_for(self, call: AwsCall) -> tuple[str, int, str]:
        if self.kind == "throttle":
            code, status, message = throttling_error(call)
        elif self.kind == "5xx":
            code, status, message = server_error(call)
        else:
            code, status, message = "InternalFailure", 500, "Injected error."
        return self.code or code, self.status or status, self.message or message

    def as_dict(self) -> dict[str, Any]:
        keys = ("id", "operation", "kind", "count", "rate", "after", "match", "code", "status", "message", "seed")
        out = {k: getattr(self, k) for k in keys}
        out.update(seen=self.seen, fired=self.fired)
        return out


def _field_matches(actual: Any, wanted: Any) -> bool:
    if actual == wanted:
        return True
    return isinstance(actual, str) and isinstance(wanted, str) and actual.rsplit("/", 1)[-1] == wanted


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._next_id = 1

    def add(self, spec: dict[str, Any]) -> FaultRule:
        rule = _parse_rule(spec, self._next_id)
        with self._lock:
            self._next_id += 1
            self._rules.append(rule)
        return rule

    def remove(self, rule_id: int) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) != before

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.as_dict() for r in self._rules]

    def check(self, call: AwsCall) -> tuple[str, int, str] | None:
        """The error to answer this call with, or None to let it through."""
        with self._lock:
            for rule in self._rules:
                if rule.applies_to(call) and rule.should_fire():
                    return rule.error_for(call)
        return None


def _parse_rule(spec: dict[str, Any], rule_id: int) -> FaultRule:
    if not isinstance(spec, dict):
        raise ValueError("a fault is a JSON object")
    unknown = set(spec) - {"operation", "kind", "count", "rate", "after", "match", "code", "status", "message", "seed"}
    if unknown:
        raise ValueError(f"unknown fault fields: {sorted(unknown)}")
    operation = spec.get("operation")
    if not isinstance(operation, str) or not operation:
        raise ValueError('"operation" is required, e.g. "ecs:UpdateService", "ecs:*" or "*"')
    kind = spec.get("kind", "throttle")
    if kind not in _KINDS:
        raise ValueError(f'"kind" must be one of {_KINDS}')
    if kind == "error" and not (spec.get("code") and spec.get("status")):
        raise ValueError('kind "error" needs "code" and "status"')
    count = spec.get("count")
    if count is not None and (not isinstance(count, int) or count < 0):
        raise ValueError('"count" must be a non-negative integer')
    rate = spec.get("rate", 1.0)
    if not isinstance(rate, (int, float)) or not 0.0 <= rate <= 1.0:
        raise ValueError('"rate" must be between 0 and 1')
    after = spec.get("after", 0)
    if not isinstance(after, int) or after < 0:
        raise ValueError('"after" must be a non-negative integer')
    match = spec.get("match", {})
    if not isinstance(match, dict):
        raise ValueError('"match" must be an object of request fields')
    status = spec.get("status")
    if status is not None and (not isinstance(status, int) or not 400 <= status <= 599):
        raise ValueError('"status" must be an HTTP error status (400-599)')
    return FaultRule(
        id=rule_id,
        operation=operation,
        kind=kind,
        count=count,
        rate=float(rate),
        after=after,
        match=match,
        code=spec.get("code"),
        status=status,
        message=spec.get("message"),
        seed=spec.get("seed"),
    )


class Latency:
    """Added delay per call: the most specific of "ecs:UpdateService", "ecs:*", "*" applies."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._millis: dict[str, int] = {}

    def set(self, operation: str, millis: int) -> None:
        if not isinstance(operation, str) or not (operation == "*" or ":" in operation):
            raise ValueError('"operation" must be "*", "service:*" or "service:Operation"')
        if not isinstance(millis, int) or millis < 0:
            raise ValueError('"ms" must be a non-negative integer')
        with self._lock:
            if millis:
                self._millis[operation] = millis
            else:
                self._millis.pop(operation, None)

    def clear(self) -> None:
        with self._lock:
            self._millis = {}

    def as_dict(self) -> dict[str, int]:
        with self._lock:
            return dict(self._millis)

    def seconds_for(self, call: AwsCall) -> float:
        with self._lock:
            for key in (call.name, f"{call.service}:*", "*"):
                if key in self._millis:
                    return self._millis[key] / 1000.0
        return 0.0


class Counters:
    """Calls per "service:Operation", how many of them got an error answer (faults included),
    and a log of every call with when it arrived and when its answer was ready (milliseconds
    since the last reset), so that tests can see which calls were in flight together."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, int] = {}
        self._errors: dict[str, int] = {}
        self._log: list[dict[str, Any]] = []
        self._since = time.monotonic()

    def _now_ms(self) -> float:
        return round((time.monotonic() - self._since) * 1000.0, 3)

    def record_call(self, name: str) -> int:
        """Counts the call and logs its arrival; returns its place in the log."""
        with self._lock:
            self._calls[name] = self._calls.get(name, 0) + 1
            self._log.append({"operation": name, "start_ms": self._now_ms(), "end_ms": None})
            return len(self._log) - 1

    def record_end(self, index: int) -> None:
        with self._lock:
            if index < len(self._log):
                self._log[index]["end_ms"] = self._now_ms()

    def record_error(self, name: str) -> None:
        with self._lock:
            self._errors[name] = self._errors.get(name, 0) + 1

    def reset(self) -> None:
        with self._lock:
            self._calls, self._errors, self._log = {}, {}, []
            self._since = time.monotonic()

    def as_dict(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {"calls": dict(self._calls), "errors": dict(self._errors)}

    def log(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(entry) for entry in self._log]
