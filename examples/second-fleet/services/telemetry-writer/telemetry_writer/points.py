from influxdb_client import Point, WritePrecision


def reading_point(reading):
    point = Point("reading").tag("sensor", reading["sensor"])
    for name, value in sorted(reading["values"].items()):
        point = point.field(name, value)
    return point.time(reading["ts"], WritePrecision.S)
