// Command socket-floor measures what the kernel charges a reader for the frames Kapacitor writes
// to a UDF: every frame as two write(2) calls, the length prefix and then the body. On a Unix
// stream socket (socket mode) every write lands as a buffer of its own, which the reader pays
// for one by one; on a pipe (process mode: Kapacitor's StdinPipe) small writes are merged into
// the pipe's pages, so one read costs the same whatever number of writes filled it. It is the
// floor under any host's CPU a point for that write pattern, whatever the host does in user space.
//
// A writer thread and a reader thread share a socketpair or a pipe. For each transport, each
// write mode and each count of frames a read, the writer writes that many frames and the reader,
// once they are all queued, drains them with reads of up to 64 KiB. Each thread's CPU is read
// around its own work only; the two hand over by spinning on an atomic counter outside it, so no
// futex or wake-up is counted. One JSON line is printed a measurement.
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

const clockThreadCPUTime = 3 // CLOCK_THREAD_CPUTIME_ID, not exported by package syscall

// cpuNow is the calling thread's CPU time, exact to the nanosecond: clock_gettime of
// CLOCK_THREAD_CPUTIME_ID brings the scheduler's count up to date, where getrusage's is only as
// fresh as the last tick. User and system time are not told apart (the kernel splits them by
// sampling at ticks); around a read loop the user code is a few instructions a call, so what is
// measured there is the kernel's cost of the reads, their entry and exit included.
func cpuNow() time.Duration {
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		panic(errno)
	}
	return time.Duration(ts.Nano())
}

// clockCost is what one window of measurement costs by itself (two cpuNow calls), taken off
// every window measured.
func clockCost() time.Duration {
	const n = 20000
	var total time.Duration
	for i := 0; i < n; i++ {
		start := cpuNow()
		total += cpuNow() - start
	}
	return total / n
}

type result struct {
	Case           string  `json:"case"`
	Transport      string  `json:"transport"`
	Writes         string  `json:"writes"`
	FramesPerRead  int     `json:"framesPerRead"`
	FrameBytes     int     `json:"frameBytes"`
	Frames         int     `json:"frames"`
	Reads          int     `json:"reads"`
	ReaderCPUFrame float64 `json:"readerCpuUsPerFrame"`
	WriterCPUFrame float64 `json:"writerCpuUsPerFrame"`
	ReadsAFrame    float64 `json:"readsPerFrame"`
}

// frame is one length-prefixed frame as Kapacitor sends it: a protobuf varint of the body's
// length, then the body.
func frame(bodyBytes int) (prefix, body []byte) {
	prefix = binary.AppendUvarint(nil, uint64(bodyBytes))
	body = make([]byte, bodyBytes)
	for i := range body {
		body[i] = byte(i)
	}
	return prefix, body
}

func writeAll(fd int, b []byte) {
	for len(b) > 0 {
		n, err := syscall.Write(fd, b)
		if err != nil {
			panic(err)
		}
		b = b[n:]
	}
}

// channel opens the two ends, writer's first: a socketpair as in socket mode, or a pipe as in
// process mode. A whole drain's worth of frames must fit in it, or the writer would block while
// the reader waits for it to finish.
func channel(transport string) [2]int {
	if transport == "pipe" {
		var p [2]int
		if err := syscall.Pipe(p[:]); err != nil {
			panic(err)
		}
		// F_SETPIPE_SZ to 1 MiB, the default unprivileged maximum. Best effort: the default
		// 64 KiB holds 100 frames of the mirror workload's size.
		_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, uintptr(p[1]), 1031, 1<<20)
		return [2]int{p[1], p[0]}
	}
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		panic(err)
	}
	// Root may raise the buffer past wmem_max.
	const sendBuffer = 4 << 20
	if syscall.SetsockoptInt(fds[0], syscall.SOL_SOCKET, syscall.SO_SNDBUFFORCE, sendBuffer) != nil {
		_ = syscall.SetsockoptInt(fds[0], syscall.SOL_SOCKET, syscall.SO_SNDBUF, sendBuffer)
	}
	return fds
}

