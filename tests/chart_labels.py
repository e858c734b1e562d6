"""Where a drawn chart put its text, measured in the browser: labels must lie inside the plot.

Shared by the report's and the website's browser tests (Playwright pages).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Every text label of a chart's points and every tick label, with the boxes they must lie in:
# point labels in the plot area (plotly's drag rectangle), tick labels in the chart's SVG.
# A tick label plotly hid (it would overlap the axis' end) has no box and is not measured.
_MEASURE = """(chart) => {
  const box = (el) => { const b = el.getBoundingClientRect();
    return [b.left, b.top, b.right, b.bottom]; };
  return {
    area: box(chart.querySelector('.nsewdrag')),
    svg: box(chart.querySelector('.main-svg')),
    labels: [...chart.querySelectorAll('.scatterlayer .textpoint text')]
      .map((t) => ({ text: t.textContent, box: box(t) })),
    ticks: [...chart.querySelectorAll('.xtick text, .ytick text')]
      .filter((t) => { const b = t.getBoundingClientRect(); return b.width || b.height; })
      .map((t) => ({ text: t.textContent, box: box(t) })),
  };
}"""

Box = tuple[float, float, float, float]  # left, top, right, bottom in page pixels


@dataclass(frozen=True)
class Placed:
    area: Box
    svg: Box
    labels: list[tuple[str, Box]]
    ticks: list[tuple[str, Box]]

    def labels_outside_area(self) -> list[str]:
        return [text for text, b in self.labels if not inside(b, self.area)]

    def ticks_outside_svg(self) -> list[str]:
        return [text for text, b in self.ticks if not inside(b, self.svg)]

    def label_texts(self) -> list[str]:
        return sorted(text.strip() for text, _ in self.labels)


def inside(b: Box, outer: Box, slack: float = 0.5) -> bool:
    return (
        b[0] >= outer[0] - slack
        and b[1] >= outer[1] - slack
        and b[2] <= outer[2] + slack
        and b[3] <= outer[3] + slack
    )


def measure(within: Any, chart: str) -> Placed:
    """The boxes in the chart found by the CSS selector `chart` (a plotly graph div) in
    `within`, a page or a locator."""
    found = within.locator(chart).evaluate(_MEASURE)
    return Placed(
        area=tuple(found["area"]),
        svg=tuple(found["svg"]),
        labels=[(x["text"], tuple(x["box"])) for x in found["labels"]],
        ticks=[(x["text"], tuple(x["box"])) for x in found["ticks"]],
    )
