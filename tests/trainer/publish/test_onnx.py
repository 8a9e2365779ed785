"""`export-onnx`: the ONNX graph computes what the NumPy forward pass computes, the
manifest records it, and the Triton repository describes the same graph."""

import hashlib
import json
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import write_tiny_model
from tests.helpers import ROOT
from trainer.artifact import integrity, store
from trainer.artifact.inference import as_inputs
from trainer.publish import onnx_file, triton

SHIPPED = ROOT / "models" / "default"
NEEDS = 'pip install -e ".[onnx]" (or ".[dev]")'


@pytest.fixture(scope="module")
def onnx():
    return pytest.importorskip("onnx", reason=f"onnx is not installed: {NEEDS}")


@pytest.fixture(scope="module")
def ort():
    return pytest.importorskip("onnxruntime", reason=f"onnxruntime is not installed: {NEEDS}")


@pytest.fixture(scope="module")
def shipped(tmp_path_factory, onnx):
    """A copy of models/default, exported: (directory, manifest before the export)."""
    directory = tmp_path_factory.mktemp("onnx") / "default"
    shutil.copytree(SHIPPED, directory)
    before = json.loads((directory / "model.json").read_text())
    onnx_file.export(directory)
    return directory, before


def _session(ort, path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def test_onnx_runtime_agrees_with_numpy_on_mnist(shipped, ort, mnist_test):
    directory, _ = shipped
    session = _session(ort, directory / "model.onnx")
    model = store.load(directory)
    x = as_inputs(mnist_test[0][:1000])
    (got,) = session.run(["probabilities"], {"pixels": x})
    assert got.dtype == np.float32 and got.shape == (1000, 10)
    np.testing.assert_allclose(got, model.probabilities(x), rtol=0, atol=1e-5)
    for batch in (1, 7):  # the batch dimension is dynamic
        (got,) = session.run(None, {"pixels": x[:batch]})
        np.testing.assert_allclose(got, model.probabilities(x[:batch]), rtol=0, atol=1e-5)


def test_manifest_records_the_onnx_file_and_keeps_everything_else(shipped):
    directory, before = shipped
    after = json.loads((directory / "model.json").read_text())
    blob = (directory / "model.onnx").read_bytes()
    assert after["files"]["model.onnx"] == {"sha256": hashlib.sha256(blob).hexdigest()}
    del after["files"]["model.onnx"]
    assert after == before
    assert store.load(directory).version == before["version"]
    onnx_file.export(directory)  # again: the same bytes, so the same recorded digest
    assert (directory / "model.onnx").read_bytes() == blob


def test_graph_is_gemm_relu_softmax_with_a_dynamic_batch(shipped, onnx):
    directory, before = shipped
    # The shipped artifact carries /read's pair network too: the graph leaves it out.
    assert store.load(directory).pair is not None
    proto = onnx.load(str(directory / "model.onnx"))
    graph = proto.graph
    assert [n.op_type for n in graph.node] == ["Gemm", "Relu", "Gemm", "Relu", "Gemm", "Softmax"]
    gemm_flags = {a.name: a.i for n in graph.node if n.op_type == "Gemm" for a in n.attribute}
    assert gemm_flags.get("transA", 0) == gemm_flags.get("transB", 0) == 0  # W is (in, out)
    assert onnx.helper.get_attribute_value(graph.node[-1].attribute[0]) == 1  # axis
    for value, width in ((graph.input[0], 784), (graph.output[0], 10)):
        tensor = value.type.tensor_type
        assert tensor.elem_type == onnx.TensorProto.FLOAT
        assert [d.dim_param or d.dim_value for d in tensor.shape.dim] == ["batch", width]
    assert [graph.input[0].name, graph.output[0].name] == ["pixels", "probabilities"]
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer}
    for i, (w, b) in enumerate(store.load(directory).params):
        assert weights[f"W{i}"].dtype == np.float32
        np.testing.assert_array_equal(weights[f"W{i}"], w)
        np.testing.assert_array_equal(weights[f"b{i}"], b)
    props = {p.key: p.value for p in proto.metadata_props}
    assert (props["name"], props["version"]) == (before["name"], before["version"])
    assert [o.version for o in proto.opset_import if o.domain == ""] == [onnx_file.OPSET]


def test_a_model_published_mid_export_keeps_its_manifest(onnx, tmp_path, monkeypatch):
    directory = tmp_path / "m"
    write_tiny_model(directory)
    build, published = onnx_file.build, []

    def build_while_retraining(model):
        published.append(write_tiny_model(directory, seed=1))  # `train --out` swaps it in
        return build(model)

    monkeypatch.setattr(onnx_file, "build", build_while_retraining)
    with pytest.raises(integrity.ArtifactError, match="changed during the export"):
        onnx_file.export(directory)
    assert store.load(directory).manifest == published[0]


