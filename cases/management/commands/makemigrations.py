"""Django's makemigrations, checking only the models first.

Django runs every system check before it; with `DEBUG` off that includes
the refusal to run without a secret key (cases/checks.py), which writing
or checking migrations does not need: `makemigrations --check` must work
on a machine where only the code is.
"""

from django.core import checks
from django.core.management.commands.makemigrations import Command as MakeMigrations


class Command(MakeMigrations):
    requires_system_checks = [checks.Tags.models]
