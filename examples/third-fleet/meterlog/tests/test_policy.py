from tenacity import wait_exponential

from meterlog import DEFAULT_POLICY, RetryPolicy


def test_the_default_policy_is_short():
    assert DEFAULT_POLICY.attempts == 4
    assert isinstance(DEFAULT_POLICY.wait, wait_exponential)


def test_a_policy_is_plain_data():
    tuned = DEFAULT_POLICY._replace(attempts=9)
    assert tuned == RetryPolicy(9, DEFAULT_POLICY.wait)
