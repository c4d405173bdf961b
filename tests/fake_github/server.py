"""A threaded HTTP server on 127.0.0.1 that speaks the REST subset upgrade-bot uses, with injectable faults
and a log of every request."""
from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

from .render import Renderer, Urls
from .state import BOT_LOGIN, ApiError, RepoState

DEFAULT_TOKEN = "ghs_fakeInstallationToken0123456789abcdef"
SECONDARY_LIMIT_MESSAGE = ("You have exceeded a secondary rate limit. Please wait a few minutes before you try "
                           "again. If you reach out to GitHub Support for help, please include the request ID.")


@dataclass
class Fault:
    """Answer the next `times` requests matching method and path (a regex searched in the path without the
    API prefix and query) with this response. after_acting: the server does the work first, then answers
    with the fault, as when GitHub's front end times out after the backend already acted."""

    method: str
    path: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None  # dict/list -> JSON, str -> sent as text
    after_acting: bool = False
    times: int = 1

    @classmethod
    def secondary_rate_limit(cls, method: str, path: str, retry_after: int | None = 1, **kw) -> Fault:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        return cls(method, path, 403, headers, {"message": SECONDARY_LIMIT_MESSAGE,
                                                 "documentation_url": "https://docs.github.com/rest"}, **kw)

    @classmethod
    def primary_rate_limit(cls, method: str, path: str, reset_in: float, **kw) -> Fault:
        headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Limit": "1000",
                   "X-RateLimit-Reset": str(int(time.time() + reset_in))}
        return cls(method, path, 403, headers, {"message": "API rate limit exceeded for installation ID 1."}, **kw)

    @classmethod
    def too_many_requests(cls, method: str, path: str, retry_after: int | None = 1, **kw) -> Fault:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        return cls(method, path, 429, headers, {"message": "Too Many Requests"}, **kw)

    @classmethod
    def bad_gateway(cls, method: str, path: str, *, after_acting: bool = True, **kw) -> Fault:
        return cls(method, path, 502, {"Content-Type": "text/html"},
                   "<html><body><h1>502 Bad Gateway</h1></body></html>", after_acting=after_acting, **kw)

    @classmethod
    def server_error(cls, method: str, path: str, **kw) -> Fault:
        return cls(method, path, 500, {}, {"message": "Server Error"}, **kw)


@dataclass
class RecordedRequest:
    method: str
    path: str  # without the API prefix and query
    query: dict[str, str]
    body: Any
    status: int
    faulted: bool
    headers: dict[str, str]
    at: float  # time.monotonic() when the request arrived


class _Request:
    def __init__(self, fake: FakeGitHub, method: str, path: str, query: dict[str, str], body: Any,
                 user: str) -> None:
        self.fake, self.method, self.path, self.query, self.body, self.user = fake, method, path, query, body, user


Handler = Callable[..., "tuple[int, Any] | tuple[int, Any, dict[str, str]]"]


