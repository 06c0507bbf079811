"""RabbitMQ for tests (a private node with its own ports, data and epmd) and for ``make run``."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from peyvand_devstack.ports import free_ports, port_open, wait_for_port
from peyvand_devstack.procs import find_pids, pid_alive, signal_pid, terminate, wait_gone

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")
SYSTEM_SERVER = Path("/usr/sbin/rabbitmq-server")
NOT_INSTALLED = "RabbitMQ is not installed: apt-get install -y rabbitmq-server"
DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672/"


def _require_scripts() -> None:
    for script in ("rabbitmq-server", "rabbitmqctl"):
        if not os.access(RABBIT_BIN / script, os.X_OK):
            raise RuntimeError(NOT_INSTALLED)


def _epmd_binary() -> str:
    found = shutil.which("epmd") or next(iter(sorted(Path("/usr/lib/erlang").glob("erts-*/bin/epmd"))), None)
    if not found:
        raise RuntimeError(NOT_INSTALLED + " (epmd, from erlang-base, is missing)")
    return str(found)


class PrivateRabbitNode:
    """One RabbitMQ node owned by a test: free ports, its own data dir, cookie and epmd.

    Nothing here touches the machine's broker (5672) or its epmd (4369): our node and every
    ``rabbitmqctl`` call run with ``ERL_EPMD_PORT`` pointing at an epmd we start and stop.
    """

    def __init__(self, base_dir: Path, name: str | None = None) -> None:
        self.base_dir = Path(base_dir).resolve()
        self.name = name or f"peyvand-{uuid.uuid4().hex[:8]}"
        self.nodename = f"{self.name}@localhost"
        (self.amqp_port, self.management_port, self.prometheus_port, self.dist_port, self.epmd_port) = free_ports(5)
        self.last_start_seconds: float | None = None
        self._epmd: subprocess.Popen[bytes] | None = None

    # -- addresses ---------------------------------------------------------------------
    @property
    def amqp_url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/"

    @property
    def management_url(self) -> str:
        return f"http://127.0.0.1:{self.management_port}/"

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.prometheus_port}/metrics"

    @property
    def pid_file(self) -> Path:
        return self.base_dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "log" / f"{self.nodename}.log"

    # -- environment -------------------------------------------------------------------
    def _write_config(self) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        (self.base_dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.amqp_port}\n"
            f"management.tcp.port = {self.management_port}\n"
            "management.tcp.ip = 127.0.0.1\n"
            f"prometheus.tcp.port = {self.prometheus_port}\n"
            "prometheus.tcp.ip = 127.0.0.1\n"
            "vm_memory_high_watermark.relative = 0.2\n"
            "disk_free_limit.absolute = 50MB\n"
        )
        (self.base_dir / "enabled_plugins").write_text("[rabbitmq_management,rabbitmq_prometheus].\n")
        # an empty env file so /etc/rabbitmq/rabbitmq-env.conf (NODENAME, ERL_FLAGS) is not read
        (self.base_dir / "rabbitmq-env.conf").write_text("")

    def env(self) -> dict[str, str]:
        """The environment for our node and for ``rabbitmqctl`` talking to it."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        env.update(
            HOME=str(self.base_dir),  # .erlang.cookie lives here; the CLI must see the same one
            ERL_EPMD_PORT=str(self.epmd_port),
            ERL_EPMD_ADDRESS="127.0.0.1",
            RABBITMQ_NODENAME=self.nodename,
            RABBITMQ_CONF_ENV_FILE=str(self.base_dir / "rabbitmq-env.conf"),
            RABBITMQ_CONFIG_FILE=str(self.base_dir / "rabbitmq.conf"),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(self.base_dir / "advanced.config"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.base_dir / "enabled_plugins"),
            RABBITMQ_MNESIA_BASE=str(self.base_dir / "mnesia"),
            RABBITMQ_LOG_BASE=str(self.base_dir / "log"),
            RABBITMQ_PID_FILE=str(self.pid_file),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}",
        )
        return env

    # -- processes ---------------------------------------------------------------------
    def beam_pid(self) -> int | None:
        """Our beam.smp: from the pid file if it names a live beam of ours, else from /proc."""
        marker = f"-home {self.base_dir} "
        try:
            pid = int(self.pid_file.read_text().strip())
            if pid_alive(pid) and pid in set(find_pids("beam.smp", marker)):
                return pid
        except (OSError, ValueError):
            pass
        return next(iter(find_pids("beam.smp", marker)), None)

    def is_running(self) -> bool:
        return self.beam_pid() is not None

    @property
    def epmd_pid(self) -> int | None:
        """Our private epmd's pid while it runs (it outlives kill(); stop() ends it)."""
        return self._epmd.pid if self._epmd is not None and self._epmd.poll() is None else None

    def _start_epmd(self) -> None:
        if self._epmd is not None and self._epmd.poll() is None:
            return
        self._epmd = subprocess.Popen(
            [_epmd_binary(), "-port", str(self.epmd_port), "-address", "127.0.0.1"],
            env=self.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for_port("127.0.0.1", self.epmd_port, timeout=5)

    def _stop_epmd(self) -> None:
        if self._epmd is None:
            return
        if self._epmd.poll() is None:
            self._epmd.terminate()
            try:
                self._epmd.wait(5)
            except subprocess.TimeoutExpired:
                self._epmd.kill()
                self._epmd.wait(5)
        self._epmd = None

    def ctl(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        """Run ``rabbitmqctl -n <our node> ARGS`` against our node (never the system one)."""
        return subprocess.run(
            [str(RABBIT_BIN / "rabbitmqctl"), "-n", self.nodename, *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def _log_tail(self, lines: int = 10) -> str:
        """The first error lines and the last lines of the startup output and the node's log."""
        texts = []
        for path in (self.base_dir / "startup.log", self.log_file):
            try:
                all_lines = path.read_text(errors="replace").splitlines()
            except OSError:
                continue
            errors = [line for line in all_lines if "[error]" in line][:5]
            texts.extend([*errors, "...", *all_lines[-lines:]] if errors else all_lines[-lines:])
        return "\n".join(texts) or "(no log written)"

    def _amqp_ready(self) -> bool:
        import pika  # imported here so ports/mongo helpers do not need pika

        params = pika.URLParameters(self.amqp_url + "?connection_attempts=1&socket_timeout=2&stack_timeout=3")
        try:
            pika.BlockingConnection(params).close()
            return True
        except Exception:  # pika raises AMQPError subclasses and bare connector timeouts alike
            return False

    # -- lifecycle ---------------------------------------------------------------------
    def start(self, timeout: float = 90) -> None:
        """Start the node (or do nothing if it runs) and wait until a pika connection succeeds."""
        _require_scripts()
        if self.is_running():
            return
        began = time.monotonic()
        self._write_config()
        self._start_epmd()
        with open(self.base_dir / "startup.log", "wb") as out:
            subprocess.run(
                [str(RABBIT_BIN / "rabbitmq-server"), "-detached"],
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=30,
                check=True,
            )
        deadline = began + timeout
        seen_beam = False
        while time.monotonic() < deadline:
            running = self.is_running()
            seen_beam = seen_beam or running
            if (seen_beam and not running) or (not running and time.monotonic() - began > 15):
                self.stop()  # ends our epmd too
                raise RuntimeError(f"RabbitMQ node {self.nodename} did not stay up:\n{self._log_tail()}")
            if port_open("127.0.0.1", self.amqp_port) and self._amqp_ready():
                self.last_start_seconds = time.monotonic() - began
                return
            time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"RabbitMQ node {self.nodename} not ready in {timeout} s:\n{self._log_tail()}")

    def stop(self) -> None:
        """``rabbitmqctl stop``, then SIGTERM/SIGKILL the beam if it lingers, then our epmd."""
        pid = self.beam_pid()
        if pid is not None:
            try:
                self.ctl("stop", timeout=30)
            except subprocess.TimeoutExpired:
                pass
            if not wait_gone(pid, 15):
                terminate(pid, grace=10)
        for stray in find_pids("beam.smp", f"-home {self.base_dir} "):
            terminate(stray, grace=5)
        self._stop_epmd()

    def kill(self) -> None:
        """SIGKILL the beam (a crash: no clean shutdown); our epmd keeps running."""
        pid = self.beam_pid()
        if pid is not None:
            signal_pid(pid, signal.SIGKILL)
            wait_gone(pid, 10)

    def restart(self, timeout: float = 90) -> None:
        """Stop if running, then start on the same ports and data dir (durable data survives)."""
        if self.is_running():
            self.stop()
        self.start(timeout=timeout)

    def __enter__(self) -> PrivateRabbitNode:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- isolation: a vhost per test or benchmark run ---------------------------------------
    def management(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call the node's management HTTP API (``path`` after ``/api/``) as guest."""
        url = f"{self.management_url.rstrip('/')}/api/{path}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", "Basic " + base64.b64encode(b"guest:guest").decode())
        request.add_header("content-type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return json.loads(raw) if raw else None

    def new_vhost(self, prefix: str = "t") -> str:
        """A fresh vhost guest may use fully: queues and exchanges of one test stay apart."""
        vhost = f"{prefix}-{uuid.uuid4().hex[:10]}"
        self.management("PUT", f"vhosts/{vhost}", {})
        self.management("PUT", f"permissions/{vhost}/guest", {"configure": ".*", "write": ".*", "read": ".*"})
        return vhost

    def drop_vhost(self, vhost: str) -> None:
        try:
            self.management("DELETE", f"vhosts/{vhost}")
        except OSError:
            pass

    def amqp_url_for(self, vhost: str) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/{vhost}"


def _start_installed_broker() -> str:
    if Path("/run/systemd/system").is_dir() and shutil.which("systemctl"):
        subprocess.run(["systemctl", "start", "rabbitmq-server"], check=True, timeout=120)
        return "started it with systemctl"
    # the wrapper in /usr/sbin switches to the rabbitmq user when run as root
    subprocess.run(
        [str(SYSTEM_SERVER), "-detached"],
        check=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return f"started it with {SYSTEM_SERVER} -detached"


def _apt_install() -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "rabbitmq-server"]
    if subprocess.run(install, env=env, check=False, timeout=900).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, check=True, timeout=900)
        subprocess.run(install, env=env, check=True, timeout=900)


def ensure_local_broker(url: str = DEFAULT_URL, timeout: float = 90) -> str:
    """Make sure a broker answers at ``url`` (start or install the machine's one) and return ``url``."""
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 5672
    if port_open(host, port):
        print(f"devstack: using the RabbitMQ broker already listening on {host}:{port}", file=sys.stderr)
        return url
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"devstack: no RabbitMQ broker answers at {host}:{port}; start it or fix the URL")
    did = ""
    if not SYSTEM_SERVER.exists():
        if os.geteuid() != 0:
            raise SystemExit(
                "devstack: RabbitMQ is not installed and this user cannot install it; run "
                "`sudo apt-get install -y rabbitmq-server` (or set AMQP_URL to a reachable broker)"
            )
        _apt_install()
        did = "installed rabbitmq-server with apt-get and "
    if not port_open(host, port):  # a Debian install may already have started the service
        try:
            did += _start_installed_broker()
        except (subprocess.CalledProcessError, OSError) as exc:
            raise SystemExit(f"devstack: could not start the installed RabbitMQ ({exc}); run `sudo rabbitmq-server -detached`") from exc
    else:
        did += "it started the service"
    try:
        wait_for_port(host, port, timeout)
    except TimeoutError as exc:
        raise SystemExit(f"devstack: RabbitMQ did not open {host}:{port}: {exc}") from exc
    print(f"devstack: {did}; broker listening on {host}:{port}", file=sys.stderr)
    return url


def main(argv: list[str] | None = None) -> int:
    """``python -m peyvand_devstack.rabbit ensure [URL]`` prints the broker URL to use."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] != "ensure":
        print("usage: python -m peyvand_devstack.rabbit ensure [AMQP_URL]", file=sys.stderr)
        return 2
    print(ensure_local_broker(args[1] if len(args) > 1 else DEFAULT_URL))
    return 0


if __name__ == "__main__":
    sys.exit(main())
