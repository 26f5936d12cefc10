"""Origins: where a mount's bytes come from (S3, HTTP(S), a local path). Network and disk I/O.

Every origin lists its files (size, ETag, sha256 when known) and reads a byte range straight into a caller's
buffer — for the engine, a slice of the memory-mapped cache file, so the bytes are copied once, by the kernel.

HTTP uses the standard library's ``http.client``: one persistent connection per worker thread, ``readinto`` into
the destination (the socket read releases the GIL and no intermediate ``bytes`` are built). That is lower CPU per
byte than httpx or aiohttp, whose per-chunk Python objects dominate at hundreds of MB/s, and needs no dependency.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import threading
from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

from ferry.cache._credentials import bearer_token, s3_credentials
from ferry.cache._errors import DatasetError, IntegrityError, OriginError
from ferry.cache._model import Mount, Secret
from ferry.cache._remote import Origin, RemoteFile, RetryableError
from ferry.cache._sigv4 import Credentials, sign

__all__ = ["HttpOrigin", "LocalOrigin", "Origin", "RemoteFile", "RetryableError", "S3Origin", "origin_for"]

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
USER_AGENT = "ferry-cache/1"


class _Pool:
    """One keep-alive connection per (thread, scheme, host)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._local = threading.local()
        self._all: set[http.client.HTTPConnection] = set()
        self._lock = threading.Lock()

    def get(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        conns: dict[tuple[str, str], http.client.HTTPConnection] = self._local.__dict__.setdefault("conns", {})
        conn = conns.get((scheme, netloc))
        if conn is None:
            if scheme == "https":
                import ssl

                conn = http.client.HTTPSConnection(netloc, timeout=self.timeout, context=ssl.create_default_context())
            else:
                conn = http.client.HTTPConnection(netloc, timeout=self.timeout)
            conns[(scheme, netloc)] = conn
            with self._lock:
                self._all.add(conn)
        return conn

    def drop(self, scheme: str, netloc: str) -> None:
        conns: dict[tuple[str, str], http.client.HTTPConnection] = self._local.__dict__.setdefault("conns", {})
        conn = conns.pop((scheme, netloc), None)
        if conn is not None:
            conn.close()
            with self._lock:
                self._all.discard(conn)

    def release_thread(self) -> None:
        conns: dict[tuple[str, str], http.client.HTTPConnection] = self._local.__dict__.setdefault("conns", {})
        for key in list(conns):
            self.drop(*key)

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, set()
        for conn in conns:
            conn.close()
        self._local = threading.local()


_TRANSIENT = (OSError, http.client.HTTPException)


def _read_body(resp: http.client.HTTPResponse, view: memoryview, progress: Callable[[int], None], step: int) -> int:
    got = 0
    total = len(view)
    while got < total:
        n = resp.readinto(view[got : min(total, got + step)])
        if not n:
            break
        got += n
        progress(n)
    return got


class _HttpBase(Origin):
    """Shared ranged-GET logic for HTTP and S3."""

    def __init__(self, timeout: float) -> None:
        self.pool = _Pool(timeout)

    def close(self) -> None:
        self.pool.close()

    def release_thread(self) -> None:
        self.pool.release_thread()

    @abstractmethod
    def _request_target(self, file: RemoteFile) -> tuple[str, str, str]:
        """(scheme, netloc, path) for GETs of ``file``."""

    @abstractmethod
    def _headers(self, method: str, netloc: str, path: str, extra: Mapping[str, str]) -> dict[str, str]:
        """Headers including authentication."""

    def _send(
        self, method: str, scheme: str, netloc: str, path: str, extra: Mapping[str, str]
    ) -> http.client.HTTPResponse:
        conn = self.pool.get(scheme, netloc)
        try:
            conn.request(method, path, headers=self._headers(method, netloc, path, extra))
            return conn.getresponse()
        except _TRANSIENT as exc:
            self.pool.drop(scheme, netloc)
            raise RetryableError(f"{method} {scheme}://{netloc}{path}: {type(exc).__name__}: {exc}") from exc

    def read_into(self, file: RemoteFile, start: int, view: memoryview, progress: Callable[[int], None]) -> None:
        scheme, netloc, path = self._request_target(file)
        end = start + len(view) - 1
        resp = self._send("GET", scheme, netloc, path, {"Range": f"bytes={start}-{end}"})
        got = 0
        try:
            if resp.status >= 500 or resp.status in (408, 429):
                resp.read()
                raise RetryableError(f"GET {file.source}: HTTP {resp.status} {resp.reason}")
            if resp.status == 206:
                match = _RANGE.match(resp.getheader("Content-Range", ""))
                if not match or int(match.group(1)) != start or int(match.group(2)) != end:
                    raise OriginError(
                        f"GET {file.source}: asked for bytes {start}-{end}, got {resp.getheader('Content-Range')!r}"
                    )
                if match.group(3) != "*" and int(match.group(3)) != file.size:
                    raise IntegrityError(
                        f"{file.source} changed at the origin: size {match.group(3)}, listed {file.size}",
                        hint="run prefetch again to pick up the new version",
                    )
            elif resp.status == 200 and start == 0 and len(view) == file.size:
                pass  # a server without range support, asked for the whole file
            elif resp.status == 200:
                raise OriginError(
                    f"GET {file.source}: the server ignores Range requests",
                    hint="set concurrency 1 and chunkSize at least the file size for this origin",
                )
            else:
                body = resp.read(2048).decode("utf-8", "replace")
                raise OriginError(f"GET {file.source}: HTTP {resp.status} {resp.reason}: {_brief(body)}")
            etag = _etag(resp.getheader("ETag"))
            if file.etag and etag and etag != file.etag:
                raise IntegrityError(
                    f"{file.source} changed at the origin: ETag {etag}, listed {file.etag}",
                    hint="run prefetch again to pick up the new version",
                )
            got = _read_body(resp, view, progress, 1 << 20)
        except _TRANSIENT as exc:
            self.pool.drop(scheme, netloc)
            raise RetryableError(f"GET {file.source} bytes {start}-{end}: {type(exc).__name__}: {exc}", got) from exc
        if got < len(view):
            self.pool.drop(scheme, netloc)
            raise RetryableError(f"GET {file.source} bytes {start}-{end}: connection closed after {got} bytes", got)


def _brief(text: str) -> str:
    return " ".join(text.split())[:200]


def _etag(value: str | None) -> str | None:
    if not value:
        return None
    return value.removeprefix("W/").strip('"') or None


class S3Origin(_HttpBase):
    """An S3-compatible bucket prefix, addressed path-style at ``endpoint`` (virtual-hosted on AWS)."""

    def __init__(
        self,
        mount_point: str,
        *,
        endpoint: str | None = None,
        region: str = "us-east-1",
        credentials: Credentials | None = None,
        timeout: float = 30.0,
    ) -> None:
        super().__init__(timeout)
        parts = urlsplit(mount_point)
        self.bucket = parts.netloc
        self.prefix = parts.path.lstrip("/")
        self.region = region
        self.credentials = credentials
        if endpoint:
            ep = urlsplit(endpoint if "://" in endpoint else "https://" + endpoint)
            self.scheme, self.netloc = ep.scheme, ep.netloc
            self.base = f"/{self.bucket}"
        else:
            self.scheme, self.netloc = "https", f"{self.bucket}.s3.{region}.amazonaws.com"
            self.base = ""

    def _key_path(self, key: str) -> str:
        return f"{self.base}/{quote(key, safe='/-_.~')}"

    def _headers(self, method: str, netloc: str, path: str, extra: Mapping[str, str]) -> dict[str, str]:
        path_only, _, query_text = path.partition("?")
        headers = {"User-Agent": USER_AGENT, **extra}
        if self.credentials is None:
            return headers
        query = dict(item.split("=", 1) for item in query_text.split("&") if item) if query_text else {}
        from urllib.parse import unquote

        query = {unquote(k): unquote(v) for k, v in query.items()}
        return sign(
            method,
            netloc,
            path_only,
            query=query,
            headers=headers,
            credentials=self.credentials,
            region=self.region,
            now=datetime.now(UTC),
        )

    def _request_target(self, file: RemoteFile) -> tuple[str, str, str]:
        return self.scheme, self.netloc, self._key_path(file.source.split("/", 3)[3])

    def list_files(self) -> list[RemoteFile]:
        files: list[RemoteFile] = []
        token: str | None = None
        prefix = self.prefix
        while True:
            query = {"list-type": "2", "prefix": prefix}
            if token:
                query["continuation-token"] = token
            qs = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query.items()))
            path = f"{self.base}/?{qs}" if self.base else f"/?{qs}"
            body = self._call("GET", path)
            import xml.etree.ElementTree as ET

            root = ET.fromstring(body)
            ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
            for item in root.iter(f"{ns}Contents"):
                key = item.findtext(f"{ns}Key") or ""
                if key.endswith("/"):
                    continue
                rel = key[len(prefix) :].lstrip("/") if prefix.endswith("/") or not prefix else key[len(prefix) :]
                rel = rel.lstrip("/") or key.rsplit("/", 1)[-1]
                files.append(
                    RemoteFile(
                        rel,
                        int(item.findtext(f"{ns}Size") or 0),
                        _etag(item.findtext(f"{ns}ETag")),
                        None,
                        f"s3://{self.bucket}/{key}",
                    )
                )
            if (root.findtext(f"{ns}IsTruncated") or "false") != "true":
                break
            token = root.findtext(f"{ns}NextContinuationToken")
        if not files:
            raise OriginError(
                f"s3://{self.bucket}/{prefix} lists no objects",
                where=f"{self.scheme}://{self.netloc}",
                hint="check the bucket, prefix and endpoint",
            )
        return sorted(files, key=lambda f: f.path)

    def _call(self, method: str, path: str) -> bytes:
        try:
            resp = self._send(method, self.scheme, self.netloc, path, {})
            body = resp.read()
        except RetryableError as exc:
            raise OriginError(str(exc), hint="is the S3 endpoint reachable?") from exc
        except _TRANSIENT as exc:
            self.pool.drop(self.scheme, self.netloc)
            raise OriginError(f"{method} {path}: {exc}") from exc
        if resp.status != 200:
            code = re.search(rb"<Code>([^<]+)</Code>", body)
            what = code.group(1).decode() if code else f"HTTP {resp.status}"
            raise OriginError(
                f"S3 {method} s3://{self.bucket}/{self.prefix} failed: {what}",
                where=f"{self.scheme}://{self.netloc}",
                hint="check the credentials and bucket" if resp.status in (401, 403) else None,
            )
        return body