class FakeGitHub:
    """`with FakeGitHub(bare_repo) as gh:` then point the client at gh.api_url with gh.token."""

    def __init__(self, bare_repo: Path, owner: str = "acme", repo: str = "fleet", *, api_prefix: str = "",
                 private: bool = True, default_branch: str = "main") -> None:
        self.state = RepoState(bare_repo, owner, repo, default_branch=default_branch, private=private)
        self.api_prefix = api_prefix.rstrip("/")
        self.tokens: dict[str, str] = {DEFAULT_TOKEN: BOT_LOGIN}
        # tokens that may read the organization's teams (an App with Members: read, a PAT with read:org);
        # any other gets 403 "Resource not accessible by integration" there, as GITHUB_TOKEN does
        self.org_readers: set[str] = {DEFAULT_TOKEN}
        self.faults: list[Fault] = []
        self.requests: list[RecordedRequest] = []
        self._log_lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._routes = self._build_routes()

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> FakeGitHub:
        fake = self

        class _Handler(_HTTPHandler):
            owner = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="fake-github", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def web_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return self.web_url + self.api_prefix

    @property
    def token(self) -> str:
        return DEFAULT_TOKEN

    def renderer(self) -> Renderer:
        return Renderer(self.state, Urls(self.api_url, self.web_url, self.state.owner, self.state.name))

    # --- test helpers ---------------------------------------------------------------------
    def add_user(self, login: str, role: str = "none", *, type: str = "User", token: str | None = None) -> None:
        self.state.add_user(login, role=role, type=type)
        if token:
            self.tokens[token] = login

    def inject(self, *faults: Fault) -> None:
        with self._log_lock:
            self.faults.extend(faults)

    def requests_to(self, method: str, path_regex: str) -> list[RecordedRequest]:
        with self._log_lock:
            return [r for r in self.requests if r.method == method and re.search(path_regex, r.path)]

    def clear_requests(self) -> None:
        with self._log_lock:
            self.requests.clear()

    def pulls(self) -> list:
        return self.state.list_pulls(state="all")

    def comment_as(self, login: str, number: int, body: str):
        """A person (or another bot) comments; returns the comment record."""
        return self.state.add_comment(number, user=login, body=body)

    def issue_comment_event(self, comment_id: int) -> dict:
        """The `issue_comment` (action "created") payload GitHub would hand a workflow for this comment,
        as found in $GITHUB_EVENT_PATH."""
        render = self.renderer()
        comment = self.state.comment(comment_id)
        return {"action": "created", "issue": render.issue(self.state.issue(comment.issue_number)),
                "comment": render.comment(comment), "repository": render.repository(),
                "sender": render.user(comment.user)}

    # --- dispatch -------------------------------------------------------------------------
    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._log_lock:
            for fault in self.faults:
                if fault.method == method and re.search(fault.path, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def _record(self, entry: RecordedRequest) -> None:
        with self._log_lock:
            self.requests.append(entry)

    def handle(self, method: str, raw_path: str, headers: dict[str, str], raw_body: bytes,
               ) -> tuple[int, dict[str, str], bytes]:
        arrived = time.monotonic()
        parsed = urllib.parse.urlsplit(raw_path)
        path = parsed.path
        if self.api_prefix and path.startswith(self.api_prefix):
            path = path[len(self.api_prefix):]
        query = dict(urllib.parse.parse_qsl(parsed.query))
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = None
        fault = self._take_fault(method, urllib.parse.unquote(path))
        if fault is not None and not fault.after_acting:
            status, out_headers, out = self._fault_response(fault)
        else:
            status, payload, extra = self._dispatch(method, path, parsed.path, query, body, headers)
            out_headers = {"Content-Type": "application/json; charset=utf-8", **extra}
            out = b"" if payload is None else json.dumps(payload).encode()
            if fault is not None:
                status, out_headers, out = self._fault_response(fault)
        self._record(RecordedRequest(method, urllib.parse.unquote(path), query, body, status, fault is not None,
                                     headers, arrived))
        return status, {**self._rate_headers(), **out_headers}, out

    @staticmethod
    def _fault_response(fault: Fault) -> tuple[int, dict[str, str], bytes]:
        if isinstance(fault.body, (dict, list)):
            return fault.status, {"Content-Type": "application/json; charset=utf-8", **fault.headers}, \
                json.dumps(fault.body).encode()
        return fault.status, {"Content-Type": "text/plain", **fault.headers}, str(fault.body or "").encode()

    @staticmethod
    def _rate_headers() -> dict[str, str]:
        return {"X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "999", "X-RateLimit-Used": "1",
                "X-RateLimit-Reset": str(int(time.time()) + 3600), "X-RateLimit-Resource": "core",
                "X-GitHub-Api-Version-Selected": "2022-11-28"}

    def _dispatch(self, method: str, path: str, full_path: str, query: dict[str, str], body: Any,
                  headers: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        user = self._authenticate(headers)
        if user is None:
            return 401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}, {}
        if path.startswith("/orgs/") and self._token(headers) not in self.org_readers:
            return 403, {"message": "Resource not accessible by integration",
                         "documentation_url": "https://docs.github.com/rest/teams/teams"}, {}
        for route_method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                request = _Request(self, method, full_path, query, body, user)
                args = [urllib.parse.unquote(g) for g in match.groups()]
                try:
                    result = handler(request, *args)
                except ApiError as exc:
                    error: dict[str, Any] = {"message": exc.message,
                                             "documentation_url": "https://docs.github.com/rest"}
                    if exc.errors:
                        error["errors"] = exc.errors
                    return exc.status, error, {}
                except (KeyError, TypeError, ValueError) as exc:
                    return 422, {"message": f"Invalid request: {exc}"}, {}
                status, payload, *extra = result
                return status, payload, (extra[0] if extra else {})
        return 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}, {}

    def _authenticate(self, headers: dict[str, str]) -> str | None:
        token = self._token(headers)
        return None if token is None else self.tokens.get(token)

    @staticmethod
    def _token(headers: dict[str, str]) -> str | None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        return token.strip() if scheme.lower() in ("token", "bearer") else None

    # --- routes ---------------------------------------------------------------------------
    def _build_routes(self) -> list[tuple[str, re.Pattern, Handler]]:
        repo = f"/repos/{re.escape(self.state.owner)}/{re.escape(self.state.name)}"
        table = [
            ("GET", "/rate_limit", _rate_limit),
            ("GET", "/user", _authenticated_user),
            ("GET", "", _get_repo),
            ("GET", "/pulls", _list_pulls),
            ("POST", "/pulls", _create_pull),
            ("GET", r"/pulls/(\d+)", _get_pull),
            ("PATCH", r"/pulls/(\d+)", _edit_pull),
            ("GET", r"/pulls/(\d+)/merge", _is_merged),
            ("PUT", r"/pulls/(\d+)/merge", _merge_pull),
            ("PUT", r"/pulls/(\d+)/update-branch", _update_branch),
            ("GET", r"/pulls/(\d+)/requested_reviewers", _get_reviewers),
            ("POST", r"/pulls/(\d+)/requested_reviewers", _request_reviewers),
            ("DELETE", r"/pulls/(\d+)/requested_reviewers", _remove_reviewers),
            ("GET", "/issues", _list_issues),
            ("POST", "/issues", _create_issue),
            ("GET", r"/issues/(\d+)", _get_issue),
            ("PATCH", r"/issues/(\d+)", _edit_issue),
            ("GET", r"/issues/(\d+)/comments", _list_comments),
            ("POST", r"/issues/(\d+)/comments", _create_comment),
            ("GET", r"/issues/comments/(\d+)", _get_comment),
            ("PATCH", r"/issues/comments/(\d+)", _edit_comment),
            ("DELETE", r"/issues/comments/(\d+)", _delete_comment),
            ("GET", r"/issues/comments/(\d+)/reactions", _list_comment_reactions),
            ("POST", r"/issues/comments/(\d+)/reactions", _react_to_comment),
            ("GET", r"/issues/(\d+)/reactions", _list_issue_reactions),
            ("POST", r"/issues/(\d+)/reactions", _react_to_issue),
            ("GET", r"/issues/(\d+)/labels", _get_labels),
            ("POST", r"/issues/(\d+)/labels", _add_labels),
            ("PUT", r"/issues/(\d+)/labels", _set_labels),
            ("DELETE", r"/issues/(\d+)/labels/(.+)", _remove_label),
            ("GET", r"/collaborators/([^/]+)/permission", _permission),
            ("GET", r"/collaborators/([^/]+)", _is_collaborator),
            ("GET", r"/orgs/([^/]+)/teams", _list_teams),
            ("GET", r"/orgs/([^/]+)/teams/([^/]+)", _get_team),
            ("GET", r"/orgs/([^/]+)/teams/([^/]+)/repos/([^/]+)/([^/]+)", _team_repo_permission),
            ("GET", r"/commits/([^/]+)", _get_commit),
            ("GET", r"/commits/([^/]+)/check-runs", _check_runs),
            ("GET", r"/commits/([^/]+)/status", _combined_status),
            ("POST", r"/statuses/([0-9a-f]{40})", _create_status),
            ("POST", "/check-runs", _create_check_run),
            ("GET", r"/git/ref/heads/(.+)", _get_ref),
            ("DELETE", r"/git/refs/heads/(.+)", _delete_ref),
        ]
        routes = []
        for method, suffix, handler in table:
            prefix = "" if suffix in ("/rate_limit", "/user") or suffix.startswith("/orgs/") else repo
            routes.append((method, re.compile(prefix + suffix), handler))
        return routes


