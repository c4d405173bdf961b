"""A local fake of the GitHub REST API for tests: real HTTP on 127.0.0.1, a real bare git repository
behind it, injectable faults and a request log.

    with FakeGitHub(bare_repo_path) as gh:
        forge = GitHubForge(repo=f"{gh.state.owner}/{gh.state.name}", token=gh.token, api_url=gh.api_url)
        gh.inject(Fault.bad_gateway("POST", r"/pulls$"))
"""
from .server import DEFAULT_TOKEN, Fault, FakeGitHub, RecordedRequest
from .state import BOT_LOGIN, ApiError, RepoState

__all__ = ["ApiError", "BOT_LOGIN", "DEFAULT_TOKEN", "FakeGitHub", "Fault", "RecordedRequest", "RepoState"]
