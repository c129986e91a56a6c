package machine

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/mockapi/sshserver"
)

// A hundred concurrent look-ups on one machine through one pool log in once
// and read the file once.
func TestPoolHundredFindsShareOneConnectionAndOneRead(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	keys := newKeys(t, 100)
	file := []byte(admin.line + "\n")
	for _, k := range keys {
		file = append(file, k.line+"\n"...)
	}
	dev := startDevice(t, file)
	pool := &Pool{}
	t.Cleanup(pool.Close)
	creds := Credentials{Keys: keyOf(admin.pem)}
	ctx := ctxT(t)

	var wg sync.WaitGroup
	errs := make(chan error, len(keys))
	for _, k := range keys {
		wg.Go(func() {
			res, err := pool.FindKey(ctx, endpoint(targetOf(dev), trustOf(dev), creds), k.pub)
			if err == nil && !res.Found {
				t.Errorf("key %s not found", k.line)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// And again, one after another, as a refresh with low parallelism does.
	for _, k := range keys[:10] {
		if _, err := pool.FindKey(ctx, endpoint(targetOf(dev), trustOf(dev), creds), k.pub); err != nil {
			t.Fatal(err)
		}
	}
	if st := dev.Stats(); st.Connections != 1 || st.FileReads != 1 {
		t.Fatalf("100+10 finds cost %d connections and %d file reads, want 1 and 1", st.Connections, st.FileReads)
	}
}

// Callers that log in differently, or trust the machine differently, never
// share a connection or a read.
func TestPoolDoesNotShareAcrossCredentialsOrHostKeyPolicies(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	dev := startDevice(t, []byte(admin.line+"\n"))
	pool := &Pool{}
	t.Cleanup(pool.Close)
	ctx := ctxT(t)
	byKey := Credentials{Keys: keyOf(admin.pem)}
	byPassword := Credentials{Password: rootPassword}
	wrongPassword := Credentials{Password: rootPassword + "x"}
	pinned := HostKeyPolicy{Pinned: dev.HostKey()}

	for _, c := range []struct {
		hk    HostKeyPolicy
		creds Credentials
	}{
		{trustOf(dev), byKey}, {trustOf(dev), byPassword}, {pinned, byKey}, {HostKeyPolicy{InsecureIgnore: true}, byKey},
	} {
		for range 3 {
			if _, err := pool.FindKey(ctx, endpoint(targetOf(dev), c.hk, c.creds), admin.pub); err != nil {
				t.Fatal(err)
			}
		}
	}
	if st := dev.Stats(); st.Connections != 4 || st.FileReads != 4 {
		t.Fatalf("4 kinds of caller cost %d connections and %d reads, want 4 and 4", st.Connections, st.FileReads)
	}
	// A wrong password must fail, not ride on the password connection that works.
	if _, err := pool.FindKey(ctx, endpoint(targetOf(dev), trustOf(dev), wrongPassword), admin.pub); err == nil {
		t.Fatal("a wrong password was let in through a shared connection")
	}
	// A host key policy that does not match must fail too.
	other := newKey(t, "other host")
	if _, err := pool.FindKey(ctx, endpoint(targetOf(dev), HostKeyPolicy{HostKey: other.line}, byKey), admin.pub); !isHostKeyMismatch(err) {
		t.Fatalf("wrong host key: %v, want a host key mismatch", err)
	}
}

// An edit through the process is seen by the next look-up at once, and
// edits share the look-ups' connection.
func TestPoolReadIsNotReusedAfterAnEdit(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	dev := startDevice(t, []byte(admin.line+"\n"))
	pool := &Pool{}
	t.Cleanup(pool.Close)
	ctx := ctxT(t)
	creds := Credentials{Keys: keyOf(admin.pem)}
	newcomer := newKey(t, "newcomer")

	find := func() bool {
		t.Helper()
		res, err := pool.FindKey(ctx, endpoint(targetOf(dev), trustOf(dev), creds), newcomer.pub)
		if err != nil {
			t.Fatal(err)
		}
		return res.Found
	}
	if find() {
		t.Fatal("found before it was added")
	}
	if _, err := pool.AddKey(ctx, endpoint(targetOf(dev), trustOf(dev), creds), newcomer.asLine()); err != nil {
		t.Fatal(err)
	}
	if !find() {
		t.Fatal("the look-up after the add served the read from before it")
	}
	if _, err := pool.RemoveKey(ctx, endpoint(targetOf(dev), trustOf(dev), creds), newcomer.asLine()); err != nil {
		t.Fatal(err)
	}
	if find() {
		t.Fatal("the look-up after the remove served the read from before it")
	}
	if st := dev.Stats(); st.Connections != 1 {
		t.Fatalf("finds and edits cost %d connections, want 1", st.Connections)
	}
}

// A read older than Timing.ReadTTL is not reused: a long refresh sees changes made
// by others (another process, a person) meanwhile.
func TestPoolReadExpires(t *testing.T) {
	t.Parallel()
	admin, other := newKey(t, "admin"), newKey(t, "by hand")
	dev := startDevice(t, []byte(admin.line+"\n"))
	pool := &Pool{Timing: Timing{IdleTimeout: time.Minute, ReadTTL: 50 * time.Millisecond}}
	t.Cleanup(pool.Close)
	ctx := ctxT(t)
	creds := Credentials{Keys: keyOf(admin.pem)}
	if res, err := pool.FindKey(ctx, endpoint(targetOf(dev), trustOf(dev), creds), other.pub); err != nil || res.Found {
		t.Fatalf("FindKey = %v, %v", res.Found, err)
	}
	if err := dev.SetAuthorizedKeys([]byte(admin.line + "\n" + other.line + "\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if res, err := pool.FindKey(ctx, endpoint(targetOf(dev), trustOf(dev), creds), other.pub); err != nil || !res.Found {
		t.Fatalf("FindKey after the TTL = %v, %v; want the hand-placed line", res.Found, err)
	}
	if st := dev.Stats(); st.Connections != 1 || st.FileReads != 2 {
		t.Fatalf("got %d connections and %d reads, want 1 and 2", st.Connections, st.FileReads)
	}
}

// An idle connection is closed; the next caller dials again. A connection
// that died is replaced.
func TestPoolIdleAndDeadConnectionsAreReplaced(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	dev := startDevice(t, []byte(admin.line+"\n"))
	pool := &Pool{Timing: Timing{IdleTimeout: 50 * time.Millisecond, ReadTTL: time.Nanosecond}}
	t.Cleanup(pool.Close)
	ctx := ctxT(t)
	creds := Credentials{Keys: keyOf(admin.pem)}
	find := func() {
		t.Helper()
		if _, err := pool.FindKey(ctx, endpoint(targetOf(dev), trustOf(dev), creds), admin.pub); err != nil {
			t.Fatal(err)
		}
	}
	find()
	waitFor(t, func() bool { return openConns(pool) == 0 })
	find()
	if st := dev.Stats(); st.Connections != 2 {
		t.Fatalf("%d connections, want 2 (the idle one was closed)", st.Connections)
	}

	// A caller whose context ends while it holds the connection drops it.
	s, err := pool.session(ctx, endpoint(targetOf(dev), trustOf(dev), creds))
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	held, err := pool.session(cctx, endpoint(targetOf(dev), trustOf(dev), creds))
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	waitFor(t, func() bool { return openConns(pool) == 0 })
	held.close()
	s.close()
	find()
	if st := dev.Stats(); st.Connections != 3 {
		t.Fatalf("%d connections, want 3 (the dropped one was replaced)", st.Connections)
	}
}

func openConns(p *Pool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func isHostKeyMismatch(err error) bool {
	var mismatch *HostKeyMismatchError
	return errors.As(err, &mismatch)
}

// A shared connection the server drops (here: in the middle of an edit) is
// never handed out again: the next look-up works on a new one.
func TestPoolDroppedConnectionIsReplaced(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	dev := startDevice(t, []byte(admin.line+"\n"))
	pool := &Pool{}
	t.Cleanup(pool.Close)
	ctx := ctxT(t)
	creds := Credentials{Keys: keyOf(admin.pem)}
	newcomer := newKey(t, "newcomer")
	if _, err := pool.FindKey(ctx, endpoint(targetOf(dev), trustOf(dev), creds), newcomer.pub); err != nil {
		t.Fatal(err)
	}
	dev.SetFaults(sshserver.Faults{DropAfterWriteBytes: 1})
	if _, err := pool.AddKey(ctx, endpoint(targetOf(dev), trustOf(dev), creds), newcomer.asLine()); err == nil {
		t.Fatal("the add went through a connection dropped mid-write")
	}
	dev.SetFaults(sshserver.Faults{})
	if res, err := pool.FindKey(ctx, endpoint(targetOf(dev), trustOf(dev), creds), admin.pub); err != nil || !res.Found {
		t.Fatalf("look-up after the drop = %v, %v; want the admin key found on a new connection", res.Found, err)
	}
	if st := dev.Stats(); st.Connections < 2 {
		t.Fatalf("%d connections: the dropped one was reused", st.Connections)
	}
}

// BenchmarkRefreshHundredAttachments is the on-device part of refreshing 100
// attachments to one machine, with and without a pool; it reports the SSH
// connections and file reads each refresh costs.
func BenchmarkRefreshHundredAttachments(b *testing.B) {
	admin := newKey(b, "admin")
	keys := newKeys(b, 100)
	file := []byte(admin.line + "\n")
	for _, k := range keys {
		file = append(file, k.line+"\n"...)
	}
	creds := Credentials{Keys: keyOf(admin.pem)}
	for _, pooled := range []bool{false, true} {
		b.Run(map[bool]string{false: "dial-each", true: "pool"}[pooled], func(b *testing.B) {
			dev := startDevice(b, file)
			ctx := context.Background()
			for b.Loop() {
				var pool *Pool
				if pooled {
					pool = &Pool{} // one per provider process, so one per refresh
				}
				var wg sync.WaitGroup
				sem := make(chan struct{}, 10) // terraform's default parallelism
				for _, k := range keys {
					wg.Go(func() {
						sem <- struct{}{}
						defer func() { <-sem }()
						if _, err := pool.FindKey(ctx, endpoint(targetOf(dev), trustOf(dev), creds), k.pub); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
				pool.Close()
			}
			st := dev.Stats()
			b.ReportMetric(float64(st.Connections)/float64(b.N), "conns/refresh")
			b.ReportMetric(float64(st.FileReads)/float64(b.N), "reads/refresh")
		})
	}
}
