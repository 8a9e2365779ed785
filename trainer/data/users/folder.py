"""A folder of one's own images, laid out as Keras's image_dataset_from_directory and
torchvision's ImageFolder expect: DIR/0/*.png .. DIR/9/*.png, and DIR/none/ for
what is not a digit. Read here (`load`), and written here (`write`, for
`python -m trainer export-feedback`).

A 28x28 grayscale image is taken as the model's input as it is: white ink on black,
as MNIST, as /predict reads a 28x28 image, and as `write` stores a correction. Any
other image (a photo, a scan, a drawing of any size, colour or not) goes through the
service's own MNIST recipe (trainer/artifact/recipe/), as /predict?normalize=mnist.
"""

import io
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from trainer.artifact import DIGITS, SIDE, recipe
from trainer.artifact.recipe import picture
from trainer.data.idx import FILES, DataError

NONE = "none"  # the folder of non-digits
CLASSES = (*DIGITS, NONE)
SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"}
LAYOUT = ("a folder of images DIR/0/ .. DIR/9/ (and DIR/none/ for non-digits), "
          "or MNIST's IDX files (`python -m trainer fetch --data-dir DIR`)")


def layout(directory) -> str:
    """"folder" for class folders of images; "idx" for IDX files, or for a directory that
    is missing or empty (`fetch` fills it); DataError naming the directory otherwise."""
    root = Path(directory)
    if is_folder(root):
        return "folder"
    if not root.exists() or not any(root.iterdir()) or any(
            p.name.startswith(FILES) for p in root.iterdir()):
        return "idx"
    raise DataError(f"{root}: holds neither class folders of images nor IDX files; "
                    f"--data-dir takes {LAYOUT}")


def is_folder(directory) -> bool:
    """Whether `directory` has at least one class folder (0..9 or none) with an image."""
    root = Path(directory)
    return any(_images(root / name) for name in CLASSES)


def load(directory) -> tuple[np.ndarray, list[str], list[Path]]:
    """(images float32 (N, 28, 28) on 0..255, labels "0".."9" or "none", the files).

    Raises DataError naming the file for an unreadable image or one where the recipe
    finds no digit, and naming the directory when it holds no class folder.
    """
    root = Path(directory)
    if not is_folder(root):
        raise DataError(f"{root}: no images in {root}/0/ .. {root}/9/ or {root}/{NONE}/; "
                        f"--data-dir takes {LAYOUT}")
    strays = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name not in CLASSES)
    if strays:
        raise DataError(f"{root}: folders {', '.join(strays)} are none of "
                        f"{', '.join(CLASSES)}; rename or remove them")
    images, labels, files = [], [], []
    for label in CLASSES:
        for path in _images(root / label):
            images.append(read(path))
            labels.append(label)
            files.append(path)
    return np.stack(images), labels, files


def _images(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir()
                  if p.suffix.lower() in SUFFIXES and p.is_file())


def read(path: Path) -> np.ndarray:
    """One image file -> float32 (28, 28) on 0..255, white ink on black."""
    try:
        blob = path.read_bytes()
        with Image.open(io.BytesIO(blob)) as im:
            as_is = im.size == (SIDE, SIDE) and im.mode == "L"
            if as_is:
                return np.asarray(im, dtype=np.float32)
        return picture.read(blob)
    except recipe.NoDigit as e:
        fix = ("remove it: the service refuses such an image before the model sees it"
               if path.parent.name == NONE else
               f"remove it, or move it to {path.parent.parent / NONE}/ if it is no digit")
        raise DataError(f"{path}: no ink found in it ({e}); {fix}") from e
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:
        raise DataError(f"{path}: not a readable image ({e}); convert it to PNG or "
                        "JPEG, or remove it") from e


def write(directory, pixels: np.ndarray, labels: list[str], names: list[str]) -> None:
    """uint8 (N, 28, 28) model inputs as DIR/<label>/<name>.png, which `load` reads back
    exactly. `directory` must not exist or be empty: a person may have cleaned it."""
    root = Path(directory)
    if root.exists() and any(root.iterdir()):
        raise DataError(f"{root}: exists and is not empty; give --out a new directory "
                        "(a cleaned export must not be overwritten)")
    for label in CLASSES:
        (root / label).mkdir(parents=True, exist_ok=True)
    for image, label, name in zip(pixels, labels, names, strict=True):
        Image.fromarray(np.asarray(image, dtype=np.uint8), "L").save(root / label / f"{name}.png")
