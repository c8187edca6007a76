"""The table of words near misses are looked for among (`NameWord`) keeps
only words' keys: the whole names' keys ("=…") and the consonant skeletons
("%…", "#…") go. A whole name's key is nearly one per person, so they were
almost all of the table, and they made every near miss recheck thousands.
"""

from django.db import migrations
from django.db.models import Q

MARKS = ("=", "%", "#")


def marked():
    condition = Q()
    for mark in MARKS:
        condition |= Q(token__startswith=mark)
    return condition


def drop_marked_tokens(apps, schema_editor):
    NameWord = apps.get_model("cases", "NameWord")
    NameWord.objects.using(schema_editor.connection.alias).filter(marked()).delete()


def add_marked_tokens(apps, schema_editor):
    NameToken = apps.get_model("cases", "NameToken")
    NameWord = apps.get_model("cases", "NameWord")
    db = schema_editor.connection.alias
    tokens = NameToken.objects.using(db).filter(marked()).order_by("token").values_list("token", flat=True).distinct()
    NameWord.objects.using(db).bulk_create((NameWord(token=token) for token in tokens.iterator(chunk_size=5000)), batch_size=5000)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0021_name_words"),
    ]

    operations = [
        migrations.RunPython(drop_marked_tokens, add_marked_tokens, elidable=False),
    ]
