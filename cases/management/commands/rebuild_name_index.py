"""Rebuild the name index of every person: after changing the folding rules, or after writing people in bulk."""

import time

from django.core.management.base import BaseCommand

from cases.models import NameToken, NameWord, Person, fill_name_words, rebuild_name_tokens


class Command(BaseCommand):
    help = "Rebuild the name search index (folded name tokens) of every person."

    def handle(self, *args, **options):
        started = time.perf_counter()
        ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), 5000):
            rebuild_name_tokens(ids[start : start + 5000])
        # Tokens of people who no longer exist cannot remain (cascade), so this is the whole index;
        # the words are only ever added to, so those no name has any more are dropped here.
        fill_name_words(prune=True)
        self.stdout.write(
            f"rebuilt the name index of {len(ids)} people: {NameToken.objects.count()} tokens, "
            f"{NameWord.objects.count()} distinct words "
            f"in {time.perf_counter() - started:.1f} s"
        )
