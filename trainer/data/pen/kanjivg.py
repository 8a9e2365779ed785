"""Glyphs of KanjiVG (PyPI's kanjivg: one SVG of stroke centre-lines per character,
109x109, in a top-level folder `kanji/` named by code point) as pen strokes: Latin
letters, kana and kanji.
"""

import re
from importlib import resources

import numpy as np

from trainer.data.pen.hershey import LATIN_LEFT_OUT

_PATH = re.compile(r'<path[^>]* d="([^"]+)"')
_TOKEN = re.compile(r"[MmCcSsLlZzHhVv]|-?(?:\d+\.?\d*|\.\d+)(?:e-?\d+)?")
SAMPLES = 8  # points a Bezier segment becomes
# Kana written like a digit or a stroke: し ノ (1), つ こ ニ (2), ろ る ら う (3, 5),
# の ロ (0, 6, 9), フ ワ ヲ ア ク ヌ マ ス (7), リ (11), レ ン ソ ト く ヘ へ エ コ ユ ー
# (single bends and bars).
KANA_LEFT_OUT = set("しノつこニろるらうのロフワヲアクヌマスリレンソトくヘへエコユー")
KANA = range(0x3041, 0x30FB)
KANJI = range(0x4E00, 0x9FA0)
MIN_KANJI_STROKES, MAX_KANJI_STROKES = 4, 10  # simpler kanji are bars and hooks


def _root():
    try:
        return resources.files("kanji")
    except ModuleNotFoundError as e:
        raise ModuleNotFoundError("KanjiVG's SVGs are missing: pip install kanjivg "
                                  "(the trainer's `train` extra)") from e


def strokes(svg: str) -> list[np.ndarray]:
    """The stroke paths of one KanjiVG SVG -> float32 (k, 2) polylines, y down."""
    return [_polyline(d) for d in _PATH.findall(svg)]


def _polyline(d: str) -> np.ndarray:
    """An SVG path of M, L, C and S commands (absolute or relative) -> (k, 2) points."""
    tokens, points = _TOKEN.findall(d), []
    pen, control, command, i = np.zeros(2), None, "M", 0
    while i < len(tokens):
        if tokens[i].isalpha():
            command, i = tokens[i], i + 1
            continue
        need = {"M": 2, "L": 2, "C": 6, "S": 4}.get(command.upper(), 2)
        values = np.array(tokens[i:i + need], dtype=np.float64).reshape(-1, 2)
        i += need
        if command.islower():
            values = values + pen
        if command.upper() in ("M", "L"):
            pen, control = values[-1], None
            points.append(pen)
            continue
        if command.upper() == "S":
            first = pen if control is None else 2 * pen - control
            values = np.vstack([first, values])
        points += _bezier(pen, *values)
        pen, control = values[-1], values[-2]
    return np.array(points, dtype=np.float32)


def _bezier(p0, p1, p2, p3) -> list[np.ndarray]:
    t = np.linspace(0, 1, SAMPLES + 1)[1:, None]
    return list((1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2
                + t ** 3 * p3)


def allowed(code: int, count: int) -> bool:
    """Whether character `code`, of `count` strokes, may be drawn as a non-digit."""
    char = chr(code)
    if char.isascii():
        return char.isalpha() and char not in LATIN_LEFT_OUT
    if code in KANA:
        return char not in KANA_LEFT_OUT
    return code in KANJI and MIN_KANJI_STROKES <= count <= MAX_KANJI_STROKES


def glyphs(every: int = 1) -> dict[str, list[list[np.ndarray]]]:
    """{"latin", "kana", "kanji": the allowed glyphs} (variants, named XXXXX-Name.svg,
    left out); of the kanji only every `every`-th by code point, as thousands would
    swamp the rest."""
    out = {"latin": [], "kana": [], "kanji": []}
    for path in sorted(_root().iterdir(), key=lambda p: p.name):
        stem = path.name.removesuffix(".svg")
        if "-" in stem or not path.name.endswith(".svg"):
            continue
        code = int(stem, 16)
        group = "latin" if code < 128 else "kana" if code in KANA else "kanji"
        if group == "kanji" and code % every:
            continue
        glyph = strokes(path.read_text(encoding="utf-8"))
        if glyph and allowed(code, len(glyph)):
            out[group].append(glyph)
    return out
