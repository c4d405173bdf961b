"""Change: recipes and their rules, applying one to a service in memory (codemod + requirements bump,
through one edit plan and one import editor), what a job's result depends on, and the fixture harness that
proves a recipe (docs/recipes.md)."""
