"""Pages of long public lists: counts kept in the cache, and a limit on how deep a reader can page.

Counting 100,000 cases on every page costs more than the page itself, and
an OFFSET of 75,000 rows reads all of them; a reader never needs page
3,000, so past `MAX_PAGES` the list says how to narrow it instead.
"""

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.utils.functional import cached_property

from . import caching

MAX_PAGES = 100


class PublicPaginator(Paginator):
    """A paginator whose count is cached until anything public changes, per query."""

    @cached_property
    def count(self):
        query = getattr(self.object_list, "query", None)
        try:
            sql = str(query) if query is not None else None
        except EmptyResultSet:  # a filter that can match nothing
            sql = None
        if sql is None:
            return super().count
        return caching.cached("count", lambda: Paginator.count.func(self), self.object_list.db, sql)


def requested_page(value, paginator):
    """The page number asked for, as a number between 1 and the last page (mistyped: 1)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return max(1, min(number, paginator.num_pages))
