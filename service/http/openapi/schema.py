"""Small builders of OpenAPI 3.1 / JSON Schema pieces, shared by both protocols' docs."""

REF = "#/components/schemas/"


def ref(name: str) -> dict:
    return {"$ref": REF + name}


def obj(required: dict, optional: dict | None = None) -> dict:
    """A closed JSON object schema: `required` properties plus `optional` ones."""
    return {"type": "object", "required": list(required),
            "properties": {**required, **(optional or {})}, "additionalProperties": False}


def json_body(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def error(description: str) -> dict:
    return json_body(ref("Error"), description)
