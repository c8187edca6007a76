"""Atom feeds of public case updates: the whole site, and one case's events."""

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.template.defaultfilters import linebreaksbr
from django.utils.translation import gettext as _

from .models import Case, Event


# Atom marks a summary as HTML: every text is escaped, so that a name or a
# description is shown as written and never read as markup.


class CaseUpdatesFeed(Feed):
    feed_type = Atom1Feed
    title = "Case tracker: latest updates"
    subtitle = "Public cases, the most recently updated first."

    def link(self):
        return reverse("cases:list")

    def items(self):
        return Case.objects.public().for_list().order_by("-updated", "-pk")[:50]

    def item_title(self, case):
        return f"{case.person.name}: {case.get_current_status_display()}"

    def item_description(self, case):
        since = _(" since %(date)s") % {"date": case.status_since_display} if case.status_since else ""
        return escape(f"{case.title}. {case.get_current_status_display()}{since}.")

    def item_link(self, case):
        return case.get_absolute_url()

    def item_updateddate(self, case):
        return case.updated

    def item_pubdate(self, case):
        return case.created


class CaseEventsFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, slug):
        return get_object_or_404(Case.objects.public().for_list(), slug=slug)

    def title(self, case):
        return f"{case.person.name}: {case.title}"

    def subtitle(self, case):
        return f"Public events of the case, newest first. Current status: {case.get_current_status_display()}."

    def link(self, case):
        return case.get_absolute_url()

    def items(self, case):
        events = list(Event.objects.public().filter(case=case).chronological())
        events.reverse()
        return events[:100]

    def item_title(self, event):
        return f"{event.get_kind_display()}, {event.date_display}"

    def item_description(self, event):
        return linebreaksbr(escape(event.description))

    def item_link(self, event):
        return f"{event.case.get_absolute_url()}#event-{event.pk}"

    def item_updateddate(self, event):
        return event.updated

    def item_pubdate(self, event):
        return event.created
