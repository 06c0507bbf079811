"""Shapes shared by every API: problems and cursor pages."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class FieldError(BaseModel):
    field: str = Field(examples=["national_id"])
    message: str = Field(examples=["check digit does not match"])


class Problem(BaseModel):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str = Field(examples=["/problems/version-conflict"])
    title: str = Field(examples=["Version conflict"])
    status: int = Field(examples=[409])
    detail: str = Field(examples=["the record was changed by someone else; reload and try again"])
    code: str = Field(examples=["VERSION_CONFLICT"])
    instance: str = Field(examples=["/api/v1/customers/cus_01JG0000000000000000000001"])
    request_id: str = Field(examples=["req_01JG0000000000000000000001"])
    errors: list[FieldError] = Field(default_factory=list)


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page; null on the last page.")


PROBLEM_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": Problem, "content": {"application/problem+json": {}}, "description": text}
    for status, text in {
        401: "Not signed in, or the token is invalid, expired or revoked",
        403: "The role may not use this endpoint",
        404: "Not found or outside the caller's scope",
        409: "Conflict (stale version, duplicate, illegal transition)",
        422: "Invalid input; `errors` names each field",
        429: "Too many requests; see Retry-After",
        503: "A backend service is unavailable; see Retry-After",
    }.items()
}
