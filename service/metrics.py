"""Prometheus metrics at GET /metrics, correct under several gunicorn workers.

Under gunicorn, gunicorn.conf.py sets PROMETHEUS_MULTIPROC_DIR before any worker
imports prometheus_client; each worker then writes its values to files there and a
scrape, whichever worker answers it, sums them (MultiProcessCollector). Without it
(the Flask test client) each app gets its own CollectorRegistry, so tests can build
many apps in one process without "Duplicated timeseries" errors.
"""

import os
import threading
import time

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Seconds; /predict of one image takes about a millisecond, a full batch tens of them.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                   10.0)
UNMATCHED = "<unmatched>"  # the route label of 404s: raw paths would be unbounded labels

bp = Blueprint("metrics", __name__)
_latest = None  # the Metrics of the app built last; see set_model_info


class Metrics:
    """The service's metrics, registered in their own registry."""

    def __init__(self):
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("http_requests_total", "HTTP requests by route, method and status",
                                ["route", "method", "status"], registry=r)
        self.latency = Histogram("http_request_duration_seconds",
                                 "Time from routing to response, by route", ["route"],
                                 buckets=LATENCY_BUCKETS, registry=r)
        self.images = Counter("predict_images_total", "Images predicted", registry=r)
        self.labels = Counter("predictions_total", "Predictions by predicted label",
                              ["label"], registry=r)
        # An Info metric does not work in multiprocess mode; a gauge set to 1 does.
        # livemax: one series per version served by any live worker, no pid label.
        self.model = Gauge("model_info", "The served model: 1 for each name/version "
                           "a live worker serves", ["name", "version"],
                           multiprocess_mode="livemax", registry=r)
        self.model_ready = Gauge("model_ready", "1 when the worker has a verified model",
                                 multiprocess_mode="livemin", registry=r)
        self._shown = None  # (name, version) currently set to 1 in this process
        self._model = None
        self._lock = threading.Lock()  # gthread workers run requests in threads

    def show_model(self, predictor) -> None:
        """Point model_info/model_ready at the predictor's current model (cheap if unchanged)."""
        model = predictor.model
        if model is self._model and self._shown is not None:
            return
        with self._lock:
            shown = (model.name, model.version) if model is not None else None
            if self._shown is not None and self._shown != shown:
                self.model.labels(*self._shown).set(0)
            if shown is not None:
                self.model.labels(*shown).set(1)
            self.model_ready.set(1 if shown else 0)
            self._model, self._shown = model, shown

    def exposition(self) -> bytes:
        if os.environ.get(MULTIPROC_ENV):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)


def _route() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED


def init_app(app: Flask) -> None:
    global _latest  # noqa: PLW0603 - create_app's interface passes no app to set_model_info
    metrics = _latest = app.extensions["metrics"] = Metrics()

    @app.before_request
    def _start():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response):
        route = _route()
        metrics.requests.labels(route, request.method, str(response.status_code)).inc()
        started = g.get("metrics_started")
        if started is not None:
            metrics.latency.labels(route).observe(time.perf_counter() - started)
        labels = g.get("predicted_labels")
        if labels:
            metrics.images.inc(len(labels))
            for label in labels:
                metrics.labels.labels(str(label)).inc()
        predictor = app.extensions.get("predictor")
        if predictor is not None:
            # Follows a Predictor.reload() in this worker without a hook in the predictor.
            metrics.show_model(predictor)
        return response

    app.register_blueprint(bp)


def set_model_info(predictor) -> None:
    """Publish the model of the app built last (create_app calls this right after init_app)."""
    if _latest is None:
        raise RuntimeError("metrics.set_model_info called before metrics.init_app")
    _latest.show_model(predictor)


@bp.get("/metrics")
def metrics_endpoint():
    metrics: Metrics = current_app.extensions["metrics"]
    predictor = current_app.extensions.get("predictor")
    if predictor is not None:
        metrics.show_model(predictor)
    return Response(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