func measure(transport, writes string, framesPerRead, bodyBytes, frames int) result {
	fds := channel(transport)
	defer syscall.Close(fds[0])
	defer syscall.Close(fds[1])
	prefix, body := frame(bodyBytes)
	frameLen := len(prefix) + len(body)
	batch := make([]byte, 0, frameLen*framesPerRead)
	for i := 0; i < framesPerRead; i++ {
		batch = append(append(batch, prefix...), body...)
	}
	batches := frames / framesPerRead

	var written, drained atomic.Int64 // batches written, batches read
	writerCPU := make(chan time.Duration)
	go func() {
		runtime.LockOSThread()
		cost := clockCost()
		var spent time.Duration
		for b := 1; b <= batches; b++ {
			for drained.Load() < int64(b-1) {
			}
			start := cpuNow()
			if writes == "kapacitor" {
				for i := 0; i < framesPerRead; i++ {
					writeAll(fds[0], prefix)
					writeAll(fds[0], body)
				}
			} else {
				writeAll(fds[0], batch)
			}
			spent += cpuNow() - start - cost
			written.Store(int64(b))
		}
		writerCPU <- spent
	}()

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cost := clockCost()
	buf := make([]byte, 64*1024)
	want := frameLen * framesPerRead
	reads := 0
	var spent time.Duration
	for b := 1; b <= batches; b++ {
		deadline := time.Now().Add(5 * time.Second)
		for written.Load() < int64(b) {
			if time.Now().After(deadline) {
				fmt.Fprintf(os.Stderr, "socket-floor: the writer blocked: %d frames do not fit in the %s's buffer\n", framesPerRead, transport)
				os.Exit(1)
			}
		}
		start := cpuNow()
		for got := 0; got < want; {
			n, err := syscall.Read(fds[1], buf)
			if err != nil {
				panic(err)
			}
			got += n
			reads++
		}
		spent += cpuNow() - start - cost
		drained.Store(int64(b))
	}
	w := <-writerCPU
	n := float64(batches * framesPerRead)
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 / n }
	return result{
		Case: "socket-floor", Transport: transport, Writes: writes, FramesPerRead: framesPerRead, FrameBytes: frameLen,
		Frames: batches * framesPerRead, Reads: reads,
		ReaderCPUFrame: round(us(spent)), WriterCPUFrame: round(us(w)),
		ReadsAFrame: round(float64(reads) / n),
	}
}

func round(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }

func main() {
	frames := flag.Int("frames", 200000, "frames per measurement")
	body := flag.Int("body", 128, "bytes of a frame's body")
	perRead := flag.String("per-read", "1,10,100", "frames queued before each drain, comma-separated")
	modes := flag.String("writes", "kapacitor,chunked", "write modes: kapacitor (two writes a frame), chunked (one write a drain)")
	transports := flag.String("transports", "socket,pipe", "socket (a Unix socketpair, socket mode), pipe (process mode)")
	flag.Parse()
	counts := []int{}
	for _, s := range strings.Split(*perRead, ",") {
		k, err := strconv.Atoi(s)
		if err != nil || k < 1 {
			fmt.Fprintf(os.Stderr, "socket-floor: bad frames per read %q\n", s)
			os.Exit(2)
		}
		counts = append(counts, k)
	}
	for _, transport := range strings.Split(*transports, ",") {
		if transport != "socket" && transport != "pipe" {
			fmt.Fprintf(os.Stderr, "socket-floor: unknown transport %q\n", transport)
			os.Exit(2)
		}
		for _, mode := range strings.Split(*modes, ",") {
			if mode != "kapacitor" && mode != "chunked" {
				fmt.Fprintf(os.Stderr, "socket-floor: unknown write mode %q\n", mode)
				os.Exit(2)
			}
			for _, k := range counts {
				line, _ := json.Marshal(measure(transport, mode, k, *body, *frames))
				fmt.Println(string(line))
			}
		}
	}
}
