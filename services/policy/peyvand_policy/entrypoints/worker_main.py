"""``python -m peyvand_policy.entrypoints.worker_main``: the policy service's event worker process."""

import warnings

# eventlet is in maintenance mode; that is known and recorded (docs/adr/0002).
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

from peyvand_runtime.settings import WorkerSettings  # noqa: E402
from peyvand_runtime.worker import run_worker  # noqa: E402

from peyvand_policy.entrypoints import worker_deps  # noqa: E402
from peyvand_policy.entrypoints.worker import PolicyWorker  # noqa: E402


def main() -> None:
    settings = WorkerSettings()
    run_worker("policy", PolicyWorker, settings, on_ready=None, install=worker_deps.install)


if __name__ == "__main__":
    main()
