"""Reading fact documents: JSON is held to the same rules as YAML, and every refusal is located."""

from __future__ import annotations

import pytest
import yaml
from asylum_kb import FactsError
from asylum_kb.kb.factsio import parse_document
from asylum_kb.kb.yamlsource import load


def refusal(text: str) -> tuple[str, int, int]:
    with pytest.raises(FactsError) as info:
        parse_document(text, "f.json")
    [problem] = info.value.diagnostics
    assert problem.position is not None and problem.file == "f.json"
    return problem.code, problem.position.line, problem.position.column


@pytest.mark.parametrize("text,line,column", [
    ('{"bars": {"persecutor": true, "persecutor": false}}', 1, 31),
    ('{"as_of": "2025-01-01",\n "bars": {"x": [1, {"a": 1}],\n  "persecutor": true,\n  "x": 2}}', 4, 3),
    ('{"a": 1, "\\u0061": 2}', 1, 10),  # the same key, escaped
    ('{"a": 1, "b": {"a": 2}, "a": 3}', 1, 25),
])
def test_a_duplicate_json_key_is_refused_where_it_repeats(text: str, line: int, column: int) -> None:
    assert refusal(text) == ("F304", line, column)


def test_the_same_key_in_different_objects_is_fine() -> None:
    assert parse_document('{"a": {"k": 1}, "b": {"k": 2}, "c": ["k", "k"]}') == {"a": {"k": 1}, "b": {"k": 2},
                                                                                  "c": ["k", "k"]}


@pytest.mark.parametrize("text,column", [
    ('{"a": "\\ud800"}', 8),
    ('{"a": "\\ud83d\\ude00", "b": "x\\udc00"}', 30),  # a valid pair first, then a lone low half
    ('{"\\udbff": 1}', 3),
])
def test_a_lone_surrogate_in_json_is_refused_and_located(text: str, column: int) -> None:
    assert refusal(text) == ("F304", 1, column)


def test_a_surrogate_pair_is_one_character() -> None:
    assert parse_document('{"a": "\\ud83d\\ude00"}') == {"a": "\U0001F600"}


def test_a_lone_surrogate_in_yaml_is_refused_by_either_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    from asylum_kb.kb import yamlsource

    for base in (yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        class Loader(base):  # type: ignore[valid-type,misc]
            yaml_implicit_resolvers = yamlsource._Loader.yaml_implicit_resolvers

        monkeypatch.setattr(yamlsource, "_Loader", Loader)
        source = load("f.yaml", 'name: "x\\ud800"\n')
        assert [p.code for p in source.problems] == ["E200"] and source.data is None


@pytest.mark.parametrize("number", ["1.0e999999999", "1e9999999999999999999999", "-1e-999", "9" * 5000,
                                    "0." + "1" * 200])
def test_a_json_number_out_of_range_is_refused_where_it_stands(number: str) -> None:
    text = '{"note": "' + number + '",\n "bars": {"years": ' + number + "}}"
    assert refusal(text) == ("F304", 2, 20)


def test_ordinary_json_numbers_stay_exact() -> None:
    from decimal import Decimal

    assert parse_document('{"a": 1.5e3, "b": -0.25, "c": [12, 1e2]}') == {
        "a": Decimal(1500), "b": Decimal("-0.25"), "c": [12, Decimal(100)]}


@pytest.mark.parametrize("token,column", [("NaN", 16), ("Infinity", 16), ("-Infinity", 16)])
def test_json_constants_that_are_not_numbers_are_refused_where_they_stand(token: str, column: int) -> None:
    text = '{"note": "NaN",\n "bars": {"x": ' + token + "}}"
    assert refusal(text) == ("F304", 2, column)


def test_json_nested_too_deeply_is_located_at_the_bracket_past_the_limit() -> None:
    from asylum_kb.kb.factsio import MAX_JSON_DEPTH

    text = '{"a": "[[[",\n "bars": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert refusal(text) == ("F303", 2, 10 + MAX_JSON_DEPTH - 1)


def decoding_problem(data: bytes) -> tuple[str, int, int, str]:
    from asylum_kb.kb.factsio import decode

    with pytest.raises(FactsError) as info:
        decode(data, "f.yaml")
    [problem] = info.value.diagnostics
    assert problem.position is not None and problem.file == "f.yaml"
    return problem.code, problem.position.line, problem.position.column, problem.message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_a_utf16_or_utf32_file_is_named_at_its_start(encoding: str) -> None:
    code, line, column, message = decoding_problem("applicant:\n  location: inside_us\n".encode(encoding))
    assert (code, line, column) == ("F304", 1, 1) and "UTF-" in message and "not UTF-8" in message


def test_invalid_utf8_is_located_at_its_first_bad_byte_by_characters() -> None:
    assert decoding_problem("a: é\nname: ü\xff".encode().replace(b"\xc3\xbf", b"\xff"))[:3] == ("F304", 2, 8)


def test_utf8_text_with_a_byte_order_mark_is_decoded_as_it_is() -> None:
    from asylum_kb.kb.factsio import decode

    assert decode("\ufeffa: 1\n".encode(), "f.yaml") == "\ufeffa: 1\n"


def test_a_control_character_in_yaml_is_located() -> None:
    source = load("f.yaml", "a: 1\nb: x\x00y\n")
    [problem] = source.problems
    assert (problem.code, problem.position.line, problem.position.column) == ("E200", 2, 5)  # type: ignore[union-attr]
