"""Real Scrapyd nodes on 127.0.0.1 for tests and the scale-out benchmark, and the egg they run.

Each node is a `scrapyd` process (the pip-installed one) in its own temporary folder with its
own scrapyd.conf (loopback only, a free port, a short poll interval), started in its own
process group so that `kill()` takes it down with its crawl processes, as a machine failure
would. The egg is built the documented way (`scrapyd-deploy --build-egg`) from a copy of the
sources, so no build/ or *.egg-info lands in the work tree, and deployed with addversion.json.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from monitor.crawl_scrapyd import ScrapydNode

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SOURCES = ("pyproject.toml", "setup.py", "scrapy.cfg", "README.md", "monitor", "spiders")


def build_egg(workdir: Path) -> bytes:
    """The project's egg, built by scrapyd-client's `scrapyd-deploy --build-egg` from a source copy."""
    src = workdir / "src"
    src.mkdir(parents=True)
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, src / name)
    egg = workdir / "regwatch.egg"
    proc = subprocess.run([str(BIN / "scrapyd-deploy"), "--build-egg", str(egg)], cwd=src, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, f"scrapyd-deploy --build-egg failed:\n{proc.stdout}\n{proc.stderr}"
    return egg.read_bytes()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ScrapydProcess:
    """One Scrapyd node: start, deploy, kill."""

    def __init__(self, root: Path, max_proc: int = 2, poll_interval: float = 0.1) -> None:
        self.root = root
        self.port = _free_port()
        self.max_proc = max_proc
        self.poll_interval = poll_interval
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ScrapydProcess:
        """Write scrapyd.conf and start the node (returns at once; see `wait_ready`)."""
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "scrapyd.conf").write_text(
            "[scrapyd]\n"
            "bind_address = 127.0.0.1\n"
            f"http_port = {self.port}\n"
            f"eggs_dir = {self.root / 'eggs'}\n"
            f"logs_dir = {self.root / 'logs'}\n"
            f"dbs_dir = {self.root / 'dbs'}\n"
            "items_dir =\n"
            f"max_proc = {self.max_proc}\n"
            f"poll_interval = {self.poll_interval}\n"
            "finished_to_keep = 1000\n", encoding="utf-8")
        # The crawl processes inherit this environment: no proxies, no stray REGWATCH_* settings.
        env = {k: v for k, v in os.environ.items() if not k.startswith("REGWATCH_") and "proxy" not in k.lower()}
        env["NO_PROXY"] = "*"
        log = (self.root / "scrapyd.log").open("wb")
        self.proc = subprocess.Popen([str(BIN / "scrapyd")], cwd=self.root, env=env, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until daemonstatus.json answers."""
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc is not None and self.proc.poll() is None, f"scrapyd exited:\n{self.log()}"
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{self.url}/daemonstatus.json", timeout=2) as r:
                if r.status == 200:
                    return
            assert time.monotonic() < deadline, f"scrapyd did not answer within {timeout}s:\n{self.log()}"
            time.sleep(0.1)

    def deploy(self, egg: bytes, version: str = "1") -> None:
        """Upload the egg with addversion.json, then list its spiders once: Scrapyd caches the
        list, which it otherwise builds (in a subprocess, ~2 s) on the first schedule.json."""
        ScrapydNode(self.url).add_version(version, egg)
        with urllib.request.urlopen(f"{self.url}/listspiders.json?project=regwatch", timeout=60) as r:
            assert b'"watch"' in r.read()

    def kill(self) -> None:
        """Stop the node and every crawl it runs at once (SIGKILL to its process group)."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def log(self) -> str:
        path = self.root / "scrapyd.log"
        return path.read_text(encoding="utf-8", errors="replace")[-4000:] if path.exists() else ""

    def job_logs(self) -> str:
        """The crawl logs of every job the node ran (for failure messages)."""
        return "\n".join(p.read_text(encoding="utf-8", errors="replace")[-2000:]
                         for p in sorted((self.root / "logs").rglob("*.log")))


def start_nodes(root: Path, count: int, egg: bytes, max_proc: int = 2) -> list[ScrapydProcess]:
    """`count` nodes started side by side, each with the egg deployed."""
    nodes = [ScrapydProcess(root / f"node{i}", max_proc=max_proc).start() for i in range(count)]
    try:
        for node in nodes:
            node.wait_ready()
        with ThreadPoolExecutor(len(nodes)) as pool:
            list(pool.map(lambda n: n.deploy(egg), nodes))
    except BaseException:
        for node in nodes:
            node.kill()
        raise
    return nodes
