"""Fetches restgres's OpenAPI document (GET / at RESTGRES_URL) and validates it as Swagger 2.0.

PostgREST serves a Swagger 2.0 document at the root; openapi-spec-validator's OpenAPIV2SpecValidator checks it
against the Swagger 2.0 JSON Schema and its semantic rules (unique operation ids, resolvable $refs, path
parameters, ...). Run by the trials clients::openapi_swagger2_*:

    RESTGRES_URL=http://127.0.0.1:3000 python validate_swagger.py --path /items --definition items

--path and --definition name entries the document must contain, so that an empty document cannot pass.
Exits 1 with every validation error when the document is invalid.
"""

import argparse
import json
import os
import sys
import urllib.error
import urllib.request

from openapi_spec_validator import OpenAPIV2SpecValidator


def fetch(url):
    request = urllib.request.Request(url, headers={"Accept": "application/openapi+json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", action="append", default=[], help="a path the document must describe")
    parser.add_argument("--definition", action="append", default=[], help="a definition the document must have")
    args = parser.parse_args()

    base = os.environ.get("RESTGRES_URL")
    if not base:
        sys.exit("RESTGRES_URL is not set: the URL of the restgres to validate")
    url = base.rstrip("/") + "/"
    status, content_type, body = fetch(url)
    problems = []
    if status != 200:
        problems.append(f"GET {url}: status {status}, expected 200")
    if not content_type.startswith("application/openapi+json"):
        problems.append(f"GET {url}: Content-Type {content_type!r}, expected application/openapi+json")
    try:
        doc = json.loads(body)
    except ValueError as e:
        print("\n".join(problems + [f"the body is not JSON ({e}): {body[:2000]!r}"]))
        return 1
    if not isinstance(doc, dict) or doc.get("swagger") != "2.0":
        problems.append(f"not a Swagger 2.0 document: swagger = {doc.get('swagger') if isinstance(doc, dict) else doc!r}")
        print("\n".join(problems))
        return 1

    try:
        for error in OpenAPIV2SpecValidator(doc).iter_errors():
            where = "/".join(str(p) for p in error.absolute_path) or "(document root)"
            problems.append(f"invalid Swagger 2.0 at {where}: {error.message}")
    except Exception as e:
        # A $ref that points nowhere raises (referencing's PointerToNowhere) instead of yielding an error; its
        # text repeats the whole document, so only the start is shown.
        problems.append(f"invalid Swagger 2.0, the validator stopped: {type(e).__name__}: {str(e)[:300]}")

    paths = doc.get("paths") or {}
    definitions = doc.get("definitions") or {}
    for path in args.path:
        if path not in paths:
            problems.append(f"missing path {path!r}; the document has {sorted(paths)}")
    for name in args.definition:
        if name not in definitions:
            problems.append(f"missing definition {name!r}; the document has {sorted(definitions)}")

    if problems:
        print(f"{len(problems)} problem(s) with the OpenAPI document at {url}:")
        print("\n".join(problems))
        return 1
    print(f"valid Swagger 2.0: {len(paths)} paths, {len(definitions)} definitions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