class _HTTPHandler(BaseHTTPRequestHandler):
    owner: FakeGitHub
    protocol_version = "HTTP/1.1"  # keep-alive, like api.github.com; every answer has a Content-Length
    # headers and body go out in two writes: with Nagle on, the body waits for the client's delayed ACK
    # (~40 ms per request on Linux)
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, out_headers, out = self.owner.handle(self.command, self.path, headers, raw)
        self.send_response(status)
        for key, value in out_headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        if out and self.command != "HEAD":
            self.wfile.write(out)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass


# --- pagination --------------------------------------------------------------------------
def _paginate(request: _Request, items: list) -> tuple[list, dict[str, str]]:
    per_page = max(1, min(100, int(request.query.get("per_page", 30))))
    page = max(1, int(request.query.get("page", 1)))
    last = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page: page * per_page]

    def link(n: int) -> str:
        query = urllib.parse.urlencode({**request.query, "page": n, "per_page": per_page})
        return f"<{request.fake.web_url}{request.path}?{query}>"

    rels = []
    if page < last:
        rels += [f'{link(page + 1)}; rel="next"', f'{link(last)}; rel="last"']
    if page > 1:
        rels += [f'{link(1)}; rel="first"', f'{link(page - 1)}; rel="prev"']
    return chunk, ({"Link": ", ".join(rels)} if rels else {})


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


