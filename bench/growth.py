"""How cost grows with the network: growth exponents and the plots of the benchmarks' Series (bench/harness.py).

The exponent k of time ~ size^k is the slope of a least-squares line through log(time) over log(size): 1 grows
with the size, 0 does not grow at all. Each benchmark that measures several sizes adds a Series to harness.SERIES;
run.py calls `report` and `plot` at the end of a run.
"""

from __future__ import annotations

import math
from pathlib import Path

from harness import Series

PLOT = Path(__file__).with_name("growth.png")


def exponent(sizes: list[int], times: list[float]) -> float:
    xs, ys = [math.log(s) for s in sizes], [math.log(max(t, 1e-9)) for t in times]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def report(series: list[Series]) -> str:
    lines = ["how cost grows (time ~ size^k; ratio = ours / the raw limit at that size)"]
    for s in series:
        cells = ", ".join(f"{size:,}: {ours:.1f} ms (x{ours / raw:.2f})"
                          for size, ours, raw in zip(s.sizes, s.ours_ms, s.raw_ms, strict=True))  # fmt: skip
        lines.append(f"  {s.name}: {cells}; k = {exponent(s.sizes, s.ours_ms):.2f} "
                     f"(raw k = {exponent(s.sizes, s.raw_ms):.2f})")  # fmt: skip
    return "\n".join(lines)


def plot(series: list[Series], path: Path = PLOT) -> Path:
    """One log-log panel per series: ours and the raw limit over the sizes, with each size's ratio."""
    import matplotlib

    matplotlib.use("Agg")  # no display: a file
    import matplotlib.pyplot as plt

    columns = 2
    rows = math.ceil(len(series) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(11, 4 * rows), squeeze=False)
    for axis, s in zip(axes.flat, series, strict=False):
        axis.loglog(s.sizes, s.ours_ms, "o-", label=f"{s.ours_label} (k = {exponent(s.sizes, s.ours_ms):.2f})")
        axis.loglog(s.sizes, s.raw_ms, "s--", label=f"{s.raw_label} (k = {exponent(s.sizes, s.raw_ms):.2f})")
        for size, ours, raw in zip(s.sizes, s.ours_ms, s.raw_ms, strict=True):
            axis.annotate(f"x{ours / raw:.2f}", (size, ours), textcoords="offset points", xytext=(4, 6), fontsize=8)
        axis.set_title(s.name, fontsize=10)
        axis.set_xlabel("size")
        axis.set_ylabel("ms")
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    for axis in list(axes.flat)[len(series) :]:
        axis.set_visible(False)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path
