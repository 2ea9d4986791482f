"""Payment/PO status: the provider interface, the built-in ERP-export provider and its API."""
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from assistant import create_app, payments
from assistant.payments import CsvProvider, PaymentRecord, PaymentsUnavailable, choose, iso_date, normalise_status

from .support import matches_document
from .test_sessions import log_in

EXPORT = """\ufeffSupplier Number;Supplier Email;Invoice Number;PO Number;Amount;Currency;Status;Due Date;Paid Date
S-1001;Ana@Lima.example;INV-7;4500012345;1234.50;brl;Paid;2025-03-31;2025-03-28
S-1001;ana@lima.example;INV-8;4500012345;99.90;BRL;on hold;2025-04-30;
S-2002;someone@else.example;INV-7;4500099999;5000.00;EUR;Open;2025-04-30;
S-1001;ana@lima.example;INV-9;;10;BRL;Zahlung läuft;31.05.2025;
"""


@pytest.fixture
def erp_app(instance, built_index):
    (instance / "erp.csv").write_text(EXPORT, encoding="utf-8")
    app = create_app({"INSTANCE": str(instance), "INDEX": str(built_index), "BACKGROUND_WORKER": False,
                      "TESTING": True, "PAYMENTS_CSV": "erp.csv"})
    yield app
    app.extensions["db"].dispose()


def test_without_a_provider_the_api_says_not_connected(client):
    status = client.get("/api/v1/payments/status")
    assert status.get_json() == {"connected": False, "provider": None}
    matches_document("/api/v1/payments/status", "get", status)
    lookup = client.get("/api/v1/payments?invoice=INV-7")  # before any session: nothing to prove for nothing
    assert lookup.status_code == 503 and lookup.get_json()["error"]["code"] == "not_connected"
    matches_document("/api/v1/payments", "get", lookup)


def test_lookup_needs_the_email_code_session(erp_app):
    client = erp_app.test_client()
    assert client.get("/api/v1/payments/status").get_json() == {"connected": True, "provider": "csv"}
    response = client.get("/api/v1/payments?invoice=INV-7")
    assert response.status_code == 401
    matches_document("/api/v1/payments", "get", response)


def test_only_rows_of_the_proven_email_are_returned(erp_app):
    client = erp_app.test_client()
    log_in(client, erp_app, "ana@lima.example")
    response = client.get("/api/v1/payments?invoice=inv-7")
    assert response.status_code == 200
    matches_document("/api/v1/payments", "get", response)
    body = response.get_json()
    assert (body["email"], body["invoice"], body["po"]) == ("ana@lima.example", "inv-7", None)
    assert body["payments"] == [{
        "supplier_number": "S-1001", "supplier_email": "ana@lima.example", "invoice_number": "INV-7",
        "po_number": "4500012345", "amount": "1234.50", "currency": "BRL", "status": "paid", "status_text": "Paid",
        "due_date": "2025-03-31", "paid_date": "2025-03-28"}]
    by_po = client.get("/api/v1/payments?po=4500012345").get_json()["payments"]
    assert [row["invoice_number"] for row in by_po] == ["INV-7", "INV-8"]
    assert by_po[1]["status"] == "blocked" and by_po[1]["paid_date"] is None
    assert client.get("/api/v1/payments?po=4500099999").get_json()["payments"] == []  # someone else's PO
    odd = client.get("/api/v1/payments?invoice=INV-9").get_json()["payments"][0]
    assert (odd["status"], odd["status_text"], odd["due_date"], odd["po_number"]) == ("other", "Zahlung läuft", "31.05.2025", None)


def test_a_reference_is_required(erp_app):
    client = erp_app.test_client()
    log_in(client, erp_app, "ana@lima.example")
    response = client.get("/api/v1/payments")
    assert response.status_code == 422
    matches_document("/api/v1/payments", "get", response)


def test_a_provider_that_returns_other_suppliers_rows_is_filtered(erp_app):
    class Careless:
        name = "careless"

        def find(self, email, *, invoice=None, po=None):
            mine = PaymentRecord("S-1", email, "INV-1", None, "1", "EUR", "open", "Open", None, None)
            return [mine, PaymentRecord("S-2", "other@example.com", "INV-1", None, "2", "EUR", "open", "Open", None, None)]

    erp_app.extensions["payments"] = Careless()
    client = erp_app.test_client()
    log_in(client, erp_app, "ana@lima.example")
    rows = client.get("/api/v1/payments?invoice=INV-1").get_json()["payments"]
    assert [row["supplier_email"] for row in rows] == ["ana@lima.example"]


