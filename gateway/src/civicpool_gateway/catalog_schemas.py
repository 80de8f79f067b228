"""REST shapes of the catalog: items, cities, vendors, cost keys."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from civicpool_common.vocabulary import CostKeyMethod, HostingRegion, ItemKind, LicenseModel
from pydantic import BaseModel, ConfigDict, Field

from civicpool_gateway.schemas import Cents, Day, ListParams, Patch, Request, Version

Slug = Annotated[str, Field(min_length=2, max_length=40, examples=["buehl"])]
VatRate = Annotated[int, Field(strict=True, ge=0, le=10_000, description="Basis points: 1900 = 19 %")]
Population = Annotated[int, Field(strict=True, ge=0, le=100_000_000)]


class Record(BaseModel):
    id: str
    active: bool
    version: int = Field(description="Increases with every change; send it back as If-Match")
    created_at: dt.datetime
    updated_at: dt.datetime


# -- items ---------------------------------------------------------------------


class ItemFields(Request):
    sku: str = Field(min_length=1, max_length=64, examples=["LAPTOP-14-STD"])
    name: str = Field(min_length=1, max_length=200, examples=["Notebook 14 Zoll, Standard"])
    description: str = Field("", max_length=4000)
    kind: ItemKind
    cpv_code: str = Field(description="CPV code with check digit", examples=["30213100-6"])
    unit: str = Field(min_length=1, max_length=32, examples=["Stück"])
    reference_price_cents: Cents
    vat_rate_bps: VatRate = 1900
    license_model: LicenseModel | None = None
    license_term_months: int | None = Field(None, strict=True, ge=1, le=120)
    hosting_region: HostingRegion | None = Field(None, description="Where the data lives (licenses, services)")
    dpa_available: bool = Field(False, description="A data-processing agreement (Art. 28 GDPR) is offered")
    open_source: bool = False


class ItemPatch(Patch):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reference_price_cents": 84900, "version": 3}]})

    clearable = frozenset({"license_model", "license_term_months", "hosting_region"})

    sku: str | None = Field(None, min_length=1, max_length=64)
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=4000)
    kind: ItemKind | None = None
    cpv_code: str | None = None
    unit: str | None = Field(None, min_length=1, max_length=32)
    reference_price_cents: Cents | None = None
    vat_rate_bps: VatRate | None = None
    license_model: LicenseModel | None = None
    license_term_months: int | None = Field(None, strict=True, ge=1, le=120)
    hosting_region: HostingRegion | None = None
    dpa_available: bool | None = None
    open_source: bool | None = None
    version: Version | None = None


class Item(Record):
    sku: str
    name: str
    description: str
    kind: ItemKind
    cpv_code: str
    unit: str
    reference_price_cents: int
    vat_rate_bps: int
    license_model: LicenseModel | None
    license_term_months: int | None
    hosting_region: HostingRegion | None
    dpa_available: bool
    open_source: bool


class ItemListParams(ListParams):
    kind: ItemKind | None = None
    cpv_prefix: str | None = Field(None, pattern=r"^\d{1,8}$", description="Leading digits of the CPV code")
    hosting_region: HostingRegion | None = None
    q: str | None = Field(None, max_length=100, description="Part of the name, any case")


# -- cities --------------------------------------------------------------------


class BillingUnitFields(Request):
    leitweg_id: str = Field(
        min_length=1, max_length=50, examples=["08216007-RECHNUNG-94"],
        description="Where the unit receives e-invoices (BT-10): checked by its check digits, unique in the network",
    )  # fmt: skip
    name: str = Field(min_length=1, max_length=120, examples=["Stadtverwaltung"])


class BillingUnit(BaseModel):
    leitweg_id: str
    name: str


class InvoicingFields(Request):
    """How the city invoices others (as the lead city charging the members a shared cost): each part of the
    XRechnung it issues as the seller."""

    street: str = Field(max_length=120, examples=["Marktplatz 2"])
    postcode: str = Field(max_length=120, examples=["76275"])
    town: str = Field(max_length=120, examples=["Ettlingen"])
    email: str = Field(max_length=120, description="Its electronic address (BT-34) and contact",
                       examples=["stadtkasse@ettlingen.example"])  # fmt: skip
    phone: str = Field("", max_length=120, examples=["+49 7243 101-0"])
    iban: str = Field(max_length=120, examples=["DE75512108001245126199"])
    tax_number: str = Field(max_length=120, description="Steuernummer (BT-32)", examples=["31049/12345"])
    contact_name: str = Field("", max_length=120, examples=["Stadtkasse"])


class Invoicing(BaseModel):
    street: str
    postcode: str
    town: str
    email: str
    phone: str
    iban: str
    tax_number: str
    contact_name: str


BillingUnits = Annotated[
    list[BillingUnitFields],
    Field(max_length=20, description="Where the city receives e-invoices; the first its default"),
]


class CityFields(Request):
    id: Slug = Field(description="Lower-case ASCII id, also the `city` claim of its users")
    name: str = Field(min_length=1, max_length=120, examples=["Bühl"])
    ags: str = Field(description="Amtlicher Gemeindeschlüssel, 8 digits", examples=["08216007"])
    population: Population
    joined_on: Day | None = None
    billing_units: BillingUnits = Field(default_factory=list)
    invoicing: InvoicingFields | None = None


class CityPatch(Patch):
    model_config = ConfigDict(json_schema_extra={"examples": [{"population": 46500, "version": 2}]})

    clearable = frozenset({"joined_on"})

    name: str | None = Field(None, min_length=1, max_length=120)
    ags: str | None = None
    population: Population | None = None
    joined_on: Day | None = None
    billing_units: BillingUnits | None = Field(None, description="All of them, replacing the ones before")
    invoicing: InvoicingFields | None = None
    version: Version | None = None


class City(Record):
    name: str
    ags: str
    population: int
    joined_on: dt.date | None
    billing_units: list[BillingUnit]
    invoicing: Invoicing | None = Field(description="How the city invoices others; null until given")


# -- vendors -------------------------------------------------------------------


class VendorFields(Request):
    id: Slug = Field(description="Lower-case ASCII id, also the `vendor` claim of its users")
    name: str = Field(min_length=1, max_length=200)
    vat_id: str | None = Field(
        None, max_length=20, description="Required for vendors from the EU", examples=["DE136695976"]
    )
    country: str = Field(min_length=2, max_length=2, examples=["DE"])
    contact_name: str = Field("", max_length=120)
    contact_email: str = Field("", max_length=254)
    contact_phone: str = Field("", max_length=40)


class VendorPatch(Patch):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"contact_email": "vergabe@rheintal-it.example", "version": 1}]}
    )

    clearable = frozenset({"vat_id"})

    name: str | None = Field(None, min_length=1, max_length=200)
    vat_id: str | None = Field(None, max_length=20)
    country: str | None = Field(None, min_length=2, max_length=2)
    contact_name: str | None = Field(None, max_length=120)
    contact_email: str | None = Field(None, max_length=254)
    contact_phone: str | None = Field(None, max_length=40)
    version: Version | None = None


class Vendor(Record):
    name: str
    vat_id: str | None
    country: str
    contact_name: str
    contact_email: str
    contact_phone: str


# -- cost keys -----------------------------------------------------------------


class CostShare(Request):
    city_id: str
    basis_points: int = Field(strict=True, ge=1, le=10_000, description="100 = 1 %; a key's shares sum to 10000")


class CostKeyFields(Request):
    id: Slug
    name: str = Field(min_length=1, max_length=120)
    description: str = Field("", max_length=2000)
    method: CostKeyMethod
    shares: list[CostShare] = Field(default_factory=list, max_length=500, description="Fixed keys only")


class CostKeyPatch(Patch):
    model_config = ConfigDict(json_schema_extra={"examples": [{"method": "population", "version": 1}]})

    name: str | None = Field(None, min_length=1, max_length=120)
    description: str | None = Field(None, max_length=2000)
    method: CostKeyMethod | None = None
    shares: list[CostShare] | None = Field(None, max_length=500)
    version: Version | None = None


class CostKey(Record):
    name: str
    description: str
    method: CostKeyMethod
    shares: list[CostShare]


class SplitRequest(Request):
    model_config = ConfigDict(json_schema_extra={"examples": [{"amount_cents": 1200000}]})

    amount_cents: int = Field(strict=True, ge=-(10**12), le=10**12, description="Euro cents; negative for refunds")
    usage: dict[str, Annotated[int, Field(strict=True, ge=0, le=10**12)]] = Field(
        default_factory=dict, max_length=500, description="Usage keys: quantity per city id"
    )
    city_ids: list[str] = Field(
        default_factory=list,
        max_length=500,
        description="The cities sharing the cost: equal and population keys split among these; a fixed or usage key "
        "that charges another city is refused. Empty: every active city (equal, population), no restriction (fixed)",
    )


class CostPart(BaseModel):
    city_id: str
    amount_cents: int


class Split(BaseModel):
    cost_key_id: str
    amount_cents: int
    parts: list[CostPart] = Field(description="Sums to amount_cents exactly")
