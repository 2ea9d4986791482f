"""Attachments: typed by content, at most 5 of 10 MB, stored under random names, all or nothing."""
import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from assistant import db
from assistant.tickets.attachments import display_name, sniff
from assistant.tickets.store import TicketStore

pytestmark = pytest.mark.store  # on SQLite and PostgreSQL (tests/conftest.py)

MB = 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
JPG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64)


def office(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(part, "<x/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("payload.exe", "MZ")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content, name, kind",
    [
        (PDF, "invoice.pdf", "pdf"),
        (PNG, "screenshot.png", "png"),
        (JPG, "photo.jpeg", "jpg"),
        (PNG, "looks-like.pdf", "png"),  # the content decides, not the name
        (office("word/document.xml"), "letter.docx", "docx"),
        (office("xl/workbook.xml"), "prices.xlsx", "xlsx"),
        (office("xl/workbook.xml"), "prices.zip", "xlsx"),
        (b"invoice;amount\nINV-7;120.50\n", "export.csv", "csv"),
        (b"Hello,\nthe PO is 4500012345.\n", "note.txt", "txt"),
        ("Grüße, Ça va, 你好\n".encode(), "notes.txt", "txt"),
        ("Montant;€\n".encode("cp1252"), "excel.csv", "csv"),
        ("utf-16 text".encode("utf-16"), "wide.txt", "txt"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "setup.pdf", None),  # a Windows program
        (b"\x7fELF\x02\x01\x01", "tool.txt", None),
        (b"GIF89a\x01\x00\x01\x00", "anim.gif", None),
        (plain_zip(), "archive.docx", None),
        (b"<!DOCTYPE html><html><script>alert(1)</script>", "page.txt", None),
        (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "logo.png", None),
        (b"text\x00with NUL", "data.txt", None),
    ],
)
def test_type_comes_from_the_content(content, name, kind):
    assert sniff(content[:8192], io.BytesIO(content), name) == kind


@pytest.mark.parametrize(
    "given, shown",
    [("../../etc/passwd", "passwd"), ("C:\\Users\\ana\\facture.pdf", "facture.pdf"), ("发票.pdf", "发票.pdf"),
     ("a\x00b\nc.txt", "abc.txt"), ("", "attachment")],
)
def test_display_names_lose_paths_and_control_characters(given, shown):
    assert display_name(given) == shown


def form(files: list[tuple[bytes, str]], **fields) -> dict:
    data = {"email": "ana@example.com", "subject": "Invoice copy", "description": "See attached.", "lang": "en", **fields}
    data["attachments"] = [(io.BytesIO(content), name) for content, name in files]
    return data


def stored_files(instance: Path) -> list[Path]:
    folder = instance / "attachments"
    return sorted(folder.iterdir()) if folder.exists() else []


def counts(app) -> tuple[int, int]:
    with app.extensions["db"].connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (db.tickets, db.attachments))


def test_multipart_ticket_stores_files_under_random_names(app, client, instance, agent_headers):
    files = [(PDF, "facture mars.pdf"), (PNG, "capture.pdf"), (office("xl/workbook.xml"), "prices.xlsx")]
    response = client.post("/api/v1/tickets", data=form(files, po_numbers=["PO-1", "PO-2"]), content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["references"]["po_numbers"] == ["PO-1", "PO-2"]
    assert [(a["filename"], a["type"]) for a in body["attachments"]] == [
        ("facture mars.pdf", "pdf"), ("capture.pdf", "png"), ("prices.xlsx", "xlsx")]
    on_disk = stored_files(instance)
    assert len(on_disk) == 3
    assert not any(p.name in {"facture mars.pdf", "capture.pdf", "prices.xlsx"} or "." in p.name for p in on_disk)
    assert sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in on_disk) == sorted(a["sha256"] for a in body["attachments"])
    assert app.static_folder is None or Path(app.static_folder) not in on_disk[0].parents

    first = body["attachments"][1]
    download = client.get(f"/api/v1/agent/tickets/{body['number']}/attachments/{first['id']}", headers=agent_headers)
    assert download.status_code == 200 and download.data == PNG
    assert download.mimetype == "image/png"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "files, status, code",
    [
        ([(PDF, f"f{i}.pdf") for i in range(6)], 422, "too_many_files"),
        ([(PDF, "ok.pdf"), (b"MZ\x90\x00" + bytes(100), "invoice.pdf")], 415, "file_type_not_allowed"),
        ([(PNG, "ok.png"), (plain_zip(), "report.docx")], 415, "file_type_not_allowed"),
        ([(PDF, "ok.pdf"), (b"", "empty.txt")], 422, "empty_file"),
        ([(PDF, "ok.pdf"), (b"a" * (10 * MB + 1), "big.txt")], 413, "file_too_large"),
    ],
)
def test_refused_attachments_leave_nothing_behind(app, client, instance, files, status, code):
    response = client.post("/api/v1/tickets", data=form(files), content_type="multipart/form-data")
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    assert stored_files(instance) == []
    assert counts(app) == (0, 0)


def test_the_error_names_the_file_and_the_allowed_types(client):
    response = client.post("/api/v1/tickets", data=form([(b"MZ\x90\x00", "invoice.pdf")]), content_type="multipart/form-data")
    message = response.get_json()["error"]["message"]
    assert "'invoice.pdf'" in message and "pdf, png, jpg, csv, xlsx, docx, txt" in message


def test_exactly_ten_megabytes_is_accepted(client, instance):
    response = client.post("/api/v1/tickets", data=form([(b"a" * (10 * MB), "big.txt")]), content_type="multipart/form-data")
    assert response.status_code == 201
    assert response.get_json()["attachments"][0]["size"] == 10 * MB
    assert len(stored_files(instance)) == 1


def test_a_failed_ticket_transaction_removes_the_files(app, client, instance, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(TicketStore, "create", fail)
    response = client.post("/api/v1/tickets", data=form([(PDF, "a.pdf"), (PNG, "b.png")]), content_type="multipart/form-data")
    assert response.status_code == 500
    assert "Traceback" not in response.get_data(as_text=True)
    assert stored_files(instance) == []


def test_reply_with_an_attachment(client, raise_ticket, instance):
    number, reference, _ = raise_ticket()
    response = client.post(f"/api/v1/tickets/{number}/reply", data={"message": "Here it is.", "attachments": [(io.BytesIO(PDF), "po.pdf")]},
                           content_type="multipart/form-data", headers={"X-Ticket-Key": reference})
    assert response.status_code == 200
    assert [a["filename"] for a in response.get_json()["attachments"]] == ["po.pdf"]
    assert len(stored_files(instance)) == 1
