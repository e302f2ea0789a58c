"""Schemathesis in the suite (issue 17): the app's answers conform to its OpenAPI documents.

Two documents: the one the app serves at ``/ogc/api`` (every operation of the OGC
API – Features), and a hand-written one of the map's own endpoints, ``/targets``,
``/layers/*`` and ``/raster/*`` (:mod:`map_openapi`).  Every operation is called
in process (WSGI) with generated requests, valid (``positive``) and invalid
(``negative``), a few examples each, derandomised (the same cases every run, a few
minutes at most on 2 cores).  Each answer must be no 5xx and conform to the document:
a listed status code and media type, a body valid against the response schema.  All
failures are collected and reported together with a ``curl`` line to reproduce them.

A failure here is a bug of the app (or of its document), to fix there, never by
loosening this test.
"""

from __future__ import annotations

import map_openapi
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode, checks
from schemathesis.core.failures import FailureGroup

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
# The WSGI transport does not decode compressed answers (app.http_cache compresses by Accept-Encoding).
HEADERS = {"Accept-Encoding": "identity"}


def fuzz(schema, max_examples: int) -> tuple[list[str], int]:
    """Call every operation of ``schema`` in both generation modes; the failures found
    (one line each, with a ``curl`` to reproduce) and the number of calls made."""
    failures: dict[tuple, str] = {}
    calls = [0]
    for result in schema.get_all_operations():
        for mode in GenerationMode:
            _fuzz_operation(result.ok(), mode, max_examples, failures, calls)
    return list(failures.values()), calls[0]


def _fuzz_operation(operation, mode, max_examples: int, failures: dict, calls: list) -> None:
    """``max_examples`` generated cases of one operation: each distinct failure into ``failures``."""

    @settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        calls[0] += 1
        try:
            case.call_and_validate(checks=CHECKS, headers=HEADERS)
        except (Exception, FailureGroup) as exc:  # keep each distinct failure
            key = (operation.label, mode.value, type(exc).__name__, str(exc)[:300])
            failures.setdefault(key, f"{key[0]} [{key[1]}]: {str(exc)[:1200]}\n  {case.as_curl_command()}")

    run()


def in_process(document: dict, app):
    """Schemathesis' schema of ``document``, called on the WSGI ``app``."""
    schema = schemathesis.openapi.from_dict(document)
    schema.app = app  # what schemathesis.openapi.from_wsgi does after loading
    return schema


def _app(gpkg, backend_config, **config):
    from app import create_app

    return create_app({"TESTING": True, "GEO_GPKG": str(gpkg), **backend_config, **config})


def test_ogc_api_conforms_to_its_own_openapi_document(gpkg, backend_config):
    schema = schemathesis.openapi.from_wsgi("/ogc/api?f=json", _app(gpkg, backend_config))
    assert len(list(schema.get_all_operations())) >= 30  # 4 + 5 per collection
    failures, calls = fuzz(schema, max_examples=5)
    assert calls >= 200
    assert not failures, "\n\n".join(failures)


def test_targets_layers_rasters_conform_to_the_hand_written_document(gpkg, backend_config):
    # Fuzzing sends hundreds of raster requests from one address: lift the per-client limits
    # (tests/app/test_raster_limits.py tests them), keep everything else as served.
    app = _app(gpkg, backend_config, MAP_RASTER_LIMIT="100000 per minute", MAP_ZONAL_LIMIT="100000 per minute")
    schema = in_process(map_openapi.document(), app)
    operations = {result.ok().label for result in schema.get_all_operations()}
    assert {"GET /targets", "POST /targets", "GET /layers/{layer_id}.geojson", "POST /raster/zonal"} <= operations
    failures, calls = fuzz(schema, max_examples=8)
    assert calls >= 100
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("bad", ["status_code", "schema"])
def test_the_checks_catch_a_wrong_answer(gpkg, bad):
    """The harness itself can fail: an answer outside the document is reported."""
    doc = map_openapi.document()
    get = doc["paths"]["/layers"]["get"]
    if bad == "status_code":
        get["responses"] = {"404": get["responses"]["400"]}
    else:
        get["responses"]["200"]["content"][map_openapi.JSON]["schema"]["required"] = ["nope"]
    doc["paths"] = {"/layers": doc["paths"]["/layers"]}
    failures, calls = fuzz(in_process(doc, _app(gpkg, {})), max_examples=2)
    assert calls >= 2 and failures
