"""The WSGI layer in front of moto.

Every request is either a control call (/_emulator/...) or an AWS call. An AWS call is counted,
delayed if latency is set, failed if a fault rule fires or its token bucket is empty, and
otherwise handed to moto. moto's backends are plain objects that are not safe to mutate from
several threads at once, so moto runs under one lock; latency is spent outside it so slow calls
do not serialise the others.
"""

import io
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from . import protocol
from .control import CONTROL_PREFIX, ControlApi
from .faults import Counters, Faults, Latency
from .throttle_buckets import ThrottleBuckets

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class EmulatorApp:
    def __init__(self, moto_app: WsgiApp) -> None:
        self.moto_app = moto_app
        self.moto_lock = threading.RLock()
        self.faults = Faults()
        self.latency = Latency()
        self.buckets = ThrottleBuckets()
        self.counters = Counters()
        self.control = ControlApi(self)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(CONTROL_PREFIX):
            return self.control.handle(environ, start_response)

        body = _read_body(environ)
        call = protocol.identify(environ, body)
        logged = self.counters.record_call(call.name)
        try:
            return self.answer(environ, start_response, call)
        finally:
            self.counters.record_end(logged)

    def answer(
        self, environ: dict[str, Any], start_response: Callable[..., Any], call: protocol.AwsCall
    ) -> Iterable[bytes]:
        delay = self.latency.seconds_for(call)
        if delay:
            time.sleep(delay)

        fault = self.faults.check(call) or self.buckets.check(call)
        if fault is not None:
            code, status, message = fault
            self.counters.record_error(call.name)
            status_line, headers, payload = protocol.render_error(call, code, status, message)
            start_response(status_line, headers)
            return [payload]

        with self.moto_lock:
            status_line, headers, payload = self.call_moto(environ)
        if int(status_line.split(" ", 1)[0]) >= 400:
            self.counters.record_error(call.name)
        start_response(status_line, headers)
        return [payload]

    def call_moto(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        """Runs moto to completion, so nothing of it runs outside the lock."""
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"], captured["headers"] = status, headers
            return lambda _data: None

        result = self.moto_app(environ, capture)
        try:
            payload = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return captured["status"], captured["headers"], payload


def _read_body(environ: dict[str, Any]) -> bytes:
    """Reads the request body and puts it back, so moto can read it again."""
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    if length:
        body = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body
