"""Reading a number's candidates: the digit network reads every candidate, the pair
network (trainer/artifact/pair.py) the wide ones as two touching digits, and dynamic
programming (groups.py) keeps the reading with the highest joint confidence, where a
wide candidate read as a pair competes with its cuts. The number's confidence is the
product of its positions' confidences, mapped by the artifact's calibration (fitted by
the trainer on numbers of training digits, trainer/run/number.py) to the probability
that the whole text is right.
"""

from dataclasses import dataclass

import numpy as np

from trainer.artifact import inference, pair, segment
from trainer.artifact.segment import groups
from trainer.artifact.segment.pieces import Pieces

# Candidates at least this many of the number's heights wide may be pairs: at 0.5 a drawn
# 7 half as wide as tall was read as "71"; on 300 numbers of training digits 0.85 read
# 75.3% whole against 75.7% at 0.5.
PAIR_WIDTH = 0.8
# Log-confidence a pair reading gives up against cutting: on 300 numbers of training
# digits (55000 on), 0 read most right of -1, -0.5, 0, 0.5, 1 and 2.
PAIR_COST = 0.0
UNREAD = "?"  # in `text`, a position read as no digit: a dash, a letter, an unreadable digit


@dataclass(frozen=True)
class Candidates:
    """What the networks read of one number."""

    x: np.ndarray  # float32 (C, 784): each candidate as the digit network sees it
    seen: np.ndarray  # float32 (C, 28, 28) on 0..255
    runs: list[tuple[int, int]]  # (C,): each candidate's pieces [i, j)
    widths: np.ndarray  # float (C,): each candidate's width in the hand's digit widths
    unions: np.ndarray  # int64 (C, 4): top, left, bottom, right in the working pixels
    count: int  # pieces
    pair_x: np.ndarray  # float32 (P, 1568): the wide candidates as the pair network sees them
    pair_of: np.ndarray  # int (P,): which candidate each of those is
    one: np.ndarray  # bool (C,): may be one digit (else it is too wide: only a pair)


def candidates(strength: np.ndarray, found: Pieces) -> Candidates:
    """float32 (H, W) ink 0..1 and its pieces -> every candidate, framed for both networks."""
    singles = groups.candidates(found)
    runs = sorted(set(singles) | set(groups.pair_candidates(found)))
    seen, unions = segment.framed(strength, found, runs)
    one = np.isin(np.arange(len(runs)), [runs.index(r) for r in singles])
    wide = np.flatnonzero(unions[:, 3] - unions[:, 1] >= PAIR_WIDTH * found.height)
    pairs = segment.framed(strength, found, [runs[k] for k in wide], pair.frame)[0]
    pair_x = (inference.as_inputs(pairs) if len(wide) else
              np.zeros((0, pair.PIXELS), np.float32))
    return Candidates(inference.as_inputs(seen), seen, runs, groups.widths(found, unions),
                      unions, found.count, pair_x, wide, one)


@dataclass(frozen=True)
class Position:
    """One digit of the answer: candidate k read alone, or one half of it read as a pair."""

    k: int
    half: int | None  # None: the candidate is this digit; 0 or 1: the pair's first or second
    label: int
    is_digit: bool
    confidence: float
    probabilities: np.ndarray  # float (10,)


@dataclass(frozen=True)
class Reading:
    positions: list[Position]
    text: str  # the labels left to right, UNREAD where a position is no digit
    confidence: float  # the calibrated probability that `text` is the number
    raw: float  # the product of the positions' confidences (0 with an UNREAD)


def read(model, found: Candidates, prediction: inference.Prediction) -> Reading:
    """The best reading of `found`, given the digit network's `prediction` of its x."""
    single = np.log(np.maximum(prediction.confidence.astype(np.float64), 1e-12))
    single -= groups.WIDE_COST * np.maximum(0.0, found.widths - groups.WIDE_AS)
    single[~found.one] = -np.inf
    both = np.full(len(found.runs), -np.inf)
    pair_probs = _pair_probabilities(model, found.pair_x)
    if pair_probs is not None:
        best, p = pair.best_pairs(pair_probs)
        both[found.pair_of] = np.log(np.maximum(p, 1e-12)) - PAIR_COST - (
            groups.WIDE_COST * np.maximum(0.0, found.widths[found.pair_of] - 2 * groups.WIDE_AS))
    chosen = groups.segmentation(found.runs, single, both, found.count)
    positions = []
    for k, as_pair in chosen:
        if not as_pair:
            positions.append(Position(k, None, int(prediction.labels[k]),
                                      bool(prediction.is_digit[k]),
                                      float(prediction.confidence[k]),
                                      prediction.probabilities[k].astype(np.float64)))
            continue
        row = int(np.flatnonzero(found.pair_of == k)[0])
        positions += _halves(k, pair_probs[row], int(best[row]))
    return _whole(model, positions, chosen, single, both)


def _pair_probabilities(model, pair_x: np.ndarray) -> np.ndarray | None:
    """float32 (P, 101) the pair network's calibrated softmax, or None without one."""
    if getattr(model, "pair", None) is None or not len(pair_x):
        return None
    temperature = np.float32(model.manifest["pair"].get("temperature", 1.0))
    return inference.softmax(inference.logits(model.pair, pair_x) / temperature)


def _halves(k: int, probs: np.ndarray, best: int) -> list[Position]:
    """A candidate read as the pair `best`: its two digits, each with its marginal."""
    grid = probs[:pair.NOT_A_PAIR].astype(np.float64).reshape(10, 10)
    grid = grid / max(grid.sum(), 1e-12)
    out = []
    for half, marginal in enumerate((grid.sum(axis=1), grid.sum(axis=0))):
        label = (best // 10, best % 10)[half]
        out.append(Position(k, half, label, True, float(probs[best]), marginal))
    return out


def _whole(model, positions: list[Position], chosen, single, both) -> Reading:
    """The text and its calibrated confidence: 0 where a position is unread."""
    text = "".join(str(p.label) if p.is_digit else UNREAD for p in positions)
    log_raw = sum(both[k] if as_pair else single[k] for k, as_pair in chosen)
    raw = 0.0 if UNREAD in text else float(np.exp(log_raw))
    return Reading(positions, text, calibrated(model, raw) if raw else 0.0, raw)


def calibrated(model, raw: float) -> float:
    """The product of the positions' confidences -> the probability that the number is
    right, by the artifact's logistic map (pair.number_confidence: a, b) of its log-odds;
    `raw` itself for an artifact without one."""
    fields = (model.manifest.get("pair") or {}).get("number_confidence")
    if not fields:
        return raw
    raw = min(max(raw, 1e-9), 1 - 1e-9)
    z = fields["a"] * np.log(raw / (1 - raw)) + fields["b"]
    return float(1 / (1 + np.exp(-z)))
