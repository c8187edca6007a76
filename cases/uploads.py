"""Uploaded files: what is accepted, under which name it is stored, and what is removed from it.

A file's type is read from its first bytes, never from its name. Whatever
could identify whoever made or sent a file is removed before it is stored:
photos are re-encoded without their metadata (EXIF can hold the GPS
position and the camera); PDFs lose their author, creator and producer,
their XMP metadata, their scripts, automatic actions and attached files
(pikepdf); Word and OpenDocument files lose their document properties
(creator, last modified by, company, template, editing time) and the names
on comments and tracked changes. A document that cannot be cleaned (locked
with a password, damaged, or carrying macros) is refused with the reason.
"""

import hashlib
import io
import re
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
    elif kind in CLEANERS:
        clean_document(file, kind)  # refuses, with the reason, a document that cannot be cleaned


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
    """Replace a newly uploaded image or document by a copy without its metadata. Plain text is left alone."""
    if not field_file or getattr(field_file, "_committed", True):
        return
    kind = detect_type(_read_head(field_file), field_file)
    if kind in IMAGE_TYPES:
        cleaned = _clean_image(field_file, kind)
    elif kind in CLEANERS:
        cleaned = clean_document(field_file, kind)
    else:
        return
    name = field_file.name
    field_file.file = ContentFile(cleaned, name=name)
    field_file.name = name
    field_file._committed = False


def _clean_image(field_file, kind):
    from PIL import Image, ImageOps

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
    return output.getvalue()


def clean_document(file, kind):
    """The document's bytes without identifying metadata, scripts or attachments; ValidationError when impossible."""
    file.seek(0)
    data = file.read()
    file.seek(0)
    return CLEANERS[kind](data)


# --- PDF -----------------------------------------------------------------

# Actions a reader's PDF viewer could run: scripts, programs, form submissions.
_PDF_ACTIONS_TO_DROP = {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/ResetForm", "/Rendition", "/GoToE", "/RichMediaExecute"}


def _clean_pdf(data):
    import pikepdf

    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        raise ValidationError(
            _("This PDF is locked with a password, so its author details cannot be removed. Save it without the password and upload it again."),
            code="pdf_encrypted",
        ) from None
    except pikepdf.PdfError:
        raise ValidationError(_("This PDF is damaged and cannot be read."), code="pdf_damaged") from None
    with pdf:
        if "/Info" in pdf.trailer:
            del pdf.trailer["/Info"]  # Author, Creator, Producer, Title, dates
        root = pdf.Root
        for key in ("/Metadata", "/OpenAction", "/AA", "/PieceInfo", "/SpiderInfo"):
            if key in root:
                del root[key]
        if "/Names" in root:
            for key in ("/JavaScript", "/EmbeddedFiles"):
                if key in root.Names:
                    del root.Names[key]
        if "/AcroForm" in root and "/XFA" in root.AcroForm:
            del root.AcroForm["/XFA"]  # XFA forms carry their own scripts
        for page in pdf.pages:
            if "/Annots" in page:
                # Attached files hang off "file attachment" annotations too.
                kept = [annot for annot in page.Annots if str(annot.get("/Subtype", "")) != "/FileAttachment"]
                page.Annots = pikepdf.Array(kept)
        for obj in pdf.objects:
            if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                _defuse_pdf_dictionary(obj)
        output = io.BytesIO()
        # The file identifier is derived from the content, not from time and place of saving.
        pdf.save(output, deterministic_id=True)
    return output.getvalue()


def _defuse_pdf_dictionary(obj):
    """Drop automatic actions, metadata streams and runnable actions from one PDF dictionary."""
    # /AF: files associated with the document or a part of it (PDF 2.0).
    for key in ("/AA", "/AF", "/Metadata", "/PieceInfo"):
        if key in obj:
            del obj[key]
    if _pdf_action_kind(obj.get("/A")) in _PDF_ACTIONS_TO_DROP:
        del obj["/A"]
    if _pdf_action_kind(obj) in _PDF_ACTIONS_TO_DROP:
        # An action that other objects point to: emptied where it stands.
        for key in ("/JS", "/F", "/Win", "/Mac", "/Unix", "/Fields"):
            if key in obj:
                del obj[key]


def _pdf_action_kind(obj):
    import pikepdf

    if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)) and "/S" in obj:
        return str(obj["/S"])
    return None


