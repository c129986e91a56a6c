package rpcctx

import (
	"context"
	"errors"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

type key struct{}

// keeper behaves like the framework: it keeps every RPC's context after the
// RPC returned.
type keeper struct {
	Server // the RPCs the test does not call
	kept   []context.Context
	during []any
}

func (k *keeper) ReadResource(ctx context.Context, _ *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	k.kept = append(k.kept, ctx)
	k.during = append(k.during, ctx.Value(key{}))
	return &tfprotov6.ReadResourceResponse{}, nil
}

func TestContextIsReleasedWhenTheRPCReturns(t *testing.T) {
	k := &keeper{}
	s := Wrap(k)
	ctx := context.WithValue(t.Context(), key{}, "request data")
	if _, err := s.ReadResource(ctx, &tfprotov6.ReadResourceRequest{}); err != nil {
		t.Fatal(err)
	}
	if k.during[0] != "request data" {
		t.Fatalf("during the RPC the context's values are %v; want them visible", k.during[0])
	}
	kept := k.kept[0]
	if v := kept.Value(key{}); v != nil {
		t.Fatalf("after the RPC the kept context still reaches %v: its parent chain is retained", v)
	}
	if !errors.Is(kept.Err(), context.Canceled) {
		t.Fatalf("after the RPC the kept context's Err is %v; want Canceled", kept.Err())
	}
}

func TestCancellationReachesTheRPC(t *testing.T) {
	parent, cancel := context.WithCancel(t.Context())
	var sawCancel bool
	s := Wrap(&canceller{cancel: cancel, saw: &sawCancel})
	if _, err := s.PlanResourceChange(parent, &tfprotov6.PlanResourceChangeRequest{}); err != nil {
		t.Fatal(err)
	}
	if !sawCancel {
		t.Fatal("cancelling the RPC's context did not reach the wrapped server")
	}
}

// canceller cancels the incoming context mid-RPC, as Terraform does on Ctrl-C,
// and reports whether a context derived the way the framework derives it saw that.
type canceller struct {
	Server // the RPCs the test does not call
	cancel context.CancelFunc
	saw    *bool
}

func (c *canceller) PlanResourceChange(ctx context.Context, _ *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	derived, stop := context.WithCancel(ctx)
	defer stop()
	c.cancel()
	<-derived.Done()
	*c.saw = errors.Is(derived.Err(), context.Canceled)
	return &tfprotov6.PlanResourceChangeResponse{}, nil
}

// lister yields its results from an iterator that runs after ListResource
// returned, on the RPC's context, as the framework's does.
type lister struct {
	Server // the RPCs the test does not call
}

func (lister) ListResource(ctx context.Context, _ *tfprotov6.ListResourceRequest) (*tfprotov6.ListResourceServerStream, error) {
	return &tfprotov6.ListResourceServerStream{Results: func(push func(tfprotov6.ListResourceResult) bool) {
		if ctx.Err() != nil || ctx.Value(key{}) != "request data" {
			push(tfprotov6.ListResourceResult{Diagnostics: []*tfprotov6.Diagnostic{{Summary: "context released before the results"}}})
			return
		}
		push(tfprotov6.ListResourceResult{DisplayName: "ok"})
	}}, nil
}

func TestStreamingRPCKeepsItsContextForItsResults(t *testing.T) {
	s, ok := Wrap(lister{}).(Server)
	if !ok {
		t.Fatal("the wrapper is no rpcctx.Server")
	}
	ctx := context.WithValue(t.Context(), key{}, "request data")
	stream, err := s.ListResource(ctx, &tfprotov6.ListResourceRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for res := range stream.Results {
		if res.DisplayName != "ok" {
			t.Fatalf("list result %+v: the iterator ran on a released context", res)
		}
	}
}
