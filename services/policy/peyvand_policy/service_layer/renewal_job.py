"""The daily renewal job: one ``policy.renewal_due`` per policy, term and window, with a renewal quote.

Once-only, whatever happens (re-runs, crashes half-way, several replicas at once):
- the notice is recorded on the policy as a ``"<term_end>:<window>"`` mark and its event
  is appended to the policy's outbox in the SAME compare-and-set write on ``version``;
  the domain never marks a window twice (``due_window`` skips a window already marked, or
  one older than a marked one);
- a replica (or an endorsement) that wrote first makes our write fail with
  ``VersionConflict``: we reload and re-decide, and the reloaded marks say "already sent";
- a crash before the write leaves nothing marked, so the next run sends it (while the
  term has not expired); a crash after it leaves the mark, so nothing is sent again;
- the renewal quote's id is derived from (policy, term end, window), so a re-run reuses
  the quote a crashed run stored instead of leaving orphans.
The jobs process also takes a lease and records finished Tehran days (``tick_done``), which
saves work; correctness does not depend on them.

Batching: the due policies of consecutive pages (and days) are gathered up to ``page_size`` and
notified together: one ``$in`` load, one unordered ``insert_many`` of their renewal quotes (a
duplicate derived id = already stored: the stored quote is used), one ``bulk_write`` of
compare-and-set updates (mark + ``$push`` of the envelope, the shape ``outbox.update_versioned``
writes). Quotes are written before the marks, so the guarantees above hold per policy; a write
whose version no longer matched goes through the one-by-one path (reload, re-decide). The
writes of one batch run on a writer thread while the next batch is loaded and its quotes are
built (``_Writes``): the store and the CPU work overlap instead of taking turns.

Scale: it never loads the collection. It walks the scan range (today … today + 45) one
end date at a time — equality on the indexed integer ``term_end_key`` — in ``_id``-sorted
skip/limit pages (see ``PolicyRepository.scan_day`` for why not an ``_id $gt`` continuation).
A page is read whole while the page before had many notices due (``WHOLE_PAGE_SHARE``): its due
policies are then used as read, not loaded a second time. Otherwise (most end dates of a daily
run, where notices went out on earlier days) the page projects only what the decision needs
and just the due policies are loaded whole. The first page of a run is read whole. Either way a
policy's write is a compare-and-set on the version it was read at.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from peyvand_runtime.domain import DomainError, VersionConflict
from pymongo.errors import DuplicateKeyError

from peyvand_policy.domain.policy import Policy
from peyvand_policy.domain.products import PRODUCTS
from peyvand_policy.domain.quote import Quote
from peyvand_policy.domain.renewal import DEFAULT_WINDOWS, due_window, renewal_quote, window_scan_range
from peyvand_policy.domain.renewal_inputs import renewal_input_changes
from peyvand_policy.service_layer import metrics
from peyvand_policy.service_layer.context import PolicyServices, derived_id

log = logging.getLogger(__name__)

JOB = "policy-renewal"
SCAN_PROJECTION = {"_id": 1, "term_end": 1, "product_code": 1, "renewal_notices": 1}
# The next page is read whole when at least this share of the last page had a notice due.
# Reading a due policy twice (projected in the scan, whole in the load) cost ~0.4 ms of store
# time per notice at 1M; a whole page where few are due moves more bytes than it saves.
WHOLE_PAGE_SHARE = 0.25
ATTEMPTS = 3


class LeaseLost(RuntimeError):
    """Another replica took the job's lease; this run stops where it is."""


@dataclass
class RenewalSummary:
    as_of: str
    scanned: int = 0
    due: int = 0
    emitted: int = 0
    already_sent: int = 0
    conflicts: int = 0
    errors: int = 0
    seconds: float = 0.0
    # where the time went (seconds): scan, load (due policies), build (renewal quotes + envelopes,
    # CPU), write (quote inserts + marks; overlapped with the next page's load and build)
    phases: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def took(self, phase: str, seconds: float) -> None:
        self.phases[phase] = round(self.phases.get(phase, 0.0) + seconds, 3)

    def merge(self, part: RenewalSummary) -> None:
        """Add the counts of a page written on the writer thread."""
        self.emitted += part.emitted
        self.already_sent += part.already_sent
        self.conflicts += part.conflicts
        self.errors += part.errors
        for phase, seconds in part.phases.items():
            self.took(phase, seconds)


def _emitted_for(doc: dict[str, Any]) -> set[int]:
    prefix = f"{doc['term_end']}:"
    return {int(key[len(prefix):]) for key in doc.get("renewal_notices") or () if key.startswith(prefix)}


