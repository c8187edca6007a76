"""Login protection, two-factor login, security headers and production settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a-long-enough-password-123"

CASES = "/admin/cases/case/"


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_superuser(username="editor", email="", password=PASSWORD)


@pytest.fixture
def require_2fa(settings):
    settings.REQUIRE_2FA = True


def login_post(client, username, password, address="10.0.0.1"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def current_code(device):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


# --- Lockout after wrong passwords ----------------------------------------------


def test_the_right_password_logs_in(client, staff):
    response = login_post(client, "editor", PASSWORD)
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(staff.pk)


def test_repeated_wrong_passwords_lock_the_account_for_that_address(client, staff, settings):
    other = get_user_model().objects.create_superuser(username="other", email="", password=PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = login_post(client, "editor", "wrong password")
        assert response.status_code in (200, 429)
    response = login_post(client, "editor", PASSWORD)
    assert response.status_code == 429
    assert "Login locked" in response.content.decode()
    assert "_auth_user_id" not in client.session

    # Another account from the same address is not locked ...
    response = login_post(client, "other", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(other.pk)
    # ... nor the same account from another address.
    client.logout()
    response = login_post(client, "editor", PASSWORD, address="10.0.0.2")
    assert response.status_code == 302


def test_authenticate_without_a_request_still_checks_the_password(staff):
    from django.contrib.auth import authenticate

    assert authenticate(username="editor", password=PASSWORD) == staff
    assert authenticate(username="editor", password="wrong") is None


def test_client_address_from_a_trusted_proxy(rf, settings):
    from tracker.security import client_ip_address

    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert client_ip_address(request) == "127.0.0.1"
    settings.TRUST_X_FORWARDED_FOR = True
    assert client_ip_address(request) == "203.0.113.7"


# --- Sessions ---------------------------------------------------------------------


def test_sessions_expire(settings, client, staff):
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True
    login_post(client, "editor", PASSWORD)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert not cookie["max-age"]  # a browser-session cookie
    assert client.session.get_expire_at_browser_close()


# --- Two-factor login -------------------------------------------------------------


def test_without_require_2fa_the_password_is_enough(client, staff):
    login_post(client, "editor", PASSWORD)
    assert client.get(CASES).status_code == 200


def test_unverified_staff_without_a_device_is_sent_to_enrol(client, staff, require_2fa):
    client.force_login(staff)
    response = client.get(CASES)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("twofactor:enrol"))


def test_password_login_then_enrolment_then_the_admin(client, staff, require_2fa):
    response = login_post(client, "editor", PASSWORD)
    response = client.get(response["Location"])
    assert response["Location"].startswith(reverse("twofactor:enrol"))

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html and "<script" not in html.split("</header>")[-1]
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert page.context["secret"].replace(" ", "") in html.replace(" ", "")

    response = client.post(reverse("twofactor:enrol"), {"code": current_code(device), "next": CASES})
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(code in response.content.decode() for code in codes)
    assert TOTPDevice.objects.get(user=staff).confirmed
    assert StaticToken.objects.filter(device__user=staff).count() == 10
    assert client.get(CASES).status_code == 200

    # The codes are not shown again: the enrolment page now sends to verification.
    assert client.get(reverse("twofactor:enrol"))["Location"].startswith(reverse("twofactor:verify"))


def test_a_wrong_enrolment_code_is_refused(client, staff, require_2fa):
    client.force_login(staff)
    client.get(reverse("twofactor:enrol"))
    device = TOTPDevice.objects.get(user=staff)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("twofactor:enrol"), {"code": wrong})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=staff, confirmed=True).exists()
    assert not StaticDevice.objects.filter(user=staff).exists()
    assert client.get(CASES).status_code == 302


@pytest.fixture
def enrolled(staff):
    device = TOTPDevice.objects.create(user=staff, name="app", confirmed=True)
    recovery = StaticDevice.objects.create(user=staff, name="Recovery codes")
    recovery.token_set.create(token="abcd2345")
    return device


def test_login_with_a_device_asks_for_the_code(client, staff, enrolled, require_2fa):
    login_post(client, "editor", PASSWORD)
    response = client.get(CASES)
    assert response["Location"].startswith(reverse("twofactor:verify"))
    wrong = f"{(int(current_code(enrolled)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("twofactor:verify"), {"code": wrong, "next": CASES})
    assert "That code is not right" in response.content.decode()
    assert client.get(CASES).status_code == 302
    # django-otp makes the next try wait (1 s, doubling after each wrong code) ...
    response = client.post(reverse("twofactor:verify"), {"code": current_code(enrolled), "next": CASES})
    assert "A wrong code was typed just now" in response.content.decode()
    # ... after which the right code works.
    enrolled.refresh_from_db()
    enrolled.throttle_reset()
    response = client.post(reverse("twofactor:verify"), {"code": current_code(enrolled), "next": CASES})
    assert response.status_code == 302 and response["Location"] == CASES
    assert client.get(CASES).status_code == 200


def test_enrolling_a_second_device_is_not_possible(client, staff, enrolled, require_2fa):
    client.force_login(staff)
    response = client.post(reverse("twofactor:enrol"), {"code": "123456"})
    assert response["Location"].startswith(reverse("twofactor:verify"))
    assert TOTPDevice.objects.filter(user=staff).count() == 1


def test_a_recovery_code_works_once(client, staff, enrolled, require_2fa):
    client.force_login(staff)
    response = client.post(reverse("twofactor:verify"), {"code": "ABCD 2345", "next": CASES})
    assert response.status_code == 302
    assert client.get(CASES).status_code == 200

    client.logout()
    client.force_login(staff)
    assert client.get(CASES).status_code == 302
    response = client.post(reverse("twofactor:verify"), {"code": "abcd2345", "next": CASES})
    assert response.status_code == 200
    assert "That code is not right, or the recovery code was used already" in response.content.decode()
    assert client.get(CASES).status_code == 302


def test_the_next_address_must_be_on_this_site(client, staff, enrolled, require_2fa):
    client.force_login(staff)
    response = client.post(reverse("twofactor:verify"), {"code": current_code(enrolled), "next": "https://evil.example/"})
    assert response["Location"] == reverse("admin:index")


# --- Security headers -------------------------------------------------------------

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/healthz", "/admin/login/", "/no-such-page-here/"])
def test_security_headers_on_every_response(client, url):
    response = client.get(url)
    assert response.status_code in (200, 404)
    policy = {part.strip() for part in response["Content-Security-Policy"].split(";")}
    assert policy == {part.strip() for part in CSP.split(";")}
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_admin_pages_need_no_inline_script_or_style(admin_client):
    """The admin works under the strict policy: it has no inline scripts or style attributes."""
    import re

    for url in [CASES, reverse("admin:cases_case_add"), reverse("admin:index")]:
        html = admin_client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), url
        assert " style=" not in html, url


# --- Production settings ----------------------------------------------------------

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "p" * 32 + "Q7x!" * 8,
    "ALLOWED_HOSTS": "example.org",
    "DJANGO_SETTINGS_MODULE": "tracker.settings",
    "DATABASE_URL": "sqlite:////tmp/x.sqlite3",
}


def manage(*args, **env):
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "SESSION_", "CSRF_", "STATIC_"))}
    keep.pop("DEBUG", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**keep, **PRODUCTION, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_deploy_check_reports_nothing():
    assert len(PRODUCTION["SECRET_KEY"]) == 64
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_deploy_check_warns_when_https_is_turned_off():
    result = manage("check", "--deploy", "--fail-level", "WARNING", SECURE_SSL_REDIRECT="0", SESSION_COOKIE_SECURE="0")
    assert result.returncode != 0
    assert "security.W008" in result.stderr and "security.W012" in result.stderr


def test_proxy_header_is_trusted_only_when_asked():
    code = "from django.conf import settings; print(getattr(settings, 'SECURE_PROXY_SSL_HEADER', None))"
    trusted = manage("shell", "-c", code, TRUST_X_FORWARDED_PROTO="1")
    assert "HTTP_X_FORWARDED_PROTO" in trusted.stdout, trusted.stderr
    assert manage("shell", "-c", code).stdout.strip().splitlines()[-1] == "None"


def test_collectstatic_writes_hashed_files(tmp_path):
    result = manage("collectstatic", "--noinput", STATIC_ROOT=str(tmp_path))
    assert result.returncode == 0, result.stderr
    hashed = list((tmp_path / "admin" / "css").glob("base.*.css"))
    assert hashed, sorted(p.name for p in (tmp_path / "admin" / "css").iterdir())
    assert (tmp_path / "staticfiles.json").exists()


# --- In a real browser --------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_editor_enrols_and_uses_the_admin_with_no_policy_violation(live_server, chromium, settings):
    settings.REQUIRE_2FA = True
    user = get_user_model().objects.create_superuser(username="editor", email="", password=PASSWORD)
    page = chromium.new_page()
    problems = []
    # Anything the policy blocks is reported on the console ("Refused to ...");
    # the missing /favicon.ico is not a problem.
    page.on(
        "console",
        lambda message: message.type in ("error", "warning")
        and not message.text.startswith("Failed to load resource")
        and problems.append(message.text),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(live_server.url + "/admin/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/2fa/enrol/**")
    assert page.locator(".twofactor-qr svg").count() == 1
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page.fill("#id_code", current_code(device))
    page.click("input[value=Confirm]")
    assert page.locator("#recovery-codes li").count() == 10
    page.click("text=Continue to the admin")
    page.wait_for_url(live_server.url + "/admin/")

    # Pages with the admin's scripts: the list with its actions, and a form
    # with autocomplete widgets, date shortcuts and "add another" links.
    page.goto(live_server.url + CASES)
    page.goto(live_server.url + reverse("admin:cases_event_add"))
    page.locator(".select2-selection").first.click()
    page.wait_for_selector(".select2-search__field")
    page.keyboard.press("Escape")
    # Let the autocomplete's request finish, so no server thread still holds the database.
    page.wait_for_load_state("networkidle")
    page.close()
    assert not problems, problems
