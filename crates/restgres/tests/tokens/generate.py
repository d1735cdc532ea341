#!/usr/bin/env python3
"""The JWTs that tests/cases/auth/*.toml and tests/cases/write/*.toml send, generated with the standard library only.

The case files hold the tokens as static strings; this script is how they were made and how to make them again.
Tokens are deterministic (no clock, no randomness), so running it twice prints the same text.

    python3 generate.py                  # every token as `name = "token"  # what it is`
    python3 generate.py alice admin      # only these
    python3 generate.py --claims alice   # the header and claims a token was made from
    python3 generate.py --check          # every token in an Authorization header of ../cases/{auth,write} is known

Valid tokens expire on 2100-01-01 (exp 4102444800); "in the past" is 2000-01-01 and "in the future" 2100-01-01,
far outside PostgREST's 30-second clock skew.
"""

import base64
import hashlib
import hmac
import json
import pathlib
import re
import sys

# jwt-secret of the auth case files: PostgREST's documented example, 32 characters, used as an HS256 passphrase.
SECRET = "reallyreallyreallyreallyverysafe"
# A different secret of the same length, for a token that verifies under neither.
OTHER_SECRET = "anotheranotheranotheranothersafe"

EXP_2100 = 4102444800  # 2100-01-01T00:00:00Z
EXP_2000 = 946684800  # 2000-01-01T00:00:00Z
IAT_2024 = 1704067200  # 2024-01-01T00:00:00Z

USER = "restgres_test_user"
ADMIN = "restgres_test_admin"
ANON = "restgres_test_anon"

HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def encode_json(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(claims, alg="HS256", secret=SECRET, header=None) -> str:
    """A compact JWS of `claims` (any JSON value) signed with HMAC `alg`."""
    header = header if header is not None else {"alg": alg, "typ": "JWT"}
    signing_input = b64url(encode_json(header)) + "." + b64url(encode_json(claims))
    mac = hmac.new(secret.encode("utf-8"), signing_input.encode("ascii"), HASHES[alg]).digest()
    return signing_input + "." + b64url(mac)


def unsecured(claims) -> str:
    """An `alg: none` token: header and claims, and an empty signature."""
    return b64url(encode_json({"alg": "none", "typ": "JWT"})) + "." + b64url(encode_json(claims)) + "."


def tamper(token: str) -> str:
    """The token with the last character of its signature changed to another one that still decodes.

    An HS256 signature is 32 bytes, 43 base64url characters; the last one carries 4 bits and 2 zero padding
    bits, so the replacement is taken among the characters whose padding bits are zero: the signature bytes
    really change, and a strict base64 decoder still accepts them.
    """
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    canonical = [c for i, c in enumerate(alphabet) if i % 4 == 0]
    last = token[-1]
    replacement = next(c for c in canonical if c != last)
    return token[:-1] + replacement


def user(sub, tenant_id, email, **extra):
    claims = {"role": USER, "sub": sub, "tenant_id": tenant_id, "email": email, "iat": IAT_2024, "exp": EXP_2100}
    claims.update(extra)
    return claims


ALICE = user("alice-sub", 1, "alice@acme.test")
BOB = user("bob-sub", 1, "bob@acme.test")
CAROL = user("carol-sub", 2, "carol@globex.test")


def without(claims, *keys):
    return {k: v for k, v in claims.items() if k not in keys}


def tokens():
    """(name, description, claims or None, token), in the order they are printed."""
    alice = sign(ALICE)
    out = [
        # Impersonation and row-level security.
        ("alice", "user role, tenant 1, sub alice-sub", ALICE, alice),
        ("bob", "user role, tenant 1, sub bob-sub", BOB, sign(BOB)),
        ("carol", "user role, tenant 2, sub carol-sub", CAROL, sign(CAROL)),
        ("alice_other_tenant", "alice's sub and email with tenant_id 2",
         user("alice-sub", 2, "alice@acme.test"), None),
        ("admin", "admin role", {"role": ADMIN, "sub": "admin-sub", "exp": EXP_2100}, None),
        ("anon_role", "the anonymous role named in the role claim", {"role": ANON, "exp": EXP_2100}, None),
        ("no_role", "alice's claims without a role claim", without(ALICE, "role"), None),
        ("empty_claims", "no claims at all", {}, None),
        ("nonexistent_role", "a role that does not exist",
         {"role": "nonexistent_role", "sub": "ghost-sub", "exp": EXP_2100}, None),
        ("outsider_role", "a role the authenticator is not a member of",
         {"role": "restgres_test_outsider", "exp": EXP_2100}, None),
        ("numeric_role", "a role claim that is a number", {"role": 5, "exp": EXP_2100}, None),
        # Time claims.
        ("expired", "alice, exp in 2000", dict(ALICE, exp=EXP_2000), None),
        ("not_yet_valid", "alice, nbf in 2100", dict(ALICE, nbf=EXP_2100), None),
        ("issued_in_future", "alice, iat in 2100", dict(ALICE, iat=EXP_2100), None),
        ("exp_null", "alice, exp null", dict(ALICE, exp=None), None),
        ("exp_string", "alice, exp a string", dict(ALICE, exp="4102444800"), None),
        ("nbf_string", "alice, nbf a string", dict(ALICE, nbf="yesterday"), None),
        ("iat_string", "alice, iat a string", dict(ALICE, iat="today"), None),
        ("expired_and_not_yet_valid", "alice, exp in 2000 and nbf in 2100",
         dict(ALICE, exp=EXP_2000, nbf=EXP_2100), None),
        # Audience (jwt-aud = "restgres-tests" where configured).
        ("aud_match", "aud is the configured audience", dict(ALICE, aud="restgres-tests"), None),
        ("aud_other", "aud is another audience", dict(ALICE, aud="someone-else"), None),
        ("aud_empty_string", "aud is an empty string", dict(ALICE, aud=""), None),
        ("aud_array_match", "aud is an array holding the audience",
         dict(ALICE, aud=["other-api", "restgres-tests"]), None),
        ("aud_array_other", "aud is an array of other audiences",
         dict(ALICE, aud=["other-api", "another-api"]), None),
        ("aud_array_empty", "aud is an empty array", dict(ALICE, aud=[]), None),
        ("aud_null", "aud is null", dict(ALICE, aud=None), None),
        ("aud_number", "aud is a number", dict(ALICE, aud=42), None),
        ("aud_object", "aud is an object", dict(ALICE, aud={"name": "restgres-tests"}), None),
        ("aud_array_mixed", "aud is an array with a non-string element",
         dict(ALICE, aud=["restgres-tests", 1]), None),
        ("expired_aud_other", "alice, exp in 2000 and another audience",
         dict(ALICE, exp=EXP_2000, aud="someone-else"), None),
        # Decoding and signature.
        ("hs384", "alice signed with HS384", ALICE, sign(ALICE, alg="HS384")),
        ("hs512", "alice signed with HS512", ALICE, sign(ALICE, alg="HS512")),
        ("wrong_secret", "alice signed with another secret", ALICE, sign(ALICE, secret=OTHER_SECRET)),
        ("bad_signature", "alice with the last signature character changed", ALICE, tamper(alice)),
        ("alg_none", "alice, unsigned (alg none)", ALICE, unsecured(ALICE)),
        ("claims_not_object", "a signed payload that is a JSON array", [USER], None),
        ("two_parts", "alice without the signature part", None, alice.rsplit(".", 1)[0]),
        ("four_parts", "alice with a fourth part", None, alice + ".c2lnbmF0dXJl"),
        ("one_part", "no dots at all", None, "notajwt"),
        ("garbage", "three parts that are not base64url JSON (PostgREST's own test value)", None,
         "quifquirndsjagnrgniur.fonvoienqhhdj.iuqvnvhojah"),
        # jwt-role-claim-key.
        ("nested_app_role", "the user role under app.role, no top-level role",
         dict(without(ALICE, "role"), app={"role": USER}), None),
        ("roles_array", "roles in an array, the admin role second",
         {"sub": "admin-sub", "roles": [USER, ADMIN], "exp": EXP_2100}, None),
        ("url_key_role", "the admin role under a claim named by a URL",
         {"sub": "admin-sub", "https://restgres.test/claims": {"role": ADMIN}, "exp": EXP_2100}, None),
        ("filter_roles", "the admin role among other strings in postgrest.roles",
         {"sub": "admin-sub", "postgrest": {"roles": ["viewer", ADMIN, "editor"]}, "exp": EXP_2100}, None),
        ("filter_roles_no_match", "postgrest.roles without a database role",
         {"sub": "nobody-sub", "postgrest": {"roles": ["viewer", "editor"]}, "exp": EXP_2100}, None),
        # db-pre-request test.mt_check_token().
        ("banned", "alice with banned: true", dict(ALICE, banned=True), None),
        ("not_banned", "alice with banned: false", dict(ALICE, banned=False), None),
        ("throttled", "carol with throttled: true", dict(CAROL, throttled=True), None),
    ]
    return [(n, d, c, t if t is not None else sign(c)) for n, d, c, t in out]


def check(case_dirs) -> int:
    known = {t for _, _, _, t in tokens()}
    bad = 0
    for path in sorted(p for case_dir in case_dirs for p in case_dir.glob("*.toml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for value in re.findall(r'Authorization = "([^"]*)"', line):
                parts = value.split()
                if len(parts) == 2 and parts[0].lower() == "bearer":
                    token = parts[1]
                elif len(parts) == 1 and "." in parts[0]:
                    token = parts[0]  # a token sent without a scheme
                else:
                    continue  # no token: another scheme, an empty value, "Bearer" alone
                if token not in known:
                    print(f"{path.name}:{number}: unknown token {token[:40]}...")
                    bad += 1
    print("every token is known" if bad == 0 else f"{bad} unknown tokens")
    return 1 if bad else 0


def main(argv):
    if argv[:1] == ["--check"]:
        here = pathlib.Path(__file__).resolve().parent
        cases = here.parent / "cases"
        return check([pathlib.Path(a) for a in argv[1:]] or [cases / "auth", cases / "write"])
    show_claims = argv[:1] == ["--claims"]
    wanted = set(argv[1:] if show_claims else argv)
    names = {n for n, _, _, _ in tokens()}
    unknown = wanted - names
    if unknown:
        print("unknown token names: " + ", ".join(sorted(unknown)), file=sys.stderr)
        return 2
    for name, description, claims, token in tokens():
        if wanted and name not in wanted:
            continue
        if show_claims:
            header = token.split(".")[0]
            header_json = base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)).decode() if header else ""
            claims_json = encode_json(claims).decode() if claims is not None else "(not a JWT)"
            print(f"{name}: {header_json} {claims_json}")
        else:
            print(f'{name} = "{token}"  # {description}')
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
