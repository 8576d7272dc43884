// Command go-client is the load generator's Kapacitor-side client in Go, the language of
// Kapacitor itself. It writes to a UDF the way a Kapacitor UDF node does: every frame unbuffered
// to the socket in two write(2) calls, the length prefix and then the body, from one writer
// goroutine a connection, with keepalive requests reaching that writer between two frames (their
// time taken when they are made, before they wait for the writer), and a reader goroutine a
// connection on a buffered reader. Go's runtime parks a goroutine whose socket is full until the
// kernel says it has room, as it does for Kapacitor's.
//
// The generator in TypeScript does the same from a Node.js thread; this one costs the machine
// less a frame, so on a small machine more of the cores are left to the host being measured.
// The frames come pre-encoded from the bench (an Init frame and a chunk of Point frames written
// again and again); only frame lengths and the first bytes of each response body are read back.
// One JSON line is printed for the run.
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// Tags of the members of the Request and Response oneofs that the client looks at: the tag of a
// length-delimited field is (number << 3) | 2, members 16 and up taking two bytes as a varint.
const (
	tagInit      = 2<<3 | 2
	tagKeepalive = 3<<3 | 2
	tagError     = 6<<3 | 2
	// Point (member 17) as a two-byte varint: 0x8a 0x01.
	tagPointLo = (17<<3|2)&0x7f | 0x80
	tagPointHi = (17 << 3) >> 7
	maxFrame   = 64 << 20
)

type connResult struct {
	SentPoints     int       `json:"sentPoints"`
	SentBytes      int       `json:"sentBytes"`
	ReturnedPoints int       `json:"returnedPoints"`
	SendMs         float64   `json:"sendMs"`
	ReturnMs       float64   `json:"returnMs"`
	DoneMs         float64   `json:"doneMs"`
	KeepalivesSent int       `json:"keepalivesSent"`
	KeepaliveMs    []float64 `json:"keepaliveMs"`
	WriteCalls     int       `json:"writeCalls"`
	LargestWrite   int       `json:"largestWrite"`
	Error          string    `json:"error,omitempty"`
}

type runResult struct {
	Connections []connResult `json:"connections"`
	// CPU seconds of this process (every thread) from the first point written to the last
	// connection closed by the host.
	CPUSeconds float64 `json:"cpuSeconds"`
	Error      string  `json:"error,omitempty"`
}

// frameSpan is one frame of the chunk: its length prefix is chunk[start:body], its body
// chunk[body:end].
type frameSpan struct {
	start, body, end int
	point            bool
}

func spans(chunk []byte) ([]frameSpan, error) {
	var out []frameSpan
	for pos := 0; pos < len(chunk); {
		n, width := binary.Uvarint(chunk[pos:])
		if width <= 0 || n > uint64(len(chunk)) {
			return nil, fmt.Errorf("chunk: bad length prefix at byte %d", pos)
		}
		body := pos + width
		end := body + int(n)
		if end > len(chunk) {
			return nil, fmt.Errorf("chunk: frame at byte %d runs past the end", pos)
		}
		point := n >= 2 && chunk[body] == tagPointLo && chunk[body+1] == tagPointHi
		out = append(out, frameSpan{pos, body, end, point})
		pos = end
	}
	return out, nil
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// keepaliveRequest is a Request frame with a KeepaliveRequest of this time: prefix and body.
func keepaliveRequest(t int64) (prefix, body []byte) {
	inner := binary.AppendUvarint([]byte{1 << 3}, uint64(t))
	body = append([]byte{tagKeepalive}, binary.AppendUvarint(nil, uint64(len(inner)))...)
	body = append(body, inner...)
	return binary.AppendUvarint(nil, uint64(len(body))), body
}

// keepaliveTime reads the time (ns since the run's start, as the client sent it) out of a KeepaliveResponse body, or false when it has none.
func keepaliveTime(body []byte) (int64, bool) {
	_, w := binary.Uvarint(body[1:])
	if w <= 0 || 1+w >= len(body) || body[1+w] != 1<<3 {
		return 0, false
	}
	t, tw := binary.Uvarint(body[2+w:])
	if tw <= 0 {
		return 0, false
	}
	return int64(t), true
}

type settings struct {
	chunk       []byte
	frames      []frameSpan
	pointsChunk int
	maxPoints   int
	deadline    time.Duration
	keepalive   time.Duration
}

type conn struct {
	c      *net.UnixConn
	reader *bufio.Reader
	epoch  time.Time
	res    connResult
	// Points returned, and when the last one came back (set by the reader only).
	lastPoint time.Duration
	closed    time.Duration
	sendDone  time.Duration
}

func (c *conn) now() time.Duration { return time.Since(c.epoch) }

// readFrame reads one frame's body into buf (grown as needed).
func readFrame(r *bufio.Reader, buf []byte) ([]byte, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, err
	}
	if n > maxFrame {
		return nil, fmt.Errorf("response frame of %d bytes", n)
	}
	if uint64(cap(buf)) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	_, err = io.ReadFull(r, buf)
	return buf, err
}

