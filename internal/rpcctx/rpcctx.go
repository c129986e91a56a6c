// Package rpcctx keeps the provider's memory flat over many RPCs.
//
// terraform-plugin-framework (v1.19) registers the cancel function of every
// RPC's context in a slice that is only emptied by StopProvider, so each
// RPC's whole context chain (request metadata, per-request loggers) stays
// reachable for the life of the provider process: about 12 kB per RPC, four
// RPCs per resource instance on a plan. Wrap hands the framework a context
// that lets go of its parent when the RPC returns, so only a few small
// objects per RPC remain. TestFrameworkStillLeaksContexts says when a
// framework release fixes this and the package can go.
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

// Server is every RPC of terraform-plugin-go's protocol 6 (v0.31):
// ProviderServer and the RPCs of list resources, actions and state stores,
// which tf6server finds by type assertion (ProviderServerWithListResource
// and so on, until they move into ProviderServer). The framework's server
// implements all of them.
type Server interface {
	tfprotov6.ProviderServer
	tfprotov6.ListResourceServer
	tfprotov6.ActionServer
	tfprotov6.StateStoreServer
}

// Wrap returns s with its request-scoped RPCs that run once per resource
// instance (and so scale with N) on releasable contexts; every other RPC is
// passed through as it is. A server that lacks one of the optional
// interfaces is returned unwrapped: a wrapper would hide the RPCs it has or
// claim ones it has not.
func Wrap(s tfprotov6.ProviderServer) tfprotov6.ProviderServer {
	full, ok := s.(Server)
	if !ok {
		return s
	}
	return server{full}
}

// server forwards every RPC by embedding. The streaming RPCs (ListResource,
// InvokeAction, ReadStateBytes) are not released: their results are produced
// by an iterator after the RPC returns, on the RPC's context, and they run
// once per list or action block, not per instance.
type server struct{ Server }

func (s server) ValidateResourceConfig(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return serve(ctx, req, s.Server.ValidateResourceConfig)
}

func (s server) UpgradeResourceState(ctx context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	return serve(ctx, req, s.Server.UpgradeResourceState)
}

func (s server) UpgradeResourceIdentity(ctx context.Context, req *tfprotov6.UpgradeResourceIdentityRequest) (*tfprotov6.UpgradeResourceIdentityResponse, error) {
	return serve(ctx, req, s.Server.UpgradeResourceIdentity)
}

func (s server) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return serve(ctx, req, s.Server.ReadResource)
}

func (s server) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	return serve(ctx, req, s.Server.PlanResourceChange)
}

func (s server) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	return serve(ctx, req, s.Server.ApplyResourceChange)
}

func (s server) ImportResourceState(ctx context.Context, req *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	return serve(ctx, req, s.Server.ImportResourceState)
}

func (s server) MoveResourceState(ctx context.Context, req *tfprotov6.MoveResourceStateRequest) (*tfprotov6.MoveResourceStateResponse, error) {
	return serve(ctx, req, s.Server.MoveResourceState)
}

// GenerateResourceConfig runs once per result of `terraform query -generate-config-out`.
func (s server) GenerateResourceConfig(ctx context.Context, req *tfprotov6.GenerateResourceConfigRequest) (*tfprotov6.GenerateResourceConfigResponse, error) {
	return serve(ctx, req, s.Server.GenerateResourceConfig)
}

func (s server) ValidateDataResourceConfig(ctx context.Context, req *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	return serve(ctx, req, s.Server.ValidateDataResourceConfig)
}

func (s server) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	return serve(ctx, req, s.Server.ReadDataSource)
}

func (s server) CallFunction(ctx context.Context, req *tfprotov6.CallFunctionRequest) (*tfprotov6.CallFunctionResponse, error) {
	return serve(ctx, req, s.Server.CallFunction)
}
