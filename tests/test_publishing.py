"""Only publishers decide what readers see, on every path; a whole case in one step; thousands at once."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import publishing
from cases.models import (
    Case,
    CaseQuerySet,
    Citation,
    Event,
    EventKind,
    Status,
    TakeDown,
    Visibility,
    VisibilityJob,
    VisibilityRefused,
    publishing as publishing_as,
)
from cases.roles import EDITOR, PUBLISHER
from tests.conftest import (
    admin_form_data,
    make_affiliation,
    make_case,
    make_citation,
    make_event,
    make_organization,
    make_source,
    make_variant,
    publisher,
    staff_client,
)

pytestmark = pytest.mark.django_db

INTERNAL, PUBLIC = Visibility.INTERNAL, Visibility.PUBLIC


def editor_client():
    return staff_client("editor", EDITOR)


def publisher_client():
    return staff_client("publisher-client", PUBLISHER)


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def visibility(record):
    return type(record).objects.filter(pk=record.pk).values_list("visibility", flat=True).get()


# Every path, as an Editor ------------------------------------------------------


def revert_to_public_version(client, case):
    """Save, through the admin's history, the version of `case` from before it was unpublished."""
    public_version = case.history.filter(visibility=PUBLIC).latest()
    url = f"/admin/cases/case/{case.pk}/history/{public_version.history_id}/"
    return client.post(url, admin_form_data(client.get(url)), follow=True)


@pytest.fixture
def unpublished_case():
    case = make_case(title="Deportation")
    Case.objects.filter(pk=case.pk).set_visibility(INTERNAL, by=publisher())
    return case


def test_editor_reverting_to_an_older_public_version_brings_the_record_back_internal_and_says_so(unpublished_case):
    response = revert_to_public_version(editor_client(), unpublished_case)
    assert visibility(unpublished_case) == INTERNAL
    assert "is internal: only a publisher can publish it" in " ".join(messages_of(response))


def test_publisher_reverting_to_an_older_public_version_publishes_it_again(unpublished_case):
    revert_to_public_version(publisher_client(), unpublished_case)
    assert visibility(unpublished_case) == PUBLIC


def test_editor_restoring_a_deleted_public_case_brings_it_back_internal_with_its_events():
    case = make_case(title="Deleted to take it down")
    event = make_event(case, sets_status=Status.DETAINED)
    publisher_client().post(f"/admin/cases/case/{case.pk}/delete/", {"post": "yes"})
    assert not Case.objects.exists()
    deletion = Case.history.get(history_type="-")
    response = editor_client().post(
        "/admin/cases/case/deleted/", {"model": "case", "entry": deletion.history_id}, follow=True
    )
    page_messages = " ".join(messages_of(response))
    assert "was restored" in page_messages and "is internal: only a publisher can publish it" in page_messages
    assert visibility(case) == INTERNAL and visibility(event) == INTERNAL
    assert Citation.objects.filter(event=event.pk, visibility=PUBLIC).count() == 0
    assert not Case.objects.public().exists()


def test_editor_posting_an_inline_event_as_public_leaves_it_internal():
    case = make_case()
    event = make_event(case, visibility=INTERNAL)
    make_citation(event=event)
    client = editor_client()
    url = f"/admin/cases/case/{case.pk}/change/"
    data = admin_form_data(client.get(url))
    data["events-0-visibility"] = PUBLIC
    data["events-0-description_en"] = "Edited by an editor"
    assert client.post(url, data).status_code == 302
    event.refresh_from_db()
    assert event.description == "Edited by an editor" and event.visibility == INTERNAL


def test_editor_import_creates_internal_records_and_leaves_public_ones_as_they_were(tmp_path):
    from django.core.management import call_command

    case = make_case(title="Deportation from Germany")
    case.person.external_id = "T-1"
    case.person.save()
    path = tmp_path / "rows.csv"
    path.write_text(
        "id,name,case_title,event_type,event_date,source_urls,excerpt\n"
        "T-1,Someone,Deportation from Germany,arrest,2023-02,https://example.org/x,Arrested.\n"
    )
    call_command("import_spreadsheet", str(path), "--no-progress")
    assert visibility(case) == PUBLIC and visibility(case.person) == PUBLIC
    assert set(Event.objects.filter(case=case).values_list("visibility", flat=True)) == {INTERNAL}


def test_the_api_cannot_change_anything():
    case = make_case(visibility=INTERNAL)
    from django.test import Client

    response = Client().patch(f"/api/cases/{case.slug}/", {"visibility": PUBLIC}, content_type="application/json")
    assert response.status_code in (404, 405)
    assert visibility(case) == INTERNAL


