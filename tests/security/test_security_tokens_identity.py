"""Bad credentials, at both doors: tampered, expired and revoked access and refresh tokens at
the gateway, and gRPC calls to every method of every service without a valid signed identity."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import importlib
import json
from typing import Any

import grpc
import jwt
import pytest
from peyvand_runtime.identity import GRPC_METADATA_KEY, Caller, sign
from security_stack import IDENTITY_SECRET, JWT_SECRET, SecurityStack

ME = "/api/v1/auth/me"


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _me(sec: SecurityStack, token: str) -> Any:
    return sec.call("GET", ME, headers=_bearer(token))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_a_fresh_access_token_works(sec: SecurityStack) -> None:
    signed_in = sec.login("staff")
    assert _me(sec, signed_in["access_token"]).status == 200


@pytest.mark.parametrize("how", ["signature", "payload_role", "alg_none", "wrong_secret", "garbage", "empty_bearer"])
def test_tampered_access_tokens_are_refused(sec: SecurityStack, how: str) -> None:
    token = sec.login("agent")["access_token"]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = {
        "signature": f"{header}.{payload}.{signature[:-2]}{'A' if signature[-2] != 'A' else 'B'}{signature[-1]}",
        "payload_role": f"{header}.{_b64(json.dumps({**claims, 'role': 'admin'}).encode())}.{signature}",
        "alg_none": _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode()) + "." + _b64(json.dumps({**claims, "role": "admin"}).encode()) + ".",
        "wrong_secret": jwt.encode(claims, "another-secret-" + "q" * 32, algorithm="HS256"),
        "garbage": "نشانه\u200cجعلی",
        "empty_bearer": "",
    }[how]
    answer = sec.call("GET", ME, headers={"authorization": f"Bearer {forged}"} if how != "garbage" else {"authorization": "Bearer xx.yy.zz"})
    assert answer.status == 401, answer.body
    assert answer.body["code"] in ("TOKEN_INVALID", "UNAUTHENTICATED"), answer.body


def test_an_expired_access_token_is_refused(sec: SecurityStack) -> None:
    token = sec.login("staff")["access_token"]
    claims = jwt.decode(token, JWT_SECRET, algorithms=["HS256"], options={"verify_exp": False, "verify_iss": False})
    past = int(dt.datetime.now(dt.UTC).timestamp()) - 60
    expired = jwt.encode({**claims, "iat": past - 900, "exp": past}, JWT_SECRET, algorithm="HS256")  # genuinely signed, just old
    answer = _me(sec, expired)
    assert (answer.status, answer.body["code"]) == (401, "TOKEN_EXPIRED")


def test_a_signed_out_access_token_is_refused(sec: SecurityStack) -> None:
    signed_in = sec.login("manager")
    assert sec.call("POST", "/api/v1/auth/logout", headers=_bearer(signed_in["access_token"])).status == 204
    answer = _me(sec, signed_in["access_token"])
    assert (answer.status, answer.body["code"]) == (401, "TOKEN_REVOKED")
    again = sec.call("POST", "/api/v1/auth/refresh", {"refresh_token": signed_in["refresh_token"]})
    assert again.status == 401, again.body


def test_refresh_tokens_tampered_reused_and_expired_are_refused(sec: SecurityStack) -> None:
    signed_in = sec.login("agent")
    refresh = signed_in["refresh_token"]
    tampered = sec.call("POST", "/api/v1/auth/refresh", {"refresh_token": refresh[:-1] + ("x" if refresh[-1] != "x" else "y")})
    assert tampered.status == 401, tampered.body

    rotated = sec.call("POST", "/api/v1/auth/refresh", {"refresh_token": refresh})
    assert rotated.status == 200, rotated.body
    reused = sec.call("POST", "/api/v1/auth/refresh", {"refresh_token": refresh})  # spent: a thief's copy
    assert reused.status == 401, reused.body
    # Reuse revokes the whole family: the tokens the rotation just gave are dead too.
    assert _me(sec, rotated.body["access_token"]).status == 401
    assert sec.call("POST", "/api/v1/auth/refresh", {"refresh_token": rotated.body["refresh_token"]}).status == 401

    fresh = sec.login("staff")["refresh_token"]
    stored = sec.gateway_db()["refresh_tokens"]
    token_hash = hashlib.sha256(fresh.encode()).hexdigest()
    changed = stored.update_one({"_id": token_hash}, {"$set": {"expires_at": dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)}})
    assert changed.matched_count == 1  # the hash scheme matches the gateway's: the expiry really is the one moved
    expired = sec.call("POST", "/api/v1/auth/refresh", {"refresh_token": fresh})
    assert expired.status == 401, expired.body


# --- gRPC: every method refuses a caller without a valid signed identity ----------------------

SERVICES = ("customer", "policy", "ticketing", "campaign")
ADMIN = Caller("usr_01JG0000000000000000000MB5", "user", "admin")


def _methods() -> list[tuple[str, Any]]:
    found = []
    for service in SERVICES:
        module = importlib.import_module(f"peyvand.{service}.v1.{service}_pb2")
        for descriptor in module.DESCRIPTOR.services_by_name.values():
            found.extend((service, m) for m in descriptor.methods)
    return found


def _identities() -> dict[str, tuple[tuple[str, str], ...]]:
    now = dt.datetime.now(dt.UTC)
    good = sign(ADMIN, IDENTITY_SECRET, now)
    payload, signature = good.split(".")
    forged_payload = _b64(json.dumps({"v": 1, "sub": "svc:x", "kind": "service", "role": "service", "exp": int(now.timestamp()) + 300}).encode())
    return {
        "none": (),
        "wrong_key": ((GRPC_METADATA_KEY, sign(ADMIN, "not-the-secret-" + "k" * 32, now)),),
        "expired": ((GRPC_METADATA_KEY, sign(ADMIN, IDENTITY_SECRET, now - dt.timedelta(minutes=10))),),
        "tampered": ((GRPC_METADATA_KEY, f"{forged_payload}.{signature}"),),
        "garbled": ((GRPC_METADATA_KEY, "not a token"),),
    }


@pytest.mark.parametrize(("service", "method"), _methods(), ids=[f"{s}.{m.name}" for s, m in _methods()])
def test_grpc_methods_refuse_callers_without_a_valid_identity(sec: SecurityStack, service: str, method: Any) -> None:
    from google.protobuf.message_factory import GetMessageClass

    path = f"/{method.containing_service.full_name}/{method.name}"
    request = GetMessageClass(method.input_type)()
    with grpc.insecure_channel(sec.grpc_addr(service)) as channel:
        for name, metadata in _identities().items():
            with pytest.raises(grpc.RpcError) as refused:
                _invoke(channel, path, method, request, metadata)
            assert refused.value.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED), (name, refused.value)


def _invoke(channel: grpc.Channel, path: str, method: Any, request: Any, metadata: Any) -> None:
    serialize, keep = (lambda m: m.SerializeToString()), (lambda b: b)
    if method.client_streaming:
        channel.stream_unary(path, request_serializer=serialize, response_deserializer=keep)(iter([request]), metadata=metadata, timeout=10)
    elif method.server_streaming:
        list(channel.unary_stream(path, request_serializer=serialize, response_deserializer=keep)(request, metadata=metadata, timeout=10))
    else:
        channel.unary_unary(path, request_serializer=serialize, response_deserializer=keep)(request, metadata=metadata, timeout=10)


def test_the_export_stream_holds_only_the_callers_scope(sec: SecurityStack) -> None:
    from peyvand.customer.v1 import customer_pb2, customer_pb2_grpc

    staff = Caller("usr_01JG0000000000000000000MB2", "user", "staff", branch_codes=("1021",))
    metadata = ((GRPC_METADATA_KEY, sign(staff, IDENTITY_SECRET, dt.datetime.now(dt.UTC))),)
    with grpc.insecure_channel(sec.grpc_addr("customer")) as channel:
        stub = customer_pb2_grpc.CustomerServiceStub(channel)
        csv = "".join(chunk.csv for chunk in stub.ExportCustomers(customer_pb2.ExportCustomersRequest(), metadata=metadata, timeout=20))
        # Asking for another branch narrows within the scope; it never widens it.
        other = "".join(c.csv for c in stub.ExportCustomers(customer_pb2.ExportCustomersRequest(branch_code="3101"), metadata=metadata, timeout=20))
    mine, far = sec.records["mine"], sec.records["far"]
    assert mine.national_id in csv and mine.email in csv
    assert far.national_id not in csv + other and far.email not in csv + other and far.mobile[1:] not in csv + other
