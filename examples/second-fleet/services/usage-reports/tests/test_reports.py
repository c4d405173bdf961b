import pytest
from influx_stub import running_stub

from usage_reports.reports import RejectedUsage, UsageReports

TOTALS_CSV = (
    "#datatype,string,long,string,long\r\n"
    "#group,false,false,true,false\r\n"
    "#default,_result,,,\r\n"
    ",result,table,customer,_value\r\n"
    ",,0,acme,42\r\n"
    ",,1,globex,7\r\n\r\n"
)


@pytest.fixture
def stub():
    server = running_stub()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def reports(stub):
    r = UsageReports(stub.url, token="t")
    yield r
    r.close()


def test_usage_is_written_as_integer_units(stub, reports):
    reports.record("acme", 12)
    assert stub.written == ["usage,customer=acme units=12i"]


def test_rejected_usage_is_reported(stub, reports):
    stub.reject = "field type conflict"
    with pytest.raises(RejectedUsage, match="field type conflict"):
        reports.record("acme", 1)


@pytest.mark.manual_migration(reason="INF101: Flux query; InfluxDB 3 needs SQL")
def test_totals_per_customer(stub, reports):
    stub.csv = TOTALS_CSV
    assert reports.totals() == {"acme": 42, "globex": 7}
    assert 'r._measurement == "usage"' in stub.queries[0]
