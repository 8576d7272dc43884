module kapacitor-udf-host/bench/socket-floor

go 1.21
