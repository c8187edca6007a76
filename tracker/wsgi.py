import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
application = get_wsgi_application()

from cases.checks import require_secret_key  # noqa: E402  (these need the apps loaded above)
from tracker.warmup import warm_up  # noqa: E402

require_secret_key()
warm_up()