# --- handlers ----------------------------------------------------------------------------
def _rate_limit(req: _Request):
    core = {"limit": 1000, "remaining": 999, "reset": int(time.time()) + 3600, "used": 1}
    return 200, {"resources": {"core": core, "search": core, "graphql": core}, "rate": core}


def _authenticated_user(req: _Request):
    user = req.fake.state.user(req.user)
    if user.type == "Bot":  # installation tokens cannot read /user
        raise ApiError(403, "Resource not accessible by integration")
    return 200, req.fake.renderer().user(req.user)


def _get_repo(req: _Request):
    return 200, req.fake.renderer().repository()


def _list_pulls(req: _Request):
    records = req.fake.state.list_pulls(state=req.query.get("state", "open"), head=req.query.get("head"),
                                        base=req.query.get("base"))
    if req.query.get("direction") == "asc":
        records.reverse()
    page, headers = _paginate(req, records)
    render = req.fake.renderer()
    return 200, [render.pull(r, full=False) for r in page], headers


def _create_pull(req: _Request):
    body = req.body or {}
    record = req.fake.state.create_pull(
        user=req.user, head=body["head"], base=body["base"], title=body.get("title") or "",
        body=body.get("body") or "", draft=_flag(body.get("draft")),
        maintainer_can_modify=_flag(body.get("maintainer_can_modify")))
    data = req.fake.renderer().pull(record)
    return 201, data, {"Location": data["url"]}


def _get_pull(req: _Request, number: str):
    return 200, req.fake.renderer().pull(req.fake.state.pull(int(number)))


def _edit_pull(req: _Request, number: str):
    record = req.fake.state.edit_pull(int(number), req.body or {})
    return 200, req.fake.renderer().pull(record)


def _is_merged(req: _Request, number: str):
    if req.fake.state.pull(int(number)).merged:
        return 204, None
    return 404, {"message": "Not Found"}


def _merge_pull(req: _Request, number: str):
    body = req.body or {}
    record = req.fake.state.merge_pull(int(number), user=req.user, sha=body.get("sha"),
                                       method=body.get("merge_method", "merge"),
                                       title=body.get("commit_title"), message=body.get("commit_message"))
    return 200, {"sha": record.merge_commit_sha, "merged": True, "message": "Pull Request successfully merged"}


