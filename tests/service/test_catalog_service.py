"""The catalog's use cases on real databases (SQLite and PostgreSQL), built by the migrations."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from civicpool_catalog.repository import ItemFilter
from civicpool_catalog.service import CITIES, COST_KEYS, ITEMS, VENDORS, CatalogService
from civicpool_common.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    VersionConflict,
)
from civicpool_common.leitweg import make

from tests.service.conftest import ADMIN, CITY_IT, LEAD

LAPTOP: dict[str, Any] = {
    "sku": "LAPTOP-14", "name": "Notebook 14 Zoll", "description": "", "kind": "hardware", "cpv_code": "30213100-6",
    "unit": "Stück", "reference_price_cents": 89_900, "vat_rate_bps": 1900, "license_model": None,
    "license_term_months": None, "hosting_region": None, "dpa_available": False, "open_source": False,
}  # fmt: skip
JITSI: dict[str, Any] = {
    **LAPTOP, "sku": "VC-JITSI", "name": "Jitsi, selbst gehostet", "kind": "license", "cpv_code": "48515000-1",
    "unit": "Nutzer/Jahr", "reference_price_cents": 1_800, "license_model": "per_user", "license_term_months": 12,
    "hosting_region": "DE", "dpa_available": True, "open_source": True,
}  # fmt: skip
ALL_ITEMS = ItemFilter()


def city(city_id: str, name: str, ags: str, population: int) -> dict[str, Any]:
    return {"id": city_id, "name": name, "ags": ags, "population": population, "joined_on": dt.date(2020, 6, 1)}


async def add_cities(catalog: CatalogService) -> None:
    for values in (
        city("rastatt", "Rastatt", "08216043", 51_000),
        city("gaggenau", "Gaggenau", "08216015", 30_000),
        city("buehl", "Bühl", "08216007", 30_000),
    ):
        await catalog.create(ADMIN, CITIES, values)


async def test_creating_an_item_assigns_id_version_and_utc_times(catalog: CatalogService) -> None:
    item = await catalog.create(ADMIN, ITEMS, LAPTOP)
    stored = await catalog.get(ITEMS, item.id)
    assert (stored.sku, stored.version, stored.active) == ("LAPTOP-14", 1, True)
    assert stored.created_at.tzinfo is dt.UTC
    assert stored.reference_price_cents == 89_900


@pytest.mark.parametrize("who", [CITY_IT, LEAD])
async def test_only_network_admins_write_and_a_refusal_writes_nothing(catalog: CatalogService, who: Any) -> None:
    with pytest.raises(PermissionDenied, match="network-admin"):
        await catalog.create(who, ITEMS, LAPTOP)
    assert (await catalog.items_page(ALL_ITEMS, 0, "")).records == []


async def test_an_invalid_item_names_every_bad_field_and_writes_nothing(catalog: CatalogService) -> None:
    with pytest.raises(InvalidArgument) as caught:
        await catalog.create(ADMIN, ITEMS, {**LAPTOP, "cpv_code": "30213100-7", "unit": "", "license_term_months": 12})
    assert {v.field for v in caught.value.violations} == {"cpv_code", "unit", "license_term_months"}
    assert (await catalog.items_page(ALL_ITEMS, 0, "")).records == []


async def test_a_second_item_with_the_same_sku_is_refused(catalog: CatalogService) -> None:
    await catalog.create(ADMIN, ITEMS, LAPTOP)
    with pytest.raises(AlreadyExists) as caught:
        await catalog.create(ADMIN, ITEMS, {**LAPTOP, "name": "Another"})
    assert [v.field for v in caught.value.violations] == ["sku"]


async def test_an_update_changes_only_the_named_fields_and_bumps_the_version(catalog: CatalogService) -> None:
    item = await catalog.create(ADMIN, ITEMS, LAPTOP)
    updated = await catalog.update(ADMIN, ITEMS, item.id, {"reference_price_cents": 84_900}, expected_version=1)
    assert (updated.version, updated.reference_price_cents, updated.name) == (2, 84_900, "Notebook 14 Zoll")
    assert updated.updated_at > item.created_at


async def test_a_stale_version_is_refused_and_changes_nothing(catalog: CatalogService) -> None:
    item = await catalog.create(ADMIN, ITEMS, LAPTOP)
    await catalog.update(ADMIN, ITEMS, item.id, {"name": "Notebook A"}, expected_version=1)
    with pytest.raises(VersionConflict) as caught:
        await catalog.update(ADMIN, ITEMS, item.id, {"name": "Notebook B"}, expected_version=1)
    assert caught.value.metadata == {"expected_version": "1", "current_version": "2"}
    assert (await catalog.get(ITEMS, item.id)).name == "Notebook A"


async def test_of_two_concurrent_edits_of_one_version_exactly_one_wins(catalog: CatalogService) -> None:
    item = await catalog.create(ADMIN, ITEMS, LAPTOP)
    results = await asyncio.gather(
        *(catalog.update(ADMIN, ITEMS, item.id, {"name": f"Edit {n}"}, expected_version=1) for n in range(5)),
        return_exceptions=True,
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(r, VersionConflict) for r in results if r not in winners)
    stored = await catalog.get(ITEMS, item.id)
    assert (stored.version, stored.name) == (2, winners[0].name)


async def test_an_update_must_name_the_version_and_known_fields(catalog: CatalogService) -> None:
    item = await catalog.create(ADMIN, ITEMS, LAPTOP)
    with pytest.raises(InvalidArgument, match="version"):
        await catalog.update(ADMIN, ITEMS, item.id, {"name": "x"}, expected_version=0)
    with pytest.raises(InvalidArgument) as caught:
        await catalog.update(ADMIN, ITEMS, item.id, {"id": "other", "active": False}, expected_version=1)
    assert [v.field for v in caught.value.violations] == ["update_mask"]


async def test_an_update_that_breaks_a_rule_changes_nothing(catalog: CatalogService) -> None:
    item = await catalog.create(ADMIN, ITEMS, LAPTOP)
    with pytest.raises(InvalidArgument) as caught:
        await catalog.update(ADMIN, ITEMS, item.id, {"kind": "license"}, expected_version=1)
    assert {v.field for v in caught.value.violations} == {"license_model", "license_term_months", "hosting_region"}
    stored = await catalog.get(ITEMS, item.id)
    assert (stored.kind, stored.version) == ("hardware", 1)


async def test_unknown_records_are_not_found(catalog: CatalogService) -> None:
    with pytest.raises(NotFound):
        await catalog.get(ITEMS, "no-such-id")
    with pytest.raises(NotFound):
        await catalog.update(ADMIN, VENDORS, "nobody", {"name": "x"}, expected_version=1)


async def test_a_deactivated_item_leaves_the_list_but_stays_readable(catalog: CatalogService) -> None:
    laptop = await catalog.create(ADMIN, ITEMS, LAPTOP)
    await catalog.create(ADMIN, ITEMS, JITSI)
    deactivated = await catalog.set_active(ADMIN, ITEMS, laptop.id, active=False, expected_version=0)
    assert (deactivated.active, deactivated.version) == (False, 2)
    active_only = ItemFilter(kind=None, cpv_prefix="", hosting_region=None, include_inactive=False, name_contains="")
    assert [i.sku for i in (await catalog.items_page(active_only, 0, "")).records] == ["VC-JITSI"]
    assert (await catalog.get(ITEMS, laptop.id)).active is False
    again = await catalog.set_active(ADMIN, ITEMS, laptop.id, active=False, expected_version=0)
    assert again.version == 2  # deactivating twice changes nothing
    assert (await catalog.set_active(ADMIN, ITEMS, laptop.id, active=True, expected_version=2)).active is True


async def test_pages_cover_every_item_once_in_sku_order(catalog: CatalogService) -> None:
    skus = [f"SKU-{n:02d}" for n in range(7)]
    for sku in reversed(skus):
        await catalog.create(ADMIN, ITEMS, {**LAPTOP, "sku": sku})
    seen, cursor, pages = [], "", 0
    while True:
        page = await catalog.items_page(ALL_ITEMS, 3, cursor)
        seen += [i.sku for i in page.records]
        pages += 1
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == skus
    assert pages == 3
    exact = await catalog.items_page(ALL_ITEMS, 7, "")
    assert len(exact.records) == 7
    assert exact.next_cursor == ""  # a full last page says there is no next one


async def test_filters_by_kind_cpv_prefix_region_and_name(catalog: CatalogService) -> None:
    await catalog.create(ADMIN, ITEMS, LAPTOP)
    await catalog.create(ADMIN, ITEMS, JITSI)

    async def skus(**filters: Any) -> list[str]:
        query = {"kind": None, "cpv_prefix": "", "hosting_region": None, "include_inactive": False,
                 "name_contains": "", **filters}  # fmt: skip
        return [i.sku for i in (await catalog.items_page(ItemFilter(**query), 0, "")).records]

    assert await skus(kind="license") == ["VC-JITSI"]
    assert await skus(cpv_prefix="302") == ["LAPTOP-14"]
    assert await skus(cpv_prefix="3") == ["LAPTOP-14"]
    assert await skus(hosting_region="DE") == ["VC-JITSI"]
    assert await skus(hosting_region="third_country") == []
    assert await skus(name_contains="NOTEBOOK") == ["LAPTOP-14"]
    assert await skus(name_contains="%") == []  # LIKE wildcards are searched for literally


async def test_a_fixed_cost_key_must_sum_to_100_percent(catalog: CatalogService) -> None:
    await add_cities(catalog)
    shares = {"rastatt": 5000, "gaggenau": 3000, "buehl": 1999}
    with pytest.raises(InvalidArgument, match="shares"):
        await catalog.create(ADMIN, COST_KEYS, {"id": "pilot", "name": "Pilot", "description": "", "method": "fixed",
                                                "shares": shares})  # fmt: skip
    key = await catalog.create(ADMIN, COST_KEYS, {"id": "pilot", "name": "Pilot", "description": "", "method": "fixed",
                                                  "shares": {**shares, "buehl": 2000}})  # fmt: skip
    assert {s.city_id: s.basis_points for s in key.shares} == {"rastatt": 5000, "gaggenau": 3000, "buehl": 2000}
    changed = await catalog.update(
        ADMIN, COST_KEYS, "pilot", {"shares": {"rastatt": 6000, "gaggenau": 4000}}, expected_version=1
    )
    assert changed.version == 2
    assert {s.city_id: s.basis_points for s in (await catalog.get(COST_KEYS, "pilot")).shares} == {
        "rastatt": 6000,
        "gaggenau": 4000,
    }


async def test_a_city_with_a_fixed_share_cannot_be_deactivated(catalog: CatalogService) -> None:
    await add_cities(catalog)
    await catalog.create(ADMIN, COST_KEYS, {"id": "pilot", "name": "Pilot", "description": "", "method": "fixed",
                                            "shares": {"rastatt": 5000, "buehl": 5000}})  # fmt: skip
    with pytest.raises(FailedPrecondition, match="pilot"):
        await catalog.set_active(ADMIN, CITIES, "buehl", active=False, expected_version=0)
    assert (await catalog.get(CITIES, "buehl")).active is True
    assert (await catalog.set_active(ADMIN, CITIES, "gaggenau", active=False, expected_version=0)).active is False


async def test_cost_splits_add_up_to_the_cent(catalog: CatalogService) -> None:
    await add_cities(catalog)
    for key_id, method in (("equal", "equal"), ("population", "population"), ("usage", "usage")):
        await catalog.create(ADMIN, COST_KEYS, {"id": key_id, "name": key_id, "description": "", "method": method})
    assert await catalog.split_cost("equal", 100_00, {}, []) == {"buehl": 3334, "gaggenau": 3333, "rastatt": 3333}
    by_population = await catalog.split_cost("population", 111_000_00, {}, [])
    assert by_population == {"rastatt": 51_000_00, "gaggenau": 30_000_00, "buehl": 30_000_00}
    assert await catalog.split_cost("usage", 1000, {"rastatt": 3, "buehl": 1}, []) == {"rastatt": 750, "buehl": 250}
    assert await catalog.split_cost("equal", 1001, {}, ["rastatt", "buehl"]) == {"buehl": 501, "rastatt": 500}
    with pytest.raises(InvalidArgument, match="atlantis"):
        await catalog.split_cost("usage", 1000, {"atlantis": 1}, [])


async def test_cities_and_vendors_are_validated(catalog: CatalogService) -> None:
    with pytest.raises(InvalidArgument) as caught:
        await catalog.create(ADMIN, CITIES, city("Bühl", "Bühl", "8216007", -1))
    assert {v.field for v in caught.value.violations} == {"id", "ags", "population"}
    await catalog.create(ADMIN, CITIES, city("buehl", "Bühl", "08216007", 30_000))
    with pytest.raises(AlreadyExists) as taken:
        await catalog.create(ADMIN, CITIES, city("buehl-2", "Bühl (Baden)", "08216007", 30_000))
    assert [v.field for v in taken.value.violations] == ["ags"]
    vendor = {"id": "rheintal", "name": "Rheintal IT", "vat_id": "DE136695975", "country": "DE",
              "contact_name": "", "contact_email": "not-an-address", "contact_phone": ""}  # fmt: skip
    with pytest.raises(InvalidArgument) as bad_vendor:
        await catalog.create(ADMIN, VENDORS, vendor)
    assert {v.field for v in bad_vendor.value.violations} == {"vat_id", "contact_email"}


async def test_a_citys_billing_units_need_valid_leitweg_ids_that_no_other_city_has(catalog: CatalogService) -> None:
    """Where invoices go (BT-10): each Leitweg-ID by its check digits, once in the network, in either case."""
    town_hall = {"leitweg_id": "08216007-RECHNUNG-94", "name": "Stadtverwaltung"}
    assert str(make("08216007", "RECHNUNG")) == town_hall["leitweg_id"]
    buehl = await catalog.create(ADMIN, CITIES, city("buehl", "Bühl", "08216007", 30_000) | {
        "billing_units": [town_hall, {"leitweg_id": str(make("08216007", "SCHULEN")), "name": "Schulen"}]})  # fmt: skip
    assert [u["name"] for u in buehl.billing_units] == ["Stadtverwaltung", "Schulen"]
    wrong = {"billing_units": [{"leitweg_id": "08216015-RECHNUNG-07", "name": "Stadtverwaltung"},
                               {"leitweg_id": "08216007-rechnung-94", "name": "Kämmerei"}, town_hall]}  # fmt: skip
    with pytest.raises(InvalidArgument) as caught:
        await catalog.create(ADMIN, CITIES, city("gaggenau", "Gaggenau", "08216015", 30_000) | wrong)
    assert [(v.field, str(v.description)) for v in caught.value.violations] == [
        ("billing_units[0].leitweg_id", "the check digits are 61, not 07"),
        ("billing_units[2].leitweg_id", "appears twice"),
        ("billing_units[1].leitweg_id", "is the Leitweg-ID of buehl already"),
        ("billing_units[2].leitweg_id", "is the Leitweg-ID of buehl already"),
    ]
    with pytest.raises(NotFound):
        await catalog.get(CITIES, "gaggenau")  # nothing written
    moved = await catalog.update(ADMIN, CITIES, "buehl", {"billing_units": [town_hall]}, buehl.version)
    assert moved.billing_units == [town_hall] and moved.version == buehl.version + 1


async def test_a_city_invoices_others_with_every_part_an_xrechnung_needs(catalog: CatalogService) -> None:
    given = {
        "street": "Marktplatz 2",
        "postcode": "76275",
        "town": "Ettlingen",
        "email": "stadtkasse@ettlingen.example",
        "phone": "",
        "iban": "DE75512108001245126199",
        "tax_number": "31049/12345",
        "contact_name": "Stadtkasse",
    }
    ettlingen = await catalog.create(ADMIN, CITIES, city("ettlingen", "Ettlingen", "08215017", 39_000) | {
        "invoicing": given})  # fmt: skip
    assert ettlingen.invoicing == given
    wrong = given | {"postcode": "7627", "iban": "DE75512108001245126198", "tax_number": "", "email": "kasse"}
    with pytest.raises(InvalidArgument) as caught:
        await catalog.update(ADMIN, CITIES, "ettlingen", {"invoicing": wrong}, ettlingen.version)
    assert {v.field for v in caught.value.violations} == {
        "invoicing.tax_number", "invoicing.postcode", "invoicing.email", "invoicing.iban"}  # fmt: skip
    cleared = await catalog.update(ADMIN, CITIES, "ettlingen", {"invoicing": {}}, ettlingen.version)
    assert cleared.invoicing == {}


async def test_a_city_cannot_lose_its_membership_while_a_fixed_key_gives_it_a_share(
    catalog: CatalogService,
) -> None:
    """Deactivating a city and creating a fixed key for it, at the same time: never both."""
    for round_ in range(8):
        city_id = f"race-{round_}"
        await catalog.create(ADMIN, CITIES, city(city_id, f"Race {round_}", f"0800{round_:04d}", 1000))
        key = {"id": f"key-{round_}", "name": f"Key {round_}", "description": "", "method": "fixed",
               "shares": {city_id: 10_000}}  # fmt: skip
        deactivated, created = await asyncio.gather(
            catalog.set_active(ADMIN, CITIES, city_id, active=False, expected_version=0),
            catalog.create(ADMIN, COST_KEYS, key),
            return_exceptions=True,
        )
        both_won = not isinstance(deactivated, BaseException) and not isinstance(created, BaseException)
        assert not both_won, f"round {round_}: an active fixed key names an inactive city"
        assert isinstance(deactivated, FailedPrecondition) or isinstance(created, InvalidArgument), (
            deactivated,
            created,
        )


async def test_of_concurrent_creates_with_one_sku_one_wins_and_the_rest_are_told_why(catalog: CatalogService) -> None:
    results = await asyncio.gather(
        *(catalog.create(ADMIN, ITEMS, {**LAPTOP, "name": f"Copy {n}"}) for n in range(5)), return_exceptions=True
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, AlreadyExists) for r in results if isinstance(r, BaseException)), results


async def test_a_key_that_became_invalid_cannot_be_reactivated_as_it_is(catalog: CatalogService) -> None:
    await add_cities(catalog)
    await catalog.create(ADMIN, COST_KEYS, {"id": "pilot", "name": "Pilot", "description": "", "method": "fixed",
                                            "shares": {"rastatt": 5000, "gaggenau": 5000}})  # fmt: skip
    await catalog.set_active(ADMIN, COST_KEYS, "pilot", active=False, expected_version=0)
    await catalog.set_active(ADMIN, CITIES, "gaggenau", active=False, expected_version=0)
    with pytest.raises(FailedPrecondition, match="cannot be reactivated"):
        await catalog.set_active(ADMIN, COST_KEYS, "pilot", active=True, expected_version=0)
    assert (await catalog.get(COST_KEYS, "pilot")).active is False
