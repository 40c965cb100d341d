"""The stack's HTTP daemons beside PostgreSQL and Redis: Prometheus Alertmanager and Pushgateway.

`local up` starts each (when its binary is installed) on a free loopback port, in its own
directory under the stack's state directory, as a process of its own session; `local down` stops it.
A missing binary is one sentence in `up`'s actions and the rest of the stack works without it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ytempire_ops.errors import UserError

# The local stack's routing: every alert to a receiver that sends nothing (Alertmanager keeps and
# lists the alerts it receives; a deployment routes them to people).
ALERTMANAGER_CONFIG = """\
# Written by `ytempire-ops local up`: the local stack's Alertmanager keeps the alerts it is sent
# and notifies no one.
route:
  receiver: keep
  group_by: [alertname]
receivers:
  - name: keep
"""


@dataclass(frozen=True)
class Daemon:
    name: str  # key in stack.json, directory under the state directory
    label: str
    binary_env: str  # variable naming the binary
    default_binary: str
    package: str  # Debian package
    url_env: str  # variable every command reads the daemon's URL from
    version_path: str

    def binary(self) -> str | None:
        configured = os.environ.get(self.binary_env)
        if configured:
            return configured if os.access(configured, os.X_OK) else None
        if os.access(self.default_binary, os.X_OK):
            return self.default_binary
        return shutil.which(Path(self.default_binary).name)

    def missing(self) -> str:
        return (
            f"{self.label} not started: {self.binary_env} or {self.default_binary} is not an executable; "
            f"install it with `apt-get install {self.package}` (or `make alerting`). The rest of the stack works "
            "without it."
        )

    def args(self, binary: str, workdir: Path, port: int) -> list[str]:
        listen = f"--web.listen-address=127.0.0.1:{port}"
        if self.name == "alertmanager":
            config = workdir / "alertmanager.yml"
            if not config.exists():
                config.write_text(ALERTMANAGER_CONFIG)
            return [
                binary,
                f"--config.file={config}",
                f"--storage.path={workdir / 'data'}",
                listen,
                "--cluster.listen-address=",  # one instance: no gossip port
                "--log.level=warn",
            ]
        return [
            binary,
            listen,
            f"--persistence.file={workdir / 'metrics'}",
            "--persistence.interval=1m",
            "--log.level=warn",
        ]


ALERTMANAGER = Daemon(
    name="alertmanager",
    label="Alertmanager",
    binary_env="YTEMPIRE_ALERTMANAGER_BIN",
    default_binary="/usr/bin/prometheus-alertmanager",
    package="prometheus-alertmanager",
    url_env="YTEMPIRE_ALERTMANAGER_URL",
    version_path="/api/v2/status",
)
PUSHGATEWAY = Daemon(
    name="pushgateway",
    label="Pushgateway",
    binary_env="YTEMPIRE_PUSHGATEWAY_BIN",
    default_binary="/usr/bin/prometheus-pushgateway",
    package="prometheus-pushgateway",
    url_env="YTEMPIRE_PUSHGATEWAY_URL",
    version_path="/api/v1/status",
)
DAEMONS = (ALERTMANAGER, PUSHGATEWAY)


def _get(url: str, timeout: float = 2.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        body = response.read()
    try:
        return json.loads(body)
    except ValueError:
        return body.decode(errors="replace")


def ready(url: str | None) -> bool:
    if not url:
        return False
    try:
        _get(f"{url}/-/ready", timeout=1.0)
        return True
    except (OSError, urllib.error.URLError):
        return False


def version(daemon: Daemon, url: str) -> str | None:
    """The version the running daemon reports, None when it cannot be read."""
    try:
        data = _get(f"{url}{daemon.version_path}")
    except (OSError, urllib.error.URLError):
        return None
    if daemon is ALERTMANAGER:
        return (data.get("versionInfo") or {}).get("version")
    return ((data.get("data") or {}).get("build_information") or {}).get("version")


def start(daemon: Daemon, home: Path, port: int) -> dict[str, Any]:
    """Start the daemon on 127.0.0.1:port; its state (port, url, pid). UserError when it does not answer."""
    binary = daemon.binary()
    if binary is None:
        raise UserError(daemon.missing())
    workdir = home / daemon.name
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / f"{daemon.name}.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            daemon.args(binary, workdir, port),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,  # outlives the command that started it, as PostgreSQL and Redis do
            cwd=workdir,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if ready(url):
            return {"port": port, "url": url, "pid": proc.pid}
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
    tail = log.read_text(errors="replace").strip().splitlines()[-3:]
    raise UserError(
        f"{daemon.label} did not start on port {port}: {' '.join(tail) or 'no output'} (see {log})."
    )


def _exited(pid: int) -> bool:
    """True when pid has ended: gone, or a zombie (then reaped if it is this process's child)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    if state != "Z":
        return False
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)
    return True


def _ours(pid: int, daemon: Daemon) -> bool:
    """True when pid is alive and runs the daemon's binary (a recycled pid is left alone)."""
    if _exited(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return False
    return Path(cmdline).name == Path(daemon.default_binary).name or cmdline == os.environ.get(
        daemon.binary_env, ""
    )


def stop(daemon: Daemon, state: dict[str, Any]) -> bool:
    """Stop the daemon the state records; True when one was running."""
    pid = state.get("pid")
    if not pid or not _ours(int(pid), daemon):
        return False
    os.kill(int(pid), signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _ours(int(pid), daemon):
        time.sleep(0.05)
    if _ours(int(pid), daemon):
        os.kill(int(pid), signal.SIGKILL)
    return True
