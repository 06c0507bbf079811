"""The HTTP body → CustomerInput translation keeps create defaults and builds the update mask."""

from __future__ import annotations

from peyvand.customer.v1 import customer_pb2
from peyvand_gateway.entrypoints.routers.customers import to_input
from peyvand_gateway.entrypoints.schemas.customers import CustomerCreate, CustomerUpdate


def test_create_without_kind_is_a_person() -> None:
    message, _ = to_input(CustomerCreate(first_name="مریم", last_name="احمدی"))
    assert message.kind == customer_pb2.PERSON
    assert message.first_name == "مریم"


def test_update_mask_names_only_what_was_sent() -> None:
    message, mask = to_input(CustomerUpdate(last_name="رضایی"))
    assert mask == ["last_name"]
    assert message.last_name == "رضایی" and message.kind == customer_pb2.PARTY_KIND_UNSPECIFIED
