"""The bulk status refresh follows the same rule as refreshing one case at a time."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import STATUS_FIELDS, Case, Event, EventKind, Status, Visibility

from .conftest import make_case, make_event, publisher

pytestmark = pytest.mark.django_db


def statuses():
    return {row[0]: row[1:] for row in Case.objects.order_by("pk").values_list("pk", *STATUS_FIELDS)}


def scramble():
    """Write wrong statuses directly, as a bulk change that sent no signal would leave them."""
    Case.objects.update(current_status=Status.UNKNOWN, status_since="", status_since_lower=None,
                        status_since_upper=None, status_event=None)


def test_bulk_refresh_gives_each_case_the_status_its_own_refresh_gives():
    empty = make_case()
    make_event(empty, kind=EventKind.ADVOCACY, date="2023")
    ordered = make_case()
    make_event(ordered, kind=EventKind.ARREST, date="2020-03-05", sets_status=Status.DETAINED)
    make_event(ordered, kind=EventKind.SENTENCE, date="2021-06", sets_status=Status.SENTENCED)
    vague = make_case()  # the month is narrower than the year and ends first
    make_event(vague, kind=EventKind.DETENTION, date="2023", sets_status=Status.DETAINED)
    make_event(vague, kind=EventKind.DEPORTATION, date="2023-01", sets_status=Status.DEPORTED)
    open_start = make_case()
    make_event(open_start, kind=EventKind.RELEASE, date="../2003", sets_status=Status.RELEASED)
    make_event(open_start, kind=EventKind.ARREST, date="2001", sets_status=Status.DETAINED)
    tie = make_case()  # same dates: the editor's order decides
    make_event(tie, kind=EventKind.ARREST, date="2022-05", sets_status=Status.DETAINED, position=2)
    make_event(tie, kind=EventKind.INCOMMUNICADO, date="2022-05", sets_status=Status.INCOMMUNICADO, position=1)
    hidden = make_case()  # an internal event does not count
    make_event(hidden, kind=EventKind.ARREST, date="2020", sets_status=Status.DETAINED)
    make_event(hidden, kind=EventKind.RELEASE, date="2021", sets_status=Status.RELEASED, visibility=Visibility.INTERNAL)
    for case in Case.objects.all():
        case.refresh_status()
    one_by_one = statuses()
    scramble()
    assert Case.objects.refresh_statuses(chunk_size=4) > 0
    assert statuses() == one_by_one


def test_bulk_refresh_costs_the_same_queries_per_chunk_however_many_events():
    for n in range(6):
        case = make_case()
        for day in range(1, 4 + n * 3):
            make_event(case, kind=EventKind.ARREST, date=f"2020-01-{day:02d}", sets_status=Status.DETAINED)
    scramble()
    with CaptureQueriesContext(connection) as captured:
        Case.objects.refresh_statuses(chunk_size=2)
    # Per chunk of two: the cases, their events, the events' citations, one update,
    # the public version;
    # then the empty read that ends it.
    assert len(captured) == 3 * 5 + 1


def test_bulk_refresh_writes_and_touches_only_the_cases_whose_status_changed():
    unchanged, changed = make_case(), make_case()
    make_event(unchanged, kind=EventKind.ARREST, date="2020", sets_status=Status.DETAINED)
    make_event(changed, kind=EventKind.ARREST, date="2020", sets_status=Status.DETAINED)
    Case.objects.filter(pk=changed.pk).update(current_status=Status.UNKNOWN)
    before = Case.objects.get(pk=unchanged.pk).updated
    assert Case.objects.refresh_statuses() == 1
    assert Case.objects.get(pk=changed.pk).current_status == Status.DETAINED
    assert Case.objects.get(pk=unchanged.pk).updated == before


def test_bulk_unpublishing_events_of_many_cases_refreshes_each_status():
    cases = [make_case() for _ in range(5)]
    for case in cases:
        make_event(case, kind=EventKind.ARREST, date="2020", sets_status=Status.DETAINED)
        make_event(case, kind=EventKind.RELEASE, date="2021", sets_status=Status.RELEASED)
    Event.objects.filter(kind=EventKind.RELEASE).set_visibility(Visibility.INTERNAL, by=publisher())
    assert set(Case.objects.values_list("current_status", flat=True)) == {Status.DETAINED}
    Event.objects.filter(kind=EventKind.RELEASE).set_visibility(Visibility.PUBLIC, by=publisher())
    assert set(Case.objects.values_list("current_status", flat=True)) == {Status.RELEASED}
