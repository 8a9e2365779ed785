"""The standard gRPC health service, grpc.health.v1.Health, from the worker's predictor.

`Check` answers SERVING for the server as a whole ("") and for
inference.GRPCInferenceService while the worker's model is ready (REST's /readyz 200),
NOT_SERVING while it is not or once the worker drains (serving.stop), and NOT_FOUND
for any other service. `Watch` sends the status at once and again when it changes, as
the protocol asks (SERVICE_UNKNOWN, and the call kept open, for another service); it
ends once the worker drains, so that the drain need not wait for it.

Built from health.proto (`make protos`) rather than the grpcio-health-checking package:
its releases for the grpcio this service pins (below 1.68, tritonclient's ceiling)
require protobuf below 6, and requirements.lock holds protobuf 6.
"""

import threading

import grpc

from service.grpc import protocol

PACKAGE = "grpc.health.v1"
Request = protocol.message("HealthCheckRequest", PACKAGE)
Response = protocol.message("HealthCheckResponse", PACKAGE)
SERVING, NOT_SERVING, SERVICE_UNKNOWN = (Response.ServingStatus.Value(name) for name in
                                         ("SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"))
SERVICES = ("", protocol.SERVICE)  # the server as a whole, and the one service it serves
WATCH_POLL = 1.0  # seconds between a Watch's checks that its client is still there


class Health:
    """The health of one worker's gRPC server: its predictor's readiness, until drain()."""

    def __init__(self, predictor):
        self.predictor = predictor
        self.draining = False
        self._changed = threading.Event()

    def status(self, service: str) -> int:
        if service not in SERVICES:
            return SERVICE_UNKNOWN
        return SERVING if self.predictor.ready and not self.draining else NOT_SERVING

    def drain(self) -> None:
        """From now on NOT_SERVING: the worker is stopping (its clients go elsewhere)."""
        self.draining = True
        self._changed.set()

    def Check(self, request, context):
        status = self.status(request.service)
        if status == SERVICE_UNKNOWN:
            context.abort(grpc.StatusCode.NOT_FOUND,
                          f"unknown service {request.service[:80]!r}; this server answers for "
                          f"{protocol.SERVICE!r} and for \"\", the server as a whole")
        return Response(status=status)

    def Watch(self, request, context):
        last = None
        while context.is_active():
            status = self.status(request.service)
            if status != last:
                yield Response(status=status)
                last = status
            if self.draining:
                return
            self._changed.wait(WATCH_POLL)

    def handler(self) -> grpc.GenericRpcHandler:
        methods = {"Check": grpc.unary_unary_rpc_method_handler,
                   "Watch": grpc.unary_stream_rpc_method_handler}
        return grpc.method_handlers_generic_handler(protocol.HEALTH, {
            name: make(getattr(self, name), request_deserializer=Request.FromString,
                       response_serializer=Response.SerializeToString)
            for name, make in methods.items()})
