"""A private RabbitMQ node: durable data survives a restart and a crash, and stop leaves nothing."""

from __future__ import annotations

import urllib.request

import pika
import pytest
from peyvand_devstack.ports import port_open
from peyvand_devstack.procs import find_pids, pid_alive
from peyvand_devstack.rabbit import PrivateRabbitNode

QUEUE = "policy.issued.test"

pytestmark = pytest.mark.slow


def publish_persistent(node: PrivateRabbitNode, body: bytes) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(node.amqp_url))
    try:
        channel = connection.channel()
        channel.queue_declare(QUEUE, durable=True)
        channel.confirm_delivery()  # the confirm comes after the message is on disk
        channel.basic_publish("", QUEUE, body, pika.BasicProperties(delivery_mode=2), mandatory=True)
    finally:
        connection.close()


def take_one(node: PrivateRabbitNode) -> bytes | None:
    connection = pika.BlockingConnection(pika.URLParameters(node.amqp_url))
    try:
        _method, _props, body = connection.channel().basic_get(QUEUE, auto_ack=True)
        return bytes(body) if body is not None else None
    finally:
        connection.close()


def test_persistent_message_survives_restart_and_stop_leaves_nothing(rabbit_node: PrivateRabbitNode) -> None:
    rabbit_node.start()
    ports = (rabbit_node.amqp_port, rabbit_node.management_port, rabbit_node.prometheus_port)
    assert b"rabbitmq_" in urllib.request.urlopen(rabbit_node.prometheus_url, timeout=5).read()
    publish_persistent(rabbit_node, b'{"policy_id": "pol_1"}')

    rabbit_node.restart()

    assert (rabbit_node.amqp_port, rabbit_node.management_port, rabbit_node.prometheus_port) == ports
    assert take_one(rabbit_node) == b'{"policy_id": "pol_1"}'
    beam, epmd = rabbit_node.beam_pid(), rabbit_node.epmd_pid
    assert beam is not None and epmd is not None

    rabbit_node.stop()

    assert not rabbit_node.is_running()
    assert not pid_alive(beam) and not pid_alive(epmd)
    assert list(find_pids("beam.smp", f"-home {rabbit_node.base_dir} ")) == []
    assert not port_open("127.0.0.1", rabbit_node.amqp_port)
    assert not port_open("127.0.0.1", rabbit_node.epmd_port)


def test_node_restarts_after_a_crash_with_confirmed_messages(rabbit_node: PrivateRabbitNode) -> None:
    rabbit_node.start()
    publish_persistent(rabbit_node, b"before the crash")
    # The confirm covers the message; the queue's own definition is a Mnesia transaction whose
    # log write can still sit in a buffer for a moment (seen once in CI at load ~12: the queue was
    # gone after the kill). Flush that log, so the crash tests what we rely on: confirmed messages.
    assert "ok" in rabbit_node.ctl("eval", "mnesia:sync_log().").stdout

    rabbit_node.kill()

    assert not rabbit_node.is_running()
    assert not port_open("127.0.0.1", rabbit_node.amqp_port)
    rabbit_node.restart()
    assert take_one(rabbit_node) == b"before the crash"
    rabbit_node.kill()  # the graceful stop (~6 s) is covered above; the fixture still ends epmd
