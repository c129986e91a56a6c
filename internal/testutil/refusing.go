//go:build unix

package testutil

import (
	"net/netip"
	"syscall"
	"testing"
)

// RefusingAddress is a loopback address ("127.0.0.1:port") that refuses
// every connection for the rest of the test. Its port is bound but never
// listened on, so the kernel answers connections with a reset and no other
// test running in parallel can be given the port, as it could after closing
// a listener to free one.
func RefusingAddress(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	in4, ok := sa.(*syscall.SockaddrInet4)
	if !ok {
		t.Fatalf("bound address %v is not IPv4", sa)
	}
	return netip.AddrPortFrom(netip.AddrFrom4(in4.Addr), uint16(in4.Port)).String() //nolint:gosec // a port fits 16 bits
}
