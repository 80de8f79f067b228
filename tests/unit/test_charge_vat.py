"""VAT on charges between member cities (contracts rules.charge_tax): by default the law on the invoice's date,
§ 2 (3) UStG in its old version until 31 December 2026 and § 2b UStG from 1 January 2027; or what the network
declares. Every charge it describes, civicpool's XRechnung writer makes one the official rules accept."""

from __future__ import annotations

import datetime as dt

import pytest
from civicpool_common.vocabulary import ChargeVat
from civicpool_contracts.rules import NOTE_2B_3, NOTE_OLD_LAW, NOTE_TAXABLE, ChargeTax, charge_tax
from civicpool_einvoice.validation import Validator
from civicpool_einvoice.writing import Draft, Line, Party, ubl_invoice

LAST_OLD_DAY, FIRST_NEW_DAY = dt.date(2026, 12, 31), dt.date(2027, 1, 1)
NOT_SUBJECT, TAXED = ChargeTax(True, 0, NOTE_OLD_LAW), ChargeTax(False, 1900, NOTE_TAXABLE)


@pytest.mark.parametrize(
    ("setting", "day", "expected"),
    [
        (ChargeVat.LAW_ON_INVOICE_DATE, LAST_OLD_DAY, NOT_SUBJECT),
        (ChargeVat.LAW_ON_INVOICE_DATE, FIRST_NEW_DAY, TAXED),
        (ChargeVat.NOT_TAXABLE_2B_3, LAST_OLD_DAY, ChargeTax(True, 0, NOTE_2B_3)),
        (ChargeVat.NOT_TAXABLE_2B_3, FIRST_NEW_DAY, ChargeTax(True, 0, NOTE_2B_3)),
        (ChargeVat.TAXABLE, LAST_OLD_DAY, TAXED),
        (ChargeVat.TAXABLE, FIRST_NEW_DAY, TAXED),
    ],
)
def test_a_charge_bears_what_the_setting_and_the_law_on_its_date_say(
    setting: ChargeVat, day: dt.date, expected: ChargeTax
) -> None:
    assert charge_tax(setting, day) == expected


@pytest.mark.parametrize("setting", list(ChargeVat))
@pytest.mark.parametrize("day", [LAST_OLD_DAY, FIRST_NEW_DAY])
def test_every_charge_so_described_is_an_xrechnung_the_official_rules_accept(setting: ChargeVat, day: dt.date) -> None:
    tax = charge_tax(setting, day)
    seller = Party("Stadt Ettlingen", "Marktplatz 2", "Ettlingen", "76275", "stadtkasse@ettlingen.example",
                   contact_name="Stadtkasse", phone="+49 7243 101-0", tax_number="31049/12345",
                   identifier="08215017-RECHNUNG-23")  # fmt: skip  # BT-29: without it BR-CO-26 refuses the charge
    buyer = Party("Stadt Bruchsal", "Kaiserstraße 66", "Bruchsal", "76646", "rechnung@bruchsal.example")
    charge = Line("UMLAGE", "Umlage: Lizenzserver, Vertrag ETT-2026-003", 1, 123_456, tax.rate_bps)
    draft = Draft(number="ETT-2026-U-001", issue_date=day, buyer_reference="08215009-RECHNUNG-64", seller=seller,
                  buyer=buyer, lines=[charge], iban="DE75512108001245126199", payment_terms="Zahlbar in 30 Tagen",
                  note=tax.note, exemption_reason=tax.note if tax.outside_scope else "",
                  outside_scope=tax.outside_scope)  # fmt: skip
    report = VALIDATOR.validate(ubl_invoice(draft))
    assert report.accepted, [(f.rule_id, f.text) for f in report.findings if f.severity in ("fatal", "error")]


VALIDATOR = Validator()
