"""Uploads: accepted by content and size, stored under generated names, photos without their metadata."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from cases.models import Person, Source, Visibility
from cases.roles import EDITOR
from tests.conftest import admin_form_data, make_pdf, make_person, make_source, staff_client

pytestmark = pytest.mark.django_db

GPS_TAG = 0x8825


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def editor():
    return staff_client("editor", EDITOR)


def jpeg_with_gps():
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[0x0112] = 6  # orientation: rotated
    exif.get_ifd(GPS_TAG).update({1: "N", 2: (38.0, 33.0, 0.0), 3: "E", 4: (68.0, 46.0, 0.0)})
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif)
    return output.getvalue()


def upload_source_file(client, source, name, content):
    url = f"/admin/cases/source/{source.pk}/change/"
    data = admin_form_data(client.get(url))
    data["file"] = SimpleUploadedFile(name, content)
    return client.post(url, data)


def test_photo_with_gps_is_stored_without_any_exif(editor):
    person = make_person(name="A Person")
    url = f"/admin/cases/person/{person.pk}/change/"
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_TAG), "the test photo has GPS data"
    data = admin_form_data(editor.get(url))
    data["photo"] = SimpleUploadedFile("IMG_2041 at home.jpg", original, content_type="image/jpeg")
    assert editor.post(url, data).status_code == 302
    person.refresh_from_db()
    assert "IMG_2041" not in person.photo.name and person.photo.name.endswith(".jpg")
    with person.photo.open("rb") as stored, Image.open(stored) as image:
        assert len(image.getexif()) == 0
        assert image.size == (30, 40), "turned upright before the orientation tag was dropped"
    assert b"PhoneMaker" not in person.photo.open("rb").read()


def test_source_file_gets_a_generated_name_an_extension_from_its_content_and_a_checksum(editor):
    import hashlib

    source = make_source()
    assert upload_source_file(editor, source, "informant-name.html", make_pdf()).status_code == 302
    source.refresh_from_db()
    assert source.file.name.endswith(".pdf") and "informant" not in source.file.name
    assert source.sha256 == hashlib.sha256(source.file.open("rb").read()).hexdigest()


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("statement.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100, "not one of the accepted kinds"),
        ("page.pdf", b"\x00\x01<html><script>alert(1)</script>", "not one of the accepted kinds"),
        ("photo.jpg", b"\xff\xd8\xff\xe0 this is not really a jpeg", "damaged or incomplete"),
    ],
)
def test_a_forbidden_or_disguised_file_is_refused_with_a_message(editor, name, content, message):
    source = make_source()
    response = upload_source_file(editor, source, name, content)
    assert response.status_code == 200
    assert message in response.content.decode()
    source.refresh_from_db()
    assert not source.file


def test_a_file_over_the_size_limit_is_refused(editor, settings):
    settings.MAX_UPLOAD_MB = 1
    source = make_source()
    response = upload_source_file(editor, source, "big.txt", b"a" * (1024 * 1024 + 1))
    assert "the largest accepted is 1 MB" in response.content.decode()
    source.refresh_from_db()
    assert not source.file


def test_a_photo_must_be_an_image(editor):
    person = make_person()
    url = f"/admin/cases/person/{person.pk}/change/"
    data = admin_form_data(editor.get(url))
    data["photo"] = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not a photo")
    response = editor.post(url, data)
    assert response.status_code == 200
    person.refresh_from_db()
    assert not person.photo


def test_files_are_served_publicly_only_for_public_records(client, editor):
    source = make_source()
    upload_source_file(editor, source, "a.txt", b"plain words")
    client.logout()
    source.refresh_from_db()
    response = client.get(f"/sources/{source.pk}/file")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert b"".join(response.streaming_content) == b"plain words"
    # The stored path itself is for staff only, and an internal source's file is not public.
    assert client.get(source.file.url).status_code == 302
    Source.objects.filter(pk=source.pk).update(visibility=Visibility.INTERNAL)
    assert client.get(f"/sources/{source.pk}/file").status_code == 404


def test_a_photo_is_public_only_with_its_person(client):
    person = make_person(slug="pictured", photo=SimpleUploadedFile("p.jpg", jpeg_with_gps()))
    response = client.get("/people/pictured/photo")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert 'src="/people/pictured/photo"' in client.get("/people/pictured/").content.decode()
    Person.objects.filter(pk=person.pk).update(visibility=Visibility.INTERNAL)
    assert client.get("/people/pictured/photo").status_code == 404


# --- Documents: author details, scripts and attachments removed -------------


def stored(source):
    source.refresh_from_db()
    with source.file.open("rb") as handle:
        return handle.read()


def test_a_pdf_is_stored_without_its_author_xmp_script_or_attached_file(editor):
    import pikepdf

    original = make_pdf(author="Informant Name", script="app.alert('run')", attachment=b"list of names")
    assert b"Informant Name" in original and b"app.alert" in original and b"list of names" in original
    source = make_source()
    assert upload_source_file(editor, source, "letter.pdf", original).status_code == 302
    content = stored(source)
    for secret in (b"Informant Name", b"PDF maker", b"app.alert", b"list of names", b"attached.txt", b"JavaScript"):
        assert secret not in content
    with pikepdf.open(io.BytesIO(content)) as pdf:
        assert len(pdf.pages) == 1, "the document itself is kept"
        assert not dict(pdf.docinfo)
        assert "/Metadata" not in pdf.Root and "/OpenAction" not in pdf.Root
        assert not pdf.attachments


def test_a_pdf_locked_with_a_password_is_refused_with_the_reason(editor):
    import pikepdf

    locked = io.BytesIO()
    with pikepdf.open(io.BytesIO(make_pdf(author="Informant Name"))) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(user="secret", owner="secret"))
    source = make_source()
    response = upload_source_file(editor, source, "letter.pdf", locked.getvalue())
    assert response.status_code == 200
    assert "This PDF is locked with a password" in response.content.decode()
    source.refresh_from_db()
    assert not source.file


def test_a_damaged_pdf_is_refused(editor):
    source = make_source()
    response = upload_source_file(editor, source, "letter.pdf", b"%PDF-1.4 nothing after this")
    assert "This PDF is damaged and cannot be read." in response.content.decode()


def office_file(parts, first=None):
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        if first:
            archive.writestr(zipfile.ZipInfo(first[0]), first[1])  # stored, uncompressed, as ODF wants
        for name, content in parts.items():
            archive.writestr(name, content)
    return output.getvalue()


DOCX_CORE = (
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Informant Name</dc:creator>'
    "<cp:lastModifiedBy>Second Editor</cp:lastModifiedBy></cp:coreProperties>"
)


def make_docx():
    return office_file(
        {
            "[Content_Types].xml": "<Types/>",
            "docProps/core.xml": DOCX_CORE,
            "docProps/app.xml": "<Properties><Company>Human Rights Office</Company><TotalTime>42</TotalTime></Properties>",
            "word/document.xml": '<w:document><w:ins w:author="Second Editor" w:date="2024-01-01">He was detained.</w:ins></w:document>',
            "word/comments.xml": '<w:comments><w:comment w:author="Informant Name" w:initials="IN">check</w:comment></w:comments>',
        }
    )


def test_a_word_file_is_stored_without_its_creator_editors_or_company(editor):
    source = make_source()
    assert upload_source_file(editor, source, "letter.docx", make_docx()).status_code == 302
    content = stored(source)
    assert source.file.name.endswith(".docx")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        everything = b"".join(archive.read(name) for name in archive.namelist())
        assert b"He was detained." in archive.read("word/document.xml")
        assert b"check" in archive.read("word/comments.xml")
    for secret in (b"Informant Name", b"Second Editor", b"Human Rights Office", b"IN\""):
        assert secret not in everything


def test_a_word_file_with_macros_is_refused(editor):
    docx = office_file({"word/document.xml": "<w:document/>", "word/vbaProject.bin": b"macro"})
    source = make_source()
    response = upload_source_file(editor, source, "letter.docx", docx)
    assert "This Word file contains macros" in response.content.decode()


def make_odt(manifest="<manifest/>"):
    return office_file(
        {
            "META-INF/manifest.xml": manifest,
            "meta.xml": (
                '<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" office:version="1.3">'
                "<office:meta><meta:initial-creator>Informant Name</meta:initial-creator>"
                "<dc:creator>Second Editor</dc:creator><meta:editing-duration>PT42M</meta:editing-duration></office:meta>"
                "</office:document-meta>"
            ),
            "content.xml": "<office:text><office:annotation><dc:creator>Informant Name</dc:creator></office:annotation>He was detained.</office:text>",
        },
        first=("mimetype", "application/vnd.oasis.opendocument.text"),
    )


def test_an_opendocument_file_is_stored_without_its_creators(editor):
    source = make_source()
    assert upload_source_file(editor, source, "letter.odt", make_odt()).status_code == 302
    with zipfile.ZipFile(io.BytesIO(stored(source))) as archive:
        assert archive.namelist()[0] == "mimetype" and archive.infolist()[0].compress_type == zipfile.ZIP_STORED
        meta = archive.read("meta.xml")
        content = archive.read("content.xml")
    assert b'office:version="1.3"' in meta and b"<office:meta/>" in meta
    assert b"He was detained." in content
    assert b"Informant Name" not in meta + content and b"Second Editor" not in meta


def test_an_opendocument_file_locked_with_a_password_is_refused(editor):
    odt = make_odt(manifest="<manifest><manifest:encryption-data/></manifest>")
    source = make_source()
    response = upload_source_file(editor, source, "letter.odt", odt)
    assert "This OpenDocument file is locked with a password" in response.content.decode()
    source.refresh_from_db()
    assert not source.file