func dial(path string, init []byte) (*conn, error) {
	addr := &net.UnixAddr{Name: path, Net: "unix"}
	c, err := net.DialUnix("unix", nil, addr)
	if err != nil {
		return nil, err
	}
	cn := &conn{c: c, reader: bufio.NewReaderSize(c, 64<<10)}
	if len(init) == 0 {
		return cn, nil
	}
	if _, err := c.Write(init); err != nil {
		c.Close()
		return nil, err
	}
	buf := make([]byte, 256)
	for {
		body, err := readFrame(cn.reader, buf)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("waiting for the Init response: %w", err)
		}
		if len(body) > 0 && body[0] == tagInit {
			if reason, ok := initOutcome(body); !ok {
				c.Close()
				return nil, fmt.Errorf("Init refused: %s", reason)
			}
			return cn, nil
		}
		if len(body) > 0 && body[0] == tagError {
			c.Close()
			return nil, errors.New("error response to Init")
		}
	}
}

// initOutcome reads an InitResponse body: success is field 1 (varint), the reason field 2
// (length-delimited); proto3 leaves a false success out.
func initOutcome(body []byte) (reason string, ok bool) {
	n, w := binary.Uvarint(body[1:])
	if w <= 0 || 1+w+int(n) > len(body) {
		return "malformed InitResponse", false
	}
	msg := body[1+w : 1+w+int(n)]
	for len(msg) > 0 {
		key, kw := binary.Uvarint(msg)
		if kw <= 0 {
			return "malformed InitResponse", false
		}
		msg = msg[kw:]
		switch key & 7 {
		case 0:
			v, vw := binary.Uvarint(msg)
			if vw <= 0 {
				return "malformed InitResponse", false
			}
			if key>>3 == 1 {
				ok = v != 0
			}
			msg = msg[vw:]
		case 2:
			l, lw := binary.Uvarint(msg)
			if lw <= 0 || lw+int(l) > len(msg) {
				return "malformed InitResponse", false
			}
			if key>>3 == 2 {
				reason = string(msg[lw : lw+int(l)])
			}
			msg = msg[lw+int(l):]
		default:
			return "malformed InitResponse", false
		}
	}
	return reason, ok
}

// write is one write(2) of b, as Go's net package does it: a full socket parks the goroutine
// until the poller says it is writable, then the rest goes.
func (c *conn) write(b []byte) error {
	_, err := c.c.Write(b)
	c.res.WriteCalls++
	c.res.LargestWrite = max(c.res.LargestWrite, len(b))
	return err
}

func (c *conn) runWriter(s *settings, kas <-chan int64) error {
	defer c.c.CloseWrite()
	for {
		for _, f := range s.frames {
			select {
			case t := <-kas:
				prefix, body := keepaliveRequest(t)
				if err := c.write(prefix); err != nil {
					return err
				}
				if err := c.write(body); err != nil {
					return err
				}
				c.res.KeepalivesSent++
			default:
			}
			if err := c.write(s.chunk[f.start:f.body]); err != nil {
				return err
			}
			if err := c.write(s.chunk[f.body:f.end]); err != nil {
				return err
			}
			c.res.SentBytes += f.end - f.start
		}
		c.res.SentPoints += s.pointsChunk
		if c.res.SentPoints >= s.maxPoints || c.now() >= s.deadline {
			c.sendDone = c.now()
			return nil
		}
	}
}

