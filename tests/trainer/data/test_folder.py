"""trainer/data/users/folder.py: a folder of one's own images read as the service reads them
(its /predict answers are the reference, within 1e-6), its errors, and `write`, which
`load` reads back exactly."""

import io
import shutil

import numpy as np
import pytest
from PIL import Image

from service import create_app
from tests.helpers import ROOT
from tests.service._fixtures import default_model_dir
from trainer.artifact import inference, store
from trainer.data.idx import DataError
from trainer.data.users import folder

RESOURCES = ROOT / "tests" / "resources"
# Photos, a palette GIF, transparency, white on black, grey: each as the service reads it.
PICTURES = {"0": "0_grey.png", "1": "1_photo.jpg", "2": "2_palette.gif", "3": "3_photo.jpg",
            "4": "4_transparent.png", "7": "7_transparent.png", "8": "8_white_on_black.bmp"}


def service_probabilities(client, path, query: str) -> np.ndarray:
    resp = client.post(f"/predict{query}", content_type="multipart/form-data",
                       data={"image": (io.BytesIO(path.read_bytes()), path.name)})
    assert resp.status_code == 200, resp.get_json()
    return np.array(resp.get_json()["predictions"][0]["probabilities"])


def test_pictures_are_read_as_the_service_reads_them(tmp_path):
    model_dir = default_model_dir()
    model = store.load(model_dir)
    for label, name in PICTURES.items():
        (tmp_path / label).mkdir()
        shutil.copy(RESOURCES / name, tmp_path / label / name)
    (tmp_path / "none").mkdir()
    small = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    Image.fromarray(small, "L").save(tmp_path / "none" / "small.png")
    images, labels, files = folder.load(tmp_path)
    client = create_app({"MODEL_DIR": str(model_dir), "TESTING": True}).test_client()
    assert labels == [*PICTURES, "none"]
    got = model.probabilities(inference.as_inputs(images))
    for row, path in zip(got, files, strict=True):
        # A 28x28 grayscale image is the model's input as it is (/predict without
        # ?normalize=mnist); everything else goes through the recipe.
        query = "" if path.name == "small.png" else "?normalize=mnist"
        np.testing.assert_allclose(row, service_probabilities(client, path, query),
                                   rtol=0, atol=1e-6, err_msg=path.name)


def test_write_then_load_gives_back_the_exact_pixels(tmp_path):
    pixels = np.random.default_rng(1).integers(0, 256, (12, 28, 28), dtype=np.uint8)
    labels = [*folder.CLASSES, "7"]
    folder.write(tmp_path / "out", pixels, labels, [f"{i:06d}" for i in range(12)])
    images, got, files = folder.load(tmp_path / "out")
    order = [int(f.stem) for f in files]
    np.testing.assert_array_equal(images, pixels[order].astype(np.float32))
    assert got == [labels[i] for i in order]


def test_write_refuses_a_directory_that_is_not_empty(tmp_path):
    (tmp_path / "cleaned").mkdir()
    (tmp_path / "cleaned" / "notes.txt").write_text("mine")
    with pytest.raises(DataError, match=r"cleaned: exists and is not empty; give --out"):
        folder.write(tmp_path / "cleaned", np.zeros((1, 28, 28), np.uint8), ["1"], ["a"])
    assert (tmp_path / "cleaned" / "notes.txt").read_text() == "mine"


def test_layout_tells_idx_files_from_a_folder_and_names_the_fix(tmp_path):
    assert folder.layout(tmp_path / "missing") == "idx"  # `fetch` fills it
    assert folder.layout(tmp_path) == "idx"
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"")
    assert folder.layout(tmp_path) == "idx"
    mine = tmp_path / "mine"
    (mine / "3").mkdir(parents=True)
    Image.new("L", (40, 40), 255).save(mine / "3" / "a.png")
    assert folder.layout(mine) == "folder"
    other = tmp_path / "other"
    (other / "cats").mkdir(parents=True)
    with pytest.raises(DataError, match=r"other: holds neither class folders of images "
                                        r"nor IDX files; --data-dir takes a folder"):
        folder.layout(other)


def test_bad_files_are_named_with_the_fix(tmp_path):
    (tmp_path / "7").mkdir()
    Image.new("L", (60, 60), 255).save(tmp_path / "7" / "blank.png")
    with pytest.raises(DataError, match=r"7/blank.png: no ink found in it .*move it to "
                                        r".*none/ if it is no digit"):
        folder.load(tmp_path)
    (tmp_path / "7" / "blank.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=r"7/blank.png: not a readable image"):
        folder.load(tmp_path)
    (tmp_path / "7" / "blank.png").unlink()
    Image.new("L", (28, 28), 0).save(tmp_path / "7" / "ok.png")
    (tmp_path / "seven").mkdir()
    with pytest.raises(DataError, match=r"folders seven are none of 0, 1, .*none; rename"):
        folder.load(tmp_path)
