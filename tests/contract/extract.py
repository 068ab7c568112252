#!/usr/bin/env python3
"""Writes tests/contract/spec.json from Salesforce's OpenAPI excerpt (connect-api-ssot.yaml).

Usage: python3 tests/contract/extract.py PATH/TO/connect-api-ssot.yaml > tests/contract/spec.json

Keeps paths, operations (path-level parameters merged in), parameters, request bodies,
responses by status, every component schema (names, types, required lists, enums, refs)
and the examples' JSON values; drops the prose (description, summary, title, tags).
Needs PyYAML only to be run by hand: the JSON it writes is committed, and the tests read that.
"""
import json
import sys

import yaml

PROSE = {"description", "summary", "title", "tags"}
METHODS = ("get", "put", "post", "patch", "delete")


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in PROSE}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def ref_name(ref):
    return ref.rsplit("/", 1)[-1]


def media(content):
    """The application/json part of a request body or answer: its schema and example names."""
    body = (content or {}).get("application/json")
    if body is None:
        return None
    out = {"schema": strip(body.get("schema"))}
    examples = body.get("examples") or {}
    if examples:
        out["examples"] = sorted(ref_name(e["$ref"]) for e in examples.values() if "$ref" in e)
    return out


def main():
    spec = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
    paths = {}
    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        operations = {}
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            parameters = {}
            for parameter in shared + operation.get("parameters", []):
                parameters[(parameter["in"], parameter["name"])] = {
                    "name": parameter["name"],
                    "in": parameter["in"],
                    "required": bool(parameter.get("required", False)),
                    "schema": strip(parameter.get("schema")),
                }
            entry = {"parameters": sorted(parameters.values(), key=lambda p: (p["in"], p["name"]))}
            body = operation.get("requestBody")
            if body is not None:
                entry["requestBody"] = {"required": bool(body.get("required", False)), **(media(body.get("content")) or {})}
            entry["responses"] = {
                status: (media(answer.get("content")) or {}) for status, answer in operation["responses"].items()
            }
            operations[method.upper()] = entry
        paths[path] = operations
    extract = {
        "source": "Salesforce Data 360 Connect REST API, OpenAPI excerpt reference/connect-api-ssot.yaml "
        "(cdp-connect-api-Swagger.yaml, developer.salesforce.com/docs/data/connectapi/references/spec)",
        "version": spec["info"]["version"],
        "servers": [server["url"] for server in spec.get("servers", [])],
        "paths": paths,
        "schemas": strip(spec["components"]["schemas"]),
        "examples": {name: example.get("value") for name, example in spec["components"]["examples"].items()},
    }
    json.dump(extract, sys.stdout, indent=1, sort_keys=True, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
