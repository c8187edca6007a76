"""Statements of thousands of values (the importer, the name index, history copies), run cheaply.

Django prepares each value of a query in Python, which is right for the
queries of a page and costly for a batch of hundreds of rows. These two
helpers keep the work per statement, not per value, on SQLite; elsewhere
they do what Django does.
"""

import json

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.expressions import RawSQL


def execute(sql, params, using=DEFAULT_DB_ALIAS):
    """Run one statement written with %s placeholders and return its rows (None if it returns none).

    On SQLite, Django's cursor turns each %s into ? with a regular expression
    before it runs a statement, which on a statement of ten thousand values
    took as long as SQLite's own work. Our statements hold no other "%", so
    the placeholders are replaced in one pass and the statement goes through
    Django's wrapper of a plain sqlite3 cursor (database errors, broken
    transactions and execute_wrappers as usual). While queries are being
    recorded (DEBUG, tests that count them), Django's own cursor runs it, as
    its record needs the %s form.
    """
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite" and not connection.queries_logged:
            with connection.make_cursor(connection.connection.cursor()) as plain:
                plain.execute(sql.replace("%s", "?"), params)
                return plain.fetchall() if plain.description else None
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else None


def among(values, using=DEFAULT_DB_ALIAS):
    """The right-hand side of an `__in` filter on hundreds of ids or texts.

    On SQLite they go as one JSON parameter the database reads itself
    (`IN (SELECT value FROM json_each(…))`), on PostgreSQL as one array
    (`IN (SELECT unnest(…::bigint[]))`): Django prepares a list one value at
    a time, which cost a batch of the importer more than its queries, and
    the export a seventh of its time on PostgreSQL. A list of anything but
    whole numbers or texts is returned as it is.
    """
    values = list(values)
    vendor = connections[using].vendor
    if values and vendor == "sqlite":
        return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(values)])
    if values and vendor == "postgresql":
        if all(type(value) is int for value in values):
            # As the array's text: psycopg writes out a list of numbers one by
            # one in Python, a tenth of a millisecond per hundred.
            return RawSQL("SELECT unnest(%s::bigint[])", ["{" + ",".join(map(str, values)) + "}"])
        if all(type(value) is str for value in values):
            return RawSQL("SELECT unnest(%s::text[])", [values])
    return values
