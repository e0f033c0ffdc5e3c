"""Customer app tokens (Cognito-shaped RS256 JWTs): what is accepted, what is refused, and
how the signing keys are loaded. Keys are generated here; nothing touches the network."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import stat
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from chalicelib.services import customer_tokens
from chalicelib.services.customer_tokens import (
    CustomerPrincipal,
    CustomerTokenConfigError,
    CustomerTokenSettings,
    CustomerTokenVerifier,
    JwksUnavailable,
    cognito_issuer,
    customer_tokens_configured,
    looks_like_jwt,
    reset_customer_token_verifier,
    verify_customer_token,
)
from devtools import local_customer_keys

REPO_ROOT = Path(__file__).resolve().parents[2]
ISSUER = cognito_issuer("eu-west-2", "eu-west-2_TestPool")
APP_CLIENT = "app-client-1"
JWKS_URL = ISSUER + "/.well-known/jwks.json"


# ---------------------------------------------------------------------------------------
# Keys and tokens made here


@pytest.fixture(scope="module")
def signing_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(private_key, kid: str) -> dict:
    return {**RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True), "kid": kid, "use": "sig", "alg": "RS256"}


def jwks(*entries: tuple) -> dict:
    return {"keys": [jwk(key, kid) for key, kid in entries]}


DROP = object()  # a claim override that removes the claim


def claims_for(kind: str = "access", **overrides) -> dict:
    """Claims as Cognito puts them in an access or id token for our app client, then ``overrides``."""
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": str(uuid.uuid4()), "token_use": kind, "custom:customer_id": "c-123",
              "iat": now, "exp": now + 3600, "auth_time": now}
    claims.update({"client_id": APP_CLIENT} if kind == "access" else {"aud": APP_CLIENT})
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not DROP}


def sign(private_key, claims: dict, kid: str = "key-1") -> str:
    """RS256 over the claims as given (even values PyJWT's encoder would refuse to write)."""
    return jwt.PyJWS().encode(json.dumps(claims).encode(), private_key, algorithm="RS256", headers={"kid": kid})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_parts(header: dict, claims: dict) -> str:
    return b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeJwksEndpoint:
    """Serves whatever JWKS a test sets, counting fetches."""

    def __init__(self, document: dict) -> None:
        self.document, self.fetches, self.failing = document, 0, False

    def __call__(self, url: str) -> bytes:
        assert url == JWKS_URL
        self.fetches += 1
        if self.failing:
            raise JwksUnavailable("endpoint down (test)")
        return json.dumps(self.document).encode()


@pytest.fixture
def jwks_file(tmp_path, signing_key) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks((signing_key, "key-1"))))
    return path


@pytest.fixture
def settings(jwks_file) -> CustomerTokenSettings:
    return CustomerTokenSettings(issuer=ISSUER, audiences=frozenset({APP_CLIENT}), jwks_file=str(jwks_file))


@pytest.fixture
def verifier(settings) -> CustomerTokenVerifier:
    return CustomerTokenVerifier(settings)


def url_verifier(endpoint: FakeJwksEndpoint, clock=None, **changes) -> CustomerTokenVerifier:
    settings = CustomerTokenSettings(issuer=ISSUER, audiences=frozenset({APP_CLIENT}), jwks_url=JWKS_URL, **changes)
    return CustomerTokenVerifier(settings, clock=clock or FakeClock(), fetch_url=endpoint)


# ---------------------------------------------------------------------------------------
# Accepted


def test_access_token_speaks_for_the_customer_in_its_custom_claim(verifier, signing_key):
    claims = claims_for("access")
    principal = verifier.verify(sign(signing_key, claims))
    assert principal == CustomerPrincipal(customer_id="c-123", subject=claims["sub"], token_use="access",
                                          expires_at=datetime.fromtimestamp(claims["exp"], tz=UTC))


