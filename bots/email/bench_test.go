package email_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/bots/email"
)

// BenchmarkParseCorpus parses every mail of the corpus per iteration and
// reports mails parsed per second (on one goroutine).
func BenchmarkParseCorpus(b *testing.B) {
	files := corpus(b)
	var bytesPerOp int64
	for _, f := range files {
		bytesPerOp += int64(len(f.raw))
	}
	b.SetBytes(bytesPerOp)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, f := range files {
			m, err := email.Parse(bytes.NewReader(f.raw))
			if err == nil {
				_ = m.NewText()
			}
		}
	}
	b.ReportMetric(float64(len(files)*b.N)/b.Elapsed().Seconds(), "mails/s")
}

// bigMail returns a mail of about size bytes: a short text and one
// base64 attachment of random bytes filling the rest.
func bigMail(size int) []byte {
	const head = "From: Ana <ana@example.test>\r\nTo: soporte@colombiainformatica.com\r\nSubject: adjunto grande\r\n" +
		"Message-ID: <big@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" +
		"--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nVer el adjunto.\r\n" +
		"--B\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; filename=\"respaldo.zip\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n"
	const tail = "\r\n--B--\r\n"
	room := size - len(head) - len(tail)
	payload := make([]byte, room/78*57)
	_, _ = rand.Read(payload)
	enc := base64.StdEncoding.EncodeToString(payload)
	var b strings.Builder
	b.Grow(size)
	b.WriteString(head)
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	b.WriteString(tail)
	return []byte(b.String())
}

// BenchmarkParse25MB parses a 25 MB mail (the default cap) and reports,
// besides the allocations, the peak of live heap seen while parsing
// (sampled every millisecond from runtime/metrics) above the heap before
// the parse, which holds the raw mail.
func BenchmarkParse25MB(b *testing.B) {
	raw := bigMail(email.DefaultMaxSize - 1024)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	heap := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	var peak atomic.Uint64
	var worst uint64
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		base := heap()
		peak.Store(base)
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			t := time.NewTicker(time.Millisecond)
			defer t.Stop()
			for {
				if h := heap(); h > peak.Load() {
					peak.Store(h)
				}
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		}()
		b.StartTimer()
		m, err := email.Parse(bytes.NewReader(raw))
		b.StopTimer()
		close(stop)
		<-done
		if err != nil || len(m.Attachments) != 1 {
			b.Fatalf("Parse: %v", err)
		}
		if p := peak.Load() - base; p > worst {
			worst = p
		}
		runtime.KeepAlive(m)
		b.StartTimer()
	}
	b.ReportMetric(float64(worst)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(len(raw))/(1<<20), "mail-MB")
}

func TestBigMailParses(t *testing.T) {
	raw := bigMail(email.DefaultMaxSize - 1024)
	if len(raw) > email.DefaultMaxSize {
		t.Fatalf("the 25 MB mail is %d bytes, over the cap", len(raw))
	}
	m, err := email.Parse(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Name != "respaldo.zip" || m.Attachments[0].Size < 18<<20 {
		t.Fatalf("%d attachments; want one respaldo.zip of 18 MB or more", len(m.Attachments))
	}
	if _, err := email.Parse(bytes.NewReader(append(raw, make([]byte, 2048)...))); err == nil {
		t.Error("a mail over 25 MiB parsed")
	}
}
