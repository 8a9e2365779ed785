"""The inference service: `create_app(config=None)` builds the Flask app.

Settings come from service/settings.py's defaults, then the environment, then
`config` (tests pass a mapping), each checked once here. Everything a request
needs hangs off the app. The parts are imported inside create_app, as in Flask's
tutorial, so that the gunicorn master can import the package without numpy.

The layers, each a sub-package, a request passing down through them:
http/ (routes) -> codec/ (bodies to model inputs and back) -> model/ (the served
model); observe/ records each request; server/ is the gunicorn side.
"""


def create_app(config=None):
    from flask import Flask

    from service import settings

    # No static_folder: Flask's default /static route would answer 404 for everything.
    app = Flask(__name__, static_folder=None)
    app.config.update(settings.resolve(settings.APP, overrides=config))
    app.config.update({k: v for k, v in (config or {}).items() if k not in settings.APP})
    # Flask reads FLASK_DEBUG from the environment; its debugger runs code for whoever
    # can reach it, so no environment can switch it on here.
    app.debug = False

    from service.http import feedback, handlers, openapi, page, routes, v2
    from service.model.predictor import Predictor
    from service.observe import access, logs, metrics

    logs.configure(app.logger, app.config["LOG_LEVEL"])
    handlers.init_app(app)
    app.extensions["metrics"] = metrics.Metrics()
    predictor = Predictor(app.config[settings.MODEL_DIR], logger=app.logger)
    predictor.load()
    app.extensions["predictor"] = predictor
    app.extensions["metrics"].show_model(predictor.model)
    app.extensions["feedback"] = _feedback_store(app)
    app.extensions["openapi"] = openapi.document(app.config)
    access.init_app(app)
    for blueprint in (routes.bp, feedback.bp, metrics.bp, openapi.bp, page.bp, v2.bp):
        app.register_blueprint(blueprint)
    return app


def _feedback_store(app):
    """The store /feedback writes to, opened (schema at head) unless FEEDBACK_DB=off. A store
    that is down does not stop the start: /predict serves, /feedback answers 503."""
    from service import settings
    from service.store.feedback import FeedbackStore

    config = app.config
    if config["FEEDBACK_DB"] == settings.FEEDBACK_OFF:
        return None
    store = FeedbackStore(config["FEEDBACK_DB"], config["FEEDBACK_MAX_ROWS"],
                          config["FEEDBACK_TIMEOUT"], logger=app.logger)
    store.open()
    return store