def test_id_token_is_accepted_with_the_app_client_as_audience(verifier, signing_key):
    principal = verifier.verify(sign(signing_key, claims_for("id")))
    assert principal is not None and principal.token_use == "id" and principal.customer_id == "c-123"


def test_without_the_custom_claim_the_customer_is_the_subject(verifier, signing_key):
    claims = claims_for("access", **{"custom:customer_id": DROP})
    principal = verifier.verify(sign(signing_key, claims))
    assert principal is not None and principal.customer_id == claims["sub"] == principal.subject


def test_the_customer_id_claim_is_configurable(settings, signing_key):
    verifier = CustomerTokenVerifier(CustomerTokenSettings(**{**settings.__dict__, "customer_id_claim": "loyalty_id"}))
    principal = verifier.verify(sign(signing_key, claims_for("access", loyalty_id="L-9")))
    assert principal is not None and principal.customer_id == "L-9"


def test_small_clock_skew_is_tolerated(verifier, signing_key):
    now = int(time.time())
    assert verifier.verify(sign(signing_key, claims_for(iat=now + 10, nbf=now + 10))) is not None
    assert verifier.verify(sign(signing_key, claims_for(iat=now - 3600, exp=now - 10))) is not None


def test_any_configured_app_client_is_accepted(settings, signing_key):
    verifier = CustomerTokenVerifier(CustomerTokenSettings(**{**settings.__dict__,
                                                              "audiences": frozenset({APP_CLIENT, "android"})}))
    assert verifier.verify(sign(signing_key, claims_for("access", client_id="android"))) is not None


# ---------------------------------------------------------------------------------------
# Refused


NOW = int(time.time())


def _now() -> int:
    """Now, read when a test runs: claims built at collection would age while the suite runs."""
    return int(time.time())


REFUSED_CLAIMS = {
    "another issuer": lambda: claims_for(iss=cognito_issuer("eu-west-2", "eu-west-2_OtherPool")),
    "issuer prefix of ours": lambda: claims_for(iss=ISSUER[:-1]),
    "no issuer": lambda: claims_for(iss=DROP),
    "access token for another app client": lambda: claims_for("access", client_id="other-app"),
    "access token with aud but no client_id": lambda: claims_for("access", client_id=DROP, aud=APP_CLIENT),
    "id token for another app client": lambda: claims_for("id", aud="other-app"),
    "id token with client_id but no aud": lambda: claims_for("id", aud=DROP, client_id=APP_CLIENT),
    "id token with a list audience": lambda: claims_for("id", aud=[APP_CLIENT]),
    "refresh token use": lambda: claims_for("access", token_use="refresh"),
    "no token use": lambda: claims_for("access", token_use=DROP),
    "expired": lambda: claims_for(iat=_now() - 7200, exp=_now() - 3600),
    "expired beyond the leeway": lambda: claims_for(iat=_now() - 3600, exp=_now() - 120),
    "not yet valid (nbf)": lambda: claims_for(nbf=_now() + 600),
    "issued in the future": lambda: claims_for(iat=_now() + 600, exp=_now() + 4200),
    "no expiry": lambda: claims_for(exp=DROP),
    "no issued-at": lambda: claims_for(iat=DROP),
    "longer-lived than Cognito issues": lambda: claims_for(exp=_now() + 3 * 24 * 3600),
    "no subject": lambda: claims_for(sub=DROP, **{"custom:customer_id": DROP}),
    "empty customer id": lambda: claims_for(**{"custom:customer_id": ""}),
    "customer id starting with a dash": lambda: claims_for(**{"custom:customer_id": "-c-123"}),
    "customer id with a space": lambda: claims_for(**{"custom:customer_id": "c 123"}),
    "customer id with a slash": lambda: claims_for(**{"custom:customer_id": "c/../123"}),
    "customer id too long": lambda: claims_for(**{"custom:customer_id": "c" * 129}),
    "customer id not a string": lambda: claims_for(**{"custom:customer_id": 123}),
    "subject breaking the id rule when it is the customer id": lambda: claims_for(sub="a b", **{"custom:customer_id": DROP}),
}


