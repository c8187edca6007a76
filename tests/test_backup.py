"""`manage.py backup` and `manage.py restore`: everything comes back, bad files change nothing."""

import hashlib
import json
import os
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases import names, roles
from cases.models import Case, Person, Source, Status, Visibility

from .conftest import make_case, make_citation, make_event, make_person, make_source

ROOT = Path(__file__).resolve().parent.parent

# Every row of every backed-up model, in a form that compares across databases:
# foreign keys to users, groups, content types and permissions as natural keys.
# Run in this process and, through `manage.py shell -c`, in the subprocesses.
SNAPSHOT_CODE = """
import json
from django.core import serializers
from cases.backups import PreciseJSONEncoder, backed_up_models

def snapshot():
    result = {}
    for model in backed_up_models():
        rows = serializers.serialize(
            "python", model._base_manager.order_by("pk"),
            use_natural_foreign_keys=True, use_natural_primary_keys=True,
        )
        encoded = [json.dumps(row, cls=PreciseJSONEncoder, sort_keys=True) for row in rows]
        result[model._meta.label] = sorted(encoded)
    return result
"""


def snapshot():
    namespace = {}
    exec(SNAPSHOT_CODE, namespace)
    return namespace["snapshot"]()


def counts(snap):
    return {label: len(rows) for label, rows in snap.items()}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def clear_contenttype_cache():
    # `flush` makes the content types again; the cache must not outlive the test's rollback.
    ContentType.objects.clear_cache()
    yield
    ContentType.objects.clear_cache()


@pytest.fixture
def data(db, media):
    """A bit of everything: users with devices, an internal case with history, an uploaded file."""
    editor = User.objects.create_user("editor1", "editor@example.org", "a long enough password 1")
    editor.groups.add(Group.objects.get(name=roles.EDITOR))
    editor.user_permissions.add(Permission.objects.get(codename="publish"))
    admin = User.objects.create_superuser("admin1", "admin@example.org", "another long password 2")
    TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    static = StaticDevice.objects.create(user=admin, name="recovery", confirmed=True)
    StaticToken.objects.create(device=static, token="abcd1234")
    team = Group.objects.create(name="Researchers")
    team.permissions.add(Permission.objects.get(codename="view_case"))
    admin.groups.add(team)

    person = make_person(name="Ali Internal", visibility=Visibility.INTERNAL, contact_details="Lawyer: +1 555")
    case = Case(person=person, title="Held without charge", visibility=Visibility.INTERNAL, internal_notes="secret")
    case._history_user = editor
    case.save()
    event = make_event(case, sets_status=Status.DETAINED, date="2023-02-01", visibility=Visibility.PUBLIC)
    case.refresh_from_db()
    case.summary = "Changed by the admin"
    case._history_user = admin
    case.save()
    make_event(make_case(), sets_status=Status.RELEASED, date="2024-05")
    source = make_source(file=SimpleUploadedFile("statement.txt", b"The statement, word for word.\n"))
    make_citation(source=source, event=event, excerpt="word for word")
    case.refresh_from_db()
    assert case.current_status == Status.DETAINED
    return {"case": case, "source": source, "editor": editor, "admin": admin}


def flush():
    # On PostgreSQL, TRUNCATE refuses tables with foreign-key checks still pending in this transaction.
    connection.check_constraints()
    call_command("flush", interactive=False, verbosity=0)
    assert not User.objects.exists() and not Case.objects.exists()
    assert set(Group.objects.values_list("name", flat=True)) == {roles.EDITOR, roles.PUBLISHER, roles.ADMINISTRATOR}