def test_an_unreadable_export_is_503_not_an_empty_answer(erp_app):
    client = erp_app.test_client()
    log_in(client, erp_app, "ana@lima.example")
    Path(erp_app.instance_path, "erp.csv").write_text("supplier_email;invoice_number\nana@lima.example;INV-7\n", encoding="utf-8")
    response = client.get("/api/v1/payments?invoice=INV-7")
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "payments_unavailable"
    Path(erp_app.instance_path, "erp.csv").unlink()
    assert client.get("/api/v1/payments?invoice=INV-7").get_json()["error"]["code"] == "payments_unavailable"


def test_the_export_is_read_again_when_it_changes(tmp_path):
    path = tmp_path / "erp.csv"
    header = "supplier_number,supplier_email,invoice_number,po_number,amount,currency,status,due_date,paid_date\n"
    path.write_text(header + "S-1,a@b.example,INV-1,,1.00,EUR,open,,\n", encoding="utf-8")
    provider = CsvProvider(path)
    assert provider.find("a@b.example", invoice="INV-1")[0].status == "open"
    path.write_text(header + "S-1,a@b.example,INV-1,,1.00,EUR,paid,,2025-01-02\n" + "S-1,a@b.example,INV-2,,1,EUR,open,,\n",
                    encoding="utf-8")
    assert provider.find("a@b.example", invoice="INV-1")[0].status == "paid"


@pytest.mark.parametrize("text, status", [
    ("Paid", "paid"), ("CLEARED", "paid"), ("open", "open"), ("Awaiting  payment", "open"), ("payment_scheduled", "scheduled"),
    ("On hold", "blocked"), ("Canceled", "cancelled"), ("Void", "cancelled"), ("Zahlung läuft", "other"), ("", "other"),
])
def test_erp_status_words_are_folded(text, status):
    assert normalise_status(text) == status


@pytest.mark.parametrize("text, expected", [("2025-03-31", "2025-03-31"), ("2025-03-31T00:00:00", "2025-03-31"),
                                            ("31/03/2025", "31/03/2025"), ("  ", None)])
def test_dates_are_iso_when_they_can_be_and_never_guessed(text, expected):
    assert iso_date(text) == expected


def acme_provider(settings, instance_path):
    """A third-party factory, as an `assistant.payments` entry point would name it."""
    return CsvProvider(instance_path / settings["ACME_EXPORT"])


ACME = EntryPoint(name="acme", value="tests.assistant.test_payments:acme_provider", group=payments.GROUP)


def test_providers_are_chosen_by_name_from_entry_points(tmp_path):
    assert choose({}, tmp_path, found=[ACME]) is None
    assert choose({"PAYMENTS_CSV": "x.csv"}, tmp_path, found=[]).path == tmp_path / "x.csv"
    chosen = choose({"PAYMENTS_PROVIDER": "acme", "ACME_EXPORT": "acme.csv"}, tmp_path, found=[ACME])
    assert isinstance(chosen, CsvProvider) and chosen.path == tmp_path / "acme.csv"
    with pytest.raises(ValueError, match="choose one of: acme, csv"):
        choose({"PAYMENTS_PROVIDER": "sap"}, tmp_path, found=[ACME])
    with pytest.raises(ValueError, match="already registered"):
        choose({}, tmp_path, found=[EntryPoint(name="csv", value="x:y", group=payments.GROUP)])


def test_a_missing_export_file_is_unavailable_not_empty(tmp_path):
    with pytest.raises(PaymentsUnavailable):
        CsvProvider(tmp_path / "missing.csv").find("a@b.example", invoice="INV-1")


def test_an_export_in_another_encoding_is_503_not_500(erp_app):
    client = erp_app.test_client()
    log_in(client, erp_app, "ana@lima.example")
    header = "supplier_number;supplier_email;invoice_number;po_number;amount;currency;status;due_date;paid_date\n"
    row = "S-1;ana@lima.example;INV-7;;1 000,00;EUR;Payé;2026-01-01;\n"
    Path(erp_app.instance_path, "erp.csv").write_bytes((header + row).encode("cp1252"))
    response = client.get("/api/v1/payments?invoice=INV-7")
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "payments_unavailable"
