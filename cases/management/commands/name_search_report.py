"""Print how well the name search does on the table of real spelling pairs."""

from django.core.management.base import BaseCommand
from django.db import transaction

from cases.models import Person, Visibility, rebuild_name_tokens
from cases.names import matches
from cases.spelling_pairs import MUST_NOT_MATCH, SHOULD_MATCH


class _RollBack(Exception):
    pass


def through_index(pairs):
    """For each (typed, stored) pair, the rank at which the database's search finds the stored person, or None.

    The people are created in a transaction that is rolled back, so nothing stays.
    """
    results = []
    try:
        with transaction.atomic():
            people = {}
            for _typed, stored, _note in pairs:
                if stored not in people:
                    people[stored] = Person.objects.create(name=stored).pk
            # Shown to the public search only inside this transaction, which is
            # rolled back: nothing is ever published, so no publisher is needed.
            Person.objects.filter(pk__in=people.values()).update(visibility=Visibility.PUBLIC)
            rebuild_name_tokens(list(people.values()))
            for typed, stored, _note in pairs:
                found = Person.objects.search(typed).filter(pk=people[stored]).values_list("name_rank", flat=True)
                results.append(found[0] if found else None)
            raise _RollBack
    except _RollBack:
        pass
    return results


class Command(BaseCommand):
    help = "Check the name search against real spelling pairs and print the hit rate and any false match."

    def add_arguments(self, parser):
        parser.add_argument(
            "--through-index",
            action="store_true",
            help="Also run every pair through the database's name index (people made and rolled back).",
        )

    def handle(self, *args, **options):
        self.report("the folding rules", [matches(typed, stored) for typed, stored, _ in SHOULD_MATCH],
                    [matches(typed, stored) for typed, stored, _ in MUST_NOT_MATCH])
        if options["through_index"]:
            found, false = through_index(SHOULD_MATCH), through_index(MUST_NOT_MATCH)
            # Rank 0 is a near miss (a typo's worth of difference), shown only when no name matches.
            self.report("the database's name index", [bool(rank) for rank in found], [bool(rank) for rank in false])
            near = [(pair, rank) for pair, rank in zip(MUST_NOT_MATCH, false) if rank == 0]
            self.stdout.write(f"  near misses among the 'must not' pairs (shown only when no name matches, as 'spelled almost the same'): {len(near)}")
            for (typed, stored, _note), _rank in near:
                self.stdout.write(f"    near miss: {typed!r} -> {stored!r}")

    def report(self, how, hits, false_hits):
        self.stdout.write(f"Spelling pairs through {how}:")
        self.stdout.write(
            f"  should match:   {sum(hits)} of {len(hits)} found ({100 * sum(hits) / len(hits):.1f} %)"
        )
        for (typed, stored, note), hit in zip(SHOULD_MATCH, hits):
            if not hit:
                self.stdout.write(f"    missed: {typed!r} -> {stored!r} ({note})")
        self.stdout.write(f"  must not match: {sum(false_hits)} false matches of {len(false_hits)}")
        for (typed, stored, note), hit in zip(MUST_NOT_MATCH, false_hits):
            if hit:
                self.stdout.write(f"    false match: {typed!r} -> {stored!r} ({note})")
