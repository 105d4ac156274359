"""Command line entry point: serve moto, patched, on 127.0.0.1 until SIGTERM or SIGINT.

stdout carries exactly one line, "READY <port>", once the server accepts connections and moto's
lazily loaded parts are warm; everything else (moto, werkzeug, bootstrap) goes to stderr.
"""

import argparse
import io
import logging
import os
import signal
import sys
import threading
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from . import cloudmap, cloudmap_health, cloudmap_instances, ecs, route53
from .middleware import EmulatorApp

# Services whose first call is slow (moto imports models and botocore specs lazily): warmed up
# before READY so the first test call is as fast as the rest.
_WARM_UP = (
    ("ecs", "AmazonEC2ContainerServiceV20141113.ListClusters"),
    ("servicediscovery", "Route53AutoNaming_v20170314.ListNamespaces"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run", description="Local AWS emulator for the acceptance tests.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument(
        "--stop-on-stdin-eof",
        action="store_true",
        help="also stop when stdin closes, so a parent that dies without signalling leaves no orphan",
    )
    args = parser.parse_args(argv)

    ready_out = sys.stdout
    sys.stdout = sys.stderr  # moto prints; the READY line must be alone on stdout
    logging.basicConfig(stream=sys.stderr, level=logging.INFO if args.verbose else logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.INFO if args.verbose else logging.ERROR)

    ecs.install()
    cloudmap.install()
    route53.install()
    cloudmap_instances.install()
    cloudmap_health.install()
    app = EmulatorApp(DomainDispatcherApplication(create_backend_app))
    _warm_up(app)

    server = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=MotoRequestHandler)
    stop = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    serving = threading.Thread(target=server.serve_forever, name="emulator-http", daemon=True)
    serving.start()
    if args.stop_on_stdin_eof:
        threading.Thread(target=_stop_on_eof, args=(stop,), name="stdin-watch", daemon=True).start()
    print(f"READY {server.server_port}", file=ready_out, flush=True)
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    serving.join(timeout=5)
    return 0


def _stop_on_eof(stop: threading.Event) -> None:
    # Raw reads on fd 0: a daemon thread blocked inside the buffered sys.stdin holds
    # its lock, and the interpreter then aborts at exit ("_enter_buffered_busy").
    while os.read(0, 4096):
        pass
    stop.set()


def _warm_up(app: EmulatorApp) -> None:
    """One call per slow service, straight to moto (so it is not counted), then a clean state."""
    for service, target in _WARM_UP:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "0",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_TYPE": "application/x-amz-json-1.1",
            "CONTENT_LENGTH": "2",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_X_AMZ_TARGET": target,
            "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 Credential=warmup/20240101/us-east-1/{service}/aws4_request, "
            "SignedHeaders=host, Signature=0",
            "wsgi.input": io.BytesIO(b"{}"),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        status, _headers, body = app.call_moto(environ)
        if not status.startswith("200"):
            print(f"warm-up of {service} answered {status}: {body[:200]!r}", file=sys.stderr)
