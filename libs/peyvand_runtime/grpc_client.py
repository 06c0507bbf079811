"""Calling another Peyvand service: a channel that retries UNAVAILABLE, and an interceptor
that gives every call a deadline, the correlation id and the signed caller identity.

    policy = ServiceClient(settings.policy_addr, policy_pb2_grpc.PolicyServiceStub,
                           "peyvand.policy.v1.PolicyService", settings.identity_secret,
                           caller_provider=current_caller)
    policy.stub.GetPolicy(GetPolicyRequest(policy_id=...))

Retries happen inside grpc (service config), only for UNAVAILABLE, and only while the
call's single overall deadline lasts. UNAVAILABLE also covers a server whose store was
unreachable (STORE_UNAVAILABLE), where a write may have been applied before the error:
commands that create things must carry an idempotency key so a retry is harmless.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, NamedTuple, TypeVar

import grpc

from peyvand_runtime import correlation, identity, tracing
from peyvand_runtime.identity import Caller

DEFAULT_TIMEOUT_SECONDS = 2.0
StubT = TypeVar("StubT")


def service_config(service_full_names: Sequence[str]) -> dict[str, Any]:
    """The gRPC service config: retry UNAVAILABLE only, throttle retries when a peer is down,
    spread calls over every address the target resolves to (headless Kubernetes services)."""
    names = [{"service": name} for name in service_full_names] or [{}]
    return {
        "loadBalancingConfig": [{"round_robin": {}}],
        "methodConfig": [
            {
                "name": names,
                "retryPolicy": {
                    "maxAttempts": 4,
                    "initialBackoff": "0.05s",
                    "maxBackoff": "1s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ],
        # Each failure costs a token, each success gives back 0.1; below half the tokens
        # retries stop, so a dead peer is not hammered by 4x the traffic.
        "retryThrottling": {"maxTokens": 10, "tokenRatio": 0.1},
    }


def make_channel(
    target: str,
    service_full_names: Sequence[str],
    *,
    interceptors: Sequence[
        grpc.UnaryUnaryClientInterceptor
        | grpc.UnaryStreamClientInterceptor
        | grpc.StreamUnaryClientInterceptor
        | grpc.StreamStreamClientInterceptor
    ] = (),
    options: Sequence[tuple[str, Any]] = (),
) -> grpc.Channel:
    """An insecure channel (traffic stays inside the cluster network) with the retry policy."""
    channel = grpc.insecure_channel(
        target,
        options=[
            ("grpc.service_config", json.dumps(service_config(service_full_names))),
            ("grpc.enable_retries", 1),
            *options,
        ],
    )
    return grpc.intercept_channel(channel, *interceptors) if interceptors else channel


class _CallDetails(NamedTuple):
    method: str
    timeout: float | None
    metadata: Sequence[tuple[str, str | bytes]] | None
    credentials: grpc.CallCredentials | None
    wait_for_ready: bool | None
    compression: grpc.Compression | None


class _ClientCallDetails(_CallDetails, grpc.ClientCallDetails):  # type: ignore[misc]
    pass


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PeyvandClientInterceptor(
    grpc.UnaryUnaryClientInterceptor,  # type: ignore[misc]
    grpc.UnaryStreamClientInterceptor,  # type: ignore[misc]
    grpc.StreamUnaryClientInterceptor,  # type: ignore[misc]
    grpc.StreamStreamClientInterceptor,  # type: ignore[misc]
):
    """Adds a default deadline, ``x-correlation-id`` and ``x-peyvand-identity`` to every call
    (and, when tracing is on, a CLIENT span whose W3C ``traceparent`` goes along).

    Metadata the caller passed explicitly wins (a test can send a deliberately bad identity).
    """

    def __init__(
        self,
        secret: str,
        caller_provider: Callable[[], Caller],
        default_timeout: float = DEFAULT_TIMEOUT_SECONDS,
        *,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self.secret = secret
        self.sign = identity.Signer(secret)
        self.caller_provider = caller_provider
        self.default_timeout = default_timeout
        self.clock = clock

    def _details(self, details: grpc.ClientCallDetails, span: Any = None) -> _ClientCallDetails:
        metadata = list(details.metadata or ())
        present = {key for key, _ in metadata}
        if span is not None and tracing.TRACEPARENT not in present:
            metadata.extend(tracing.client_metadata(span))
        if correlation.GRPC_METADATA_KEY not in present:
            metadata.append((correlation.GRPC_METADATA_KEY, correlation.current() or correlation.new_correlation_id()))
        if identity.GRPC_METADATA_KEY not in present:
            token = self.sign(self.caller_provider(), self.clock())
            metadata.append((identity.GRPC_METADATA_KEY, token))
        return _ClientCallDetails(
            method=details.method,
            timeout=details.timeout if details.timeout is not None else self.default_timeout,
            metadata=metadata,
            credentials=details.credentials,
            wait_for_ready=getattr(details, "wait_for_ready", None),
            compression=getattr(details, "compression", None),
        )

    def _call(self, continuation: Any, client_call_details: grpc.ClientCallDetails, request: Any) -> Any:
        span = tracing.start_client_span(client_call_details.method)  # None unless tracing is on
        if span is None:
            return continuation(self._details(client_call_details), request)
        return tracing.run_client_call(span, lambda: continuation(self._details(client_call_details, span), request))

    def intercept_unary_unary(self, continuation: Any, client_call_details: grpc.ClientCallDetails, request: Any) -> Any:
        return self._call(continuation, client_call_details, request)

    def intercept_unary_stream(self, continuation: Any, client_call_details: grpc.ClientCallDetails, request: Any) -> Any:
        return self._call(continuation, client_call_details, request)

    def intercept_stream_unary(self, continuation: Any, client_call_details: grpc.ClientCallDetails, request_iterator: Any) -> Any:
        return self._call(continuation, client_call_details, request_iterator)

    def intercept_stream_stream(self, continuation: Any, client_call_details: grpc.ClientCallDetails, request_iterator: Any) -> Any:
        return self._call(continuation, client_call_details, request_iterator)


class ServiceClient(Generic[StubT]):
    """A stub for one peer service over a retrying, deadline-bound, identity-carrying channel.

    Build one per process and peer (channels are expensive and thread-safe); ``close()`` it
    on shutdown.
    """

    def __init__(
        self,
        target: str,
        stub_class: Callable[[grpc.Channel], StubT],
        service_full_name: str,
        secret: str,
        caller_provider: Callable[[], Caller] = identity.current_caller,
        default_timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self.target = target
        self.interceptor = PeyvandClientInterceptor(secret, caller_provider, default_timeout)
        self.channel = make_channel(target, [service_full_name], interceptors=[self.interceptor])
        self.stub: StubT = stub_class(self.channel)

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> ServiceClient[StubT]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