def _reviewers_payload(req: _Request, record) -> dict:
    render = req.fake.renderer()
    return {"users": [render.user(u) for u in record.requested_reviewers],
            "teams": [render.team(req.fake.state.teams[t]) for t in record.requested_teams]}


def _get_reviewers(req: _Request, number: str):
    return 200, _reviewers_payload(req, req.fake.state.pull(int(number)))


def _request_reviewers(req: _Request, number: str):
    body = req.body or {}
    users, teams = list(body.get("reviewers") or []), list(body.get("team_reviewers") or [])
    if not users and not teams:  # GitHub: one of the two is required
        raise ApiError(422, "Validation Failed", [{"resource": "PullRequest", "field": "reviewers",
                                                   "code": "missing_field"}])
    record = req.fake.state.request_reviewers(int(number), users, teams)
    return 201, req.fake.renderer().pull(record)


def _remove_reviewers(req: _Request, number: str):
    body = req.body or {}
    record = req.fake.state.remove_reviewers(int(number), list(body.get("reviewers") or []),
                                             list(body.get("team_reviewers") or []))
    return 200, req.fake.renderer().pull(record)


def _update_branch(req: _Request, number: str):
    record = req.fake.state.update_branch(int(number), user=req.user,
                                          expected_head_sha=(req.body or {}).get("expected_head_sha"))
    return 202, {"message": "Updating pull request branch.", "url": f"{req.fake.web_url}/repos/"
                 f"{req.fake.state.full_name}/pulls/{record.number}"}


def _list_issues(req: _Request):
    labels = [x for x in req.query.get("labels", "").split(",") if x]
    records = req.fake.state.list_issues(state=req.query.get("state", "open"), labels=labels,
                                         creator=req.query.get("creator"))
    page, headers = _paginate(req, records)
    render = req.fake.renderer()
    return 200, [render.issue(r) for r in page], headers


def _create_issue(req: _Request):
    body = req.body or {}
    record = req.fake.state.create_issue(user=req.user, title=body.get("title") or "", body=body.get("body") or "",
                                         labels=list(body.get("labels") or []))
    data = req.fake.renderer().issue(record)
    return 201, data, {"Location": data["url"]}


def _get_issue(req: _Request, number: str):
    return 200, req.fake.renderer().issue(req.fake.state.issue(int(number)))


def _edit_issue(req: _Request, number: str):
    return 200, req.fake.renderer().issue(req.fake.state.edit_issue(int(number), req.body or {}))


def _list_comments(req: _Request, number: str):
    page, headers = _paginate(req, req.fake.state.comments_of(int(number)))
    render = req.fake.renderer()
    return 200, [render.comment(c) for c in page], headers


def _create_comment(req: _Request, number: str):
    comment = req.fake.state.add_comment(int(number), user=req.user, body=(req.body or {}).get("body") or "")
    data = req.fake.renderer().comment(comment)
    return 201, data, {"Location": data["url"]}


def _get_comment(req: _Request, comment_id: str):
    return 200, req.fake.renderer().comment(req.fake.state.comment(int(comment_id)))


def _edit_comment(req: _Request, comment_id: str):
    comment = req.fake.state.edit_comment(int(comment_id), (req.body or {}).get("body") or "")
    return 200, req.fake.renderer().comment(comment)


def _delete_comment(req: _Request, comment_id: str):
    req.fake.state.delete_comment(int(comment_id))
    return 204, None


def _list_reactions(req: _Request, reactions: list):
    content = req.query.get("content")
    chosen = [r for r in reactions if not content or r.content == content]
    page, headers = _paginate(req, chosen)
    render = req.fake.renderer()
    return 200, [render.reaction(r) for r in page], headers


def _react(req: _Request, reactions: list):
    reaction, created = req.fake.state.react(reactions, user=req.user, content=(req.body or {}).get("content", ""))
    return (201 if created else 200), req.fake.renderer().reaction(reaction)


