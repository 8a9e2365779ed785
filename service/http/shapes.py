"""The JSON error shapes of both protocols, without Flask: {"error": {"code", "message"}}
for /predict and the rest, {"error": "..."} under /v2 (the Open Inference Protocol's).

handlers.py renders the app's errors with it, and the gunicorn worker its 503s, which it
answers before the app is called (service/server/shedding.py); standard library only.
"""

V2_PREFIX = "/v2"


def is_v2(path: str) -> bool:
    return path == V2_PREFIX or path.startswith(V2_PREFIX + "/")


def error(path: str, code: str, message: str) -> dict:
    """The error body for a request to `path`."""
    if is_v2(path):
        return {"error": message}
    return {"error": {"code": code, "message": message}}
