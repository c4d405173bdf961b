"""Comment commands on the bot's PRs: parsing and permission checks (`parse`), their effects (`actions`)."""
