"""Finding the ink in photos (trainer/artifact/recipe/), through the MNIST recipe: specks, ruled
lines, a desk, shadows, coloured ink and chalk, each against the same digit on clean paper."""

import numpy as np
import pytest
from PIL import Image

from service.codec import normalize
from service.codec.predict import image_pixels
from service.errors import Unprocessable
from tests.resources.make_resources import draw_digit
from tests.service._fixtures import RESOURCES, default_model_dir, encode


def page_with_a_4() -> np.ndarray:
    """float32 (H, W): a dark 4 (about 150 px) on light paper, as a scan would give it."""
    return np.asarray(draw_digit(4, ink=30, paper=225, size=(160, 160)), dtype=np.float32)


def pasted(digit: np.ndarray, shape=(320, 300), paper=225.0, at=(80, 70)) -> np.ndarray:
    """float32 `shape`: `digit` pasted at `at` on paper of level `paper`."""
    sheet = np.full(shape, paper, dtype=np.float32)
    sheet[at[0]:at[0] + digit.shape[0], at[1]:at[1] + digit.shape[1]] = digit
    return sheet


def assert_same_digit(out: np.ndarray, clean: np.ndarray) -> None:
    """The same 28x28 digit, up to a few levels of resampling."""
    assert out.shape == (28, 28) and out.max() == 255
    assert np.corrcoef(out.ravel(), clean.ravel())[0, 1] > 0.97
    assert np.abs(out - clean).mean() < 8


def test_specks_far_from_the_digit_are_dropped():
    sheet = pasted(page_with_a_4())
    clean = normalize.mnist(sheet)
    rng = np.random.default_rng(0)
    for y, x in zip(rng.integers(0, 60, 12), rng.integers(0, 300, 12), strict=True):
        sheet[y:y + 3, x:x + 3] = 20  # dust, far above the digit
    sheet[300:304, 20:24] = 20
    assert_same_digit(normalize.mnist(sheet), clean)


def test_ruled_lines_through_the_digit_are_cut_away():
    sheet = pasted(page_with_a_4())
    clean = normalize.mnist(sheet)
    for y in range(12, 320, 26):  # thin grey rules, several across the digit
        sheet[y:y + 2] = np.minimum(sheet[y:y + 2], 150)
    sheet[:, 40:42] = np.minimum(sheet[:, 40:42], 150)  # and a margin rule
    assert_same_digit(normalize.mnist(sheet), clean)


def test_a_desk_along_two_edges_is_not_ink():
    clean = normalize.mnist(pasted(page_with_a_4()))
    for width in (12, 40, 90):  # narrower and wider than the closing's window
        sheet = pasted(page_with_a_4(), shape=(320 + width, 300 + width), at=(80 + width, 70))
        sheet[:width] = 70  # a dark desk along the top
        sheet[:, -width:] = 70  # and the right
        assert_same_digit(normalize.mnist(sheet), clean)


def test_a_shadow_across_the_sheet_cancels_out():
    sheet = pasted(page_with_a_4())
    clean = normalize.mnist(sheet)
    light = np.linspace(1.0, 0.35, sheet.shape[1], dtype=np.float32)[None, :]
    assert_same_digit(normalize.mnist(sheet * light), clean)


def test_blue_ink_reads_as_dark_ink():
    sheet = pasted(page_with_a_4())
    clean = normalize.mnist(sheet)
    cover = (225 - sheet) / (225 - 30)  # 0 on paper, 1 in the strokes
    paper, ballpoint = np.array([235, 232, 225]), np.array([35, 45, 150])
    rgb = paper * (1 - cover[..., None]) + ballpoint * cover[..., None]
    assert_same_digit(normalize.mnist(rgb.astype(np.float32)), clean)
    blob = encode(Image.fromarray(np.rint(rgb).astype(np.uint8)), "JPEG", quality=90)
    assert_same_digit(image_pixels(blob, 1 << 24, normalize_mnist=True), clean)


def test_light_chalk_on_a_dark_board_is_found():
    sheet = pasted(page_with_a_4())
    clean = normalize.mnist(sheet)
    board = 255 - sheet  # light strokes on a dark ground
    board *= np.linspace(0.7, 1.0, board.shape[0], dtype=np.float32)[:, None]
    assert_same_digit(normalize.mnist(board), clean)


@pytest.mark.parametrize("light", [1.0, 0.4])
def test_a_blank_photo_of_paper_is_no_digit(light):
    rng = np.random.default_rng(1)
    paper = np.full((300, 400), 215, dtype=np.float32)
    paper *= np.linspace(1.0, light, 400, dtype=np.float32)[None, :]
    noisy = np.clip(paper + rng.normal(0, 5, paper.shape), 0, 255).astype(np.uint8)
    blob = encode(Image.fromarray(noisy).convert("RGB"), "JPEG", quality=70)
    with pytest.raises(Unprocessable, match="no digit found") as caught:
        image_pixels(blob, 1 << 24, normalize_mnist=True)
    assert caught.value.code == "no_digit"


def test_a_digit_drawn_across_the_whole_canvas_is_kept():
    canvas = np.zeros((280, 280), dtype=np.float32)
    canvas[:, 125:155] = 255  # a 1 from edge to edge: touches and spans the canvas
    out = normalize.mnist(canvas)
    assert np.count_nonzero(out.max(axis=1) > 0) == 20


def test_mnist_fields_read_as_well_as_without_the_recipe(mnist_test):
    """JSON instances with normalize=mnist: MNIST's own 28x28 fields, bold ones included."""
    from trainer.artifact import store
    from trainer.artifact.inference import as_inputs

    model = store.load(default_model_dir())
    images, labels = mnist_test
    fields = images[:500].astype(np.float32)
    through = np.stack([normalize.mnist(field) for field in fields])
    plain = (model.probabilities(as_inputs(fields)).argmax(axis=1) == labels[:500]).mean()
    recipe = (model.probabilities(as_inputs(through)).argmax(axis=1) == labels[:500]).mean()
    assert recipe >= plain - 0.004, (recipe, plain)
    bold_2 = np.asarray(Image.open(RESOURCES.parent.parent / "examples" / "digit_2.png"))
    pixels = normalize.mnist(bold_2.astype(np.float32))
    assert model.probabilities(as_inputs(pixels[None])).argmax() == 2
