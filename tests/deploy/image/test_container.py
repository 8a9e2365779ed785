"""The Dockerfile, built and run for real with the engine the environment names.

Without a working engine these tests skip, unless REQUIRE_CONTAINER_ENGINE=1 (CI),
where they fail. The image is built once per module. Answers from the container are
compared with trainer.store.load's probabilities on the same MNIST images within 1e-6.
"""

import json
import os
import shutil
import uuid
from pathlib import Path

import numpy as np
import pytest
import yaml
from packaging.utils import canonicalize_name

from tests.deploy.image import _dockerfile as df
from tests.deploy.image._engine import Engine, container, wait_healthy
from tests.deploy.image._http import fetch, get_json, png_upload, request_across_stop
from tests.deploy.image.test_constraints import TRAIN_LOCK, pins
from tests.helpers import ROOT
from tests.helpers.servers import free_port
from trainer.artifact import inference, store
from trainer.data import idx

DEFAULT_MODEL = ROOT / "models" / "default"
TOL = 1e-6
pytestmark = [pytest.mark.slow, pytest.mark.container, pytest.mark.timeout(1200)]


@pytest.fixture(scope="module")
def engine():
    eng = Engine()
    problem = eng.problem()
    if problem:
        if os.environ.get("REQUIRE_CONTAINER_ENGINE") == "1":
            pytest.fail(f"REQUIRE_CONTAINER_ENGINE=1 but no container engine works: {problem}")
        pytest.skip(f"no container engine: {problem} (set CONTAINER_ENGINE, or "
                    "eval \"$(../shared/tools/container-env.sh)\")")
    return eng


@pytest.fixture(scope="module")
def image(engine):
    if not (DEFAULT_MODEL / "model.json").exists():
        pytest.fail("models/default is missing; the image ships it (make model)")
    tag = "localhost/mnist-service:test"
    engine.build(ROOT, tag)
    return tag


@pytest.fixture(scope="module")
def trainer_image(engine, image):
    """The trainer's image, `--target trainer`: built after the service's, whose layers
    (the builder's venv) it reuses."""
    tag = "localhost/mnist-trainer:test"
    engine.build(ROOT, tag, target="trainer")
    return tag