@pytest.mark.parametrize("claims", REFUSED_CLAIMS.values(), ids=REFUSED_CLAIMS.keys())
def test_token_with_wrong_claims_is_refused(verifier, signing_key, claims):
    assert verifier.verify(sign(signing_key, claims())) is None


ODD_VALUES = [None, True, 1e300, -1, "", "x" * 300, ["access"], {"a": 1}, float("inf")]


@pytest.mark.parametrize("claim", ["token_use", "client_id", "aud", "iss", "sub", "exp", "iat", "nbf",
                                   "custom:customer_id"])
def test_claims_of_odd_types_are_refused_without_raising(verifier, signing_key, claim):
    accepted = []
    for value in ODD_VALUES:
        token = sign(signing_key, claims_for(**{claim: value}))
        principal = verifier.verify(token)
        if principal is not None:
            accepted.append((claim, value))
    # What may pass: any ``aud`` on an access token (Cognito puts the client in ``client_id``),
    # an ``nbf`` that reads as a past time, and a long but well-formed ``sub`` (the customer id
    # comes from ``custom:customer_id`` here).
    for name, value in accepted:
        assert name == "aud" or (name, value) in {("nbf", True), ("nbf", -1), ("sub", "x" * 300)}




def test_token_use_can_be_limited_to_access_tokens(settings, signing_key):
    verifier = CustomerTokenVerifier(CustomerTokenSettings(**{**settings.__dict__, "token_uses": frozenset({"access"})}))
    assert verifier.verify(sign(signing_key, claims_for("access"))) is not None
    assert verifier.verify(sign(signing_key, claims_for("id"))) is None


def test_token_signed_by_another_key_with_our_kid_is_refused(verifier, other_key):
    assert verifier.verify(sign(other_key, claims_for(), kid="key-1")) is None


def test_token_with_an_unknown_kid_is_refused(verifier, signing_key, other_key):
    assert verifier.verify(sign(other_key, claims_for(), kid="key-2")) is None
    assert verifier.verify(sign(signing_key, claims_for(), kid="key-2")) is None


def test_token_with_a_tampered_payload_is_refused(verifier, signing_key):
    header, _, signature = sign(signing_key, claims_for()).split(".")
    forged = b64(json.dumps(claims_for(**{"custom:customer_id": "someone-else"})).encode())
    assert verifier.verify(f"{header}.{forged}.{signature}") is None


def test_alg_none_is_refused(verifier):
    body = unsigned_parts({"alg": "none", "kid": "key-1", "typ": "JWT"}, claims_for())
    assert verifier.verify(body + ".") is None
    assert verifier.verify(body + "." + b64(b"anything")) is None


def test_hs256_signed_with_the_public_key_is_refused(verifier, signing_key):
    """Algorithm confusion: the public key (which anyone can fetch) used as an HMAC secret."""
    public_pem = signing_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)
    for secret in (public_pem, json.dumps(jwk(signing_key, "key-1")).encode()):
        body = unsigned_parts({"alg": "HS256", "kid": "key-1", "typ": "JWT"}, claims_for())
        signature = b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())
        assert verifier.verify(f"{body}.{signature}") is None


def test_rs256_header_without_kid_is_refused(verifier, signing_key):
    assert verifier.verify(jwt.encode(claims_for(), signing_key, algorithm="RS256")) is None


@pytest.mark.parametrize("token", [
    None, "", 42, b"a.b.c", "not-a-token", "a.b", "a.b.c.d", "a..c", "a.b.c ", " a.b.c",
    "lk_web-shop_" + "A" * 43, "e30.e30.e30", "!!!.???.***",
    unsigned_parts({"alg": "RS256", "kid": "key-1"}, {}) + ".c2ln",
    "eyJub3QganNvbg.eyJ9.c2ln", "x" * 20000 + ".e30.c2ln",
], ids=lambda value: repr(value)[:30])
def test_malformed_input_is_refused_without_raising(verifier, token):
    assert verifier.verify(token) is None


