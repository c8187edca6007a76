"""Editors edit, publishers publish and delete, and the server checks it, not only the page."""

import pytest
from django.contrib.auth.models import Group

from cases.models import Case, Event, Visibility
from cases.roles import ADMINISTRATOR, EDITOR, PUBLISHER
from tests.conftest import admin_form_data, make_case, make_event, staff_client

pytestmark = pytest.mark.django_db


def client_for(*groups, username="someone"):
    return staff_client(username, *groups)


def test_the_three_roles_exist_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= {EDITOR, PUBLISHER, ADMINISTRATOR}
    assert Group.objects.get(name=EDITOR).permissions.filter(codename="publish").count() == 0
    assert Group.objects.get(name=PUBLISHER).permissions.filter(codename="publish").count() == 1
    assert Group.objects.get(name=ADMINISTRATOR).permissions.filter(codename="change_user").count() == 1


def test_editor_cannot_publish_through_the_action_even_when_posted_directly():
    case = make_case(visibility=Visibility.INTERNAL)
    client = client_for(EDITOR)
    changelist = client.get("/admin/cases/case/").content.decode()
    assert 'value="publish"' not in changelist
    response = client.post("/admin/cases/case/", {"action": "publish", "_selected_action": [case.pk]})
    case.refresh_from_db()
    assert case.visibility == Visibility.INTERNAL
    assert response.status_code in (200, 302)


def test_editor_cannot_publish_by_posting_the_visibility_field():
    case = make_case(visibility=Visibility.INTERNAL)
    client = client_for(EDITOR)
    url = f"/admin/cases/case/{case.pk}/change/"
    data = admin_form_data(client.get(url))
    data["visibility"] = Visibility.PUBLIC
    data["title_en"] = "Edited by an editor"
    assert client.post(url, data).status_code == 302
    case.refresh_from_db()
    assert case.title == "Edited by an editor"
    assert case.visibility == Visibility.INTERNAL


def test_editor_adds_records_that_stay_internal():
    person = make_case().person
    client = client_for(EDITOR)
    response = client.get("/admin/cases/case/add/")
    data = admin_form_data(response)
    data.update({"person": person.pk, "title_en": "New case", "visibility": Visibility.PUBLIC})
    assert client.post("/admin/cases/case/add/", data).status_code == 302
    assert Case.objects.get(title="New case").visibility == Visibility.INTERNAL


def test_editor_cannot_delete_even_when_posted_directly():
    case = make_case()
    event = make_event(case)
    client = client_for(EDITOR)
    assert client.post(f"/admin/cases/case/{case.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"/admin/cases/event/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post("/admin/cases/event/", {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"})
    assert Case.objects.filter(pk=case.pk).exists() and Event.objects.filter(pk=event.pk).exists()


def test_publisher_publishes_and_deletes():
    case = make_case(visibility=Visibility.INTERNAL)
    client = client_for(PUBLISHER)
    client.post("/admin/cases/case/", {"action": "publish", "_selected_action": [case.pk]})
    case.refresh_from_db()
    assert case.visibility == Visibility.PUBLIC
    assert client.post(f"/admin/cases/case/{case.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Case.objects.filter(pk=case.pk).exists()


def test_staff_without_a_group_see_nothing():
    make_case()
    client = client_for()
    index = client.get("/admin/").content.decode()
    assert "/admin/cases/case/" not in index
    assert client.get("/admin/cases/case/").status_code == 403
    assert client.get("/admin/auth/user/").status_code == 403


def test_only_administrators_manage_users():
    assert client_for(PUBLISHER, username="p").get("/admin/auth/user/").status_code == 403
    assert client_for(ADMINISTRATOR, username="a").get("/admin/auth/user/").status_code == 200
