"""Glyphs of the Hershey fonts (Debian's hershey-fonts-data) as pen strokes.

Each .jhf line is a glyph: a 5-character number, a 3-character count of coordinate
pairs, then the pairs as characters offset from "R" (the first pair is the glyph's left
and right extent), " R" lifting the pen. A long glyph may run over several lines.
"""

from pathlib import Path

import numpy as np

ROOT = Path("/usr/share/hershey-fonts")


def parse(text: str) -> list[list[np.ndarray]]:
    """A .jhf file's text -> its glyphs in order, each a list of strokes, each a float32
    (k, 2) array of (x, y) points, y down, in the font's units."""
    glyphs, rest = [], text.replace("\r", "")
    while rest.strip():
        rest = rest.lstrip("\n")
        count = int(rest[5:8])
        body, used = [], 8
        while len(body) < 2 * count:
            if rest[used] != "\n":
                body.append(rest[used])
            used += 1
        rest = rest[used:]
        glyphs.append(_strokes(body[2:]))
    return glyphs


def _strokes(chars: list[str]) -> list[np.ndarray]:
    strokes, current = [], []
    for a, b in zip(chars[::2], chars[1::2], strict=True):
        if a == " " and b == "R":
            strokes.append(current)
            current = []
        else:
            current.append((ord(a) - ord("R"), ord(b) - ord("R")))
    strokes.append(current)
    return [np.array(s, dtype=np.float32) for s in strokes if len(s)]


def font(name: str) -> list[list[np.ndarray]]:
    """The glyphs of ROOT/name.jhf; raises FileNotFoundError naming the package."""
    path = ROOT / f"{name}.jhf"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: apt-get install hershey-fonts-data")
    return parse(path.read_text(encoding="latin-1"))


# Every Hershey font here is laid out on ASCII: glyph i is chr(32 + i) of its keyboard.
FIRST = 32
# Left out of every Latin layout: the digits; what is written like one (O o Q D for 0;
# I l i j J | ! for 1; Z z ? for 2; S s $ for 5; B & for 8; b G for 6; g q a for 9;
# y for 4; T t L for 7 and 1); and punctuation that is one stroke or a dot, which
# outliers.py's strokes and blobs already cover.
LATIN_LEFT_OUT = set("0123456789OoQDIlijJ|!Zz?Ss$B&bGgqayTtL" + "\"'`,.:;-_=~^()[]{}<>/\\")
# Cyrillic (cyrillic.jhf's own places): Б б (6), В в (8), З з Э э (3), Ч ч (4), О о (0),
# Ъ ъ Ь ь (6), У у (4), а (9), the digits and the punctuation.
CYRILLIC_LEFT_OUT = {34, 35, 42, 47, 54, 57, 58, 61, 63, 65, 66, 67, 74, 79, 86, 89, 90, 92,
                     94, 95, *range(0, 3), *range(7, 10), *range(12, 32), 60}
# Greek (alphabetical from A and a): Β β (8), Ζ ζ (2), Θ ϑ (0, 9), Ι ι (1), Ο ο (0),
# δ (6), ε (3), ρ (9), σ (6), the digits and the punctuation.
GREEK_LEFT_OUT = {34, 38, 40, 41, 47, 66, 68, 69, 70, 72, 73, 79, 81, 82,
                  *range(0, 3), *range(5, 10), *range(12, 32), *range(57, 65), *range(89, 96)}
# The fonts the trainer draws from; FONTS_HELD_OUT are only ever measured on
# (trainer/eval/heldout/): the cursive hands, and the symbol and marker sets.
FONTS_TRAIN = {"latin": ("rowmans", "rowmant", "futural", "timesr", "timesi", "gothiceng"),
               "cyrillic": ("cyrillic",), "greek": ("greeks", "greekc"),
               "symbols": ("astrology", "meteorology", "music", "mathlow", "mathupp")}
FONTS_HELD_OUT = {"latin": ("scripts", "scriptc", "cursive"), "symbols": ("symbolic", "markers")}
# In the symbol sets: the places of ASCII's brackets, strokes and dots, which hold the
# like there (parentheses, bars, dashes), and in symbolic.jhf and markers.jhf the single
# strokes and arcs (1-22), dots (33, 34), the ring (40, a 0) and the ligatures (86-95).
PUNCTUATION = {2, 7, 8, 9, 12, 13, 14, 15, 26, 27, 28, 29, 30, 31, 59, 60, 61, 62, 63, 64,
               91, 92, 93, 94, 95}
SYMBOLS_LEFT_OUT = {"symbolic": {*range(1, 23), 33, 34, 40, *range(86, 96)},
                    "markers": {33}}


def allowed(layout: str, name: str, index: int) -> bool:
    """Whether glyph `index` of font `name`, laid out as `layout`, may be drawn as a
    non-digit."""
    if layout == "cyrillic":
        return index not in CYRILLIC_LEFT_OUT
    if layout == "greek":
        return index not in GREEK_LEFT_OUT
    if chr(FIRST + index) in LATIN_LEFT_OUT or index == 0:
        return False
    return layout == "latin" or (index not in PUNCTUATION
                                 and index not in SYMBOLS_LEFT_OUT.get(name, ()))


def glyphs(fonts: dict[str, tuple[str, ...]]) -> list[list[np.ndarray]]:
    """Every allowed glyph with strokes, of every font of `fonts` ({layout: names})."""
    return [g for layout, names in fonts.items() for name in names
            for i, g in enumerate(font(name)) if g and allowed(layout, name, i)]
