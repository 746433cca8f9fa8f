"""Driving urlwatch (pip-installed into bench/.venvs/urlwatch) over the farm.

Job list: one job per target, `ignore_cached: true` (no If-None-Match / If-Modified-Since, so
every page is downloaded), HTML pages through urlwatch's default `html2text` filter (the
cheapest, regex-based one); PDFs unfiltered (urlwatch's pdf2text needs the `pdftotext` module,
which needs poppler's C++ headers to build). Cache and config live in a temporary folder.
What it reports: the NEW / CHANGED / ERROR lines of its stdout report.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from bench import farm, measure
from bench.server import FarmProcess

_LINE = re.compile(r"^\s*\d+\. (NEW|CHANGED|ERROR|UNCHANGED): ", re.M)


class Urlwatch:
    """A urlwatch job list, config and cache for the farm."""

    def __init__(self, root: Path, bin_dir: Path, farm_proc: FarmProcess, count: int) -> None:
        self.root = root
        self.exe = bin_dir / "urlwatch"
        root.mkdir(parents=True, exist_ok=True)
        jobs = []
        for i in range(count):
            job: dict[str, object] = {"name": f"notice-{i:04d}", "url": farm_proc.url(i), "ignore_cached": True}
            if not farm.is_pdf(i):
                job["filter"] = "html2text"
            jobs.append(job)
        (root / "urls.yaml").write_text(yaml.safe_dump_all(jobs, sort_keys=False), encoding="utf-8")
        (root / "urlwatch.yaml").write_text(yaml.safe_dump({
            "display": {"new": True, "error": True, "unchanged": False, "empty-diff": False},
            "report": {"stdout": {"enabled": True, "color": False}, "text": {"details": False, "footer": False}},
        }), encoding="utf-8")
        (root / "hooks.py").write_text("", encoding="utf-8")
        self.env = dict(os.environ, HOME=str(root), XDG_CONFIG_HOME=str(root / "xdg"), XDG_CACHE_HOME=str(root / "xdg"))

    def check(self) -> tuple[measure.Measurement, dict[str, int]]:
        """One urlwatch run over every job: its cost and what it reported, by kind."""
        r = self.root
        m = measure.run([str(self.exe), "--urls", str(r / "urls.yaml"), "--config", str(r / "urlwatch.yaml"),
                         "--hooks", str(r / "hooks.py"), "--cache", str(r / "cache.db")], self.env, r)
        if m.returncode != 0:
            raise RuntimeError(f"urlwatch exited {m.returncode}: {m.stderr[-2000:]}")
        counts: dict[str, int] = {}
        for kind in _LINE.findall(m.stdout):
            counts[kind.lower()] = counts.get(kind.lower(), 0) + 1
        return m, counts