class HttpOrigin(_HttpBase):
    """A base URL with a known file list, or with a ``model.safetensors.index.json`` naming the shards."""

    def __init__(
        self,
        base: str,
        *,
        files: Sequence[tuple[str, int | None, str | None]] = (),
        index: str | None = None,
        token: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        super().__init__(timeout)
        self.base = base if base.endswith("/") else base + "/"
        self.files = list(files)
        self.index = index
        self.token = token
        self._targets: dict[str, tuple[str, str, str]] = {}

    def _headers(self, method: str, netloc: str, path: str, extra: Mapping[str, str]) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT, **extra}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _request_target(self, file: RemoteFile) -> tuple[str, str, str]:
        return self._targets.get(file.source) or _split(file.source)

    def _follow(self, method: str, url: str, extra: Mapping[str, str]) -> tuple[http.client.HTTPResponse, str]:
        for _ in range(6):
            scheme, netloc, path = _split(url)
            try:
                resp = self._send(method, scheme, netloc, path, extra)
            except RetryableError as exc:
                raise OriginError(str(exc), hint="is the HTTP origin reachable?") from exc
            if resp.status in (301, 302, 303, 307, 308) and resp.getheader("Location"):
                resp.read()
                url = urljoin(url, resp.getheader("Location", ""))
                continue
            return resp, url
        raise OriginError(f"{url}: too many redirects")

    def _stat(self, rel: str, size: int | None, sha256: str | None) -> RemoteFile:
        url = urljoin(self.base, quote(rel, safe="/-_.~"))
        try:
            resp, final = self._follow("HEAD", url, {})
            resp.read()
        except _TRANSIENT as exc:
            raise OriginError(f"HEAD {url}: {exc}") from exc
        if resp.status >= 400:
            raise OriginError(
                f"HEAD {url}: HTTP {resp.status} {resp.reason}",
                hint="check the base URL and the file list" if resp.status == 404 else None,
            )
        length = resp.getheader("Content-Length")
        found = int(length) if length and length.isdigit() else None
        if found is None and size is None:
            raise OriginError(f"HEAD {url}: no Content-Length", hint="give the file's size in the dataset's files")
        if size is not None and found is not None and size != found:
            raise IntegrityError(f"{url} is {found} bytes at the origin, the dataset says {size}")
        etag = _etag(resp.getheader("X-Linked-Etag") or resp.getheader("ETag"))
        if sha256 is None and etag and _HEX64.match(etag):
            sha256 = etag  # Hugging Face serves an LFS file's sha256 as its (linked) ETag
        self._targets[url] = _split(final)
        return RemoteFile(rel, found if found is not None else int(size or 0), etag, sha256, url)

    def list_files(self) -> list[RemoteFile]:
        wanted: dict[str, tuple[int | None, str | None]] = {p: (s, h) for p, s, h in self.files}
        if self.index:
            url = urljoin(self.base, quote(self.index, safe="/-_.~"))
            resp, _ = self._follow("GET", url, {})
            body = resp.read()
            if resp.status != 200:
                raise OriginError(f"GET {url}: HTTP {resp.status} {resp.reason}", hint="check options.index")
            try:
                weight_map = json.loads(body)["weight_map"]
                shards = sorted({str(v) for v in weight_map.values()})
            except (ValueError, KeyError, TypeError, AttributeError):
                raise DatasetError(f"{url} is not a safetensors index (no weight_map)") from None
            wanted.setdefault(self.index, (None, None))
            for shard in shards:
                wanted.setdefault(str(Path(self.index).parent / shard).removeprefix("./"), (None, None))
        return [self._stat(p, s, h) for p, (s, h) in sorted(wanted.items())]


