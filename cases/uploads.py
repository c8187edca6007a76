"""Uploaded files: what is accepted, under which name it is stored, and what is removed from it.

A file's type is read from its first bytes, never from its name. Photos are
re-encoded without their metadata, because a photo's EXIF can hold the GPS
position and camera of whoever took it.
"""

import hashlib
import io
import uuid
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

IMAGE_TYPES = {"jpeg": "jpg", "png": "png", "webp": "webp"}
DOCUMENT_TYPES = {"pdf": "pdf", "docx": "docx", "odt": "odt", "text": "txt"}


def detect_type(head, file=None):
    """The kind of a file from its first bytes, or None when it is not one we accept."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"PK\x03\x04") and file is not None:
        return _office_type(file)
    if head and b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            # The first bytes may end inside a character; anything else is not text.
            if error.start < len(head) - 3:
                return None
        return "text"
    return None


def _office_type(file):
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            if "word/document.xml" in names:
                return "docx"
            if "mimetype" in names and archive.read("mimetype") == b"application/vnd.oasis.opendocument.text":
                return "odt"
    except zipfile.BadZipFile:
        return None
    finally:
        file.seek(0)
    return None


def _read_head(file):
    file.seek(0)
    head = file.read(2048)
    file.seek(0)
    return head


def _check_size(file):
    limit = settings.MAX_UPLOAD_MB * 1024 * 1024
    if file.size > limit:
        raise ValidationError(
            _("This file is %(size).1f MB; the largest accepted is %(limit)d MB.")
            % {"size": file.size / 1024 / 1024, "limit": settings.MAX_UPLOAD_MB},
            code="file_too_large",
        )


def validate_source_file(file):
    if getattr(file, "_committed", False):
        return  # stored earlier, and checked then
    _check_size(file)
    kind = detect_type(_read_head(file), file)
    if kind not in IMAGE_TYPES and kind not in DOCUMENT_TYPES:
        raise ValidationError(
            _("This file is not one of the accepted kinds (PDF, JPEG, PNG, WebP, Word .docx, OpenDocument .odt, plain text), whatever its name says."),
            code="file_type",
        )
    if kind in IMAGE_TYPES:
        _check_image(file)


def validate_photo(file):
    if getattr(file, "_committed", False):
        return
    _check_size(file)
    if detect_type(_read_head(file)) not in IMAGE_TYPES:
        raise ValidationError(_("A photo must be a JPEG, PNG or WebP image."), code="photo_type")
    _check_image(file)


def _check_image(file):
    from PIL import Image

    try:
        with Image.open(file) as image:
            image.verify()
    except Exception:
        raise ValidationError(_("This image is damaged or incomplete."), code="bad_image") from None
    finally:
        file.seek(0)


def strip_metadata(field_file):
    """Re-encode a newly uploaded image without EXIF, GPS, XMP or text chunks. Other files are left alone."""
    if not field_file or getattr(field_file, "_committed", True):
        return
    from PIL import Image, ImageOps

    kind = detect_type(_read_head(field_file))
    if kind not in IMAGE_TYPES:
        return
    with Image.open(field_file) as image:
        # Turn the picture upright first: the orientation tag goes with the rest.
        upright = ImageOps.exif_transpose(image)
        clean = upright.copy()
    clean.info = {}
    output = io.BytesIO()
    options = {"quality": 90} if kind in ("jpeg", "webp") else {}
    if kind == "jpeg" and clean.mode not in ("RGB", "L"):
        clean = clean.convert("RGB")
    clean.save(output, format=kind.upper(), **options)
    name = field_file.name
    field_file.file = ContentFile(output.getvalue(), name=name)
    field_file.name = name
    field_file._committed = False


def sha256(field_file):
    digest = hashlib.sha256()
    field_file.seek(0)
    for chunk in field_file.chunks():
        digest.update(chunk)
    field_file.seek(0)
    return digest.hexdigest()


EXTENSIONS = {**IMAGE_TYPES, **DOCUMENT_TYPES}


def _generated_name(folder, field_file):
    # A generated name: an uploaded file's own name can identify whoever sent
    # it, and its extension comes from the content, never from what was claimed.
    extension = EXTENSIONS.get(detect_type(_read_head(field_file), field_file), "bin")
    return f"{folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"


def source_path(instance, filename):
    return _generated_name("sources", instance.file)


def photo_path(instance, filename):
    return _generated_name("photos", instance.photo)
