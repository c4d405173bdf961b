"""An in-memory, async-loaded search index over automation blueprints."""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Blueprint:
    slug: str
    title: str
    domain: str
    tags: tuple[str, ...] = ()


@dataclass
class BlueprintIndex:
    _by_slug: dict[str, Blueprint] = field(default_factory=dict)
    _terms: dict[str, set[str]] = field(default_factory=dict)

    async def load(self, catalog: list[Blueprint]) -> int:
        for blueprint in catalog:
            await asyncio.sleep(0)  # catalog pages arrive from the blueprint exchange
            self.add(blueprint)
        return len(self._by_slug)

    def add(self, blueprint: Blueprint) -> None:
        self._by_slug[blueprint.slug] = blueprint
        for term in _terms(blueprint):
            self._terms.setdefault(term, set()).add(blueprint.slug)

    async def search(self, query: str, domain: str | None = None) -> list[Blueprint]:
        words = re.findall(r"\w+", query.lower())
        if not words:
            return []
        slugs = set.intersection(*(self._terms.get(word, set()) for word in words))
        hits = [self._by_slug[slug] for slug in sorted(slugs)]
        return [b for b in hits if domain is None or b.domain == domain]

    def __len__(self) -> int:
        return len(self._by_slug)


def _terms(blueprint: Blueprint) -> set[str]:
    return set(re.findall(r"\w+", blueprint.title.lower())) | {t.lower() for t in blueprint.tags}
