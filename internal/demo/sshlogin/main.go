// Command sshlogin is the demo's stand-in for the OpenSSH client on machines
// without one: it logs in with one private key, checks the server's host key
// against a known_hosts file, runs one command and prints its output.
//
//	go run ./internal/demo/sshlogin -host 127.0.0.1 -port 2222 -key id -known-hosts kh -- echo hi
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// loginConfig is everything one login needs.
type loginConfig struct {
	Host           string
	Port           int
	User           string
	KeyFile        string
	KnownHostsFile string
	Command        string
	Timeout        time.Duration
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sshlogin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg loginConfig
	fs.StringVar(&cfg.Host, "host", "127.0.0.1", "host to connect to")
	fs.IntVar(&cfg.Port, "port", 22, "SSH port")
	fs.StringVar(&cfg.User, "user", "root", "user to log in as")
	fs.StringVar(&cfg.KeyFile, "key", "", "unencrypted private key file (the only credential tried)")
	fs.StringVar(&cfg.KnownHostsFile, "known-hosts", "", "known_hosts file the server's host key must be in")
	fs.DurationVar(&cfg.Timeout, "timeout", 15*time.Second, "limit for the whole login")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg.Command = strings.Join(fs.Args(), " ")
	if cfg.KeyFile == "" || cfg.KnownHostsFile == "" || cfg.Command == "" {
		fmt.Fprintln(stderr, "sshlogin: -key, -known-hosts and a command are required")
		return 2
	}
	out, status, err := login(ctx, cfg)
	_, _ = stdout.Write(out)
	if err != nil {
		fmt.Fprintf(stderr, "sshlogin: %v\n", err)
		return 255 // what ssh(1) exits with when it cannot log in
	}
	return status
}

// login connects, authenticates with cfg.KeyFile alone and runs cfg.Command.
// It returns the command's output and exit status.
func login(ctx context.Context, cfg loginConfig) ([]byte, int, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()

	pem, err := os.ReadFile(cfg.KeyFile)
	if err != nil {
		return nil, 0, fmt.Errorf("reading the private key: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		// The parser's message never contains key material.
		return nil, 0, fmt.Errorf("private key %s: %w", cfg.KeyFile, err)
	}
	hostKeys, err := knownhosts.New(cfg.KnownHostsFile)
	if err != nil {
		return nil, 0, fmt.Errorf("known_hosts: %w", err)
	}
	clientCfg := &ssh.ClientConfig{
		User:            cfg.User,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: hostKeys,
		Timeout:         cfg.Timeout,
	}

	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	conn, err := new(net.Dialer).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, 0, err
	}
	// Closing the connection is what unblocks every call below on timeout or Ctrl-C.
	stopWatch := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stopWatch()

	sconn, chans, reqs, err := ssh.NewClientConn(conn, addr, clientCfg)
	if err != nil {
		_ = conn.Close()
		return nil, 0, fmt.Errorf("login to %s as %s: %w", addr, cfg.User, err)
	}
	client := ssh.NewClient(sconn, chans, reqs)
	defer client.Close()

	session, err := client.NewSession()
	if err != nil {
		return nil, 0, err
	}
	defer session.Close()
	out, err := session.CombinedOutput(cfg.Command)
	var exitErr *ssh.ExitError
	if errors.As(err, &exitErr) {
		return out, exitErr.ExitStatus(), nil
	}
	if err != nil {
		return out, 0, fmt.Errorf("running %q: %w", cfg.Command, err)
	}
	return out, 0, nil
}
