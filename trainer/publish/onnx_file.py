"""The artifact as ONNX: DIR/model.onnx, the same network for ONNX Runtime and Triton.

The graph is Gemm -> Relu per hidden layer and Gemm -> Softmax at the end, with the
weights as float32 initializers. It takes what `probabilities` takes (float32 pixels
scaled to [0, 1], any batch size) and returns what it returns. The file's SHA-256 goes
into the manifest under files["model.onnx"]; the fields the loaders check are kept.
"""

import hashlib
import json
from pathlib import Path

from trainer.artifact import atomic, integrity, store
from trainer.artifact.integrity import MANIFEST_FILE, ArtifactError

ONNX_FILE = "model.onnx"
INPUT, OUTPUT = "pixels", "probabilities"
BATCH = "batch"  # the symbolic first dimension: any batch size
# Opset 17 with IR version 8, the pair ONNX 1.12 introduced: runtimes much older than the
# newest (Triton's ONNX Runtime backend among them) load it, and Gemm, Relu and Softmax
# need nothing newer.
OPSET, IR_VERSION = 17, 8
PRODUCER = "mnist-mlp-trainer"


class OnnxMissing(ImportError):
    """The optional `onnx` package is not installed."""


def _onnx():
    try:
        import onnx
    except ImportError as e:
        raise OnnxMissing('ONNX export needs the onnx package: pip install -e ".[onnx]"') from e
    return onnx


def build(model: store.Model):
    """The onnx.ModelProto of `model`: pixels (batch, 784) -> probabilities (batch, K)."""
    onnx = _onnx()
    from onnx import TensorProto, helper, numpy_helper

    nodes, initializers = [], []
    last = len(model.params) - 1
    a = INPUT
    for i, (w, b) in enumerate(model.params):
        initializers += [numpy_helper.from_array(w, f"W{i}"), numpy_helper.from_array(b, f"b{i}")]
        z = f"z{i}"
        nodes.append(helper.make_node("Gemm", [a, f"W{i}", f"b{i}"], [z], name=f"dense{i}"))
        if i < last:
            a = f"h{i}"
            nodes.append(helper.make_node("Relu", [z], [a], name=f"relu{i}"))
        else:
            nodes.append(helper.make_node("Softmax", [z], [OUTPUT], name="softmax", axis=1))
    n_in, n_out = model.params[0][0].shape[0], model.params[-1][0].shape[1]
    graph = helper.make_graph(
        nodes, model.name,
        [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, [BATCH, n_in])],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, [BATCH, n_out])],
        initializer=initializers,
        doc_string=f"{INPUT}: float32 ({BATCH}, {n_in}), pixel / 255 in [0, 1]; "
                   f"{OUTPUT}: float32 ({BATCH}, {n_out}) softmax over labels")
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              ir_version=IR_VERSION, producer_name=PRODUCER,
                              doc_string=f"{model.name} {model.version}: a multilayer "
                                         "perceptron for 28x28 grayscale digits")
    helper.set_model_props(proto, {
        "name": model.name,
        "version": model.version,
        "weights_sha256": model.manifest["weights_sha256"],
        "labels": json.dumps(model.labels),
        "input_scale": "pixel / 255",
    })
    onnx.checker.check_model(proto, full_check=True)  # also runs shape inference
    return proto


def export(model_dir) -> Path:
    """Write DIR/model.onnx for the verified artifact in `model_dir`; return its path.

    The file is replaced atomically, then the manifest (also atomically) gains
    files["model.onnx"]["sha256"]. Running it twice writes the same bytes.
    """
    root = Path(model_dir)
    model = store.load(root)
    blob = build(model).SerializeToString(deterministic=True)
    path = root / ONNX_FILE
    atomic.write_file(path, blob)
    if integrity.check(root).manifest != model.manifest:
        # A new model was published here meanwhile; its manifest must not become ours.
        raise ArtifactError(f"{root / MANIFEST_FILE}: changed during the export; "
                                     "run export-onnx again")
    manifest = dict(model.manifest)
    manifest["files"] = {**manifest["files"], ONNX_FILE: {"sha256": _sha256(blob)}}
    # The same layout artifact.save writes, so the manifest diff is the one new entry.
    atomic.write_file(root / MANIFEST_FILE, (json.dumps(manifest, indent=2) + "\n").encode())
    return path


def checked_onnx(model_dir) -> tuple[dict, bytes]:
    """(manifest, model.onnx bytes) once the file matches the manifest's sha256.

    ArtifactError when the export is missing or stale (e.g. the model was retrained).
    """
    root = Path(model_dir)
    manifest = integrity.check(root).manifest
    fix = f"run `python -m trainer export-onnx --model {root}`"
    recorded = manifest["files"].get(ONNX_FILE, {}).get("sha256")
    try:
        blob = (root / ONNX_FILE).read_bytes()
    except FileNotFoundError as e:
        raise ArtifactError(f"{root / ONNX_FILE}: missing; {fix}") from e
    if recorded != _sha256(blob):
        raise ArtifactError(f"{root / ONNX_FILE}: sha256 does not match {MANIFEST_FILE}"
                                     f" files.{ONNX_FILE}.sha256; {fix}")
    return manifest, blob


def _sha256(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()