def test_shell_helpers_refuse_a_visibility_change_by_anyone_but_a_publisher():
    from django.contrib.auth.models import Group, User

    case = make_case(visibility=INTERNAL)
    editor = User.objects.create_user("shell-editor", is_staff=True)
    editor.groups.add(Group.objects.get(name=EDITOR))
    with pytest.raises(VisibilityRefused):
        Case.objects.filter(pk=case.pk).set_visibility(PUBLIC, by=editor)
    case.visibility = PUBLIC
    with pytest.raises(VisibilityRefused):
        case.save()
    with pytest.raises(VisibilityRefused), publishing_as(editor):
        case.save()
    assert visibility(case) == INTERNAL
    with publishing_as(publisher()):
        case.save()
    assert visibility(case) == PUBLIC


# Every public fact cites a source ----------------------------------------------


def test_publishing_an_uncited_event_is_refused_with_the_reason():
    case = make_case()
    event = make_event(case, sets_status=Status.DETAINED, visibility=INTERNAL)
    response = publisher_client().post(
        "/admin/cases/event/", {"action": "publish", "_selected_action": [event.pk]}, follow=True
    )
    assert "was not published. No public citation supports it" in " ".join(messages_of(response))
    assert visibility(event) == INTERNAL
    assert Case.objects.get(pk=case.pk).current_status == Status.UNKNOWN


def test_a_public_event_without_a_public_citation_is_not_shown_and_sets_no_status(client):
    case = make_case()
    event = make_event(case, kind=EventKind.ARREST, sets_status=Status.DETAINED, description="Taken at night")
    assert "Taken at night" in client.get(case.get_absolute_url()).content.decode()
    assert Case.objects.get(pk=case.pk).current_status == Status.DETAINED
    event.citations.all().set_visibility(INTERNAL, by=publisher())
    page = client.get(case.get_absolute_url()).content.decode()
    assert "Taken at night" not in page
    assert Case.objects.get(pk=case.pk).current_status == Status.UNKNOWN
    assert client.get(f"/api/events/{event.pk}/").status_code == 404
    # The admin lists it among the public facts that lack a source.
    listing = editor_client().get("/admin/cases/case/uncited/").content.decode()
    assert str(event) in listing


def test_a_fact_published_on_the_same_page_as_its_citation_is_published():
    case = make_case()
    event = make_event(case, visibility=INTERNAL, sets_status=Status.DETAINED)
    source = make_source()
    client = publisher_client()
    url = f"/admin/cases/event/{event.pk}/change/"
    data = admin_form_data(client.get(url))
    data.update(
        {
            "visibility": PUBLIC,
            "citations-TOTAL_FORMS": 1,
            "citations-0-source": source.pk,
            "citations-0-excerpt": "",
            "citations-0-confidence": "likely",
            "citations-0-visibility": PUBLIC,
        }
    )
    assert client.post(url, data).status_code == 302
    assert visibility(event) == PUBLIC
    assert Case.objects.get(pk=case.pk).current_status == Status.DETAINED


# "Publish this case" and "Take down" ------------------------------------------------


@pytest.fixture
def internal_case():
    """A case entered by an editor: everything internal, one event without any source."""
    kgb = make_organization(name="State Committee for National Security", visibility=INTERNAL)
    party = make_organization(name="Group 24", visibility=INTERNAL)
    case = make_case(visibility=INTERNAL, title="Deportation and detention")
    person = case.person
    with publishing_as(publisher()):
        person.visibility = INTERNAL
        person.save()
    make_variant(person, "Абдуллоҳи", visibility=INTERNAL)
    source = make_source(title="Statement of March 2023", visibility=INTERNAL)
    arrest = make_event(case, kind=EventKind.ARREST, date="2023-01", authority=kgb, sets_status=Status.DETAINED, visibility=INTERNAL)
    make_citation(event=arrest, source=source, excerpt="He was arrested in January.", visibility=INTERNAL)
    make_event(case, kind=EventKind.TORTURE_REPORTED, date="2023-02", visibility=INTERNAL, description="Uncited claim")
    membership = make_affiliation(person, party, visibility=INTERNAL, cited=False)
    make_citation(affiliation=membership, source=source, excerpt="a member of Group 24", visibility=INTERNAL)
    return case


def test_publish_screen_lists_everything_a_reader_would_see_and_what_cannot_be_published(internal_case):
    page = publisher_client().get(f"/admin/cases/case/{internal_case.pk}/publish/").content.decode()
    for text in (
        internal_case.person.name,
        "Deportation and detention",
        "Абдуллоҳи",
        "Arrest, January 2023",
        "He was arrested in January.",
        "Statement of March 2023",
        "a member of Group 24",
        "State Committee for National Security",
    ):
        assert text in page, text
    assert "No source cites it yet: add a citation first." in page
    assert page.count('type="checkbox"') == 10  # every internal record but the uncited event


