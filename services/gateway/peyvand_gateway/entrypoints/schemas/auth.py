"""Sign-in and session models."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LoginCreate(BaseModel):
    username: str = Field(min_length=1, max_length=100, examples=["staff"])
    password: str = Field(min_length=1, max_length=200, examples=["staff-demo-1405"])


class RefreshCreate(BaseModel):
    refresh_token: str = Field(min_length=10, max_length=200)


class UserPublic(BaseModel):
    user_id: str = Field(examples=["usr_01JG0000000000000000000MB2"])
    username: str = Field(examples=["staff"])
    display_name: str = Field(examples=["نرگس موسوی"])
    role: str = Field(examples=["staff"])
    agent_id: str | None = None
    branch_codes: list[str] = Field(default_factory=list, examples=[["1021"]])
    region_code: str | None = None


class TokenPairPublic(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int = Field(examples=[900], description="Seconds the access token lives")
    refresh_token: str = Field(description="One-time use; each refresh returns a new one")
    user: UserPublic
