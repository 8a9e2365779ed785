"""The web framework's floor: Flask under the same gunicorn, doing no model work.

`gunicorn -c service/server/conf.py "bench.floor_app:create_app()"`. POST /predict
reads the body and answers a constant body: a real one-PNG /predict answer (the
service's answer for examples/digit_7.png, its size and shape), built once; GET
/readyz is 200. Whatever the real service costs above this is decoding, the forward
pass, the answer's JSON, metrics and logging.
"""

from flask import Flask, Response, jsonify, request

# The service's answer to examples/digit_7.png with models/default (bcc30c431743).
BODY = (b'{"model":{"name":"mnist-mlp","version":"bcc30c431743"},"predictions":[{"label":7,'
        b'"is_digit":true,"confidence":0.9999711513519287,"probabilities":['
        b'0.00015101057942956686,0.0002561071014497429,0.0003637954650912434,'
        b'0.00016923095972742885,0.0001561169483466074,0.00021080583974253386,'
        b'0.00017462956020608544,0.9981124401092529,0.00015939951117616147,'
        b'0.000246470415731892]}]}')


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/readyz")
    def readyz():
        return jsonify(status="ready")

    @app.post("/predict")
    def predict():
        request.get_data(cache=False)
        return Response(BODY, mimetype="application/json")

    return app
