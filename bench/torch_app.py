"""The peer a user would write: Flask + PyTorch serving the same weights.

`gunicorn -c service/server/conf.py "bench.torch_app:create_app()"`, MODEL_DIR as for
the service. Pillow decodes the upload, the pixels are divided by 255, a
torch.nn.Sequential of Linear and ReLU layers with a softmax runs under
torch.no_grad(), and jsonify answers in the service's shape. PyTorch takes its
thread count from OMP_NUM_THREADS, which the gunicorn master sets to 1 per worker.
"""

import io
import os

import numpy as np
import torch
from flask import Flask, jsonify, request
from PIL import Image

DEFAULT_MODEL = os.path.join(os.path.dirname(__file__), "..", "models", "default")


def _network(model_dir: str) -> torch.nn.Sequential:
    with np.load(os.path.join(model_dir, "model.npz"), allow_pickle=False) as npz:
        weights = {k: torch.from_numpy(npz[k]) for k in npz.files}
    layers = []
    # The digit network's W0, W1, ...; the pair network's pair_W* (for /read) are not its.
    for i in range(sum(1 for k in weights if k.startswith("W"))):
        w, b = weights[f"W{i}"], weights[f"b{i}"]
        linear = torch.nn.Linear(w.shape[0], w.shape[1])
        linear.weight.data, linear.bias.data = w.T.contiguous(), b
        layers += [linear, torch.nn.ReLU()]
    layers[-1] = torch.nn.Softmax(dim=1)
    return torch.nn.Sequential(*layers).eval()


def create_app() -> Flask:
    app = Flask(__name__)
    net = _network(os.environ.get("MODEL_DIR", DEFAULT_MODEL))

    @app.get("/readyz")
    def readyz():
        return jsonify(status="ready")

    @app.post("/predict")
    def predict():
        image = Image.open(io.BytesIO(request.get_data())).convert("L")
        x = torch.from_numpy(np.asarray(image, dtype=np.float32).reshape(1, 784) / 255)
        with torch.no_grad():
            probs = net(x)[0]
        return jsonify(model={"name": "torch-peer", "version": "0"},
                       predictions=[{"label": int(probs.argmax()),
                                     "probabilities": probs.tolist()}])

    return app