def test_looks_like_jwt_tells_a_token_from_a_storefront_key(signing_key):
    assert looks_like_jwt(sign(signing_key, claims_for()))
    assert not looks_like_jwt("lk_web-shop_" + "a" * 43)
    assert not looks_like_jwt("a.b.")
    assert not looks_like_jwt("a.b.c.d")
    assert not looks_like_jwt(None)
    assert not looks_like_jwt("a b.c.d")


# ---------------------------------------------------------------------------------------
# Key loading: lazily, once, refreshed at most once per interval


def test_importing_the_module_loads_neither_jwt_nor_cryptography():
    script = ("import sys, chalicelib.services.customer_tokens as m; "
              "print(sorted(name for name in ('jwt', 'cryptography', 'urllib.request') if name in sys.modules))")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True,
                            timeout=60, check=True, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert result.stdout.strip() == "[]"


def test_keys_are_loaded_on_first_verification_and_then_kept(signing_key):
    endpoint = FakeJwksEndpoint(jwks((signing_key, "key-1")))
    verifier = url_verifier(endpoint)
    assert endpoint.fetches == 0
    for _ in range(5):
        assert verifier.verify(sign(signing_key, claims_for())) is not None
    assert endpoint.fetches == 1


def test_malformed_tokens_do_not_load_keys(signing_key):
    endpoint = FakeJwksEndpoint(jwks((signing_key, "key-1")))
    verifier = url_verifier(endpoint)
    for token in ("lk_web_" + "a" * 43, "a.b.c", unsigned_parts({"alg": "none", "kid": "k"}, {}) + ".c2ln",
                  unsigned_parts({"alg": "HS256", "kid": "k"}, {}) + ".c2ln"):
        assert verifier.verify(token) is None
    assert endpoint.fetches == 0


def test_unknown_kid_reloads_keys_at_most_once_per_interval(signing_key, other_key):
    clock = FakeClock()
    endpoint = FakeJwksEndpoint(jwks((signing_key, "key-1")))
    verifier = url_verifier(endpoint, clock=clock, refresh_interval_seconds=300)
    assert verifier.verify(sign(signing_key, claims_for())) is not None
    rotated = sign(other_key, claims_for(), kid="key-2")

    endpoint.document = jwks((signing_key, "key-1"), (other_key, "key-2"))  # the pool rotates
    clock.now += 10
    assert verifier.verify(rotated) is None  # just loaded: no refetch yet
    assert endpoint.fetches == 1

    clock.now += 300
    assert verifier.verify(rotated) is not None  # one refetch picks the new key up
    assert endpoint.fetches == 2

    for kid in ("junk-1", "junk-2", "junk-3"):  # random kids cannot make us fetch again
        assert verifier.verify(sign(other_key, claims_for(), kid=kid)) is None
    assert endpoint.fetches == 2
    assert verifier.verify(sign(signing_key, claims_for())) is not None

    clock.now += 300
    assert verifier.verify(sign(other_key, claims_for(), kid="junk-4")) is None
    assert endpoint.fetches == 3


def test_keys_dropped_from_the_jwks_stop_working_after_a_refresh(signing_key, other_key):
    clock = FakeClock()
    endpoint = FakeJwksEndpoint(jwks((signing_key, "key-1")))
    verifier = url_verifier(endpoint, clock=clock, refresh_interval_seconds=60)
    assert verifier.verify(sign(signing_key, claims_for())) is not None
    endpoint.document = jwks((other_key, "key-2"))
    clock.now += 61
    assert verifier.verify(sign(other_key, claims_for(), kid="key-2")) is not None
    assert verifier.verify(sign(signing_key, claims_for())) is None