def readable_copy(src: Path, dst: Path) -> Path:
    """Copy a tree so any uid can read it: the container's user is not ours, and
    artifacts are written 0700 (atomic save via mkdtemp)."""
    shutil.copytree(src, dst)
    for path in [dst, *dst.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return dst


def reference(model, images: np.ndarray) -> np.ndarray:
    """The trainer's probabilities for uint8 (B, 28, 28) images, scaled as in training."""
    return model.probabilities(inference.as_inputs(images))


def writable_dir(path: Path) -> Path:
    """A new directory the container's user (not ours) can write into."""
    path.mkdir()
    path.chmod(0o777)
    return path


def check_predictions(port: int, model, images: np.ndarray) -> None:
    payload = json.dumps({"instances": images.reshape(len(images), -1).tolist()}).encode()
    status, body = get_json(port, "/predict", payload, {"Content-Type": "application/json"})
    assert status == 200
    assert body["model"]["version"] == model.version
    got = np.array([p["probabilities"] for p in body["predictions"]])
    want = reference(model, images)
    np.testing.assert_allclose(got, want, rtol=0, atol=TOL)
    labels = [int(model.labels[i]) for i in want.argmax(axis=1)]
    assert [p["label"] for p in body["predictions"]] == labels


def check_grpc_predictions(port: int, model, images: np.ndarray) -> None:
    """tritonclient.grpc against the container's GRPC_PORT, as README.md shows it."""
    grpcclient = pytest.importorskip("tritonclient.grpc")
    client = grpcclient.InferenceServerClient(f"127.0.0.1:{port}")
    try:
        x = inference.as_inputs(images)
        inp = grpcclient.InferInput("pixels", list(x.shape), "FP32")
        inp.set_data_from_numpy(x)
        result = client.infer(model.name, [inp])
        np.testing.assert_allclose(result.as_numpy("probabilities"), reference(model, images),
                                   rtol=0, atol=TOL)
        assert result.get_response().model_version == model.version
    finally:
        client.close()


def test_image_serves_shipped_model_as_non_root_and_stops_cleanly(engine, image, mnist_test):
    images, _ = mnist_test
    model = store.load(DEFAULT_MODEL)
    port, grpc_port = free_port(), free_port()
    # As the Kubernetes manifests run it: a read-only root, only /tmp writable.
    with container(engine, image, port=port, grpc_port=grpc_port,
                   flags=("--read-only", "--tmpfs=/tmp")) as name:
        wait_healthy(engine, name, image)
        assert engine("exec", name, "touch", "/app/x", check=False).returncode != 0
        check_predictions(port, model, images[:64])
        check_grpc_predictions(grpc_port, model, images[:64])
        status, body = get_json(port, "/predict", *png_upload(images[100]))
        assert status == 200
        np.testing.assert_allclose(body["predictions"][0]["probabilities"],
                                   reference(model, images[100:101])[0], rtol=0, atol=TOL)

        assert engine("exec", name, "id", "-u").stdout.strip() == str(df.user()[0])
        status_lines = engine("exec", name, "cat", "/proc/1/status").stdout.splitlines()
        uids = next(line for line in status_lines if line.startswith("Uid:")).split()[1:]
        assert uids and all(u != "0" for u in uids), status_lines
        # Exec-form CMD, and `python -m service` execs: gunicorn itself is PID 1 and
        # receives the engine's SIGTERM.
        argv = engine("exec", name, "cat", "/proc/1/cmdline").stdout.split("\0")
        assert "gunicorn" in argv[:3], argv

        # SIGTERM while a request is in flight: it is answered, then gunicorn exits 0
        # (137 would mean the engine had to SIGKILL it after the 10 s).
        status, body = request_across_stop(engine, name, port, images[:4])
        assert status == 200, body
        np.testing.assert_allclose([p["probabilities"] for p in body["predictions"]],
                                   reference(model, images[:4]), rtol=0, atol=TOL)
        state = engine.state(name)
        assert not state.get("Running")
        assert state.get("ExitCode") == 0, engine("logs", name, check=False).stdout[-3000:]


def test_image_contains_only_runtime_files_at_the_pinned_versions(engine, image):
    script = ("import json, os, sys, importlib.metadata as m; print(json.dumps({"
              "'app': sorted(os.listdir('/app')), "
              "'prefix': sys.prefix, 'versions': {d.metadata['Name']: d.version "
              "for d in m.distributions()}}))")
    out = engine("run", "--rm", *engine.run_flags, image, "python", "-c", script,
                 timeout=120).stdout
    found = json.loads(out.strip().splitlines()[-1])
    versions = {canonicalize_name(k): v for k, v in found.pop("versions").items()}
    # The code and the gunicorn config live in the venv as an installed wheel; /app has
    # the model.
    assert found == {"app": ["models"], "prefix": "/opt/venv"}
    assert {name: versions.get(name) for name in pins()} == pins()


def test_trainer_image_has_the_train_lock_at_its_versions(engine, trainer_image):
    script = ("import json, importlib.metadata as m; print(json.dumps({d.metadata['Name']: "
              "d.version for d in m.distributions()}))")
    out = engine("run", "--rm", *engine.run_flags, trainer_image, "python", "-c", script,
                 timeout=120).stdout
    found = json.loads(out.strip().splitlines()[-1])
    versions = {canonicalize_name(k): v for k, v in found.items()}
    locked = pins(TRAIN_LOCK)
    assert {name: versions.get(name) for name in locked} == locked


def pod_run_args(name: str, manifest: str, binds: dict[str, Path]):
    """(`run -d` options, command) approximating the manifest's (only) container: its user,
    read-only root, dropped capabilities, env and command; emptyDirs become tmpfs, and
    `binds` maps the other mount paths (claims, data) to host directories."""
    doc = yaml.safe_load((ROOT / "deploy" / "kubernetes" / manifest).read_text())
    pod = doc["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    sc, volumes = c["securityContext"], {v["name"]: v for v in pod["volumes"]}
    flags = [f"--user={sc['runAsUser']}:{sc['runAsGroup']}",
             *(f"--cap-drop={cap}" for cap in sc["capabilities"]["drop"])]
    if sc["readOnlyRootFilesystem"]:
        flags.append("--read-only")
    if sc["allowPrivilegeEscalation"] is False:
        flags.append("--security-opt=no-new-privileges")
    for mount in c["volumeMounts"]:
        path = mount["mountPath"]
        if path in binds:
            flags += ["-v", f"{binds[path]}:{path}" + (":ro" if mount.get("readOnly") else "")]
        elif "emptyDir" in volumes[mount["name"]] and path != "/dev/shm":  # engines mount it
            flags.append(f"--tmpfs={path}")
    # Values from Secrets (valueFrom) are left out: an engine run has no Secrets.
    flags += [f"-e{e['name']}={e['value']}" for e in c.get("env", [])
              if "value" in e and e["name"] not in ("PORT", "GRPC_PORT")]
    return ["run", "-d", "--name", name, *flags], [*c.get("command", []), *c.get("args", [])]


def test_kubernetes_job_then_deployment_in_the_engine(engine, image, trainer_image, mnist_dir,
                                                      tmp_path):
    """The trainer Job's container settings, in the trainer image, write the claim (with
    --augment: OpenCV; numba's kernels cached in the /tmp emptyDir); the Deployment's
    serve it."""
    data = readable_copy(Path(mnist_dir), tmp_path / "data")
    claim, scratch = writable_dir(tmp_path / "claim"), writable_dir(tmp_path / "tmp")
    job, pod = f"mnist-test-job-{uuid.uuid4().hex[:12]}", f"mnist-test-pod-{uuid.uuid4().hex[:12]}"
    try:
        options, command = pod_run_args(job, "trainer-job.yaml",
                                        {"/models": claim, "/data": data, "/tmp": scratch})
        # The extra options (the last of a repeated option wins) keep this run short.
        engine(*options, *engine.run_flags, trainer_image, *command, "--epochs", "1",
               "--hidden", "32", "--batch-size", "256", "--train-limit", "5000",
               "--outliers", "0", "--val-split", "0", timeout=60)
        exit_code = engine("wait", job, timeout=600).stdout.strip().splitlines()[-1]
        assert exit_code == "0", engine("logs", job, check=False).stderr[-3000:]
        assert list((scratch / "numba-cache").rglob("*.nbi")), "numba cached nothing in /tmp"
        deployment = yaml.safe_load((ROOT / "deploy/kubernetes/deployment.yaml").read_text())
        c = deployment["spec"]["template"]["spec"]["containers"][0]
        model_dir = next(e["value"] for e in c["env"] if e["name"] == "MODEL_DIR")
        trained = store.load(claim / Path(model_dir).relative_to("/models"))

        port, grpc_port = free_port(), free_port()
        options, command = pod_run_args(pod, "deployment.yaml", {"/models": claim})
        engine(*options, *engine.run_flags, *engine.publish_flags(port, grpc_port),
               "-e", f"PORT={port}", "-e", f"GRPC_PORT={grpc_port}", image, *command,
               timeout=120)
        wait_healthy(engine, pod, image)
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert fetch(port, c[probe]["httpGet"]["path"])[0] == 200, probe
        assert get_json(port, "/model")[1]["version"] == trained.version
        digits = idx.load(mnist_dir, "test")[0][:8]
        check_predictions(port, trained, digits)
        check_grpc_predictions(grpc_port, trained, digits)
        status, metrics = fetch(port, "/metrics")
        assert status == 200 and b"# TYPE" in metrics
    finally:
        for name in (job, pod):
            engine.remove(name)


def test_trainer_job_in_image_then_serve_its_artifact(engine, image, mnist_dir, mnist_test,
                                                      tmp_path):
    # The container's uid is not ours: give it data it can read and a dir it can write.
    data = readable_copy(Path(mnist_dir), tmp_path / "data")
    models = writable_dir(tmp_path / "models")
    name = f"mnist-test-train-{uuid.uuid4().hex[:12]}"
    try:
        engine("run", "--name", name, *engine.run_flags, "-e", "MNIST_DATA_DIR=/data",
               "-v", f"{data}:/data:ro", "-v", f"{models}:/models", image,
               "python", "-m", "trainer", "train", "--epochs", "1", "--hidden", "32",
               "--train-limit", "5000", "--out", "/models/new", timeout=600)
    finally:
        engine.remove(name)
    trained = store.load(models / "new")
    assert trained.manifest["training"]["train_limit"] == 5000
    assert trained.manifest["metrics"]["test_accuracy"] > 0.8  # chance is 0.1

    images, _ = mnist_test
    port = free_port()
    with container(engine, image, port=port, env={"MODEL_DIR": "/models/new"},
                   volumes=[f"{models}:/models:ro"]) as served:
        wait_healthy(engine, served, image)
        status, info = get_json(port, "/model")
        assert status == 200
        assert info["version"] == trained.version
        assert info["weights_sha256"] == trained.manifest["weights_sha256"]
        check_predictions(port, trained, images[:16])
