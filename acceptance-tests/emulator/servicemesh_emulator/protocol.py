"""Which AWS call a request is, and how AWS shapes an error for it.

AWS has several wire protocols and the emulator must speak each one's error dialect, or an SDK
will not recognise a throttle as a throttle:
  json      (ECS, Cloud Map)  operation in X-Amz-Target, error as {"__type", "message"}
  rest-xml  (Route 53)        operation from method + URI template, error as <ErrorResponse>
  query     (STS)             operation in the Action form field, error as <ErrorResponse>
The service comes from the SigV4 credential scope (as moto routes it), the rest from botocore's
models, which moto ships with.
"""

import json
import re
import uuid
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote

import botocore.session

_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass
class AwsCall:
    service: str  # the signing name, which is also the IAM prefix: "ecs", "servicediscovery"
    operation: str  # "UpdateService"; "Unknown" when the request names none we know
    protocol: str  # "json", "rest-json", "rest-xml", "query"
    region: str
    params: dict[str, Any] = field(default_factory=dict)  # top-level request fields

    @property
    def name(self) -> str:
        return f"{self.service}:{self.operation}"


@cache
def _service_model(service: str) -> Any:
    try:
        return botocore.session.get_session().get_service_model(service)
    except Exception:  # not a botocore service name: counted, but without model help
        return None


def _rest_routes(model: Any) -> list[tuple[str, re.Pattern[str], str]]:
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        template = http.get("requestUri", "/").split("?")[0]
        pattern = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.+)", re.escape(template))
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", pattern)
        routes.append((http.get("method", "GET"), re.compile(f"^{pattern}/?$"), name))
    # The most literal template wins: /hostedzone/{Id}/rrset before /hostedzone/{Id}.
    routes.sort(key=lambda r: -len(re.sub(r"\(\?P<\w+>[^)]*\)", "", r[1].pattern)))
    return routes


@cache
def _cached_rest_routes(service: str) -> list[tuple[str, re.Pattern[str], str]]:
    model = _service_model(service)
    return _rest_routes(model) if model is not None else []


_UNSIGNED_STS_ACTIONS = frozenset({"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"})


def identify(environ: dict[str, Any], body: bytes) -> AwsCall:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    scope = _CREDENTIAL_SCOPE.search(auth)
    region, service = (scope.group(1), scope.group(2)) if scope else ("us-east-1", "unknown")
    target = environ.get("HTTP_X_AMZ_TARGET")
    path = environ.get("PATH_INFO", "/")
    method = environ.get("REQUEST_METHOD", "GET")
    content_type = environ.get("CONTENT_TYPE", "")

    if target:
        return AwsCall(service, target.rsplit(".", 1)[-1], "json", region, _json_fields(body))
    if path.startswith("/service/") and "/operation/" in path:  # smithy-rpc-v2-cbor
        return AwsCall(service, path.rsplit("/", 1)[-1], "json", region)
    if content_type.startswith("application/x-www-form-urlencoded"):
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if "Action" in form:
            action = form["Action"]
            # STS calls made before any credentials exist are unsigned, so no
            # credential scope names the service; their actions do.
            if service == "unknown" and action in _UNSIGNED_STS_ACTIONS:
                service = "sts"
            return AwsCall(service, action, "query", region, form)

    model = _service_model(service)
    protocol = model.metadata.get("protocol", "rest-json") if model is not None else "rest-json"
    if protocol not in ("rest-xml", "rest-json"):
        protocol = "rest-json"
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    for route_method, pattern, operation in _cached_rest_routes(service):
        match = pattern.match(path)
        if route_method == method and match:
            labels = {k: unquote(v) for k, v in match.groupdict().items()}
            return AwsCall(service, operation, protocol, region, {**query, **labels})
    return AwsCall(service, "Unknown", protocol, region, query)


def _json_fields(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def throttling_error(call: AwsCall) -> tuple[str, int, str]:
    """(code, status, message) AWS sends when it throttles this call."""
    if call.protocol in ("rest-xml", "query"):
        return "Throttling", 400, "Rate exceeded"
    return "ThrottlingException", 400, "Rate exceeded"


def server_error(call: AwsCall) -> tuple[str, int, str]:
    """(code, status, message) of a 5xx: the service's own fault shape if its model has one."""
    return _server_error(call.service)


@cache
def _server_error(service: str) -> tuple[str, int, str]:
    model = _service_model(service)
    if model is not None:
        for shape_name in model.shape_names:
            raw = model.shape_for(shape_name)._shape_model  # "fault" is not in botocore's Shape.metadata
            if raw.get("fault") and raw.get("exception"):
                return shape_name, 500, "Service Unavailable. Please try again later."
    return "InternalFailure", 500, "The request processing has failed because of an unknown error."


def render_error(call: AwsCall, code: str, status: int, message: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """A complete (status line, headers, body) for an error in the call's protocol."""
    request_id = str(uuid.uuid4())
    status_line = f"{status} {_REASONS.get(status, 'Error')}"
    if call.protocol in ("rest-xml", "query"):
        model = _service_model(call.service)
        version = model.api_version if model is not None else "2011-06-15"
        namespace = f"https://{call.service}.amazonaws.com/doc/{version}/"
        kind = "Receiver" if status >= 500 else "Sender"
        body = (
            f'<?xml version="1.0"?>\n<ErrorResponse xmlns="{namespace}"><Error><Type>{kind}</Type>'
            f"<Code>{_xml(code)}</Code><Message>{_xml(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
    else:
        content_type = "application/json" if call.protocol == "rest-json" else "application/x-amz-json-1.1"
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = [("Content-Type", content_type), ("x-amzn-ErrorType", code), ("x-amzn-RequestId", request_id)]
    headers.append(("Content-Length", str(len(body))))
    return status_line, headers, body


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_REASONS = {
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
