"""Change: recipes, applying one to a service in memory (codemod + requirements bump), what a job's result
depends on, and the fixture harness that proves a recipe."""
