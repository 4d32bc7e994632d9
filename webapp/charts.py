"""Charts drawn on the server as SVG: no script, no library, the same on every phone, printable. Each chart has a
title and a description for screen readers, and the page gives its figures as a table too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup, escape

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 12, 28


@dataclass(frozen=True)
class Bar:
    """One ward: its code and name (the bar's tooltip) and its rate (None: no population yet)."""

    code: str
    name: str
    rate: float | None


def _y(share: float, top: float) -> float:
    plot = HEIGHT - TOP - BOTTOM
    return TOP + plot * (1 - min(share, top) / top)


@lru_cache(maxsize=32)
def wards_against_target(bars: tuple[Bar, ...], target: float | None, expected: float | None, title: str,
                         description: str, target_label: str, expected_label: str) -> Markup:
    """The wards' rates as bars, highest first, with the target and the line expected by now across them. Drawn
    once per distinct input (the figures change only when a counter moves)."""
    shown = sorted((b for b in bars if b.rate is not None), key=lambda b: (-(b.rate or 0), b.code))
    top = max([0.1, *(b.rate or 0 for b in shown), target or 0, expected or 0])
    top = min(1.0, (int(top * 10) + 1) / 10)  # the axis ends at the next tenth above everything drawn
    plot_w = WIDTH - LEFT - RIGHT
    step = plot_w / max(1, len(shown))
    parts = [(f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-title '
             f'chart-desc" xmlns="http://www.w3.org/2000/svg">'),
             f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(description)}</desc>']
    for tenth in range(round(top * 10) + 1):
        share = tenth / 10
        y = _y(share, top)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tenth * 10} %</text>')
    for i, bar in enumerate(shown):
        y = _y(bar.rate or 0, top)
        met = target is not None and (bar.rate or 0) >= target
        bar_line = expected if expected is not None else target  # in the milestone's own year: the target
        behind = bar_line is not None and (bar.rate or 0) < bar_line
        kind = "met" if met else "behind" if behind else "on-track"
        parts.append(f'<rect class="bar {kind}" x="{LEFT + i * step + step * 0.15:.1f}" y="{y:.1f}" '
                     f'width="{step * 0.7:.1f}" height="{HEIGHT - BOTTOM - y:.1f}">'
                     f'<title>{escape(bar.name)}: {round((bar.rate or 0) * 100, 1)} %</title></rect>')
    for mark, label, css in ((target, target_label, "target"), (expected, expected_label, "expected")):
        if mark is not None:
            at = _y(mark, top)
            parts.append(f'<line class="{css}" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{at:.1f}" y2="{at:.1f}"/>'
                         f'<text class="{css}-label" x="{WIDTH - RIGHT - 4}" y="{at - 5:.1f}" text-anchor="end">'
                         f'{escape(label)}</text>')
    parts.append(f'<text class="axis" x="{LEFT}" y="{HEIGHT - 8}">{escape(shown[0].name) if shown else ""}</text>')
    if len(shown) > 1:
        parts.append(f'<text class="axis" x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" text-anchor="end">'
                     f'{escape(shown[-1].name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  # every text in it was escaped above


def bars_of(rows: Sequence[tuple[str, str, float | None]]) -> tuple[Bar, ...]:
    """(code, name, rate) rows as the chart's bars."""
    return tuple(Bar(code, name, rate) for code, name, rate in rows)
