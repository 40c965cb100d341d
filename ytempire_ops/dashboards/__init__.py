"""The four Grafana dashboards as code (delivery contract, "Dashboards (Grafana, as code)").

One module per dashboard (executive, channels, costs, operations), each with `dashboard()` returning
the SDK's builder; common.py holds what they share; provisioning.py writes Grafana's provisioning
files. The committed copies under deploy/grafana/ are generated from here
(`python scripts/generate_dashboards.py`), and a test keeps them equal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from grafana_foundation_sdk.builders import dashboard as db

from ytempire_ops.dashboards import channels, costs, executive, operations


@dataclass(frozen=True)
class DashboardSpec:
    """One dashboard: its file name under dashboards/, its stable uid, and the function that builds it."""

    file_name: str
    uid: str
    title: str
    refresh: str
    time_from: str
    build: Callable[[], db.Dashboard]


DASHBOARDS: tuple[DashboardSpec, ...] = tuple(
    DashboardSpec(
        f"{name}.json", module.UID, module.TITLE, module.REFRESH, module.TIME_FROM, module.dashboard
    )
    for name, module in (
        ("executive", executive),
        ("channel_performance", channels),
        ("cost_optimization", costs),
        ("operations", operations),
    )
)
