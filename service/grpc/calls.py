"""Per gRPC call what service/observe/access.py and service/http/handlers.py do per HTTP
request: a request id, one access line, the metrics, and each error as a status code;
and what the worker's shedding does (service/server/shedding.py): past MAX_INFLIGHT
held, a ModelInfer fails at once with RESOURCE_EXHAUSTED.

The service's errors carry HTTP statuses (service/errors.py); CODES is their one
translation into gRPC's codes, as KServe and Triton translate theirs.
"""

import logging
import time

import grpc
from google.protobuf.message import DecodeError

from service.errors import BadRequest, PayloadTooLarge, ServiceError
from service.grpc import protocol
from service.observe import logs
from service.server.heads import MESSAGE as SHED_MESSAGE
from service.server.logs import REQUEST_ID

CODES = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    404: grpc.StatusCode.NOT_FOUND,
    408: grpc.StatusCode.DEADLINE_EXCEEDED,
    413: grpc.StatusCode.RESOURCE_EXHAUSTED,
    415: grpc.StatusCode.INVALID_ARGUMENT,
    422: grpc.StatusCode.INVALID_ARGUMENT,
    503: grpc.StatusCode.UNAVAILABLE,
}
ID_KEY = logs.HEADER.lower()  # gRPC metadata keys are lower case: x-request-id
# What may be shed, as HTTP sheds POSTs: the probes and the metadata are cheap and must
# answer under overload.
SHED = frozenset({"ModelInfer"})


def code_of(error: ServiceError) -> grpc.StatusCode:
    return CODES.get(error.status, grpc.StatusCode.INTERNAL)


def reader(message_class, limit: int):
    """The request deserializer: a message, or the ServiceError to answer with (raised in
    a deserializer, it would reach the client as a bare INTERNAL)."""
    def read(data: bytes):
        if len(data) > limit:
            return PayloadTooLarge(
                f"a message of {len(data)} bytes, over the limit of {limit} bytes "
                f"({limit / 2**20:.1f} MiB, V2_MAX_CONTENT_LENGTH); send fewer images per "
                "call, or start the service with a larger V2_MAX_CONTENT_LENGTH")
        try:
            return message_class.FromString(data)
        except DecodeError as e:
            return BadRequest(f"the message is not a {message_class.DESCRIPTOR.name}: {e}")
    return read


class Observer:
    """Wraps each RPC of the servicer with the bookkeeping of the worker's Flask `app`.

    `gate` (the worker's shedding.Shedder, or None: nothing shed) bounds the calls of
    SHED: `hold()` is None (not bounded), True (held: `done()` after) or False (over the
    bound: RESOURCE_EXHAUSTED, after `refused()`, which may wait); a held call waits its
    turn behind the requests before it.
    """

    def __init__(self, app, gate=None):
        self.gate = gate
        self.metrics = app.extensions["metrics"]
        self.logger = app.logger
        self.access = logging.getLogger(f"{app.logger.name}.access")

    def wrap(self, name: str, behaviour):
        def handle(request, context):
            started = time.perf_counter()
            metadata = dict(context.invocation_metadata())
            rid = logs.request_id(metadata.get(ID_KEY))
            REQUEST_ID.set(rid)
            context.set_trailing_metadata(((ID_KEY, rid),))
            response, code, details = self._answer(behaviour, request, context, name in SHED)
            self._record(name, code, time.perf_counter() - started, context,
                         {"request_id": rid, "user_agent": metadata.get("user-agent")})
            REQUEST_ID.set(None)  # the next lines in this greenlet belong to another call
            if response is None:
                context.abort(code, details)
            return response
        return handle

    def _answer(self, behaviour, request, context, bounded: bool = False):
        """(response or None, code, details) of one call; `bounded`: held within the gate."""
        if isinstance(request, ServiceError):  # the deserializer refused the message
            return None, code_of(request), request.message
        held = self.gate.hold() if bounded and self.gate is not None else None
        if held is False:
            self.gate.refused()
            return None, grpc.StatusCode.RESOURCE_EXHAUSTED, SHED_MESSAGE
        try:
            return behaviour(request, context), grpc.StatusCode.OK, None
        except ServiceError as e:
            return None, code_of(e), e.message
        except Exception:  # as handlers.py does for HTTP: logged, answered INTERNAL
            self.logger.exception("unhandled error")
            return None, grpc.StatusCode.INTERNAL, "internal error; see the server log"
        finally:
            if held:
                self.gate.done()

    def _record(self, name: str, code, seconds: float, context, fields: dict) -> None:
        self.metrics.count_grpc(name, code.name, seconds)
        if self.access.isEnabledFor(logging.INFO):
            path = f"/{protocol.SERVICE}/{name}"
            self.access.info("GRPC %s %s", path, code.name, extra={
                **fields, "method": "GRPC", "path": path, "grpc_code": code.name,
                "duration_ms": round(seconds * 1000, 3), "remote_addr": _address(context)})


def _address(context) -> str | None:
    """The client's address from gRPC's peer, e.g. "ipv4:127.0.0.1:50312" -> 127.0.0.1."""
    kind, _, rest = (context.peer() or "").partition(":")
    if kind == "ipv4":
        return rest.rsplit(":", 1)[0]
    if kind == "ipv6":
        return rest.rsplit(":", 1)[0].strip("[]")
    return rest or None
