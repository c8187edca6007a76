"""The printed dossier: an exhibit with its issuer, its address, the time printed and every source in full."""

import pytest

from cases.models import Case, Visibility

from .conftest import make_case, make_citation, make_event, make_organization, make_source, publisher

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(settings):
    settings.ORGANIZATION_NAME = "Tajik Rights Watch"
    settings.ORGANIZATION_CONTACT = "corrections@example.org"
    case = make_case()
    source = make_source(
        title="Statement on the handover of A. B.",
        published="2024-05-20",
        url="https://example.org/statement",
        archived_url="https://web.archive.org/web/2024/https://example.org/statement",
        publisher=make_organization(name="Rights Group"),
    )
    event = make_event(case, cited=False, date="2024-05-12", place="Istanbul", country="TR", sets_status="detained")
    make_citation(event=event, source=source, excerpt="was detained in Istanbul by Turkish police", locator="para. 1")
    make_citation(case=case, source=source, excerpt="a Tajik activist", confidence="confirmed")
    make_citation(event=event, source=make_source(title="Internal memo", visibility=Visibility.INTERNAL), excerpt="secret")
    return case


def test_dossier_names_issuer_address_and_print_time(client, case):
    html = client.get(f"/cases/{case.slug}/dossier/").content.decode()
    assert "Tajik Rights Watch" in html and "corrections@example.org" in html
    assert f"http://testserver/cases/{case.slug}/" in html
    assert f"http://testserver/cases/{case.slug}/dossier/" in html
    assert "Printed</dt><dd>" in html


def test_dossier_lists_every_source_once_with_original_and_archived_address(client, case):
    html = client.get(f"/cases/{case.slug}/dossier/").content.decode()
    assert html.count('<p class="source-title">') == 1
    assert "https://example.org/statement" in html
    assert "https://web.archive.org/web/2024/https://example.org/statement" in html
    assert "20 May 2024" in html
    assert "Rights Group" in html
    assert "[1] Statement on the handover of A. B., para. 1 · confidence: likely" in html
    assert "confidence: confirmed" in html


def test_dossier_shows_nothing_internal(client, case):
    html = client.get(f"/cases/{case.slug}/dossier/").content.decode()
    assert "Internal memo" not in html and "secret" not in html


def test_dossier_has_no_site_navigation_and_is_not_cached(client, case):
    response = client.get(f"/cases/{case.slug}/dossier/")
    html = response.content.decode()
    assert "site-header" not in html and "site-search" not in html
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_case_page_links_its_dossier(client, case):
    assert f'href="/cases/{case.slug}/dossier/"' in client.get(case.get_absolute_url()).content.decode()


def test_internal_case_has_no_dossier(client, case):
    Case.objects.filter(pk=case.pk).set_visibility(Visibility.INTERNAL, by=publisher())
    assert client.get(f"/cases/{case.slug}/dossier/").status_code == 404
    assert client.get(f"/cases/{case.slug}/dossier.pdf").status_code == 404


def test_dossier_pdf_is_a_pdf_of_the_dossier(client, case):
    pytest.importorskip("weasyprint")
    response = client.get(f"/cases/{case.slug}/dossier.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f'filename="dossier-{case.slug}.pdf"' in response["Content-Disposition"]


def test_dossier_queries_do_not_grow_with_events(client, case, django_assert_max_num_queries):
    for n in range(20):
        event = make_event(case, date=f"2024-06-{n + 1:02d}", kind="transfer")
        make_citation(event=event, source=make_source())
    with django_assert_max_num_queries(14):
        client.get(f"/cases/{case.slug}/dossier/")
