"""cdk-nag AwsSolutions on the app as `cdk synth` builds it: every finding fixed or acknowledged."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Annotations, Match

from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra

MIN_REASON_LENGTH = 20


def _findings(messages: list[Any]) -> list[str]:
    return [f"{m.id}: {str(m.entry.data).splitlines()[0]}" for m in messages]


def test_no_unacknowledged_aws_solutions_errors(synthesized: Synthesized) -> None:
    errors = Annotations.from_stack(synthesized.stack).find_error(
        "*", Match.string_like_regexp("AwsSolutions-.*")
    )
    assert _findings(errors) == []


def test_no_unacknowledged_aws_solutions_warnings(synthesized: Synthesized) -> None:
    warnings = Annotations.from_stack(synthesized.stack).find_warning(
        "*", Match.string_like_regexp("AwsSolutions-.*")
    )
    assert _findings(warnings) == []


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
    assert suppressions, (
        "expected the documented suppressions (L1, IAM4, IAM5, SMG4, APIG3, APIG4, COG4, COG2)"
    )
    for logical_id, rule in suppressions:
        assert len(rule.get("reason", "").strip()) >= MIN_REASON_LENGTH, f"{logical_id}: {rule}"


def test_wildcard_acknowledgements_name_what_they_allow(synthesized: Synthesized) -> None:
    for logical_id, rule in _suppressions(synthesized):
        if rule["id"] in ("AwsSolutions-IAM4", "AwsSolutions-IAM5"):
            assert rule.get("applies_to"), f"{logical_id}: {rule['id']} without applies_to"
