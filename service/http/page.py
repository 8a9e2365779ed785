"""GET /: a page to draw a digit and watch the model read it (service/http/static/).

Static files only, no build step and nothing from other hosts, so it works offline.
The page gets a strict Content-Security-Policy: its script and style come from
files here, never inline.
"""

from flask import Blueprint, send_from_directory

bp = Blueprint("page", __name__, static_folder="static", static_url_path="/static")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


@bp.get("/")
def index():
    response = send_from_directory(bp.static_folder, "index.html", max_age=0)
    response.headers["Content-Security-Policy"] = CSP
    return response
