"""``python -m peyvand_ticketing.entrypoints.worker_main``: the ticketing service's event worker process."""

import warnings

# eventlet is in maintenance mode; that is known and recorded (docs/adr/0002).
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

from peyvand_runtime.worker import run_worker  # noqa: E402

from peyvand_ticketing.entrypoints import worker_deps  # noqa: E402
from peyvand_ticketing.entrypoints.worker import TicketingWorker  # noqa: E402
from peyvand_ticketing.settings import TicketingWorkerSettings  # noqa: E402


def main() -> None:
    run_worker("ticketing", TicketingWorker, TicketingWorkerSettings(), install=worker_deps.install)


if __name__ == "__main__":
    main()