def test_publishing_a_case_in_one_step_makes_it_readable(client, internal_case):
    publisher = publisher_client()
    url = f"/admin/cases/case/{internal_case.pk}/publish/"
    ticked = [tag.split('value="')[1].split('"')[0] for tag in publisher.get(url).content.decode().split("<input")[1:] if 'name="record"' in tag]
    publisher.post(url, {"record": ticked})
    page = client.get(internal_case.get_absolute_url()).content.decode()
    assert "He was arrested in January." in page and "Statement of March 2023" in page
    assert "State Committee for National Security" in page and "Абдуллоҳи" in page
    assert "Uncited claim" not in page
    assert Case.objects.get(pk=internal_case.pk).current_status == Status.DETAINED


def test_publish_screen_and_take_down_are_for_publishers_only(internal_case):
    editor = editor_client()
    assert editor.get(f"/admin/cases/case/{internal_case.pk}/publish/").status_code == 403
    assert editor.post(f"/admin/cases/case/{internal_case.pk}/take-down/", {"reason": "x"}).status_code == 403
    change_page = editor.get(f"/admin/cases/case/{internal_case.pk}/change/").content.decode()
    assert "Publish this case" not in change_page and "Take down" not in change_page
    assert "Publish this case" in publisher_client().get(f"/admin/cases/case/{internal_case.pk}/change/").content.decode()


def test_take_down_hides_a_case_in_one_step_and_records_who_and_why(client):
    case = make_case()
    event = make_event(case, sets_status=Status.DETAINED)
    publisher = publisher_client()
    url = f"/admin/cases/case/{case.pk}/take-down/"
    response = publisher.post(url, {"reason": "  "})
    assert "Say why it is taken down" in response.content.decode()
    assert visibility(case) == PUBLIC
    publisher.post(url, {"reason": "The family asked us to, for his safety."})
    assert client.get(case.get_absolute_url()).status_code == 404
    assert visibility(event) == INTERNAL and not Citation.objects.public().exists()
    record = TakeDown.objects.get()
    assert (record.case, record.taken_by.username, record.reason) == (case, "publisher-client", "The family asked us to, for his safety.")
    assert case.history.latest().history_change_reason.startswith("Taken down: The family asked us to")
    # Nothing but a publisher brings it back: an editor's revert to the public version keeps it internal.
    revert_to_public_version(editor_client(), case)
    assert visibility(case) == INTERNAL


def test_taking_down_a_person_hides_their_cases_spellings_and_affiliations(client):
    case = make_case()
    person = case.person
    make_variant(person, "Other spelling")
    membership = make_affiliation(person, make_organization())
    with publishing_as(publisher()):
        taken = publishing.take_down(person, publisher(), "Danger to relatives")
    assert taken.records >= 5
    assert client.get(person.get_absolute_url()).status_code == 404
    assert client.get(case.get_absolute_url()).status_code == 404
    assert visibility(membership) == INTERNAL


# Bulk: one transaction, in the background when large ------------------------------


def test_bulk_publish_is_all_or_nothing(monkeypatch):
    cases = [make_case() for _ in range(3)]
    events = [make_event(case, sets_status=Status.DETAINED, visibility=INTERNAL) for case in cases]
    for event in events:
        make_citation(event=event)

    def broken(self, *args, **kwargs):
        raise RuntimeError("the status refresh failed")

    monkeypatch.setattr(CaseQuerySet, "refresh_statuses", broken)
    with pytest.raises(RuntimeError):
        Event.objects.all().set_visibility(PUBLIC, by=publisher())
    assert set(Event.objects.values_list("visibility", flat=True)) == {INTERNAL}
    assert not Event.history.filter(visibility=PUBLIC).exists()


def test_bulk_publish_costs_the_same_queries_for_many_cases():
    def publish_n(n):
        cases = [make_case() for _ in range(n)]
        for case in cases:
            make_citation(event=make_event(case, sets_status=Status.DETAINED, visibility=INTERNAL))
        events = Event.objects.filter(case__in=cases)
        with CaptureQueriesContext(connection) as captured:
            events.set_visibility(PUBLIC, by=user)
        assert set(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("current_status", flat=True)) == {Status.DETAINED}
        return len(captured)

    user = publisher()
    assert user.has_perm("cases.publish")  # the permissions, read once
    assert publish_n(3) == publish_n(12)


