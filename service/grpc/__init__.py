"""The Open Inference Protocol over gRPC: inference.GRPCInferenceService, served by each
gunicorn worker beside HTTP on GRPC_PORT (service/server/workers.py starts it).

- open_inference_grpc.proto: the protocol's published service, and its descriptor set
  open_inference_grpc.binpb (`make protos`); protocol.py builds the messages from it;
- servicer.py: the six RPCs, from the worker's Flask app (its predictor, settings, metrics);
- infer.py: ModelInfer's tensors, through service/codec/tensors.py as REST's are;
- calls.py: per call the request id, access line and metrics, and errors as status codes;
- serving.py: the server's start and graceful stop.

Only workers import this package (it imports grpc and numpy); the master never does.
"""