def media_listing(root):
    root = Path(root)
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_backup_then_restore_into_an_empty_database_gives_back_every_row(data, media, tmp_path, clear_contenttype_cache, capsys):
    case, source = data["case"], data["source"]
    history = list(case.history.order_by("history_id").values_list("history_id", "history_user__username", "summary"))
    assert [user for _id, user, _summary in history][:1] == ["editor1"] and "admin1" in [u for _i, u, _s in history]
    password = User.objects.get(username="editor1").password
    file_name = source.file.name
    file_bytes = b"The statement, word for word.\n"
    before = snapshot()
    assert before["cases.HistoricalCase"] and before["otp_totp.TOTPDevice"] and before["cases.Source"]

    backup = tmp_path / "backup.zip"
    call_command("backup", str(backup))
    assert "Backed up" in capsys.readouterr().out
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    with zipfile.ZipFile(backup) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert hashlib.sha256(archive.read("data.json")).hexdigest() == manifest["data_sha256"]
        assert archive.read(f"media/{file_name}") == file_bytes
        assert "sessions.Session" not in manifest["counts"]
    assert manifest["format"] == 1 and manifest["counts"]["cases.Case"] == 2
    assert manifest["counts"] == counts(before)

    flush()
    for path in Path(media).rglob("*"):
        if path.is_file():
            path.unlink()
    call_command("restore", str(backup))
    assert "Restored" in capsys.readouterr().out

    after = snapshot()
    assert counts(after) == counts(before)
    assert after == before
    restored = Case.objects.get(pk=case.pk)
    assert restored.visibility == Visibility.INTERNAL and restored.internal_notes == "secret"
    assert restored.current_status == Status.DETAINED == case.current_status
    assert (restored.status_since, restored.status_event_id, restored.updated) == (
        case.status_since,
        case.status_event_id,
        case.updated,
    )
    assert list(restored.history.order_by("history_id").values_list("history_id", "history_user__username", "summary")) == history
    assert User.objects.get(username="editor1").password == password
    assert User.objects.get(username="editor1").pk == data["editor"].pk
    assert User.objects.get(username="editor1").has_perm("cases.publish")
    assert Group.objects.get(name="Researchers").permissions.filter(codename="view_case").exists()
    restored_source = Source.objects.get(pk=source.pk)
    with restored_source.file.open("rb") as file:
        content = file.read()
    assert content == file_bytes
    assert restored_source.sha256 == hashlib.sha256(file_bytes).hexdigest() == source.sha256

    # New rows get fresh ids after the restore.
    assert make_person().pk > max(Person.objects.exclude(name__startswith="Person ").values_list("pk", flat=True))
    assert Group.objects.create(name="New team").pk > Group.objects.get(name="Researchers").pk


def test_a_backup_from_before_tokens_held_names_or_words_is_restored_with_them(data, media, tmp_path, clear_contenttype_cache):
    from cases.models import NameToken, NameWord

    expected = sorted(NameToken.objects.values_list("pk", "name"))
    assert expected and all(name for _pk, name in expected)
    words = sorted(NameWord.objects.values_list("token", flat=True))
    assert words == sorted({token for token in NameToken.objects.values_list("token", flat=True) if names.is_word(token)})
    backup, older = tmp_path / "backup.zip", tmp_path / "older.zip"
    call_command("backup", str(backup))
    # The same backup as an older version of the app wrote it: tokens without
    # the name field, and no table of words.
    with zipfile.ZipFile(backup) as archive, zipfile.ZipFile(older, "w") as copy:
        rows = [row for row in json.loads(archive.read("data.json")) if row["model"] != "cases.nameword"]
        for row in rows:
            if row["model"] == "cases.nametoken":
                del row["fields"]["name"]
        data = json.dumps(rows).encode()
        manifest = json.loads(archive.read("manifest.json"))
        manifest["data_sha256"] = hashlib.sha256(data).hexdigest()
        del manifest["counts"]["cases.NameWord"]
        copy.writestr("manifest.json", json.dumps(manifest))
        copy.writestr("data.json", data)
        for info in archive.infolist():
            if info.filename not in ("manifest.json", "data.json"):
                copy.writestr(info, archive.read(info))
    flush()
    call_command("restore", str(older))
    assert sorted(NameToken.objects.values_list("pk", "name")) == expected
    assert sorted(NameWord.objects.values_list("token", flat=True)) == words


