"""The rule catalogue: one module per rule, and this explicit registry.

Adding a rule is adding its module name to `RULE_MODULES`. The engine never imports a rule by
name; only this list knows them.

A rule's module is named after it, `pl<number>_<name, with underscores for dashes>` (a test
holds every module to its CODE and NAME), so this list alone says which rules exist: `INDEX`
needs no import; `RULES` maps every code to its rule and imports a rule's module when that entry
is first read, so a run that selects a few rules imports only theirs; `REGISTRY` is the same as a
plain dict, every rule imported, built when first used.
"""
from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    from policylint.rule_api import RuleSpec

RULE_MODULES = (
    "pl001_yaml_syntax_error",
    "pl002_unreadable_file",
    "pl003_invalid_object_shape",
    "pl004_unused_suppression",
    "pl005_rule_crashed",
    "pl006_duplicate_key",
    "pl007_input_limit_exceeded",
    "pl008_unsupported_policy_kind",
    "pl009_unknown_field",
    "pl010_invalid_suppression",
    "pl011_pulumi_program_failed",
    "pl012_pulumi_component_not_analysed",
    "pl013_pulumi_value_unknown",
    "pl014_unparsed_non_manifest",
    "pl015_duplicate_object",
    "pl016_no_kubernetes_objects",
    "pl017_duplicate_identical_object",
    "pl018_kustomization_not_rendered",
    "pl019_helm_chart_not_rendered",
    "pl020_render_failed",
    "pl021_trainjob_runtime_missing",
    "pl022_operator_network_policy",
    "pl023_octal_number",
    "pl024_kind_near_miss",
    "pl025_check_budget_exceeded",
    "pl026_overlay_variants",
    "pl101_invalid_label_selector",
    "pl102_invalid_object_name",
    "pl103_invalid_policy_types",
    "pl104_empty_peer",
    "pl105_ipblock_with_selector",
    "pl106_egress_deny_not_enforced",
    "pl107_dead_direction_rules",
    "pl108_duplicate_policy_types",
    "pl109_or_where_and_meant",
    "pl110_pod_selector_other_namespace",
    "pl111_namespace_label_unknown",
    "pl112_policy_selects_no_pods",
    "pl113_peer_selects_no_pods",
    "pl114_all_namespaces_peer",
    "pl115_host_network_pod_selected",
    "pl116_replica_type_upper_case",
    "pl117_allow_all_rule",
    "pl118_service_selects_no_pods",
    "pl119_invalid_container_port",
    "pl201_invalid_cidr",
    "pl202_invalid_except",
    "pl203_except_not_subset",
    "pl204_cidr_host_bits_set",
    "pl205_any_address_peer",
    "pl206_metadata_endpoint_reachable",
    "pl207_ipblock_in_cluster_cidr",
    "pl301_port_out_of_range",
    "pl302_invalid_end_port",
    "pl303_invalid_port_name",
    "pl304_unsupported_protocol",
    "pl305_egress_without_dns",
    "pl306_dns_single_protocol",
    "pl307_protocol_defaults_to_tcp",
    "pl308_service_port_in_policy",
    "pl309_service_target_port_undeclared",
    "pl401_redundant_rule",
    "pl402_redundant_policy",
    "pl403_duplicate_policy",
    "pl404_namespace_without_default_deny",
    "pl405_workload_not_selected",
    "pl406_workload_open_to_every_namespace",
    "pl500_expectation_not_met",
    "pl501_data_service_unreachable",
    "pl502_training_peers_blocked",
    "pl503_training_peers_port_restricted",
    "pl504_rendezvous_port_blocked",
    "pl505_launcher_ssh_blocked",
    "pl506_training_without_storage_egress",
    "pl507_training_exposed_outside_cluster",
    "pl508_training_metadata_reachable",
    "pl509_training_bypasses_network_policy",
    "pl510_operator_network_policy_not_modelled",
    "pl520_lateral_path_from_outside",
    "pl521_path_expectation_not_met",
    "pl600_invalid_cluster_network_policy",
    "pl601_same_priority_tier_policies",
    "pl602_shadowed_tier_rule",
    "pl603_pass_with_nothing_below",
    "pl604_networkpolicy_rule_overridden",
    "pl605_baseline_deny_cuts_dns",
)


def _code_and_name(module_name: str) -> tuple[str, str]:
    number, _, words = module_name.partition("_")
    return "PL" + number[len("pl"):], words.replace("_", "-")


# code -> (name, module), read off the module names: nothing is imported.
INDEX: dict[str, tuple[str, str]] = dict(sorted((code, (name, module)) for module in RULE_MODULES
                                                for code, name in [_code_and_name(module)]))
if len(INDEX) != len(RULE_MODULES) or len({name for name, _ in INDEX.values()}) != len(INDEX):
    raise RuntimeError("rule code or name used twice in RULE_MODULES")

_loaded: dict[str, RuleSpec] = {}


def spec(code: str) -> RuleSpec:
    """The rule `code` (a key of INDEX), its module imported on first use."""
    found = _loaded.get(code)
    if found is None:
        from policylint.rule_api import RuleSpec

        name, module_name = INDEX[code]
        found = RuleSpec.from_module(importlib.import_module(f"{__name__}.{module_name}"))
        if (found.code, found.name) != (code, name):
            raise RuntimeError(f"module {module_name} declares {found.code} {found.name}: its name must be "
                               f"pl<number>_<name> of the rule it holds")
        unknown = [c for c in found.subsumes if c not in INDEX]
        if unknown:
            raise ValueError(f"{code}: SUBSUMES names unknown codes {unknown}")
        _loaded[code] = found
    return found


def specs(codes: Iterable[str]) -> dict[str, RuleSpec]:
    """The rules of `codes`, sorted by code; only their modules are imported."""
    return {code: spec(code) for code in sorted(set(codes))}


class _Rules(Mapping):
    """Every rule by code (sorted), each module imported when its entry is first read."""

    def __getitem__(self, code: str) -> RuleSpec:
        if code not in INDEX:
            raise KeyError(code)
        return spec(code)

    def __iter__(self) -> Iterator[str]:
        return iter(INDEX)

    def __len__(self) -> int:
        return len(INDEX)

    def __contains__(self, code: object) -> bool:
        return code in INDEX

    def names(self) -> dict[str, str]:
        """Code -> name of every rule, without importing any."""
        return {code: name for code, (name, _) in INDEX.items()}


RULES = _Rules()


def _build() -> dict[str, RuleSpec]:
    registry = specs(INDEX)
    _check_subsumes(registry)
    return registry


def _check_subsumes(registry: dict[str, RuleSpec]) -> None:
    """`SUBSUMES` names registered codes and has no cycle (folding must end at a finding that stays)."""
    for code, rule in registry.items():
        unknown = [c for c in rule.subsumes if c not in registry]
        if unknown:
            raise ValueError(f"{code}: SUBSUMES names unknown codes {unknown}")

    def reaches(start: str, goal: str, seen: frozenset[str]) -> bool:
        return any(c == goal or (c not in seen and reaches(c, goal, seen | {c})) for c in registry[start].subsumes)

    for code in registry:
        if reaches(code, code, frozenset()):
            raise ValueError(f"{code}: SUBSUMES forms a cycle")


def __getattr__(name: str) -> Any:
    # REGISTRY: every rule, built on first use (PEP 562), so that importing the package costs nothing.
    if name == "REGISTRY":
        registry = globals()["REGISTRY"] = _build()
        return registry
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
