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
# A name search counts its matches up to this many, then says "more than":
# counting the thousands of matches of a common word start cost more than
# the page (8 ms on SQLite, 20-28 ms on PostgreSQL at 100,000 cases, against
# 3 and 9-19 ms up to 1,000), and a reader narrows such a search rather than
# paging through it. 200 is 8 pages; reading 500 made a search nobody had
# made before 1.5 ms slower over HTTP on PostgreSQL, and 1,000 another 2.5.
SEARCH_COUNT_LIMIT = 200


def sql_of(queryset):
    """The SQL of `queryset`, to key its cached results by; None for a filter that can match nothing."""
    try:
        return str(queryset.query)
    except EmptyResultSet:
        return None


def count_of(queryset, sql=None):
    """`queryset.count()`, cached per query until anything public changes."""
    sql = sql or sql_of(queryset)
    if sql is None:
        return queryset.count()
    return caching.cached("count", queryset.count, queryset.db, sql)


class PublicPaginator(Paginator):
    """A paginator whose count is cached until anything public changes, per query."""

    # Every row is counted (see `SearchPaginator.counted_all`).
    counted_all = True

    @cached_property
    def sql(self):
        return sql_of(self.object_list) if getattr(self.object_list, "query", None) is not None else None

    @cached_property
    def count(self):
        if self.sql is None:
            return super().count
        return count_of(self.object_list, self.sql)


class SearchPaginator(PublicPaginator):
    """Pages of a name search, best match first (`NameSearch.ranked_ids`).

    `object_list` is the search as a ranked QuerySet; `unsearched` the same
    rows before the name search, which the pages are read from; `field` the
    path from a row to its person, `name` the field the rows are sorted by
    after their rank. The ids of the first `limit` + 1 matches
    (SEARCH_COUNT_LIMIT) are read once, in order, and kept in the cache:
    they are every page the reader can ask for and, by their number, the
    count; past `limit` the page says "more than". Counting every match of
    the first letters of a common name cost more than the page, and a
    separate count cost as much again as reading the ids.
    """

    def __init__(self, object_list, per_page, search, unsearched, field, name, limit):
        super().__init__(object_list, per_page)
        self.search, self.unsearched, self.field, self.name, self.limit = search, unsearched, field, name, limit

    @cached_property
    def ids(self):
        # Keyed by the filters' SQL and the search's words, not by the ranked
        # query's SQL: writing out its subqueries took a millisecond.
        filters = sql_of(self.unsearched)
        if filters is None or not self.search.words:
            return []
        read = lambda: self.search.ranked_ids(self.unsearched, self.field, self.name, self.limit + 1)
        key = (self.unsearched.db, filters, self.search.cache_key, self.field, self.name, self.limit)
        return caching.cached("search-ids", read, *key)

    @cached_property
    def count(self):
        return len(self.ids)

    @property
    def counted_all(self):
        """False when the search finds more than `limit` rows: `count` is then `limit` + 1, and the page says "more than"."""
        return self.count <= self.limit

    @property
    def pages_counted(self):
        return self.limit // self.per_page

    def page(self, number):
        number = self.validate_number(number)
        start = (number - 1) * self.per_page
        ids = self.ids[start : start + self.per_page]
        rows = self.unsearched.in_bulk(ids)
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


def requested_page(value, paginator):
    """The page number asked for, as a number between 1 and the last page (mistyped: 1)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return max(1, min(number, paginator.num_pages))
