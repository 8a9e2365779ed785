"""A Triton Inference Server model repository for an exported artifact.

    REPO/<name>/config.pbtxt     the ONNX Runtime backend, batch dimension first
    REPO/<name>/labels.txt       one label a line (Triton's classification extension)
    REPO/<name>/1/model.onnx     DIR/model.onnx, checked against the manifest

<name> is the manifest's name (e.g. mnist-mlp), the name clients use in
/v2/models/<name>/infer. Triton versions are integers, so the export is version 1;
the artifact's own version is recorded in a comment at the top of config.pbtxt.
"""

import re
from pathlib import Path

from trainer.artifact import MAX_BATCH, atomic
from trainer.artifact.integrity import ArtifactError
from trainer.publish.onnx_file import INPUT, ONNX_FILE, OUTPUT, checked_onnx

CONFIG_FILE, LABELS_FILE, VERSION = "config.pbtxt", "labels.txt", "1"
# How long Triton may hold a request to batch it with others: 100 us costs a single
# request little and lets concurrent ones share one Gemm.
QUEUE_DELAY_US = 100
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def config_text(manifest: dict) -> str:
    """config.pbtxt for the model in `manifest` (its name, layers and version)."""
    n_in, n_out = manifest["layers"][0]["in"], manifest["layers"][-1]["out"]
    return f"""\
# {manifest['name']} {manifest['version']} (weights sha256 {manifest['weights_sha256']}),
# written by `python -m trainer export-onnx --triton`. Inputs are pixel / 255 in [0, 1].
name: "{manifest['name']}"
platform: "onnxruntime_onnx"
backend: "onnxruntime"
max_batch_size: {MAX_BATCH}
input [
  {{
    name: "{INPUT}"
    data_type: TYPE_FP32
    dims: [ {n_in} ]
  }}
]
output [
  {{
    name: "{OUTPUT}"
    data_type: TYPE_FP32
    dims: [ {n_out} ]
    label_filename: "{LABELS_FILE}"
  }}
]
dynamic_batching {{
  max_queue_delay_microseconds: {QUEUE_DELAY_US}
}}
version_policy: {{ latest: {{ num_versions: 1 }} }}
"""


def write_repository(model_dir, repo) -> Path:
    """Write (or replace) REPO/<name>/ from `model_dir`'s model.onnx; return that folder.

    ArtifactError when model.onnx is missing or does not match the manifest, or when
    the manifest's name or labels cannot be written into a Triton repository.
    """
    manifest, blob = checked_onnx(model_dir)
    name = manifest["name"]
    if not (isinstance(name, str) and _NAME.fullmatch(name)):
        raise ArtifactError(f"{model_dir}: model name {name!r} is not a Triton model name "
                            "(letters, digits, '_', '.', '-')")
    labels = [str(label) for label in manifest["labels"]]
    if any("\n" in label or "\r" in label for label in labels):
        raise ArtifactError(f"{model_dir}: a label has a line break; labels.txt is one a line")
    folder = Path(repo) / name
    (folder / VERSION).mkdir(parents=True, exist_ok=True)
    # config.pbtxt last: a Triton polling the repository sees it only beside a whole model.
    atomic.write_file(folder / VERSION / ONNX_FILE, blob)
    atomic.write_file(folder / LABELS_FILE, "".join(f"{x}\n" for x in labels).encode())
    atomic.write_file(folder / CONFIG_FILE, config_text(manifest).encode())
    return folder
