"""/sitemap.xml and /robots.txt: the public pages, for search engines."""

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from .models import Case, Organization, Person, Source


class LanguagesSitemap(Sitemap):
    # Every page in every language, each listing the others as hreflang alternates.
    i18n = True
    alternates = True
    x_default = True


class PagesSitemap(LanguagesSitemap):
    def items(self):
        return ["cases:home", "cases:list"]

    def location(self, name):
        return reverse(name)


class PublicSitemap(LanguagesSitemap):
    def lastmod(self, record):
        return record.updated


class CaseSitemap(PublicSitemap):
    def items(self):
        return Case.objects.public().order_by("pk")


class PersonSitemap(PublicSitemap):
    def items(self):
        return Person.objects.public().order_by("pk")


class OrganizationSitemap(PublicSitemap):
    def items(self):
        return Organization.objects.public().order_by("pk")


class SourceSitemap(PublicSitemap):
    def items(self):
        return Source.objects.public().order_by("pk")


SITEMAPS = {
    "pages": PagesSitemap,
    "cases": CaseSitemap,
    "people": PersonSitemap,
    "organizations": OrganizationSitemap,
    "sources": SourceSitemap,
}


@require_GET
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Allow: /",
        "Disallow: /admin/",
        "Disallow: /api/",
        *(f"Disallow: /{code}/api/" for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE),
        f"Sitemap: {request.build_absolute_uri(reverse('cases:sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
