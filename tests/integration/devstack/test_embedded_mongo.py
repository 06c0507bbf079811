"""The embedded nx-27017 server: data survives a SIGKILL, instances are independent, the CLI stops cleanly."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pymongo
from peyvand_devstack.mongo import SERVER_MODULE, EmbeddedMongo, answers_as_mongo
from peyvand_devstack.ports import free_port, wait_for_port
from peyvand_devstack.procs import find_pids, pid_alive

MakeMongo = Callable[..., EmbeddedMongo]


def client(server: EmbeddedMongo) -> pymongo.MongoClient[dict[str, Any]]:
    return pymongo.MongoClient(server.uri, serverSelectionTimeoutMS=3000)


def test_data_survives_sigkill_and_restart(mongo_factory: MakeMongo) -> None:
    server = mongo_factory()
    server.start()
    with client(server) as db:
        db.crm.customers.insert_one({"_id": "cus_1", "name": "مریم"})
    first_pid = server.pid

    server.kill()

    assert first_pid is not None and not pid_alive(first_pid)
    server.restart()
    with client(server) as db:
        assert db.crm.customers.find_one({"_id": "cus_1"}) == {"_id": "cus_1", "name": "مریم"}
    server.stop()
    assert not server.is_running()
    assert list(server.data_dir.glob("*.pid")) == []


def test_two_servers_run_side_by_side(mongo_factory: MakeMongo) -> None:
    first, second = mongo_factory("one"), mongo_factory("two")
    first.start()
    second.start()
    assert first.port != second.port
    with client(first) as a, client(second) as b:
        a.crm.policies.insert_one({"_id": "pol_1"})
        assert b.crm.policies.find_one({"_id": "pol_1"}) is None
        assert a.crm.policies.find_one({"_id": "pol_1"}) == {"_id": "pol_1"}


def run_cli(data_dir: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "peyvand_devstack", "mongo", "--data-dir", str(data_dir), "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
    )


def test_cli_serves_until_sigterm_and_leaves_nothing(tmp_path: Path) -> None:
    port, data_dir = free_port(), tmp_path / "run" / "mongo"
    cli = run_cli(data_dir, port)
    try:
        wait_for_port("127.0.0.1", port, timeout=20)
        deadline = time.monotonic() + 10
        while not answers_as_mongo(f"mongodb://127.0.0.1:{port}/") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert answers_as_mongo(f"mongodb://127.0.0.1:{port}/")
        assert list(find_pids(SERVER_MODULE, str(data_dir)))  # the needle below finds a running server
        cli.send_signal(signal.SIGTERM)
        assert cli.wait(15) == 0
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
    assert list(find_pids(SERVER_MODULE, str(data_dir))) == []
    assert list(data_dir.glob("*.pid")) == []


def test_cli_refuses_a_port_taken_by_something_else(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        cli = run_cli(tmp_path / "mongo", squatter.getsockname()[1])
        _out, err = cli.communicate(timeout=20)
    assert cli.returncode == 2
    assert "not MongoDB" in err
