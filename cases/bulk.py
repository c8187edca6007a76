"""Statements of thousands of values (the importer, the name index, history copies, the export), run cheaply.

Django prepares each value of a query in Python, which is right for the
queries of a page and costly for a batch of hundreds of rows. `execute`
and `among` keep the work per statement, not per value, on SQLite;
elsewhere they do what Django does. `read_ahead` lets PostgreSQL run the
queries of the next batch while Python works on this one.
"""

import json
from contextlib import ExitStack, contextmanager

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.expressions import RawSQL
from django.db.models.query import ValuesListIterable


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


@contextmanager
def read_ahead(querysets):
    """Send the queries of these `values_list` querysets now; the block gets a function that returns their rows (a list of tuples each).

    Translated models' querysets need `rewrite(False)` (see below).

    On PostgreSQL they go out at once in psycopg's pipeline mode, so the
    database runs them while Python goes on with other work inside the
    block (the export writes one round of rows while the next round's
    events are read: a third of its time). Leave the block before the
    connection is used for anything else. Elsewhere they are read at once.
    """
    querysets = list(querysets)
    for queryset in querysets:
        # The compiler's rows are what Django's own `values_list` gives;
        # modeltranslation's rewriting one reorders them in Python.
        if queryset._iterable_class is not ValuesListIterable:
            raise TypeError(f"read_ahead reads querysets of values_list(), not rewritten by modeltranslation: {queryset.query}")
    connection = connections[querysets[0].db] if querysets else None
    if connection is None or connection.vendor != "postgresql":
        rows = [list(queryset) for queryset in querysets]
        yield lambda: rows
        return
    connection.ensure_connection()
    with connection.connection.pipeline(), ExitStack() as cursors:
        pending = []
        for queryset in querysets:
            compiler = queryset.query.get_compiler(queryset.db)
            try:
                sql, params = compiler.as_sql()
            except EmptyResultSet:  # an `__in` of nothing: Django sends no query either
                pending.append((compiler, None))
                continue
            cursor = cursors.enter_context(connection.cursor())
            cursor.execute(sql, params)
            pending.append((compiler, cursor))
        yield lambda: [
            list(compiler.results_iter([cursor.fetchall()], tuple_expected=True)) if cursor else []
            for compiler, cursor in pending
        ]
