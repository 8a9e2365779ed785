"""Drawing on the page's canvas with Playwright's mouse, and reading the answer."""

from tests.browser.digits import Style, place

CANVAS = 280  # the canvas's own pixels; on screen it may be smaller (phone width)


def draw(page, strokes, style: Style | None = None) -> int:
    """Draw `strokes` (unit-box points, or canvas pixels when style is None); returns
    the number of strokes on the canvas afterwards."""
    if style is not None:
        page.select_option("#pen", style.pen)
        strokes = place(strokes, style, CANVAS)
    box = page.locator("#pad").bounding_box()
    scale = box["width"] / CANVAS
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x * scale, box["y"] + y * scale)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * scale, box["y"] + y * scale)
        page.mouse.up()
    return int(page.locator("#pad").get_attribute("data-strokes"))


def answer(page, strokes: int) -> str:
    """The digit the page shows for the drawing of `strokes` strokes ('' for an error)."""
    page.wait_for_function(
        "n => document.getElementById('digit').dataset.forStrokes === String(n)"
        " && document.getElementById('status').textContent !== 'Reading…'", arg=strokes)
    return page.locator("#digit").text_content()


def probabilities(page) -> list[float]:
    return [float(v) for v in page.locator("#bars meter").evaluate_all(
        "meters => meters.map(m => m.value)")]
