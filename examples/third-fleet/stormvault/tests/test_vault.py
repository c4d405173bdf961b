import datetime as dt
import unittest
from unittest import mock

from fake_influx import FakeInflux

from stormvault import StormVault, __version__, storm_warning

NOON = dt.datetime(2024, 2, 18, 12, 0, tzinfo=dt.timezone.utc)


class StormVaultTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.influx = FakeInflux()
        cls.influx.start()

    @classmethod
    def tearDownClass(cls):
        cls.influx.stop()

    def setUp(self):
        self.influx.reset()
        self.vault = StormVault(self.influx.url, "t0ken", "met-office")

    def tearDown(self):
        self.vault.close()

    def test_an_observation_is_one_line(self):
        self.vault.observe("sylt", 27.4, NOON)

        (params, body), = self.influx.writes
        self.assertEqual(params["bucket"], "storms")
        self.assertEqual(body, "wind,station=sylt gust_ms=27.4 1708257600")

    def test_the_peak_gust_is_the_largest_value(self):
        self.influx.rows += [("2024-02-18T11:00:00Z", 18.2, "sylt"), ("2024-02-18T11:30:00Z", 29.9, "sylt")]

        self.assertEqual(self.vault.peak_gust("sylt"), 29.9)
        self.assertIn('r.station == "sylt"', self.influx.queries[0])

    def test_no_readings_no_peak(self):
        self.assertIsNone(self.vault.peak_gust("helgoland", hours=1))


class StormWarningTest(unittest.TestCase):
    def test_levels(self):
        vault = mock.Mock(spec=StormVault)
        for gust, level in [(None, "no data"), (12.0, "none"), (25.0, "storm"), (33.0, "hurricane")]:
            vault.peak_gust.return_value = gust
            self.assertEqual(storm_warning(vault, "sylt"), level)
        vault.peak_gust.assert_called_with("sylt", hours=3)

    @mock.patch.object(StormVault, "peak_gust", autospec=True, return_value=30.0)
    def test_a_real_vault_is_asked_for_three_hours(self, peak_gust):
        vault = StormVault("http://influx.met.local:8086", "t0ken", "met-office")
        try:
            self.assertEqual(storm_warning(vault, "list"), "storm")
        finally:
            vault.close()
        peak_gust.assert_called_once_with(vault, "list", hours=3)


def test_the_installed_package_has_a_version():
    assert __version__