def run_renewal(
    services: PolicyServices,
    as_of: dt.date,
    windows: Collection[int] = DEFAULT_WINDOWS,
    page_size: int = 1000,
    keep_lease: Callable[[], bool] | None = None,
    progress_every: int = 50_000,
) -> RenewalSummary:
    """Send every notice due on ``as_of`` (a Tehran date) and return what happened.

    ``keep_lease`` is called before each page; False stops the run with ``LeaseLost``.
    """
    started = time.monotonic()
    summary = RenewalSummary(as_of.isoformat())
    metrics.RENEWAL_LAST_SCANNED.set(0)
    metrics.RENEWAL_LAST_EMITTED.set(0)
    first, last = window_scan_range(as_of, windows)
    renewable = {code for code, product in PRODUCTS.items() if product.renewable}
    day = first
    due_ids: list[str] = []  # due policies of the pages scanned so far, notified in batches of ``page_size``
    read_whole: dict[str, dict[str, Any]] = {}  # the due ones among them read whole by the scan
    whole = True  # read the next page whole (see WHOLE_PAGE_SHARE)

    def projection() -> Mapping[str, int] | None:  # asked by scan_day before each page
        return None if whole else SCAN_PROJECTION

    writes = _Writes(services, as_of, windows, summary)
    try:
        while day <= last:
            scan_began = time.perf_counter()
            for page in services.policies.scan_day(day, projection, page_size, extra={"status": "active"}):
                if keep_lease is not None and not keep_lease():
                    raise LeaseLost(f"renewal run for {as_of} lost its lease")
                page_whole, due_before = whole, summary.due  # whole changes only below
                for doc in page:
                    summary.scanned += 1
                    if doc.get("product_code") not in renewable:
                        continue
                    term_end = dt.date.fromisoformat(doc["term_end"])
                    if due_window(term_end, as_of, windows, _emitted_for(doc)) is None:
                        continue
                    summary.due += 1
                    due_ids.append(doc["_id"])
                    if page_whole:
                        read_whole[doc["_id"]] = doc
                whole = summary.due - due_before >= WHOLE_PAGE_SHARE * len(page)
                summary.took("scan", time.perf_counter() - scan_began)
                if len(due_ids) >= page_size:
                    writes.notify(due_ids, read_whole)
                    due_ids, read_whole = [], {}
                metrics.RENEWAL_SCANNED.inc(len(page))
                metrics.RENEWAL_LAST_SCANNED.set(summary.scanned)
                metrics.RENEWAL_LAST_EMITTED.set(summary.emitted)
                if summary.scanned // progress_every != (summary.scanned - len(page)) // progress_every:
                    log.info("renewal job progress", extra={"as_of": summary.as_of, "scanned": summary.scanned,
                                                            "emitted": summary.emitted, "at_term_end": day.isoformat()})
                scan_began = time.perf_counter()
            day += dt.timedelta(days=1)
        if due_ids:
            writes.notify(due_ids, read_whole)
    finally:
        writes.close()
    summary.seconds = round(time.monotonic() - started, 3)
    metrics.RENEWAL_LAST_DURATION.set(summary.seconds)
    metrics.RENEWAL_LAST_SUCCESS.set(time.time())
    log.info("renewal job finished", extra=summary.as_dict())
    return summary


