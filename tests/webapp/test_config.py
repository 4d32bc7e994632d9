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
    with pytest.raises(ConfigError, match="PUBLIC_KEY_PATH: names no file"):
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
    ({"S3_ENDPOINT_URL": "s3.hanoi.example"}, "S3_ENDPOINT_URL: must be an http"),
    ({"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE"}, "must be given together"),
])
def test_a_malformed_storage_configuration_is_named(tmp_path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        from_env({**PRODUCTION, "CDHT_INSTANCE_PATH": str(tmp_path), "STORAGE_URL": "s3://cdht-docs/p"} | env)


def _problems(env: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as refused:
        from_env(env)
    return refused.value.problems


@pytest.mark.parametrize(("key", "value", "says"), [
    ("DATABASE_URL", "postgres://db/cdht", "DATABASE_URL: must start with postgresql+psycopg:// or sqlite://"),
    ("DATABASE_URL", "mysql://db/cdht", "DATABASE_URL: must start with postgresql+psycopg:// or sqlite://"),
    ("CELERY_BROKER_URL", "kafka://k:9092", "CELERY_BROKER_URL: must start with redis://, rediss://, amqp://"),
    ("STORAGE_URL", "ftp://files/cdht", "STORAGE_URL: unsupported storage URL scheme 'ftp'"),
    ("STORAGE_URL", "file://relative/folder", "STORAGE_URL: file storage URL must be file:///absolute/path"),
    ("STORAGE_URL", "s3:///prefix", "STORAGE_URL: "),
    ("PUBLIC_BASE_URL", "cdht.hanoi.gov.vn", "PUBLIC_BASE_URL: must be an http:// or https:// address"),
    ("PORT", "http", "PORT: must be a port number (1-65535); got 'http'"),
    ("WEB_CONCURRENCY", "four", "WEB_CONCURRENCY: must be a whole number, at least 1; got 'four'"),
    ("WEB_THREADS", "0", "WEB_THREADS: must be a whole number, at least 1; got '0'"),
    ("WEB_TIMEOUT", "-5", "WEB_TIMEOUT: must be a whole number, at least 1; got '-5'"),
    ("WEB_KEEPALIVE", "2.5", "WEB_KEEPALIVE: must be a whole number, at least 0; got '2.5'"),
    ("WEB_CONNECTIONS", "", "WEB_CONNECTIONS: must be a whole number, at least 1; got ''"),
    ("WEB_WORKER_CLASS", "gevent", "WEB_WORKER_CLASS: must be sync or gthread; got 'gevent'"),
    ("DASHBOARD_MAX_AGE_SECONDS", "-1", "DASHBOARD_MAX_AGE_SECONDS: must be a whole number, at least 0; got '-1'"),
    ("PROXY_HOPS", "two", "PROXY_HOPS: must be a whole number, at least 0; got 'two'"),
    ("WORKER_MAX_MEMORY_MB", "50", "WORKER_MAX_MEMORY_MB: must be a whole number, at least 100; got '50'"),
    ("SWEEP_EVERY_SECONDS", "0", "SWEEP_EVERY_SECONDS: must be a whole number, at least 1; got '0'"),
    ("MAIL_URL", "http://relay", "MAIL_URL: must start with smtp://"),
    ("SECRET_KEY", "short", "SECRET_KEY: must be at least 32 characters in production"),
    ("RATELIMIT_STORAGE_URI", "memory://", "RATELIMIT_STORAGE_URI: must be shared storage in production"),
    ("STAFF_TOTP_REQUIRED", "maybe", "STAFF_TOTP_REQUIRED: must be true or false; got 'maybe'"),
    ("AUDIT_KEY", "short", "AUDIT_KEY: must be at least 32 characters"),
    ("IDENTITY_KEY", "short", "IDENTITY_KEY: must be at least 32 characters"),
    ("CDHT_ENV", "staging", "CDHT_ENV: must be embedded or production; got 'staging'"),
])
def test_each_wrong_value_has_its_own_message_with_an_example(tmp_path, key: str, value: str, says: str) -> None:
    env = {**PRODUCTION, "CDHT_INSTANCE_PATH": str(tmp_path), key: value}
    if key == "CDHT_ENV":
        env = {"CDHT_INSTANCE_PATH": str(tmp_path), key: value}
    [problem] = _problems(env)
    assert problem.startswith(says) and f"(for example {key}=" in problem, problem


def test_every_problem_is_listed_at_once(tmp_path) -> None:
    env = {"CDHT_ENV": "production", "CDHT_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "postgres://db/cdht",
           "CELERY_BROKER_URL": "kafka://k", "WEB_THREADS": "many", "PORT": "0"}
    problems = _problems(env)
    named = [p.partition(":")[0] for p in problems]
    assert named == ["SECRET_KEY", "STORAGE_URL", "PUBLIC_BASE_URL", "RATELIMIT_STORAGE_URI",
                     "SIGNING_KEY_PATH (workers) or PUBLIC_KEY_PATH (web nodes)", "DATABASE_URL", "CELERY_BROKER_URL",
                     "PORT", "WEB_THREADS"]
    assert all("(for example " in p for p in problems)
    with pytest.raises(ConfigError, match=r"^CDHT's configuration has 9 problems:\n- SECRET_KEY: is required"):
        from_env(env)


@pytest.mark.parametrize("url", ["/srv/cdht", "file:///srv/cdht", "s3://cdht-hanoi/certificates", "s3://bucket"])
def test_storage_may_be_a_folder_a_file_url_or_an_s3_bucket(tmp_path, url: str) -> None:
    assert from_env({**PRODUCTION, "CDHT_INSTANCE_PATH": str(tmp_path), "STORAGE_URL": url}).storage_url == url


@pytest.mark.parametrize("url", ["redis://r:6379/0", "rediss://r:6380/0", "amqp://cdht:pw@mq:5672//"])
def test_every_broker_the_app_runs_on_is_accepted(tmp_path, url: str) -> None:
    assert from_env({**PRODUCTION, "CDHT_INSTANCE_PATH": str(tmp_path), "CELERY_BROKER_URL": url}).broker_url == url


def test_a_worker_needs_a_signing_key_it_can_read(tmp_path) -> None:
    from webapp.config import worker_problems

    settings = from_env({**PRODUCTION, "CDHT_INSTANCE_PATH": str(tmp_path),
                         "SIGNING_KEY_PATH": str(tmp_path / "absent.pem")})
    [problem] = worker_problems(settings)
    assert problem.startswith(f"SIGNING_KEY_PATH: a worker signs certificates and cannot read {tmp_path}/absent.pem")
    key = tmp_path / "key.pem"
    key.write_text("a key")
    assert worker_problems(from_env({**PRODUCTION, "CDHT_INSTANCE_PATH": str(tmp_path),
                                     "SIGNING_KEY_PATH": str(key)})) == []
    # An embedded run makes its key on first use.
    assert worker_problems(from_env({"CDHT_INSTANCE_PATH": str(tmp_path)})) == []