def _split(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.netloc, path


class LocalOrigin(Origin):
    """A directory or file on a local or network file system (NFS, a FUSE mount)."""

    def __init__(self, root: str) -> None:
        self.root = Path(root)
        self._fds: dict[str, int] = {}
        self._lock = threading.Lock()

    def list_files(self) -> list[RemoteFile]:
        if self.root.is_file():
            candidates = [self.root]
            base = self.root.parent
        elif self.root.is_dir():
            candidates = sorted(p for p in self.root.rglob("*") if p.is_file())
            base = self.root
        else:
            raise OriginError(f"{self.root} does not exist", hint="check the local mountPoint")
        out = []
        for path in candidates:
            st = path.stat()
            out.append(
                RemoteFile(
                    str(path.relative_to(base)),
                    st.st_size,
                    f"{st.st_mtime_ns:x}-{st.st_size:x}",
                    None,
                    f"local://{path}",
                )
            )
        return out

    def _fd(self, path: str) -> int:
        with self._lock:
            fd = self._fds.get(path)
            if fd is None:
                fd = self._fds[path] = os.open(path, os.O_RDONLY)
            return fd

    def read_into(self, file: RemoteFile, start: int, view: memoryview, progress: Callable[[int], None]) -> None:
        path = file.source.removeprefix("local://")
        got = 0
        try:
            fd = self._fd(path)
            while got < len(view):
                n = os.preadv(fd, [view[got:]], start + got)
                if n == 0:
                    raise IntegrityError(
                        f"{path} is shorter than the {file.size} bytes listed",
                        hint="the file changed; run prefetch again",
                    )
                got += n
                progress(n)
        except FileNotFoundError as exc:
            raise OriginError(f"{path} disappeared", hint="run prefetch again") from exc
        except OSError as exc:
            raise RetryableError(f"read {path}: {exc}", got) from exc

    def close(self) -> None:
        with self._lock:
            for fd in self._fds.values():
                os.close(fd)
            self._fds.clear()


def origin_for(
    mount: Mount,
    namespace: str,
    secrets: Sequence[Secret],
    *,
    timeout: float = 30.0,
    env: Mapping[str, str] | None = None,
) -> Origin:
    """The origin of ``mount`` with its credentials resolved."""
    scheme = mount.scheme
    if scheme == "s3":
        endpoint = mount.options.get("endpoint") or mount.options.get("alluxio.underfs.s3.endpoint")
        env_map = os.environ if env is None else env
        region = (
            mount.options.get("region") or env_map.get("AWS_REGION") or env_map.get("AWS_DEFAULT_REGION") or "us-east-1"
        )
        return S3Origin(
            mount.mount_point,
            endpoint=endpoint or env_map.get("AWS_ENDPOINT_URL"),
            region=region,
            credentials=s3_credentials(mount, namespace, secrets, env),
            timeout=timeout,
        )
    if scheme in ("http", "https"):
        return HttpOrigin(
            mount.mount_point,
            files=[(f.path, f.size, f.sha256) for f in mount.files],
            index=mount.options.get("index"),
            token=bearer_token(mount, namespace, secrets, env),
            timeout=timeout,
        )
    if scheme == "local":
        return LocalOrigin(
            mount.mount_point.removeprefix("local://") if "://" in mount.mount_point else mount.mount_point
        )
    raise DatasetError(f"mount {mount.name}: {mount.mount_point} has no origin of its own (a reference?)")
