"""Doodles of this project's own making, as pen strokes: what people draw on a pad that
is not a digit. Each maker draws one kind in its many ways, in unit coordinates (y
down); the pen (pen/__init__.py) then slants, wobbles and inks it.

No doodle is a bare ring (a 0), a bar (a 1) or a hook (a 7): a face has its eyes, a sun
its rays.
"""

import numpy as np

TAU = 2 * np.pi


def _arc(centre, radii, a0, a1, n=24) -> np.ndarray:
    """(n, 2) points of the ellipse about `centre` (x, y) with `radii` (rx, ry), a0 to a1."""
    t = np.linspace(a0, a1, n)
    return np.stack([centre[0] + radii[0] * np.cos(t), centre[1] + radii[1] * np.sin(t)], axis=1)


def _dot(x, y) -> np.ndarray:
    return np.array([[x, y]])


def face(rng):
    """A face: round or oval, eyes as dots or bars, a smile, a frown or an o; sometimes
    no outline, sometimes hair or ears."""
    ry = rng.uniform(0.8, 1.2)
    out = [] if rng.random() < 0.15 else [_arc((0, 0), (1, ry), 0, TAU, 40)]
    ex, ey = rng.uniform(0.25, 0.45), -0.3 * ry
    for x in (-ex, ex):
        out.append(_dot(x, ey) if rng.random() < 0.6 else
                   np.array([[x, ey - 0.15], [x, ey + 0.1]]))
    mood = rng.integers(3)
    if mood == 2:
        out.append(_arc((0, 0.45 * ry), (0.15, 0.15), 0, TAU, 16))
    else:
        bend = 1 if mood == 0 else -1
        out.append(_arc((0, 0.25 * ry - 0.35 * bend), (0.5, 0.45), 0.15 * np.pi * bend + (
            0 if bend > 0 else np.pi), 0.85 * np.pi * bend + (0 if bend > 0 else np.pi)))
    if rng.random() < 0.3:
        out += [np.array([[x, -ry * 0.95], [x * 1.3, -ry * 1.35]]) for x in (-0.4, 0, 0.4)]
    return out


def heart(rng):
    """Two lobes and a point, in one stroke or two."""
    t = np.linspace(0, TAU, 48)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    pts = np.stack([x, y * rng.uniform(0.8, 1.2)], axis=1)
    return [pts] if rng.random() < 0.6 else [pts[:25], pts[24:]]


def tick(rng):
    """A check mark: a short stroke down, a long one up to the right."""
    low = np.array([rng.uniform(-0.2, 0.1), 1.0])
    return [np.array([[-0.8, rng.uniform(0.0, 0.4)], low,
                      [rng.uniform(0.8, 1.2), rng.uniform(-1.2, -0.6)]])]


def cross(rng):
    """A plus sign or an x, arms of equal or unequal length."""
    a, b = rng.uniform(0.7, 1.0, 2)
    arms = [np.array([[-a, 0], [a, 0]]), np.array([[0, -b], [0, b]])]
    if rng.random() < 0.5:
        turn = np.array([[1, -1], [1, 1]]) / np.sqrt(2)
        arms = [s @ turn.T for s in arms]
    return arms


def arrow(rng):
    """A shaft with a head, pointing any way but straight up or down."""
    angle = rng.choice([0, np.pi, rng.uniform(0.2, 1.3), rng.uniform(1.8, 2.9)])
    d = np.array([np.cos(angle), np.sin(angle)])
    n = np.array([-d[1], d[0]])
    tip = d
    head = rng.uniform(0.3, 0.5)
    return [np.stack([-d, tip]), np.stack([tip - head * d + head * 0.7 * n, tip,
                                           tip - head * d - head * 0.7 * n])]


def star(rng):
    """A five-pointed star in one stroke, or an asterisk of 3 to 4 bars."""
    if rng.random() < 0.6:
        angles = -np.pi / 2 + np.arange(6) * 2 * TAU / 5
        return [np.stack([np.cos(angles), np.sin(angles)], axis=1)]
    k = int(rng.integers(3, 5))
    return [np.array([[np.cos(a), np.sin(a)], [-np.cos(a), -np.sin(a)]])
            for a in np.arange(k) * np.pi / k + rng.uniform(0, 1)]


def house(rng):
    """A box with a roof, maybe a door."""
    w, h = rng.uniform(0.7, 1.0), rng.uniform(0.6, 1.0)
    out = [np.array([[-w, 0], [-w, h], [w, h], [w, 0], [-w, 0]]),
           np.array([[-w * 1.1, 0], [0, -rng.uniform(0.6, 1.0)], [w * 1.1, 0]])]
    if rng.random() < 0.5:
        out.append(np.array([[-0.2, h], [-0.2, h * 0.4], [0.2, h * 0.4], [0.2, h]]))
    return out


def spiral(rng):
    """Two to four turns, in or out."""
    turns = rng.uniform(2, 4)
    t = np.linspace(0, turns * TAU, int(30 * turns))
    r = t / t[-1]
    return [np.stack([r * np.cos(t), r * np.sin(t) * rng.uniform(0.8, 1.2)], axis=1)]


def sun(rng):
    """A small circle with 6 to 12 rays."""
    k = int(rng.integers(6, 13))
    rays = [np.array([[0.5 * np.cos(a), 0.5 * np.sin(a)], [np.cos(a), np.sin(a)]])
            for a in np.arange(k) * TAU / k]
    return [_arc((0, 0), (0.35, 0.35), 0, TAU, 24), *rays]


def zigzag(rng):
    """A zigzag, a wave or a cloud's bumps: a line that keeps turning."""
    n = int(rng.integers(4, 9))
    x = np.linspace(-1, 1, n * 6 if rng.random() < 0.5 else n)
    y = 0.3 * (np.sin(x * n * np.pi / 2) if len(x) > n else (-1.0) ** np.arange(n))
    return [np.stack([x, y], axis=1)]


MAKERS = (face, heart, tick, cross, arrow, star, house, spiral, sun, zigzag)


def doodle(rng):
    """One doodle of a kind chosen at random: a list of (k, 2) strokes."""
    return [np.asarray(s, dtype=np.float32) for s in MAKERS[rng.integers(len(MAKERS))](rng)]
