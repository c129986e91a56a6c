package machine

import (
	"context"
	"sync"
)

// fileLocks serialises edits of one file on one machine inside this process,
// so parallel attachments never read the same old content and lose a line.
// Waiting honours the context; entries disappear when nobody holds them.
type fileLocks struct {
	mu    sync.Mutex
	locks map[string]*fileLock
}

type fileLock struct {
	held chan struct{} // capacity 1: a token in it means "locked"
	refs int
}

var editLocks = &fileLocks{locks: map[string]*fileLock{}}

// acquire waits for the lock of key and returns its release function.
func (l *fileLocks) acquire(ctx context.Context, key string) (func(), error) {
	l.mu.Lock()
	fl := l.locks[key]
	if fl == nil {
		fl = &fileLock{held: make(chan struct{}, 1)}
		l.locks[key] = fl
	}
	fl.refs++
	l.mu.Unlock()

	select {
	case fl.held <- struct{}{}:
		return func() {
			<-fl.held
			l.drop(key, fl)
		}, nil
	case <-ctx.Done():
		l.drop(key, fl)
		return nil, ctx.Err()
	}
}

func (l *fileLocks) drop(key string, fl *fileLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fl.refs--
	if fl.refs == 0 {
		delete(l.locks, key)
	}
}