# --- Office documents (Word .docx, OpenDocument .odt) ------------------------

_DOCX_EMPTY_PARTS = {
    "docProps/core.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>'
    ),
    "docProps/app.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"/>'
    ),
    "docProps/custom.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"/>'
    ),
    "word/people.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<w15:people xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml"/>'
    ),
}
# Names on comments and tracked changes (w:author="…", w:initials="…").
_DOCX_PERSON_ATTRIBUTE = re.compile(rb'\b(w:author|w:initials|w15:userId|w15:providerId)="[^"]*"')
# In OpenDocument content: <dc:creator>…</dc:creator> on comments and changes.
_ODT_CREATOR = re.compile(rb"<dc:creator>.*?</dc:creator>", re.DOTALL)
_ODT_META_VERSION = re.compile(rb'office:version="([^"]*)"')
# An uploaded archive may not unpack to more than this many times its size.
_MAX_UNPACKED_RATIO = 50


def _read_archive(data, what):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except zipfile.BadZipFile:
        raise ValidationError(_("This %(kind)s file is damaged and cannot be read.") % {"kind": what}, code="office_damaged") from None
    if sum(entry.file_size for entry in entries) > max(len(data), 1024 * 1024) * _MAX_UNPACKED_RATIO:
        raise ValidationError(_("This %(kind)s file unpacks to far more than its size; it is refused.") % {"kind": what}, code="office_bomb")
    return archive, entries


def _rewrite_archive(archive, entries, replace):
    """A copy of the archive, entry by entry in the same order and compression, with some contents replaced."""
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as copy:
        for entry in entries:
            content = replace(entry.filename, archive.read(entry.filename))
            info = zipfile.ZipInfo(entry.filename, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = entry.compress_type
            info.external_attr = entry.external_attr
            copy.writestr(info, content)
    return output.getvalue()


def _clean_docx(data):
    archive, entries = _read_archive(data, "Word")
    names = {entry.filename for entry in entries}
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise ValidationError(_("This Word file contains macros; save it as a plain .docx without them and upload it again."), code="office_macros")

    def replace(name, content):
        if name in _DOCX_EMPTY_PARTS:
            return _DOCX_EMPTY_PARTS[name].encode()
        if name.startswith("word/") and name.endswith(".xml"):
            return _DOCX_PERSON_ATTRIBUTE.sub(rb'\1=""', content)
        return content

    with archive:
        return _rewrite_archive(archive, entries, replace)


def _clean_odt(data):
    archive, entries = _read_archive(data, "OpenDocument")
    with archive:
        manifest = archive.read("META-INF/manifest.xml") if "META-INF/manifest.xml" in archive.namelist() else b""
        if b"encryption-data" in manifest:
            raise ValidationError(
                _("This OpenDocument file is locked with a password, so its author details cannot be removed. Save it without the password and upload it again."),
                code="office_encrypted",
            )
        if any(entry.filename.startswith(("Basic/", "Scripts/")) for entry in entries):
            raise ValidationError(_("This OpenDocument file contains macros; save it without them and upload it again."), code="office_macros")

        def replace(name, content):
            if name == "meta.xml":
                version = _ODT_META_VERSION.search(content)
                version_attribute = b' office:version="%s"' % version.group(1) if version else b""
                return (
                    b'<?xml version="1.0" encoding="UTF-8"?>\n'
                    b'<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
                    + version_attribute
                    + b"><office:meta/></office:document-meta>"
                )
            if name in ("content.xml", "styles.xml"):
                return _ODT_CREATOR.sub(b"<dc:creator/>", content)
            return content

        return _rewrite_archive(archive, entries, replace)


CLEANERS = {"pdf": _clean_pdf, "docx": _clean_docx, "odt": _clean_odt}


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
