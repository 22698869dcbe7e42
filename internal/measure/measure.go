// Package measure measures text and sizes the way chat platforms and
// people do: lengths in UTF-16 code units (Telegram's and Slack's limits),
// file sizes and ages as people read them.
package measure

import (
	"fmt"
	"time"
)

// UTF16 is the length of s in UTF-16 code units, as Telegram and Slack
// count their limits.
func UTF16(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// Bytes renders a size for people: 820 B, 820 KB, 61 MB.
func Bytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%d MB", (n+1<<19)>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", (n+1<<9)>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// Age renders how long something has waited, as agents and operators read
// it: 45s, 12m, 3h 5m, 2d 4h.
func Age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", max(int(d.Seconds()), 0))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
}
