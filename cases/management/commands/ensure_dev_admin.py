import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "In development only: create an admin login if there is none, and print it once."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="Where the site will be served.")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "ensure_dev_admin runs only with DEBUG on. On a server, use: python manage.py createsuperuser"
            )
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("An admin login exists. Forgot its password? python manage.py changepassword admin")
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username="admin", email="", password=password)
        self.stdout.write(
            self.style.SUCCESS(
                "\nCreated a development admin login (shown only this once):\n"
                f"  {options['url'].rstrip('/')}/admin/  user: admin  password: {password}\n"
            )
        )
