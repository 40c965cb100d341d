"""What the four dashboards share: the datasource, SQL targets, panel helpers and the JSON form.

Dashboards are built with grafana-foundation-sdk's builders. The SDK has no PostgreSQL query type,
so `SqlQuery` is one (a cog Dataquery registered for the plugin id): it keeps the panel's raw SQL,
its format (`table` or `time_series`) and the datasource reference, and reads itself back from
JSON, so a dashboard survives `Dashboard.from_json` -> `to_json` unchanged.

Panel SQL conventions (docs/decisions.md, "Dashboards"): every panel reads `analytics` only; time
series return a `time` column (timestamptz), ascending; table panels name their columns in
snake_case and their field overrides say how each is shown; windows that a mart already fixes
(the 7 days up to as_of) are read from the mart, other panels filter with `$__timeFilter`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Self

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import table
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import plugins as cogplugins
from grafana_foundation_sdk.cog import runtime as cogruntime
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm

# The datasource every panel reads: PostgreSQL as the read-only `reporter` role. Its uid is what the
# provisioning file (deploy/grafana/provisioning/datasources/ytempire.yaml) gives it.
DATASOURCE_TYPE = "grafana-postgresql-datasource"
DATASOURCE_UID = "ytempire-warehouse"
DATASOURCE_NAME = "YTEMPIRE warehouse"
DATASOURCE = dm.DataSourceRef(type_val=DATASOURCE_TYPE, uid=DATASOURCE_UID)

# The folder the dashboards are provisioned into, and the tag they carry.
FOLDER = "YTEMPIRE"
TAG = "ytempire"

# The contract's thresholds (warehouse contract, "Business rules"; delivery contract, "Dashboards").
COST_WARNING_USD = 2.50
COST_CRITICAL_USD = 3.00
REVENUE_7D_YELLOW_USD = 5000
REVENUE_7D_GREEN_USD = 10000
ROI_YELLOW_PCT = 100
ROI_GREEN_PCT = 200
ROI_GAUGE_MAX_PCT = 500
API_QUOTA_UNITS = 10000
API_QUOTA_LOW_LEFT = 1000
STALE_WARNING_SECONDS = 15 * 60
STALE_CRITICAL_SECONDS = 60 * 60

GREEN, YELLOW, RED, BLUE = "green", "yellow", "red", "blue"

FORMAT_TABLE = "table"
FORMAT_TIME_SERIES = "time_series"


class SqlQuery(cogvariants.Dataquery):
    """A raw-SQL query of Grafana's PostgreSQL datasource (the SDK has no model for it)."""

    def __init__(
        self,
        ref_id: str = "A",
        raw_sql: str = "",
        format_: str = FORMAT_TABLE,
        datasource: dm.DataSourceRef | None = None,
    ) -> None:
        self.ref_id = ref_id
        self.raw_sql = raw_sql
        self.format = format_
        self.datasource = datasource or DATASOURCE

    def to_json(self) -> dict[str, object]:
        return {
            "datasource": self.datasource.to_json(),
            "editorMode": "code",
            "format": self.format,
            "rawQuery": True,
            "rawSql": self.raw_sql,
            "refId": self.ref_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        return cls(
            ref_id=data.get("refId", "A"),
            raw_sql=data.get("rawSql", ""),
            format_=data.get("format", FORMAT_TABLE),
            datasource=dm.DataSourceRef.from_json(data["datasource"]) if "datasource" in data else None,
        )


class Sql(cogbuilder.Builder[SqlQuery]):
    """Builder of a SqlQuery, for the SDK's `with_target`."""

    def __init__(self, raw_sql: str, format_: str = FORMAT_TABLE, ref_id: str = "A") -> None:
        self._internal = SqlQuery(ref_id=ref_id, raw_sql=dedent_sql(raw_sql), format_=format_)

    def build(self) -> SqlQuery:
        return self._internal


def register() -> None:
    """The SDK's panel and query plugins, and the PostgreSQL query (needed to read dashboards back)."""
    cogplugins.register_default_plugins()
    cogruntime.register_dataquery_variant(
        cogruntime.DataqueryConfig(identifier=DATASOURCE_TYPE, from_json_hook=SqlQuery.from_json)
    )


def dedent_sql(text: str) -> str:
    """SQL as written in the modules (indented, between blank lines) -> its lines without the common indent."""
    lines = text.lstrip("\n").rstrip().splitlines()
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "\n".join(line[indent:].rstrip() for line in lines)


def thresholds(base: str, *steps: tuple[float, str]) -> db.ThresholdsConfig:
    """Absolute thresholds: `base` below the first step, then each (value, colour) at or above value."""
    return (
        db.ThresholdsConfig()
        .mode(dm.ThresholdsMode.ABSOLUTE)
        .steps([dm.Threshold(value=None, color=base), *(dm.Threshold(value=v, color=c) for v, c in steps)])
    )


def display_names(names: dict[str, str], units: dict[str, str] | None = None) -> list[Any]:
    """Field overrides that give each column its display name (and unit): what table panels show."""
    units = units or {}
    out = []
    for column, label in names.items():
        properties = [dm.DynamicConfigValue(id_val="displayName", value=label)]
        if column in units:
            properties.append(dm.DynamicConfigValue(id_val="unit", value=units[column]))
        out.append(
            db.DashboardFieldConfigSourceOverrides()
            .matcher(dm.MatcherConfig(id_val="byName", options=column))
            .properties(properties)
        )
    return out


def table_panel(
    title: str,
    description: str,
    sql: str,
    pos: dm.GridPos,
    names: dict[str, str],
    units: dict[str, str] | None = None,
) -> table.Panel:
    """A table panel over one SQL query; `names` gives every column the query returns its display name."""
    return (
        table.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .with_target(Sql(sql))
        .grid_pos(pos)
        .align(cm.FieldTextAlignment.AUTO)
        .inspect(False)
        .overrides(display_names(names, units))
    )


def grid(x: int, y: int, w: int, h: int) -> dm.GridPos:
    return dm.GridPos(x=x, y=y, w=w, h=h)


def new_dashboard(uid: str, title: str, description: str, refresh: str, time_from: str) -> db.Dashboard:
    """A dashboard with the project's conventions: stable uid, UTC, the tag, read-only in Grafana's editor."""
    return (
        db.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags([TAG])
        .timezone("utc")
        .refresh(refresh)
        .time(f"now-{time_from}", "now")
        .readonly()
        .tooltip(dm.DashboardCursorSync.CROSSHAIR)
    )


def quick_ranges(spans: Sequence[str]) -> db.TimePicker:
    """The time picker's ranges (the dashboard's time-range options), e.g. ["1h", "24h", "7d"]."""
    return db.TimePicker().quick_ranges(
        [db.TimeOption().display(f"Last {span}").from_val(f"now-{span}").to("now") for span in spans]
    )


def finish(dashboard: db.Dashboard) -> dm.Dashboard:
    """The built dashboard with its panels numbered 1, 2, ... in order (stable panel ids)."""
    model = dashboard.build()
    for number, panel in enumerate(model.panels or [], start=1):
        panel.id_val = number
    return model


def to_json(dashboard: db.Dashboard | dm.Dashboard) -> str:
    """The dashboard as its provisioning JSON: keys sorted, 2-space indent, a final newline."""
    model = finish(dashboard) if isinstance(dashboard, db.Dashboard) else dashboard
    return json.dumps(model, cls=JSONEncoder, indent=2, sort_keys=True) + "\n"


def from_json(text: str) -> dm.Dashboard:
    """A provisioning JSON back into the SDK's model."""
    register()
    return dm.Dashboard.from_json(json.loads(text))
