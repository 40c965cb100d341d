"""Regenerate the committed Grafana provisioning files (deploy/grafana/) from ytempire_ops/dashboards.

The dashboards are Python (grafana-foundation-sdk builders); deploy/grafana/ holds what Grafana
loads: the datasource file (connection values as `${YTEMPIRE_...}` references to Grafana's
environment, the password too), the dashboard provider and one JSON per dashboard. A test
(tests/python/test_dashboards.py) fails when the committed files differ from what the code
generates. Usage:

    python scripts/generate_dashboards.py          # rewrite stale files
    python scripts/generate_dashboards.py --check  # exit 1 and name the stale files
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

from ytempire_ops.dashboards.provisioning import provisioning_files  # noqa: E402

DEPLOY_DIR = PROJECT_DIR / "deploy" / "grafana"


def stale_files() -> dict[Path, str]:
    """Committed path -> the content it should have, for every file that differs or is missing."""
    out = {}
    for relative, content in provisioning_files().items():
        path = DEPLOY_DIR / relative
        if not path.exists() or path.read_text() != content:
            out[path] = content
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate deploy/grafana/ from ytempire_ops/dashboards.")
    parser.add_argument("--check", action="store_true", help="exit 1 when a committed file is stale")
    args = parser.parse_args(argv)
    stale = stale_files()
    if args.check:
        for path in stale:
            print(f"stale: {path.relative_to(PROJECT_DIR)}")
        return 1 if stale else 0
    for path, content in stale.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        print(f"rewrote {path.relative_to(PROJECT_DIR)}")
    if not stale:
        print("deploy/grafana is up to date.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
