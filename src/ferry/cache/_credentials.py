"""Where credentials come from: a mount's Secret references, an AWS profile, or the environment (reads files).

Values are never logged, printed or stored in the cache's metadata; :class:`Credentials` hides them in ``repr``.
Order for S3: ``encryptOptions`` (a Secret declared beside the dataset, or a secret file
``$FERRY_CACHE_SECRETS_DIR/<secret>/<key>`` as Kubernetes mounts them), then ``options.profile``, then
``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, then the ``AWS_PROFILE`` or ``default`` profile; none means
unsigned requests.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from ferry.cache._errors import DatasetError
from ferry.cache._model import Mount, Secret
from ferry.cache._sigv4 import Credentials

__all__ = ["bearer_token", "s3_credentials", "secret_value"]

_ACCESS = ("aws.accessKeyId", "access-key", "accessKeyId")
_SECRET = ("aws.secretKey", "secret-key", "secretKey", "aws.secretAccessKey")
_TOKEN = ("aws.sessionToken", "session-token", "sessionToken")


def secret_value(
    mount: Mount, names: Sequence[str], namespace: str, secrets: Sequence[Secret], env: Mapping[str, str]
) -> str | None:
    """The value of the first ``encryptOptions`` entry called one of ``names``, read from its Secret."""
    for option in mount.encrypt_options:
        if option.name not in names:
            continue
        for secret in secrets:
            if secret.name == option.secret and secret.namespace == namespace and option.key in secret.data:
                return secret.data[option.key]
        base = env.get("FERRY_CACHE_SECRETS_DIR")
        if base:
            candidate = Path(base) / option.secret / option.key
            try:
                return candidate.read_text(encoding="utf-8").strip()
            except OSError:
                pass
        raise DatasetError(
            f"mount {mount.name}: secret {namespace}/{option.secret} key {option.key} was not found",
            hint="declare the Secret in the same file, or put the value in $FERRY_CACHE_SECRETS_DIR/<secret>/<key>",
        )
    return None


def _profile(name: str, env: Mapping[str, str], *, required: bool) -> Credentials | None:
    import configparser

    path = Path(env.get("AWS_SHARED_CREDENTIALS_FILE") or Path(env.get("HOME", "~")).expanduser() / ".aws/credentials")
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(path.read_text(encoding="utf-8"))
    except (OSError, configparser.Error):
        if required:
            raise DatasetError(f"AWS profile {name!r} needs a readable credentials file", where=str(path)) from None
        return None
    if not parser.has_section(name):
        if required:
            raise DatasetError(f"AWS profile {name!r} is not in the credentials file", where=str(path))
        return None
    section = parser[name]
    access, secret = section.get("aws_access_key_id"), section.get("aws_secret_access_key")
    if not access or not secret:
        raise DatasetError(f"AWS profile {name!r} lacks aws_access_key_id or aws_secret_access_key", where=str(path))
    return Credentials(access, secret, section.get("aws_session_token"), source=f"profile {name}")


def s3_credentials(
    mount: Mount, namespace: str, secrets: Sequence[Secret], env: Mapping[str, str] | None = None
) -> Credentials | None:
    """Credentials for an S3 mount, or None for anonymous (unsigned) access."""
    env = os.environ if env is None else env
    access = secret_value(mount, _ACCESS, namespace, secrets, env)
    secret = secret_value(mount, _SECRET, namespace, secrets, env)
    if access or secret:
        if not (access and secret):
            raise DatasetError(f"mount {mount.name}: encryptOptions give only one of the access key and secret key")
        return Credentials(access, secret, secret_value(mount, _TOKEN, namespace, secrets, env), source="secret")
    if profile := mount.options.get("profile"):
        return _profile(profile, env, required=True)
    if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
        return Credentials(
            env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env.get("AWS_SESSION_TOKEN"), source="environment"
        )
    return _profile(env.get("AWS_PROFILE", "default"), env, required="AWS_PROFILE" in env)


def bearer_token(
    mount: Mount, namespace: str, secrets: Sequence[Secret], env: Mapping[str, str] | None = None
) -> str | None:
    """An HTTP bearer token from ``encryptOptions`` ``token`` (or ``HF_TOKEN`` for Hugging Face URLs)."""
    env = os.environ if env is None else env
    token = secret_value(mount, ("token", "hf.token"), namespace, secrets, env)
    if token is None and "huggingface.co" in mount.mount_point:
        token = env.get("HF_TOKEN")
    return token
