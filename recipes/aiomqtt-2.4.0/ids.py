"""Rule ids the service-wide facts decide for (consumer_plan.py): the same ids as the rule classes' own, which
tests/test_recipe_aiomqtt.py checks. Ids are never reused or renumbered: PRs and dashboards cite them."""
from __future__ import annotations

MESSAGES_CONTEXT = "MQ007"
UNFILTERED_MESSAGES = "MQ008"
FILTERED_MESSAGES = "MQ009"
TOPIC_AS_STRING = "MQ010"
QUEUE_MAXSIZE = "MQ011"
SEVERAL_CONSUMERS = "MQ012"
STREAM_NOT_REWRITABLE = "MQ013"
MESSAGE_LEAVES_LOOP = "MQ014"
TOPIC_ALREADY_OBJECT = "MQ015"
QUEUE_MAXSIZE_UNPLACED = "MQ019"
CONNECT_AS_CONTEXT = "MQ021"
PAHO_CALLBACK_API_VERSION = "MQ023"
