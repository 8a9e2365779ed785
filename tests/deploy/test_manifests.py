"""deploy/kubernetes/*.yaml against the Kubernetes schemas (offline, strict, via the
kubernetes-validate package) and against the image; compose.yaml's structure."""

import copy
import re
import shlex
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from service import settings
from tests.deploy.image import _dockerfile as df

ROOT = df.ROOT
K8S = ROOT / "deploy" / "kubernetes"
# The oldest Kubernetes minor still commonly run, and the newest the package knows.
VERSIONS = ("1.29.0", kubernetes_validate.latest_version())
MANIFESTS = sorted(p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def make_model_options() -> list[str]:
    """The options of the Makefile's `model` recipe (`make model`), --out left out."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^model:.*\n((?:\t.*\n)+)", text, re.M).group(1).replace("\\\n", " ")
    (line,) = [line for line in recipe.splitlines() if " -m trainer train " in line]
    argv = shlex.split(line)
    return without_out(argv[argv.index("train") + 1:])


def without_out(options: list[str]) -> list[str]:
    at = options.index("--out")
    return options[:at] + options[at + 2:]


def load(name: str) -> dict:
    docs = [d for d in yaml.safe_load_all((K8S / name).read_text(encoding="utf-8")) if d]
    assert len(docs) == 1, f"{name}: expected one document"
    return docs[0]


def pod_spec(name: str) -> dict:
    return load(name)["spec"]["template"]["spec"]


def env_of(container: dict) -> dict:
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def test_every_manifest_is_listed_in_the_kustomization():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == MANIFESTS
    assert {i["name"] for i in kustomization["images"]} == {"mnist-service", "mnist-trainer"}
    assert set(MANIFESTS) >= {"deployment.yaml", "service.yaml", "hpa.yaml", "pvc.yaml",
                              "trainer-job.yaml"}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", MANIFESTS)
def test_manifest_validates_against_the_kubernetes_schema(name, version):
    kubernetes_validate.validate(load(name), version, strict=True)


def test_schema_validation_rejects_a_misspelt_field():
    # The check above must be able to fail: strict mode refuses unknown fields.
    broken = copy.deepcopy(load("deployment.yaml"))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGett"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[0], strict=True)


def check_security(spec: dict) -> None:
    uid, gid = df.user()
    pod = spec["securityContext"]
    assert pod["runAsNonRoot"] is True and pod["runAsUser"] == uid
    assert pod["seccompProfile"]["type"] == "RuntimeDefault"
    for c in spec.get("initContainers", []) + spec["containers"]:
        sc = c["securityContext"]
        assert sc["allowPrivilegeEscalation"] is False, c["name"]
        assert sc["readOnlyRootFilesystem"] is True, c["name"]
        assert sc["runAsNonRoot"] is True and sc["runAsUser"] == uid, c["name"]
        assert sc.get("runAsGroup", gid) == gid, c["name"]
        assert sc["capabilities"]["drop"] == ["ALL"], c["name"]
        assert sc["seccompProfile"]["type"] == "RuntimeDefault", c["name"]
        assert c["resources"]["requests"] and c["resources"]["limits"], c["name"]
        mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
        assert "/tmp" in mounts, f"{c['name']}: read-only root needs a writable /tmp"


def test_deployment_probes_security_and_shutdown():
    spec = pod_spec("deployment.yaml")
    check_security(spec)
    (c,) = spec["containers"]
    port = next(p for p in c["ports"] if p["name"] == "http")
    assert port["containerPort"] == int(df.env()["PORT"])
    grpc_port = next(p for p in c["ports"] if p["name"] == "grpc")
    assert grpc_port["containerPort"] == int(env_of(c)["GRPC_PORT"]) == \
        int(df.env()["GRPC_PORT"]) == settings.SERVER["GRPC_PORT"][0]
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
    assert volumes[mounts["/dev/shm"]]["emptyDir"]["medium"] == "Memory"
    assert "emptyDir" in volumes[mounts["/tmp"]]
    env = env_of(c)
    # service/server/conf.py does not create a given metrics directory: it must be a mount.
    assert env[settings.METRICS_DIR_ENV].startswith("/tmp/")
    assert "emptyDir" in volumes[mounts[env[settings.METRICS_DIR_ENV]]]
    assert env["BIND_HOST"] == "0.0.0.0"
    # SIGTERM arrives after preStop; gunicorn then needs up to its graceful timeout.
    graceful = settings.GRACEFUL_TIMEOUT
    pre_stop = " ".join(c["lifecycle"]["preStop"]["exec"]["command"])
    pause = float(re.search(r"sleep\((\d+(?:\.\d*)?)\)", pre_stop).group(1))
    assert spec["terminationGracePeriodSeconds"] > pause + graceful


def test_trainer_job_writes_the_claim_the_deployment_serves():
    job, deploy = pod_spec("trainer-job.yaml"), pod_spec("deployment.yaml")
    check_security(job)

    def claim_mount(spec, container):
        claims = {v["name"]: v["persistentVolumeClaim"]["claimName"]
                  for v in spec["volumes"] if "persistentVolumeClaim" in v}
        ((mount, claim),) = [(m, claims[m["name"]]) for m in container["volumeMounts"]
                             if m["name"] in claims]
        return mount, claim

    (train,) = job["containers"]
    job_mount, job_claim = claim_mount(job, train)
    serve_mount, serve_claim = claim_mount(deploy, deploy["containers"][0])
    assert job_claim == serve_claim == load("pvc.yaml")["metadata"]["name"]
    assert not job_mount.get("readOnly") and serve_mount.get("readOnly") is True
    argv = train["command"] + train.get("args", [])
    assert argv[:4] == ["python", "-m", "trainer", "train"]
    assert without_out(argv[4:]) == make_model_options(), \
        "trainer-job.yaml's args should be the Makefile's `model` options: copy them over"
    assert {c["image"].split(":")[0] for c in job["initContainers"] + job["containers"]} == \
        {"mnist-trainer"}, "the Job runs the trainer image (`docker build --target trainer`)"
    env = env_of(train)
    assert env["NUMBA_CACHE_DIR"].startswith("/tmp/") and env["NUMBA_CACHE_DIR"] == \
        df.env(df.stage("trainer"))["NUMBA_CACHE_DIR"]
    out = Path(df.option(argv, "--out"))
    model_dir = Path(env_of(deploy["containers"][0])["MODEL_DIR"])
    assert out.relative_to(job_mount["mountPath"]) == \
        model_dir.relative_to(serve_mount["mountPath"])
    assert load("trainer-job.yaml")["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_service_and_hpa_target_the_deployment():
    deploy = load("deployment.yaml")
    labels = deploy["spec"]["template"]["metadata"]["labels"]
    assert deploy["spec"]["selector"]["matchLabels"].items() <= labels.items()
    service = load("service.yaml")
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    grpc_port = next(p for p in service["spec"]["ports"] if p["name"] == "grpc")
    assert (grpc_port["targetPort"], grpc_port["appProtocol"]) == ("grpc", "kubernetes.io/h2c")
    hpa = load("hpa.yaml")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": deploy["metadata"]["name"]}
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert "replicas" not in deploy["spec"], "the HPA owns the replica count"
    c = deploy["spec"]["template"]["spec"]["containers"][0]
    assert c["resources"]["requests"]["cpu"], "CPU utilisation needs a CPU request"


def test_the_ingress_buffers_and_routes_to_the_service():
    ingress = load("ingress.yaml")
    notes = ingress["metadata"]["annotations"]
    prefix = "nginx.ingress.kubernetes.io/"
    assert notes[prefix + "proxy-request-buffering"] == notes[prefix + "proxy-buffering"] == "on"
    assert notes[prefix + "proxy-body-size"] == "17m"  # over V2_MAX_CONTENT_LENGTH (16 MiB)
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    service = load("service.yaml")
    assert backend["name"] == service["metadata"]["name"]
    assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}


def test_compose_trains_then_serves_the_output():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    trainer, service = compose["services"]["trainer"], compose["services"]["service"]
    assert service["depends_on"]["trainer"]["condition"] == "service_completed_successfully"
    assert trainer["build"]["context"] == service["build"]["context"] == "."
    assert trainer["build"]["target"] == "trainer" and "target" not in service["build"]
    command = trainer["command"]
    argv = shlex.split(command[2]) if command[:2] == ["sh", "-c"] else command
    assert without_out(argv[argv.index("train") + 1:]) == make_model_options(), \
        "compose.yaml's trainer should run the Makefile's `model` options: copy them over"
    out = df.option(argv, "--out")
    volumes = {v.split(":")[1]: v.split(":")[0] for v in trainer["volumes"]}
    served = {v.split(":")[1]: v.split(":")[0] for v in service["volumes"]}
    mount = next(m for m in volumes if out.startswith(m + "/"))
    assert served[mount] == volumes[mount] and volumes[mount] in compose["volumes"]
    assert service["environment"]["MODEL_DIR"] == out


def test_compose_puts_nginx_with_the_shipped_config_in_front():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    proxy = compose["services"]["proxy"]
    assert "service" in proxy["depends_on"]
    assert "./deploy/nginx/nginx.conf:/etc/nginx/nginx.conf:ro" in proxy["volumes"]
    conf = (ROOT / "deploy" / "nginx" / "nginx.conf").read_text()
    assert "server service:8000;" in conf and "listen 8080;" in conf
    assert any(p.endswith(":8080") for p in proxy["ports"])
    # gRPC too: the service's GRPC_PORT behind nginx's grpc_pass on 8081.
    grpc_port = compose["services"]["service"]["environment"]["GRPC_PORT"]
    assert f"server service:{grpc_port};" in conf and "listen 8081 http2;" in conf
    assert "grpc_pass grpc://" in conf
    assert any(p.endswith(":8081") for p in proxy["ports"])
    assert f"127.0.0.1:{grpc_port}:{grpc_port}" in compose["services"]["service"]["ports"]


def test_compose_config_is_accepted_by_podman_compose():
    """podman-compose (a dev dependency) parses and normalises the file as `up` would."""
    tool = Path(sys.executable).with_name("podman-compose")
    proc = subprocess.run([str(tool), "-f", str(ROOT / "compose.yaml"), "config"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    resolved = yaml.safe_load(proc.stdout)
    assert resolved["services"]["service"]["environment"]["MODEL_DIR"] == "/models/current"


def test_the_deployment_takes_the_feedback_db_url_from_a_secret():
    (c,) = pod_spec("deployment.yaml")["containers"]
    (entry,) = [e for e in c["env"] if e["name"] == "FEEDBACK_DB"]
    assert "value" not in entry, "a database URL holds a password: never a literal"
    ref = entry["valueFrom"]["secretKeyRef"]
    assert ref == {"name": "mnist-feedback-db", "key": "url"}, ref
    assert "FEEDBACK_DB" in settings.APP
    header = (K8S / "deployment.yaml").read_text(encoding="utf-8")
    assert f"kubectl create secret generic {ref['name']}" in header
    assert f"--from-literal={ref['key']}=postgresql://" in header


def test_compose_runs_postgresql_for_the_feedback_store():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    db, service = compose["services"]["feedback-db"], compose["services"]["service"]
    assert db["image"].startswith("postgres:")
    url = service["environment"]["FEEDBACK_DB"]
    match = re.fullmatch(r"postgresql://(\w+):\$\{(\w+):-\w+\}@feedback-db:5432/(\w+)", url)
    assert match, url
    user, password_var, name = match.groups()
    env = db["environment"]
    assert (env["POSTGRES_USER"], env["POSTGRES_DB"]) == (user, name)
    assert env["POSTGRES_PASSWORD"].startswith(f"${{{password_var}:-")
    # /predict must not wait for the database: started, not healthy.
    assert service["depends_on"]["feedback-db"]["condition"] == "service_started"
    mount = next(v for v in db["volumes"] if v.endswith(":/var/lib/postgresql/data"))
    assert mount.split(":")[0] in compose["volumes"]


def test_the_image_default_store_is_in_its_writable_data_dir():
    assert df.env()["FEEDBACK_DB"] == "sqlite:////data/feedback.db"
