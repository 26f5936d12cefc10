"""Where credentials come from, in order; and that their values never show."""

from __future__ import annotations

from pathlib import Path

import pytest

from ferry.cache import DatasetError, EncryptOption, Mount, Secret
from ferry.cache._credentials import bearer_token, s3_credentials

REFS = (EncryptOption("aws.accessKeyId", "cred", "id"), EncryptOption("aws.secretKey", "cred", "secret"))


def test_secret_in_the_file_wins_over_the_environment() -> None:
    mount = Mount("s3://b/p", encrypt_options=REFS)
    secrets = [Secret("cred", "ml", {"id": "AK1", "secret": "SK1"})]
    creds = s3_credentials(mount, "ml", secrets, {"AWS_ACCESS_KEY_ID": "AK2", "AWS_SECRET_ACCESS_KEY": "SK2"})
    assert creds is not None and (creds.access_key, creds.secret_key, creds.source) == ("AK1", "SK1", "secret")
    assert "SK1" not in repr(creds)


def test_secret_files_as_kubernetes_mounts_them(tmp_path: Path) -> None:
    (tmp_path / "cred").mkdir()
    (tmp_path / "cred" / "id").write_text("AKF\n")
    (tmp_path / "cred" / "secret").write_text("SKF\n")
    creds = s3_credentials(
        Mount("s3://b/p", encrypt_options=REFS), "ml", [], {"FERRY_CACHE_SECRETS_DIR": str(tmp_path)}
    )
    assert creds is not None and (creds.access_key, creds.secret_key) == ("AKF", "SKF")


def test_missing_secret_is_a_clear_error_in_the_right_namespace() -> None:
    mount = Mount("s3://b/p", encrypt_options=REFS)
    with pytest.raises(DatasetError, match="secret ml/cred key id was not found"):
        s3_credentials(mount, "ml", [Secret("cred", "other-namespace", {"id": "x", "secret": "y"})], {})


def test_profile_environment_and_anonymous(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text(
        "[default]\naws_access_key_id = AKD\naws_secret_access_key = SKD\n"
        "[team]\naws_access_key_id = AKT\naws_secret_access_key = SKT\naws_session_token = TOK\n"
    )
    env = {"AWS_SHARED_CREDENTIALS_FILE": str(path)}
    team = s3_credentials(Mount("s3://b/p", options={"profile": "team"}), "ml", [], env)
    assert team is not None and (team.access_key, team.token) == ("AKT", "TOK")
    default = s3_credentials(Mount("s3://b/p"), "ml", [], env)
    assert default is not None and default.access_key == "AKD"
    from_env = s3_credentials(
        Mount("s3://b/p"), "ml", [], {**env, "AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "S"}
    )
    assert from_env is not None and from_env.source == "environment"
    assert s3_credentials(Mount("s3://b/p"), "ml", [], {"AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no")}) is None
    with pytest.raises(DatasetError, match="'nope' is not in the credentials file"):
        s3_credentials(Mount("s3://b/p", options={"profile": "nope"}), "ml", [], env)


def test_bearer_tokens() -> None:
    mount = Mount("https://h/x/", encrypt_options=[EncryptOption("token", "t", "v")], files=())
    assert bearer_token(mount, "ml", [Secret("t", "ml", {"v": "hf_abc"})], {}) == "hf_abc"
    hub = Mount("https://huggingface.co/org/m/resolve/main/")
    assert bearer_token(hub, "ml", [], {"HF_TOKEN": "hf_env"}) == "hf_env"
    assert bearer_token(Mount("https://other/x/"), "ml", [], {"HF_TOKEN": "hf_env"}) is None
