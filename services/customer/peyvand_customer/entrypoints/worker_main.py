"""``python -m peyvand_customer.entrypoints.worker_main``: the customer service's event worker process."""

import warnings

# eventlet is in maintenance mode; that is known and recorded (docs/adr/0002).
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

from peyvand_runtime.worker import run_worker  # noqa: E402

from peyvand_customer.entrypoints import worker_deps  # noqa: E402
from peyvand_customer.entrypoints.worker import CustomerWorker  # noqa: E402
from peyvand_customer.settings import CustomerWorkerSettings  # noqa: E402


def main() -> None:
    run_worker("customer", CustomerWorker, CustomerWorkerSettings(), install=worker_deps.install)


if __name__ == "__main__":
    main()
