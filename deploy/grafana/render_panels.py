"""Draws the panels of deploy/grafana/dashboard.json from a Prometheus into one PNG.

Grafana cannot run everywhere the dashboard has to be looked at (CI, this repository's
docs), so this reads the dashboard itself: the same expressions, legends, units, stacking,
threshold lines and layout, queried from a live Prometheus over a time range.

    python deploy/grafana/render_panels.py --prometheus http://127.0.0.1:9090 \\
        --minutes 10 docs/dashboard.png
"""

import argparse
import json
import math
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: only ever writes a file
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter, MaxNLocator

DASHBOARD = Path(__file__).with_name("dashboard.json")
GRID_COLUMNS = 24  # Grafana's grid
DPI = 80  # 1280 pixels wide: legible, and the PNG stays small
FORMATS = {
    "s": lambda v: f"{v * 1000:.3g} ms" if abs(v) < 1 else f"{v:.3g} s",
    "percentunit": lambda v: f"{v * 100:.3g}%",
    "reqps": lambda v: f"{v:.3g} req/s",
}


def query_range(base: str, expr: str, start: float, end: float, step: float, *,
                timeout: float = 15.0) -> list[dict]:
    """The `result` of /api/v1/query_range: a matrix, one entry per series."""
    params = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": step})
    url = f"{base.rstrip('/')}/api/v1/query_range?{params}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            body = json.load(resp)
    except urllib.error.HTTPError as e:  # 400/422: Prometheus says what is wrong in the body
        detail = e.read().decode("utf-8", errors="replace")[:300]
        raise SystemExit(f"{base}: the query {expr!r} failed with {e.code}: {detail}; fix "
                         f"the expression in {DASHBOARD.name}") from e
    except (urllib.error.URLError, OSError) as e:
        raise SystemExit(f"{base}: cannot reach Prometheus ({e}); start it, or pass its URL "
                         "with --prometheus") from e
    if body.get("status") != "success":
        raise SystemExit(f"{base}: the query {expr!r} answered {body}")
    return body["data"]["result"]


def legend(fmt: str, metric: dict) -> str:
    if not fmt:
        return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(metric.items())) + "}"
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: metric.get(m.group(1), ""), fmt).strip()


def series_of(panel: dict, base: str, times: list[float], step: float) -> list[tuple]:
    """[(legend, values aligned on `times`, NaN where absent)] for all of a panel's targets."""
    out = []
    for target in panel.get("targets", []):
        expr = target["expr"]
        if "$" in expr:
            raise SystemExit(f"{DASHBOARD.name}: panel {panel['title']!r} uses a Grafana "
                             f"variable in {expr!r}; render_panels.py substitutes none")
        index = {round(t, 3): i for i, t in enumerate(times)}
        for result in query_range(base, expr, times[0], times[-1], step):
            values = [math.nan] * len(times)
            for t, v in result["values"]:
                i = index.get(round(float(t), 3))
                if i is not None:
                    values[i] = float(v)
            out.append((legend(target.get("legendFormat", ""), result["metric"]), values))
    return out


def draw(ax, panel: dict, series: list[tuple], stamps: list[datetime]) -> None:
    defaults = panel.get("fieldConfig", {}).get("defaults", {})
    custom = defaults.get("custom", {})
    fmt = FORMATS.get(defaults.get("unit", ""), lambda v: f"{v:.3g}")
    ax.set_title(panel["title"], fontsize=10, loc="left")
    _plot(ax, series, stamps, stacked=custom.get("stacking", {}).get("mode", "none") != "none")
    if not series:
        ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", color="grey")
    bottom, top = ax.get_ylim()
    bottom = defaults.get("min", bottom)
    top = defaults.get("max", top)
    ax.set_ylim(bottom, top)
    if custom.get("thresholdsStyle", {}).get("mode") == "line":
        _thresholds(ax, defaults.get("thresholds", {}).get("steps", []), top, fmt)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt(v)))
    if defaults.get("decimals") == 0:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    locator = mdates.AutoDateLocator(minticks=5, maxticks=12)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    if series:
        _legend(ax, series)


