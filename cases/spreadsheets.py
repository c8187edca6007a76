"""Reading a group's list as rows of text: CSV (comma or semicolon), Excel .xlsx, or a JSON list of objects.

Every reader yields the header row first, then each row as a list of
strings, as a stream where the format allows it (a JSON document is parsed
whole). Dates typed into Excel become EDTF days.
"""

import codecs
import csv
import json
import re
import zipfile
from collections import Counter

from django.utils.translation import gettext as _


class ImportFileError(Exception):
    """The file as a whole cannot be read."""


def normalize_header(text):
    return re.sub(r"[^a-z0-9]+", "_", str(text or "").strip().lower()).strip("_") or str(text or "").strip().casefold()


NOT_UTF8 = _(
    "The file is not in UTF-8. In Excel choose File › Save As › “CSV UTF-8 (Comma delimited)”; "
    "in LibreOffice tick “Edit filter settings” and choose “Unicode (UTF-8)”; then import it again."
)


def open_rows(path_or_file, name=""):
    """The rows of a CSV, XLSX or JSON file as lists of strings, header first, read as a stream."""
    handle = open(path_or_file, "rb") if isinstance(path_or_file, (str, bytes)) or hasattr(path_or_file, "__fspath__") else path_or_file
    handle.seek(0)
    head = handle.read(8)
    handle.seek(0)
    if not head:
        raise ImportFileError(_("The file is empty."))
    if head.startswith(b"PK\x03\x04"):
        return _xlsx_rows(handle)
    if head.startswith((b"%PDF", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"\xff\xd8\xff", b"\x7fELF", b"MZ")) or b"\x00" in head:
        raise ImportFileError(_("This is not a spreadsheet: save it as CSV (UTF-8), Excel .xlsx or a JSON list."))
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{"):
        return _json_rows(handle)
    return _csv_rows(handle)


def count_rows(path):
    """About how many rows a file has (for the progress bar): lines of a CSV, items of a JSON list, rows of a sheet."""
    rows = open_rows(path)
    if isinstance(rows, _Counted):
        rows.close()
        return rows.total
    with open(path, "rb") as handle:
        return max(sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")) - 1, 0)


class _Counted:
    """A row iterator that knows its length (and how to let go of its file unread)."""

    def __init__(self, rows, total, close=None):
        self.rows, self.total, self._close = rows, total, close

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.rows)

    def close(self):
        if self._close:
            self._close()


def _csv_rows(handle):
    reader = codecs.getreader("utf-8-sig")(handle, errors="strict")
    try:
        sample = reader.read(8192)
    except UnicodeDecodeError:
        raise ImportFileError(NOT_UTF8) from None
    if not sample.strip():
        raise ImportFileError(_("The file is empty."))
    handle.seek(0)
    reader = codecs.getreader("utf-8-sig")(handle, errors="strict")
    first_line = sample.splitlines()[0]
    # Excel in many European locales writes ; between cells: the header line says which it is.
    delimiter = max(",;\t", key=first_line.count)

    def rows():
        try:
            yield from csv.reader(reader, delimiter=delimiter)
        except UnicodeDecodeError:
            raise ImportFileError(NOT_UTF8) from None
        except csv.Error as error:
            raise ImportFileError(_("The file is not a readable CSV file: %(error)s") % {"error": error}) from None

    return rows()


def _json_rows(handle):
    """A JSON list of objects as rows; nested objects become columns named `outer.inner`, lists are joined with ; ."""
    try:
        data = json.loads(handle.read().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ImportFileError(NOT_UTF8) from None
    except ValueError as error:
        raise ImportFileError(_("The file is not readable JSON: %(error)s") % {"error": error}) from None
    if isinstance(data, dict):
        # {"prisoners": [...]}: the one list inside.
        lists = [value for value in data.values() if isinstance(value, list)]
        data = lists[0] if len(lists) == 1 else None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ImportFileError(_("A JSON file must hold a list of objects, one per person or row."))
    flat = [_flatten(item) for item in data]
    header = list(dict.fromkeys(key for item in flat for key in item))

    def rows():
        yield header
        for item in flat:
            yield [item.get(key, "") for key in header]

    return _Counted(rows(), len(flat))


def _flatten(value, prefix=""):
    result = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict):
            result.update(_flatten(item, name + "."))
        elif isinstance(item, list):
            result[name] = "; ".join(json.dumps(x, ensure_ascii=False) if isinstance(x, (dict, list)) else _json_text(x) for x in item)
        else:
            result[name] = _json_text(item)
    return result


def _json_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _xlsx_rows(handle):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ImportFileError(_("This is not a spreadsheet: save it as CSV (UTF-8), Excel .xlsx or a JSON list.")) from None
    sheet = workbook.worksheets[0]

    def rows():
        try:
            for values in sheet.iter_rows(values_only=True):
                yield ["" if value is None else _cell_text(value) for value in values]
        finally:
            workbook.close()

    return _Counted(rows(), max((sheet.max_row or 1) - 1, 0), workbook.close)


def _cell_text(value):
    if hasattr(value, "isoformat"):
        # A date typed into Excel: keep the day only, as EDTF.
        return value.date().isoformat() if hasattr(value, "date") else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def preview(path, scan=20_000, first=5, distinct=25):
    """Each column's first values and most frequent values (among the first `scan` rows), for the mapping page."""
    rows = open_rows(path)
    header = next(rows, None) or []
    firsts = [[] for _ in header]
    counts = [Counter() for _ in header]
    for n, cells in enumerate(rows):
        if n >= scan:
            break
        for i in range(len(header)):
            value = str(cells[i]).strip() if i < len(cells) else ""
            if value:
                if len(firsts[i]) < first:
                    firsts[i].append(value)
                if len(counts[i]) < 1000 or value in counts[i]:
                    counts[i][value] += 1
    return [
        {"index": i, "heading": heading, "first": firsts[i], "distinct": counts[i].most_common(distinct), "distinct_count": len(counts[i])}
        for i, heading in enumerate(header)
    ]
