"""Measure bulk publishing: events of many cases published, then taken down. Writes nothing that stays."""

import statistics
import time

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db import transaction

from cases.models import Case, Citation, Confidence, Event, EventKind, Person, Source, SourceKind, Status, Visibility


class _RollBack(Exception):
    pass


def build(cases):
    """`cases` synthetic cases, each with one internal arrest that a public source cites."""
    people = Person.objects.bulk_create(
        [Person(name=f"Benchmark Person {n}", slug=f"benchmark-person-{n}", visibility=Visibility.PUBLIC) for n in range(cases)]
    )
    records = Case.objects.bulk_create(
        [Case(person=person, title="Benchmark case", slug=f"benchmark-case-{n}", visibility=Visibility.PUBLIC) for n, person in enumerate(people)]
    )
    events = [Event(case=case, kind=EventKind.ARREST, date="2023-01", sets_status=Status.DETAINED) for case in records]
    for event in events:
        event.fill_derived_fields()
    events = Event.objects.bulk_create(events)
    source = Source.objects.create(kind=SourceKind.REPORT, title="Benchmark source")
    Source.objects.filter(pk=source.pk).update(visibility=Visibility.PUBLIC)
    Citation.objects.bulk_create(
        [Citation(source=source, event=event, confidence=Confidence.LIKELY, visibility=Visibility.PUBLIC) for event in events]
    )
    return Event.objects.filter(case__in=records)


class Command(BaseCommand):
    help = "Time publishing and taking down the events of N cases (statuses and history included), then roll back."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=5000)
        parser.add_argument("--runs", type=int, default=3)

    def handle(self, *args, **options):
        # Wall-clock time, and the process's own CPU time, which other work on a busy machine does not inflate.
        timings = {"publish": [], "take down": []}
        cpu = {"publish": [], "take down": []}
        for run in range(options["runs"]):
            try:
                with transaction.atomic():
                    user = User.objects.create_superuser(f"benchmark-{run}", is_staff=True)
                    events = build(options["cases"])
                    for label, visibility in (("publish", Visibility.PUBLIC), ("take down", Visibility.INTERNAL)):
                        started, started_cpu = time.perf_counter(), time.process_time()
                        outcome = events.set_visibility(visibility, by=user)
                        timings[label].append(time.perf_counter() - started)
                        cpu[label].append(time.process_time() - started_cpu)
                        assert outcome.changed == options["cases"], outcome
                    raise _RollBack
            except _RollBack:
                pass
            self.stdout.write(
                f"run {run + 1}: publish {timings['publish'][-1]:.2f} s (cpu {cpu['publish'][-1]:.2f} s), "
                f"take down {timings['take down'][-1]:.2f} s (cpu {cpu['take down'][-1]:.2f} s)"
            )
        for label, values in timings.items():
            self.stdout.write(
                f"{label} {options['cases']} events of {options['cases']} cases: median {statistics.median(values):.2f} s "
                f"(cpu {statistics.median(cpu[label]):.2f} s)"
            )
