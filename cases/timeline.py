"""A case's status over time, laid out for the inline SVG on the case page.

Each status-setting event opens a period. Where the event's date is uncertain
the period begins somewhere between its lower and upper bound: that stretch
is drawn hatched, the rest solid, up to where the next period may begin. The
last period is solid only up to the latest evidence for it (the case's
`attested_lower`); from there to today it is drawn as an empty outline,
because nothing newer is known. Positions are percentages of the axis, so the drawing keeps its
text size at any screen width.
"""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from . import dates

ROW_HEIGHT = 44
AXIS_HEIGHT = 28
# A period too short to see at this scale still gets a visible sliver.
MIN_WIDTH = 0.8


@dataclass
class Period:
    event: object
    status: str
    label: str
    begins: str
    ends: str
    uncertain_x: float
    uncertain_width: float
    solid_x: float
    solid_width: float
    unattested_x: float = 0.0
    unattested_width: float = 0.0
    attested: str = ""
    top: int = 0

    @property
    def bar_top(self):
        return self.top + 18

    @property
    def label_top(self):
        return self.top + 13


@dataclass
class Tick:
    x: float
    label: str


@dataclass
class Timeline:
    periods: list
    ticks: list = field(default_factory=list)
    start: datetime.date = None
    end: datetime.date = None

    @property
    def height(self):
        return len(self.periods) * ROW_HEIGHT + AXIS_HEIGHT

    @property
    def axis_top(self):
        return len(self.periods) * ROW_HEIGHT + 4

    @property
    def tick_label_top(self):
        return self.axis_top + 18


def build(events, today=None, attested_lower=None, attested=""):
    """The timeline of the status-setting events among `events` (in chronological order).

    `attested_lower` is the earliest day of the latest evidence for the
    current status, `attested` that date as written; past it, the last
    period is drawn as not attested.
    """
    today = today or timezone.localdate()
    changes = [event for event in events if event.sets_status]
    if not changes:
        return Timeline(periods=[])
    known = [day for event in changes for day in (event.date_lower, event.date_upper) if day]
    start = min(known) if known else today
    end = max(today, max(known) if known else today)
    span = max((end - start).days, 1)

    def x(day):
        return round(100 * ((day or start) - start).days / span, 3)

    periods = []
    for index, event in enumerate(changes):
        following = changes[index + 1] if index + 1 < len(changes) else None
        begins_lower = x(event.date_lower)
        begins_upper = x(event.date_upper or event.date_lower or end)
        unattested_from = stops = 100.0
        if following is not None:
            stops = unattested_from = x(following.date_lower or following.date_upper)
        elif attested_lower is None:
            unattested_from = begins_upper
        else:
            unattested_from = max(x(attested_lower), begins_upper)
        solid_from = min(begins_upper, stops)
        periods.append(
            Period(
                event=event,
                status=event.sets_status,
                label=event.get_sets_status_display(),
                begins=event.date_display,
                ends=following.date_display if following else "",
                uncertain_x=begins_lower,
                uncertain_width=max(begins_upper - begins_lower, 0),
                solid_x=solid_from,
                solid_width=max(min(stops, unattested_from) - solid_from, MIN_WIDTH if begins_upper == begins_lower else 0),
                unattested_x=unattested_from,
                unattested_width=max(stops - unattested_from, 0),
                attested=dates.humanize(attested) if following is None and attested else "",
                top=index * ROW_HEIGHT,
            )
        )
    return Timeline(periods=periods, ticks=_year_ticks(start, end, x), start=start, end=end)


def _year_ticks(start, end, x):
    years = list(range(start.year + 1, end.year + 1))
    step = max(1, -(-len(years) // 8))  # at most eight labels
    ticks = [Tick(x=x(datetime.date(year, 1, 1)), label=str(year)) for year in years[::step]]
    if not ticks:
        ticks.append(Tick(x=0.0, label=dates.describe_range(start, start)))
    return ticks
