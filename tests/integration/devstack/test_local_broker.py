"""ensure_local_broker for ``make run``: reuse a running broker, explain clearly what is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from peyvand_devstack import rabbit
from peyvand_devstack.ports import free_port, port_open


def test_uses_the_broker_already_listening(capsys: pytest.CaptureFixture[str]) -> None:
    if not port_open("127.0.0.1", 5672):
        pytest.skip("no broker on 127.0.0.1:5672 on this machine")
    assert rabbit.ensure_local_broker() == rabbit.DEFAULT_URL
    assert "already listening" in capsys.readouterr().err


def test_says_what_to_install_when_it_cannot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(rabbit, "SYSTEM_SERVER", tmp_path / "no-rabbitmq-server")
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    with pytest.raises(SystemExit, match="apt-get install -y rabbitmq-server"):
        rabbit.ensure_local_broker(f"amqp://guest:guest@127.0.0.1:{free_port()}/")


def test_does_not_try_to_start_a_remote_broker() -> None:
    with pytest.raises(SystemExit, match="no RabbitMQ broker answers"):
        rabbit.ensure_local_broker("amqp://guest:guest@192.0.2.1:5672/")
