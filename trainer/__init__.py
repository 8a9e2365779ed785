"""Offline trainer: a NumPy multilayer perceptron for 28x28 digit images."""
