"""Property-based fuzzing of the public API from its own OpenAPI schema (schemathesis).

Every operation in /api/schema/ is called with generated parameters (valid
and invalid) against the seeded data, through the WSGI application, and
every answer passes every schemathesis check: no server error, only
documented status codes, content types and headers, bodies that match the
schema, schema-valid requests accepted and invalid ones refused, and the
rest. A bounded number of examples per operation keeps the run short; it
runs with the rest of the suite (`make test`, and so `.ci/run` on SQLite
and on PostgreSQL).

The operations are driven one by one with Hypothesis here rather than with
schemathesis's pytest plugin (`schema.parametrize()`), whose lazy fixture
loader does not run under pytest 9.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks as st_checks

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 30


@pytest.fixture
def keep_test_connection():
    """Like Django's test client: a request must not close the test's database connection."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(seeded, settings, keep_test_connection):
    from tracker.wsgi import application

    # schemathesis calls the WSGI application as http://localhost.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    # tests/settings.py raises the API's rate limit for the many requests sent here.
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


def test_api_answers_exactly_as_its_schema_says(api_schema):
    st_checks.load_all_checks()
    every_check = st_checks.CHECKS.get_all()
    assert len(every_check) >= 14
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10  # list and detail of cases, people, organizations, sources, events
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            case.call_and_validate(checks=every_check)

        check()
