"""Cloud Map errors as the servicediscovery model declares them: HTTP status and extra members.

moto answers every Cloud Map error with HTTP 400 and only a message. The model gives each error
its status (NamespaceNotFound is 404, DuplicateRequest 409, ...) and some carry members a client
needs, e.g. DuplicateRequest.DuplicateOperationId to find the operation already under way.
"""

import json
from typing import Any

from moto.core.exceptions import JsonRESTError


class CloudMapError(JsonRESTError):
    status = 400

    def __init__(self, message: str, **members: Any) -> None:
        error_type = type(self).__name__
        super().__init__(error_type, message)
        self.code = self.status
        self.description = json.dumps({"__type": error_type, "Message": message, **members})


class InvalidInput(CloudMapError):
    status = 400


class NamespaceNotFound(CloudMapError):
    status = 404

    def __init__(self, namespace_id: str) -> None:
        super().__init__(f"Namespace not found: {namespace_id}")


class ServiceNotFound(CloudMapError):
    status = 404

    def __init__(self, service_id: str) -> None:
        super().__init__(f"Service not found: {service_id}")


class OperationNotFound(CloudMapError):
    status = 404

    def __init__(self, operation_id: str) -> None:
        super().__init__(f"Operation not found: {operation_id}")


class ResourceNotFoundException(CloudMapError):
    status = 404

    def __init__(self, arn: str) -> None:
        super().__init__(f"The operation can't be completed because the resource {arn} was not found.")


class ResourceInUse(CloudMapError):
    status = 409


class AccessDeniedException(CloudMapError):
    """Not in the Cloud Map model: AWS's common error for a call IAM or a resource share does not
    allow (here: a consumer changing what another account owns in a namespace shared with it)."""

    status = 400

    def __init__(self, account_id: str, action: str, arn: str) -> None:
        super().__init__(
            f"User: arn:aws:iam::{account_id}:root is not authorized to perform: servicediscovery:{action} "
            f"on resource: {arn} because no resource-based policy allows the servicediscovery:{action} action"
        )


class DuplicateRequest(CloudMapError):
    status = 409

    def __init__(self, operation_type: str, operation_id: str) -> None:
        super().__init__(
            f"Another operation of type {operation_type} and id {operation_id} is in progress",
            DuplicateOperationId=operation_id,
        )


class NamespaceAlreadyExists(CloudMapError):
    status = 400

    def __init__(self, namespace_id: str, creator_request_id: str | None) -> None:
        members: dict[str, Any] = {"NamespaceId": namespace_id}
        if creator_request_id:
            members["CreatorRequestId"] = creator_request_id
        super().__init__(f"Namespace already exists: {namespace_id}", **members)


class ServiceAlreadyExists(CloudMapError):
    status = 400

    def __init__(self, service_id: str, service_arn: str, creator_request_id: str | None) -> None:
        members: dict[str, Any] = {"ServiceId": service_id, "ServiceArn": service_arn}
        if creator_request_id:
            members["CreatorRequestId"] = creator_request_id
        super().__init__(f"Service already exists: {service_id}", **members)


class OperationFailure(CloudMapError):
    """Raised while an operation finishes: it ends FAIL with this ErrorCode (GetOperation's
    ErrorCode/ErrorMessage), never as an answer to a call."""

    def __init__(self, operation_code: str, message: str) -> None:
        super().__init__(message)
        self.operation_code = operation_code
