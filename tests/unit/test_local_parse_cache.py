"""The local Step Functions parse a definition once (issue 20: most of the local request-to-label
time was moto parsing the workflow again at every execution)."""

from __future__ import annotations

import json

import pytest

from local.stepfunctions.dispatch import install_parse_cache

DEFINITION = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})


def test_a_definition_is_parsed_once_and_a_bad_one_still_fails() -> None:
    install_parse_cache()
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    first = AmazonStateLanguageParser.parse(DEFINITION)
    assert AmazonStateLanguageParser.parse(DEFINITION) is first
    other = DEFINITION.replace("Done", "End")
    assert AmazonStateLanguageParser.parse(other) is not first
    with pytest.raises(Exception):
        AmazonStateLanguageParser.parse('{"StartAt": "Nowhere"')
