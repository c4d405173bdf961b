"""Counters the site agent scrapes."""
BACKOFFS = []  # attempt numbers after which a stop command backed off
