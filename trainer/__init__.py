"""Offline trainer: a NumPy multilayer perceptron for 28x28 digit images.

The layers, each a sub-package, each importing only those above it in this list:

- artifact/: the kernel the service shares: the artifact's files, their integrity
  check and atomic writes, and the one forward pass and input scaling;
- nn/: the network, its loss, the optimizers and the learning-rate schedule;
- data/: IDX files and where to get them, minibatches, distortions;
- run/: one training run, from data to checkpoints to the exported artifact;
- eval/: scores, the robustness table, figures;
- publish/: the artifact as ONNX and as a Triton model repository;
- cli/: `python -m trainer`.

This file and artifact/__init__.py import nothing: the gunicorn master reads the
artifact's integrity check through them without numpy.
"""
