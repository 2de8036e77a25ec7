"""The OpenAPI 3.1 description of the service, with the facts JSON Schema from schemas/ inside it."""

from __future__ import annotations

from typing import Any

from .holder import Loaded
from .interview import DEFAULT_GOALS

TEXT_OR_NULL = {"type": ["string", "null"]}
DATE_OR_NULL = {"type": ["string", "null"], "format": "date"}


def document(loaded: Loaded, with_token: bool) -> dict[str, Any]:
    kb = loaded.kb
    # The committed facts schema, as is: only its own identifiers go, as OpenAPI names it by its place.
    facts_schema = {k: v for k, v in loaded.facts_schema.items() if k not in ("$schema", "$id")}
    determinations = [rule.id for rule in kb.determinations]
    out: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "asylum-kb", "version": kb.manifest.version,
                 "description": f"{kb.manifest.title}. {kb.manifest.disclaimer}"},
        "paths": _paths(with_token),
        "components": {"schemas": {
            "Facts": facts_schema,
            "Diagnostic": {"type": "object", "required": ["code", "severity", "message"], "properties": {
                "code": {"type": "string"}, "severity": {"type": "string"}, "message": {"type": "string"},
                "file": TEXT_OR_NULL, "line": {"type": ["integer", "null"]}, "column": {"type": ["integer", "null"]},
                "rule_id": TEXT_OR_NULL, "hint": TEXT_OR_NULL}},
            "Error": {"type": "object", "required": ["status", "errors"], "properties": {
                "status": {"type": "integer"},
                "errors": {"type": "array", "minItems": 1, "items": {"$ref": "#/components/schemas/Diagnostic"}}}},
            "Result": _result_schema(determinations),
            "Question": {"type": "object", "required": ["fact", "type", "question", "help"], "properties": {
                "fact": {"type": "string"}, "type": {"type": "string"}, "question": {"type": "string"},
                "help": {"type": "string"}, "choices": {"type": "array", "items": {
                    "type": "object", "required": ["value", "label"],
                    "properties": {"value": {"type": "string"}, "label": {"type": "string"}}}}}},
            "Rule": {"type": "object", "required": ["id", "title", "kind", "ruleset", "confidence", "citations"],
                     "properties": {"id": {"type": "string"}, "title": {"type": "string"}, "kind": {"type": "string"},
                                    "ruleset": {"type": "string"}, "confidence": {"type": "string"},
                                    "effective_from": DATE_OR_NULL, "effective_to": DATE_OR_NULL,
                                    "citations": {"type": "array", "items": {"type": "string"}}}},
            "InterviewRequest": {"type": "object", "additionalProperties": False, "properties": {
                "facts": {"anyOf": [{"$ref": "#/components/schemas/Facts"}, {"type": "null"}]},
                "as_of": DATE_OR_NULL,
                "goals": {"type": ["array", "null"], "maxItems": 50, "items": {"enum": determinations},
                          "description": f"Determinations to decide; default: {', '.join(DEFAULT_GOALS)}."},
                "skipped": {"type": ["array", "null"], "maxItems": 200, "items": {"type": "string"},
                            "description": "Facts the person could not answer: not asked again."},
                "lang": {"type": ["string", "null"], "pattern": "^[a-z]{2,3}$",
                         "description": "en, or a language with a translation file (others get English)."}}},
            "InterviewStep": {"type": "object", "required": ["language", "as_of", "answered", "remaining", "done",
                                                             "question", "determinations", "see_a_lawyer", "answers"],
                              "properties": {"answered": {"type": "integer"}, "remaining": {"type": "integer"},
                                             "done": {"type": "boolean"},
                                             "question": {"oneOf": [{"$ref": "#/components/schemas/Question"},
                                                                    {"type": "null"}]},
                                             "determinations": {"type": "array"}, "see_a_lawyer": {"type": "array"},
                                             "answers": {"type": "array"}}},
            "DiffRequest": {"type": "object", "required": ["a", "b"], "additionalProperties": False, "properties": {
                "a": {"$ref": "#/components/schemas/DiffSide"}, "b": {"$ref": "#/components/schemas/DiffSide"},
                "cases": {"type": ["array", "null"], "maxItems": 100, "items": {  # null: no cases, as the API reads it
                    "type": "object", "additionalProperties": False, "properties": {
                        "name": {"type": ["string", "null"], "maxLength": 200}, "as_of": DATE_OR_NULL,
                        "facts": {"anyOf": [{"$ref": "#/components/schemas/Facts"}, {"type": "null"}]}}}}}},
            "DiffSide": {"type": "object", "required": ["as_of"], "additionalProperties": False,
                         "properties": {"as_of": {"type": "string", "format": "date"}}},
            "Diff": {"type": "object", "required": ["a", "b", "eras", "rules", "parameters", "cases"]},
        }},
    }
    if with_token:
        out["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        out["security"] = [{"bearer": []}]
    return out


def _result_schema(determinations: list[str]) -> dict[str, Any]:
    determination = {"type": "object", "required": ["value", "status", "title", "rules_fired", "facts_needed",
                                                    "citations"],
                     "properties": {"status": {"enum": ["determined", "undetermined", "not_applicable", "not_in_force"]},
                                    "title": {"type": "string"},
                                    "facts_needed": {"type": "array", "items": {"type": "string"}}}}
    return {"type": "object",
            "required": ["as_of", "kb_version", "kb", "eras", "determinations", "facts_needed", "rules_fired",
                         "disclaimer"],  # rules_not_fired and explanations come with explain=true
            "properties": {"as_of": {"type": "string", "format": "date"}, "kb_version": {"type": "string"},
                           "eras": {"type": "array", "items": {"type": "string"}},
                           "determinations": {"type": "object", "required": determinations,
                                              "additionalProperties": determination},
                           "facts_needed": {"type": "array", "items": {"type": "string"}},
                           "explanations": {"type": "object"}}}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*statuses: int) -> dict[str, Any]:
    text = {400: "Invalid facts or parameters (the CLI's codes and locations).", 401: "Missing or wrong bearer token.",
            404: "No such rule.", 413: "The request body is too large (F303).", 503: "Over the time limit."}
    return {str(s): {"description": text[s], **_json(_ref("Error"))} for s in statuses}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _paths(with_token: bool) -> dict[str, Any]:
    auth = (401,) if with_token else ()
    as_of = _query("as_of", {"type": "string", "format": "date"}, "Evaluation date; overrides the facts' as_of.")
    lang = _query("lang", {"type": "string", "pattern": "^[a-z]{2,3}$"},
                  "Language of questions and choices (en, es; others get English).")
    facts_body = {"required": True, **_json(_ref("Facts"))}

    def post(summary: str, request: dict[str, Any], ok: dict[str, Any], *params: dict[str, Any]) -> dict[str, Any]:
        return {"post": {"summary": summary, "parameters": list(params), "requestBody": request,
                         "responses": {"200": ok, **_errors(400, *auth, 413, 503)}}}

    def get(summary: str, ok: dict[str, Any], *params: dict[str, Any], errors: tuple[int, ...] = ()) -> dict[str, Any]:
        return {"get": {"summary": summary, "parameters": list(params),
                        "responses": {"200": ok, **_errors(*errors, *auth, 503)}}}

    return {
        "/v1/evaluate": post("Evaluate a fact document: the JSON of `asylum-kb eval --format json`.", facts_body,
                             {"description": "The result.", **_json(_ref("Result"))}, as_of,
                             _query("explain", {"type": "boolean"}, "Include the proof tree of every determination.")),
        "/v1/report": post("A case report for training, in HTML or Markdown.", facts_body,
                           {"description": "The report.", "content": {"text/html": {"schema": {"type": "string"}},
                                                                      "text/markdown": {"schema": {"type": "string"}}}},
                           as_of, _query("format", {"enum": ["html", "md"]}, "html (default) or md."),
                           _query("exercise", {"type": "boolean"}, "Hide the answers behind a reveal.")),
        "/v1/diff": post("What changes between two as-of dates: eras, rules, parameters, and the given cases' answers.",
                         {"required": True, **_json(_ref("DiffRequest"))},
                         {"description": "The differences.", **_json(_ref("Diff"))}),
        "/v1/interview": post("One interview step: the answers so far in, the answers firming up and the next question out.",
                              {"required": True, **_json(_ref("InterviewRequest"))},
                              {"description": "The step.", **_json(_ref("InterviewStep"))}),
        "/v1/facts": get("The facts catalog, as questions.",
                         {"description": "Every input fact.", **_json({"type": "array", "items": _ref("Question")})},
                         lang, errors=(400,)),
        "/v1/rules": get("Every rule, in dependency order.",
                         {"description": "The rules.", **_json({"type": "array", "items": _ref("Rule")})}),
        "/v1/rules/{rule_id}": {"get": {
            "summary": "One rule with its expressions, exceptions and sources.",
            "parameters": [{"name": "rule_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "The rule.", **_json(_ref("Rule"))}, **_errors(404, *auth, 503)}}},
        "/v1/eras": get("The policy eras (named date ranges).", {"description": "The eras.", **_json({"type": "array"})}),
        "/v1/interface": get("The interview page's words in a language.",
                             {"description": "Words.", **_json({"type": "object", "required": ["language", "words"]})},
                             lang, errors=(400,)),
        "/healthz": {"get": {"summary": "Liveness, and which knowledge base is loaded.", "security": [],
                             "responses": {"200": {"description": "Up.", **_json({
                                 "type": "object", "required": ["status", "kb"]})}}}},
    }
