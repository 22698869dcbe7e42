package inbound

import (
	"crypto/rand"
	"encoding/hex"
)

func randomToken() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
