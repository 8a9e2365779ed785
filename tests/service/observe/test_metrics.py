"""GET /metrics: Prometheus text that counts what the service did, per app and across workers."""

import json
import threading
from collections import Counter

from service import create_app
from tests.conftest import write_tiny_model
from tests.service.conftest import instances_body
from tests.service.conftest import metric_samples as samples


def value(metrics: dict, metric: str, /, **labels) -> float:
    return metrics.get((metric, tuple(sorted(labels.items()))), 0.0)


def total(metrics: dict, metric: str, /, **labels) -> float:
    """Sum of `name` over the series whose labels include `labels`."""
    return sum(v for (n, items), v in metrics.items()
               if n == metric and set(labels.items()) <= set(items))


def scrape(client) -> dict:
    resp = client.get("/metrics")
    assert resp.status_code == 200
    assert resp.mimetype == "text/plain"
    return samples(resp.get_data(as_text=True))


def test_counts_requests_images_and_labels(client):
    labels = Counter()
    for value_ in (0, 90, 255):
        resp = client.post("/predict", json={"instances": [[value_] * 784] * 3})
        assert resp.status_code == 200
        labels.update(p["label"] for p in resp.get_json()["predictions"])
    assert client.post("/predict", data=b"x", content_type="text/plain").status_code == 415
    assert client.get("/no/such/path").status_code == 404
    m = scrape(client)
    assert value(m, "http_requests_total", route="/predict", method="POST", status="200") == 3
    assert value(m, "http_requests_total", route="/predict", method="POST", status="415") == 1
    # 404s share one label value: raw paths would make a series per scanner probe.
    assert value(m, "http_requests_total", route="<unmatched>", method="GET", status="404") == 1
    assert value(m, "http_request_duration_seconds_count", route="/predict") == 4
    assert value(m, "predict_images_total") == 9
    assert {int(dict(items)["label"]): v for (n, items), v in m.items()
            if n == "predictions_total"} == dict(labels)


def test_model_info_names_the_served_model(app, client, tmp_path):
    version = app.extensions["predictor"].model.version
    m = scrape(client)
    assert value(m, "model_info", name="tiny-test", version=version) == 1
    assert value(m, "model_ready") == 1
    broken = create_app({"MODEL_DIR": str(tmp_path / "missing"), "TESTING": True})
    m = scrape(broken.test_client())
    assert value(m, "model_ready") == 0
    assert not [k for k in m if k[0] == "model_info"]


def test_not_ready_is_reported(tmp_path):
    client = create_app({"MODEL_DIR": str(tmp_path / "missing"), "TESTING": True}).test_client()
    m = scrape(client)
    assert value(m, "model_ready") == 0
    assert total(m, "model_info") == 0


def test_apps_in_one_process_keep_separate_counts(tiny_model_dir):
    # A shared default registry would raise "Duplicated timeseries" on the second app.
    first, second = (create_app({"MODEL_DIR": str(tiny_model_dir), "TESTING": True})
                     for _ in range(2))
    first.test_client().get("/healthz")
    assert value(scrape(second.test_client()), "http_requests_total",
                 route="/healthz", method="GET", status="200") == 0


def _served_by(server) -> set[int]:
    return {r["pid"] for r in server.log_records() if r.get("path") == "/predict"}


def test_counts_sum_across_two_gunicorn_workers(gunicorn_server, tiny_model_dir):
    server = gunicorn_server(tiny_model_dir, workers=2)
    per_request, threads, each = 16, 4, 10
    body = instances_body(per_request, value=77)
    labels, failures, lock = Counter(), [], threading.Lock()

    def send():
        for _ in range(each):
            status, _, raw = server.predict(body)
            if status != 200:
                failures.append(status)
                continue
            with lock:
                labels.update(p["label"] for p in json.loads(raw)["predictions"])

    # Which worker accepts a connection is up to the kernel: send rounds of concurrent
    # requests until both have served some (bounded), so the sums span two processes.
    rounds = 0
    while rounds < 10 and (rounds == 0 or len(_served_by(server)) < 2):
        senders = [threading.Thread(target=send) for _ in range(threads)]
        for t in senders:
            t.start()
        for t in senders:
            t.join(60)
        rounds += 1
    assert failures == []
    assert len(_served_by(server)) == 2, f"one worker served all {rounds} rounds"
    n = rounds * threads * each
    for _ in range(4):  # any worker may answer a scrape; each must report the sums
        status, headers, raw = server.get("/metrics")
        assert status == 200 and headers["Content-Type"].startswith("text/plain")
        m = samples(raw.decode())
        assert total(m, "http_requests_total", route="/predict", status="200") == n
        assert total(m, "http_request_duration_seconds_count", route="/predict") == n
        assert value(m, "predict_images_total") == n * per_request
        assert {int(dict(items)["label"]): v for (name, items), v in m.items()
                if name == "predictions_total"} == dict(labels)
        version = server.get_json("/model")["version"]
        assert value(m, "model_info", name="tiny-test", version=version) == 1


def test_images_judged_no_digit_are_counted(tmp_path):
    # A threshold above any probability: the model refuses every input.
    write_tiny_model(tmp_path / "m", verdict={"rule": "top_probability", "threshold": 2.0,
                                              "temperature": 1.0})
    app = create_app({"MODEL_DIR": str(tmp_path / "m"), "TESTING": True})
    resp = app.test_client().post("/predict", data=instances_body(3),
                                  content_type="application/json")
    assert [p["is_digit"] for p in resp.get_json()["predictions"]] == [False] * 3
    counts = samples(app.extensions["metrics"].exposition().decode())
    assert counts[("predict_nondigits_total", ())] == 3
    assert counts[("predict_images_total", ())] == 3
