"""A citation whose source's words are not copied yet says so, to editors and readers alike."""

from django.core.exceptions import ValidationError

from cases.models import Citation

from .conftest import make_case, make_citation, make_event, make_source, staff_client


def test_citation_without_excerpt_is_valid_and_says_words_not_copied(db):
    event = make_event(make_case())
    citation = Citation(source=make_source(), event=event, confidence="unknown", excerpt="  ")
    citation.full_clean()
    citation.save()
    assert citation.excerpt == ""
    assert not citation.words_copied
    assert "words not yet copied" in str(citation)


def test_case_page_says_the_words_are_not_yet_copied(client, db):
    case = make_case()
    event = make_event(case)
    make_citation(event=event, excerpt="", source=make_source(title="Spreadsheet source"))
    page = client.get(case.get_absolute_url()).content.decode()
    assert "Spreadsheet source" in page
    assert "The source's words have not been copied yet." in page
    assert "<blockquote></blockquote>" not in page


def test_source_page_says_the_words_are_not_yet_copied(client, db):
    source = make_source()
    make_citation(event=make_event(make_case()), excerpt="", source=source)
    page = client.get(source.get_absolute_url()).content.decode()
    assert "The source's words have not been copied yet." in page


def test_admin_list_of_citations_says_words_not_yet_copied(db):
    make_citation(event=make_event(make_case()), excerpt="")
    page = staff_client("editor", "Editor").get("/admin/cases/citation/").content.decode()
    assert "(words not yet copied)" in page


def test_an_excerpt_not_in_the_sources_text_is_still_refused(db):
    source = make_source(text="He was detained on 18 January 2023.")
    citation = Citation(source=source, event=make_event(make_case()), confidence="likely", excerpt="He was released.")
    try:
        citation.full_clean()
    except ValidationError as error:
        assert "excerpt" in error.message_dict
    else:
        raise AssertionError("an excerpt that is not in the source's text was accepted")
