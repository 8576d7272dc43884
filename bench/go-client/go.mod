module kapacitor-udf-host/bench/go-client

go 1.21
