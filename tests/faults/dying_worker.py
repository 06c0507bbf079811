"""A worker whose nameko container dies 1.5 s after start (a managed thread raises, as the
consumer's flush loop once did on a broken broker socket): run by test_faults_worker_exit."""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

from nameko.extensions import DependencyProvider  # noqa: E402
from nameko.timer import timer  # noqa: E402
from peyvand_runtime.settings import WorkerSettings  # noqa: E402
from peyvand_runtime.worker import run_worker  # noqa: E402


def fail() -> None:
    eventlet.sleep(1.5)
    raise ConnectionResetError("simulated broken pipe in a managed thread")


class Boom(DependencyProvider):  # type: ignore[misc]
    def start(self) -> None:
        self.container.spawn_managed_thread(fail)


class DyingWorker:
    name = "faultdying"
    boom = Boom()

    @timer(interval=100)  # type: ignore[misc]
    def tick(self) -> None:
        pass


if __name__ == "__main__":
    run_worker("faultdying", DyingWorker, WorkerSettings())
