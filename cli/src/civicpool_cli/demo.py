"""The demo network: nine member cities, three vendors, a small catalog, cost keys.

One home for the demo data: the Keycloak realm (users, groups) and the catalog
loader both read it. Populations are rounded; VAT ids are fictional but pass the
German check-digit rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from civicpool_common import leitweg


@dataclass(frozen=True)
class DemoCity:
    id: str  # also the user-name prefix and the `city` claim
    name: str
    ags: str
    population: int


@dataclass(frozen=True)
class DemoVendor:
    id: str  # also the `vendor` claim; its user is vendor.<id>
    name: str
    vat_id: str | None
    country: str
    contact_email: str


CITIES = (
    DemoCity("baden-baden", "Baden-Baden", "08211000", 57_000),
    DemoCity("bretten", "Bretten", "08215007", 30_000),
    DemoCity("bruchsal", "Bruchsal", "08215009", 46_000),
    DemoCity("buehl", "Bühl", "08216007", 30_000),
    DemoCity("gaggenau", "Gaggenau", "08216015", 30_000),
    DemoCity("ettlingen", "Ettlingen", "08215017", 40_000),
    DemoCity("rastatt", "Rastatt", "08216043", 51_000),
    DemoCity("rheinstetten", "Rheinstetten", "08215108", 21_000),
    DemoCity("stutensee", "Stutensee", "08215109", 25_000),
)

VENDORS = (
    DemoVendor("rheintal", "Rheintal IT-Systemhaus GmbH", "DE812345673", "DE", "vertrieb@rheintal-it.example"),
    DemoVendor("schwarzwald", "Schwarzwald Open Hosting eG", "DE143458908", "DE", "kontakt@schwarzwald-oh.example"),
    DemoVendor("globalmeet", "GlobalMeet Inc.", None, "US", "public-sector@globalmeet.example"),
    DemoVendor("kraichgau", "Kraichgau Computer GmbH", "DE263456789", "DE", "vergabe@kraichgau-computer.example"),
)

# Demo user name suffix -> realm role, and how the person is titled.
CITY_ROLES = (
    ("it", "city-it", "IT-Stelle"),
    ("lead", "procurement-lead", "Vergabestelle"),
    ("finance", "finance", "Kämmerei"),
)
NETWORK_ADMIN_USER = "network.admin"
DEMO_PASSWORD = "demo"  # noqa: S105 - the documented password of the local demo users


def vendor_user(vendor: DemoVendor) -> str:
    return f"vendor.{vendor.id}"


def _license(sku: str, name: str, cpv: str, cents: int, region: str, *, dpa: bool, oss: bool) -> dict[str, Any]:
    return {
        "sku": sku,
        "name": name,
        "kind": "license",
        "cpv_code": cpv,
        "unit": "Nutzer/Jahr",
        "reference_price_cents": cents,
        "vat_rate_bps": 1900,
        "license_model": "per_user",
        "license_term_months": 12,
        "hosting_region": region,
        "dpa_available": dpa,
        "open_source": oss,
    }


def _hardware(sku: str, name: str, cpv: str, cents: int) -> dict[str, Any]:
    return {
        "sku": sku,
        "name": name,
        "kind": "hardware",
        "cpv_code": cpv,
        "unit": "Stück",
        "reference_price_cents": cents,
        "vat_rate_bps": 1900,
    }


ITEMS: tuple[dict[str, Any], ...] = (
    _hardware("LAPTOP-14", "Notebook 14 Zoll, 16 GB RAM, 512 GB SSD", "30213100-6", 89_900),
    _hardware("WEBCAM-FHD", "Webcam Full HD mit Mikrofon", "30237240-3", 6_900),
    _hardware("HEADSET-USB", "Headset USB-C, beidseitig, mit Geräuschunterdrückung", "32342100-3", 4_900),
    _hardware("DOCK-USBC", "Dockingstation USB-C mit 2 Monitoranschlüssen", "30237000-9", 15_900),
    _hardware("LORAWAN-SENSOR", "LoRaWAN-Umweltsensor (Temperatur, Feuchte, CO₂)", "35125100-7", 12_900),
    _license("VPN-SEAT", "VPN-Zugang je Nutzer", "48730000-4", 3_600, "DE", dpa=True, oss=False),
    _license(
        "VC-JITSI-SELFHOSTED",
        "Videokonferenz Jitsi, im kommunalen Rechenzentrum betrieben (Open Source)",
        "48515000-1",
        1_800,
        "DE",
        dpa=True,
        oss=True,
    ),
    _license(
        "VC-EU-CLOUD",
        "Videokonferenz, Cloud-Dienst mit Rechenzentren in der EU",
        "48515000-1",
        9_600,
        "EU",
        dpa=True,
        oss=False,
    ),
    _license(
        "VC-GLOBALMEET",
        "Videokonferenz GlobalMeet Cloud (Hosting in den USA)",
        "48515000-1",
        14_400,
        "third_country",
        dpa=True,
        oss=False,
    ),
    _license("OFFICE-SUITE", "Office-Paket mit Online-Zusammenarbeit", "48300000-1", 9_900, "EU", dpa=True, oss=False),
)

COST_KEYS: tuple[dict[str, Any], ...] = (
    {
        "id": "equal",
        "name": "Zu gleichen Teilen",
        "method": "equal",
        "description": "Jede teilnehmende Stadt trägt denselben Anteil.",
    },
    {
        "id": "population",
        "name": "Nach Einwohnerzahl",
        "method": "population",
        "description": "Anteile im Verhältnis der Einwohnerzahlen.",
    },
    {
        "id": "usage",
        "name": "Nach abgerufener Menge",
        "method": "usage",
        "description": "Anteile im Verhältnis der abgerufenen Mengen.",
    },
    {
        "id": "lorawan-pilot",
        "name": "LoRaWAN-Pilot Murgtal",
        "method": "fixed",
        "description": "Fester Schlüssel des gemeinsamen Sensornetz-Pilotprojekts.",
        "shares": [
            {"city_id": "rastatt", "basis_points": 5000},
            {"city_id": "gaggenau", "basis_points": 3000},
            {"city_id": "buehl", "basis_points": 2000},
        ],
    },
)


# How the demo's lead city invoices the members (a shared cost charged on): made up, with a valid test IBAN.
DEMO_LEAD_INVOICING = {
    "street": "Marktplatz 2", "postcode": "76275", "town": "Ettlingen", "email": "stadtkasse@ettlingen.example",
    "phone": "+49 7243 101-0", "iban": "DE75512108001245126199", "tax_number": "31049/12345",
    "contact_name": "Stadtkasse",
}  # fmt: skip


# The members' real postcodes, for their made-up invoicing details (a charge's buyer address: XRechnung BR-DE-8, 9).
DEMO_POSTCODES = {
    "baden-baden": "76530", "bretten": "75015", "bruchsal": "76646", "buehl": "77815", "gaggenau": "76571",
    "ettlingen": "76275", "rastatt": "76437", "rheinstetten": "76287", "stutensee": "76297",
}  # fmt: skip


def demo_invoicing(city: DemoCity) -> dict[str, str]:
    """How a demo city invoices and is invoiced: Ettlingen's as above, the others' made up alike, each with an IBAN
    whose check digits are right (ISO 13616: the account, then "DE00" as digits, modulo 97)."""
    if city.id == "ettlingen":
        return DEMO_LEAD_INVOICING
    account = "66050101" + city.ags + "00"  # bank code and account number, 18 digits
    check = 98 - int(account + "131400") % 97
    return {
        "street": "Rathausplatz 1", "postcode": DEMO_POSTCODES[city.id], "town": city.name,
        "email": f"stadtkasse@{city.id}.example", "phone": "+49 7000 " + city.ags[-4:],
        "iban": f"DE{check:02d}{account}", "tax_number": f"3{city.ags[-4:]}/{city.ags[2:7]}",
        "contact_name": "Stadtkasse",
    }  # fmt: skip


def city_payload(city: DemoCity) -> dict[str, Any]:
    """The city with one billing unit, its administration, whose Leitweg-ID is its AGS and "RECHNUNG", and how it
    invoices (made up for the demo, with valid check digits)."""
    billing = {"leitweg_id": str(leitweg.make(city.ags, "RECHNUNG")), "name": f"Stadtverwaltung {city.name}"}
    return {"id": city.id, "name": city.name, "ags": city.ags, "population": city.population, "joined_on": "2020-06-01",
            "billing_units": [billing], "invoicing": demo_invoicing(city)}  # fmt: skip


def vendor_payload(vendor: DemoVendor) -> dict[str, Any]:
    return {
        "id": vendor.id,
        "name": vendor.name,
        "vat_id": vendor.vat_id,
        "country": vendor.country,
        "contact_email": vendor.contact_email,
    }


# The open demo round: Ettlingen leads; six cities have registered demand (Bruchsal has not yet).
DEMO_ROUND_LEAD = "ettlingen.lead"
DEMO_ROUND: dict[str, Any] = {
    "title": "Gemeinsame Beschaffung 2027: Notebooks, Headsets und Videokonferenz",
    "description": "Bitte melden Sie den Bedarf Ihrer Stadt bis zum Ende der Frist an. "
    "Die Summe aller Städte wird gemeinsam ausgeschrieben.",
}
DEMO_ROUND_DAYS_OPEN = 60
DEMO_LINES: tuple[tuple[str, str, int, str], ...] = (
    ("baden-baden", "LAPTOP-14", 60, "Ersatz der Geräte aus 2019 in der Verwaltung"),
    ("baden-baden", "HEADSET-USB", 60, "Mobiles Arbeiten"),
    ("baden-baden", "VC-JITSI-SELFHOSTED", 250, "Videokonferenzen für Ratssitzungen und Bürgerdienste"),
    ("rastatt", "LAPTOP-14", 45, "Neue Arbeitsplätze im Bürgerbüro"),
    ("rastatt", "DOCK-USBC", 45, "Zu den Notebooks"),
    ("rastatt", "VC-EU-CLOUD", 120, "Videokonferenz für die Verwaltung"),
    ("ettlingen", "LAPTOP-14", 30, "Schulen: Lehrkräfte-Geräte"),
    ("ettlingen", "VC-JITSI-SELFHOSTED", 180, "Videokonferenz im kommunalen Rechenzentrum"),
    ("ettlingen", "VPN-SEAT", 90, "Heimarbeit"),
    ("gaggenau", "LAPTOP-14", 20, "Ersatzbeschaffung"),
    ("gaggenau", "WEBCAM-FHD", 20, "Besprechungsräume"),
    ("gaggenau", "VC-JITSI-SELFHOSTED", 60, "Videokonferenz"),
    ("buehl", "LAPTOP-14", 15, "Bauamt"),
    ("buehl", "HEADSET-USB", 25, "Telefonie am Arbeitsplatz"),
    ("buehl", "VPN-SEAT", 30, "Heimarbeit"),
    ("stutensee", "LAPTOP-14", 12, "Ersatzbeschaffung"),
    ("stutensee", "VC-GLOBALMEET", 40, "Bestehende Nutzung fortführen"),
)


# The awarded demo tender: a round of 2026 that Ettlingen closed, tendered, and awarded.
DEMO_TENDER_ROUND: dict[str, Any] = {
    "title": "Gemeinsame Beschaffung 2026: VPN und Videokonferenz",
    "description": "Lehre aus dem Lockdown 2020: Heimarbeit und Videokonferenzen für alle Städte, "
    "gemeinsam ausgeschrieben.",
}
DEMO_TENDER_LINES: tuple[tuple[str, str, int, str], ...] = (
    ("bruchsal", "VPN-SEAT", 80, "Heimarbeit in der Kernverwaltung"),
    ("bruchsal", "VC-JITSI-SELFHOSTED", 200, "Videokonferenzen und Ratssitzungen"),
    ("bretten", "VPN-SEAT", 40, "Heimarbeit"),
    ("bretten", "VC-JITSI-SELFHOSTED", 120, "Videokonferenzen"),
    ("ettlingen", "VPN-SEAT", 50, "Heimarbeit"),
    ("ettlingen", "VC-JITSI-SELFHOSTED", 150, "Videokonferenz im kommunalen Rechenzentrum"),
    ("rheinstetten", "VPN-SEAT", 25, "Heimarbeit"),
    ("rheinstetten", "VC-JITSI-SELFHOSTED", 60, "Videokonferenzen"),
    ("stutensee", "VPN-SEAT", 30, "Heimarbeit"),
)
# Each vendor's bid per SKU: unit price (cents), volume tiers (from quantity, cents), delivery days,
# hosting region, DPA offered, open source; and the quality score the lead gives it.
DEMO_BIDS: tuple[tuple[str, str, int, tuple[tuple[int, int], ...], int, str | None, bool, bool, int], ...] = (
    ("schwarzwald", "VC-JITSI-SELFHOSTED", 1_500, ((500, 1_400),), 10, "DE", True, True, 85),
    ("schwarzwald", "VPN-SEAT", 3_400, (), 10, "DE", True, False, 80),
    ("rheintal", "VPN-SEAT", 3_300, ((200, 3_100),), 5, "DE", True, False, 80),
    ("globalmeet", "VC-JITSI-SELFHOSTED", 1_100, (), 3, "third_country", False, False, 75),
)
DEMO_WEIGHTS = {"price": 50, "quality": 30, "data_protection": 20}
# The demo tender's documents (title, file name, the one line of text each PDF shows), and each bid's offer.
DEMO_DOCUMENTS = (
    ("Leistungsbeschreibung", "Leistungsbeschreibung.pdf", "Leistungsbeschreibung: VPN und Videokonferenz 2026"),
    ("Vertragsbedingungen", "Vertragsbedingungen.pdf", "Besondere Vertragsbedingungen (EVB-IT Ueberlassung)"),
)
DEMO_OFFER = ("Angebot", "Angebot.pdf", "Angebotsschreiben")
DEMO_BIDDING_SECONDS = 6  # the demo's bids are due a few seconds after publication

# A tender still taking bids (three weeks): its documents, one changed after publication, two vendors'
# questions (one answered for everyone), and a clarification nobody asked for.
DEMO_OPEN_TENDER_ROUND: dict[str, Any] = {
    "title": "Notebooks für Verwaltung und Bauamt 2027",
    "description": "Ersatz der Notebooks aus dem Lockdown-Jahr 2020, gemeinsam für drei Städte.",
}
DEMO_OPEN_TENDER_LINES: tuple[tuple[str, str, int, str], ...] = (
    ("bruchsal", "LAPTOP-14", 30, "Ersatz der Geräte von 2020"),
    ("ettlingen", "LAPTOP-14", 20, "Ersatz der Geräte von 2020"),
    ("bretten", "LAPTOP-14", 15, "Bauamt: mobile Abnahmen"),
)
DEMO_OPEN_TENDER_DAYS = 21
DEMO_OPEN_TENDER_DOCUMENTS = (
    ("Leistungsbeschreibung", "Leistungsbeschreibung.pdf", "Leistungsbeschreibung: Notebooks 2027"),
    ("Vertragsbedingungen", "Vertragsbedingungen.pdf", "Besondere Vertragsbedingungen (EVB-IT Kauf)"),
)
# The changed version (after publication: every vendor is told).
DEMO_OPEN_TENDER_CHANGE = ("Leistungsbeschreibung", "Leistungsbeschreibung-v2.pdf",
                           "Leistungsbeschreibung: Notebooks 2027, Fassung 2 (Dockingstation entfaellt)")  # fmt: skip
# (vendor, question, the lead's answer or "" for none yet)
DEMO_QUESTIONS = (
    ("rheintal", "Sind gleichwertige Geräte anderer Hersteller zulässig?",
     "Ja. Gleichwertig heißt: mindestens die Leistungsmerkmale der Leistungsbeschreibung, Fassung 2."),
    ("schwarzwald", "Ist eine Lieferung in zwei Teilen möglich?", ""),
)  # fmt: skip
DEMO_CLARIFICATION = "Die Geräte werden an die Rathäuser der drei Städte geliefert, nicht an ein Zentrallager."

# A framework agreement with three vendors: docking stations for five cities, awarded to the three best-ranked bids;
# a call-off of Bruchsal that the first vendor declined, passed on to the second (the cascade); and a
# mini-competition of Ettlingen taking sealed offers for a concrete need.
DEMO_FRAMEWORK_ROUND: dict[str, Any] = {
    "title": "Dockingstationen 2027 (Rahmenvereinbarung mit drei Unternehmen)",
    "description": "Eine Rahmenvereinbarung mit drei Unternehmen: Abruf nach Rangfolge oder im Miniwettbewerb.",
}
DEMO_FRAMEWORK_LINES: tuple[tuple[str, str, int, str], ...] = (
    ("bruchsal", "DOCK-USBC", 60, "Arbeitsplätze mit zwei Monitoren"),
    ("bretten", "DOCK-USBC", 30, "Arbeitsplätze mit zwei Monitoren"),
    ("ettlingen", "DOCK-USBC", 50, "Desk-Sharing im neuen Verwaltungsgebäude"),
    ("rheinstetten", "DOCK-USBC", 20, "Bürgerbüro"),
    ("stutensee", "DOCK-USBC", 25, "Arbeitsplätze mit zwei Monitoren"),
)
# (vendor, unit price in cents, delivery days, the quality score the lead gives it)
DEMO_FRAMEWORK_BIDS: tuple[tuple[str, int, int, int], ...] = (
    ("rheintal", 14_900, 5, 85),
    ("schwarzwald", 14_500, 10, 75),
    ("globalmeet", 15_400, 3, 70),
)
DEMO_FRAMEWORK_VENDORS = 3
DEMO_CASCADE = ("bruchsal", 10, "declined", "Modell derzeit nicht lieferbar (Lieferengpass beim Hersteller)")
# (city, quantity, hours until offers are due, description) and the offers so far (vendor, unit price in cents)
DEMO_MINI_COMPETITION = ("ettlingen", 20, 72, "Lieferung bis Monatsende ins Verwaltungsgebäude, mit Netzteil")
DEMO_MINI_COMPETITION_OFFERS: tuple[tuple[str, int], ...] = (("schwarzwald", 13_900), ("globalmeet", 14_800))

# A tender with the standstill switched on (below the threshold): webcams for two cities, awarded to the best bid;
# the bidder not chosen got its information notice, the standstill has ended (in a local demo: ended early, see
# demo_clock) and the lead has confirmed the contract signed.
DEMO_STANDSTILL_ROUND: dict[str, Any] = {
    "title": "Webcams 2027 (mit Wartefrist)",
    "description": "Zuschlag mit Wartefrist nach § 134 GWB, freiwillig auch unterhalb des EU-Schwellenwerts.",
}
DEMO_STANDSTILL_LINES: tuple[tuple[str, str, int, str], ...] = (
    ("gaggenau", "WEBCAM-FHD", 40, "Videosprechstunde im Bürgerbüro"),
    ("stutensee", "WEBCAM-FHD", 15, "Videokonferenzen im Rathaus"),
)
# (vendor, unit price in cents, delivery days, the quality score the lead gives it)
DEMO_STANDSTILL_BIDS: tuple[tuple[str, int, int, int], ...] = (("kraichgau", 6_200, 5, 80), ("rheintal", 6_600, 7, 85))

# The demo contracts in use: call-offs per city and SKU, a quota shift to Rastatt (which took no part
# in the tender), one return to the pool, one take from it, one move between cities.
DEMO_CALL_OFFS: tuple[tuple[str, str, int], ...] = (
    ("bruchsal", "VPN-SEAT", 60),
    ("bruchsal", "VC-JITSI-SELFHOSTED", 180),
    ("bretten", "VPN-SEAT", 40),
    ("bretten", "VC-JITSI-SELFHOSTED", 100),
    ("ettlingen", "VPN-SEAT", 30),
    ("ettlingen", "VC-JITSI-SELFHOSTED", 150),
    ("rheinstetten", "VPN-SEAT", 20),
    ("stutensee", "VPN-SEAT", 25),
)
DEMO_QUOTA_SHIFT = ("VPN-SEAT", "ettlingen", "rastatt", 15, "Rastatt stößt zum Verbund: ungenutztes Kontingent")
DEMO_RASTATT_CALL_OFF = ("rastatt", "VPN-SEAT", 12)
DEMO_RETURN = ("bretten", "VPN-SEAT", 10)  # Bretten gives 10 seats back to the pool ...
DEMO_TAKE = ("stutensee", "VPN-SEAT", 5)  # ... Stutensee takes 5 of them
DEMO_MOVE = ("VC-JITSI-SELFHOSTED", "bruchsal", "rheinstetten", 20)
# The demo's e-invoices: Rheintal invoices VPN seats the cities called off (number, city, quantity, unit price in
# cents or None for the contract's, whether the city's finance approves it): one approved, one waiting for approval
# (matched), one at the list price instead of the contract's (mismatched).
DEMO_INVOICES: tuple[tuple[str, str, int, int | None, bool], ...] = (
    ("RIT-2026-0101", "ettlingen", 30, None, True),
    ("RIT-2026-0102", "bretten", 40, None, False),
    ("RIT-2026-0103", "rheinstetten", 20, 3_600, False),
)
DEMO_INVOICE_SELLER = ("Rheinstraße 12", "Karlsruhe", "76185", "+49 721 555 0100")  # street, city, code, phone
DEMO_IBAN = "DE75512108001245126199"  # a valid test IBAN, no real account
# A change of the video conferencing contract under § 132 GWB, within the de-minimis limit: 10 seats more for
# Rheinstetten (sku, city, quantity, justification).
DEMO_CONTRACT_CHANGE = (
    "VC-JITSI-SELFHOSTED", "rheinstetten", 10,
    "Rheinstetten richtet ein zweites Bürgerbüro ein; der Bedarf war bei der Ausschreibung nicht absehbar.",
)  # fmt: skip


def pdf_document(line: str) -> bytes:
    """A one-page PDF showing `line` (ASCII), valid enough for every PDF reader: the demo's documents."""
    text = line.encode("ascii").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    stream = b"BT /F1 14 Tf 72 770 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
