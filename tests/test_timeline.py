"""The status-over-time drawing on the case page."""

import datetime
import re

import pytest

from cases import timeline
from cases.models import EventKind, Status, Visibility
from tests.conftest import make_case, make_event

pytestmark = pytest.mark.django_db


def periods_in(html):
    return re.findall(r'<g class="period status-(\w+)"', html)


def test_one_period_per_status_change_in_order(client):
    case = make_case(slug="three-changes")
    make_event(case, kind=EventKind.DEPORTATION, date="2020-03-05", sets_status=Status.DEPORTED)
    make_event(case, kind=EventKind.TORTURE_REPORTED, date="2020-04")  # no status change
    make_event(case, kind=EventKind.ARREST, date="2020-03-05/2020-06", sets_status=Status.DETAINED)
    make_event(case, kind=EventKind.RELEASE, date="2022", sets_status=Status.RELEASED)
    make_event(case, kind=EventKind.ARREST, date="2023", sets_status=Status.DETAINED, visibility=Visibility.INTERNAL)
    html = client.get("/cases/three-changes/").content.decode()
    assert periods_in(html) == ["deported", "detained", "released"]
    # The text equivalent says the same for screen readers.
    assert "Detained: from between 5 March 2020 and June 2020 until 2022" in " ".join(html.split())
    assert "Released: from 2022; no source for it gives a later date, and nothing newer is known" in " ".join(html.split())


def test_a_case_without_status_changes_draws_no_timeline(client):
    case = make_case(slug="quiet")
    make_event(case, kind=EventKind.ADVOCACY, date="2024")
    assert "<svg" not in client.get("/cases/quiet/").content.decode()


def test_uncertain_start_is_drawn_as_an_uncertain_stretch():
    case = make_case()
    exact = make_event(case, kind=EventKind.DEPORTATION, date="2020-01-01", sets_status=Status.DEPORTED)
    vague = make_event(case, kind=EventKind.SENTENCE, date="2021/2022", sets_status=Status.SENTENCED,
                       sentence_kind="life")
    drawn = timeline.build([exact, vague], today=datetime.date(2024, 1, 1), attested_lower=datetime.date(2024, 1, 1))
    first, second = drawn.periods
    assert first.uncertain_width == 0
    assert first.solid_x == 0 and first.solid_width == pytest.approx(25, abs=0.1)  # 2020 to 2021 of 2020-2024
    assert second.uncertain_x == pytest.approx(first.solid_width, abs=0.01)
    assert second.uncertain_width == pytest.approx(50, abs=0.2)  # the two years 2021 and 2022
    assert second.solid_x + second.solid_width == pytest.approx(100)
    assert [tick.label for tick in drawn.ticks] == ["2021", "2022", "2023", "2024"]


def test_an_open_start_is_uncertain_from_the_beginning_of_the_axis():
    case = make_case()
    before = make_event(case, kind=EventKind.DETENTION, date="../2022-03", sets_status=Status.DETAINED)
    drawn = timeline.build([before], today=datetime.date(2023, 3, 31), attested_lower=datetime.date(2023, 3, 31))
    (period,) = drawn.periods
    assert period.uncertain_x == 0 and period.uncertain_width == pytest.approx(0)
    assert period.solid_x == 0 and period.solid_width == 100


def test_the_current_status_is_solid_only_up_to_its_latest_evidence():
    case = make_case()
    arrest = make_event(case, kind=EventKind.ARREST, date="2020-01-01", sets_status=Status.DETAINED)
    drawn = timeline.build([arrest], today=datetime.date(2024, 1, 1), attested_lower=datetime.date(2022, 1, 1),
                           attested="2022")
    (period,) = drawn.periods
    assert period.solid_x == 0 and period.solid_width == pytest.approx(50, abs=0.1)
    assert period.unattested_x == pytest.approx(50, abs=0.1) and period.unattested_width == pytest.approx(50, abs=0.1)
    assert period.attested == "2022"


def test_an_earlier_period_is_never_drawn_as_unattested():
    case = make_case()
    first = make_event(case, kind=EventKind.ARREST, date="2020-01-01", sets_status=Status.DETAINED)
    second = make_event(case, kind=EventKind.RELEASE, date="2022-01-01", sets_status=Status.RELEASED)
    drawn = timeline.build([first, second], today=datetime.date(2024, 1, 1))
    assert drawn.periods[0].unattested_width == 0 and drawn.periods[0].solid_width == pytest.approx(50, abs=0.1)
    # With no dated evidence at all, everything after the release's day is outlined.
    assert drawn.periods[1].solid_width == pytest.approx(0.8) and drawn.periods[1].unattested_width == pytest.approx(50, abs=0.1)
