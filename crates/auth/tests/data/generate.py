#!/usr/bin/env python3
"""Regenerates the key and token fixtures of restgres-auth's tests (run from anywhere).

Needs `pip install cryptography PyJWT`; only the tests' fixtures come from here. Every run makes new keys,
so all files are rewritten together. Tokens are signed by PyJWT, an implementation independent of ours,
except the hand-made ones (alg none, algorithm confusion, malformed payloads).
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
import warnings
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

HERE = Path(__file__).resolve().parent
YEAR_2100 = 4102444800
CLAIMS = {"role": "postgrest_test_author", "exp": YEAR_2100}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n: int, size: int | None = None) -> str:
    size = size or (n.bit_length() + 7) // 8
    return b64url(n.to_bytes(size, "big"))


def rsa_jwk(key, **extra):
    pub = key.public_key().public_numbers()
    return {"kty": "RSA", "n": uint(pub.n), "e": uint(pub.e), **extra}


def ec_jwk(key, crv, size, **extra):
    pub = key.public_key().public_numbers()
    return {"kty": "EC", "crv": crv, "x": uint(pub.x, size), "y": uint(pub.y, size), **extra}


def ed_jwk(key, **extra):
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw), **extra}


def hand_signed(header: dict, payload: bytes, secret: bytes, digest=hashlib.sha256) -> str:
    """An HMAC token made without PyJWT, which refuses PEM text as an HMAC key (the point of confusion)."""
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(payload)
    mac = hmac.new(secret, signing_input.encode(), digest).digest()
    return signing_input + "." + b64url(mac)


def write_json(name: str, value) -> None:
    (HERE / name).write_text(json.dumps(value, indent=2, sort_keys=True) + "\n")


def main() -> None:
    # PyJWT warns about short HMAC keys; the short-for-HS512 text secret is on purpose.
    warnings.simplefilter("ignore")
    rsa1 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa2 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    p256 = ec.generate_private_key(ec.SECP256R1())
    p256_other = ec.generate_private_key(ec.SECP256R1())
    p384 = ec.generate_private_key(ec.SECP384R1())
    p521 = ec.generate_private_key(ec.SECP521R1())
    ed = ed25519.Ed25519PrivateKey.generate()
    ed_other = ed25519.Ed25519PrivateKey.generate()
    oct_key = secrets.token_bytes(64)
    # A text secret of printable characters, as people configure it.
    text_secret = secrets.token_urlsafe(36)
    # 46 bytes: the base64 form ends in "==", and it is drawn until it holds '+' or '/', so that the
    # standard and URL-safe alphabets differ.
    raw_secret = secrets.token_bytes(46)
    while not set("+/") & set(base64.b64encode(raw_secret).decode()):
        raw_secret = secrets.token_bytes(46)

    keys = {
        "rsa.jwk.json": rsa_jwk(rsa1),
        "p256.jwk.json": ec_jwk(p256, "P-256", 32),
        "p384.jwk.json": ec_jwk(p384, "P-384", 48),
        "p521.jwk.json": ec_jwk(p521, "P-521", 66),
        "ed25519.jwk.json": ed_jwk(ed),
        "oct.jwk.json": {"kty": "oct", "k": b64url(oct_key)},
    }
    for name, jwk in keys.items():
        write_json(name, jwk)
    # Key rotation: two RSA keys told apart by kid, an EC key and an HMAC key, with alg and use members.
    write_json(
        "jwks.json",
        {
            "keys": [
                rsa_jwk(rsa1, kid="rsa-1", alg="RS256", use="sig"),
                rsa_jwk(rsa2, kid="rsa-2", alg="RS256", use="sig"),
                ec_jwk(p256, "P-256", 32, kid="ec-1", alg="ES256"),
                {"kty": "oct", "k": b64url(oct_key), "kid": "hmac-1"},
            ]
        },
    )
    write_json(
        "secrets.json",
        {
            "text": text_secret,
            "base64": base64.b64encode(raw_secret).decode(),
            "base64url": base64.urlsafe_b64encode(raw_secret).decode(),
            "base64url_unpadded": base64.urlsafe_b64encode(raw_secret).decode().rstrip("="),
            "base64url_dots": base64.urlsafe_b64encode(raw_secret).decode().replace("=", "."),
        },
    )

    def sign(key, alg, claims=None, **headers):
        return jwt.encode(claims or CLAIMS, key, algorithm=alg, headers=headers or None)

    rsa_public_pem = rsa1.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    rsa_jwk_text = (HERE / "rsa.jwk.json").read_bytes()
    claims_bytes = json.dumps(CLAIMS).encode()
    text = text_secret.encode()

    tokens = {
        # One token per algorithm, each for the key file of its kind.
        "HS256": sign(oct_key, "HS256"),
        "HS384": sign(oct_key, "HS384"),
        "HS512": sign(oct_key, "HS512"),
        "RS256": sign(rsa1, "RS256"),
        "RS384": sign(rsa1, "RS384"),
        "RS512": sign(rsa1, "RS512"),
        "PS256": sign(rsa1, "PS256"),
        "PS384": sign(rsa1, "PS384"),
        "PS512": sign(rsa1, "PS512"),
        "ES256": sign(p256, "ES256"),
        "ES384": sign(p384, "ES384"),
        "ES512": sign(p521, "ES512"),
        "EdDSA": sign(ed, "EdDSA"),
        # The text secret (PostgREST binds it to HS256) and the base64 one.
        "text_HS256": sign(text, "HS256"),
        "text_HS512": sign(text, "HS512"),
        "base64_HS256": sign(raw_secret, "HS256"),
        # Right algorithm, wrong key.
        "RS256_other_key": sign(rsa_other, "RS256"),
        "ES256_other_key": sign(p256_other, "ES256"),
        "EdDSA_other_key": sign(ed_other, "EdDSA"),
        "HS256_other_key": sign(secrets.token_bytes(64), "HS256"),
        # Algorithm confusion: HS256 keyed with public RSA material, against the RSA JWK.
        "confusion_pem": hand_signed({"alg": "HS256", "typ": "JWT"}, claims_bytes, rsa_public_pem),
        "confusion_jwk_text": hand_signed({"alg": "HS256", "typ": "JWT"}, claims_bytes, rsa_jwk_text),
        "confusion_n": hand_signed(
            {"alg": "HS256"}, claims_bytes, rsa1.public_key().public_numbers().n.to_bytes(256, "big")
        ),
        # alg none, with and without a signature part.
        "none": b64url(b'{"alg":"none","typ":"JWT"}') + "." + b64url(claims_bytes) + ".",
        "none_signed": b64url(b'{"alg":"none"}') + "." + b64url(claims_bytes) + "." + b64url(os.urandom(32)),
        # Key rotation in jwks.json.
        "kid_rsa_1": sign(rsa1, "RS256", kid="rsa-1"),
        "kid_rsa_2": sign(rsa2, "RS256", kid="rsa-2"),
        "kid_unknown": sign(rsa1, "RS256", kid="rsa-9"),
        "kid_swapped": sign(rsa1, "RS256", kid="rsa-2"),
        "kid_none_rsa_2": sign(rsa2, "RS256"),
        "kid_ec_1": sign(p256, "ES256", kid="ec-1"),
        "kid_hmac_1": sign(oct_key, "HS512", kid="hmac-1"),
        "kid_hmac_unknown": sign(oct_key, "HS256", kid="hmac-2"),
        "RS384_bound_RS256": sign(rsa1, "RS384", kid="rsa-1"),
        # Claims variants (text secret, HS256).
        "expired": sign(text, "HS256", {"role": "a", "exp": 1000000000}),
        "nbf_future": sign(text, "HS256", {"role": "a", "nbf": YEAR_2100}),
        "iat_future": sign(text, "HS256", {"role": "a", "iat": YEAR_2100}),
        "aud_string": sign(text, "HS256", {"role": "a", "aud": "postgrest"}),
        "aud_array": sign(text, "HS256", {"role": "a", "aud": ["other", "postgrest"]}),
        "aud_empty": sign(text, "HS256", {"role": "a", "aud": []}),
        "aud_number": hand_signed({"alg": "HS256"}, b'{"role":"a","aud":5}', text),
        "exp_string": hand_signed({"alg": "HS256"}, b'{"role":"a","exp":"4102444800"}', text),
        "exp_fraction": hand_signed({"alg": "HS256"}, b'{"role":"a","exp":4102444800.5}', text),
        "all_null": hand_signed(
            {"alg": "HS256"}, b'{"role":"a","exp":null,"nbf":null,"iat":null,"aud":null}', text
        ),
        # Payloads that are not a JSON object, correctly signed.
        "payload_array": hand_signed({"alg": "HS256"}, b"[1,2,3]", text),
        "payload_not_json": hand_signed({"alg": "HS256"}, b"role=admin", text),
        "payload_empty": hand_signed({"alg": "HS256"}, b"", text),
        # Headers jose-jwt cannot parse, correctly signed.
        "header_unknown_alg": hand_signed({"alg": "HS1"}, claims_bytes, text),
        "header_no_alg": hand_signed({"typ": "JWT"}, claims_bytes, text),
        "header_enc": hand_signed({"alg": "HS256", "enc": "A128GCM"}, claims_bytes, text),
        "header_kid_number": hand_signed({"alg": "HS256", "kid": 1}, claims_bytes, text),
        "header_typ_number": hand_signed({"alg": "HS256", "typ": 1}, claims_bytes, text),
        "header_nulls": hand_signed({"alg": "HS256", "kid": None, "typ": None, "cty": None}, claims_bytes, text),
        "header_extra": hand_signed({"alg": "HS256", "x5u": "https://example.com", "zip": 1}, claims_bytes, text),
        "header_sha384_mac": hand_signed({"alg": "HS256"}, claims_bytes, text, hashlib.sha384),
    }
    write_json("tokens.json", tokens)


if __name__ == "__main__":
    main()