def test_a_large_selection_is_published_by_the_background_worker(monkeypatch):
    monkeypatch.setattr(publishing, "BACKGROUND_ABOVE", 2)
    cases = [make_case() for _ in range(3)]
    for case in cases:
        make_citation(event=make_event(case, sets_status=Status.DETAINED, visibility=INTERNAL))
    client = publisher_client()
    response = client.post(
        "/admin/cases/event/",
        {"action": "publish", "_selected_action": list(Event.objects.values_list("pk", flat=True))},
        follow=True,
    )
    assert "being changed by the background worker" in " ".join(messages_of(response))
    assert set(Event.objects.values_list("visibility", flat=True)) == {INTERNAL}
    job = VisibilityJob.objects.get()
    assert job.state == VisibilityJob.State.QUEUED and job.total == 3
    assert "Waiting for the worker" in client.get("/admin/cases/visibilityjob/").content.decode()
    publishing.run_visibility_job(job.pk)  # what the worker's task does
    job.refresh_from_db()
    assert (job.state, job.changed) == (VisibilityJob.State.DONE, 3)
    assert set(Case.objects.values_list("current_status", flat=True)) == {Status.DETAINED}
    assert "3 of 3 changed" in client.get("/admin/cases/visibilityjob/").content.decode()


# Public times move only with public content --------------------------------------


def test_internal_work_leaves_the_public_time_alone():
    case = make_case()
    event = make_event(case)
    hidden = make_event(case, visibility=INTERNAL)
    before = Case.objects.get(pk=case.pk).updated
    case.internal_notes = "Call the lawyer"
    case.save()
    hidden.description = "Not yet confirmed"
    hidden.save()
    hidden.delete()
    event.internal_notes = "Check the date"
    event.save()
    assert Case.objects.get(pk=case.pk).updated == before
    assert Event.objects.get(pk=event.pk).updated < Event.objects.get(pk=event.pk).edited


def test_a_change_readers_see_moves_the_public_time():
    case = make_case()
    event = make_event(case)
    before = Case.objects.get(pk=case.pk).updated
    event.description = "Moved to a prison colony"
    event.save()
    after_edit = Case.objects.get(pk=case.pk).updated
    assert after_edit > before
    Event.objects.filter(pk=event.pk).set_visibility(INTERNAL, by=publisher())
    assert Case.objects.get(pk=case.pk).updated > after_edit


def test_the_feed_and_api_do_not_move_on_an_internal_edit(client):
    case = make_case()
    make_event(case)
    stamp = Case.objects.get(pk=case.pk).updated.isoformat()
    make_event(case, visibility=INTERNAL, internal_notes="unpublished work")
    assert client.get("/api/cases/", {"updated_after": stamp}).json()["count"] == 0


# Staff with no group ----------------------------------------------------------------


def test_staff_in_no_group_cannot_open_uploaded_files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    name = default_storage.save("sources/2026/01/file.txt", ContentFile(b"internal document"))
    assert staff_client("nobody").get(f"/admin/files/{name}").status_code == 403
    assert editor_client().get(f"/admin/files/{name}").status_code == 200


def test_a_summary_no_public_source_supports_is_not_shown(client):
    case = make_case(summary="Held in a pre-trial prison in Dushanbe.")
    make_event(case)
    assert "pre-trial prison" not in client.get(case.get_absolute_url()).content.decode()
    assert client.get(f"/api/cases/{case.slug}/").json()["summary"] == ""
    assert str(case) in editor_client().get("/admin/cases/case/uncited/").content.decode()
    # Nor does an internal source, or a public source's internal citation.
    make_citation(case=case, source=make_source(visibility=Visibility.INTERNAL))
    make_citation(case=case, visibility=Visibility.INTERNAL)
    assert client.get("/api/cases/").json()["results"][0]["summary"] == ""
    assert client.get(f"/api/cases/{case.slug}/").json()["summary"] == ""
    make_citation(case=case)
    assert "pre-trial prison" in client.get(case.get_absolute_url()).content.decode()
    assert client.get("/api/cases/").json()["results"][0]["summary"] == "Held in a pre-trial prison in Dushanbe."


@pytest.mark.django_db(transaction=True)
def test_a_queued_job_is_done_by_the_tasks_framework_once_the_request_commits(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    case = make_case()
    make_citation(event=make_event(case, sets_status=Status.DETAINED, visibility=INTERNAL))
    job = publishing.queue_visibility_job(Event.objects.all(), PUBLIC, publisher())
    job.refresh_from_db()
    assert (job.state, job.changed, job.refused) == (VisibilityJob.State.DONE, 1, 0)
    assert Case.objects.get(pk=case.pk).current_status == Status.DETAINED


def test_staff_in_no_group_reach_none_of_the_publishing_pages():
    case = make_case()
    nobody = staff_client("nobody")
    for url in (
        f"/admin/cases/case/{case.pk}/publish/",
        f"/admin/cases/case/{case.pk}/take-down/",
        f"/admin/cases/person/{case.person.pk}/take-down/",
        "/admin/cases/case/uncited/",
        "/admin/cases/case/deleted/",
        "/admin/cases/visibilityjob/",
        "/admin/cases/takedown/",
    ):
        assert nobody.get(url).status_code == 403, url
    assert nobody.post(f"/admin/cases/case/{case.pk}/take-down/", {"reason": "x"}).status_code == 403
    assert visibility(case) == PUBLIC
