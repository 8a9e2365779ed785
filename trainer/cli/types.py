"""Parsers of option values: each refuses a bad value with a message that says why."""

import argparse

from trainer.data import augment


def hidden_sizes(text: str) -> tuple[int, ...]:
    """"512,256" -> (512, 256)."""
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"{text!r} is not comma-separated integers") from e
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: every size must be >= 1")
    return sizes


def kinds(text: str) -> tuple[str, ...]:
    """"elastic,affine" -> the distortions named, in augment.KINDS' order; "none" -> ()."""
    kinds = tuple(p.strip() for p in text.split(",") if p.strip() not in ("", "none"))
    unknown = sorted(set(kinds) - set(augment.KINDS))
    if unknown:
        raise argparse.ArgumentTypeError(f"{', '.join(unknown)}: choose "
                                         f"{', '.join(augment.KINDS)} (comma-separated) or none")
    return tuple(k for k in augment.KINDS if k in kinds)


def bounded(kind, low, high=None, high_open=False):
    """A parser of `kind` values within [low, high] (or [low, high) when `high_open`)."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind.__name__}") from e
        too_high = high is not None and (value >= high if high_open else value > high)
        if not low <= value or too_high:  # also rejects NaN
            bracket = ")" if high_open else "]"
            raise argparse.ArgumentTypeError(f"{text!r} is outside [{low}, {high}{bracket}")
        return value
    return parse