def _plot(ax, series: list[tuple], stamps: list[datetime], *, stacked: bool) -> None:
    if stacked and series:
        series = sorted(series, key=lambda s: (len(s[0]), s[0]))  # "2" before "10"
        # A missing series stacks as 0; a time with no series at all stays a gap.
        empty = [all(math.isnan(vals[i]) for _, vals in series) for i in range(len(stamps))]
        ax.stackplot(stamps, *[[math.nan if empty[i] else 0.0 if math.isnan(v) else v
                                for i, v in enumerate(vals)] for _, vals in series],
                     labels=[name for name, _ in series], alpha=0.85, linewidth=0)
        return
    for name, vals in series:
        ax.plot(stamps, vals, label=name, linewidth=1.4)


def _thresholds(ax, steps: list[dict], top: float, fmt) -> None:
    """As in Grafana, a threshold line does not stretch the axis: off scale, it is named."""
    for step in steps:
        if step.get("value") is None:
            continue
        if step["value"] <= top:
            ax.axhline(step["value"], color="red", linestyle="--", linewidth=1)
        else:
            ax.set_title(f"alert bound {fmt(step['value'])}, above the scale",
                         fontsize=7, loc="right", color="red")


def _legend(ax, series: list[tuple]) -> None:
    """As many legend columns as fit the panel's width (7-point text: about 5 px a
    character at 80 dpi, plus the handle)."""
    width_px = ax.get_position().width * ax.figure.get_figwidth() * DPI
    longest = max(len(name) for name, _ in series)
    ncol = max(1, min(len(series), int(width_px // (longest * 5 + 30))))
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), frameon=False,
              ncol=ncol, handlelength=1.2, columnspacing=1.0)


def render(dashboard: dict, base: str, out: Path, *, start: float, end: float,
           step: float) -> None:
    panels = [p for p in dashboard["panels"] if p.get("type") != "row"]
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels)
    times = [start + k * step for k in range(int((end - start) // step) + 1)]
    stamps = [datetime.fromtimestamp(t) for t in times]
    fig = plt.figure(figsize=(16, rows * 0.42))
    span = datetime.fromtimestamp(start).strftime("%Y-%m-%d %H:%M")
    fig.suptitle(f"{dashboard['title']}: {span} + {(end - start) / 60:g} min, "
                 f"step {step:g} s", fontsize=12, x=0.01, ha="left")
    top_margin = 0.5 / (rows * 0.42)  # room for the figure's title, in figure fractions
    for panel in sorted(panels, key=lambda p: (p["gridPos"]["y"], p["gridPos"]["x"])):
        g = panel["gridPos"]
        left, width = g["x"] / GRID_COLUMNS, g["w"] / GRID_COLUMNS
        height = g["h"] / rows * (1 - top_margin)
        bottom = 1 - top_margin - (g["y"] + g["h"]) / rows * (1 - top_margin)
        # Inside the grid cell: room for tick labels left, the title above, the legend below.
        ax = fig.add_axes((left + 0.045, bottom + height * 0.2, width - 0.06, height * 0.68))
        draw(ax, panel, series_of(panel, base, times, step), stamps)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=DPI)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the PNG to write")
    parser.add_argument("--prometheus", default="http://127.0.0.1:9090",
                        help="base URL of the Prometheus to query")
    parser.add_argument("--dashboard", type=Path, default=DASHBOARD)
    parser.add_argument("--minutes", type=float, default=60.0, help="length of the range")
    parser.add_argument("--end", type=float, default=None,
                        help="end of the range, Unix seconds (default: now)")
    parser.add_argument("--step", type=float, default=None,
                        help="seconds between points (default: about 300 points)")
    args = parser.parse_args(argv)
    try:
        dashboard = json.loads(args.dashboard.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise SystemExit(f"{args.dashboard}: cannot read the dashboard ({e})") from e
    end = args.end if args.end is not None else time.time()
    start = end - args.minutes * 60
    step = args.step or max(1.0, round(args.minutes * 60 / 300))
    render(dashboard, args.prometheus, args.out, start=start, end=end, step=step)
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
