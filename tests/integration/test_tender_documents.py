"""Tender documents through the gateway with real Keycloak users: upload, versions, the 6-day rule, who reads,
streamed downloads read back byte for byte, and the vendors' e-mail about a change."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import os
import time
import zipfile
from typing import Any

from civicpool_cli.stack import Stack

from tests.conftest import PROBLEM, ApiFactory
from tests.integration.test_notifications import VENDOR_ADDRESSES
from tests.support.mail import of_event, wait_for_mails
from tests.support.tenders import draft_tender, set_bids_due

MIB = 1024 * 1024
GERMAN = {"Accept-Language": "de-DE"}


def pdf(size: int) -> bytes:
    return (b"%PDF-1.7\n" + os.urandom(size))[:size]


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def _download(api: ApiFactory, user: str, path: str, **params: Any) -> tuple[bytes, dict[str, str]]:
    response = api(user).get(path, params=params)
    assert response.status_code == 200, response.text
    return response.content, dict(response.headers)


def test_documents_from_draft_to_change_after_publication(api: ApiFactory, stack: Stack) -> None:
    lead = api("ettlingen.lead")
    tender = draft_tender(api)
    documents = f"/tenders/{tender['id']}/documents"
    original = pdf(int(2.5 * MIB))  # three pieces on the way out
    added = lead.post(documents, files={"file": ("Leistungsbeschreibung.pdf", original, "application/pdf")},
                      data={"title": "Leistungsbeschreibung"})  # fmt: skip
    assert added.status_code == 201, added.text
    document = added.json()
    assert added.headers["Location"] == f"/api/v1{documents}/{document['id']}" and added.headers["ETag"] == '"1"'
    (first,) = document["versions"]
    assert first["sha256"] == hashlib.sha256(original).hexdigest() and first["size_bytes"] == len(original)
    assert first["media_type"] == "application/pdf" and not first["after_publication"]

    # Refused by content, in German, changing nothing.
    refusals = (("Angebot.pdf", b"MZ\x90\x00", "ihrem Inhalt nach keiner der erlaubten Typen"),
                ("Vertrag.pdf", docx(), "eine DOCX-Datei, ihr Name endet aber auf „.pdf“"))  # fmt: skip
    for name, content, words in refusals:
        refused = lead.post(documents, files={"file": (name, content)}, headers=GERMAN)
        assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM
        assert words in refused.json()["errors"][0]["message"], refused.text
    assert [d["title"] for d in lead.get(documents).json()["data"]] == ["Leistungsbeschreibung"]

    # Before publication vendors and cities do not see the tender; a lead of another city sees the tender only.
    assert api("vendor.rheintal").get(documents).status_code == 404
    assert api("bruchsal.it").get(documents).status_code == 404
    assert api("rastatt.lead").get(documents).status_code == 403

    set_bids_due(api, tender["id"], dt.datetime.now(dt.UTC) + dt.timedelta(days=3))
    assert lead.post(f"/tenders/{tender['id']}/publish").status_code == 200
    new_version = pdf(50_000)
    late = lead.put(f"{documents}/{document['id']}", files={"file": ("LB.pdf", new_version)}, headers=GERMAN)
    assert late.status_code == 409, late.text
    assert "§ 20 Abs. 3 VgV" in late.json()["detail"] and "verlängern Sie die Angebotsfrist" in late.json()["detail"]
    set_bids_due(api, tender["id"], dt.datetime.now(dt.UTC) + dt.timedelta(days=8))
    changed = lead.put(f"{documents}/{document['id']}", files={"file": ("LB.pdf", new_version)},
                       headers={"If-Match": '"1"'})  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert [v["after_publication"] for v in changed.json()["versions"]] == [False, True]
    stale = lead.put(f"{documents}/{document['id']}", files={"file": ("LB.pdf", new_version)},
                     headers={"If-Match": '"1"'})  # fmt: skip
    assert stale.status_code == 412

    # Every vendor reads and downloads it, and is told of the change once.
    content, headers = _download(api, "vendor.rheintal", f"{documents}/{document['id']}/content")
    assert content == new_version and headers["content-type"] == "application/pdf"
    assert headers["content-disposition"] == "attachment; filename*=UTF-8''LB.pdf"
    assert headers["repr-digest"] == f"sha-256=:{base64.b64encode(hashlib.sha256(new_version).digest()).decode()}:"
    content, headers = _download(api, "vendor.schwarzwald", f"{documents}/{document['id']}/content", version=1)
    assert content == original and headers["content-length"] == str(len(original))
    assert api("bruchsal.it").get(documents).json()["data"][0]["version"] == 2  # a participating city
    assert api("rastatt.it").get(documents).status_code == 404  # Rastatt takes no part
    assert api("vendor.rheintal").get(f"{documents}/{document['id']}/content", params={"version": 3}).status_code == 404
    events = [(e["action"], e["actor"]) for e in lead.get(f"/tenders/{tender['id']}").json()["events"]]
    assert ("document_added", "ettlingen.lead") in events and ("document_changed", "ettlingen.lead") in events
    event = f"tenders/document/{document['id']}/2"
    mails = wait_for_mails(stack.maildir, event, len(VENDOR_ADDRESSES))
    assert {m.to for m in mails} == VENDOR_ADDRESSES
    assert of_event(stack.maildir, f"tenders/document/{document['id']}/1") == []  # added before publication
    german = next(m for m in mails if m.to == "vendor.rheintal@demo.civicpool.invalid")
    assert german.subject == f"Vergabeunterlagen geändert: {tender['reference']} {tender['title']}"
    assert "„Leistungsbeschreibung“" in german.text and "(Fassung 2)" in german.text


def test_a_bid_document_is_sealed_until_the_opening(api: ApiFactory) -> None:
    lead, rheintal = api("ettlingen.lead"), api("vendor.rheintal")
    tender = draft_tender(api)
    due = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=4)
    set_bids_due(api, tender["id"], due)
    tender = lead.post(f"/tenders/{tender['id']}/publish").json()
    lot = tender["lots"][0]
    body = {"lot_id": lot["id"], "prices": [{"item_id": lot["items"][0]["item_id"], "unit_price_cents": 3_000}],
            "delivery_days": 7, "hosting_region": "DE", "dpa_offered": True, "open_source": False}  # fmt: skip
    bid = rheintal.post(f"/tenders/{tender['id']}/bids", json=body)
    assert bid.status_code == 201, bid.text
    documents = f"/tenders/{tender['id']}/bids/{bid.json()['id']}/documents"
    offer = pdf(20_000)
    attached = rheintal.post(documents, files={"file": ("Angebot.pdf", offer)})
    assert attached.status_code == 201, attached.text
    assert api("vendor.schwarzwald").get(documents).status_code == 404  # another vendor's bid: as if missing
    assert api("vendor.schwarzwald").post(documents, files={"file": ("x.pdf", offer)}).status_code == 404
    sealed = lead.get(documents)
    assert sealed.status_code == 409 and "sealed" in sealed.json()["detail"]
    assert all(e["action"] != "document_added" for e in lead.get(f"/tenders/{tender['id']}").json()["events"])

    time.sleep(max(0.0, (due - dt.datetime.now(dt.UTC)).total_seconds()) + 0.3)  # the deadline passes
    assert rheintal.post(documents, files={"file": ("Nachtrag.pdf", offer)}).status_code == 409
    assert lead.post(f"/tenders/{tender['id']}/close-bidding").status_code == 200
    (opened,) = lead.get(documents).json()["data"]
    content, _ = _download(api, "ettlingen.lead", f"{documents}/{opened['id']}/content")
    assert content == offer
