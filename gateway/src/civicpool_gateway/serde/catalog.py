"""The catalog's messages and their REST models: items, cities, vendors, cost keys and cost splits."""

from __future__ import annotations

from collections.abc import Iterable

from civicpool.catalog.v1 import catalog_pb2 as pb
from civicpool_common.vocabulary import CostKeyMethod, HostingRegion, ItemKind, LicenseModel, to_proto, words_of

from civicpool_gateway.catalog_schemas import (
    BillingUnit,
    BillingUnitFields,
    City,
    CityFields,
    CityPatch,
    CostKey,
    CostKeyFields,
    CostKeyPatch,
    CostPart,
    CostShare,
    Invoicing,
    InvoicingFields,
    Item,
    ItemFields,
    ItemPatch,
    Split,
    SplitRequest,
    Vendor,
    VendorFields,
    VendorPatch,
)
from civicpool_gateway.serde.fields import (
    count_or_none,
    day_or_none,
    day_text,
    text_or_none,
    time_or_none,
    to_timestamp,
    word,
)

ITEM_KINDS = words_of(pb.ItemKind, ItemKind)
LICENSE_MODELS = words_of(pb.LicenseModel, LicenseModel)
HOSTING_REGIONS = words_of(pb.HostingRegion, HostingRegion)
COST_KEY_METHODS = words_of(pb.CostKeyMethod, CostKeyMethod)


# -- items ---------------------------------------------------------------------


def item_from_proto(message: pb.Item) -> Item:
    return Item(
        id=message.id,
        active=message.active,
        version=message.version,
        created_at=time_or_none(message.HasField("created_at"), message.created_at),
        updated_at=time_or_none(message.HasField("updated_at"), message.updated_at),
        sku=message.sku,
        name=message.name,
        description=message.description,
        kind=word(message.kind, ITEM_KINDS),
        cpv_code=message.cpv_code,
        unit=message.unit,
        reference_price_cents=message.reference_price_cents,
        vat_rate_bps=message.vat_rate_bps,
        license_model=word(message.license_model, LICENSE_MODELS),
        license_term_months=count_or_none(message.license_term_months),
        hosting_region=word(message.hosting_region, HOSTING_REGIONS),
        dpa_available=message.dpa_available,
        open_source=message.open_source,
    )


def item_to_proto(item: Item) -> pb.Item:
    return pb.Item(
        id=item.id,
        active=item.active,
        version=item.version,
        created_at=to_timestamp(item.created_at),
        updated_at=to_timestamp(item.updated_at),
        sku=item.sku,
        name=item.name,
        description=item.description,
        kind=to_proto(item.kind, pb.ItemKind, ItemKind),
        cpv_code=item.cpv_code,
        unit=item.unit,
        reference_price_cents=item.reference_price_cents,
        vat_rate_bps=item.vat_rate_bps,
        license_model=to_proto(item.license_model, pb.LicenseModel, LicenseModel),
        license_term_months=item.license_term_months or 0,
        hosting_region=to_proto(item.hosting_region, pb.HostingRegion, HostingRegion),
        dpa_available=item.dpa_available,
        open_source=item.open_source,
    )


def item_fields_to_proto(fields: ItemFields) -> pb.Item:
    """A new item's fields (CreateItem)."""
    return pb.Item(
        sku=fields.sku,
        name=fields.name,
        description=fields.description,
        kind=to_proto(fields.kind, pb.ItemKind, ItemKind),
        cpv_code=fields.cpv_code,
        unit=fields.unit,
        reference_price_cents=fields.reference_price_cents,
        vat_rate_bps=fields.vat_rate_bps,
        license_model=to_proto(fields.license_model, pb.LicenseModel, LicenseModel),
        license_term_months=fields.license_term_months or 0,
        hosting_region=to_proto(fields.hosting_region, pb.HostingRegion, HostingRegion),
        dpa_available=fields.dpa_available,
        open_source=fields.open_source,
    )


