// Package rpcctx keeps the provider's memory flat over many RPCs.
//
// terraform-plugin-framework (v1.19) registers the cancel function of every
// RPC's context in a slice that is only emptied by StopProvider, so each
// RPC's whole context chain (request metadata, per-request loggers) stays
// reachable for the life of the provider process: about 12 kB per RPC, four
// RPCs per resource instance on a plan. Wrap hands the framework a context
// that lets go of its parent when the RPC returns, so only a few small
// objects per RPC remain.
package rpcctx

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// released stands in for a returned RPC's context: already cancelled.
var released = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// releasable delegates to its parent until release.
type releasable struct {
	mu     sync.RWMutex
	parent context.Context
}

func (c *releasable) get() context.Context {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.parent
}

func (c *releasable) Deadline() (time.Time, bool) { return c.get().Deadline() }
func (c *releasable) Done() <-chan struct{}       { return c.get().Done() }
func (c *releasable) Err() error                  { return c.get().Err() }
func (c *releasable) Value(key any) any           { return c.get().Value(key) }

func (c *releasable) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.parent = released
}

// serve runs one RPC on a context released when it returns.
func serve[Req, Resp any](ctx context.Context, req Req, rpc func(context.Context, Req) (Resp, error)) (Resp, error) {
	c := &releasable{parent: ctx}
	defer c.release()
	return rpc(c, req)
}

// Wrap returns s with the RPCs that run once per resource instance (and so
// scale with N) on releasable contexts; the rest pass through. The optional
// list-resource RPCs pass through as they are (a list streams its results
// after the RPC returns); the action and state-store interfaces are not
// forwarded: the provider has none.
func Wrap(s tfprotov6.ProviderServer) tfprotov6.ProviderServer {
	if l, ok := s.(tfprotov6.ListResourceServer); ok {
		return listServer{server{s}, l}
	}
	return server{s}
}

type server struct{ tfprotov6.ProviderServer }

// listServer also forwards the list-resource RPCs.
type listServer struct {
	server
	list tfprotov6.ListResourceServer
}

func (s listServer) ValidateListResourceConfig(ctx context.Context, req *tfprotov6.ValidateListResourceConfigRequest) (*tfprotov6.ValidateListResourceConfigResponse, error) {
	return s.list.ValidateListResourceConfig(ctx, req)
}

func (s listServer) ListResource(ctx context.Context, req *tfprotov6.ListResourceRequest) (*tfprotov6.ListResourceServerStream, error) {
	return s.list.ListResource(ctx, req)
}

func (s server) ValidateResourceConfig(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return serve(ctx, req, s.ProviderServer.ValidateResourceConfig)
}

func (s server) UpgradeResourceState(ctx context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	return serve(ctx, req, s.ProviderServer.UpgradeResourceState)
}

func (s server) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return serve(ctx, req, s.ProviderServer.ReadResource)
}

func (s server) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	return serve(ctx, req, s.ProviderServer.PlanResourceChange)
}

func (s server) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	return serve(ctx, req, s.ProviderServer.ApplyResourceChange)
}

func (s server) ImportResourceState(ctx context.Context, req *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	return serve(ctx, req, s.ProviderServer.ImportResourceState)
}

func (s server) ValidateDataResourceConfig(ctx context.Context, req *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	return serve(ctx, req, s.ProviderServer.ValidateDataResourceConfig)
}

func (s server) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	return serve(ctx, req, s.ProviderServer.ReadDataSource)
}

func (s server) CallFunction(ctx context.Context, req *tfprotov6.CallFunctionRequest) (*tfprotov6.CallFunctionResponse, error) {
	return serve(ctx, req, s.ProviderServer.CallFunction)
}
