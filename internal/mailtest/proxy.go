package mailtest

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// IMAPProxy sits between an IMAP client and a real server (the test's
// dovecot) to inject faults the server will not: it can hide the IDLE
// capability (and refuse the command), drop every open connection at once
// (a dropped IDLE, a server restart behind a load balancer) and refuse new
// connections. Everything else passes through unchanged.
type IMAPProxy struct {
	// Addr is the proxy's host:port, where the client connects.
	Addr string

	upstream string
	ln       net.Listener
	hideIDLE atomic.Bool
	mute     atomic.Bool
	refuse   atomic.Bool
	accepted chan struct{}
	refused  chan time.Time

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	count int
}

// StartIMAPProxy starts a proxy to upstream (host:port, plain IMAP) on a
// free port for tb, closed with every connection at cleanup.
func StartIMAPProxy(tb testing.TB, upstream string) *IMAPProxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("mailtest: %v", err)
	}
	p := &IMAPProxy{Addr: ln.Addr().String(), upstream: upstream, ln: ln,
		conns: map[net.Conn]struct{}{}, accepted: make(chan struct{}, 64), refused: make(chan time.Time, 64)}
	go p.serve()
	tb.Cleanup(func() {
		_ = ln.Close()
		p.DropAll()
	})
	return p
}

// HideIDLE makes the server look like one without IDLE (on new and open
// connections): IDLE is left out of every capability list and the command
// is refused with BAD.
func (p *IMAPProxy) HideIDLE(hide bool) { p.hideIDLE.Store(hide) }

// Refuse makes the proxy close new connections at once, as a server that
// is down (but reachable) would.
func (p *IMAPProxy) Refuse(refuse bool) { p.refuse.Store(refuse) }

// MuteUpdates makes the server's unsolicited news of new mail (EXISTS and
// RECENT) disappear, as with an IDLE that silently stopped working: the
// connection stays up and answers commands.
func (p *IMAPProxy) MuteUpdates(mute bool) { p.mute.Store(mute) }

// Refused receives the time of each connection refused (buffered, 64).
func (p *IMAPProxy) Refused() <-chan time.Time { return p.refused }

// DropAll closes every open connection, both sides, without a word.
func (p *IMAPProxy) DropAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}

// Connections returns how many client connections the proxy accepted and
// passed on (refused ones are not counted).
func (p *IMAPProxy) Connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count
}

// Accepted is signalled (buffered) for each connection passed on.
func (p *IMAPProxy) Accepted() <-chan struct{} { return p.accepted }

func (p *IMAPProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.refuse.Load() {
			_ = c.Close()
			select {
			case p.refused <- time.Now():
			default:
			}
			continue
		}
		up, err := net.Dial("tcp", p.upstream)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.count++
		p.mu.Unlock()
		select {
		case p.accepted <- struct{}{}:
		default:
		}
		go p.pipe(c, up)
	}
}

// pipe relays both ways line by line, copying literals ({n} or {n+})
// verbatim, and filters lines when IDLE is hidden.
func (p *IMAPProxy) pipe(client, up net.Conn) {
	defer func() {
		_ = client.Close()
		_ = up.Close()
		p.mu.Lock()
		delete(p.conns, client)
		delete(p.conns, up)
		p.mu.Unlock()
	}()
	var toClient sync.Mutex // the BAD answers and the server's lines
	done := make(chan struct{})
	go func() {
		defer close(done)
		relay(bufio.NewReader(up), func(line []byte) []byte {
			if p.hideIDLE.Load() && bytes.Contains(line, []byte("CAPABILITY")) {
				line = idleCap.ReplaceAll(line, nil)
			}
			return line
		}, client, &toClient, func(line []byte) bool {
			return p.mute.Load() && existsLine.Match(line)
		})
		_ = client.Close()
	}()
	relay(bufio.NewReader(client), func(line []byte) []byte { return line }, up, nil, func(line []byte) bool {
		if !p.hideIDLE.Load() {
			return false
		}
		m := idleCmd.FindSubmatch(line)
		if m == nil {
			return false
		}
		toClient.Lock()
		_, _ = client.Write(append(append([]byte{}, m[1]...), " BAD Unknown command.\r\n"...))
		toClient.Unlock()
		return true
	})
	_ = up.Close()
	<-done
}

var (
	idleCap    = regexp.MustCompile(` IDLE\b`)
	idleCmd    = regexp.MustCompile(`(?i)^(\S+) IDLE\r?\n$`)
	litTail    = regexp.MustCompile(`\{(\d+)\+?\}\r?\n$`)
	existsLine = regexp.MustCompile(`^\* \d+ (EXISTS|RECENT)\r?\n$`)
)

// relay copies r to w line by line: each line goes through edit unless
// swallow takes it; a line announcing a literal is followed by the
// literal's bytes, copied as they are.
func relay(r *bufio.Reader, edit func([]byte) []byte, w io.Writer, wmu *sync.Mutex, swallow func([]byte) bool) {
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			if swallow != nil && swallow(line) {
				continue
			}
			out := edit(line)
			if wmu != nil {
				wmu.Lock()
			}
			_, werr := w.Write(out)
			if m := litTail.FindSubmatch(line); m != nil && werr == nil {
				n, _ := strconv.ParseInt(string(m[1]), 10, 64)
				_, werr = io.CopyN(w, r, n)
			}
			if wmu != nil {
				wmu.Unlock()
			}
			if werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
