"""Near misses on PostgreSQL are looked for among the distinct words of the
name index (`NameWord`), through a trigram index of their own, instead of
through a trigram index on every token row, which this drops.
"""

from django.db import migrations, models

NAME_TOKEN_TRIGRAM_INDEX = "cases_nametoken_token_trgm"
TRIGRAM_INDEX = "cases_nameword_token_trgm"


def fill_words(apps, schema_editor):
    NameToken = apps.get_model("cases", "NameToken")
    NameWord = apps.get_model("cases", "NameWord")
    db = schema_editor.connection.alias
    words = NameToken.objects.using(db).order_by("token").values_list("token", flat=True).distinct()
    NameWord.objects.using(db).bulk_create((NameWord(token=token) for token in words.iterator(chunk_size=5000)), batch_size=5000)


def move_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON cases_nameword USING gin (token gin_trgm_ops)")
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME_TOKEN_TRIGRAM_INDEX}")


def move_trigram_index_back(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {NAME_TOKEN_TRIGRAM_INDEX} ON cases_nametoken USING gin (token gin_trgm_ops)")
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0020_event_countries_indexed"),
    ]

    operations = [
        migrations.CreateModel(
            name="NameWord",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.CharField(max_length=100, unique=True)),
            ],
        ),
        migrations.RunPython(fill_words, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(move_trigram_index, move_trigram_index_back, elidable=False),
    ]
