"""Backing up the whole tracker into one zip file, and restoring it into an empty database.

The zip holds:

- ``data.json``: every row of every table (sessions excepted), in Django's
  JSON serialization. Foreign keys to content types, permissions, users and
  groups are written as natural keys, and content types and permissions carry
  no primary key, so they map onto the rows ``migrate`` made on another
  database. All other rows keep their primary keys (history entries refer to
  records by id).
- ``media/...``: every file under MEDIA_ROOT.
- ``manifest.json``: format version, when and from what it was made, the row
  count of every model, the applied migrations, and the SHA-256 of data.json.
"""

import contextlib
import datetime
import hashlib
import io
import json
import os
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

import django
from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management.base import CommandError
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.json import Serializer as JSONSerializer
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models.signals import post_delete, post_save, pre_save

FORMAT_VERSION = 1
DATA_NAME = "data.json"
MANIFEST_NAME = "manifest.json"
MEDIA_PREFIX = "media/"

# Never backed up: logins do not move between servers.
EXCLUDED_MODELS = {"sessions.session"}
# Made by `migrate` on every database; matched by natural key, not by id.
NATURAL_PRIMARY_MODELS = {"contenttypes.contenttype", "auth.permission"}
# Rows `migrate` makes that a restore may find and replace.
MIGRATE_MADE_MODELS = NATURAL_PRIMARY_MODELS | {"auth.group"}

CHUNK = 1024 * 1024


def backed_up_models():
    """Every concrete model with a table, in an order that loads (natural-key models first)."""
    app_list = {}
    for config in apps.get_app_configs():
        models = [
            model
            for model in config.get_models()
            if model._meta.managed
            and not model._meta.proxy
            and model._meta.label_lower not in EXCLUDED_MODELS
        ]
        if models:
            app_list[config] = models
    return serializers.sort_dependencies(app_list.items(), allow_cycles=True)


class PreciseJSONEncoder(DjangoJSONEncoder):
    """Django's encoder, but keeping the microseconds of times (Django's own cuts them to milliseconds)."""

    def default(self, o):
        if isinstance(o, datetime.datetime):
            return o.isoformat()
        if isinstance(o, datetime.time) and not o.utcoffset():
            return o.isoformat()
        return super().default(o)


class _Serializer(JSONSerializer):
    """JSON with natural primary keys only for content types and permissions."""

    def get_dump_object(self, obj):
        data = {"model": str(obj._meta)}
        if obj._meta.label_lower not in NATURAL_PRIMARY_MODELS:
            data["pk"] = self._value_from_field(obj, obj._meta.pk)
        data["fields"] = self._current
        return data


class _HashingWriter(io.RawIOBase):
    def __init__(self, target):
        self.target = target
        self.hash = hashlib.sha256()
        self.size = 0

    def writable(self):
        return True

    def write(self, data):
        self.hash.update(data)
        self.size += len(data)
        self.target.write(data)
        return len(data)


def _applied_migrations(using):
    recorder = MigrationRecorder(connections[using])
    applied = {}
    for app_label, name in sorted(recorder.applied_migrations()):
        applied.setdefault(app_label, []).append(name)
    return applied


def media_files(root, skip=()):
    """(path, name inside the zip) for every regular file under `root`, sorted."""
    root = Path(root)
    if not root.is_dir():
        return []
    skip = {Path(p).resolve() for p in skip}
    found = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for filename in sorted(filenames):
            path = Path(directory) / filename
            if path.is_symlink() or not path.is_file() or path.resolve() in skip:
                continue
            relative = path.relative_to(root).as_posix()
            found.append((path, MEDIA_PREFIX + relative))
    return found


def _write_zip(archive, using):
    counts = {}

    def objects():
        for model in backed_up_models():
            if not router.allow_migrate_model(using, model):
                continue
            counts[model._meta.label] = 0
            queryset = model._base_manager.using(using).order_by(model._meta.pk.name)
            for obj in queryset.iterator(chunk_size=2000):
                counts[model._meta.label] += 1
                yield obj

    info = zipfile.ZipInfo(DATA_NAME, date_time=datetime.datetime.now().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as entry:
        hashing = _HashingWriter(entry)
        text = io.TextIOWrapper(io.BufferedWriter(hashing, CHUNK), encoding="utf-8", newline="\n")
        _Serializer().serialize(
            objects(),
            stream=text,
            use_natural_foreign_keys=True,
            use_natural_primary_keys=True,
            cls=PreciseJSONEncoder,
        )
        text.flush()
        text.detach().flush()
    return counts, hashing.hash.hexdigest(), hashing.size


@contextlib.contextmanager
def _snapshot(using):
    """One consistent view of the database while it is read (REPEATABLE READ on PostgreSQL)."""
    connection = connections[using]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def backup(path, using=DEFAULT_DB_ALIAS):
    """Write the backup to `path` (via a temporary file and a rename). Returns a summary dict."""
    path = Path(path).absolute()
    if path.is_dir():
        raise CommandError(f"{path} is a directory; give the name of the backup file to write.")
    if not path.parent.is_dir():
        raise CommandError(f"Cannot write {path}: the folder {path.parent} does not exist.")
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, 0o600)  # personal data and password hashes
        with os.fdopen(fd, "wb") as raw:
            with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
                with _snapshot(using):
                    counts, data_sha256, data_size = _write_zip(archive, using)
                    migrations = _applied_migrations(using)
                media_root = Path(settings.MEDIA_ROOT)
                files = media_files(media_root, skip=[path, tmp])
                media_bytes = 0
                for file_path, name in files:
                    archive.write(file_path, name)
                    media_bytes += file_path.stat().st_size
                manifest = {
                    "format": FORMAT_VERSION,
                    "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                    "django": django.get_version(),
                    "database_vendor": connections[using].vendor,
                    "counts": counts,
                    "rows": sum(counts.values()),
                    "migrations": migrations,
                    "data_sha256": data_sha256,
                    "data_bytes": data_size,
                    "media_files": len(files),
                    "media_bytes": media_bytes,
                }
                archive.writestr(MANIFEST_NAME, json.dumps(manifest, indent=2, sort_keys=True))
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    manifest["size"] = path.stat().st_size
    return manifest


