// A task that keeps one-minute aggregates of the warden samples in a second
// bucket, so the raw bucket can have a short retention and history stays.
//
//   influx bucket create --name warden_1m --retention 1825d
//   influx task create --file deploy/influxdb/downsample.flux
//
// It reads the last ten minutes every five, so late samples (up to five
// minutes) are still counted; a window written twice is overwritten, not
// doubled. Bad samples carry no value field and so never take part. The
// fields of warden_1m are mean, min, max (floats, bools as 0/1) and count.

option task = {name: "warden-downsample-1m", every: 5m, offset: 30s}

raw = "warden"
rollup = "warden_1m"

numbers =
    from(bucket: raw)
        |> range(start: -10m)
        |> filter(
            fn: (r) =>
                r._measurement == "warden_sample"
                    and (r._field == "value" or r._field == "value_bool"),
        )
        |> toFloat()
        |> group(columns: ["_measurement", "device", "point"])

numbers
    |> aggregateWindow(every: 1m, fn: mean, createEmpty: false)
    |> set(key: "_field", value: "mean")
    |> to(bucket: rollup)

numbers
    |> aggregateWindow(every: 1m, fn: min, createEmpty: false)
    |> set(key: "_field", value: "min")
    |> to(bucket: rollup)

numbers
    |> aggregateWindow(every: 1m, fn: max, createEmpty: false)
    |> set(key: "_field", value: "max")
    |> to(bucket: rollup)

numbers
    |> aggregateWindow(every: 1m, fn: count, createEmpty: false)
    |> toFloat()
    |> set(key: "_field", value: "count")
    |> to(bucket: rollup)
