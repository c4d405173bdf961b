"""Changing a service: recipes, their rules, the edit plan and the import editor (docs/recipes.md)."""
