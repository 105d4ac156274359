"""Asynchronous Cloud Map operations.

On AWS, CreatePrivateDnsNamespace and friends return an operation id at once and do the work in
the background; the caller polls GetOperation until SUCCESS or FAIL. moto does the work at once
and reports SUCCESS, so polling code is never exercised. Here time is counted in GetOperation
polls: an operation spends `operation_polls_per_stage` polls in SUBMITTED, as many in PENDING,
then finishes. A namespace operation's effect (the namespace appearing, changing or going away)
happens only when it finishes with SUCCESS, and not at all on FAIL.
"""

from collections.abc import Callable

from moto.core.utils import unix_time
from moto.servicediscovery.models import Operation, servicediscovery_backends

from .cloudmap_errors import CloudMapError, OperationFailure
from .settings import settings

# One-shot: (ErrorCode, ErrorMessage) for the next namespace operation to end with.
_next_namespace_failure: tuple[str, str] | None = None


def fail_next_namespace_operation(code: str | None, message: str | None) -> None:
    global _next_namespace_failure
    _next_namespace_failure = (code, message) if code and message else None


def reset() -> None:
    fail_next_namespace_operation(None, None)


def _take_namespace_failure() -> tuple[str, str] | None:
    global _next_namespace_failure
    failure, _next_namespace_failure = _next_namespace_failure, None
    return failure


class AsyncOperation(Operation):
    def __init__(
        self,
        operation_type: str,
        targets: dict[str, str],
        owner_account: str,
        *,
        on_success: Callable[[], None] | None = None,
        affects_namespace: bool = False,
        request_type: str = "",
        creator_request_id: str | None = None,
        namespace_name: str | None = None,
        vpc: str | None = None,
    ) -> None:
        super().__init__(operation_type, targets)
        self.owner_account = owner_account
        self.status = "SUBMITTED"
        self.polls = 0
        self.polls_per_stage = settings.operation_polls_per_stage
        self.error: tuple[str, str] | None = _take_namespace_failure() if affects_namespace else None
        self.request_type = request_type  # e.g. "CreatePrivateDnsNamespace", for DuplicateRequest
        self.creator_request_id = creator_request_id
        self.namespace_name = namespace_name
        self.vpc = vpc
        self._on_success = on_success

    def start(self) -> None:
        """Called once the backend has recorded the operation; finishes at once with 0 polls per stage."""
        if self.polls_per_stage == 0:
            self.finish()

    @property
    def done(self) -> bool:
        return self.status in ("SUCCESS", "FAIL")

    def poll(self) -> None:
        if self.done:
            return
        self.polls += 1
        stage = (self.polls - 1) // self.polls_per_stage
        if stage >= 2:
            self.finish()
        elif stage == 1 and self.status != "PENDING":
            self.status = "PENDING"
            self.updated = unix_time()

    def finish(self) -> None:
        if self.done:
            return
        if self.error is None and self._on_success is not None:
            try:
                self._on_success()
            except OperationFailure as error:
                self.error = (error.operation_code, error.message)
            except CloudMapError as error:
                # The world changed while the operation waited (e.g. a service appeared in a
                # namespace being deleted): AWS reports that through the operation, not the call.
                self.error = ("INVALID_CHANGE_BATCH", error.message)
        self.status = "FAIL" if self.error else "SUCCESS"
        self.updated = unix_time()

    def to_json(self, short: bool = False) -> dict[str, object]:
        out = super().to_json(short=short)
        if not short:
            out["OwnerAccount"] = self.owner_account
            if self.status == "FAIL" and self.error:
                out["ErrorCode"], out["ErrorMessage"] = self.error
        return out


def finish_all() -> list[str]:
    """Finishes every unfinished operation in every account and region; returns their ids."""
    finished = []
    for account_backends in list(servicediscovery_backends.values()):
        for backend in list(account_backends.values()):
            for operation in list(backend.operations.values()):
                if isinstance(operation, AsyncOperation) and not operation.done:
                    operation.finish()
                    finished.append(operation.id)
    return finished
