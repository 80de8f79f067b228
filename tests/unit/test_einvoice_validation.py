"""E-invoices checked by the official rules (libs/einvoice): KoSIT's test suite instances pass, each kind of broken
invoice fails with the rule that catches it, and what is unsafe or no invoice is refused before any rule runs.

Fixtures (tests/fixtures/einvoices): instances of KoSIT's XRechnung test suite and a credit note of CEN's examples,
each under its licence there.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from civicpool_einvoice.validation import Refused, Report, Validator

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "einvoices"
UBL = (FIXTURES / "01.01a-INVOICE_ubl.xml").read_bytes()
CII = (FIXTURES / "01.01a-INVOICE_uncefact.xml").read_bytes()


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


def _rejecting(report: Report) -> set[tuple[str, str]]:
    return {(f.rules, f.rule_id) for f in report.findings if f.severity in ("fatal", "error")}


@pytest.mark.parametrize(
    ("name", "scenario"),
    [
        ("01.01a-INVOICE_ubl.xml", "EN16931 XRechnung (UBL Invoice)"),
        ("01.01a-INVOICE_uncefact.xml", "EN16931 XRechnung (CII)"),
        ("04.01a-INVOICE_ubl.xml", "EN16931 XRechnung Extension (UBL Invoice)"),
        ("ubl-tc434-creditnote1.xml", "EN16931 (UBL CreditNote)"),
    ],
)
def test_the_official_samples_are_accepted_under_their_scenario(validator: Validator, name: str, scenario: str) -> None:
    report = validator.validate((FIXTURES / name).read_bytes())
    assert (report.scenario, report.accepted) == (scenario, True), report.findings


def test_the_extension_scenario_lowers_a_rule_to_information(validator: Validator) -> None:
    """KoSIT's customLevel: UBL-CR-646 is information in the extension scenario (a warning in the rule itself)."""
    report = validator.validate((FIXTURES / "04.01a-INVOICE_ubl.xml").read_bytes())
    assert [(f.rule_id, f.severity) for f in report.findings if f.rule_id == "UBL-CR-646"] == [
        ("UBL-CR-646", "information")
    ]


def test_an_invoice_without_buyer_reference_fails_the_xrechnung_rule_br_de_15(validator: Validator) -> None:
    without = re.sub(rb"<cbc:BuyerReference>[^<]*</cbc:BuyerReference>", b"", UBL)
    assert without != UBL
    report = validator.validate(without)
    assert not report.accepted and ("XRechnung", "BR-DE-15") in _rejecting(report)
    [finding] = [f for f in report.findings if f.rule_id == "BR-DE-15"]
    assert finding.location.startswith("/ubl:Invoice") and "Buyer reference" in finding.text  # KoSIT's own words


def test_totals_that_do_not_add_up_fail_the_en16931_business_rules(validator: Validator) -> None:
    payable = re.search(rb"<cbc:PayableAmount currencyID=\"EUR\">([\d.]+)</cbc:PayableAmount>", UBL)
    assert payable is not None
    wrong = UBL.replace(payable.group(0), payable.group(0).replace(payable.group(1), b"1.00"))
    report = validator.validate(wrong)
    assert ("EN 16931", "BR-CO-16") in _rejecting(report)
    cii_wrong = re.sub(rb"<ram:DuePayableAmount>[\d.]+</ram:DuePayableAmount>",
                       b"<ram:DuePayableAmount>1.00</ram:DuePayableAmount>", CII)  # fmt: skip
    assert ("EN 16931", "BR-CO-16") in _rejecting(validator.validate(cii_wrong))


def test_a_schema_violation_is_reported_by_line_and_no_rule_runs(validator: Validator) -> None:
    broken = UBL.replace(b"<cbc:IssueDate>", b"<cbc:Bogus>1</cbc:Bogus><cbc:IssueDate>", 1)
    report = validator.validate(broken)
    assert not report.accepted and {f.rules for f in report.findings} == {"XML Schema"}
    assert all(re.fullmatch(r"line \d+", f.location) for f in report.findings)


def test_a_zugferd_basic_invoice_matches_no_scenario_and_is_not_accepted(validator: Validator) -> None:
    """BASIC and below do not carry what a public buyer needs: no KoSIT scenario applies to them."""
    basic = re.sub(rb"(<ram:GuidelineSpecifiedDocumentContextParameter>\s*<ram:ID>)[^<]*",
                   rb"\1urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic", CII)  # fmt: skip
    report = validator.validate(basic)
    assert (report.scenario, report.accepted, report.syntax) == ("", False, "CII")
    assert report.specification == "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic"


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', "unsafe"),
        (b'<!DOCTYPE Invoice [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><Invoice>&b;</Invoice>', "unsafe"),
        (b"%PDF-1.7 not xml", "not_xml"),
        (b"<Invoice xmlns='urn:example'/>", "not_an_invoice"),
        (b"<x>" + b" " * 200 + b"</x>", "too_large"),
    ],
)
def test_what_is_unsafe_or_no_invoice_is_refused_before_any_rule(data: bytes, kind: str) -> None:
    with pytest.raises(Refused) as refused:
        Validator(max_bytes=200).validate(data)
    assert refused.value.kind == kind and refused.value.reason


def test_the_command_line_check_names_each_finding_and_fails_on_a_rejected_invoice(tmp_path: Path) -> None:
    from civicpool_cli.main import app
    from typer.testing import CliRunner

    broken = tmp_path / "ohne-leitweg-id.xml"
    broken.write_bytes(re.sub(rb"<cbc:BuyerReference>[^<]*</cbc:BuyerReference>", b"", UBL))
    good = str(FIXTURES / "01.01a-INVOICE_ubl.xml")
    assert CliRunner().invoke(app, ["check-invoice", good]).exit_code == 0
    result = CliRunner().invoke(app, ["check-invoice", good, str(broken)])
    assert result.exit_code == 1 and f"{broken}: not accepted" in result.output
    assert re.search(r"fatal\s+BR-DE-15\s+XRechnung: \[BR-DE-15\]", result.output)