class _Writes:
    """Pages notified in a pipeline: the scanning thread loads the due policies and builds their
    renewal quotes (CPU) for page N+1 while ONE writer thread stores page N's quotes and marks.

    At most one page is being written: ``notify`` waits for the previous write before handing
    over the next. Pages hold distinct policies; if a policy did show up twice (inserted during
    the run), its second write meets the version the first one wrote, goes through ``_notify``
    (reload, re-decide) and the reloaded mark says "already sent" — the once-only guarantees
    above do not depend on the order of pages.
    """

    def __init__(self, services: PolicyServices, as_of: dt.date, windows: Collection[int], summary: RenewalSummary) -> None:
        self.services, self.as_of, self.windows, self.summary = services, as_of, windows, summary
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="renewal-writer")
        self.pending: Future[RenewalSummary] | None = None

    def notify(self, policy_ids: list[str], read_whole: dict[str, dict[str, Any]] | None = None) -> None:
        """Prepare these due policies (those in ``read_whole`` as the scan read them, the rest
        loaded) and hand them to the writer once the previous page is written."""
        prepared = _prepare_page(self.services, policy_ids, read_whole or {}, self.as_of, self.windows, self.summary)
        self._settle()
        if prepared:
            self.pending = self.pool.submit(_write_page, self.services, prepared, self.as_of, self.windows)

    def _settle(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            self.summary.merge(pending.result())  # a write's exception stops the run here

    def close(self) -> None:
        try:
            self._settle()
        finally:
            self.pool.shutdown(wait=True)


def _prepare_page(services: PolicyServices, policy_ids: list[str], read_whole: dict[str, dict[str, Any]], as_of: dt.date,
                  windows: Collection[int], summary: RenewalSummary) -> list[tuple[Policy, Quote, int]]:
    """The due policies (as the scan read them whole, the others loaded by one ``$in`` find) and
    their renewal quotes (no writes)."""
    began = time.perf_counter()
    loaded = {policy_id: services.policies.from_stored(doc) for policy_id, doc in read_whole.items()}
    loaded.update(services.policies.get_many([policy_id for policy_id in policy_ids if policy_id not in read_whole]))
    summary.took("load", time.perf_counter() - began)
    began = time.perf_counter()
    prepared: list[tuple[Policy, Quote, int]] = []
    for policy_id in policy_ids:
        policy = loaded.get(policy_id)
        if policy is None:
            continue
        window = policy.due_renewal_window(as_of, windows)
        if window is None:
            summary.already_sent += 1
            continue
        try:
            quote_id = derived_id("qte", "renewal", policy.id, policy.term_end.isoformat(), str(window))
            product = PRODUCTS[policy.product_code]
            quote = renewal_quote(policy, product, as_of, renewal_input_changes(product, policy.inputs), quote_id=quote_id)
        except DomainError as exc:
            _report_error(summary, policy_id, exc)
            continue
        prepared.append((policy, quote, window))
    summary.took("build", time.perf_counter() - began)
    return prepared


def _write_page(services: PolicyServices, prepared: list[tuple[Policy, Quote, int]], as_of: dt.date,
                windows: Collection[int]) -> RenewalSummary:
    """The writes of one prepared page, in two store calls: store the renewal quotes (one
    unordered ``insert_many``; a duplicate derived id means a crashed run or another replica
    stored it: the stored quote is used), then mark and append the events (one ``bulk_write``
    of compare-and-set updates). Writes that did not land (another replica or an endorsement
    wrote first) go through ``_notify`` one by one: reload, re-decide, and the reloaded marks
    say "already sent". Returns the page's counts (merged by the scanning thread)."""
    summary = RenewalSummary(as_of.isoformat())
    began = time.perf_counter()
    now = services.now()
    stored_before = services.quotes.add_many([quote for _, quote, _ in prepared], now)
    if stored_before:
        stored = services.quotes.get_many(sorted(stored_before))
        prepared = [(p, stored.get(q.id, q), w) for p, q, w in prepared]
    for policy, quote, _ in prepared:
        if quote.id not in stored_before:
            metrics.QUOTES.labels(policy.product_code, "renewal").inc()
    marked: list[tuple[Policy, int]] = []
    for policy, quote, window in prepared:
        try:
            if policy.notify_renewal_due(as_of, quote, windows) == window:
                marked.append((policy, window))
        except DomainError as exc:
            _report_error(summary, policy.id, exc)
    missed = services.policies.save_renewal_notices([p for p, _ in marked], services.now())
    for policy, window in marked:
        if policy.id in missed:
            summary.conflicts += 1
            metrics.RENEWAL_CONFLICTS.inc()
            _notify(services, policy.id, as_of, windows, summary)
            continue
        summary.emitted += 1
        metrics.RENEWAL_NOTICES.labels(str(window)).inc()
    summary.took("write", time.perf_counter() - began)
    return summary


def _report_error(summary: RenewalSummary, policy_id: str, exc: DomainError) -> None:
    # A policy whose inputs no longer rate (catalogue changed): reported, retried tomorrow.
    summary.errors += 1
    metrics.JOB_ERRORS.labels("renewal").inc()
    log.warning("renewal notice not prepared", extra={"policy_id": policy_id, "code": exc.code, "error": exc.message[:200]})


def _notify(services: PolicyServices, policy_id: str, as_of: dt.date, windows: Collection[int], summary: RenewalSummary) -> None:
    for _ in range(ATTEMPTS):
        policy = services.policies.get(policy_id)
        if policy is None:
            return
        window = policy.due_renewal_window(as_of, windows)
        if window is None:
            summary.already_sent += 1  # another replica (or an earlier run) sent it
            return
        try:
            quote = _renewal_quote(services, policy, as_of, window)
            policy.notify_renewal_due(as_of, quote, windows)
            services.policies.save_renewal_notice(policy, services.now())
        except VersionConflict:
            summary.conflicts += 1
            metrics.RENEWAL_CONFLICTS.inc()
            continue
        except DomainError as exc:
            _report_error(summary, policy_id, exc)
            return
        summary.emitted += 1
        metrics.RENEWAL_NOTICES.labels(str(window)).inc()
        return


def _renewal_quote(services: PolicyServices, policy: Policy, as_of: dt.date, window: int) -> Quote:
    """The renewal quote for this notice: stored once under an id derived from the notice."""
    quote_id = derived_id("qte", "renewal", policy.id, policy.term_end.isoformat(), str(window))
    stored = services.quotes.get(quote_id)
    if stored is not None:
        return stored
    product = PRODUCTS[policy.product_code]
    quote = renewal_quote(policy, product, as_of, renewal_input_changes(product, policy.inputs), quote_id=quote_id)
    try:
        services.quotes.add(quote, services.now())
    except DuplicateKeyError:
        return services.quotes.get(quote_id) or quote
    metrics.QUOTES.labels(product.code, "renewal").inc()
    return quote
