"""The parts of trainer/artifact/recipe/ against trusted references (scipy.ndimage's filters,
written-out values), and on_sheet() on a written number drawn with known ink."""

import numpy as np
import pytest

from tests.resources.make_resources import draw_digit
from trainer.artifact.recipe import NoDigit, components, ink, lines, marks, paper

ndimage = pytest.importorskip("scipy.ndimage")
PAPER, INK = 225, 30


@pytest.mark.parametrize("k", [3, 5, 9])
def test_max_and_min_filters_match_scipy(k):
    a = np.random.default_rng(k).random((23, 31)).astype(np.float32)
    np.testing.assert_array_equal(paper.max_filter(a, k),
                                  ndimage.maximum_filter(a, size=k, mode="nearest"))
    np.testing.assert_array_equal(paper.min_filter(a, k),
                                  ndimage.minimum_filter(a, size=k, mode="nearest"))


def test_otsu_splits_two_levels_at_the_first_edge_above_the_lower():
    values = np.r_[np.full(50, 0.2), np.full(50, 0.8)]
    # 64 bins of 0.875 / 64 from 0.125: 0.2 lies in bin 5, so the split is edge 6.
    assert marks.otsu(values, 0.125) == pytest.approx(0.125 + 6 * 0.875 / 64)
    assert marks.otsu(np.full(10, 0.5), 0.125) == 0.125  # one level: nothing to split


def test_dark_ink_takes_the_darkest_channel_or_inverts_light_ink():
    rgb = np.empty((100, 100, 3), dtype=np.float32)
    rgb[:] = (240, 235, 230)  # cream paper
    rgb[40:60, 45:55] = (40, 50, 160)  # blue ballpoint
    value = paper.dark_ink(rgb)
    assert value[0, 0] == 230 and value[50, 50] == 40
    board = np.zeros((28, 28), dtype=np.float32)
    board[4:24, 12:16] = 255  # MNIST's own white on black
    np.testing.assert_array_equal(paper.dark_ink(board), 255 - board)


def test_paper_level_closes_over_strokes_and_follows_a_shadow():
    sheet = np.full((400, 400), 200, dtype=np.float32)
    sheet[100:300, 150:160] = 20  # a stroke 10 px wide
    sheet[190:200, 60:340] = 20
    np.testing.assert_array_equal(paper.paper_level(sheet), np.full((400, 400), 200))
    light = np.linspace(1.0, 0.4, 400, dtype=np.float32)[None, :]
    error = paper.paper_level(sheet * light) - 200 * light
    # Within a few pixels of the small copy (~2 levels each), but for the last half window
    # at the shadowed edge, where the closing sees no lower paper beyond the image: there
    # it overshoots, and the faint marks that makes lie along the edge (lines.frame).
    assert np.abs(error[:, :340]).max() <= 7
    assert np.abs(error[:, 340:]).max() <= 0.2 * 80


def ruled_mask_with_a_stroke() -> tuple[np.ndarray, np.ndarray]:
    """bool (200, 300) rules and margin with a thick stroke through them; the stroke alone."""
    stroke = np.zeros((200, 300), dtype=bool)
    stroke[30:170, 140:152] = True
    mask = stroke.copy()
    for y in (50, 100, 150):
        mask[y:y + 2] = True
    mask[:, 20:22] = True
    return mask, stroke


def test_rules_are_cut_and_the_stroke_across_them_stays_whole():
    mask, stroke = ruled_mask_with_a_stroke()
    expected = stroke.copy()
    for y in (50, 100, 150):  # where two rules cross, a 2x2 dot stays: a speck
        expected[y:y + 2, 20:22] = True
    np.testing.assert_array_equal(lines.without_rules(mask), expected)


def test_a_desk_along_two_edges_is_frame_and_a_blob_is_not():
    mask = np.zeros((200, 300), dtype=bool)
    mask[:30] = True  # desk along the top
    mask[:, 270:] = True  # and the right
    mask[80:120, 100:130] = True  # ink on the sheet
    mask[190:200, 0:8] = True  # a mark at the edge, small
    assert lines.frame(components.label(mask)).tolist() == [True, False, False]


def written_number(digits=(4, 7, 1)) -> tuple[np.ndarray, list[np.ndarray]]:
    """float32 (300, 560): the digits in dark ink, 150 px apart, on ruled paper under a
    dark desk along the top, with a speck; and each digit's bool (300, 560) strong ink."""
    sheet = np.full((300, 560), PAPER, dtype=np.float32)
    strong = []
    for i, d in enumerate(digits):
        drawn = np.asarray(draw_digit(d, ink=INK, paper=PAPER, size=(120, 120)), np.float32)
        sheet[110:230, 40 + 150 * i:160 + 150 * i] = drawn
        strong.append(np.zeros(sheet.shape, dtype=bool))
        strong[-1][110:230, 40 + 150 * i:160 + 150 * i] = drawn < 100
    for y in range(70, 300, 28):
        sheet[y:y + 2] = np.minimum(sheet[y:y + 2], 150)
    sheet[:40] = 70
    sheet[260:263, 500:503] = INK
    return sheet, strong


def near(mask: np.ndarray) -> np.ndarray:
    """bool (H, W): `mask` grown by 3 px, the strokes' soft edges."""
    return ndimage.binary_dilation(mask, iterations=3)


def test_on_sheet_keeps_every_digit_of_a_number_and_no_desk_or_rule():
    sheet, strong = written_number()
    strength, found = ink.on_sheet(sheet)
    assert strength.dtype == np.float32 and found.dtype == bool and found.shape == sheet.shape
    assert strength.min() >= 0 and strength.max() <= 1
    for digit in strong:
        assert found[digit].mean() > 0.97
    speck = np.zeros(sheet.shape, dtype=bool)
    speck[260:263, 500:503] = True
    assert not (found & ~near(np.any(strong, axis=0) | speck)).any()  # no desk, no rule


def test_find_keeps_one_digit_of_the_number():
    sheet, strong = written_number()
    _, kept = ink.find(sheet)
    covered = [kept[digit].mean() for digit in strong]
    assert sorted(covered)[:2] == [0, 0] and max(covered) > 0.97
    assert not (kept & ~near(strong[int(np.argmax(covered))])).any()


@pytest.mark.parametrize("level", [0, 200, 255])
def test_on_sheet_refuses_a_blank_page(level):
    with pytest.raises(NoDigit, match="no digit found") as caught:
        ink.on_sheet(np.full((120, 160, 3), level, dtype=np.float32))
    assert caught.value.code == "no_digit"
