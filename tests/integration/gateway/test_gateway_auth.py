"""Sign-in, refresh rotation and reuse, sign-out and lockout through the real HTTP API."""

from __future__ import annotations

import datetime as dt

from gateway_harness import GatewayUnderTest


def test_login_gives_tokens_that_open_the_api(gw: GatewayUnderTest) -> None:
    tokens = gw.login("staff")
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900
    me = gw.client.get("/api/v1/auth/me", headers={"Authorization": "Bearer " + tokens["access_token"]})
    assert me.status_code == 200
    assert me.json()["role"] == "staff" and me.json()["branch_codes"] == ["1021"]


def test_manager_token_covers_the_regions_branches(gw: GatewayUnderTest) -> None:
    me = gw.client.get("/api/v1/auth/me", headers=gw.bearer("manager"))
    assert me.json()["branch_codes"] == ["1021", "1022"]


def test_wrong_password_and_unknown_user_look_the_same(gw: GatewayUnderTest) -> None:
    wrong = gw.client.post("/api/v1/auth/login", json={"username": "staff", "password": "nope"})
    unknown = gw.client.post("/api/v1/auth/login", json={"username": "nobody", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["code"] == unknown.json()["code"] == "LOGIN_FAILED"
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert wrong.headers["content-type"] == "application/problem+json"


def test_refresh_rotates_and_reuse_revokes_the_whole_session(gw: GatewayUnderTest) -> None:
    first = gw.login("agent")
    second = gw.client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    # The spent token again: theft assumed, the session is gone, even the newest token.
    reuse = gw.client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401 and reuse.json()["code"] == "TOKEN_REVOKED"
    newest = gw.client.post("/api/v1/auth/refresh", json={"refresh_token": second.json()["refresh_token"]})
    assert newest.status_code == 401 and newest.json()["code"] == "TOKEN_REVOKED"
    access = gw.client.get("/api/v1/auth/me", headers={"Authorization": "Bearer " + second.json()["access_token"]})
    assert access.status_code == 401


def test_logout_revokes_access_and_refresh(gw: GatewayUnderTest) -> None:
    tokens = gw.login("staff")
    headers = {"Authorization": "Bearer " + tokens["access_token"]}
    assert gw.client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert gw.client.get("/api/v1/auth/me", headers=headers).json()["code"] == "TOKEN_REVOKED"
    again = gw.client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 401


def test_a_revocation_through_another_replica_takes_effect_within_the_stated_bound(gw: GatewayUnderTest, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from peyvand_gateway.adapters.user_repository import SessionRepository

    bound = gw.gateway.settings.revocation_check_seconds
    assert 0 < bound <= 2.0  # the bound docs/benchmarks.md and the settings state
    tick = [1000.0]
    monkeypatch.setattr(gw.gateway.auth, "monotonic", lambda: tick[0])
    tokens = gw.login("staff")
    headers = {"Authorization": "Bearer " + tokens["access_token"]}
    assert gw.client.get("/api/v1/auth/me", headers=headers).status_code == 200  # checked in the store, remembered
    claims = gw.gateway.auth.tokens.read(tokens["access_token"], gw.clock.now)
    # What another replica's sign-out writes; this process has not seen it.
    SessionRepository(gw.gateway.db).revoke_family(str(claims["sid"]), gw.clock.now, gw.clock.now + dt.timedelta(minutes=15))
    tick[0] += bound - 0.01
    assert gw.client.get("/api/v1/auth/me", headers=headers).status_code == 200  # still within the bound
    tick[0] += 0.02
    late = gw.client.get("/api/v1/auth/me", headers=headers)
    assert late.status_code == 401 and late.json()["code"] == "TOKEN_REVOKED"


def test_logout_here_is_refused_at_once_even_when_the_check_was_remembered(gw: GatewayUnderTest, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(gw.gateway.auth, "monotonic", lambda: 5000.0)  # the remembered check never runs out
    tokens = gw.login("staff")
    headers = {"Authorization": "Bearer " + tokens["access_token"]}
    assert gw.client.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert gw.client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert gw.client.get("/api/v1/auth/me", headers=headers).json()["code"] == "TOKEN_REVOKED"


def test_access_token_expires_after_fifteen_minutes(gw: GatewayUnderTest) -> None:
    headers = gw.bearer("staff")
    gw.clock.now += dt.timedelta(minutes=15, seconds=1)
    answer = gw.client.get("/api/v1/auth/me", headers=headers)
    assert answer.status_code == 401 and answer.json()["code"] == "TOKEN_EXPIRED"


def test_five_failures_lock_the_name_for_a_while(gw: GatewayUnderTest) -> None:
    for _ in range(5):
        assert gw.client.post("/api/v1/auth/login", json={"username": "staff", "password": "bad"}).status_code == 401
    locked = gw.client.post("/api/v1/auth/login", json={"username": "staff", "password": "staff-demo-1405"})
    assert locked.status_code == 429
    assert locked.json()["code"] == "LOGIN_LOCKED"
    assert 800 < int(locked.headers["Retry-After"]) <= 900
    gw.clock.now += dt.timedelta(minutes=15, seconds=1)
    assert gw.client.post("/api/v1/auth/login", json={"username": "staff", "password": "staff-demo-1405"}).status_code == 200


def test_missing_or_garbled_token_is_401_problem(gw: GatewayUnderTest) -> None:
    missing = gw.client.get("/api/v1/customers/" + "cus_x")
    garbled = gw.client.get("/api/v1/customers/cus_x", headers={"Authorization": "Bearer abc.def.ghi"})
    assert missing.status_code == garbled.status_code == 401
    assert garbled.json()["code"] == "TOKEN_INVALID"
    assert set(garbled.json()) >= {"type", "title", "status", "detail", "code", "instance", "request_id", "errors"}


def test_requests_are_served_by_the_configured_number_of_threads(gw) -> None:  # type: ignore[no-untyped-def]
    import anyio.to_thread

    # 40 (anyio's default) would cap composed answers near 40 / deadline per second when a backend is slow.
    tokens = gw.client.portal.call(lambda: anyio.to_thread.current_default_thread_limiter().total_tokens)
    assert tokens == gw.gateway.settings.http_worker_threads == 100
