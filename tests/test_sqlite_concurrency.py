"""Several editors saving at once on SQLite (the default database) lose nothing.

The test database of the rest of the suite lives in memory; this one runs
real processes against a real file, as gunicorn's workers would.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# One editor: reads the case, changes it and adds an event, in one
# transaction, as an admin save does; repeated without pause.
EDITOR = """
import sys, django
django.setup()
from django.db import transaction
from cases.models import Case, Event, EventKind
editor, saves = sys.argv[1], int(sys.argv[2])
for n in range(saves):
    with transaction.atomic():
        case = Case.objects.get(slug="shared")
        case.summary = f"edited by {editor}, save {n}"
        case.save()
        Event.objects.create(case=case, kind=EventKind.ADVOCACY, date="2024", description=f"{editor} {n}")
"""

# A reader going through every row while the editors write, as a backup does.
READER = """
import django
django.setup()
from cases.models import Event
for _ in range(40):
    list(Event.objects.values_list("description", flat=True))
"""

SETUP = """
import django
django.setup()
from cases.models import Case, Person
Case.objects.create(person=Person.objects.create(name="Shared Person"), title="Shared", slug="shared")
"""


def run_python(code, env, *args):
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.skipif(sys.platform == "win32", reason="processes share the file the POSIX way")
def test_concurrent_saves_on_sqlite_all_succeed(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=env, check=True)

    editors, saves = 6, 15
    processes = [run_python(EDITOR, env, f"editor{i}", str(saves)) for i in range(editors)]
    processes.append(run_python(READER, env))
    failures = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        if process.returncode:
            failures.append(err.strip().splitlines()[-1])
    assert failures == []

    count = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from cases.models import Event; print(Event.objects.count())"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )
    assert int(count.stdout) == editors * saves, "every save is in the database"


def test_sqlite_is_set_up_for_several_writers():
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("PostgreSQL needs none of this")
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]
    assert "busy_timeout=" in options["init_command"]
