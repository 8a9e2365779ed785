"""deploy/prometheus and deploy/grafana against Debian's promtool and prometheus.

The config and rules are valid, rules_test.yml proves every alert both ways, a real
Prometheus scraping a real gunicorn records exactly the traffic sent, and the dashboard
queries only series the service exports or rules.yml records.
"""

import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.conftest import write_tiny_model
from tests.helpers import ROOT
from tests.helpers.servers import Gunicorn, free_port, request

PROM = ROOT / "deploy" / "prometheus"
GRAFANA = ROOT / "deploy" / "grafana"
JOB = "mnist-service"
# What service/observe/metrics.py exports; `up` is Prometheus's own series for each target.
SERVICE_METRICS = {"http_requests_total", "http_requests_shed_total", "predict_images_total",
                   "predictions_total", "model_info", "model_ready", "feedback_total", "up"}
HISTOGRAMS = {"http_request_duration_seconds"}
PROMQL_WORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
                "group_right", "bool", "offset", "inf", "nan"}
LIVE_DEADLINE = 60.0  # seconds from Prometheus's start to every check passing


def tool(name: str) -> str:
    """The tool's path; skips without it, unless REQUIRE_TOOLS=1 (CI), where it fails."""
    path = shutil.which(name)
    if path is None:
        why = (f"{name} is not on PATH: `apt-get install prometheus` (Debian's package ships "
               "prometheus and promtool)")
        if os.environ.get("REQUIRE_TOOLS") == "1":
            pytest.fail(f"REQUIRE_TOOLS=1 but {why}")
        pytest.skip(why)
    return path


