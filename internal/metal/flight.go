package metal

import (
	"context"
	"fmt"

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
		v, ok := res.Val.(T)
		if !ok { // two callers shared a key for answers of different types
			return zero, fmt.Errorf("internal error: shared call %q answered %T", key, res.Val)
		}
		return v, nil
	}
}
