"""The drawing page in headless Chromium against the real service and the shipped model."""

import numpy as np
import pytest

from tests.browser.conftest import shot
from tests.browser.digits import DIGITS, STYLES, arc
from tests.browser.drawing import answer, draw, probabilities
from tests.helpers.bodies import png
from tests.helpers.servers import ROOT

pytestmark = pytest.mark.slow
PLAIN = STYLES[0]


def test_a_vertical_stroke_reads_1_with_ten_bars_and_what_the_model_saw(open_page):
    page = open_page()
    assert answer(page, draw(page, DIGITS[1], PLAIN)) == "1"
    probs = probabilities(page)
    assert len(probs) == 10 and abs(sum(probs) - 1) < 1e-3
    assert max(probs) == probs[1]
    seen = page.locator("#seen").evaluate(
        "c => Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data)"
        ".filter((v, i) => i % 4 === 0 && v > 0).length")
    assert seen > 20  # the 28x28 image the model saw has ink in it
    assert "mnist-mlp" in page.locator("#model").text_content()
    shot(page, "one")


def test_a_loop_reads_0(open_page):
    page = open_page()
    loop = [arc((140, 140), (55, 85), -90, 275, 48)]
    assert answer(page, draw(page, loop)) == "0"


def test_an_uploaded_mnist_digit_reads_its_label(open_page):
    page = open_page()
    page.set_input_files("#file", str(ROOT / "examples" / "digit_2.png"))
    page.wait_for_function("() => document.getElementById('digit').textContent !== ''")
    assert page.locator("#digit").text_content() == "2"


def test_clear_empties_the_page_and_undo_takes_back_a_stroke(open_page):
    page = open_page()
    strokes = draw(page, DIGITS[7], PLAIN)
    assert answer(page, strokes) == "7"
    page.click("#clear")
    assert page.locator("#pad").get_attribute("data-strokes") == "0"
    assert page.locator("#digit").text_content() == ""
    assert page.locator("#bars li").count() == 0
    assert page.locator("#status").text_content() == "Draw a digit in the box."
    draw(page, DIGITS[4], PLAIN)
    page.click("#undo")
    assert page.locator("#pad").get_attribute("data-strokes") == "1"


def test_a_blank_image_says_draw_a_digit(open_page, tmp_path):
    page = open_page(expected={422})
    blank = tmp_path / "blank.png"
    blank.write_bytes(png(np.zeros((280, 280), np.uint8)))
    page.set_input_files("#file", str(blank))
    page.wait_for_function("() => document.getElementById('status').textContent"
                           ".startsWith('Draw a digit:')")
    assert page.locator("#digit").text_content() == ""


def test_the_buttons_are_reachable_by_keyboard(open_page):
    page = open_page()
    reached = []
    for _ in range(6):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.id"))
    assert {"undo", "clear", "pen", "file"} <= set(reached)
    draw(page, DIGITS[1], PLAIN)
    page.focus("#clear")
    page.keyboard.press("Enter")
    assert page.locator("#pad").get_attribute("data-strokes") == "0"


def test_at_phone_width_a_stroke_still_reads_1(open_page):
    page = open_page(390, 844)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    assert answer(page, draw(page, DIGITS[1], PLAIN)) == "1"
    shot(page, "phone")
