"""The stack stops itself when whoever started it is gone without passing a signal on (make
killed outright): the supervisor must not leave every service running with nobody to stop them."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

RUNNER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from peyvand_stack.supervisor import Child, Supervisor

    run_dir = Path(sys.argv[1])
    sup = Supervisor(run_dir, colour=False)
    child = Child("sleeper", [sys.executable, "-c", "import time; time.sleep(120)"], {})
    sup.start(child)
    (run_dir / "child.pid").write_text(str(child.proc.pid))
    code = sup.watch()
    sup.stop_all(grace=5)
    (run_dir / "exit").write_text(str(code))
    """
)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # a zombie of an exited child counts as gone
    status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] if Path(f"/proc/{pid}/stat").exists() else "X"
    return status in ("Z", "X")


def _wait_for(path: Path, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return path.read_text()
        time.sleep(0.1)
    raise AssertionError(f"{path.name} not written within {seconds} s")


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads /proc")
def test_the_stack_stops_when_its_parent_is_gone(tmp_path: Path) -> None:
    # A parent that starts the supervisor and then dies without signalling it (as make killed
    # outright does).
    parent = subprocess.Popen(
        [sys.executable, "-c", "import subprocess, sys; subprocess.Popen([sys.executable, '-c', sys.argv[1], sys.argv[2]]); import time; time.sleep(3)",
         RUNNER, str(tmp_path)],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    sleeper = int(_wait_for(tmp_path / "child.pid", 20))
    assert not _gone(sleeper)
    assert not (tmp_path / "exit").exists()  # the parent still lives: the stack keeps running
    parent.wait(10)
    assert _wait_for(tmp_path / "exit", 15) == "0"
    deadline = time.monotonic() + 10
    while not _gone(sleeper) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(sleeper)
