import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def run(**options):
    out = io.StringIO()
    call_command("ensure_dev_admin", stdout=out, **options)
    return out.getvalue()


def test_dev_admin_is_created_once_and_its_password_printed_once(settings):
    settings.DEBUG = True
    first = run(url="http://127.0.0.1:8123")
    password = first.split("password: ")[1].split()[0]
    assert "http://127.0.0.1:8123/admin/" in first
    assert authenticate(username="admin", password=password) is not None
    second = run()
    assert password not in second
    assert get_user_model().objects.filter(is_superuser=True).count() == 1


def test_dev_admin_is_refused_outside_development(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only with DEBUG on"):
        run()
    assert not get_user_model().objects.exists()
