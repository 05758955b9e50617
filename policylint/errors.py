"""Errors that end a command with exit code 2 (usage and configuration), shared by the stages
that read configuration (the config loader, the intent sections, the Pulumi runner)."""
from __future__ import annotations


class ConfigError(Exception):
    """A configuration problem; the message names the key and file:line."""
