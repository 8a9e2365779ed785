"""Helpers shared by the tests and bench/: request bodies and real servers on loopback."""