def _list_comment_reactions(req: _Request, comment_id: str):
    return _list_reactions(req, req.fake.state.comment(int(comment_id)).reactions)


def _react_to_comment(req: _Request, comment_id: str):
    return _react(req, req.fake.state.comment(int(comment_id)).reactions)


def _list_issue_reactions(req: _Request, number: str):
    return _list_reactions(req, req.fake.state.issue(int(number)).reactions)


def _react_to_issue(req: _Request, number: str):
    return _react(req, req.fake.state.issue(int(number)).reactions)


def _label_names(body: Any) -> list[str]:
    items = body.get("labels", []) if isinstance(body, dict) else (body or [])
    return [item["name"] if isinstance(item, dict) else str(item) for item in items]


def _labels_payload(req: _Request, names: list[str]):
    render = req.fake.renderer()
    return 200, [render.label(n) for n in names]


def _get_labels(req: _Request, number: str):
    return _labels_payload(req, req.fake.state.issue(int(number)).labels)


def _add_labels(req: _Request, number: str):
    return _labels_payload(req, req.fake.state.add_labels(int(number), _label_names(req.body)))


def _set_labels(req: _Request, number: str):
    return _labels_payload(req, req.fake.state.set_labels(int(number), _label_names(req.body)))


def _remove_label(req: _Request, number: str, name: str):
    return _labels_payload(req, req.fake.state.remove_label(int(number), name))


def _is_collaborator(req: _Request, login: str):
    if not req.fake.state.is_collaborator(login):
        raise ApiError(404, "Not Found")
    return 204, None


def _list_teams(req: _Request, org: str):
    if org.lower() != req.fake.state.owner.lower():
        raise ApiError(404, "Not Found")
    page, headers = _paginate(req, sorted(req.fake.state.teams.values(), key=lambda t: t.slug))
    render = req.fake.renderer()
    return 200, [render.team(t) for t in page], headers


def _get_team(req: _Request, org: str, slug: str):
    return 200, req.fake.renderer().team(req.fake.state.team(org, slug))


def _team_repo_permission(req: _Request, org: str, slug: str, owner: str, repo: str):
    req.fake.state.team_repo_permission(org, slug, owner, repo)
    return 204, None


def _permission(req: _Request, login: str):
    legacy, role, user = req.fake.state.permission(login)
    return 200, {"permission": legacy, "role_name": role, "user": req.fake.renderer().user(user.login)}


def _get_commit(req: _Request, ref: str):
    sha = req.fake.state.commit_sha(ref)
    return 200, req.fake.renderer().commit(req.fake.state.git.commit_info(sha))


def _check_runs(req: _Request, ref: str):
    sha = req.fake.state.commit_sha(ref)
    runs = req.fake.state.check_runs_for(sha, name=req.query.get("check_name"), status=req.query.get("status"),
                                         latest=req.query.get("filter", "latest") == "latest")
    page, headers = _paginate(req, runs)
    render = req.fake.renderer()
    return 200, {"total_count": len(runs), "check_runs": [render.check_run(r) for r in page]}, headers


def _combined_status(req: _Request, ref: str):
    sha = req.fake.state.commit_sha(ref)
    return 200, req.fake.renderer().combined_status(sha)


def _create_status(req: _Request, sha: str):
    body = req.body or {}
    status = req.fake.state.add_status(sha, body.get("context", "default"), body.get("state", ""),
                                       body.get("description") or "", body.get("target_url"))
    return 201, req.fake.renderer().status(status)


def _create_check_run(req: _Request):
    body = req.body or {}
    run = req.fake.state.add_check_run(body["head_sha"], body["name"], status=body.get("status", "queued"),
                                       conclusion=body.get("conclusion"))
    return 201, req.fake.renderer().check_run(run)


def _get_ref(req: _Request, branch: str):
    sha = req.fake.state.git.branch_sha(branch)
    if sha is None:
        raise ApiError(404, "Not Found")
    return 200, req.fake.renderer().git_ref(branch, sha)


def _delete_ref(req: _Request, branch: str):
    req.fake.state.delete_branch(branch)
    return 204, None