def _pbtxt_tensors(text: str, kind: str) -> list[dict]:
    """The `input [...]` or `output [...]` entries of a config.pbtxt: name, type, dims."""
    block = re.search(rf"^{kind} \[(.*?)^\]", text, re.M | re.S).group(1)
    return [{"name": re.search(r'name: "([^"]+)"', entry).group(1),
             "data_type": re.search(r"data_type: (\w+)", entry).group(1),
             "dims": [int(d) for d in re.search(r"dims: \[([^]]*)\]", entry).group(1).split(",")]}
            for entry in re.findall(r"\{(.*?)\}", block, re.S)]


def test_triton_config_describes_the_onnx_graph(shipped, onnx, tmp_path):
    directory, before = shipped
    folder = triton.write_repository(directory, tmp_path / "repo")
    assert folder == tmp_path / "repo" / before["name"]
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == \
        ["1/model.onnx", "config.pbtxt", "labels.txt"]
    assert (folder / "1" / "model.onnx").read_bytes() == (directory / "model.onnx").read_bytes()
    assert (folder / "labels.txt").read_text().splitlines() == before["labels"]
    text = (folder / "config.pbtxt").read_text()
    assert re.search(r'^name: "([^"]+)"$', text, re.M).group(1) == before["name"]
    assert re.search(r'^platform: "([^"]+)"$', text, re.M).group(1) == "onnxruntime_onnx"
    assert int(re.search(r"^max_batch_size: (\d+)$", text, re.M).group(1)) > 0
    types = {onnx.TensorProto.FLOAT: "TYPE_FP32"}
    graph = onnx.load(str(folder / "1" / "model.onnx")).graph
    for kind, values in (("input", graph.input), ("output", graph.output)):
        # With max_batch_size > 0, Triton's dims leave out the graph's batch dimension.
        expected = [{"name": v.name, "data_type": types[v.type.tensor_type.elem_type],
                     "dims": [d.dim_value for d in v.type.tensor_type.shape.dim[1:]]}
                    for v in values]
        assert values[0].type.tensor_type.shape.dim[0].dim_param == "batch"
        assert _pbtxt_tensors(text, kind) == expected


def test_triton_refuses_a_missing_or_stale_onnx_file(onnx, tmp_path):
    directory = tmp_path / "m"
    write_tiny_model(directory)
    with pytest.raises(integrity.ArtifactError, match=r"model.onnx: missing; run `python -m"):
        triton.write_repository(directory, tmp_path / "repo")
    onnx_file.export(directory)
    write_tiny_model(directory, seed=1)  # retrained: the manifest no longer names an export
    (directory / "model.onnx").write_bytes(b"stale")
    with pytest.raises(integrity.ArtifactError, match="sha256 does not match"):
        triton.write_repository(directory, tmp_path / "repo")
    assert not (tmp_path / "repo").exists()


def _run(*args, code=None):
    argv = ["-c", code] if code else ["-m", "trainer"]
    return subprocess.run([sys.executable, *argv, *args], check=False, cwd=ROOT, text=True,
                          capture_output=True, timeout=120)


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_cli_writes_the_onnx_file_and_the_triton_repository(onnx, tmp_path):
    write_tiny_model(tmp_path / "m")
    result = _run("export-onnx", "--model", str(tmp_path / "m"), "--triton",
                  str(tmp_path / "repo"))
    assert result.returncode == 0, result.stderr
    assert "model.onnx" in store.load(tmp_path / "m").manifest["files"]
    assert (tmp_path / "repo" / "tiny-test" / "1" / "model.onnx").is_file()
    assert (tmp_path / "repo" / "tiny-test" / "config.pbtxt").is_file()


def test_cli_fails_in_one_line_on_a_missing_model(tmp_path):
    result = _run("export-onnx", "--model", str(tmp_path / "absent"))
    assert result.returncode == 1
    assert "absent/model.json: missing" in _one_line(result.stderr)


def test_cli_without_onnx_says_how_to_install_it(tmp_path):
    write_tiny_model(tmp_path / "m")
    code = ("import sys; sys.modules['onnx'] = None; from trainer.cli.commands import main; "
            f"sys.exit(main(['export-onnx', '--model', {str(tmp_path / 'm')!r}]))")
    result = _run(code=code)
    assert result.returncode == 1
    assert 'pip install -e ".[onnx]"' in _one_line(result.stderr)
    assert not (tmp_path / "m" / "model.onnx").exists()
