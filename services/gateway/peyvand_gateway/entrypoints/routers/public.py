"""Doors without a signed-in user: the one-click unsubscribe page (``/u/{token}``, RFC 8058)
and the SMS provider's inbound webhook. Both call campaign as the service principal
``svc:gateway``; neither ever answers 500 for bad input.

GET of an unsubscribe link only shows a confirmation form (mail scanners prefetch links and
must not unsubscribe anyone); POST — the form, or a mail client's one-click
``List-Unsubscribe=One-Click`` body — does it. The campaign service verifies the token (HMAC).
"""

from __future__ import annotations

import hmac
import html
import json
import logging
import re
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from peyvand.campaign.v1 import campaign_pb2
from peyvand_runtime.identity import service_caller
from starlette.concurrency import run_in_threadpool

from peyvand_gateway.adapters.backends import BackendError, call, set_request_caller
from peyvand_gateway.entrypoints.deps import GatewayDep
from peyvand_gateway.entrypoints.problems import for_backend_error, problem

log = logging.getLogger(__name__)
router = APIRouter(tags=["public"])
GATEWAY_PRINCIPAL = "gateway"  # → svc:gateway
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{4,400}\.[A-Za-z0-9_-]{4,200}$")
_MAX_FORM_BYTES = 16_384

_TEXT = {
    "fa": {
        "dir": "rtl",
        "title": "لغو اشتراک پیام‌ها",
        "ask": "آیا دیگر نمی‌خواهید این پیام‌ها را دریافت کنید؟",
        "button": "بله، لغو اشتراک",
        "done": "اشتراک شما لغو شد. دیگر این پیام‌ها را دریافت نمی‌کنید.",
        "bad": "این پیوند لغو اشتراک معتبر نیست یا کامل کپی نشده است.",
        "later": "اکنون امکان انجام این کار نیست؛ چند دقیقه بعد دوباره تلاش کنید.",
    },
    "en": {
        "dir": "ltr",
        "title": "Unsubscribe",
        "ask": "Stop receiving these messages?",
        "button": "Yes, unsubscribe",
        "done": "You are unsubscribed. You will not receive these messages any more.",
        "bad": "This unsubscribe link is not valid or was not copied completely.",
        "later": "This cannot be done right now; please try again in a few minutes.",
    },
}


async def as_gateway_service() -> None:
    """Calls made for this request act as ``svc:gateway`` (async: bound in the request's context)."""
    set_request_caller(service_caller(GATEWAY_PRINCIPAL))


ServicePrincipal = Annotated[None, Depends(as_gateway_service)]
Lang = Annotated[str, Query(pattern="^(fa|en)$", description="Page language (Persian by default)")]


def _page(lang: str, body: str, status: int = 200, form_action: str | None = None) -> HTMLResponse:
    t = _TEXT[lang]
    form = ""
    if form_action is not None:
        form = (
            f'<form method="post" action="{html.escape(form_action)}">'
            '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
            f'<button type="submit">{t["button"]}</button></form>'
        )
    page = (
        f'<!doctype html><html lang="{lang}" dir="{t["dir"]}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{t["title"]}</title>'
        "<style>body{font-family:Vazirmatn,Tahoma,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.8}"
        "button{font:inherit;padding:.5rem 1.25rem}</style></head>"
        f'<body><main><h1>{t["title"]}</h1><p>{html.escape(body)}</p>{form}</main></body></html>'
    )
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


def _bad_link(request: Request, lang: str, detail: str = "") -> HTMLResponse:
    """A 400 problem page: readable for a person, with the problem's code for a machine."""
    page = _page(lang, _TEXT[lang]["bad"], status=400)
    page.headers["X-Problem-Code"] = "TOKEN_INVALID"
    return page


@router.get("/u/{token}", operation_id="showUnsubscribePage", response_class=HTMLResponse, summary="Unsubscribe link: confirmation page")
def unsubscribe_page(token: str, request: Request, lang: Lang = "fa") -> HTMLResponse:
    if not _TOKEN.match(token):
        return _bad_link(request, lang)
    return _page(lang, _TEXT[lang]["ask"], form_action=f"/u/{token}?lang={lang}")


@router.post("/u/{token}", operation_id="unsubscribeOneClick", response_class=HTMLResponse, summary="Unsubscribe (RFC 8058 one-click)")
def unsubscribe(token: str, request: Request, gateway: GatewayDep, _: ServicePrincipal, lang: Lang = "fa") -> HTMLResponse:
    """Body `List-Unsubscribe=One-Click` (form-encoded), as mail clients send it; no sign-in."""
    if not _TOKEN.match(token):
        return _bad_link(request, lang)
    try:
        call("campaign", gateway.backends.require("campaign").stub.Unsubscribe, campaign_pb2.UnsubscribeRequest(token=token))
    except BackendError as exc:
        if exc.unavailable or exc.details.status_code.name in ("INTERNAL", "UNKNOWN"):
            log.warning("unsubscribe failed", extra={"grpc_status": exc.details.status_code.name})
            page = _page(lang, _TEXT[lang]["later"], status=503)
            page.headers["Retry-After"] = "60"
            return page
        return _bad_link(request, lang)
    return _page(lang, _TEXT[lang]["done"])


async def _form(request: Request) -> dict[str, str]:
    """Form-encoded or JSON fields of a provider's callback (first value of each)."""
    raw = await request.body()
    if len(raw) > _MAX_FORM_BYTES:
        return {}
    if (request.headers.get("content-type") or "").startswith("application/json"):
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return {k: v[0] for k, v in parse_qs(raw.decode("utf-8", errors="replace")).items() if v}


@router.post("/webhooks/sms/inbound", operation_id="receiveInboundSms", tags=["webhooks"], summary="Inbound SMS from the provider (STOP words)")
async def inbound_sms(
    request: Request,
    gateway: GatewayDep,
    _: ServicePrincipal,
    secret: Annotated[str, Query(max_length=200, description="The shared secret (or send X-Webhook-Secret)")] = "",
    x_webhook_secret: Annotated[str, Header(max_length=200)] = "",
) -> Any:
    """Form fields `from` (sender's number), `message` (text), optional `to`/`line` and
    `received_at`. Protected by `SMS_WEBHOOK_SECRET`; when that is not set the webhook is closed."""
    path = request.url.path
    expected = gateway.settings.sms_webhook_secret
    if not expected:
        return problem(path, 404, "NOT_FOUND", "not found")
    given = x_webhook_secret or secret
    if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        return problem(path, 401, "UNAUTHENTICATED", "the webhook secret is missing or wrong")
    fields = await _form(request)
    errors = [{"field": name, "message": "required"} for name in ("from", "message") if not fields.get(name, "").strip()]
    if errors:
        return problem(path, 422, "VALIDATION_FAILED", "the request has invalid fields", errors)
    request_message = campaign_pb2.HandleInboundSmsRequest(
        from_number=fields["from"].strip()[:40],
        text=fields["message"][:1000],
        line=(fields.get("to") or fields.get("line") or "")[:40],
        received_at=fields.get("received_at", "")[:40],
    )
    try:
        answer = await run_in_threadpool(call, "campaign", gateway.backends.require("campaign").stub.HandleInboundSms, request_message)
    except BackendError as exc:
        return for_backend_error(path, exc)
    return JSONResponse({"is_stop": answer.is_stop, "purposes": list(answer.purposes), "customers_updated": answer.customers_updated})
