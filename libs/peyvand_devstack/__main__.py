"""Command line: ``python -m peyvand_devstack mongo|rabbit`` for the supervisor and ``make run``."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from peyvand_devstack.mongo import EmbeddedMongo, answers_as_mongo, live_servers, remove_stale_pid_files
from peyvand_devstack.ports import port_open
from peyvand_devstack.procs import terminate
from peyvand_devstack.rabbit import DEFAULT_URL, ensure_local_broker


def run_mongo(data_dir: Path, port: int) -> int:
    """Run nx-27017 in the foreground until SIGTERM/SIGINT, then stop it and exit 0."""
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    # a server of ours still running on this data dir (its supervisor was SIGKILLed): replace it
    for pid in live_servers(data_dir):
        print(f"devstack: stopping a leftover nx-27017 (pid {pid}) on {data_dir}", file=sys.stderr)
        terminate(pid, grace=5)
    for stale in remove_stale_pid_files(data_dir):
        print(f"devstack: removed stale pid file {stale.name}", file=sys.stderr)
    if port_open("127.0.0.1", port):
        what = "another MongoDB server" if answers_as_mongo(f"mongodb://127.0.0.1:{port}/") else "something that is not MongoDB"
        print(f"devstack: port {port} is already taken by {what}; stop it or pass another --port", file=sys.stderr)
        return 2

    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server = EmbeddedMongo(data_dir, port=port, die_with_parent=True)
    try:
        server.start()
        print(
            f"devstack: nx-27017 ready at {server.uri} (data {data_dir}, up in {server.last_start_seconds:.2f} s, log {server.log_file})",
            file=sys.stderr,
            flush=True,
        )
        while not stopping.wait(0.5):
            if not server.is_running():
                print(f"devstack: nx-27017 exited unexpectedly:\n{server.log_tail()}", file=sys.stderr)
                return 1
        return 0
    except (RuntimeError, TimeoutError) as exc:
        print(f"devstack: {exc}", file=sys.stderr)
        return 1
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m peyvand_devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    mongo = sub.add_parser("mongo", help="run the embedded MongoDB (nx-27017) in the foreground")
    mongo.add_argument("--data-dir", type=Path, default=Path("run/mongo"))
    mongo.add_argument("--port", type=int, default=27017)
    rabbit = sub.add_parser("rabbit", help="make sure a local RabbitMQ broker runs; print its URL")
    rabbit.add_argument("--url", default=DEFAULT_URL)
    args = parser.parse_args(argv)
    if args.command == "mongo":
        return run_mongo(args.data_dir, args.port)
    print(ensure_local_broker(args.url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
