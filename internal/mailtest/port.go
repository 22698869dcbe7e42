package mailtest

import (
	mrand "math/rand/v2"
	"net"
	"strconv"
)

// freePort picks a free port below the kernel's ephemeral range (which
// starts at 32768), as the Redis helper does: a server started on it can
// find the port taken only by another test's server, and then it tries
// another.
func freePort() (int, error) {
	for range 100 {
		port := 20000 + mrand.IntN(12000)
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			l.Close()
			return port, nil
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
