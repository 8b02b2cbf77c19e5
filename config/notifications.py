"""The notification rules jiehu ships (`config/data/notifications.yaml`) or a deployment's own file of
the same shape: subscriptions (who is told what) and the Chinese templates."""

from __future__ import annotations

from pathlib import Path

import yaml

from config.reference_data import DATA
from domain.notifications import NotificationRules


def load_notification_rules(path: str = "") -> NotificationRules:
    """The rules of `path` (empty: the shipped file). Raises ValueError naming every problem (an unknown
    kind, a missing template, an unknown placeholder) so a bad file stops the worker at start."""
    text = Path(path).read_text("utf-8") if path else (DATA / "notifications.yaml").read_text("utf-8")
    rules = NotificationRules.model_validate(yaml.safe_load(text) or {})
    if problems := rules.problems():
        raise ValueError(f"notification rules {path or 'notifications.yaml'}: " + "; ".join(problems))
    return rules
