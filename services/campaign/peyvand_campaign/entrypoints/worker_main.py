"""``python -m peyvand_campaign.entrypoints.worker_main``: the campaign service's event worker process."""

import warnings

# eventlet is in maintenance mode; that is known and recorded (docs/adr/0002).
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

from peyvand_runtime.worker import run_worker  # noqa: E402

from peyvand_campaign.entrypoints import worker_deps  # noqa: E402
from peyvand_campaign.entrypoints.worker import CampaignWorker  # noqa: E402
from peyvand_campaign.settings import CampaignWorkerSettings  # noqa: E402


def main() -> None:
    settings = CampaignWorkerSettings()
    worker_deps.configure(settings)
    run_worker("campaign", CampaignWorker, settings, on_ready=None, install=worker_deps.install)


if __name__ == "__main__":
    main()
