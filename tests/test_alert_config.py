"""The alerting section of syncmon.yaml: defaults, overrides, and bad config that names the field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from syncmon_pipeline.config import ConfigError, Settings, load_settings

README = Path(__file__).resolve().parents[1] / "README.md"


def load(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "syncmon.yaml"
    path.write_text(text, "utf-8")
    return load_settings(path)


def test_defaults_route_everything_by_email_to_a_placeholder_operator():
    alerting = Settings().alerting
    route = alerting.routes["default"]
    assert route.channels == ["email"] and route.recipients == ["operator@syncmon.example"]
    assert (route.group_wait_seconds, route.group_interval_seconds, route.repeat_interval_seconds) == (30, 300, 14400)
    assert alerting.suppression_window_minutes == 15 and alerting.rate_limit_per_hour == 50
    assert alerting.escalation.after_minutes == {"critical": 15.0, "error": 60.0}


def test_the_readme_example_is_valid_and_overrides_apply_per_provider_then_integration():
    text = README.read_text("utf-8")
    block = re.search(r"```yaml\n(alerting:\n.*?)```", text, re.S)
    assert block, "the README shows an alerting config example"
    alerting = Settings.model_validate(yaml.safe_load(block.group(1))).alerting
    netsuite = alerting.rule("sync_failure", provider="netsuite", integration_id="netsuite-sub-1")
    assert (netsuite.route, netsuite.severity, netsuite.enabled) == ("finance", "critical", True)
    assert netsuite.thresholds["consecutive_failures"] == 3
    workday = alerting.rule("sync_failure", provider="workday", integration_id="workday-tenant-26")
    assert not workday.enabled and workday.route == "default"
    assert alerting.rule("timeout_threshold", provider="x", integration_id="y").severity == "error"


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("alerting:\n  rules:\n    sync_failur: {}\n", "unknown rule 'sync_failur'"),
        ("alerting:\n  rules:\n    sync_failure: {thresholds: {consecutive: 2}}\n", "unknown threshold 'consecutive'"),
        ("alerting:\n  rules:\n    sync_failure: {severity: fatal}\n", "alerting.rules.sync_failure.severity"),
        ("alerting:\n  rules:\n    sync_failure: {route: pager}\n", "no route named 'pager'"),
        ("alerting:\n  routes:\n    default: {channels: ['webhook:slack']}\n", "no webhook named 'slack'"),
        ("alerting:\n  routes:\n    default: {recipients: [not-an-address]}\n", "alerting.routes.default.recipients"),
        ("alerting:\n  webhooks:\n    x: {url: 'ftp://example.com/hook'}\n", "alerting.webhooks.x.url"),
        ("alerting:\n  maintenance_windows:\n    - {name: m, timezone: Mars/Olympus, start: '02:00', duration_minutes: 60}\n",
         "unknown IANA time zone 'Mars/Olympus'"),
        ("alerting:\n  rate_limit_per_hour: 0\n", "alerting.rate_limit_per_hour"),
        ("alerting:\n  escalation: {after_minutes: {critical: 0}}\n", "critical: must be greater than 0"),
        ("alerting:\n  rules:\n    sync_failure: {overrides: [{severity: info}]}\n",
         "exactly one of provider or integration_id"),
    ],
)
def test_bad_alerting_config_fails_at_load_naming_the_field(tmp_path, snippet, message):
    with pytest.raises(ConfigError) as error:
        load(tmp_path, snippet)
    assert message in str(error.value)


def test_the_readme_rule_table_shows_every_rule_with_its_defaults():
    from syncmon_pipeline.alerts.catalog import RULE_CATALOG

    text = README.read_text("utf-8")
    for spec in RULE_CATALOG.values():
        thresholds = ", ".join(f"`{k}` {v:g}" for k, v in spec.thresholds.items())
        assert f"| `{spec.name}` | {spec.description} ({thresholds}) | {spec.severity} |" in text, spec.name
