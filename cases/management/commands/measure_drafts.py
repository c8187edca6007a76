"""How much of a source's record “Start from a source” proposes by itself.

For every public source with its full text in the database (the seed's two
documents after `loaddata fixtures/seed.json`), the events citing it and all
its excerpts are compared with the draft made from its text. With --texts,
also texts written for the purpose, each listing what it should give.
"""

import json

from django.core.management.base import BaseCommand

from cases.drafting import propose
from cases.models import Event, Source, normalize_space


def covered(excerpt, draft):
    excerpt = normalize_space(excerpt)
    return any(excerpt in normalize_space(sentence) for sentence in draft.excerpts())


class Command(BaseCommand):
    help = "Print the share of the seed's events (same person and kind) and excerpts (within a proposed sentence) that the draft from each source's text proposes."

    def add_arguments(self, parser):
        parser.add_argument("--texts", help="a JSON file of texts with the events and excerpts each should give")

    def handle(self, *args, **options):
        totals = {"events": [0, 0], "excerpts": [0, 0]}
        for source in Source.objects.exclude(text="").order_by("pk"):
            draft = propose(source.text, source.published)
            proposed = {(event.person_id, event.kind): event.date for event in draft.events}
            events = Event.objects.filter(citations__source=source).select_related("case").distinct()
            found_events = [(event.case.person_id, event.kind) in proposed for event in events]
            same_date = sum(proposed.get((event.case.person_id, event.kind)) == event.date for event in events)
            excerpts = [c.excerpt for c in source.citations.exclude(excerpt="")]
            found_excerpts = [covered(excerpt, draft) for excerpt in excerpts]
            self.report(f"source {source.pk}: {source.title[:60]}", found_events, found_excerpts, totals)
            self.stdout.write(f"    of the events, proposed with the seed's own date: {same_date}/{len(found_events)}")
            for event, found in zip(events, found_events):
                if not found:
                    self.stdout.write(f"    missed event: {event.kind} of case {event.case_id}")
        if options["texts"]:
            with open(options["texts"], encoding="utf-8") as handle:
                written = json.load(handle)["texts"]
            for item in written:
                draft = propose(item["text"], item.get("published", ""))
                proposed = {(event.person_name, event.kind, event.date) for event in draft.events}
                found_events = [(e["person"], e["kind"], e["date"] or f"../{item['published']}") in proposed for e in item["events"]]
                found_excerpts = [covered(excerpt, draft) for excerpt in item["excerpts"]]
                self.report(f"written: {item['title']}", found_events, found_excerpts, totals)
        self.stdout.write(
            "all: events proposed {}/{} ({:.0%}), excerpts proposed {}/{} ({:.0%})".format(
                totals["events"][0], totals["events"][1], share(*totals["events"]),
                totals["excerpts"][0], totals["excerpts"][1], share(*totals["excerpts"]),
            )
        )

    def report(self, label, found_events, found_excerpts, totals):
        totals["events"][0] += sum(found_events)
        totals["events"][1] += len(found_events)
        totals["excerpts"][0] += sum(found_excerpts)
        totals["excerpts"][1] += len(found_excerpts)
        self.stdout.write(
            f"{label}\n    events {sum(found_events)}/{len(found_events)}, excerpts {sum(found_excerpts)}/{len(found_excerpts)}"
        )


def share(found, total):
    return found / total if total else 0.0