def test_restore_refuses_a_database_that_is_not_empty(data, tmp_path):
    backup = tmp_path / "backup.zip"
    call_command("backup", str(backup))
    before = snapshot()
    with pytest.raises(CommandError, match="database is not empty"):
        call_command("restore", str(backup))
    assert snapshot() == before


def test_a_failed_backup_leaves_no_file(data, tmp_path, monkeypatch):
    from cases import backups

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(backups, "_applied_migrations", broken)
    target = tmp_path / "backup.zip"
    with pytest.raises(RuntimeError):
        call_command("backup", str(target))
    assert list(tmp_path.iterdir()) == [tmp_path / "media"]


def rewrite(source, target, change=None, add=(), fix_checksum=False):
    """Copy a backup zip, changing entries on the way."""
    with zipfile.ZipFile(source) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    if change:
        change(entries)
    if fix_checksum:
        manifest = json.loads(entries["manifest.json"])
        manifest["data_sha256"] = hashlib.sha256(entries["data.json"]).hexdigest()
        entries["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(target, "w") as archive:
        for name, content in [*entries.items(), *add]:
            archive.writestr(name, content)
    return target


def _bad_files(good, tmp_path):
    def edit_manifest(**values):
        def change(entries):
            manifest = json.loads(entries["manifest.json"])
            manifest.update(values)
            entries["manifest.json"] = json.dumps(manifest).encode()

        return change

    def tamper(entries):
        entries["data.json"] = entries["data.json"].replace(b"Held without charge", b"Held with a charge!!")

    def dangling(entries):
        rows = json.loads(entries["data.json"])
        for row in rows:
            if row["model"] == "cases.case":
                row["fields"]["person"] = 999999
        entries["data.json"] = json.dumps(rows).encode()

    content = good.read_bytes()
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(content[: len(content) // 2])
    corrupted = tmp_path / "corrupted.zip"
    flipped = bytearray(content)
    start = content.index(b"data.json") + 200
    flipped[start : start + 50] = bytes(b ^ 0xFF for b in flipped[start : start + 50])
    corrupted.write_bytes(bytes(flipped))
    not_zip = tmp_path / "notes.txt"
    not_zip.write_text("not a backup at all\n")
    return [
        (truncated, "not a backup file|damaged|truncated"),
        (corrupted, "damaged|not a backup file"),
        (not_zip, "not a backup file"),
        (tmp_path / "missing.zip", "No backup file"),
        (rewrite(good, tmp_path / "tampered.zip", tamper), "checksum of data.json does not match"),
        (rewrite(good, tmp_path / "future.zip", edit_manifest(format=99)), "format 99"),
        (
            rewrite(good, tmp_path / "traversal.zip", add=[("media/../../escaped.txt", b"owned")]),
            "unsafe file name",
        ),
        (rewrite(good, tmp_path / "absolute.zip", add=[("media//tmp/escaped.txt", b"owned")]), "unsafe file name"),
        (rewrite(good, tmp_path / "extra.zip", add=[("../escaped.txt", b"owned")]), "unexpected entry"),
        (rewrite(good, tmp_path / "dangling.zip", dangling, fix_checksum=True), "Restore failed, nothing was written"),
        (rewrite(good, tmp_path / "no-manifest.zip", lambda e: e.pop("manifest.json")), "not a backup made by"),
    ]


def test_bad_backup_files_are_refused_and_nothing_is_written(data, media, tmp_path, clear_contenttype_cache):
    good = tmp_path / "backup.zip"
    call_command("backup", str(good))
    bad_files = _bad_files(good, tmp_path)
    flush()
    for path in Path(media).rglob("*"):
        if path.is_file():
            path.unlink()
    empty = snapshot()
    for path, message in bad_files:
        with pytest.raises(CommandError, match=message) as error:
            call_command("restore", str(path))
        assert "\n" not in str(error.value), path
        assert snapshot() == empty, path
        assert media_listing(media) == [], path
        assert not (tmp_path / "escaped.txt").exists() and not Path("/tmp/escaped.txt").exists()
    # The good file still restores after all that.
    call_command("restore", str(good))
    assert Case.objects.count() == 2 and media_listing(media)


# Across database engines --------------------------------------------------


def _postgres_server():
    """A URL of a reachable PostgreSQL server (its `postgres` database), or None with the reasons."""
    candidates = []
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        candidates.append(database_url)
    candidates.append(os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:55432/postgres"))
    import psycopg

    reasons = []
    for url in candidates:
        parts = urlsplit(url)
        server = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
        try:
            with psycopg.connect(server, connect_timeout=3):
                return server, reasons
        except psycopg.Error as error:
            reasons.append(f"{parts.hostname}:{parts.port}: {str(error).strip().splitlines()[0]}")
    return None, reasons


def _manage(env, *args):
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _subprocess_env(database_url, media_root):
    env = {key: value for key, value in os.environ.items() if key not in ("DJANGO_SETTINGS_MODULE", "PYTEST_CURRENT_TEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="tracker.settings",
        DATABASE_URL=database_url,
        DEBUG="1",
        MEDIA_ROOT=str(media_root),
        CONN_MAX_AGE="0",
    )
    return env


def _remote_snapshot(env):
    output = _manage(env, "shell", "-c", SNAPSHOT_CODE + "\nprint(json.dumps(snapshot()))")
    return json.loads(output.strip().splitlines()[-1])


def test_backup_moves_between_sqlite_and_postgresql(data, media, tmp_path):
    server, reasons = _postgres_server()
    if server is None:
        message = "no PostgreSQL server answers (" + "; ".join(reasons) + "); set TEST_POSTGRES_URL"
        if os.environ.get("REQUIRE_POSTGRES_TESTS") == "1":
            pytest.fail("REQUIRE_POSTGRES_TESTS=1 but " + message)
        pytest.skip(message)
    import psycopg

    before = snapshot()
    first = tmp_path / "first.zip"
    call_command("backup", str(first))

    name = f"backup_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        parts = urlsplit(server)
        pg_env = _subprocess_env(urlunsplit(("postgres", parts.netloc, f"/{name}", "", "")), tmp_path / "pg-media")
        _manage(pg_env, "migrate", "--no-input", "-v0")
        _manage(pg_env, "restore", str(first))
        on_postgres = _remote_snapshot(pg_env)
        assert counts(on_postgres) == counts(before)
        assert on_postgres == before
        assert media_listing(tmp_path / "pg-media") == media_listing(media)
        second = tmp_path / "second.zip"
        _manage(pg_env, "backup", str(second))
        with zipfile.ZipFile(second) as archive:
            manifest = json.loads(archive.read("manifest.json"))
        assert manifest["database_vendor"] == "postgresql"
        assert manifest["counts"] == counts(before)

        # Fresh ids on PostgreSQL after the restore: its sequences were reset.
        output = _manage(
            pg_env,
            "shell",
            "-c",
            "from cases.models import Person; from django.contrib.auth.models import Group;"
            "p = Person.objects.create(name='After restore'); g = Group.objects.create(name='After restore');"
            "print(p.pk, g.pk); p.delete(); g.delete()",
        )
        new_person, new_group = map(int, output.split()[-2:])
        assert new_person > max(Person.objects.values_list("pk", flat=True))
        assert new_group > max(Group.objects.values_list("pk", flat=True))

        sqlite_env = _subprocess_env(f"sqlite:///{tmp_path / 'restored.sqlite3'}", tmp_path / "sqlite-media")
        _manage(sqlite_env, "migrate", "--no-input", "-v0")
        _manage(sqlite_env, "restore", str(second))
        on_sqlite = _remote_snapshot(sqlite_env)
        assert counts(on_sqlite) == manifest["counts"]
        assert on_sqlite == before
        assert media_listing(tmp_path / "sqlite-media") == media_listing(media)
        source = data["source"]
        restored_file = tmp_path / "sqlite-media" / source.file.name
        assert hashlib.sha256(restored_file.read_bytes()).hexdigest() == source.sha256
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