def promtool(*args: str) -> None:
    proc = subprocess.run([tool("promtool"), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, f"promtool {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"


def load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def rules(kind: str) -> list[dict]:
    """The rules of rules.yml that have `kind` ("record" or "alert")."""
    groups = load_yaml(PROM / "rules.yml")["groups"]
    return [r for g in groups for r in g["rules"] if kind in r]


def test_config_is_valid():
    promtool("check", "config", "deploy/prometheus/prometheus.yml")


def test_rules_are_valid():
    promtool("check", "rules", "deploy/prometheus/rules.yml")


def test_rules_unit_tests_pass():
    promtool("test", "rules", "deploy/prometheus/rules_test.yml")


def test_the_config_scrapes_the_job_the_rules_select():
    config = load_yaml(PROM / "prometheus.yml")
    assert config["rule_files"] == ["rules.yml"]
    (job,) = config["scrape_configs"]
    assert job["job_name"] == JOB and job["metrics_path"] == "/metrics"
    assert job["static_configs"] == [{"targets": ["service:8000"]}]
    for rule in rules("record") + rules("alert"):
        names = promql_names(rule["expr"])
        raw = names - {r["record"] for r in rules("record")}
        if raw:  # a rule on the service's own series must select the job
            assert f'job="{JOB}"' in rule["expr"], rule


def test_every_alert_is_documented_and_tested_both_ways():
    tests = load_yaml(PROM / "rules_test.yml")["tests"]
    cases = [case for t in tests for case in t.get("alert_rule_test", [])]
    for alert in rules("alert"):
        name = alert["alert"]
        assert {"summary", "description"} <= alert.get("annotations", {}).keys(), name
        assert "Check first" in alert["annotations"]["description"], name
        assert alert["labels"]["severity"] in {"warning", "critical"}, name
        mine = [c for c in cases if c["alertname"] == name]
        assert any(c.get("exp_alerts") for c in mine), f"rules_test.yml never fires {name}"
        assert any(not c.get("exp_alerts") for c in mine), \
            f"rules_test.yml never checks that {name} stays silent"


def test_scrape_annotations_match_the_container_port():
    deploy = load_yaml(ROOT / "deploy" / "kubernetes" / "deployment.yaml")
    template = deploy["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    (container,) = template["spec"]["containers"]
    (port,) = [p["containerPort"] for p in container["ports"] if p["name"] == "http"]
    assert annotations == {"prometheus.io/scrape": "true", "prometheus.io/port": str(port),
                           "prometheus.io/path": "/metrics"}


# --- the dashboard ------------------------------------------------------------------------

def promql_names(expr: str) -> set[str]:
    """The metric names an expression reads: what is left once strings, label matchers,
    ranges, grouping label lists, function names and keywords are taken out."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for m in re.finditer(r"(?<![\w:.])[A-Za-z_:][\w:]*", text):
        followed_by = text[m.end():].lstrip()[:1]
        if followed_by != "(" and m.group(0).lower() not in PROMQL_WORDS:
            names.add(m.group(0))
    return names


def known_series() -> set[str]:
    histograms = {f"{h}_{s}" for h in HISTOGRAMS for s in ("bucket", "sum", "count")}
    return SERVICE_METRICS | histograms | {r["record"] for r in rules("record")}


def dashboard_targets() -> list[tuple[str, str]]:
    """(panel title, expr) for every target of every panel, rows' panels included."""
    dashboard = json.loads((GRAFANA / "dashboard.json").read_text(encoding="utf-8"))
    panels = list(dashboard["panels"])
    panels += [p for row in dashboard["panels"] for p in row.get("panels", [])]
    return [(p["title"], t["expr"]) for p in panels for t in p.get("targets", [])]


def test_promql_names_finds_metrics_not_functions_or_labels():
    expr = ('histogram_quantile(0.99, sum by (le, job) (rate(foo_bucket{job="a",le!="1"}[5m])))'
            ' / ignoring (label) group_left bar:x:rate5m offset 5m > 1e3 and on (job) up')
    assert promql_names(expr) == {"foo_bucket", "bar:x:rate5m", "up"}
    # The dashboard check below must be able to fail: a misspelt metric is not known.
    assert promql_names("sum(rate(http_request_total[5m]))") - known_series() == \
        {"http_request_total"}


def test_dashboard_queries_only_known_series():
    dashboard = json.loads((GRAFANA / "dashboard.json").read_text(encoding="utf-8"))
    assert dashboard["schemaVersion"] >= 36 and dashboard["panels"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    known, used = known_series(), set()
    for title, expr in dashboard_targets():
        names = promql_names(expr)
        assert names, f"{title}: no metric in {expr!r}"
        assert names <= known, f"dashboard.json, panel {title!r}: unknown {names - known}"
        used |= names
    # The panels the operator needs: latency, rates, errors, model state, label mix,
    # and the answers users corrected.
    assert {"mnist:predict_latency_seconds:p50_5m", "mnist:predict_latency_seconds:p99_5m",
            "mnist:predict_images:rate5m", "mnist:http_5xx:ratio_5m", "mnist:http_4xx:ratio_5m",
            "model_ready", "model_info", "mnist:predictions:share_5m",
            "mnist:http_shed:ratio_5m", "mnist:feedback_errors:ratio_1h",
            "mnist:feedback:rate1h"} <= used


# --- a live Prometheus ---------------------------------------------------------------------

def query(api: str, expr: str) -> list[dict]:
    url = f"{api}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    with urllib.request.urlopen(url, timeout=5) as resp:
        body = json.load(resp)
    assert body["status"] == "success", body
    return body["data"]["result"]


def scalar(api: str, expr: str) -> float | None:
    result = query(api, expr)
    return float(result[0]["value"][1]) if result else None


def eventually(check, deadline: float, what: str, log: Path):
    """check() -> (done, observed), polled until done or the deadline (monotonic)."""
    observed = None
    while time.monotonic() < deadline:
        done, observed = check()
        if done:
            return observed
        time.sleep(0.25)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise AssertionError(f"{what}: still {observed!r} after the deadline; prometheus log:\n{tail}")


def start_prometheus(tmp: Path, target_port: int) -> tuple[subprocess.Popen, str, Path]:
    """Debian's prometheus on 127.0.0.1 with the shipped config, scraping `target_port`
    and evaluating rules.yml every second."""
    config = load_yaml(PROM / "prometheus.yml")
    config["global"] = {"scrape_interval": "1s", "scrape_timeout": "1s",
                        "evaluation_interval": "1s"}
    config["rule_files"] = [str(PROM / "rules.yml")]
    config["scrape_configs"][0]["static_configs"] = [{"targets": [f"127.0.0.1:{target_port}"]}]
    (tmp / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    port, log = free_port(), tmp / "prometheus.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([tool("prometheus"), f"--config.file={tmp / 'prometheus.yml'}",
                                 f"--storage.tsdb.path={tmp / 'tsdb'}",
                                 f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                                cwd=tmp, stdout=out, stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}", log


def ready(api: str, proc: subprocess.Popen) -> tuple[bool, str]:
    if proc.poll() is not None:
        raise AssertionError(f"prometheus exited with {proc.returncode}")
    try:
        with urllib.request.urlopen(f"{api}/-/ready", timeout=2) as resp:
            return resp.status == 200, str(resp.status)
    except OSError as e:
        return False, str(e)


@pytest.fixture
def live(tmp_path):
    """(server, api, log, deadline, model version): a gunicorn with 2 workers serving a
    tiny model, and a Prometheus scraping it."""
    tool("prometheus")
    version = write_tiny_model(tmp_path / "model")["version"]
    server = proc = None
    try:
        server = Gunicorn(model_dir=tmp_path / "model", workers=2)
        proc, api, log = start_prometheus(tmp_path, server.port)
        deadline = time.monotonic() + LIVE_DEADLINE
        eventually(lambda: ready(api, proc), deadline, "GET /-/ready", log)
        yield server, api, log, deadline, version
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if server is not None:
            server.stop()
            server.remove_logs()
        shutil.rmtree(tmp_path / "tsdb", ignore_errors=True)


GOOD = json.dumps({"instances": [[0] * 784, [255] * 784, [i % 256 for i in range(784)]]})


def _predict(server, body: bytes, content_type: str) -> int:
    return request(server.port, "POST", "/predict", body,
                   headers={"Content-Type": content_type})[0]


def _send_traffic(server, api: str, log, deadline: float) -> None:
    """One request scraped first, so the rest make the latency buckets' rates nonzero;
    then 19 good requests, 5 malformed and 3 of an unsupported type."""
    assert _predict(server, GOOD.encode(), "application/json") == 200

    def first_scraped():
        images = scalar(api, f'sum(predict_images_total{{job="{JOB}"}})')
        return images == 3, images

    eventually(first_scraped, deadline, "a scrape of the first request", log)
    statuses = [_predict(server, GOOD.encode(), "application/json") for _ in range(19)]
    statuses += [_predict(server, b"{", "application/json") for _ in range(5)]
    statuses += [_predict(server, b"0" * 784, "text/plain") for _ in range(3)]
    assert statuses == [200] * 19 + [400] * 5 + [415] * 3


def _check_series(api: str, log, deadline: float, version: str) -> None:
    def counts():
        rows = query(api, f'sum by (status) (http_requests_total{{job="{JOB}", '
                          f'route="/predict"}})')
        by_status = {r["metric"]["status"]: float(r["value"][1]) for r in rows}
        images = scalar(api, f'sum(predict_images_total{{job="{JOB}"}})')
        return by_status == {"200": 20, "400": 5, "415": 3} and images == 60, \
            (by_status, images)

    eventually(counts, deadline, "requests by status and images", log)

    def p99():
        value = scalar(api, "mnist:predict_latency_seconds:p99_5m")
        return value is not None and math.isfinite(value), value

    assert 0 < eventually(p99, deadline, "the p99 recording rule", log) <= 10
    assert scalar(api, f'sum(predictions_total{{job="{JOB}"}})') == 60
    assert scalar(api, f'count(model_info{{job="{JOB}"}})') == 1
    (info,) = query(api, f'model_info{{job="{JOB}"}}')
    assert info["metric"]["version"] == version
    assert scalar(api, f'min(model_ready{{job="{JOB}"}})') == 1


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_live_prometheus_records_the_traffic_sent(tmp_path, live):
    server, api, log, deadline, version = live
    _send_traffic(server, api, log, deadline)
    _check_series(api, log, deadline, version)
    # The Grafana stand-in runs every panel's query against the same Prometheus: a bad
    # expression fails it.
    png = tmp_path / "dashboard.png"
    render = subprocess.run([sys.executable, str(GRAFANA / "render_panels.py"),
                             f"--prometheus={api}", "--minutes=1", "--step=1", str(png)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert render.returncode == 0, render.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
