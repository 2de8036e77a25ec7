"""The HTTP API through an ASGI test client: answers, errors with the CLI's codes, limits, token, reload."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from asylum_kb.service.app import create_app
from asylum_kb.service.holder import KnowledgeBaseHolder
from asylum_kb.service.limits import Limits
from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = (ROOT / "examples" / "affirmative-grant.yaml").read_text()
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def holder() -> KnowledgeBaseHolder:
    return KnowledgeBaseHolder(None)


@pytest.fixture(scope="module")
def client(holder: KnowledgeBaseHolder) -> TestClient:
    return TestClient(create_app(holder, Limits(max_body_bytes=50_000, max_depth=8)))


def codes(response: Any) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


def test_evaluate_answers_like_eval_format_json(client: TestClient) -> None:
    from asylum_kb.cli.main import main
    from click.testing import CliRunner

    response = client.post("/v1/evaluate", content=EXAMPLE)
    cli = CliRunner().invoke(main, ["eval", str(ROOT / "examples" / "affirmative-grant.yaml"), "--format", "json"])
    assert response.status_code == 200 and cli.exit_code == 0
    assert response.json()["determinations"] == json.loads(cli.output)["determinations"]
    assert "explanations" not in response.json()


def test_evaluate_answers_match_the_result_schema_of_openapi(client: TestClient) -> None:
    import jsonschema

    document = client.get("/openapi.json").json()
    schema = {**document["components"]["schemas"]["Result"], "components": document["components"]}
    for query in ("", "?explain=true"):
        jsonschema.validate(client.post(f"/v1/evaluate{query}", json={}).json(), schema)
        jsonschema.validate(client.post(f"/v1/evaluate{query}", content=EXAMPLE).json(), schema)


def test_evaluate_with_explain_and_as_of(client: TestClient) -> None:
    response = client.post("/v1/evaluate?explain=true&as_of=2024-01-02", content=EXAMPLE)
    assert response.status_code == 200
    data = response.json()
    assert data["as_of"] == "2024-01-02" and data["explanations"]["asylum.eligibility"]["rule"] == "asylum.eligibility"


def test_missing_facts_are_unknown(client: TestClient) -> None:
    data = client.post("/v1/evaluate", json={"applicant": {"location": "inside_us"}}).json()
    assert data["determinations"]["asylum.eligibility"]["value"] == "undetermined"
    assert "claim.past_persecution" in data["facts_needed"]


@pytest.mark.parametrize(("content", "status", "code", "line", "column"), [
    ('{"applicant": {"locaton": "inside_us"}}', 400, "F300", None, None),
    ('{"applicant": {"location": "mars"}}', 400, "F302", None, None),
    ('{"applicant":\n  {"location": }', 400, "F304", 2, 16),
    ("applicant: [unclosed", 400, "F304", 0, 0),  # 0: a position, wherever the YAML parser puts it
    ("[1, 2]", 400, "F304", None, None),
    ("x" * 60_000, 413, "F303", None, None),
    ('{"a":' * 20 + "1" + "}" * 20, 400, "F303", None, None),
], ids=["unknown-fact", "bad-enum", "json-syntax", "yaml-syntax", "not-a-mapping", "too-large", "too-deep"])
def test_bad_bodies_get_the_cli_codes_and_locations(client: TestClient, content: str, status: int, code: str,
                                                     line: int | None, column: int | None) -> None:
    response = client.post("/v1/evaluate", content=content)
    assert response.status_code == status
    error = response.json()["errors"][0]
    assert (error["code"], error["file"]) == (code, "request body")
    if line == 0:
        assert error["line"] >= 1 and error["column"] >= 1
    elif line is not None:
        assert (error["line"], error["column"]) == (line, column)


def test_a_declared_length_over_the_limit_is_refused_before_reading(client: TestClient) -> None:
    response = client.post("/v1/evaluate", content=b"{}", headers={"content-length": "9999999"})
    assert response.status_code == 413 and codes(response) == ["F303"]


@pytest.mark.parametrize("query", ["as_of=2025-13-01", "as_of=yesterday", "explain=maybe", "explain="])
def test_bad_query_parameters_are_400_not_a_framework_dump(client: TestClient, query: str) -> None:
    response = client.post(f"/v1/evaluate?{query}", json={})
    assert response.status_code == 400 and codes(response) == ["S400"]


def test_unknown_paths_and_methods_answer_the_error_shape(client: TestClient) -> None:
    assert client.get("/v1/nothing").status_code == 404
    response = client.get("/v1/evaluate")
    assert response.status_code == 405 and codes(response) == ["S405"] and "POST" in response.headers["allow"]


@pytest.mark.parametrize(("path", "content", "code"), [
    ("/v1/evaluate", "", "S400"),
    ("/v1/evaluate", "null", "F304"),
    ("/v1/interview", "", "S400"),
    ("/v1/interview", '{"lang": "español"}', "S400"),
    ("/v1/interview", '{"goals": ["asylum.eligibilty"]}', "S400"),
    ("/v1/interview", '{"facts": {"claim": {"past_persecution": "yes"}}}', "F301"),
    ("/v1/diff", '{"a": {"as_of": "2025-01-01"}, "b": {"as_of": "2025-01-02"}, "cases": {}}', "S400"),
    ("/v1/diff", '{"a": {"as_of": "2025-01-01"}, "b": {"as_of": "2025-01-02"}, "extra": 1}', "S400"),
], ids=["empty", "null", "interview-empty", "bad-lang", "bad-goal", "bad-fact", "cases-not-a-list", "unknown-field"])
def test_envelopes_are_checked_field_by_field(client: TestClient, path: str, content: str, code: str) -> None:
    response = client.post(path, content=content)
    assert response.status_code == 400 and codes(response) == [code]


def test_report_in_html_and_markdown(client: TestClient) -> None:
    html = client.post("/v1/report", content=EXAMPLE)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "<html" in html.text and "Eligible" in html.text
    markdown = client.post("/v1/report?format=md", content=EXAMPLE)
    assert markdown.headers["content-type"].startswith("text/markdown") and markdown.text.startswith("# ")
    assert codes(client.post("/v1/report?format=pdf", content=EXAMPLE)) == ["S400"]


def test_catalog_rules_and_eras(client: TestClient) -> None:
    facts = {f["fact"]: f for f in client.get("/v1/facts").json()}
    assert facts["applicant.location"]["choices"][0] == {"value": "inside_us", "label": "Inside the United States"}
    spanish = {f["fact"]: f for f in client.get("/v1/facts?lang=es").json()}
    assert spanish["applicant.location"]["question"] == "¿Dónde está el solicitante ahora?"
    rules = client.get("/v1/rules").json()
    assert any(r["id"] == "asylum.eligibility" and r["determination"] for r in rules)
    one = client.get("/v1/rules/asylum.eligibility").json()
    assert (one["when"] or one["value"]) and one["citations"]
    missing = client.get("/v1/rules/asylum.eligibilty")
    assert missing.status_code == 404 and "asylum.eligibility" in missing.json()["errors"][0]["hint"]
    assert {"id", "from", "to"} <= set(client.get("/v1/eras").json()[0])
    assert codes(client.get("/v1/facts?lang=")) == ["S400"]
    assert client.get("/v1/facts?lang=fr").json()[1]["question"] == "Where is the applicant now?"  # English


def test_diff_between_two_dates_lists_the_changed_answers(client: TestClient) -> None:
    case = {"name": "fees", "facts": {"application": {"filing_date": "2025-08-20", "status": "pending"}}}
    response = client.post("/v1/diff", json={"a": {"as_of": "2025-01-01"}, "b": {"as_of": "2025-09-15"}, "cases": [case]})
    assert response.status_code == 200
    data = response.json()
    assert data["eras"]["a"] != data["eras"]["b"]
    assert any(p["parameter"] for p in data["parameters"])
    bad = client.post("/v1/diff", json={"a": {"as_of": "2025-01-01"}, "b": {}})
    assert bad.status_code == 400 and codes(bad) == ["S400"]
    bad_facts = client.post("/v1/diff", json={"a": {"as_of": "2025-01-01"}, "b": {"as_of": "2025-01-02"},
                                              "cases": [{"facts": {"nope": 1}}]})
    assert bad_facts.status_code == 400 and codes(bad_facts) == ["F300"]


def test_openapi_embeds_the_committed_facts_schema(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    committed = json.loads((ROOT / "schemas" / "facts.schema.json").read_text())
    served = document["components"]["schemas"]["Facts"]
    assert served["properties"] == committed["properties"] and served["title"] == committed["title"]
    assert set(document["paths"]) >= {"/v1/evaluate", "/v1/report", "/v1/facts", "/v1/rules", "/v1/rules/{rule_id}",
                                      "/v1/eras", "/v1/diff", "/v1/interview", "/healthz"}


def test_the_page_is_served_with_a_content_security_policy(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "default-src 'self'" in page.headers["content-security-policy"]
    assert 'lang="en"' in page.text and "<main" in page.text
    assert client.get("/static/interview.js").status_code == 200
    assert "http://" not in page.text and "https://" not in page.text  # nothing from outside the machine


def test_a_token_is_required_when_configured(holder: KnowledgeBaseHolder) -> None:
    client = TestClient(create_app(holder, token="s3cret-token"))
    refused = client.post("/v1/evaluate", json={})
    assert refused.status_code == 401 and codes(refused) == ["S401"]
    assert client.post("/v1/evaluate", json={}, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.post("/v1/evaluate", json={}, headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    assert client.get("/openapi.json").status_code == 401
    assert client.get("/healthz").status_code == 200


def test_a_request_over_the_time_limit_gets_503(holder: KnowledgeBaseHolder) -> None:
    client = TestClient(create_app(holder, Limits(timeout_seconds=0.001)))
    response = client.post("/v1/report", content=EXAMPLE)
    assert response.status_code == 503 and codes(response) == ["S503"]


def test_fact_values_never_reach_the_logs(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    secret = "Zyxwvut-Sentinel-Name"
    with caplog.at_level(logging.DEBUG):
        client.post("/v1/evaluate", json={"family": {"children": [{"name": secret}]}})
        client.post("/v1/evaluate", json={"family": {"children": [{"name": secret, "married": "maybe"}]}})
    assert secret not in caplog.text


def test_reload_swaps_the_rules_and_keeps_the_old_ones_on_error(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    holder = KnowledgeBaseHolder(str(rules))
    client = TestClient(create_app(holder))
    assert client.get("/healthz").json()["kb"]["version"] == "0.1.0"
    manifest = rules / "manifest.yaml"
    manifest.write_text(manifest.read_text().replace("version: 0.1.0", "version: 0.1.1"))
    assert holder.reload_if_changed() is True
    assert client.get("/healthz").json()["kb"]["version"] == "0.1.1"
    assert holder.reload_if_changed() is False  # nothing changed since
    (rules / "asylum" / "broken.yaml").write_text("ruleset: [")
    assert holder.reload() is False
    assert client.get("/healthz").json()["kb"]["version"] == "0.1.1"
    assert client.post("/v1/evaluate", content=EXAMPLE).status_code == 200


def test_serve_reloads_on_sighup_and_refuses_bad_options(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from asylum_kb.cli.main import main
    from click.testing import CliRunner

    empty = tmp_path / "token"
    empty.write_text("\n")
    assert CliRunner().invoke(main, ["serve", "--token-file", str(empty)]).exit_code == 2
    assert CliRunner().invoke(main, ["serve", "--rules", str(tmp_path / "missing")]).exit_code == 2
    command = [sys.executable, "-m", "asylum_kb.cli.main", "serve", "--port", "0"]
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env={**os.environ})
    try:
        assert server.stderr is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while not any("Uvicorn running on http://127.0.0.1:" in line for line in lines):
            assert time.monotonic() < deadline and server.poll() is None, "".join(lines)
            lines.append(server.stderr.readline())
        server.send_signal(signal.SIGHUP)
        while not any("rules reloaded" in line for line in lines):
            assert time.monotonic() < deadline and server.poll() is None, "".join(lines)
            lines.append(server.stderr.readline())
    finally:
        server.terminate()
        server.wait(10)
