"""cdk-nag's AwsSolutions and Serverless packs on the app as `cdk synth` builds it: every finding
fixed or acknowledged, and every acknowledgement gives a reason that points only at what exists."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk.assertions import Annotations, Match

from tests.infra.conftest import REPO_ROOT, Synthesized

pytestmark = pytest.mark.infra

MIN_REASON_LENGTH = 20


def _findings(messages: list[Any]) -> list[str]:
    return [f"{m.id}: {str(m.entry.data).splitlines()[0]}" for m in messages]


PACKS = "(AwsSolutions|Serverless)-.*"


def test_no_unacknowledged_errors(synthesized: Synthesized) -> None:
    # A nested stack's findings (the alarms') are reported on the parent stack's artifact.
    errors = Annotations.from_stack(synthesized.stack).find_error("*", Match.string_like_regexp(PACKS))
    assert _findings(errors) == []


def test_no_unacknowledged_warnings(synthesized: Synthesized) -> None:
    warnings = Annotations.from_stack(synthesized.stack).find_warning("*", Match.string_like_regexp(PACKS))
    assert _findings(warnings) == []


def test_both_packs_ran(synthesized: Synthesized) -> None:
    ids = {rule["id"].split("-")[0] for _, rule in _suppressions(synthesized)}
    assert {"AwsSolutions", "Serverless"} <= ids


def _suppressions(synthesized: Synthesized) -> list[tuple[str, dict[str, Any]]]:
    template = synthesized.template.to_json()
    found = [
        (logical_id, rule)
        for logical_id, resource in template["Resources"].items()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    ]
    found += [
        ("<stack>", rule)
        for rule in template.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    ]
    return found


def test_every_acknowledgement_gives_a_reason(synthesized: Synthesized) -> None:
    suppressions = _suppressions(synthesized)
    assert suppressions, "expected the documented suppressions (L1, IAM4, IAM5, SMG4, APIG4, COG4, COG2)"
    for logical_id, rule in suppressions:
        assert len(rule.get("reason", "").strip()) >= MIN_REASON_LENGTH, f"{logical_id}: {rule}"


def test_wildcard_acknowledgements_name_what_they_allow(synthesized: Synthesized) -> None:
    for logical_id, rule in _suppressions(synthesized):
        if rule["id"] in ("AwsSolutions-IAM4", "AwsSolutions-IAM5"):
            assert rule.get("applies_to"), f"{logical_id}: {rule['id']} without applies_to"


def test_reasons_cite_no_runbook_or_console_and_only_files_that_exist(synthesized: Synthesized) -> None:
    for logical_id, rule in _suppressions(synthesized):
        reason = rule["reason"]
        # Boomerang has no runbook of that name and no staff console yet; docs/DEPLOY.md is the runbook.
        assert not re.search(r"\b(runbook|console)\b", reason, re.I), f"{logical_id}: {reason}"
        for path in re.findall(r"\b((?:docs|infra|tests|scripts|functions|layers)/[\w./-]*\w)", reason):
            assert (REPO_ROOT / path).exists(), f"{logical_id} cites {path}, which does not exist"
