from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field


class CustomerIn(Schema):
    name: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    language: str = Field("fr", pattern="^(fr|en)$")
    organisation: str = Field("", max_length=200)
    segment: str = Field("", max_length=50)


class CustomerOut(Schema):
    id: int
    name: str
    email: str
    phone: str
    language: str
    organisation: str | None
    segment: str
    created_at: datetime

    @staticmethod
    def resolve_organisation(obj) -> str | None:
        return obj.organisation.name if obj.organisation_id else None


class CustomerRef(Schema):
    id: int
    name: str
    email: str


class CustomerPage(Schema):
    items: list[CustomerOut]
    next_cursor: str | None
