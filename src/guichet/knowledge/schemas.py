from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field


class MacroOut(Schema):
    id: int
    name: str
    body: str
    team_id: int | None
    is_active: bool
    updated_at: datetime


class MacroIn(Schema):
    name: str = Field(max_length=100)
    body: str = Field(max_length=20_000)
    team_id: int | None = None


class MacroPatch(Schema):
    name: str | None = Field(default=None, max_length=100)
    body: str | None = Field(default=None, max_length=20_000)
    is_active: bool | None = None


class MacroRenderOut(Schema):
    body: str
