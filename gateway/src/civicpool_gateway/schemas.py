"""REST request and response bodies shared by all routers."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from civicpool.common.v1.paging_pb2 import PageRequest
from civicpool_common.paging import DEFAULT_LIMIT, MAX_LIMIT
from pydantic import BaseModel, ConfigDict, Field

Row = TypeVar("Row")

# Money and quantities are JSON integers: 12.5 or "12" are refused, not rounded.
Cents = Annotated[int, Field(strict=True, ge=0, le=10**12, description="Euro cents, net", examples=[89900])]


class Page(BaseModel, Generic[Row]):
    """A page of a list; pass `next_cursor` as `cursor` for the next one (null: last page)."""

    data: list[Row]
    next_cursor: str | None


class ListParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Page size, at most {MAX_LIMIT}")
    cursor: str | None = Field(None, max_length=512, description="`next_cursor` of the previous page")
    include_inactive: bool = Field(False, description="Also list deactivated records")

    def page(self) -> PageRequest:
        return PageRequest(limit=self.limit, cursor=self.cursor or "")


class Request(BaseModel):
    """Base of request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")
