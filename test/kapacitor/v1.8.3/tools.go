//go:build tools

// Package tools pins the Kapacitor commands the end-to-end tests and benchmarks build.
// Nothing of Kapacitor's source is kept in this repository: the Go module proxy supplies it.
package tools

import (
	_ "github.com/influxdata/kapacitor/cmd/kapacitor"
	_ "github.com/influxdata/kapacitor/cmd/kapacitord"
)