def item_fields_from_proto(message: pb.Item) -> ItemFields:
    return ItemFields(
        sku=message.sku,
        name=message.name,
        description=message.description,
        kind=word(message.kind, ITEM_KINDS),
        cpv_code=message.cpv_code,
        unit=message.unit,
        reference_price_cents=message.reference_price_cents,
        vat_rate_bps=message.vat_rate_bps,
        license_model=word(message.license_model, LICENSE_MODELS),
        license_term_months=count_or_none(message.license_term_months),
        hosting_region=word(message.hosting_region, HOSTING_REGIONS),
        dpa_available=message.dpa_available,
        open_source=message.open_source,
    )


def item_patch_to_proto(item_id: str, patch: ItemPatch) -> pb.Item:
    """The item with the fields a PATCH changes (UpdateItem; `fields.update_mask` names them)."""
    return pb.Item(
        id=item_id,
        sku=patch.sku or "",
        name=patch.name or "",
        description=patch.description or "",
        kind=to_proto(patch.kind, pb.ItemKind, ItemKind),
        cpv_code=patch.cpv_code or "",
        unit=patch.unit or "",
        reference_price_cents=patch.reference_price_cents or 0,
        vat_rate_bps=patch.vat_rate_bps or 0,
        license_model=to_proto(patch.license_model, pb.LicenseModel, LicenseModel),
        license_term_months=patch.license_term_months or 0,
        hosting_region=to_proto(patch.hosting_region, pb.HostingRegion, HostingRegion),
        dpa_available=patch.dpa_available or False,
        open_source=patch.open_source or False,
    )


def item_patch_from_proto(message: pb.Item, mask: list[str]) -> ItemPatch:
    values = {
        "sku": message.sku,
        "name": message.name,
        "description": message.description,
        "kind": word(message.kind, ITEM_KINDS),
        "cpv_code": message.cpv_code,
        "unit": message.unit,
        "reference_price_cents": message.reference_price_cents,
        "vat_rate_bps": message.vat_rate_bps,
        "license_model": word(message.license_model, LICENSE_MODELS),
        "license_term_months": count_or_none(message.license_term_months),
        "hosting_region": word(message.hosting_region, HOSTING_REGIONS),
        "dpa_available": message.dpa_available,
        "open_source": message.open_source,
    }
    return ItemPatch.model_validate({name: values[name] for name in mask})


# -- cities --------------------------------------------------------------------


def city_from_proto(message: pb.City) -> City:
    return City(
        id=message.id,
        active=message.active,
        version=message.version,
        created_at=time_or_none(message.HasField("created_at"), message.created_at),
        updated_at=time_or_none(message.HasField("updated_at"), message.updated_at),
        name=message.name,
        ags=message.ags,
        population=message.population,
        joined_on=day_or_none(message.joined_on),
        billing_units=_units_from_proto(message.billing_units),
        invoicing=Invoicing(**_invoicing(message.invoicing)) if message.HasField("invoicing") else None,
    )


def _invoicing(message: pb.Invoicing) -> dict[str, str]:
    return {"street": message.street, "postcode": message.postcode, "town": message.town, "email": message.email,
            "phone": message.phone, "iban": message.iban, "tax_number": message.tax_number,
            "contact_name": message.contact_name}  # fmt: skip


def _invoicing_to_proto(invoicing: Invoicing | InvoicingFields | None) -> pb.Invoicing | None:
    return pb.Invoicing(**invoicing.model_dump()) if invoicing is not None else None


def _units_from_proto(units: Iterable[pb.BillingUnit]) -> list[BillingUnit]:
    return [BillingUnit(leitweg_id=u.leitweg_id, name=u.name) for u in units]


def _unit_fields_from_proto(units: Iterable[pb.BillingUnit]) -> list[BillingUnitFields]:
    return [BillingUnitFields(leitweg_id=u.leitweg_id, name=u.name) for u in units]


def _units_to_proto(units: Iterable[BillingUnit | BillingUnitFields]) -> list[pb.BillingUnit]:
    return [pb.BillingUnit(leitweg_id=u.leitweg_id, name=u.name) for u in units]


def city_to_proto(city: City) -> pb.City:
    return pb.City(
        id=city.id,
        active=city.active,
        version=city.version,
        created_at=to_timestamp(city.created_at),
        updated_at=to_timestamp(city.updated_at),
        name=city.name,
        ags=city.ags,
        population=city.population,
        joined_on=day_text(city.joined_on),
        billing_units=_units_to_proto(city.billing_units),
        invoicing=_invoicing_to_proto(city.invoicing),
    )