def test_unreachable_jwks_raises_so_the_authorizer_does_not_cache_a_deny(signing_key):
    endpoint = FakeJwksEndpoint(jwks((signing_key, "key-1")))
    endpoint.failing = True
    verifier = url_verifier(endpoint)
    with pytest.raises(JwksUnavailable):
        verifier.verify(sign(signing_key, claims_for()))
    endpoint.failing = False  # the first load is retried on the next request
    assert verifier.verify(sign(signing_key, claims_for())) is not None


def test_a_failed_refresh_keeps_the_known_keys(signing_key, other_key):
    clock = FakeClock()
    endpoint = FakeJwksEndpoint(jwks((signing_key, "key-1")))
    verifier = url_verifier(endpoint, clock=clock, refresh_interval_seconds=60)
    assert verifier.verify(sign(signing_key, claims_for())) is not None
    endpoint.failing, clock.now = True, clock.now + 61
    with pytest.raises(JwksUnavailable):
        verifier.verify(sign(other_key, claims_for(), kid="key-2"))
    assert verifier.verify(sign(other_key, claims_for(), kid="key-2")) is None  # paced: no second try
    assert verifier.verify(sign(signing_key, claims_for())) is not None
    assert endpoint.fetches == 2


def test_jwks_that_is_not_json_is_unavailable(signing_key):
    settings = CustomerTokenSettings(issuer=ISSUER, audiences=frozenset({APP_CLIENT}), jwks_url=JWKS_URL)
    verifier = CustomerTokenVerifier(settings, fetch_url=lambda url: b"<html>gateway timeout</html>")
    with pytest.raises(JwksUnavailable):
        verifier.verify(sign(signing_key, claims_for()))


def test_network_errors_become_jwks_unavailable(monkeypatch):
    import urllib.error
    import urllib.request

    def refuse(request, timeout):
        assert timeout == 2.0
        raise urllib.error.URLError("connection refused")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    with pytest.raises(JwksUnavailable):
        customer_tokens._fetch_url(JWKS_URL)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_weak_or_non_rsa_keys_in_the_jwks_are_ignored(tmp_path, settings, signing_key):
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    document = jwks((weak, "weak"), (signing_key, "key-1"))
    document["keys"].append({"kty": "oct", "kid": "hmac", "k": b64(b"secret"), "alg": "HS256"})
    document["keys"].append({**jwk(signing_key, "enc"), "use": "enc"})
    Path(settings.jwks_file).write_text(json.dumps(document))
    verifier = CustomerTokenVerifier(settings)
    assert verifier.verify(sign(signing_key, claims_for(), kid="key-1")) is not None
    for kid, key in (("weak", weak), ("enc", signing_key)):
        assert verifier.verify(sign(key, claims_for(), kid=kid)) is None


# ---------------------------------------------------------------------------------------
# Configuration errors are loud


BASE_ENV = {"LOYALTY_CUSTOMER_TOKEN_ISSUER": ISSUER, "LOYALTY_CUSTOMER_TOKEN_AUDIENCE": APP_CLIENT,
            "LOYALTY_CUSTOMER_JWKS_URL": JWKS_URL}


@pytest.mark.parametrize("changes", [
    {"LOYALTY_CUSTOMER_TOKEN_ISSUER": ""},
    {"LOYALTY_CUSTOMER_TOKEN_AUDIENCE": " , "},
    {"LOYALTY_CUSTOMER_JWKS_FILE": "/tmp/jwks.json"},
    {"LOYALTY_CUSTOMER_JWKS_URL": "http://example.com/jwks.json"},
    {"LOYALTY_CUSTOMER_JWKS_URL": "", "LOYALTY_CUSTOMER_TOKEN_ISSUER": "https://login.example.com"},
    {"LOYALTY_CUSTOMER_TOKEN_USES": "access,refresh"},
    {"LOYALTY_CUSTOMER_JWKS_REFRESH_MINUTES": "soon"},
    {"LOYALTY_CUSTOMER_JWKS_REFRESH_MINUTES": "0"},
    {"LOYALTY_CUSTOMER_TOKEN_LEEWAY_SECONDS": "3600"},
], ids=repr)
def test_wrong_settings_raise_a_configuration_error(changes):
    with pytest.raises(CustomerTokenConfigError):
        CustomerTokenSettings.from_env({**BASE_ENV, **changes})


def test_settings_from_the_environment():
    settings = CustomerTokenSettings.from_env({
        "LOYALTY_CUSTOMER_TOKEN_ISSUER": ISSUER, "LOYALTY_CUSTOMER_TOKEN_AUDIENCE": "ios, android",
        "LOYALTY_CUSTOMER_TOKEN_USES": "access", "LOYALTY_CUSTOMER_JWKS_REFRESH_MINUTES": "10",
        "LOYALTY_CUSTOMER_ID_CLAIM": "custom:loyalty_id",
    })
    assert settings.jwks_url == JWKS_URL  # a Cognito issuer implies its JWKS address
    assert settings.audiences == {"ios", "android"} and settings.token_uses == {"access"}
    assert settings.refresh_interval_seconds == 600 and settings.customer_id_claim == "custom:loyalty_id"
    assert settings.leeway_seconds == 30


def test_a_missing_jwks_file_is_a_configuration_error(tmp_path, signing_key):
    settings = CustomerTokenSettings(issuer=ISSUER, audiences=frozenset({APP_CLIENT}),
                                     jwks_file=str(tmp_path / "missing.json"))
    with pytest.raises(CustomerTokenConfigError):
        CustomerTokenVerifier(settings).verify(sign(signing_key, claims_for()))


@pytest.mark.parametrize("document", [{}, {"keys": "none"}, {"keys": []}, [], "keys"], ids=repr)
def test_a_jwks_without_usable_keys_is_a_configuration_error(jwks_file, settings, signing_key, document):
    jwks_file.write_text(json.dumps(document))
    with pytest.raises(CustomerTokenConfigError):
        CustomerTokenVerifier(settings).verify(sign(signing_key, claims_for()))


def test_the_id_rule_is_the_apps():
    from chalicelib.api.parsing import ID_PATTERN

    assert customer_tokens.CUSTOMER_ID_PATTERN.pattern == ID_PATTERN.pattern


# ---------------------------------------------------------------------------------------
# The process-wide verifier and the local stage's keys


@pytest.fixture
def local_data_dir(tmp_path) -> Path:
    return tmp_path / ".data"


@pytest.fixture
def local_env(monkeypatch, local_data_dir):
    for name in ("LOYALTY_CUSTOMER_JWKS_URL", "LOYALTY_CUSTOMER_TOKEN_USES", "LOYALTY_CUSTOMER_ID_CLAIM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in local_customer_keys.local_token_settings(local_data_dir).items():
        monkeypatch.setenv(name, value)
    reset_customer_token_verifier()
    yield
    reset_customer_token_verifier()


def test_locally_minted_tokens_verify_through_the_environment(local_env, local_data_dir):
    for token_use in ("access", "id"):
        token = local_customer_keys.mint_customer_token("c-42", minutes=5, token_use=token_use,
                                                        data_dir=local_data_dir)
        principal = verify_customer_token(token)
        assert principal is not None
        assert (principal.customer_id, principal.token_use) == ("c-42", token_use)
        assert principal.subject == str(uuid.uuid5(local_customer_keys._SUB_NAMESPACE, "c-42"))


def test_unconfigured_stage_raises_rather_than_refusing_quietly(monkeypatch, signing_key):
    for name in ("LOYALTY_CUSTOMER_JWKS_URL", "LOYALTY_CUSTOMER_JWKS_FILE", "LOYALTY_CUSTOMER_TOKEN_ISSUER",
                 "LOYALTY_CUSTOMER_TOKEN_AUDIENCE"):
        monkeypatch.delenv(name, raising=False)
    reset_customer_token_verifier()
    assert not customer_tokens_configured()
    with pytest.raises(CustomerTokenConfigError):
        verify_customer_token(sign(signing_key, claims_for()))
    reset_customer_token_verifier()


def test_local_keys_are_made_once_under_data_with_a_private_key_only_we_can_read(local_data_dir):
    keys = local_customer_keys.ensure_local_customer_keys(local_data_dir)
    assert keys.private_key_path == local_data_dir / "customer-signing-key.pem"
    assert keys.jwks_path == local_data_dir / "customer-jwks.json"
    assert stat.S_IMODE(keys.private_key_path.stat().st_mode) == 0o600
    document = json.loads(keys.jwks_path.read_text())
    assert [entry["kid"] for entry in document["keys"]] == [keys.kid]
    assert "d" not in document["keys"][0] and "p" not in document["keys"][0]  # public half only

    pem_before = keys.private_key_path.read_bytes()
    assert local_customer_keys.ensure_local_customer_keys(local_data_dir) == keys
    assert keys.private_key_path.read_bytes() == pem_before

    keys.jwks_path.unlink()  # a lost JWKS is rebuilt from the same private key
    assert local_customer_keys.ensure_local_customer_keys(local_data_dir).kid == keys.kid
    assert sorted(path.name for path in local_data_dir.iterdir()) == ["customer-jwks.json",
                                                                       "customer-signing-key.pem"]


def test_local_keys_are_never_written_outside_a_data_directory(tmp_path):
    with pytest.raises(ValueError):
        local_customer_keys.ensure_local_customer_keys(tmp_path / "keys")
    assert list(tmp_path.iterdir()) == []


def test_local_tokens_are_cognito_shaped(local_data_dir):
    token = local_customer_keys.mint_customer_token("c-42", data_dir=local_data_dir)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == local_customer_keys.LOCAL_ISSUER and claims["client_id"] == "local-app"
    assert claims["token_use"] == "access" and claims["custom:customer_id"] == "c-42"
    assert claims["exp"] - claims["iat"] == 3600
    assert jwt.get_unverified_header(token)["kid"] == local_customer_keys.ensure_local_customer_keys(local_data_dir).kid


@pytest.mark.parametrize("arguments", [
    {"customer_id": "bad id"}, {"customer_id": "c-1", "token_use": "refresh"},
    {"customer_id": "c-1", "minutes": 0}, {"customer_id": "c-1", "minutes": 24 * 60 + 1},
], ids=repr)
def test_minting_refuses_what_the_app_would_refuse(local_data_dir, arguments):
    with pytest.raises(ValueError):
        local_customer_keys.mint_customer_token(data_dir=local_data_dir, **arguments)


# ---------------------------------------------------------------------------------------
# Nothing secret in the logs


def test_tokens_never_reach_the_logs(caplog, signing_key, other_key):
    clock = FakeClock()
    endpoint = FakeJwksEndpoint(jwks((signing_key, "key-1")))
    verifier = url_verifier(endpoint, clock=clock)
    tokens = [sign(signing_key, claims_for()), sign(signing_key, claims_for(exp=NOW - 3600, iat=NOW - 7200)),
              sign(other_key, claims_for(), kid="key-1"), sign(signing_key, claims_for(client_id="x"))]
    with caplog.at_level(logging.DEBUG, logger="loyalty-api"):
        for token in tokens:
            verifier.verify(token)
        clock.now += 10_000
        verifier.verify(sign(other_key, claims_for(), kid="rotated"))
    assert "refused" in caplog.text and "loaded 1" in caplog.text
    for token in tokens:
        for part in token.split("."):
            assert part not in caplog.text