func (c *conn) runReader(done chan<- struct{}) {
	defer close(done)
	buf := make([]byte, 4096)
	for {
		body, err := readFrame(c.reader, buf)
		if err == io.EOF {
			c.closed = c.now()
			return
		}
		if err != nil {
			c.closed = c.now()
			if c.res.Error == "" {
				c.res.Error = "reading responses: " + err.Error()
			}
			return
		}
		buf = body[:cap(body)]
		if len(body) == 0 {
			continue
		}
		switch {
		case len(body) >= 2 && body[0] == tagPointLo && body[1] == tagPointHi:
			c.res.ReturnedPoints++
			c.lastPoint = c.now()
		case body[0] == tagKeepalive:
			if t, ok := keepaliveTime(body); ok {
				c.res.KeepaliveMs = append(c.res.KeepaliveMs, ms(c.now()-time.Duration(t)))
			}
		case body[0] == tagError:
			if c.res.Error == "" {
				c.res.Error = "error response from the host"
			}
		}
	}
}

// runKeepalives offers a keepalive to the writer every period, as Kapacitor's ticker does; one
// not yet taken by the writer is not doubled.
func runKeepalives(period time.Duration, now func() time.Duration, kas chan<- int64, stop <-chan struct{}) {
	if period <= 0 {
		return
	}
	ticker := time.NewTicker(period)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			select {
			case kas <- int64(now()):
			default:
			}
		case <-stop:
			return
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func run(socket string, conns int, init []byte, s *settings) runResult {
	all := make([]*conn, 0, conns)
	for i := 0; i < conns; i++ {
		c, err := dial(socket, init)
		if err != nil {
			for _, o := range all {
				o.c.Close()
			}
			return runResult{Error: err.Error()}
		}
		all = append(all, c)
	}
	cpuStart := cpuSeconds()
	epoch := time.Now()
	var wg sync.WaitGroup
	for _, c := range all {
		c.epoch = epoch
		wg.Add(1)
		go func(c *conn) {
			defer wg.Done()
			kas := make(chan int64, 1)
			stop := make(chan struct{})
			readerDone := make(chan struct{})
			go c.runReader(readerDone)
			go runKeepalives(s.keepalive, c.now, kas, stop)
			if err := c.runWriter(s, kas); err != nil && c.res.Error == "" {
				c.res.Error = "writing: " + err.Error()
			}
			close(stop)
			<-readerDone
			c.c.Close()
			last := c.lastPoint
			if last == 0 {
				last = c.sendDone
			}
			c.res.SendMs, c.res.ReturnMs, c.res.DoneMs = ms(c.sendDone), ms(last), ms(c.closed)
			if c.res.KeepaliveMs == nil {
				c.res.KeepaliveMs = []float64{}
			}
		}(c)
	}
	wg.Wait()
	out := runResult{CPUSeconds: cpuSeconds() - cpuStart}
	for _, c := range all {
		out.Connections = append(out.Connections, c.res)
	}
	return out
}

func main() {
	socket := flag.String("socket", "", "the UDF's Unix socket")
	conns := flag.Int("conns", 1, "connections, all writing at once")
	initPath := flag.String("init", "", "file with the Init request frame (none: no Init)")
	chunkPath := flag.String("chunk", "", "file with the Point frames written again and again")
	points := flag.Int("points", 100000, "points to send on each connection (rounded up to whole chunks)")
	seconds := flag.Float64("seconds", 5, "stop sending at the next chunk's end after this long")
	keepaliveMs := flag.Float64("keepalive-ms", 10, "keepalive period (0: none)")
	flag.Parse()
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "go-client:", err)
		os.Exit(2)
	}
	chunk, err := os.ReadFile(*chunkPath)
	if err != nil {
		fail(err)
	}
	var init []byte
	if *initPath != "" {
		if init, err = os.ReadFile(*initPath); err != nil {
			fail(err)
		}
	}
	frames, err := spans(chunk)
	if err != nil {
		fail(err)
	}
	perChunk := 0
	for _, f := range frames {
		if f.point {
			perChunk++
		}
	}
	if perChunk == 0 {
		fail(errors.New("the chunk holds no Point frame"))
	}
	s := &settings{
		chunk:       chunk,
		frames:      frames,
		pointsChunk: perChunk,
		maxPoints:   *points,
		deadline:    time.Duration(*seconds * float64(time.Second)),
		keepalive:   time.Duration(*keepaliveMs * float64(time.Millisecond)),
	}
	if err := json.NewEncoder(os.Stdout).Encode(run(*socket, *conns, init, s)); err != nil {
		fail(err)
	}
}
