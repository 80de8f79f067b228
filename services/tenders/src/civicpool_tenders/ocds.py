"""A tender as an OCDS 1.1 release package (Open Contracting Data Standard), built from the stored records.

- The lead city is the procuring entity and the release's `buyer`; every
  participating city is a party with the role `buyer`.
- Lots follow the OCDS lots extension (`tender.lots`, `items[].relatedLot`,
  `awards[].relatedLots`).
- Contracts follow the contract-buyer pattern: one contract entry per framework
  contract and buyer city, with that city's quota and its value, and the city
  as the entry's `buyer` (a field of our own: no registered extension defines
  a contract-level buyer for OCDS 1.1; OCDS allows additional fields).
- Bidders appear (as `tenderers`) only after bidding has closed; prices only
  in awards and contracts.
- A procedure run on another platform and recorded here says where it ran, with
  its notice, in `tender.procurementMethodDetails`.
Amounts are euros as JSON numbers (the standard's form); the records keep cents.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from civicpool.contracts.v1 import contracts_pb2 as contracts_pb
from civicpool_common.vocabulary import Procedure, TenderStatus

from civicpool_tenders import deadlines, rules
from civicpool_tenders.clients import PartyInfo
from civicpool_tenders.models import Bid
from civicpool_tenders.views import TenderView

METHODS = {
    Procedure.DIRECT_AWARD: ("direct", "Direktauftrag"),
    Procedure.RESTRICTED_OR_NEGOTIATED: ("selective", "Beschränkte Ausschreibung / Verhandlungsvergabe"),
    Procedure.OPEN_NATIONAL: ("open", "Öffentliche Ausschreibung"),
    Procedure.OPEN_EU: ("open", "Offenes Verfahren (EU-weit)"),
}
TENDER_STATUS = {
    TenderStatus.DRAFT: "planning",
    TenderStatus.PUBLISHED: "active",
    TenderStatus.BIDDING_CLOSED: "active",
    TenderStatus.EVALUATED: "active",
    TenderStatus.AWARDED: "complete",
    TenderStatus.CANCELLED: "cancelled",
}
LOTS_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/v1.1.5/extension.json"
)
TAGS = {
    TenderStatus.DRAFT: ["planning"],
    TenderStatus.AWARDED: ["award", "contract"],
    TenderStatus.CANCELLED: ["tenderCancellation"],
}


def _money(cents: int) -> dict[str, Any]:
    return {"amount": cents / 100, "currency": "EUR"}


def _time(moment: dt.datetime | dt.date, *, end_of_day: bool = False) -> str:
    if isinstance(moment, dt.datetime):
        return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{moment.isoformat()}T{'23:59:59' if end_of_day else '00:00:00'}Z"


def _party_ref(party_id: str, parties: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    return {"id": party_id, "name": parties[party_id]["name"]}


def release_package(
    view: TenderView,
    contracts: Sequence[contracts_pb.Contract],  # as the contracts service holds them
    bids: Sequence[Bid],
    cities: Mapping[str, PartyInfo],
    vendors: Mapping[str, PartyInfo],
    *,
    ocid_prefix: str,
    published_at: dt.datetime,
) -> dict[str, Any]:
    tender = view.tender
    status = TenderStatus(tender.status)
    ocid = f"{ocid_prefix}-{tender.id}"
    parties: dict[str, dict[str, Any]] = {}

    def city_party(city_id: str, role: str) -> str:
        party_id = f"city-{city_id}"
        info = cities.get(city_id) or PartyInfo(city_id, city_id, "", "DE")
        party = parties.setdefault(
            party_id,
            {"id": party_id, "name": info.name, "address": {"countryName": "Deutschland"}, "roles": []},
        )
        if info.identifier:
            party["identifier"] = {"scheme": "DE-AGS", "id": info.identifier, "legalName": info.name}
        if role not in party["roles"]:
            party["roles"].append(role)
        return party_id

    def vendor_party(vendor_id: str, role: str) -> str:
        party_id = f"vendor-{vendor_id}"
        info = vendors.get(vendor_id) or PartyInfo(vendor_id, vendor_id, "", "")
        party = parties.setdefault(party_id, {"id": party_id, "name": info.name, "roles": []})
        if info.country:
            party["address"] = {"countryName": info.country}
        if role not in party["roles"]:
            party["roles"].append(role)
        return party_id

    lead = city_party(tender.lead_city_id, "procuringEntity")
    city_party(tender.lead_city_id, "buyer")  # the release's buyer, also when it has no share itself
    for city_id in tender.participating_city_ids:
        city_party(city_id, "buyer")
    tenderers = [vendor_party(v, "tenderer") for v in dict.fromkeys(b.vendor_id for b in bids)]
    method, method_details = METHODS[Procedure(tender.procedure)]
    if tender.external_platform:  # run elsewhere and recorded here: say where, with the notice
        method_details += (f", durchgeführt auf {tender.external_platform}, Bekanntmachung "
                           f"{tender.external_notice_number} vom {tender.external_notice_date}")  # fmt: skip
    published = next((e.at for e in view.events if e.action == TenderStatus.PUBLISHED.value), None)
    items, lots = [], []
    for lot_view in view.lots:
        lot = lot_view.lot
        lots.append(
            {"id": lot.id, "title": f"Los {lot.number}: {lot.title}", "value": _money(lot.estimated_value_cents)}
        )
        for item in lot_view.items:
            items.append({
                "id": f"{lot.number}-{item.sku}",
                "description": item.name,
                "classification": {"scheme": "CPV", "id": item.cpv_code.split("-")[0], "description": item.name},
                "quantity": item.quantity,
                "unit": {"name": item.unit, "value": _money(item.reference_price_cents)},
                "relatedLot": lot.id,
            })  # fmt: skip
    kinds = {item.kind for lot_view in view.lots for item in lot_view.items}
    tender_section: dict[str, Any] = {
        "id": tender.id,
        "title": tender.title,
        "description": tender.description or tender.title,
        "status": TENDER_STATUS[status],
        "procuringEntity": _party_ref(lead, parties),
        "value": _money(tender.estimated_value_cents),
        "procurementMethod": method,
        "procurementMethodDetails": method_details,
        "mainProcurementCategory": "services" if kinds == {"service"} else "goods",
        "items": items,
        "lots": lots,
    }
    if tender.procedure_justification:
        tender_section["procurementMethodRationale"] = tender.procedure_justification
    if tender.bids_due_at is not None:
        period = {"endDate": _time(tender.bids_due_at)}
        if published is not None:
            period["startDate"] = _time(published)
        tender_section["tenderPeriod"] = period
        questions_due = deadlines.questions_due(tender)
        if questions_due is not None:
            tender_section["enquiryPeriod"] = {"endDate": _time(questions_due)}
    if status in rules.OPENED:
        tender_section["numberOfTenderers"] = len(tenderers)
        tender_section["tenderers"] = [_party_ref(p, parties) for p in tenderers]

    awards, contract_entries = [], []
    awarded_at = next((e.at for e in view.events if e.action == TenderStatus.AWARDED.value), tender.updated_at)
    for lot_view in view.lots:
        lot_contracts = [c for c in contracts if c.lot_id == lot_view.lot.id]
        if not lot_contracts:
            continue
        # A framework with several vendors: one award naming them in rank order, worth the framework's maximum value.
        ranked = sorted(lot_contracts, key=lambda c: c.framework.rank if c.HasField("framework") else 1)
        suppliers = [vendor_party(vendor_id, "supplier") for vendor_id in dict.fromkeys(c.vendor_id for c in ranked)]
        values = {c.framework.id if c.HasField("framework") else c.id:
                  c.framework.max_value_cents if c.HasField("framework") else c.ceiling_value_cents
                  for c in lot_contracts}  # fmt: skip
        award_id = f"award-{lot_view.lot.id}"
        awards.append({
            "id": award_id,
            "title": f"Los {lot_view.lot.number}: {lot_view.lot.title}",
            "status": "active",
            "date": _time(awarded_at),
            "value": _money(sum(values.values())),
            "suppliers": [_party_ref(supplier, parties) for supplier in suppliers],
            "relatedLots": [lot_view.lot.id],
        })  # fmt: skip
        for contract in lot_contracts:
            active = contract.status == contracts_pb.CONTRACT_STATUS_ACTIVE
            for quota in contract.quotas:
                buyer = city_party(quota.city_id, "buyer")
                contract_entries.append({
                    "id": f"{contract.id}-{quota.city_id}",
                    "awardID": award_id,
                    "title": f"{contract.name} ({parties[buyer]['name']})",
                    "status": "active" if active else "terminated",
                    "period": {"startDate": _time(dt.date.fromisoformat(contract.starts_on)),
                               "endDate": _time(dt.date.fromisoformat(contract.ends_on), end_of_day=True)},
                    "value": _money(quota.quantity * contract.unit_price_cents),
                    "items": [{
                        "id": f"{lot_view.lot.number}-{contract.sku}",
                        "description": contract.name,
                        "quantity": quota.quantity,
                        "unit": {"name": contract.unit, "value": _money(contract.unit_price_cents)},
                    }],
                    "buyer": _party_ref(buyer, parties),
                    "dateSigned": _time(contract.created_at.ToDatetime(dt.UTC)),
                })  # fmt: skip

    release: dict[str, Any] = {
        "ocid": ocid,
        "id": "",  # below: a digest of the content, so any change makes a new release
        "date": _time(tender.updated_at),
        "tag": TAGS.get(status, ["tender"]),
        "initiationType": "tender",
        "language": "de",
        "parties": list(parties.values()),
        "buyer": _party_ref(lead, parties),
        "tender": tender_section,
    }
    if awards:
        release["awards"] = awards
        release["contracts"] = contract_entries
    digest = hashlib.sha256(json.dumps(release, sort_keys=True).encode()).hexdigest()[:16]
    release["id"] = f"{ocid}-{digest}"
    lead_name = parties[lead]["name"]
    return {
        "uri": f"urn:civicpool:ocds:{tender.id}",
        "version": "1.1",
        "extensions": [LOTS_EXTENSION],
        "publishedDate": _time(published_at),
        "publisher": {"name": f"civicpool – {lead_name}"},
        "releases": [release],
    }
