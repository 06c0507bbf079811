"""One small client module per backend service; ``Backends`` holds those that exist.

Every call carries the caller of the HTTP request being handled (signed with
``IDENTITY_SECRET``) and a deadline (``BACKEND_TIMEOUT_SECONDS`` unless the call gives its
own); failures become ``BackendError`` and are answered through the one problem table
(``domain/problems.py``).
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import grpc
from peyvand_runtime.domain import DomainError
from peyvand_runtime.errors import ErrorDetails
from peyvand_runtime.identity import GRPC_METADATA_KEY as IDENTITY_KEY
from peyvand_runtime.identity import Caller, IdentityError

from peyvand_gateway.adapters.backends.campaign import CampaignBackend
from peyvand_gateway.adapters.backends.customer import CustomerBackend
from peyvand_gateway.adapters.backends.policy import PolicyBackend
from peyvand_gateway.adapters.backends.ticketing import TicketingBackend

_request_caller: contextvars.ContextVar[Caller | None] = contextvars.ContextVar("gateway_request_caller", default=None)
T = TypeVar("T")


def set_request_caller(caller: Caller | None) -> None:
    """Bind the caller for this request (each request runs in its own context copy)."""
    _request_caller.set(caller)


def request_caller() -> Caller:
    caller = _request_caller.get()
    if caller is None:
        raise IdentityError("no signed-in caller for this backend call")
    return caller


class BackendError(Exception):
    """A backend refused or failed a call; carries what the problem mapping needs."""

    def __init__(self, service: str, details: ErrorDetails) -> None:
        super().__init__(f"{service}: {details.status_code.name} {details.code}")
        self.service = service
        self.details = details

    @property
    def unavailable(self) -> bool:
        return self.details.status_code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED)


def call(service: str, method: Callable[..., T], request: Any, timeout: float | None = None) -> T:
    """Call one RPC, turning a gRPC failure into ``BackendError``."""
    try:
        return method(request, timeout=timeout)
    except grpc.RpcError as exc:
        raise BackendError(service, ErrorDetails.from_rpc_error(exc)) from None


@dataclass
class Backends:
    customer: CustomerBackend
    policy: PolicyBackend | None = None
    ticketing: TicketingBackend | None = None
    campaign: CampaignBackend | None = None
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)

    def close(self) -> None:
        self._stop.set()
        for backend in (self.customer, self.policy, self.ticketing, self.campaign):
            if backend is not None:
                backend.close()

    def keep_channels_warm(self) -> None:
        """Hold one long-lived call (the peer's ``grpc.health.v1.Health/Watch``) open on each
        channel. The sync gRPC channel starts a thread to poll its completion queue whenever
        its count of calls in flight rises from zero and lets it end at zero; a 360° view makes
        one or two calls per channel, so without this nearly every call started a thread (the
        largest single CPU cost of a view in the gateway's profile). Daemon threads, stopped by
        ``close()``; a peer that is down is asked again every second."""
        for backend in (self.customer, self.policy, self.ticketing, self.campaign):
            if backend is not None:
                threading.Thread(target=self._watch, args=(backend,), name=f"warm-{backend.name}", daemon=True).start()

    def _watch(self, backend: Any) -> None:
        watch = backend.client.channel.unary_stream(
            "/grpc.health.v1.Health/Watch",
            request_serializer=lambda _: b"",  # HealthCheckRequest{service: ""}: the server as a whole
            response_deserializer=lambda raw: raw,
        )
        while not self._stop.is_set():
            try:
                # The identity key is present (empty), so the interceptor does not sign one: the
                # health service needs no caller, and there is no request caller here.
                for _ in watch(None, timeout=3600, metadata=[(IDENTITY_KEY, "")]):
                    if self._stop.is_set():
                        return
            except grpc.RpcError:
                pass
            except Exception:  # noqa: BLE001 - a closed channel on shutdown
                return
            self._stop.wait(1.0)

    def require(self, name: str) -> Any:
        """The backend called ``name``; 503 DEPENDENCY_UNAVAILABLE when it is not configured."""
        backend = getattr(self, name, None)
        if backend is None:
            raise DomainError(f"the {name} service is not configured", code="DEPENDENCY_UNAVAILABLE")
        return backend


def build_backends(settings: Any, caller_provider: Callable[[], Caller] = request_caller) -> Backends:
    return Backends(
        customer=CustomerBackend(settings.customer_addr, settings.identity_secret, caller_provider, settings.backend_timeout_seconds),
        policy=PolicyBackend(settings.policy_addr, settings.identity_secret, caller_provider, settings.backend_timeout_seconds),
        ticketing=TicketingBackend(settings.ticketing_addr, settings.identity_secret, caller_provider, settings.backend_timeout_seconds),
        campaign=CampaignBackend(settings.campaign_addr, settings.identity_secret, caller_provider, settings.backend_timeout_seconds),
    )
