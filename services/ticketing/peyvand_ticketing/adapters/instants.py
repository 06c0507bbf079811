"""Reading stored instants back: the spine's ``store.stored_instant`` (kept as this module's name
so the repositories' imports stay short). Repositories never sort on an instant field, because
the embedded store writes instants set by updates as text (ADR 1)."""

from peyvand_runtime.store import stored_instant

__all__ = ["stored_instant"]
