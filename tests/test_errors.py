"""Server errors are logged with the request's id; a database outage is a 503, not a 500."""

import io
import logging

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client
from django.contrib import admin
from django.urls import include, path

from tests.conftest import make_case
from tracker.logs import RequestIdFilter


def broken_view(request):
    raise ValueError("something nobody expected")


# This module doubles as the URLconf of the tests marked with it.
urlpatterns = [
    path("boom", broken_view),
    path("api/boom", broken_view),
    path("admin/", admin.site.urls),
    path("", include("cases.urls")),
]
handler500 = "tracker.errors.server_error"


@pytest.fixture
def log():
    """What the settings' stderr handler writes, as text."""
    [handler] = [h for h in logging.getLogger().handlers if any(isinstance(f, RequestIdFilter) for f in h.filters)]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def refuse(*args, **kwargs):
    raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")


@pytest.fixture
def database_down(monkeypatch):
    monkeypatch.setattr(CursorWrapper, "execute", refuse)
    monkeypatch.setattr(CursorWrapper, "executemany", refuse)
    return monkeypatch


@pytest.mark.django_db
@pytest.mark.urls("tests.test_errors")
def test_a_server_error_writes_one_log_line_with_the_request_id_and_its_traceback(log):
    response = Client(raise_request_exception=False).get("/boom")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    text = log.getvalue()
    [line] = [line for line in text.splitlines() if "Internal Server Error" in line]
    assert line.split(" ", 2)[2] == f"ERROR django.request request_id={request_id} Internal Server Error: /boom"
    assert "Traceback (most recent call last)" in text
    assert "ValueError: something nobody expected" in text
    assert "Something went wrong on our side" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.urls("tests.test_errors")
def test_a_server_error_under_api_answers_json():
    response = Client(raise_request_exception=False).get("/api/boom")
    assert response.status_code == 500
    assert response.json() == {"detail": "Server error."}


@pytest.mark.django_db
def test_a_request_id_from_the_proxy_is_kept_and_a_forged_one_replaced(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="proxy-4f2a.7")["X-Request-ID"] == "proxy-4f2a.7"
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nInjected: yes")["X-Request-ID"]
    assert len(replaced) == 32 and replaced.isalnum()


@pytest.mark.django_db
def test_client_errors_are_logged_one_line_each(client, log):
    response = client.get("/cases/no-such-case/")
    assert response.status_code == 404
    [line] = log.getvalue().splitlines()
    assert f"WARNING django.request request_id={response['X-Request-ID']} Not Found: /cases/no-such-case/" in line


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/cases/", "/cases/?q=abdullo", "/export/cases.csv", "/sources/1/"])
def test_a_database_outage_is_a_503_page_that_asks_to_retry(url, database_down, log):
    response = Client(raise_request_exception=False).get(url)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Content-Type"].startswith("text/html")
    assert "briefly unavailable" in response.content.decode()
    assert "Nothing you saved is lost" in response.content.decode()
    assert f"ERROR django.request request_id={response['X-Request-ID']} Service Unavailable: {url.split('?')[0]}" in log.getvalue()
    assert "Connection refused" in log.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/cases/", "/api/people/", "/api/sources/"])
def test_a_database_outage_under_api_is_a_json_503(url, database_down):
    response = Client(raise_request_exception=False).get(url)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json() == {"detail": "The database is unavailable; try again shortly."}


@pytest.mark.django_db
def test_healthz_says_503_with_retry_after_during_an_outage(database_down):
    response = Client(raise_request_exception=False).get("/healthz")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"


@pytest.mark.django_db
def test_the_site_answers_again_once_the_database_is_back_without_a_restart(monkeypatch):
    case = make_case(slug="back-again")
    client = Client(raise_request_exception=False)
    monkeypatch.setattr(CursorWrapper, "execute", refuse)
    assert client.get(case.get_absolute_url()).status_code == 503
    monkeypatch.undo()
    assert client.get(case.get_absolute_url()).status_code == 200
    assert client.get("/healthz").status_code == 200


def test_admins_come_from_the_environment(monkeypatch):
    from tracker.settings import envaddresses

    monkeypatch.setenv("ADMINS", "Ana Editor <ana@example.org>, ops@example.org")
    assert envaddresses("ADMINS") == [("Ana Editor", "ana@example.org"), ("ops@example.org", "ops@example.org")]
    monkeypatch.setenv("ADMINS", "")
    assert envaddresses("ADMINS") == []
    monkeypatch.setenv("ADMINS", "not an address")
    with pytest.raises(Exception, match="ADMINS must be e-mail addresses"):
        envaddresses("ADMINS")
