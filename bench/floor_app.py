"""The web framework's floor: Flask under the same gunicorn, doing no model work.

`gunicorn -c service/server/conf.py "bench.floor_app:create_app()"`. POST /predict
reads the body and answers a fixed response of the real one's shape; GET /readyz is
200. Whatever the real service costs above this is decoding, the forward pass,
metrics and logging.
"""

from flask import Flask, jsonify, request

RESPONSE = {"model": {"name": "floor", "version": "0"},
            "predictions": [{"label": 7, "probabilities": [0.1] * 10}]}


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/readyz")
    def readyz():
        return jsonify(status="ready")

    @app.post("/predict")
    def predict():
        request.get_data(cache=False)
        return jsonify(RESPONSE)

    return app
