"""Cursors, page sizes, enum words, ids, operation ids and who sees which numbers."""

from __future__ import annotations

import pytest
from civicpool.catalog.v1 import catalog_pb2 as pb
from civicpool_common.auth import Principal, Role
from civicpool_common.errors import InvalidArgument
from civicpool_common.ids import time_ordered_id
from civicpool_common.paging import MAX_LIMIT, decode_cursor, encode_cursor, resolve_limit
from civicpool_common.vocabulary import CostKeyMethod, HostingRegion, ItemKind, LicenseModel, from_proto, to_proto


def test_cursor_round_trip_keeps_any_key() -> None:
    for key in ["LAPTOP-14", "bühl", "a" * 200, ""]:
        assert decode_cursor(encode_cursor(key)) == key


@pytest.mark.parametrize("cursor", ["nonsense", "e30", "!!!", encode_cursor("x")[:-2] + "@@"])
def test_a_cursor_we_did_not_hand_out_is_refused_with_the_field_named(cursor: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        decode_cursor(cursor)
    assert [v.field for v in caught.value.violations] == ["cursor"]


def test_page_size_defaults_and_bounds() -> None:
    assert resolve_limit(0) == 50
    assert resolve_limit(1) == 1
    assert resolve_limit(MAX_LIMIT) == MAX_LIMIT
    for bad in (-1, MAX_LIMIT + 1):
        with pytest.raises(InvalidArgument):
            resolve_limit(bad)


@pytest.mark.parametrize(
    ("words", "proto_enum"),
    [(ItemKind, pb.ItemKind), (LicenseModel, pb.LicenseModel), (HostingRegion, pb.HostingRegion),
     (CostKeyMethod, pb.CostKeyMethod)],
)  # fmt: skip
def test_every_word_has_its_proto_value_and_back(words: type, proto_enum: object) -> None:
    for word in words:  # type: ignore[attr-defined]
        number = to_proto(word, proto_enum, words)
        assert number != 0
        assert from_proto(number, proto_enum, words) is word
    assert len(list(words)) == len(proto_enum.DESCRIPTOR.values) - 1  # type: ignore[attr-defined]  # all but UNSPECIFIED


def test_unknown_words_and_numbers_become_unspecified() -> None:
    assert to_proto("laptop", pb.ItemKind, ItemKind) == 0
    assert to_proto(None, pb.ItemKind, ItemKind) == 0
    assert from_proto(0, pb.ItemKind, ItemKind) is None
    assert from_proto(99, pb.ItemKind, ItemKind) is None


def test_time_ordered_ids_sort_by_creation() -> None:
    ids = [time_ordered_id() for _ in range(50)]
    assert len(set(ids)) == 50
    # ids made in the same millisecond may tie on time but not collide; across milliseconds they sort
    assert ids[0][:13] <= ids[-1][:13]


def test_every_api_operation_has_a_unique_stable_id() -> None:
    from civicpool_gateway.main import create_app

    operations = [op for path in create_app().openapi()["paths"].values() for op in path.values()]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))
    assert {"list_items", "update_city", "deactivate_vendor", "split_cost", "me"} <= set(ids)


def test_one_rule_for_whose_numbers_a_caller_sees() -> None:
    def who(*roles: Role, city: str | None = None) -> Principal:
        return Principal("u", "u", frozenset(roles), city=city)

    cities = ("bruchsal", "buehl")
    seen = {
        "lead": who(Role.PROCUREMENT_LEAD, city="ettlingen"),
        "admin": who(Role.NETWORK_ADMIN),
        "network finance": who(Role.FINANCE),
        "bruchsal it": who(Role.CITY_IT, city="bruchsal"),
        "bruchsal finance": who(Role.FINANCE, city="bruchsal"),
        "city it without a city": who(Role.CITY_IT),
        "vendor": Principal("v", "vendor.rheintal", frozenset({Role.VENDOR}), vendor="rheintal"),
    }
    assert {name: [c for c in cities if p.sees_city(c)] for name, p in seen.items()} == {
        "lead": ["bruchsal", "buehl"], "admin": ["bruchsal", "buehl"], "network finance": ["bruchsal", "buehl"],
        "bruchsal it": ["bruchsal"], "bruchsal finance": ["bruchsal"], "city it without a city": [], "vendor": [],
    }  # fmt: skip
