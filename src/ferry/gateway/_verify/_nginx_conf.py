"""Render ingress-nginx's servers and locations as a real nginx.conf (pure: text in, text out).

The rendering follows ingress-nginx's template for everything that decides a request's outcome: ``server_name``
(one-label wildcard regexes, a ``_`` default server), ``location =`` / prefix / ``~* "^path"`` in the model's order,
``return`` for app-root and permanent/temporal redirects, the CORS preflight answer, the ssl-redirect (308,
trailing ``/`` stripped — done in Lua by ingress-nginx, here with ``map``), ``rewrite "(?i)path" target break``,
``deny`` / ``allow``, ``proxy_set_header Host`` and X-Forwarded-Prefix, and canaries as ``map`` + ``split_clients``
chains (header → cookie → weight). The client address comes from X-Forwarded-For sent by the replay over loopback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from ferry.gateway._simulate._nginx_model import CATCH_ALL, NginxLocation, NginxServer, ServerTable

__all__ = ["render_nginx"]


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _exact_re(value: str) -> str:
    return "~^" + re.sub(r"([^A-Za-z0-9_])", r"\\\1", value) + "$"


def _server_names(server: NginxServer) -> str:
    out = []
    for name in (server.name, *server.aliases):
        if name.startswith("*."):
            out.append(_q("~^[\\w-]+" + re.escape(name[1:]) + "$"))
        else:
            out.append(name)
    return " ".join(out)


class _Renderer:
    def __init__(self, table: ServerTable, addresses: Mapping[str, int], workdir: Path, files: dict[str, str]) -> None:
        self.table = table
        self.addresses = addresses
        self.workdir = workdir
        self.files = files
        self.upstreams: dict[str, str] = {}
        self.http: list[str] = []
        self.canaries = 0

    def upstream(self, backend: str) -> str:
        if backend not in self.upstreams:
            name = f"ferry_b{len(self.upstreams)}"
            self.upstreams[backend] = name
            port = self.addresses.get(backend)
            if port is None:
                self.http.append(f"upstream {name} {{ server 127.0.0.1:1 down; }}  # {backend}: no echo backend")
            else:
                self.http.append(f"upstream {name} {{ server 127.0.0.1:{port}; keepalive 16; }}  # {backend}")
        return self.upstreams[backend]

    def canary_var(self, loc: NginxLocation) -> str:
        assert loc.canary is not None and loc.backend is not None
        c = loc.canary
        n = self.canaries
        self.canaries += 1
        primary, canary = self.upstream(loc.backend), self.upstream(c.backend)
        h, k, w = f"$ferry_c{n}_h", f"$ferry_c{n}_k", f"$ferry_c{n}_w"
        if c.header:
            var = "$http_" + c.header.lower().replace("-", "_")
            lines = [f"map {var} {h} {{", '  default "";']
            if c.header_value:
                lines.append(f"  {_q(_exact_re(c.header_value))} canary;")
            elif c.header_pattern:
                lines.append(f"  {_q('~' + c.header_pattern)} canary;")
            else:
                lines += ['  "~^always$" canary;', '  "~^never$" primary;']
            self.http.append("\n".join([*lines, "}"]))
        else:
            self.http.append(f'map $host {h} {{ default ""; }}')
        if c.cookie and re.fullmatch(r"[A-Za-z0-9_]+", c.cookie):
            self.http.append(
                f'map $cookie_{c.cookie} {k} {{\n  default "";\n  "~^always$" canary;\n  "~^never$" primary;\n}}'
            )
        else:
            self.http.append(f'map $host {k} {{ default ""; }}')
        pct = round(c.share * 100, 2)
        if pct <= 0:
            self.http.append(f"map $host {w} {{ default primary; }}")
        elif pct >= 100:
            self.http.append(f"map $host {w} {{ default canary; }}")
        else:
            self.http.append(f'split_clients "${{request_id}}" {w} {{\n  {pct:g}% canary;\n  * primary;\n}}')
        out = f"$ferry_c{n}"
        self.http.append(
            "\n".join(
                [
                    f'map "{h}:{k}:{w}" {out} {{',
                    f"  default {primary};",
                    f'  "~^canary:" {canary};',
                    f'  "~^primary:" {primary};',
                    f'  "~^:canary:" {canary};',
                    f'  "~^:primary:" {primary};',
                    f'  "~^::canary" {canary};',
                    "}",
                ]
            )
        )
        return out

    def location(self, server: NginxServer, loc: NginxLocation) -> list[str]:
        if loc.match == "exact":
            head = f"location = {_q(loc.path)} {{"
        elif loc.match == "regex":
            head = f"location ~* {_q('^' + loc.path)} {{"
        else:
            head = f"location {_q(loc.path)} {{"
        body = [f"# {loc.label}"]
        if loc.denied is not None:
            return [head, f"  # location denied: {loc.denied}", "  return 503;", "}"]
        if loc.app_root:
            body.append(f"if ($uri = /) {{ return 302 $scheme://$http_host{loc.app_root}; }}")
        if loc.redirect_url:
            body.append(f"return {loc.redirect_code} {_q(loc.redirect_url)};")
        if loc.cors:
            body.append("if ($request_method = OPTIONS) { return 204; }")
        if loc.ssl_redirect:
            uri = "$request_uri" if loc.preserve_trailing_slash else "$ferry_ssl_uri"
            code = self.table.config.http_redirect_code
            body.append(f"if ($scheme = http) {{ return {code} https://$host{uri}; }}")
        if loc.rewrite_target is not None:
            body.append(f"rewrite {_q('(?i)' + loc.path)} {_q(loc.rewrite_target)} break;")
        for cidr in loc.deny:
            body.append(f"deny {cidr};")
        if loc.allow:
            body += [f"allow {cidr};" for cidr in loc.allow]
            body.append("deny all;")
        if loc.auth_users is not None:
            name = f"htpasswd-{len(self.files)}"
            # A Secret that was not given: one user nobody can match (an empty file would make nginx answer 500).
            users = loc.auth_users or (("ferry-secret-not-given", "{SHA}" + "A" * 27 + "="),)
            self.files[name] = "".join(f"{user}:{hashed}\n" for user, hashed in users)
            body.append(f"auth_basic {_q(loc.auth_realm or 'Authentication Required')};")
            body.append(f"auth_basic_user_file {self.workdir / name};")
        if loc.backend is None:
            body.append("return 404;")
        else:
            body.append(f"proxy_set_header Host {_q(loc.upstream_vhost) if loc.upstream_vhost else '$http_host'};")
            if loc.x_forwarded_prefix:
                body.append(f"proxy_set_header X-Forwarded-Prefix {_q(loc.x_forwarded_prefix)};")
            target = self.canary_var(loc) if loc.canary is not None else self.upstream(loc.backend)
            body.append(f"proxy_pass http://{target};")
        return [head, *("  " + line for line in body), "}"]

    def server(self, server: NginxServer, http_port: int, https_port: int, cert: Path, key: str) -> list[str]:
        default = " default_server" if server.name == CATCH_ALL else ""
        lines = [
            "server {",
            f"  listen 127.0.0.1:{http_port}{default};",
            f"  listen 127.0.0.1:{https_port} ssl{default};",
            f"  server_name {_server_names(server)};",
            f"  ssl_certificate {cert};",
            f"  ssl_certificate_key {key};",
        ]
        if server.redirect_to is not None:
            lines.append(f"  return {server.redirect_code} $scheme://{server.redirect_to}$ferry_ssl_uri;")
        else:
            for loc in server.locations:
                lines += ["  " + line for line in self.location(server, loc)]
        lines.append("}")
        return lines


def render_nginx(
    table: ServerTable,
    addresses: Mapping[str, int],
    workdir: Path,
    http_port: int,
    https_port: int,
    cert: Path,
    key: Path,
    files: dict[str, str] | None = None,
) -> str:
    """nginx.conf for ``table``: backends at ``127.0.0.1:addresses[key]``, listening on the two given ports.

    Files the configuration refers to (htpasswd files, by name under ``workdir``) are added to ``files``.
    """
    r = _Renderer(table, addresses, workdir, files if files is not None else {})
    servers: list[str] = []
    for server in table.servers:
        servers += ["  " + line for line in r.server(server, http_port, https_port, cert, str(key))]
    head = [
        "# rendered by ferry gateway verify: ingress-nginx semantics on a plain nginx",
        "worker_processes 1;",
        f"pid {workdir}/nginx.pid;",
        f"error_log {workdir}/error.log warn;",
        "events { worker_connections 1024; }",
        "http {",
        "  access_log off;",
        f"  client_body_temp_path {workdir}/body;",
        f"  proxy_temp_path {workdir}/proxy;",
        f"  fastcgi_temp_path {workdir}/fastcgi;",
        f"  uwsgi_temp_path {workdir}/uwsgi;",
        f"  scgi_temp_path {workdir}/scgi;",
        "  server_names_hash_bucket_size 256;",
        "  server_names_hash_max_size 4096;",
        "  map_hash_bucket_size 256;",
        "  variables_hash_bucket_size 256;",
        "  port_in_redirect off;",
        "  server_name_in_redirect off;",
        "  absolute_redirect on;",
        "  set_real_ip_from 127.0.0.0/8;",
        "  real_ip_header X-Forwarded-For;",
        "  proxy_http_version 1.1;",
        '  proxy_set_header Connection "";',
        "  proxy_connect_timeout 5s;",
        "  proxy_read_timeout 60s;",
        '  map $request_uri $ferry_ssl_uri { "~^(?<ferry_u>.*)/$" $ferry_u; default $request_uri; }',
    ]
    body = ["  " + block.replace("\n", "\n  ") for block in r.http]
    return "\n".join([*head, *body, *servers, "}", ""])
