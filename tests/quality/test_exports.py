"""The complaint register exported for audits (REQ-CMP-21): read back, formulas neutralised."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from guichet.quality.exports import neutralise, register_csv, register_xlsx
from tests.quality.conftest import case_new, complaint_new, walk_to

pytestmark = pytest.mark.django_db

DANGEROUS = ['=HYPERLINK("http://evil.test")', "+33 1 23", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_formula_starts_get_an_apostrophe(value):
    assert neutralise(value) == "'" + value


def test_ordinary_text_and_numbers_are_left_alone():
    assert neutralise("Remboursement") == "Remboursement"
    assert neutralise(-2) == -2


def test_xlsx_never_stores_a_formula():
    data = register_xlsx(["A", "B"], [["=1+1", 3]])
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet["A2"].value == "'=1+1" and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == 3


def test_csv_has_a_bom_and_neutralised_cells():
    text = register_csv(["A"], [["@cmd"]]).decode("utf-8")
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text.lstrip("\ufeff")))) == [["A"], ["'@cmd"]]


@pytest.fixture
def manager_client(supervisor) -> Client:
    client = Client()
    client.force_login(supervisor)
    return client


@pytest.fixture
def closed_complaint(customer, agent):
    complaint = complaint_new(case_new(customer), agent, remedy_sought='=HYPERLINK("x")')
    return walk_to(complaint, agent, "closed")


def test_register_csv_download_reads_back(manager_client, closed_complaint):
    response = manager_client.get("/quality/complaints/?export=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    [row] = rows
    assert row["Complaint"] == closed_complaint.reference
    assert row["Outcome"] == "Customer accepted the response"
    assert row["Root cause"] == "Delivery › Damaged"
    assert row["Remedy sought"] == '\'=HYPERLINK("x")'
    assert row["Days to acknowledge"] != ""


def test_register_xlsx_download_reads_back(manager_client, closed_complaint):
    response = manager_client.get("/quality/complaints/?export=xlsx&status=closed")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    headers = [c.value for c in sheet[1]]
    values = dict(zip(headers, [c.value for c in sheet[2]], strict=True))
    assert values["Complaint"] == closed_complaint.reference
    assert values["Status"] == "Closed"
    assert values["Remedy sought"] == '\'=HYPERLINK("x")'
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert sheet.max_row == 2


def test_register_filters_apply_to_the_export(manager_client, closed_complaint, customer, agent):
    complaint_new(case_new(customer), agent)  # still received
    response = manager_client.get("/quality/complaints/?export=csv&outcome=open")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["Status"] for r in rows] == ["Received"]
