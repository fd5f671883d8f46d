"""Chart geometry for the SVG the templates draw: numbers in, coordinates out. No script runs
in the browser; every chart has its table beside it."""

from __future__ import annotations

from dataclasses import dataclass

from .figures import EventFigures, Funnel

WIDTH = 340  # the viewBox: scaled to the screen's width by CSS
BAR_HEIGHT = 22
BAR_GAP = 10
LABEL_WIDTH = 0  # funnel labels sit above their bars, so bars can use the full width


@dataclass(frozen=True)
class FunnelBar:
    stage: str
    value: int
    y: float
    width: float
    share: float | None  # of people reached


@dataclass(frozen=True)
class FunnelChart:
    bars: list[FunnelBar]
    width: int
    height: int


def funnel_chart(funnel: Funnel) -> FunnelChart:
    """One horizontal bar per stage, as long as its count relative to the largest stage."""
    stages = funnel.stages()
    top = max((value for _, value in stages), default=0) or 1
    step = BAR_HEIGHT * 2 + BAR_GAP  # a line of text above each bar
    bars = [
        FunnelBar(
            stage=name,
            value=value,
            y=i * step + BAR_HEIGHT,
            width=round(max(value / top * WIDTH, 1 if value else 0), 1),
            share=(value / funnel.reached) if funnel.reached else None,
        )
        for i, (name, value) in enumerate(stages)
    ]
    return FunnelChart(bars, WIDTH, len(stages) * step)


@dataclass(frozen=True)
class TrendBar:
    x: float
    width: float
    going_y: float
    going_h: float
    came_y: float
    came_h: float
    figures: EventFigures


@dataclass(frozen=True)
class TrendChart:
    bars: list[TrendBar]
    rate_points: str  # polyline "x,y x,y" of the no-show rate, on the same plot
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    top_value: int
    ticks: list[tuple[float, str]]  # (y, label) of the count axis


TREND_HEIGHT = 200
PLOT_TOP = 12
PLOT_BOTTOM = 180
AXIS_LEFT = 34
MAX_EVENTS = 24


def trend_chart(events: list[EventFigures]) -> TrendChart | None:
    """Seats held and people who came at the last events that have ended, with the no-show
    rate as a line (0 at the bottom, 100 % at the top); None when no event has ended."""
    past = [e for e in events if e.ended][-MAX_EVENTS:]
    if not past:
        return None
    top = max(max(e.going, e.came) for e in past) or 1
    span = PLOT_BOTTOM - PLOT_TOP
    slot = (WIDTH - AXIS_LEFT) / len(past)
    width = max(slot * 0.7, 2)

    def y(value: float, scale: float) -> float:
        return round(PLOT_BOTTOM - value / scale * span, 1)

    bars, points = [], []
    for i, e in enumerate(past):
        x = round(AXIS_LEFT + i * slot + (slot - width) / 2, 1)
        bars.append(
            TrendBar(
                x=x,
                width=round(width, 1),
                going_y=y(e.going, top),
                going_h=round(e.going / top * span, 1),
                came_y=y(e.came, top),
                came_h=round(e.came / top * span, 1),
                figures=e,
            )
        )
        if e.no_show_rate is not None:
            points.append(f"{round(x + width / 2, 1)},{y(e.no_show_rate, 1)}")
    ticks = [(y(v, top), str(v)) for v in sorted({0, top // 2, top})]
    return TrendChart(
        bars, " ".join(points), WIDTH, TREND_HEIGHT, PLOT_TOP, PLOT_BOTTOM, top, ticks
    )
