"""Fixes: findings turned into minimal, proved edits of the YAML as written, and least-privilege
policies generated the same way (`plan.py` proves, `fixers.py` writes, `generate.py` builds)."""
