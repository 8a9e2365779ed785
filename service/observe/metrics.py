"""Prometheus metrics at GET /metrics, correct under several gunicorn workers.

Under gunicorn, the master (service/server/master.py) sets PROMETHEUS_MULTIPROC_DIR
before any worker imports prometheus_client; each worker then writes its values to files there and a
scrape, whichever worker answers it, sums them (MultiProcessCollector). Without it
(the Flask test client) each app gets its own CollectorRegistry, so tests can build
many apps in one process without "Duplicated timeseries" errors. gRPC calls
(service/grpc/calls.py) are counted by method and status code, under the names gRPC's
own Prometheus interceptors use.
"""

import os

import numpy as np
from flask import Blueprint, Response, current_app
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from service.settings import METRICS_DIR_ENV

# Seconds; /predict of one image takes about a millisecond, a full batch tens of them.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                   10.0)
GRPC_SERVICE = "inference.GRPCInferenceService"  # the only one served (service/grpc/)
UNMATCHED = "<unmatched>"  # the route label of 404s: raw paths would be unbounded labels

bp = Blueprint("metrics", __name__)


class Metrics:
    """The service's metrics, registered in their own registry; lives on the app."""

    def __init__(self):
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("http_requests_total", "HTTP requests by route, method and status",
                                ["route", "method", "status"], registry=r)
        self.latency = Histogram("http_request_duration_seconds",
                                 "Time from routing to response, by route", ["route"],
                                 buckets=LATENCY_BUCKETS, registry=r)
        # gRPC calls, by the names gRPC's Prometheus interceptors use (grpc-ecosystem).
        self.grpc_calls = Counter("grpc_server_handled_total", "gRPC calls by method and "
                                  "status code", ["grpc_type", "grpc_service", "grpc_method",
                                                  "grpc_code"], registry=r)
        self.grpc_latency = Histogram("grpc_server_handling_seconds", "Time from the "
                                      "message read to the answer, by method",
                                      ["grpc_type", "grpc_service", "grpc_method"],
                                      buckets=LATENCY_BUCKETS, registry=r)
        # Answered 503 by the gunicorn worker before the app saw them (MAX_INFLIGHT,
        # service/server/shedding.py): never in http_requests_total.
        self.shed = Counter("http_requests_shed_total", "Requests refused with 503 because "
                            "the worker held MAX_INFLIGHT requests, by protocol",
                            ["protocol"], registry=r)
        self.images = Counter("predict_images_total", "Images predicted", registry=r)
        self.labels = Counter("predictions_total", "Predictions by predicted label",
                              ["label"], registry=r)
        self.nondigits = Counter("predict_nondigits_total",
                                 "Images the model judged not to be a digit at all",
                                 registry=r)
        # An Info metric does not work in multiprocess mode; a gauge set to 1 does.
        # livemax: one series per version served by any live worker, no pid label.
        self.model = Gauge("model_info", "The served model: 1 for each name/version "
                           "a live worker serves", ["name", "version"],
                           multiprocess_mode="livemax", registry=r)
        self.model_ready = Gauge("model_ready", "1 when the worker has a verified model",
                                 multiprocess_mode="livemin", registry=r)
        # Corrections: the error rate users see (deploy/prometheus/rules.yml).
        self.feedback = Counter("feedback", "Corrections sent to /feedback, by model "
                                "version and whether the model had been right",
                                ["model_version", "model_right"], registry=r)
        # labels() validates and locks on every call; the children are looked up once.
        self._children: dict = {}

    def show_model(self, model) -> None:
        """Publish the worker's model (None: not ready). A worker loads one model, once."""
        if model is not None:
            self.model.labels(model.name, model.version).set(1)
        self.model_ready.set(0 if model is None else 1)

    def count(self, route: str, method: str, status: int, seconds: float) -> None:
        """One finished request: its status and its latency."""
        key = (route, method, status)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = (self.requests.labels(route, method, str(status)),
                                           self.latency.labels(route))
        child[0].inc()
        child[1].observe(seconds)

    def count_grpc(self, method: str, code: str, seconds: float) -> None:
        """One finished gRPC call of inference.GRPCInferenceService: its code, its latency."""
        key = ("grpc", method, code)
        child = self._children.get(key)
        if child is None:
            labels = ("unary", GRPC_SERVICE, method)
            child = self._children[key] = (self.grpc_calls.labels(*labels, code),
                                           self.grpc_latency.labels(*labels))
        child[0].inc()
        child[1].observe(seconds)

    def count_shed(self, protocol: str) -> None:
        """One request the worker refused: "rest" (/predict...) or "v2"."""
        child = self._children.get(("shed", protocol))
        if child is None:
            child = self._children[("shed", protocol)] = self.shed.labels(protocol)
        child.inc()

    def predicted(self, prediction) -> None:
        """What a request's images were read as: their labels, and how many were no digit."""
        self.images.inc(len(prediction.labels))
        for label in prediction.labels:
            self._label(label).inc()
        refused = int(np.count_nonzero(~prediction.is_digit))
        if refused:
            self.nondigits.inc(refused)

    def corrected(self, version: str, right: bool) -> None:
        """One stored correction of `version`'s answer, which was `right` or not."""
        key = ("feedback", version, right)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.feedback.labels(version, str(right).lower())
        child.inc()

    def _label(self, label: str):
        child = self._children.get(label)
        if child is None:
            child = self._children[label] = self.labels.labels(str(label))
        return child

    def exposition(self) -> bytes:
        if os.environ.get(METRICS_DIR_ENV):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)


def route_of(request) -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED


@bp.get("/metrics")
def metrics_endpoint():
    metrics: Metrics = current_app.extensions["metrics"]
    return Response(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
