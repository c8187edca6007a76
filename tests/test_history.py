"""Every change is recorded with who made it, and a mistaken delete is undone from the admin."""

import pytest
from django.contrib.auth.models import Group, User

from cases.models import Case, Citation, Event, Status, Visibility
from cases.roles import EDITOR, PUBLISHER
from tests.conftest import admin_form_data, make_case, make_citation, make_event

pytestmark = pytest.mark.django_db


def staff(username, *groups):
    user = User.objects.create_user(username, password="a long enough password", is_staff=True)
    user.groups.set(Group.objects.filter(name__in=groups))
    return user


def login(client, user):
    client.force_login(user)
    return client


def test_change_delete_and_restore_through_the_admin_each_record_who(client):
    case = make_case(title="Deportation")
    event = make_event(case, date="2023-01", sets_status=Status.DETAINED, cited=False)
    make_citation(event=event, excerpt="He was detained in January 2023.")
    editor, publisher = staff("editor", EDITOR), staff("publisher", PUBLISHER)

    # The editor changes the title.
    login(client, editor)
    url = f"/admin/cases/case/{case.pk}/change/"
    data = admin_form_data(client.get(url))
    data["title_en"] = "Deportation and detention"
    assert client.post(url, data).status_code == 302

    # The publisher deletes the case, and with it its event and citation.
    login(client, publisher)
    response = client.post(f"/admin/cases/case/{case.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Case.objects.exists() and not Event.objects.exists() and not Citation.objects.exists()

    # The deleted case is listed, and one click brings it back whole.
    page = client.get("/admin/cases/case/deleted/").content.decode()
    assert "Deportation and detention" in page and "publisher" in page
    deletion = Case.history.get(history_type="-")
    response = client.post("/admin/cases/case/deleted/", {"model": "case", "entry": deletion.history_id}, follow=True)
    assert "restored with 2 records deleted along with it" in response.content.decode()
    restored = Case.objects.get(pk=case.pk)
    assert restored.title == "Deportation and detention"
    assert restored.events.get().citations.get().excerpt == "He was detained in January 2023."
    assert restored.current_status == Status.DETAINED
    assert "Deportation and detention" not in client.get("/admin/cases/case/deleted/").content.decode()

    # The history says who did each.
    entries = [(entry.history_type, getattr(entry.history_user, "username", None)) for entry in restored.history.order_by("history_date")]
    # A restored record comes back internal, then the publisher's restore publishes it again.
    assert entries[-4:] == [("~", "editor"), ("-", "publisher"), ("+", "publisher"), ("~", "publisher")]
    assert restored.visibility == Visibility.PUBLIC and restored.events.get().is_public
    history_page = client.get(f"/admin/cases/case/{case.pk}/history/").content.decode()
    assert "editor" in history_page and "publisher" in history_page
    # Changed fields are shown old beside new.
    assert "Deportation" in history_page and "Deportation and detention" in history_page


def test_an_earlier_version_can_be_restored_from_the_history(client):
    case = make_case(title="First title")
    case.title = "Wrong title"
    case.save()
    first = case.history.order_by("history_date").first()
    login(client, staff("editor", EDITOR))
    url = f"/admin/cases/case/{case.pk}/history/{first.history_id}/"
    response = client.get(url)
    assert response.status_code == 200
    data = admin_form_data(response)
    assert data["title_en"] == "First title"
    assert client.post(url, data).status_code == 302
    case.refresh_from_db()
    assert case.title == "First title"
    assert case.history.latest().history_user.username == "editor"


def test_restoring_a_record_that_exists_is_refused(client):
    case = make_case()
    login(client, staff("publisher", PUBLISHER))
    entry = case.history.latest()
    response = client.post("/admin/cases/case/deleted/", {"model": "case", "entry": entry.history_id}, follow=True)
    assert "cannot be restored" in response.content.decode()
    assert Case.objects.count() == 1


def test_every_record_model_keeps_history():
    case = make_case(visibility=Visibility.INTERNAL)
    event = make_event(case)
    citation = make_citation(event=event)
    for record in (case, case.person, event, citation, citation.source):
        assert record.history.count() == 1, type(record)


def test_deleted_records_page_costs_the_same_however_many_were_deleted(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, staff("publisher", PUBLISHER))

    def delete_cases(n):
        for _ in range(n):
            case = make_case()
            make_citation(case=case)
            case.delete()

    def queries():
        with CaptureQueriesContext(connection) as captured:
            page = client.get("/admin/cases/case/deleted/").content.decode()
        return len(captured), page

    delete_cases(2)
    few, _page = queries()
    delete_cases(10)
    many, page = queries()
    assert few == many
    assert page.count(">Restore</button>") >= 12 + 12  # the cases and their citations
