package metal

import (
	"context"

	"golang.org/x/sync/singleflight"
)

// shared runs fn once for all concurrent callers with the same key and
// waits for its answer or for ctx. fn runs without the caller's
// cancellation, so a caller that gives up stops waiting alone and fails no
// one else sharing the call.
func shared[T any](ctx context.Context, g *singleflight.Group, key string, fn func(context.Context) (T, error)) (T, error) {
	ch := g.DoChan(key, func() (any, error) { return fn(context.WithoutCancel(ctx)) })
	var zero T
	select {
	case <-ctx.Done():
		return zero, ctx.Err()
	case res := <-ch:
		if res.Err != nil {
			return zero, res.Err
		}
		return res.Val.(T), nil // fn is the only writer of key: its T
	}
}
