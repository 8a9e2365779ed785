"""The artifact kernel: what the trainer writes and the service reads.

- store.py: DIR/model.npz + DIR/model.json, saved and loaded;
- integrity.py: the check both sides run (standard library only);
- atomic.py: atomic file and directory writes (standard library only);
- inference.py: the one forward pass and the one input scaling.

The facts below are the model's interface, shared by the trainer, the service and
the exports. Standard library only: the gunicorn master imports this package.
"""

SIDE = 28  # an input image is SIDE x SIDE pixels, as in MNIST
PIXELS = SIDE * SIDE  # the network's input width
DIGITS = tuple(str(d) for d in range(10))  # the labels of a digit model, in output order
# Images in one request: the service's default MAX_BATCH and Triton's max_batch_size.
MAX_BATCH = 256
