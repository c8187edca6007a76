"""History entries for rows written in bulk, copied by the database itself."""

from django.db import connection
from django.utils import timezone

from .bulk import execute

# Rows per statement: well under the number of parameters a database takes.
BATCH_SIZE = 500


def copy_to_history(model, pks, user, history_type, reason=None, when=None):
    """Write one history entry per row, as simple-history would after a save.

    simple-history's own bulk_history_create builds a Python object for every
    entry, which costs more than the change itself on thousands of rows. A
    history table holds the same tracked columns as its model plus the
    history_* columns, so the database copies the rows over, one statement
    per batch.
    """
    history, columns = _shared_columns(model)
    quote = connection.ops.quote_name
    extra = ["history_date", "history_type", "history_user_id", "history_change_reason"]
    when = connection.ops.adapt_datetimefield_value(when or timezone.now())
    pks = list(pks)
    for start in range(0, len(pks), BATCH_SIZE):
        batch = pks[start : start + BATCH_SIZE]
        sql = (
            f"INSERT INTO {quote(history._meta.db_table)} "
            f"({columns}, {', '.join(quote(name) for name in extra)}) "
            f"SELECT {columns}, %s, %s, %s, %s FROM {quote(model._meta.db_table)} "
            f"WHERE {quote(model._meta.pk.column)} IN ({', '.join(['%s'] * len(batch))})"
        )
        execute(sql, [when, history_type, user.pk if user else None, reason, *batch])


_SHARED = {}


def _shared_columns(model):
    """The model's history model and the columns the two tables share, quoted (worked out once per model).

    Every column the two tables share: the tracked fields, and the per-language
    columns added to both later (cases/translation.py), which tracked_fields
    misses. Read through `model.history`, which makes a new manager class on
    every access.
    """
    if model not in _SHARED:
        history = model.history.model
        quote = connection.ops.quote_name
        kept = {field.column for field in history._meta.concrete_fields}
        columns = ", ".join(quote(field.column) for field in model._meta.concrete_fields if field.column in kept)
        _SHARED[model] = (history, columns)
    return _SHARED[model]
