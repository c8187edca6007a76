"""The printed dossier of a case: its sources numbered once, and the same page as a PDF."""

from pathlib import Path

from django.utils.translation import gettext as _

from .models import Source, public_or_none

STYLESHEET = Path(__file__).parent / "static" / "cases" / "dossier.css"


class PdfUnavailable(Exception):
    pass


def numbered_sources(citations):
    """Each source the citations quote, once, numbered in the order first cited.

    Every citation gets `source_number`, so an excerpt can say “[2]” and the
    list of sources at the end gives [2] in full. One query for all sources.
    """
    order = list(dict.fromkeys(citation.source_id for citation in citations))
    sources = Source.objects.public().select_related("publisher").in_bulk(order)
    numbers = {pk: n for n, pk in enumerate(order, start=1)}
    for citation in citations:
        citation.source_number = numbers[citation.source_id]
    numbered = []
    for pk in order:
        source = sources[pk]
        source.number = numbers[pk]
        source.shown_publisher = public_or_none(source.publisher)
        numbered.append(source)
    return numbered


def pdf(html):
    """The dossier's HTML as PDF bytes. Nothing is fetched: no stylesheet, image or font from any address."""
    try:
        import weasyprint
    except (ImportError, OSError) as error:
        # WeasyPrint draws text with the system's Pango library.
        raise PdfUnavailable(
            _("This server cannot make PDFs (%(error)s). Print the dossier from your browser instead.") % {"error": error}
        ) from None
    fetcher = weasyprint.urls.URLFetcher(allowed_protocols=["data"])
    stylesheet = weasyprint.CSS(filename=str(STYLESHEET), url_fetcher=fetcher)
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=[stylesheet])