# Restore ------------------------------------------------------------------


def _media_target(name, root):
    """Where the zip entry `name` goes under `root`, refusing anything that would leave it."""
    relative = name[len(MEDIA_PREFIX):]
    parts = PurePosixPath(relative).parts
    if (
        not relative
        or "\\" in relative
        or "\x00" in relative
        or relative.startswith("/")
        or any(part in ("", ".", "..") for part in parts)
        or ":" in parts[0]
    ):
        raise CommandError(f"Refusing to restore: the backup holds an unsafe file name {name!r}.")
    root = Path(root).resolve()
    target = (root / Path(*parts)).resolve()
    if target == root or root not in target.parents:
        raise CommandError(f"Refusing to restore: the file {name!r} would be written outside MEDIA_ROOT.")
    return target


def _open_backup(path):
    path = Path(path)
    if not path.is_file():
        raise CommandError(f"No backup file at {path}.")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
        raise CommandError(f"{path} is not a backup file (not a readable zip: {error}).") from None
    return archive


def check_backup(archive, path):
    """Check the zip before anything is written; returns (manifest, [(entry, target path)])."""
    try:
        names = archive.namelist()
        if MANIFEST_NAME not in names or DATA_NAME not in names:
            raise CommandError(f"{path} is not a backup made by `manage.py backup` (no manifest.json or data.json).")
        try:
            manifest = json.loads(archive.read(MANIFEST_NAME))
        except ValueError:
            raise CommandError(f"{path} is damaged: its manifest.json is not valid JSON.") from None
        if not isinstance(manifest, dict):
            raise CommandError(f"{path} is damaged: its manifest.json is not an object.")
        version = manifest.get("format")
        if version != FORMAT_VERSION:
            raise CommandError(
                f"{path} has backup format {version!r}, which this version cannot read (it reads format {FORMAT_VERSION})."
            )
        media = []
        for info in archive.infolist():
            name = info.filename
            if name in (MANIFEST_NAME, DATA_NAME):
                continue
            if not name.startswith(MEDIA_PREFIX):
                raise CommandError(f"Refusing to restore: unexpected entry {name!r} in {path}.")
            if name.endswith("/"):
                _media_target(name.rstrip("/") + "/x", settings.MEDIA_ROOT)
                continue
            media.append((info, _media_target(name, settings.MEDIA_ROOT)))
        digest = hashlib.sha256()
        with archive.open(DATA_NAME) as entry:
            for chunk in iter(lambda: entry.read(CHUNK), b""):
                digest.update(chunk)
        if digest.hexdigest() != manifest.get("data_sha256"):
            raise CommandError(f"{path} is damaged: the checksum of data.json does not match its manifest.")
        bad = archive.testzip()
        if bad is not None:
            raise CommandError(f"{path} is damaged: the entry {bad!r} fails its CRC check.")
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, zipfile.LargeZipFile) as error:
        raise CommandError(f"{path} is damaged or truncated: {error}.") from None
    for info, target in media:
        if target.exists() and (not target.is_file() or _sha256_file(target) != _sha256_entry(archive, info)):
            raise CommandError(
                f"Refusing to restore: {target} already exists with different content; move it out of MEDIA_ROOT first."
            )
    return manifest, media


