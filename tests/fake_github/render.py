"""GitHub-shaped JSON for the fake's records. Every `url` points back at the fake (same host, port and
API prefix), because PyGithub follows those URLs and refuses any other host."""
from __future__ import annotations

from dataclasses import dataclass

from .git_backend import CommitInfo
from .state import CheckRun, CommentRecord, CommitStatus, IssueRecord, Reaction, RepoState, Team, User


@dataclass
class Urls:
    api: str  # e.g. http://127.0.0.1:5000 or http://127.0.0.1:5000/api/v3
    web: str  # e.g. http://127.0.0.1:5000
    owner: str
    repo: str

    @property
    def repo_api(self) -> str:
        return f"{self.api}/repos/{self.owner}/{self.repo}"

    @property
    def repo_web(self) -> str:
        return f"{self.web}/{self.owner}/{self.repo}"


class Renderer:
    def __init__(self, state: RepoState, urls: Urls) -> None:
        self.state, self.urls = state, urls

    def user(self, login: str) -> dict:
        user: User = self.state.user(login)
        return {
            "login": user.login, "id": user.id, "node_id": f"U_{user.id}", "type": user.type,
            "site_admin": False, "url": f"{self.urls.api}/users/{user.login}",
            "html_url": f"{self.urls.web}/{user.login}",
            "avatar_url": f"{self.urls.web}/avatars/{user.id}",
        }

    def repository(self) -> dict:
        u, s = self.urls, self.state
        return {
            "id": 1, "node_id": "R_1", "name": s.name, "full_name": s.full_name, "private": s.private,
            "owner": self.user(s.owner), "html_url": u.repo_web, "url": u.repo_api,
            "default_branch": s.default_branch, "visibility": "private" if s.private else "public",
            "fork": False, "archived": False, "disabled": False,
            "pulls_url": f"{u.repo_api}/pulls{{/number}}", "issues_url": f"{u.repo_api}/issues{{/number}}",
            "clone_url": f"{u.repo_web}.git",
            "permissions": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
        }

    def team(self, team: Team) -> dict:
        url = f"{self.urls.api}/organizations/1/team/{team.id}"
        return {"id": team.id, "node_id": f"T_{team.id}", "slug": team.slug, "name": team.name,
                "description": None, "privacy": team.privacy, "notification_setting": "notifications_enabled",
                "permission": team.permission or "pull", "url": url,
                "html_url": f"{self.urls.web}/orgs/{self.state.owner}/teams/{team.slug}",
                "members_url": f"{url}/members{{/member}}", "repositories_url": f"{url}/repos", "parent": None}

    def label(self, name: str) -> dict:
        return {"id": abs(hash(name)) % 10_000_000, "node_id": f"LA_{name}", "name": name, "color": "ededed",
                "default": False, "description": None, "url": f"{self.urls.repo_api}/labels/{name}"}

    def _reactions_summary(self, reactions: list[Reaction], url: str) -> dict:
        summary = {key: 0 for key in ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")}
        for reaction in reactions:
            summary[reaction.content] += 1
        return {"url": url, "total_count": len(reactions), **summary}

    def _branch(self, ref: str, sha: str) -> dict:
        return {"label": f"{self.state.owner}:{ref}", "ref": ref, "sha": sha,
                "user": self.user(self.state.owner), "repo": self.repository()}

    def pull(self, pr: IssueRecord, *, full: bool = True) -> dict:
        u = self.urls
        url = f"{u.repo_api}/pulls/{pr.number}"
        data = {
            "id": 500000 + pr.number, "node_id": f"PR_{pr.number}", "number": pr.number, "url": url,
            "html_url": f"{u.repo_web}/pull/{pr.number}", "diff_url": f"{u.repo_web}/pull/{pr.number}.diff",
            "patch_url": f"{u.repo_web}/pull/{pr.number}.patch",
            "issue_url": f"{u.repo_api}/issues/{pr.number}",
            "comments_url": f"{u.repo_api}/issues/{pr.number}/comments",
            "review_comments_url": f"{url}/comments", "commits_url": f"{url}/commits",
            "statuses_url": f"{u.repo_api}/statuses/{pr.head_sha}",
            "state": pr.state, "locked": False, "title": pr.title, "body": pr.body or None,
            "user": self.user(pr.user), "labels": [self.label(n) for n in pr.labels],
            "created_at": pr.created_at, "updated_at": pr.updated_at, "closed_at": pr.closed_at,
            "merged_at": pr.merged_at, "merge_commit_sha": pr.merge_commit_sha, "draft": pr.draft,
            "assignees": [], "requested_reviewers": [self.user(r) for r in pr.requested_reviewers],
            "requested_teams": [self.team(self.state.teams[t]) for t in pr.requested_teams], "head": self._branch(pr.head, pr.head_sha),
            "base": self._branch(pr.base, pr.base_sha), "author_association": self._association(pr.user),
            "auto_merge": None,
        }
        if full:  # fields GitHub only sends for a single pull request, not in lists
            data.update({
                "merged": pr.merged, "mergeable": None if pr.merged else pr.state == "open",
                "mergeable_state": "clean" if pr.state == "open" else "unknown", "rebaseable": True,
                "merged_by": self.user(pr.merged_by) if pr.merged_by else None,
                "comments": len(self.state.comments_of(pr.number)), "review_comments": 0,
                "maintainer_can_modify": pr.maintainer_can_modify, "commits": 1, "additions": 1,
                "deletions": 0, "changed_files": 1,
            })
        return data

    def issue(self, record: IssueRecord) -> dict:
        u = self.urls
        url = f"{u.repo_api}/issues/{record.number}"
        data = {
            "id": 700000 + record.number, "node_id": f"I_{record.number}", "number": record.number, "url": url,
            "repository_url": u.repo_api, "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments", "events_url": f"{url}/events",
            "html_url": f"{u.repo_web}/{'pull' if record.is_pull else 'issues'}/{record.number}",
            "title": record.title, "body": record.body or None, "user": self.user(record.user),
            "labels": [self.label(n) for n in record.labels], "state": record.state,
            "state_reason": ("completed" if record.state == "closed" else None), "locked": False,
            "assignee": None, "assignees": [], "milestone": None,
            "comments": len(self.state.comments_of(record.number)), "created_at": record.created_at,
            "updated_at": record.updated_at, "closed_at": record.closed_at,
            "author_association": self._association(record.user),
            "reactions": self._reactions_summary(record.reactions, f"{url}/reactions"),
        }
        if record.is_pull:
            data["pull_request"] = {
                "url": f"{u.repo_api}/pulls/{record.number}", "html_url": f"{u.repo_web}/pull/{record.number}",
                "diff_url": f"{u.repo_web}/pull/{record.number}.diff",
                "patch_url": f"{u.repo_web}/pull/{record.number}.patch", "merged_at": record.merged_at,
            }
            data["draft"] = record.draft
        return data

    def comment(self, comment: CommentRecord) -> dict:
        u = self.urls
        url = f"{u.repo_api}/issues/comments/{comment.id}"
        return {
            "id": comment.id, "node_id": f"IC_{comment.id}", "url": url,
            "html_url": f"{u.repo_web}/pull/{comment.issue_number}#issuecomment-{comment.id}",
            "issue_url": f"{u.repo_api}/issues/{comment.issue_number}", "body": comment.body,
            "user": self.user(comment.user), "created_at": comment.created_at, "updated_at": comment.updated_at,
            "author_association": self._association(comment.user),
            "reactions": self._reactions_summary(comment.reactions, f"{url}/reactions"),
        }

    def reaction(self, reaction: Reaction) -> dict:
        return {"id": reaction.id, "node_id": f"REA_{reaction.id}", "user": self.user(reaction.user),
                "content": reaction.content, "created_at": reaction.created_at}

    def _association(self, login: str) -> str:
        user = self.state.users.get(login)
        if login == self.state.owner:
            return "OWNER"
        if user is not None and user.role not in ("none",):
            return "COLLABORATOR"
        return "NONE"

    def check_run(self, run: CheckRun) -> dict:
        u = self.urls
        return {
            "id": run.id, "node_id": f"CR_{run.id}", "name": run.name, "head_sha": run.head_sha,
            "external_id": "", "url": f"{u.repo_api}/check-runs/{run.id}",
            "html_url": f"{u.repo_web}/runs/{run.id}", "details_url": f"{u.repo_web}/runs/{run.id}",
            "status": run.status, "conclusion": run.conclusion, "started_at": run.started_at,
            "completed_at": run.completed_at,
            "output": {"title": None, "summary": None, "text": None, "annotations_count": 0,
                       "annotations_url": f"{u.repo_api}/check-runs/{run.id}/annotations"},
            "check_suite": {"id": run.id}, "app": {"id": 15368, "slug": "github-actions", "name": "GitHub Actions"},
            "pull_requests": [],
        }

    def status(self, status: CommitStatus) -> dict:
        return {"id": status.id, "node_id": f"SC_{status.id}", "state": status.state,
                "context": status.context, "description": status.description or None,
                "target_url": status.target_url, "created_at": status.created_at,
                "updated_at": status.created_at, "url": f"{self.urls.repo_api}/statuses/{status.id}",
                "avatar_url": None, "creator": self.user(self.state.owner)}

    def combined_status(self, sha: str) -> dict:
        state, statuses = self.state.combined_status(sha)
        return {"state": state, "statuses": [self.status(s) for s in statuses], "sha": sha,
                "total_count": len(statuses), "repository": self.repository(),
                "commit_url": f"{self.urls.repo_api}/commits/{sha}",
                "url": f"{self.urls.repo_api}/commits/{sha}/status"}

    def commit(self, info: CommitInfo) -> dict:
        u = self.urls
        return {
            "sha": info.sha, "node_id": f"C_{info.sha}", "url": f"{u.repo_api}/commits/{info.sha}",
            "html_url": f"{u.repo_web}/commit/{info.sha}",
            "commit": {
                "url": f"{u.repo_api}/git/commits/{info.sha}", "message": info.message,
                "author": {"name": info.author_name, "email": info.author_email, "date": info.author_date},
                "committer": {"name": info.committer_name, "email": info.committer_email,
                              "date": info.committer_date},
                "tree": {"sha": info.tree, "url": f"{u.repo_api}/git/trees/{info.tree}"},
                "comment_count": 0,
            },
            "author": None, "committer": None,
            "parents": [{"sha": p, "url": f"{u.repo_api}/commits/{p}"} for p in info.parents],
            "files": [], "stats": {"additions": 0, "deletions": 0, "total": 0},
        }

    def git_ref(self, branch: str, sha: str) -> dict:
        u = self.urls
        return {"ref": f"refs/heads/{branch}", "node_id": f"REF_{branch}",
                "url": f"{u.repo_api}/git/refs/heads/{branch}",
                "object": {"sha": sha, "type": "commit", "url": f"{u.repo_api}/git/commits/{sha}"}}
