"""`make run`'s supervisor stops the services before the store and stand-ins they depend on."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from peyvand_stack.supervisor import Child, Supervisor

# Writes the moment it was asked to stop, then lingers a little, as a service finishing a batch does.
SCRIPT = """
import signal, sys, time
def stop(*_):
    open(sys.argv[1], "w").write(repr(time.monotonic()))
    time.sleep(0.3)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
open(sys.argv[1] + ".up", "w").close()
while True:
    time.sleep(0.05)
"""


def test_services_stop_before_their_infrastructure(tmp_path: Path) -> None:
    sup = Supervisor(tmp_path, colour=False)
    marks = {name: tmp_path / name for name in ("store", "worker", "gateway")}
    children = [
        Child("store", [sys.executable, "-c", SCRIPT, str(marks["store"])], {}, infrastructure=True),
        Child("worker", [sys.executable, "-c", SCRIPT, str(marks["worker"])], {}),
        Child("gateway", [sys.executable, "-c", SCRIPT, str(marks["gateway"])], {}),
    ]
    for child in children:
        sup.start(child)
    deadline = time.monotonic() + 20
    while not all(Path(str(m) + ".up").exists() for m in marks.values()):
        assert time.monotonic() < deadline, "children did not start"
        time.sleep(0.05)

    sup.stop_all(grace=10)

    stopped = {name: float(path.read_text()) for name, path in marks.items()}
    # the store was asked to stop only after both services had finished (each lingers 0.3 s)
    assert stopped["store"] >= max(stopped["worker"], stopped["gateway"]) + 0.25
    assert all(c.proc is not None and c.proc.poll() is not None for c in children)
