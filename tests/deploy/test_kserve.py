"""deploy/kserve/*.yaml, offline: no package ships KServe's InferenceService schema, so
the fields KServe needs are checked by hand, and the pod parts (the custom predictor's
PodSpec, the Triton predictor's container) against the Kubernetes schemas."""

import copy
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.deploy.image import _dockerfile as df
from tests.deploy.test_manifests import VERSIONS, check_security, env_of
from tests.deploy.test_manifests import pod_spec as k8s_pod_spec

KSERVE = df.ROOT / "deploy" / "kserve"
CUSTOM, TRITON = "inferenceservice-custom.yaml", "inferenceservice-triton.yaml"
# PredictorSpec fields that are KServe's own; the rest of a custom predictor is a PodSpec.
COMPONENT_FIELDS = {"minReplicas", "maxReplicas", "scaleTarget", "scaleMetric",
                    "containerConcurrency", "timeout", "canaryTrafficPercent", "logger",
                    "batcher", "labels", "annotations", "deploymentStrategy", "model"}
MODEL_FIELDS = {"modelFormat", "runtime", "protocolVersion", "storageUri", "storage"}


def load(name: str) -> dict:
    docs = [d for d in yaml.safe_load_all((KSERVE / name).read_text(encoding="utf-8")) if d]
    assert len(docs) == 1, f"{name}: expected one document"
    return docs[0]


def as_pod(spec: dict) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "check"}, "spec": spec}


def custom_pod_spec() -> dict:
    predictor = load(CUSTOM)["spec"]["predictor"]
    return {k: v for k, v in predictor.items() if k not in COMPONENT_FIELDS}


def triton_container() -> dict:
    model = load(TRITON)["spec"]["predictor"]["model"]
    rest = {k: v for k, v in model.items() if k not in MODEL_FIELDS}
    return {"name": "kserve-container", "image": "runtime-supplies-it", **rest}


def test_the_folder_holds_the_two_inference_services():
    assert sorted(p.name for p in KSERVE.glob("*.yaml")) == sorted([CUSTOM, TRITON])


@pytest.mark.parametrize("name", [CUSTOM, TRITON])
def test_inference_service_header(name):
    isvc = load(name)
    assert isvc["apiVersion"] == "serving.kserve.io/v1beta1"
    assert isvc["kind"] == "InferenceService"
    assert isvc["metadata"]["name"]
    assert isinstance(isvc["spec"]["predictor"], dict)
    predictor = isvc["spec"]["predictor"]
    assert 1 <= predictor["minReplicas"] <= predictor["maxReplicas"]
    # A custom predictor is `containers`; a runtime predictor is `model`; never both.
    assert ("containers" in predictor) != ("model" in predictor)


@pytest.mark.parametrize("version", VERSIONS)
def test_pod_parts_validate_against_the_kubernetes_schema(version):
    kubernetes_validate.validate(as_pod(custom_pod_spec()), version, strict=True)
    kubernetes_validate.validate(as_pod({"containers": [triton_container()]}), version,
                                 strict=True)


def test_pod_schema_check_rejects_a_misspelt_field():
    broken = copy.deepcopy(custom_pod_spec())
    broken["containers"][0]["readinessProbe"]["httpGett"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(as_pod(broken), VERSIONS[0], strict=True)


def test_custom_predictor_runs_the_service_image_on_the_v2_protocol():
    spec = custom_pod_spec()
    check_security(spec)  # the rules deploy/kubernetes/deployment.yaml follows
    (c,) = spec["containers"]
    assert c["name"] == "kserve-container"
    (deployed,) = k8s_pod_spec("deployment.yaml")["containers"]
    assert c["image"] == deployed["image"]
    # KServe routes REST to the first port; raw Deployment mode exposes a second one, named
    # h2c, for gRPC.
    port, grpc_port = c["ports"]
    assert port["containerPort"] == int(df.env()["PORT"]) == 8000
    assert (grpc_port["name"], grpc_port["containerPort"]) == ("h2c", int(df.env()["GRPC_PORT"]))
    assert c["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": 8000}
    assert c["livenessProbe"]["httpGet"] == {"path": "/v2/health/live", "port": 8000}
    env = env_of(c)
    assert env["PROTOCOL"] == "v2"  # KServe reads a custom container's protocol from here
    assert Path(env["MODEL_DIR"]) == Path(df.env()["MODEL_DIR"])  # the model in the image
    assert "PORT" not in env and "GRPC_PORT" not in env, "the image's are the containerPorts"
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]
    assert volumes[mounts["/dev/shm"]]["emptyDir"]["medium"] == "Memory"
    assert "emptyDir" in volumes[mounts[env["PROMETHEUS_MULTIPROC_DIR"]]]
    annotations = load(CUSTOM)["metadata"]["annotations"]
    # Knative mode would refuse the /tmp mount; raw mode is a plain Deployment.
    assert annotations["serving.kserve.io/deploymentMode"] == "RawDeployment"


def test_triton_predictor_serves_the_exported_repository_on_v2():
    model = load(TRITON)["spec"]["predictor"]["model"]
    assert model["modelFormat"]["name"] == "onnx"
    assert model["runtime"] == "kserve-tritonserver"
    assert model["protocolVersion"] == "v2"
    assert model["storageUri"].startswith(("s3://", "gs://", "pvc://", "https://"))
    assert "export-onnx" in (KSERVE / TRITON).read_text() and "--triton" in \
        (KSERVE / TRITON).read_text(), "say where the repository comes from"
    assert model["resources"]["requests"] and model["resources"]["limits"]
