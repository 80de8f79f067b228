"""Rules of contracts as pure functions (no I/O)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from civicpool_common.timestamps import start_of_network_day
from civicpool_common.vocabulary import NETWORK_TIME_ZONE, ChargeVat, ContractStatus

MAX_TEXT = 2000  # characters of a reason or memo
MAX_QUANTITY = 1_000_000  # of one movement or one quota addition


def effective_contract_status(status: str, ends_on: dt.date, today: dt.date) -> ContractStatus:
    """An active contract past its last day is expired (nothing is stored for that)."""
    if status == ContractStatus.ACTIVE and today > ends_on:
        return ContractStatus.EXPIRED
    return ContractStatus(status)


# The ledger's accounts.
CITY_ACCOUNT_PREFIX = "city:"


def city_account(city_id: str) -> str:
    """A city's account: what the city owes is its negative balance."""
    return CITY_ACCOUNT_PREFIX + city_id


def city_of_account(name: str) -> str | None:
    """The city whose account it is; None for a contract's or a pool's account."""
    return name.removeprefix(CITY_ACCOUNT_PREFIX) if name.startswith(CITY_ACCOUNT_PREFIX) else None


def account(kind: str, contract_id: str, city_id: str) -> str:
    """city:<id>, contract:<id> (the vendor's side), pool:<id> (the returned seats' value)."""
    return city_account(city_id) if kind == "city" else f"{kind}:{contract_id}"


def invoiced_account(contract_id: str) -> str:
    """What was invoiced under a contract, net (negative): with contract:<id> it leaves what is not invoiced yet."""
    return f"invoiced:{contract_id}"


def payable_account(invoice_id: str) -> str:
    """An approved invoice's gross, owed to its vendor (an open item until it is paid)."""
    return f"payable:{invoice_id}"


def output_vat_account(city_id: str) -> str:
    """The VAT a lead city charged its members on shared costs (positive): owed to its tax office."""
    return f"output_vat:{city_id}"


# -- charging member cities: VAT between public bodies ------------------------------------------------------

SECTION_2B_FROM = dt.date(2027, 1, 1)  # § 27 (22a) UStG: the old § 2 (3) UStG applies to turnover before this day
STANDARD_RATE_BPS = 1900
# The legal note each treatment prints on the charge (BT-22 / BT-120), in German: the invoice is German by law.
NOTE_OLD_LAW = ("Nicht steuerbar: Leistung einer juristischen Person des öffentlichen Rechts (§ 2 Abs. 3 UStG in der "
                "am 31.12.2015 geltenden Fassung; Übergangsregelung § 27 Abs. 22a UStG).")  # fmt: skip
NOTE_2B_3 = ("Nicht steuerbar: Zusammenarbeit juristischer Personen des öffentlichen Rechts nach § 2b Abs. 3 Nr. 2 "
             "UStG.")  # fmt: skip
NOTE_TAXABLE = "Steuerpflichtige Leistung einer juristischen Person des öffentlichen Rechts (§ 2b UStG)."


@dataclass(frozen=True)
class ChargeTax:
    """What a charge between member cities on a day bears: outside the scope of VAT (category O) or the rate."""

    outside_scope: bool
    rate_bps: int
    note: str


def charge_tax(setting: ChargeVat, invoice_date: dt.date) -> ChargeTax:
    """The network's setting applied to an invoice's date; by default the law in force on that day."""
    if setting == ChargeVat.TAXABLE or (setting == ChargeVat.LAW_ON_INVOICE_DATE and invoice_date >= SECTION_2B_FROM):
        return ChargeTax(False, STANDARD_RATE_BPS, NOTE_TAXABLE)
    if setting == ChargeVat.NOT_TAXABLE_2B_3:
        return ChargeTax(True, 0, NOTE_2B_3)
    return ChargeTax(True, 0, NOTE_OLD_LAW)


def month_of(moment: dt.datetime) -> dt.date:
    """The network month (Europe/Berlin) a moment falls in, as its first day."""
    return moment.astimezone(NETWORK_TIME_ZONE).date().replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC moments [start, end) of a network month."""
    return start_of_network_day(month), start_of_network_day(next_month(month))
