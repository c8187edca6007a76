"""Two-factor login for the admin (django-otp).

With settings.REQUIRE_2FA on, a staff member who has signed in with a
password reaches the admin only once the session is verified with a second
factor:

- with no device yet, they are sent to the enrolment page, which shows the
  secret of a new authenticator-app (TOTP) device as text and as a QR code
  (an SVG drawn here, no script and nothing from another site), and asks for
  the first code; the right code confirms the device and shows ten one-time
  recovery codes, once;
- with a device, they are sent to the verification page, which takes the
  six-digit code from the app or one of the recovery codes.

Wrong codes are throttled per device by django-otp (each failure doubles the
wait), as wrong passwords are by django-axes.
"""

import re
from base64 import b32encode
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODE_COUNT = 10

app_name = "twofactor"


def _is_staff(user):
    return user.is_authenticated and user.is_active and user.is_staff


def _next_url(request):
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME)
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("admin:index")


def _with_next(url, next_url):
    return f"{url}?{urlencode({REDIRECT_FIELD_NAME: next_url})}"


def _to_admin_login(request):
    return redirect(_with_next(reverse("admin:login"), _next_url(request)))


class RequireTwoFactorMiddleware:
    """Send a staff member whose session has no second factor to enrol or verify.

    Goes after django_otp's OTPMiddleware. Guards every admin page except
    the login and logout pages and the two-factor pages themselves.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_verify(request):
            target = "twofactor:verify" if user_has_device(request.user) else "twofactor:enrol"
            return redirect(_with_next(reverse(target), request.get_full_path()))
        return self.get_response(request)

    @staticmethod
    def _must_verify(request):
        if not settings.REQUIRE_2FA:
            return False
        user = getattr(request, "user", None)
        if user is None or not _is_staff(user) or user.is_verified():
            return False
        path = request.path
        if not path.startswith(reverse("admin:index")):
            return False
        exempt = (reverse("admin:login"), reverse("admin:logout"), reverse("twofactor:enrol"), reverse("twofactor:verify"))
        return path not in exempt


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}),
    )

    def clean_code(self):
        return re.sub(r"[\s-]", "", self.cleaned_data["code"]).lower()


def _context(request, **extra):
    return {
        **admin.site.each_context(request),
        "next": _next_url(request),
        "redirect_field_name": REDIRECT_FIELD_NAME,
        **extra,
    }


def _throttled(device):
    allowed, _ = device.verify_is_allowed()
    return not allowed


THROTTLED_MESSAGE = _(
    "A wrong code was typed just now. Wait a little (the wait doubles after each wrong code), then try again."
)


def qr_code_svg(text):
    """The QR code of `text` as an inline <svg> element, on a white background."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathFillImage, border=2)
    svg = image.to_string(encoding="unicode")
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    svg = re.sub(r'\swidth="[^"]*"\s*height="[^"]*"', ' width="240" height="240"', svg, count=1)
    label = _("QR code for your authenticator app")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)


@sensitive_post_parameters("code")
@never_cache
def enrol(request):
    user = request.user
    if not _is_staff(user):
        return _to_admin_login(request)
    if user_has_device(user, confirmed=True):
        # A second device is never added from here: that would let anyone
        # who learns the password bypass the first one.
        return redirect(_with_next(reverse("twofactor:verify"), _next_url(request)))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)

    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _throttled(device):
            form.add_error("code", THROTTLED_MESSAGE)
        elif device.verify_token(form.cleaned_data["code"]):
            codes = _confirm(user, device)
            otp_login(request, device)
            return render(request, "twofactor/recovery_codes.html", _context(request, codes=codes))
        else:
            form.add_error(
                "code",
                _(
                    "That code is not right. Check that the app shows the account for this site and "
                    "that your device's clock is correct, then type the code it shows now."
                ),
            )
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request,
        "twofactor/enrol.html",
        _context(
            request,
            form=form,
            secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            qr_svg=qr_code_svg(device.config_url),
            title=_("Set up two-factor login"),
        ),
    )


def _confirm(user, device):
    """Confirm the device and give the user fresh recovery codes; returns the codes."""
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        StaticDevice.objects.filter(user=user).delete()
        recovery = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create([StaticToken(device=recovery, token=code) for code in codes])
    return codes


@sensitive_post_parameters("code")
@never_cache
def verify(request):
    user = request.user
    if not _is_staff(user):
        return _to_admin_login(request)
    if not settings.REQUIRE_2FA or user.is_verified():
        return redirect(_next_url(request))
    devices = list(devices_for_user(user, confirmed=True))
    if not devices:
        return redirect(_with_next(reverse("twofactor:enrol"), _next_url(request)))

    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        # Six digits are a code from the app; anything else a recovery code.
        kind = TOTPDevice if code.isdigit() else StaticDevice
        candidates = [device for device in devices if isinstance(device, kind)]
        allowed = [device for device in candidates if not _throttled(device)]
        matched = None
        with transaction.atomic():
            for device in allowed:
                if device.verify_token(code):
                    matched = device
                    break
        if matched is not None:
            otp_login(request, matched)
            return redirect(_next_url(request))
        if candidates and not allowed:
            form.add_error("code", THROTTLED_MESSAGE)
        else:
            form.add_error("code", _("That code is not right, or the recovery code was used already."))
    return render(request, "twofactor/verify.html", _context(request, form=form, title=_("Two-factor login")))


urlpatterns = [
    path("enrol/", enrol, name="enrol"),
    path("verify/", verify, name="verify"),
]
