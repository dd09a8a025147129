"""Corrections to the generated OpenAPI schema (drf-spectacular post-processing hooks)."""


def _is_blank_alternative(schema):
    return isinstance(schema, dict) and schema.get("maxLength") == 0 and schema.get("type") == "string"


def blank_alternatives_any_of(result, generator, request, public):
    """A blank-allowed string with a pattern is described as `oneOf: [pattern, blank]`, yet the
    empty string matches both; `anyOf` says what the API accepts and answers."""

    def walk(node):
        if isinstance(node, dict):
            alternatives = node.get("oneOf")
            if isinstance(alternatives, list) and any(_is_blank_alternative(a) for a in alternatives):
                node["anyOf"] = node.pop("oneOf")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result
