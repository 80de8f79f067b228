"""Which award procedure a tender's estimated value calls for, and why (pure).

The EU threshold for sub-central contracting authorities' supplies and services
(EUR 216,000 net from 1 January 2026) is *reached* at the threshold itself
(§ 106 GWB: "erreicht oder überschreitet"), so a value equal to it is EU-wide.
Below it, national value limits apply "up to" their amount (inclusive), as in
the UVgO and the Länder's administrative rules. All limits are settings: check
them against the rules that bind your authority.
"""

from __future__ import annotations

from dataclasses import dataclass

from civicpool_common.money import euros
from civicpool_common.vocabulary import Procedure


@dataclass(frozen=True)
class ValueLimits:
    eu_threshold_cents: int  # reached at or above: EU-wide open procedure
    direct_award_limit_cents: int  # up to this (inclusive): direct award
    restricted_limit_cents: int  # up to this (inclusive): restricted / negotiated award


@dataclass(frozen=True)
class Recommendation:
    procedure: Procedure
    reason: str


def recommend(estimated_net_cents: int, limits: ValueLimits) -> Recommendation:
    value = euros(estimated_net_cents)
    if estimated_net_cents >= limits.eu_threshold_cents:
        over = euros(estimated_net_cents - limits.eu_threshold_cents)
        return Recommendation(
            Procedure.OPEN_EU,
            f"The estimated net value of all lots, {value}, reaches the EU threshold for sub-central "
            f"authorities' supplies and services of {euros(limits.eu_threshold_cents)} (by {over}): "
            "an open procedure with EU-wide publication is required.",
        )
    below_eu = f"{euros(limits.eu_threshold_cents - estimated_net_cents)} below the EU threshold of " + euros(
        limits.eu_threshold_cents
    )
    if estimated_net_cents <= limits.direct_award_limit_cents:
        return Recommendation(
            Procedure.DIRECT_AWARD,
            f"The estimated net value of all lots, {value}, is within the national limit for a direct award "
            f"of {euros(limits.direct_award_limit_cents)} ({below_eu}): a direct award is allowed.",
        )
    if estimated_net_cents <= limits.restricted_limit_cents:
        return Recommendation(
            Procedure.RESTRICTED_OR_NEGOTIATED,
            f"The estimated net value of all lots, {value}, exceeds the direct-award limit of "
            f"{euros(limits.direct_award_limit_cents)} but is within the national limit for a restricted or "
            f"negotiated award of {euros(limits.restricted_limit_cents)} ({below_eu}).",
        )
    return Recommendation(
        Procedure.OPEN_NATIONAL,
        f"The estimated net value of all lots, {value}, exceeds the national limit for a restricted or "
        f"negotiated award of {euros(limits.restricted_limit_cents)} and is {below_eu}: a national open "
        "procedure (Öffentliche Ausschreibung) is required.",
    )
