"""The admin's forms are valid HTML where the issue found them not to be, and the history page says something in every cell."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from cases.models import Case, Event, EventKind

pytestmark = pytest.mark.django_db


class Checker(HTMLParser):
    """Collects what the HTML standard's conformance rules need for labels, options and ids."""

    def __init__(self):
        super().__init__()
        self.elements = {}  # id -> (tag, attrs)
        self.duplicates = []
        self.labels = []
        self.options = []  # (attrs, text, select attrs, first option of its select)
        self._option = None
        self._select = None
        self._select_count = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            if attrs["id"] in self.elements:
                self.duplicates.append(attrs["id"])
            self.elements[attrs["id"]] = (tag, attrs)
        if tag == "label" and attrs.get("for"):
            self.labels.append(attrs["for"])
        if tag == "select":
            self._select, self._select_count = attrs, 0
        if tag == "option":
            self._select_count += 1
            self._option = [attrs, "", self._select or {}, self._select_count == 1]

    def handle_data(self, data):
        if self._option is not None:
            self._option[1] += data

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None:
            self.options.append(tuple(self._option))
            self._option = None

    def problems(self):
        found = [f"duplicate id {value}" for value in self.duplicates]
        for target in self.labels:
            tag, attrs = self.elements.get(target, (None, {}))
            if tag is None:
                found.append(f"label for a missing element #{target}")
            elif tag == "input" and attrs.get("type") == "hidden":
                found.append(f"label for the hidden input #{target}")
        for attrs, text, select, first in self.options:
            placeholder = first and "required" in select and "multiple" not in select
            if not text.strip() and "label" not in attrs and not placeholder:
                found.append(f"empty option in select {select.get('name')}")
        return found


def html_problems(client, url):
    checker = Checker()
    checker.feed(client.get(url).content.decode())
    return checker.problems()


def test_case_and_event_forms_have_no_label_for_a_hidden_field_and_no_empty_option(admin_client, seeded):
    case = Case.objects.get(slug="abdullokhi-shamsiddin")
    event = case.events.get(kind=EventKind.TRANSFER)
    for url in [
        reverse("admin:cases_case_change", args=[case.pk]),
        reverse("admin:cases_case_add"),
        reverse("admin:cases_event_change", args=[event.pk]),
        reverse("admin:cases_source_add"),
    ]:
        assert html_problems(admin_client, url) == [], url


def test_history_page_fills_every_cell(admin_client, seeded):
    event = Event.objects.filter(kind=EventKind.TRANSFER).first()
    event.save()  # the first version kept (the seed is loaded without history)
    event.place = "Dushanbe"
    event.save()
    html = admin_client.get(reverse("admin:cases_event_history", args=[event.pk])).content.decode()
    assert ">None<" not in html and "None\n" not in html
    assert "no signed-in user" in html
    assert "The oldest version kept" in html
    assert "(empty) &rarr; Dushanbe" in html
    assert 'style="' not in html
