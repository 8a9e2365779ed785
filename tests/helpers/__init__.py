"""Helpers shared by the tests and bench/: request bodies and real servers on loopback."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository
