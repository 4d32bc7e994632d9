"""Production refuses to start without what it needs; embedded runs need nothing."""

import pytest

from webapp.config import ConfigError, from_env

PRODUCTION = {
    "CDHT_ENV": "production", "SECRET_KEY": "x" * 40, "DATABASE_URL": "postgresql+psycopg://db/cdht",
    "CELERY_BROKER_URL": "redis://r:6379/0", "STORAGE_URL": "/srv/cdht", "SIGNING_KEY_PATH": "/etc/cdht/key.pem",
    "PUBLIC_BASE_URL": "https://cdht.hanoi.gov.vn", "RATELIMIT_STORAGE_URI": "redis://r:6379/1",
}


def test_production_settings_accepted(tmp_path) -> None:
    settings = from_env({**PRODUCTION, "CDHT_INSTANCE_PATH": str(tmp_path), "PROXY_HOPS": "1",
                         "WORKER_MAX_MEMORY_MB": "300"})
    assert settings.proxy_hops == 1 and settings.public_base_url == "https://cdht.hanoi.gov.vn"
    assert settings.worker_max_memory_mb == 300


def test_a_web_node_may_have_the_public_key_instead_of_the_signing_key(tmp_path) -> None:
    public = tmp_path / "public.pem"
    public.write_text("-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n")
    env = {k: v for k, v in PRODUCTION.items() if k != "SIGNING_KEY_PATH"} | {"CDHT_INSTANCE_PATH": str(tmp_path)}
    assert from_env(env | {"PUBLIC_KEY_PATH": str(public)}).public_key_path == public
    with pytest.raises(ConfigError, match="PUBLIC_KEY_PATH names no file"):
        from_env(env | {"PUBLIC_KEY_PATH": str(tmp_path / "absent.pem")})
    with pytest.raises(ConfigError, match=r"SIGNING_KEY_PATH \(workers\) or PUBLIC_KEY_PATH \(web nodes\)"):
        from_env(env)


@pytest.mark.parametrize("missing", sorted(set(PRODUCTION) - {"CDHT_ENV"}))
def test_production_needs_every_variable(tmp_path, missing: str) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != missing} | {"CDHT_INSTANCE_PATH": str(tmp_path)}
    with pytest.raises(ConfigError, match=missing):
        from_env(env)


@pytest.mark.parametrize(("key", "value"), [("SECRET_KEY", "short"), ("RATELIMIT_STORAGE_URI", "memory://"),
                                            ("PROXY_HOPS", "two"), ("WORKER_MAX_MEMORY_MB", "50"),
                                            ("WORKER_MAX_MEMORY_MB", "lots")])
def test_production_refuses_unsafe_values(tmp_path, key: str, value: str) -> None:
    with pytest.raises(ConfigError):
        from_env({**PRODUCTION, key: value, "CDHT_INSTANCE_PATH": str(tmp_path)})


def test_embedded_generates_its_secret_once(tmp_path) -> None:
    first = from_env({"CDHT_INSTANCE_PATH": str(tmp_path)})
    second = from_env({"CDHT_INSTANCE_PATH": str(tmp_path)})
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_the_embedded_public_address_follows_the_port(tmp_path) -> None:
    assert from_env({"CDHT_INSTANCE_PATH": str(tmp_path)}).public_base_url == "http://127.0.0.1:5000"
    assert from_env({"CDHT_INSTANCE_PATH": str(tmp_path), "PORT": "5101"}).public_base_url == "http://127.0.0.1:5101"
    assert from_env({"CDHT_INSTANCE_PATH": str(tmp_path), "PORT": "5101",
                     "PUBLIC_BASE_URL": "https://cdht.example.vn/"}).public_base_url == "https://cdht.example.vn"
    for bad in ("http", "0", "70000"):
        with pytest.raises(ConfigError, match="PORT"):
            from_env({"CDHT_INSTANCE_PATH": str(tmp_path), "PORT": bad})


def test_staff_two_step_sign_in_is_required_in_production_only_by_default(tmp_path) -> None:
    production = {**PRODUCTION, "CDHT_INSTANCE_PATH": str(tmp_path)}
    assert from_env(production).staff_totp_required is True
    assert from_env(production | {"STAFF_TOTP_REQUIRED": "false"}).staff_totp_required is False
    embedded = {"CDHT_INSTANCE_PATH": str(tmp_path)}
    assert from_env(embedded).staff_totp_required is False
    assert from_env(embedded | {"STAFF_TOTP_REQUIRED": "true"}).staff_totp_required is True
    with pytest.raises(ConfigError, match="STAFF_TOTP_REQUIRED"):
        from_env(embedded | {"STAFF_TOTP_REQUIRED": "maybe"})
    with pytest.raises(ConfigError, match="TOTP_KEY"):
        from_env(embedded | {"TOTP_KEY": "short"})
    # The key that seals TOTP secrets: TOTP_KEY when given, else derived from SECRET_KEY; never SECRET_KEY itself.
    derived = from_env(production).totp_sealing_key
    assert len(derived) == 32 and derived != PRODUCTION["SECRET_KEY"].encode()
    assert from_env(production | {"TOTP_KEY": "k" * 40}).totp_sealing_key != derived


def test_object_storage_on_s3_is_accepted(tmp_path) -> None:
    settings = from_env({**PRODUCTION, "CDHT_INSTANCE_PATH": str(tmp_path), "STORAGE_URL": "s3://cdht-docs/prod/",
                         "S3_ENDPOINT_URL": "https://s3.hanoi.example", "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
                         "AWS_SECRET_ACCESS_KEY": "example-secret", "AWS_DEFAULT_REGION": "ap-southeast-1"})
    assert settings.storage_url == "s3://cdht-docs/prod/"
    assert settings.s3.endpoint_url == "https://s3.hanoi.example" and settings.s3.region == "ap-southeast-1"
    assert settings.s3.access_key_id == "AKIAEXAMPLE" and "example-secret" not in repr(settings.s3)
    # No endpoint and no keys: AWS itself, with boto3's own credential chain (an instance role).
    bare = from_env({**PRODUCTION, "CDHT_INSTANCE_PATH": str(tmp_path), "STORAGE_URL": "s3://cdht-docs"})
    assert bare.s3.endpoint_url is None and bare.s3.access_key_id is None


@pytest.mark.parametrize(("env", "message"), [
    ({"STORAGE_URL": "s3://"}, "names no bucket"),
    ({"STORAGE_URL": "s3:///prefix"}, "names no bucket"),
    ({"STORAGE_URL": "s3://Cdht_Docs/prefix"}, "invalid bucket name"),
    ({"STORAGE_URL": "s3://cdht-docs/../up"}, "invalid prefix"),
    ({"STORAGE_URL": "s3://cdht-docs/a//b"}, "invalid prefix"),
    ({"STORAGE_URL": "s3://cdht-docs/chứng chỉ"}, "invalid prefix"),
    ({"STORAGE_URL": "s3://key:secret@cdht-docs/p"}, "no credentials, port, query or fragment"),
    ({"STORAGE_URL": "s3://cdht-docs/p?region=x"}, "no credentials, port, query or fragment"),
    ({"STORAGE_URL": "ftp://host/docs"}, "unsupported storage URL scheme"),
    ({"S3_ENDPOINT_URL": "s3.hanoi.example"}, "S3_ENDPOINT_URL must be an http"),
    ({"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE"}, "must be given together"),
])
def test_a_malformed_storage_configuration_is_named(tmp_path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        from_env({**PRODUCTION, "CDHT_INSTANCE_PATH": str(tmp_path), "STORAGE_URL": "s3://cdht-docs/p"} | env)
