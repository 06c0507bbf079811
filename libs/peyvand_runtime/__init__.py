"""The spine every Peyvand service stands on: settings, logs, gRPC, store, events, jobs, metrics.

No business logic lives here. Modules named ``domain``, ``ids`` and ``tehran_time`` are pure
(no I/O) and may be imported by any service's ``domain/`` package.
"""