def city_fields_to_proto(fields: CityFields) -> pb.City:
    return pb.City(
        id=fields.id,
        name=fields.name,
        ags=fields.ags,
        population=fields.population,
        joined_on=day_text(fields.joined_on),
        billing_units=_units_to_proto(fields.billing_units),
        invoicing=_invoicing_to_proto(fields.invoicing),
    )


def city_fields_from_proto(message: pb.City) -> CityFields:
    return CityFields(
        id=message.id,
        name=message.name,
        ags=message.ags,
        population=message.population,
        joined_on=day_or_none(message.joined_on),
        billing_units=_unit_fields_from_proto(message.billing_units),
        invoicing=InvoicingFields(**_invoicing(message.invoicing)) if message.HasField("invoicing") else None,
    )


def city_patch_to_proto(city_id: str, patch: CityPatch) -> pb.City:
    return pb.City(
        id=city_id,
        name=patch.name or "",
        ags=patch.ags or "",
        population=patch.population or 0,
        joined_on=day_text(patch.joined_on),
        billing_units=_units_to_proto(patch.billing_units or []),
        invoicing=_invoicing_to_proto(patch.invoicing),
    )


def city_patch_from_proto(message: pb.City, mask: list[str]) -> CityPatch:
    values = {
        "name": message.name,
        "ags": message.ags,
        "population": message.population,
        "joined_on": day_or_none(message.joined_on),
        "billing_units": _unit_fields_from_proto(message.billing_units),
        "invoicing": InvoicingFields(**_invoicing(message.invoicing)) if message.HasField("invoicing") else None,
    }
    return CityPatch.model_validate({name: values[name] for name in mask})


# -- vendors -------------------------------------------------------------------


def vendor_from_proto(message: pb.Vendor) -> Vendor:
    return Vendor(
        id=message.id,
        active=message.active,
        version=message.version,
        created_at=time_or_none(message.HasField("created_at"), message.created_at),
        updated_at=time_or_none(message.HasField("updated_at"), message.updated_at),
        name=message.name,
        vat_id=text_or_none(message.vat_id),
        country=message.country,
        contact_name=message.contact_name,
        contact_email=message.contact_email,
        contact_phone=message.contact_phone,
    )


def vendor_to_proto(vendor: Vendor) -> pb.Vendor:
    return pb.Vendor(
        id=vendor.id,
        active=vendor.active,
        version=vendor.version,
        created_at=to_timestamp(vendor.created_at),
        updated_at=to_timestamp(vendor.updated_at),
        name=vendor.name,
        vat_id=vendor.vat_id or "",
        country=vendor.country,
        contact_name=vendor.contact_name,
        contact_email=vendor.contact_email,
        contact_phone=vendor.contact_phone,
    )


def vendor_fields_to_proto(fields: VendorFields) -> pb.Vendor:
    return pb.Vendor(
        id=fields.id,
        name=fields.name,
        vat_id=fields.vat_id or "",
        country=fields.country,
        contact_name=fields.contact_name,
        contact_email=fields.contact_email,
        contact_phone=fields.contact_phone,
    )


def vendor_fields_from_proto(message: pb.Vendor) -> VendorFields:
    return VendorFields(
        id=message.id,
        name=message.name,
        vat_id=text_or_none(message.vat_id),
        country=message.country,
        contact_name=message.contact_name,
        contact_email=message.contact_email,
        contact_phone=message.contact_phone,
    )


def vendor_patch_to_proto(vendor_id: str, patch: VendorPatch) -> pb.Vendor:
    return pb.Vendor(
        id=vendor_id,
        name=patch.name or "",
        vat_id=patch.vat_id or "",
        country=patch.country or "",
        contact_name=patch.contact_name or "",
        contact_email=patch.contact_email or "",
        contact_phone=patch.contact_phone or "",
    )


