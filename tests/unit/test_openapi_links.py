"""The OpenAPI links from a reported petition (issue 16 §3) lead to operations that exist, with the path
parameter they name: a renamed route breaks this test, not the stateful fuzzing quietly."""

from api.main import create_app
from config.settings import Settings


def _operation(spec: dict, ref: str) -> dict:
    path, method = ref.removeprefix("#/paths/").rsplit("/", 1)
    return spec["paths"][path.replace("~1", "/").replace("~0", "~")][method]


def test_the_links_of_a_report_lead_to_operations_with_their_parameter():
    spec = create_app(Settings(jwt_secret="x" * 40)).openapi()
    for route in ("/v1/petitions", "/v1/petitions/on-the-spot"):
        links = spec["paths"][route]["post"]["responses"]["201"]["links"]
        assert {"GetPetition", "Accept", "Progress", "Resolve"} <= set(links)
        for link in links.values():
            operation = _operation(spec, link["operationRef"])
            names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert set(link["parameters"]) == names == {"petition_id"}
            assert link["parameters"]["petition_id"] == "$response.body#/id"
