"""An async read-through cache."""


class Cache:
    def __init__(self, loader) -> None:
        self.loader = loader
        self.values: dict[str, object] = {}

    async def get(self, key: str):
        if key not in self.values:
            self.values[key] = await self.loader(key)
        return self.values[key]