def _sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sha256_entry(archive, info):
    digest = hashlib.sha256()
    with archive.open(info) as entry:
        for chunk in iter(lambda: entry.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def existing_rows(using):
    """{model label: rows} for the tables that must be empty before a restore."""
    from django.contrib.auth.models import Group

    from . import roles

    found = {}
    for model in backed_up_models():
        label = model._meta.label_lower
        if label in NATURAL_PRIMARY_MODELS or not router.allow_migrate_model(using, model):
            continue
        queryset = model._base_manager.using(using)
        if model is Group:
            queryset = queryset.exclude(name__in=[roles.EDITOR, roles.PUBLISHER, roles.ADMINISTRATOR])
        count = queryset.count()
        if count:
            found[model._meta.label] = count
    return found


def _check_migrations(manifest, using):
    wanted = manifest.get("migrations") or {}
    applied = _applied_migrations(using)
    missing = [
        f"{app}.{name}" for app, names in sorted(wanted.items()) for name in names if name not in applied.get(app, [])
    ]
    if missing:
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        raise CommandError(
            f"Refusing to restore: the backup was made with migrations this database lacks ({shown}); "
            "update the code and run `manage.py migrate` first."
        )


@contextlib.contextmanager
def _derived_field_signals_off():
    """Load rows exactly as they were backed up: no recomputed statuses, slugs or `updated` times."""
    from . import signals
    from .models import Citation, Event, NameVariant, Person, Source

    handlers = [
        (pre_save, signals.fill_derived_fields, None, "cases_fill_derived_fields"),
        (post_save, signals.event_saved, Event, "cases_event_saved"),
        (post_delete, signals.event_deleted, Event, "cases_event_deleted"),
        (post_save, signals.citation_changed, Citation, "cases_citation_saved"),
        (post_delete, signals.citation_changed, Citation, "cases_citation_deleted"),
        (post_save, signals.source_saved, Source, "cases_source_saved"),
        # The name index is in the backup too, row for row.
        (post_save, signals.name_saved, Person, "cases_person_name_saved"),
        (post_save, signals.name_saved, NameVariant, "cases_variant_name_saved"),
    ]
    off = []
    try:
        for signal, receiver, sender, uid in handlers:
            if signal.disconnect(sender=sender, dispatch_uid=uid):
                off.append((signal, receiver, sender, uid))
        yield
    finally:
        for signal, receiver, sender, uid in off:
            signal.connect(receiver, sender=sender, dispatch_uid=uid)


def _load(archive, using):
    from django.contrib.auth.models import Group

    connection = connections[using]
    loaded_models = set()
    counts = {}
    deferred = []
    Group.objects.using(using).all().delete()  # the role groups `migrate` made; the backup has its own
    with archive.open(DATA_NAME) as entry:
        objects = serializers.deserialize("json", entry, using=using, handle_forward_references=True)
        for obj in objects:
            model = type(obj.object)
            if not router.allow_migrate_model(using, model):
                continue
            obj.save(using=using)
            loaded_models.add(model)
            counts[model._meta.label] = counts.get(model._meta.label, 0) + 1
            if obj.deferred_fields:
                deferred.append(obj)
    for obj in deferred:
        obj.save_deferred_fields(using=using)
    connection.check_constraints(table_names=[model._meta.db_table for model in loaded_models])
    statements = connection.ops.sequence_reset_sql(no_style(), list(loaded_models))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
    return counts


def restore(path, using=DEFAULT_DB_ALIAS):
    """Restore the backup at `path` into an empty database; all or nothing. Returns a summary dict."""
    archive = _open_backup(path)
    written = []
    with archive:
        manifest, media = check_backup(archive, path)
        _check_migrations(manifest, using)
        try:
            with transaction.atomic(using=using):
                found = existing_rows(using)
                if found:
                    shown = ", ".join(f"{label}: {n}" for label, n in sorted(found.items()))
                    raise CommandError(
                        f"Refusing to restore: the database is not empty ({shown}); restore only into a new, migrated database."
                    )
                try:
                    with _derived_field_signals_off():
                        counts = _load(archive, using)
                except CommandError:
                    raise
                except Exception as error:
                    detail = " ".join(str(error).split())
                    raise CommandError(f"Restore failed, nothing was written: {type(error).__name__}: {detail}") from error
                expected = manifest.get("counts") or {}
                wrong = {
                    label: (n, counts.get(label, 0)) for label, n in expected.items() if counts.get(label, 0) != n
                }
                if wrong:
                    raise CommandError(
                        "Restore failed, nothing was written: rows loaded differ from the manifest "
                        + ", ".join(f"{label} {want}≠{got}" for label, (want, got) in sorted(wrong.items()))
                    )
                from .models import fill_name_words, fill_token_names

                fill_token_names(using)
                fill_name_words(using)
                # The database is in; now the files, still inside the transaction so that a
                # failure here undoes the rows too.
                try:
                    for info, target in media:
                        if target.exists():
                            continue  # checked above: the same bytes
                        target.parent.mkdir(parents=True, exist_ok=True)
                        fd, part = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
                        try:
                            with os.fdopen(fd, "wb") as out, archive.open(info) as entry:
                                for chunk in iter(lambda: entry.read(CHUNK), b""):
                                    out.write(chunk)
                            os.replace(part, target)
                        except BaseException:
                            with contextlib.suppress(FileNotFoundError):
                                os.unlink(part)
                            raise
                        written.append(target)
                except (OSError, zlib.error, zipfile.BadZipFile) as error:
                    detail = " ".join(str(error).split())
                    raise CommandError(f"Restore failed, nothing was written: cannot write media files: {detail}") from error
        except BaseException:
            for target in written:
                with contextlib.suppress(FileNotFoundError):
                    target.unlink()
            raise
    return {"rows": sum(counts.values()), "counts": counts, "files": len(written), "manifest": manifest}
