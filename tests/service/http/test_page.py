"""GET /: the drawing page is static, self-contained and under a strict CSP."""

import re

from service.http.page import CSP


def test_the_page_has_a_strict_csp_and_no_inline_script_or_style(client):
    resp = client.get("/")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    assert resp.headers["Content-Security-Policy"] == CSP
    assert "'unsafe-inline'" not in CSP and "'unsafe-eval'" not in CSP
    assert "script-src 'self'" in CSP and "style-src 'self'" in CSP
    html = resp.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # every script is a file
    assert "<style" not in html and not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # nothing from other hosts


def test_its_files_are_served_and_every_response_says_nosniff(client):
    html = client.get("/").get_data(as_text=True)
    for path in re.findall(r"(?:src|href)=\"(/static/[^\"]+)\"", html):
        resp = client.get(path)
        assert resp.status_code == 200 and resp.get_data(), path
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/static/nothing-here.js").status_code == 404
    assert client.get("/healthz").headers["X-Content-Type-Options"] == "nosniff"


def test_buttons_and_inputs_have_labels(client):
    html = client.get("/").get_data(as_text=True)
    for tag in re.findall(r"<(?:button|select|canvas)\b[^>]*>", html):
        # A decorative overlay (the boxes drawn over the number) is hidden from readers.
        assert "aria-label=" in tag or 'aria-hidden="true"' in tag, tag
    assert re.search(r'<label[^>]*for="file"', html)
