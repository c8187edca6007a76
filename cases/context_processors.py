from django.conf import settings


def organization(request):
    """Who keeps the record, for the footer of every page and the printed dossier."""
    return {
        "organization": {
            "name": settings.ORGANIZATION_NAME,
            "contact": settings.ORGANIZATION_CONTACT,
            "url": settings.ORGANIZATION_URL,
        }
    }
