"""Pen strokes of real glyphs and doodles (trainer/data/pen/), against written-out
references: a Hershey line and a KanjiVG path decoded by hand, the glyphs left out."""

import numpy as np
import pytest

from trainer.data import pen
from trainer.data.pen import doodles, hershey, kanjivg


def test_a_hershey_line_decodes_as_written():
    # rowmans.jhf's "1": the extent "H\\", then NJ PI SF S[ less "R" each: (-4, -8) ...;
    # " R" lifts the pen.
    glyphs = hershey.parse("  501  5H\\NJPISFS[\n  502  6H\\JFJ[ RKFK[\n")
    assert len(glyphs) == 2
    np.testing.assert_array_equal(glyphs[0][0], [[-4, -8], [-2, -9], [1, -12], [1, 9]])
    assert [s.tolist() for s in glyphs[1]] == [[[-8, -12], [-8, 9]], [[-7, -12], [-7, 9]]]


def test_a_hershey_glyph_may_run_over_two_lines():
    glyphs = hershey.parse("  600  4H\\JFJ\n[K[\n")
    np.testing.assert_array_equal(glyphs[0][0], [[-8, -12], [-8, 9], [-7, 9]])


def test_an_svg_path_decodes_as_written():
    """M, relative c and S: the Bezier's end points land where the SVG says."""
    line = kanjivg._polyline("M10,20c0,0,10,0,10,10S30,40,30,50L40,60")
    np.testing.assert_allclose(line[0], [10, 20])
    np.testing.assert_allclose(line[kanjivg.SAMPLES], [20, 30])  # end of the c
    np.testing.assert_allclose(line[2 * kanjivg.SAMPLES], [30, 50])  # end of the S
    np.testing.assert_allclose(line[-1], [40, 60])
    # S's first control point mirrors c's second (10+10, 20+0) about (20, 30): (20, 40).
    t = 0.5
    mid = (1 - t) ** 3 * np.array([20, 30]) + 3 * (1 - t) ** 2 * t * np.array([20, 40]) + \
        3 * (1 - t) * t ** 2 * np.array([30, 40]) + t ** 3 * np.array([30, 50])
    np.testing.assert_allclose(line[kanjivg.SAMPLES + kanjivg.SAMPLES // 2], mid, rtol=1e-6)


@pytest.mark.parametrize("char", list("0123456789OoIlZzSsBbGgq"))
def test_digits_and_glyphs_written_like_them_are_left_out(char):
    index = ord(char) - hershey.FIRST
    assert not hershey.allowed("latin", "rowmans", index)
    assert not kanjivg.allowed(ord(char), 2)


def test_letters_no_digit_looks_like_are_kept():
    for char in "AEFHKMNPRUVWXcdhkmnprvwx":
        assert hershey.allowed("latin", "rowmans", ord(char) - hershey.FIRST), char
        assert kanjivg.allowed(ord(char), 2), char
    assert not kanjivg.allowed(ord("の"), 1) and kanjivg.allowed(ord("あ"), 3)
    assert not kanjivg.allowed(0x4E00, 1)  # 一: a bar
    assert hershey.allowed("symbols", "symbolic", 78)  # the heart
    assert not hershey.allowed("symbols", "symbolic", 40)  # the ring: a 0


def test_the_held_out_fonts_are_never_trained_on():
    train = {n for names in hershey.FONTS_TRAIN.values() for n in names}
    held = {n for names in hershey.FONTS_HELD_OUT.values() for n in names}
    assert not train & held


def test_a_glyph_is_framed_as_mnist_frames_a_digit():
    rng = np.random.default_rng(0)
    square = [np.array([[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]], np.float32)]
    image = pen.render(square, rng)
    rows = np.flatnonzero(image.max(axis=1) >= pen.INK)
    cols = np.flatnonzero(image.max(axis=0) >= pen.INK)
    assert image.shape == (28, 28) and image.max() == 255
    assert 17 <= max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= 21  # the 20x20 box


def test_every_doodle_kind_draws_ink_and_a_seed_fixes_it():
    for maker in doodles.MAKERS:
        a = pen.render(maker(np.random.default_rng(3)), np.random.default_rng(4))
        b = pen.render(maker(np.random.default_rng(3)), np.random.default_rng(4))
        np.testing.assert_array_equal(a, b)
        assert (a > 128).sum() > 20, maker.__name__
