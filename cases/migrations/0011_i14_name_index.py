"""The name index: one row per folded word of every spelling of every person.

Filled here for the people already in the database (and their search keys
refolded with the new rules); kept current by the models from then on. On
PostgreSQL a trigram index on the tokens finds near misses without a scan.
"""

import django.db.models.deletion
from django.db import migrations, models

from cases.names import fold, tokens

TRIGRAM_INDEX = "cases_nametoken_token_trgm"


def fill_index(apps, schema_editor):
    Person = apps.get_model("cases", "Person")
    NameVariant = apps.get_model("cases", "NameVariant")
    NameToken = apps.get_model("cases", "NameToken")
    db = schema_editor.connection.alias
    public_people = {}
    rows = []
    for person in Person.objects.using(db).only("pk", "name", "visibility").iterator(chunk_size=2000):
        public_people[person.pk] = person.visibility == "public"
        person.search_key = fold(person.name)
        Person.objects.using(db).filter(pk=person.pk).update(search_key=person.search_key)
        rows += [NameToken(person_id=person.pk, token=token, public=public_people[person.pk]) for token in tokens(person.name)]
        if len(rows) > 5000:
            NameToken.objects.using(db).bulk_create(rows)
            rows = []
    for variant in NameVariant.objects.using(db).only("pk", "person_id", "name", "visibility").iterator(chunk_size=2000):
        NameVariant.objects.using(db).filter(pk=variant.pk).update(search_key=fold(variant.name))
        public = public_people.get(variant.person_id, False) and variant.visibility == "public"
        rows += [NameToken(person_id=variant.person_id, variant_id=variant.pk, token=token, public=public) for token in tokens(variant.name)]
        if len(rows) > 5000:
            NameToken.objects.using(db).bulk_create(rows)
            rows = []
    NameToken.objects.using(db).bulk_create(rows)


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON cases_nametoken USING gin (token gin_trgm_ops)")


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0009_i9_public_version_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='NameToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('token', models.CharField(max_length=100)),
                ('public', models.BooleanField()),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='name_tokens', to='cases.person')),
                ('variant', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='cases.namevariant')),
            ],
            options={
                'indexes': [models.Index(fields=['token', 'public', 'person'], name='cases_nametoken_prefix', opclasses=['varchar_pattern_ops', 'bool_ops', 'int8_ops'])],
            },
        ),
        migrations.RunPython(fill_index, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(create_trigram_index, drop_trigram_index, elidable=False),
    ]
