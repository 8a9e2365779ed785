"""The gRPC server of one gunicorn worker: started by the worker (service/server/workers.py)
once its Flask app is loaded, and stopped when the worker is told to go.

Every worker binds GRPC_PORT itself, with SO_REUSEPORT (grpcio sets it on Linux), and the
kernel spreads new connections across them, as gunicorn's shared socket spreads HTTP
ones. gRPC runs on the worker's gevent hub like the HTTP side: grpc.experimental.gevent
moves gRPC's blocking waits to the hub's native threads, and each call runs in a greenlet,
so a call costs what an HTTP request costs and shares the worker's one BLAS thread.

ModelInfer calls count against the worker's MAX_INFLIGHT bound together with its HTTP
requests (`gate`, service/server/shedding.py); past it they fail at once with
RESOURCE_EXHAUSTED. The standard health service (health.py) is served beside.
"""

from concurrent import futures
from dataclasses import dataclass

import grpc

from service.grpc import health, servicer

# Messages are read up to this far over V2_MAX_CONTENT_LENGTH, so that a client that
# sent a little too much gets the answer that names the setting (as REST's 413 does);
# beyond it gRPC refuses them itself, also with RESOURCE_EXHAUSTED.
SLACK = 16 * 1024 * 1024


def address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(frozen=True)
class Running:
    server: grpc.Server
    health: health.Health


def start(app, host: str, port: int, concurrency: int, *, gevent: bool,
          gate=None) -> Running:
    """A started server of `app` on host:port, at most `concurrency` calls at once; the
    hub's when `gevent` (the worker has patched the standard library); ModelInfer bounded
    by `gate` (calls.py), if given. RuntimeError when the port cannot be bound."""
    if gevent:
        from grpc.experimental import gevent as grpc_gevent

        grpc_gevent.init_gevent()  # before any other gRPC object exists
    limit = app.config["V2_MAX_CONTENT_LENGTH"]
    checks = health.Health(app.extensions["predictor"])
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="grpc"),
        handlers=[servicer.handler(app, limit, gate), checks.handler()],
        options=[("grpc.so_reuseport", 1), ("grpc.max_receive_message_length", limit + SLACK),
                 ("grpc.max_send_message_length", -1)],
        maximum_concurrent_rpcs=concurrency)
    server.add_insecure_port(address(host, port))
    server.start()
    return Running(server, checks)


def stop(running: Running, grace: float) -> None:
    """Health turns NOT_SERVING; then the server stops accepting (clients get GOAWAY and
    reconnect to another worker), lets calls in flight finish for up to `grace` seconds,
    and cancels the rest."""
    running.health.drain()
    running.server.stop(grace).wait(grace + 1.0)
