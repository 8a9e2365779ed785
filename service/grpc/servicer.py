"""inference.GRPCInferenceService's six RPCs, answered from a worker's Flask app: its
predictor, its settings and its metrics, so gRPC serves the very model REST does and
a HUP, which replaces the workers, reloads both.

As in Triton and KServe, ServerReady and ModelReady answer `ready: false` while no
model is loaded, where REST answers 503; ModelMetadata and ModelInfer then fail with
UNAVAILABLE. An unknown model or version is NOT_FOUND, as REST's 404.
"""

import grpc

from service.codec import tensors
from service.errors import NotReady
from service.grpc import calls, infer, protocol
from service.http.openapi import SERVER_NAME, SERVER_VERSION

M = protocol.message
TensorMetadata = M("ModelMetadataResponse.TensorMetadata")


class Servicer:
    def __init__(self, app):
        self.predictor = app.extensions["predictor"]
        self.metrics = app.extensions["metrics"]
        self.max_batch = app.config["MAX_BATCH"]

    def ServerLive(self, request, context):
        return M("ServerLiveResponse")(live=True)

    def ServerReady(self, request, context):
        return M("ServerReadyResponse")(ready=self.predictor.ready)

    def ModelReady(self, request, context):
        try:
            tensors.served(self.predictor, request.name, request.version)
        except NotReady:
            return M("ModelReadyResponse")(ready=False)
        return M("ModelReadyResponse")(ready=True)

    def ServerMetadata(self, request, context):
        return M("ServerMetadataResponse")(name=SERVER_NAME, version=SERVER_VERSION,
                                           extensions=tensors.EXTENSIONS)

    def ModelMetadata(self, request, context):
        meta = tensors.metadata(tensors.served(self.predictor, request.name, request.version))
        return M("ModelMetadataResponse")(
            name=meta["name"], versions=meta["versions"], platform=meta["platform"],
            inputs=[TensorMetadata(**t) for t in meta["inputs"]],
            outputs=[TensorMetadata(**t) for t in meta["outputs"]])

    def ModelInfer(self, request, context):
        model = tensors.served(self.predictor, request.model_name, request.model_version)
        x, names, raw = infer.decode(request, self.max_batch)
        prediction = model.predict(x)
        self.metrics.predicted(prediction)
        return infer.encode(model, prediction, request.id, names, raw)


def handler(app, limit: int, gate=None) -> grpc.GenericRpcHandler:
    """The service's RPCs for grpc.server: each observed (calls.py), each request read
    within `limit` bytes, ModelInfer bounded by `gate` (calls.Observer)."""
    servicer, observer = Servicer(app), calls.Observer(app, gate)
    handlers = {
        name: grpc.unary_unary_rpc_method_handler(
            observer.wrap(name, getattr(servicer, name)),
            request_deserializer=calls.reader(request_class, limit),
            response_serializer=response_class.SerializeToString)
        for name, (request_class, response_class) in protocol.methods().items()}
    return grpc.method_handlers_generic_handler(protocol.SERVICE, handlers)
