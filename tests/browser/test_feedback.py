"""The page's "Wrong? It was: …" row in headless Chromium against the real service: one
click stores the drawing the model read, the label clicked and the prediction's
X-Request-ID, in the store the service writes (the tests' SQLite file)."""

import os

import numpy as np
import pytest

from tests.browser.conftest import shot
from tests.browser.digits import DIGITS, STYLES
from tests.browser.drawing import answer, draw
from tests.helpers.stores import rows

pytestmark = pytest.mark.slow


def test_one_click_stores_the_correction_of_the_answer_shown(open_page):
    page = open_page()
    predictions = []
    page.on("response", lambda r: "/predict" in r.url and predictions.append(r))
    read = answer(page, draw(page, DIGITS[7], STYLES[0]))
    assert page.locator("#correct").is_visible()
    assert page.locator("#correct").text_content().split()[:3] == ["Wrong?", "It", "was:"]
    assert page.locator("#correct button").count() == 11
    said = predictions[-1]
    seen = np.rint(np.asarray(said.json()["predictions"][0]["input"])).astype(np.uint8)
    before = {r.id for r in rows(os.environ["FEEDBACK_DB"])}
    with page.expect_response(lambda r: "/feedback" in r.url) as sent:
        page.click("#correct button[data-label='1']")
    assert sent.value.status == 201
    page.wait_for_function("() => document.getElementById('thanks').dataset.id")
    record_id = int(page.locator("#thanks").get_attribute("data-id"))
    assert record_id not in before
    [row] = [r for r in rows(os.environ["FEEDBACK_DB"]) if r.id == record_id]
    assert row.label == "1" and row.request_id == said.headers["x-request-id"]
    assert row.model_label == read
    np.testing.assert_array_equal(np.frombuffer(row.pixels, np.uint8).reshape(28, 28), seen)
    # One correction per answer: the buttons are spent until the next drawing.
    assert page.locator("#correct button[data-label='2']").is_disabled()
    shot(page, "corrected")


def test_not_a_digit_and_the_row_hides_with_the_drawing(open_page):
    page = open_page()
    answer(page, draw(page, DIGITS[4], STYLES[0]))
    with page.expect_response(lambda r: "/feedback" in r.url) as sent:
        page.click("#correct button[data-label='none']")
    assert sent.value.status == 201
    record_id = sent.value.json()["id"]
    assert [r.label for r in rows(os.environ["FEEDBACK_DB"]) if r.id == record_id] == ["none"]
    page.click("#clear")
    assert not page.locator("#correct").is_visible()
