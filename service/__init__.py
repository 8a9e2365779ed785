"""The inference service: `create_app(config=None)` builds the Flask app.

Settings come from DEFAULTS, then the environment, then `config` (tests pass a
mapping). Everything a request needs hangs off the app, read once here.
"""

import os

from flask import Flask

from service import errors, logs, metrics, openapi, routes
from service.last_good import DEFAULT_MODEL_DIR
from service.predictor import Predictor

DEFAULTS = {
    "MODEL_DIR": str(DEFAULT_MODEL_DIR),
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "MAX_BATCH": 256,
    "MAX_IMAGE_PIXELS": 4096 * 4096,
    "LOG_LEVEL": "INFO",
}
ENV_CASTS = {
    "MODEL_DIR": str,
    "MAX_CONTENT_LENGTH": int,
    "MAX_BATCH": int,
    "MAX_IMAGE_PIXELS": int,
    "LOG_LEVEL": str,
}


def settings_from_env(environ=os.environ) -> dict:
    out = {}
    for key, cast in ENV_CASTS.items():
        if key in environ:
            try:
                out[key] = cast(environ[key])
            except ValueError as e:
                raise ValueError(f"environment variable {key}={environ[key]!r}: "
                                 f"expected {cast.__name__}") from e
    return out


def create_app(config=None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.update(settings_from_env())
    app.config.update(config or {})
    logs.init_app(app)
    errors.init_app(app)
    metrics.init_app(app)
    predictor = Predictor(app.config["MODEL_DIR"], logger=app.logger)
    predictor.load()
    app.extensions["predictor"] = predictor
    metrics.set_model_info(predictor)
    app.register_blueprint(routes.bp)
    app.register_blueprint(openapi.bp)
    return app