def vendor_patch_from_proto(message: pb.Vendor, mask: list[str]) -> VendorPatch:
    values = {
        "name": message.name,
        "vat_id": text_or_none(message.vat_id),
        "country": message.country,
        "contact_name": message.contact_name,
        "contact_email": message.contact_email,
        "contact_phone": message.contact_phone,
    }
    return VendorPatch.model_validate({name: values[name] for name in mask})


# -- cost keys -----------------------------------------------------------------


def cost_share_from_proto(message: pb.CostShare) -> CostShare:
    return CostShare(city_id=message.city_id, basis_points=message.basis_points)


def cost_share_to_proto(share: CostShare) -> pb.CostShare:
    return pb.CostShare(city_id=share.city_id, basis_points=share.basis_points)


def cost_key_from_proto(message: pb.CostKey) -> CostKey:
    return CostKey(
        id=message.id,
        active=message.active,
        version=message.version,
        created_at=time_or_none(message.HasField("created_at"), message.created_at),
        updated_at=time_or_none(message.HasField("updated_at"), message.updated_at),
        name=message.name,
        description=message.description,
        method=word(message.method, COST_KEY_METHODS),
        shares=[cost_share_from_proto(s) for s in message.shares],
    )


def cost_key_to_proto(cost_key: CostKey) -> pb.CostKey:
    return pb.CostKey(
        id=cost_key.id,
        active=cost_key.active,
        version=cost_key.version,
        created_at=to_timestamp(cost_key.created_at),
        updated_at=to_timestamp(cost_key.updated_at),
        name=cost_key.name,
        description=cost_key.description,
        method=to_proto(cost_key.method, pb.CostKeyMethod, CostKeyMethod),
        shares=[cost_share_to_proto(s) for s in cost_key.shares],
    )


def cost_key_fields_to_proto(fields: CostKeyFields) -> pb.CostKey:
    return pb.CostKey(
        id=fields.id,
        name=fields.name,
        description=fields.description,
        method=to_proto(fields.method, pb.CostKeyMethod, CostKeyMethod),
        shares=[cost_share_to_proto(s) for s in fields.shares],
    )


def cost_key_fields_from_proto(message: pb.CostKey) -> CostKeyFields:
    return CostKeyFields(
        id=message.id,
        name=message.name,
        description=message.description,
        method=word(message.method, COST_KEY_METHODS),
        shares=[cost_share_from_proto(s) for s in message.shares],
    )


def cost_key_patch_to_proto(cost_key_id: str, patch: CostKeyPatch) -> pb.CostKey:
    return pb.CostKey(
        id=cost_key_id,
        name=patch.name or "",
        description=patch.description or "",
        method=to_proto(patch.method, pb.CostKeyMethod, CostKeyMethod),
        shares=[cost_share_to_proto(s) for s in patch.shares or ()],
    )


def cost_key_patch_from_proto(message: pb.CostKey, mask: list[str]) -> CostKeyPatch:
    values = {
        "name": message.name,
        "description": message.description,
        "method": word(message.method, COST_KEY_METHODS),
        "shares": [cost_share_from_proto(s) for s in message.shares],
    }
    return CostKeyPatch.model_validate({name: values[name] for name in mask})


# -- cost splits ---------------------------------------------------------------


def split_request_to_proto(cost_key_id: str, body: SplitRequest) -> pb.SplitCostRequest:
    return pb.SplitCostRequest(
        cost_key_id=cost_key_id, amount_cents=body.amount_cents, usage=body.usage, city_ids=body.city_ids
    )


def split_request_from_proto(request: pb.SplitCostRequest) -> SplitRequest:
    return SplitRequest(amount_cents=request.amount_cents, usage=dict(request.usage), city_ids=list(request.city_ids))


def split_from_proto(request: pb.SplitCostRequest, reply: pb.SplitCostResponse) -> Split:
    """The split of the request's amount by its key: the reply holds the parts alone."""
    return Split(
        cost_key_id=request.cost_key_id,
        amount_cents=request.amount_cents,
        parts=[CostPart(city_id=p.city_id, amount_cents=p.amount_cents) for p in reply.parts],
    )


def split_to_proto(split: Split) -> pb.SplitCostResponse:
    return pb.SplitCostResponse(
        parts=[pb.CostPart(city_id=p.city_id, amount_cents=p.amount_cents) for p in split.parts]
    )
