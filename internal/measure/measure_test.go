package measure_test

import (
	"testing"
	"time"

	"github.com/colombiainformatica/ticketbot/internal/measure"
)

func TestMeasures(t *testing.T) {
	for s, want := range map[string]int{"": 0, "hola": 4, "ñandú": 5, "👍": 2, "a👍b": 4} {
		if got := measure.UTF16(s); got != want {
			t.Errorf("UTF16(%q) = %d, want %d", s, got, want)
		}
	}
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1 KB", 839680: "820 KB", 61 << 20: "61 MB"} {
		if got := measure.Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
	for d, want := range map[time.Duration]string{-time.Second: "0s", 45 * time.Second: "45s", 12 * time.Minute: "12m",
		3*time.Hour + 5*time.Minute: "3h 5m", 52 * time.Hour: "2d 4h"} {
		if got := measure.Age(d); got != want {
			t.Errorf("Age(%v) = %q, want %q", d, got, want)
		}
	}
}
