package rpcctx

import (
	"context"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// recorder is a Server that remembers which RPCs reached it, with the
// request and what the context carried.
type recorder struct {
	mu    sync.Mutex
	calls map[string]call
}

type call struct {
	req   any
	value any
}

// hit records the RPC it is called from, named after the calling method.
func (r *recorder) hit(ctx context.Context, req any) error {
	pc, _, _, _ := runtime.Caller(1)
	name := runtime.FuncForPC(pc).Name()
	name = name[strings.LastIndexByte(name, '.')+1:]
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls == nil {
		r.calls = map[string]call{}
	}
	r.calls[name] = call{req: req, value: ctx.Value(key{})}
	return nil
}

var _ Server = (*recorder)(nil)

// TestEveryRPCIsForwarded calls every method of the protocol (found by
// reflection over Server, so a new RPC in terraform-plugin-go is covered
// once it is in one of the interfaces) on the wrapper and checks that each
// reached the wrapped server with its request and context.
func TestEveryRPCIsForwarded(t *testing.T) {
	rec := &recorder{}
	wrapped := reflect.ValueOf(Wrap(rec))
	ctx := context.WithValue(t.Context(), key{}, "request data")
	rpcs := reflect.TypeFor[Server]()
	if rpcs.NumMethod() < 36 {
		t.Fatalf("Server has %d methods; terraform-plugin-go v0.31 has 36 RPCs", rpcs.NumMethod())
	}
	for i := range rpcs.NumMethod() {
		m := rpcs.Method(i)
		method := wrapped.MethodByName(m.Name)
		if !method.IsValid() {
			t.Errorf("Wrap hides %s", m.Name)
			continue
		}
		req := reflect.New(m.Type.In(1).Elem())
		out := method.Call([]reflect.Value{reflect.ValueOf(ctx), req})
		if err, _ := out[1].Interface().(error); err != nil {
			t.Errorf("%s: %v", m.Name, err)
		}
		got, ok := rec.calls[m.Name]
		switch {
		case !ok:
			t.Errorf("%s did not reach the wrapped server", m.Name)
		case got.req != req.Interface():
			t.Errorf("%s reached the wrapped server with another request", m.Name)
		case got.value != "request data":
			t.Errorf("%s reached the wrapped server without the RPC's context values (got %v)", m.Name, got.value)
		}
	}
	//nolint:staticcheck // deprecated, but these are what tf6server asserts today
	for name, ok := range map[string]bool{
		"ProviderServerWithListResource": isA[tfprotov6.ProviderServerWithListResource](Wrap(rec)),
		"ProviderServerWithActions":      isA[tfprotov6.ProviderServerWithActions](Wrap(rec)),
		"ProviderServerWithStateStores":  isA[tfprotov6.ProviderServerWithStateStores](Wrap(rec)),
	} {
		if !ok {
			t.Errorf("the wrapper is no %s: tf6server would answer those RPCs as unimplemented", name)
		}
	}
}

func isA[T any](v any) bool {
	_, ok := v.(T)
	return ok
}

// TestFrameworkRPCsAreAllForwarded looks at the framework's own server: every
// RPC it serves must be an RPC of the wrapper, so an RPC a future framework
// adds (in an interface Server does not know yet) is not hidden.
func TestFrameworkRPCsAreAllForwarded(t *testing.T) {
	fw := providerserver.NewProtocol6(emptyProvider{})()
	if _, ok := fw.(Server); !ok {
		t.Fatal("the framework's server is no rpcctx.Server: Wrap would return it unwrapped")
	}
	wrapped := reflect.ValueOf(Wrap(fw))
	ctxType := reflect.TypeFor[context.Context]()
	typ := reflect.TypeOf(fw)
	n := 0
	for i := range typ.NumMethod() {
		m := typ.Method(i)
		if m.Type.NumIn() != 3 || m.Type.In(1) != ctxType || m.Type.In(2).Kind() != reflect.Pointer ||
			m.Type.In(2).Elem().PkgPath() != reflect.TypeFor[tfprotov6.ReadResourceRequest]().PkgPath() {
			continue
		}
		n++
		if !wrapped.MethodByName(m.Name).IsValid() {
			t.Errorf("the framework serves %s but rpcctx.Wrap hides it: add its interface to rpcctx.Server", m.Name)
		}
	}
	if n < 36 {
		t.Fatalf("found %d RPCs on the framework's server; want at least 36", n)
	}
}

// payloadKey carries a large value in every RPC's context, so that what the
// framework keeps of those contexts shows in the heap.
type payloadKey struct{}

const payloadBytes = 64 << 10

// retainedPerRPC runs RPCs through s and returns the heap still in use
// afterwards, per RPC. ValidateResourceConfig is one of the RPCs Wrap releases.
func retainedPerRPC(t *testing.T, s tfprotov6.ProviderServer) int64 {
	t.Helper()
	const rpcs = 200
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range rpcs {
		ctx := context.WithValue(context.Background(), payloadKey{}, make([]byte, payloadBytes))
		if _, err := s.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{TypeName: "none_such"}); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(s)
	return (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / rpcs //nolint:gosec // a heap is far below 2^63 bytes
}

// TestFrameworkStillLeaksContexts passes while terraform-plugin-framework
// keeps every RPC's context until StopProvider, which is why this package
// exists. When it fails, the framework has been fixed.
func TestFrameworkStillLeaksContexts(t *testing.T) {
	fw := providerserver.NewProtocol6(emptyProvider{})()
	if kept := retainedPerRPC(t, fw); kept < payloadBytes/2 {
		t.Fatalf("framework no longer leaks contexts: delete internal/rpcctx (it kept %d bytes per RPC of a %d-byte context)",
			kept, payloadBytes)
	}
}

// TestWrapReleasesWhatTheFrameworkKeeps is the same measurement through
// Wrap: it shows the measurement can tell a server that keeps nothing.
func TestWrapReleasesWhatTheFrameworkKeeps(t *testing.T) {
	wrapped := Wrap(providerserver.NewProtocol6(emptyProvider{})())
	if kept := retainedPerRPC(t, wrapped); kept >= payloadBytes/2 {
		t.Fatalf("through Wrap the framework still keeps %d bytes per RPC of a %d-byte context", kept, payloadBytes)
	}
}

// emptyProvider is a framework provider with nothing in it.
type emptyProvider struct{}

func (emptyProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "empty"
}
func (emptyProvider) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {}
func (emptyProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}
func (emptyProvider) Resources(context.Context) []func() resource.Resource       { return nil }
func (emptyProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }

func (r *recorder) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) CallFunction(ctx context.Context, req *tfprotov6.CallFunctionRequest) (*tfprotov6.CallFunctionResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) CloseEphemeralResource(ctx context.Context, req *tfprotov6.CloseEphemeralResourceRequest) (*tfprotov6.CloseEphemeralResourceResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) ConfigureProvider(ctx context.Context, req *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) ConfigureStateStore(ctx context.Context, req *tfprotov6.ConfigureStateStoreRequest) (*tfprotov6.ConfigureStateStoreResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) DeleteState(ctx context.Context, req *tfprotov6.DeleteStateRequest) (*tfprotov6.DeleteStateResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) GenerateResourceConfig(ctx context.Context, req *tfprotov6.GenerateResourceConfigRequest) (*tfprotov6.GenerateResourceConfigResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) GetFunctions(ctx context.Context, req *tfprotov6.GetFunctionsRequest) (*tfprotov6.GetFunctionsResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) GetMetadata(ctx context.Context, req *tfprotov6.GetMetadataRequest) (*tfprotov6.GetMetadataResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) GetProviderSchema(ctx context.Context, req *tfprotov6.GetProviderSchemaRequest) (*tfprotov6.GetProviderSchemaResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) GetResourceIdentitySchemas(ctx context.Context, req *tfprotov6.GetResourceIdentitySchemasRequest) (*tfprotov6.GetResourceIdentitySchemasResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) GetStates(ctx context.Context, req *tfprotov6.GetStatesRequest) (*tfprotov6.GetStatesResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) ImportResourceState(ctx context.Context, req *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) InvokeAction(ctx context.Context, req *tfprotov6.InvokeActionRequest) (*tfprotov6.InvokeActionServerStream, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) ListResource(ctx context.Context, req *tfprotov6.ListResourceRequest) (*tfprotov6.ListResourceServerStream, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) LockState(ctx context.Context, req *tfprotov6.LockStateRequest) (*tfprotov6.LockStateResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) MoveResourceState(ctx context.Context, req *tfprotov6.MoveResourceStateRequest) (*tfprotov6.MoveResourceStateResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) OpenEphemeralResource(ctx context.Context, req *tfprotov6.OpenEphemeralResourceRequest) (*tfprotov6.OpenEphemeralResourceResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) PlanAction(ctx context.Context, req *tfprotov6.PlanActionRequest) (*tfprotov6.PlanActionResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) ReadStateBytes(ctx context.Context, req *tfprotov6.ReadStateBytesRequest) (*tfprotov6.ReadStateBytesStream, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) RenewEphemeralResource(ctx context.Context, req *tfprotov6.RenewEphemeralResourceRequest) (*tfprotov6.RenewEphemeralResourceResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) StopProvider(ctx context.Context, req *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) UnlockState(ctx context.Context, req *tfprotov6.UnlockStateRequest) (*tfprotov6.UnlockStateResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) UpgradeResourceIdentity(ctx context.Context, req *tfprotov6.UpgradeResourceIdentityRequest) (*tfprotov6.UpgradeResourceIdentityResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) UpgradeResourceState(ctx context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) ValidateActionConfig(ctx context.Context, req *tfprotov6.ValidateActionConfigRequest) (*tfprotov6.ValidateActionConfigResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) ValidateDataResourceConfig(ctx context.Context, req *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) ValidateEphemeralResourceConfig(ctx context.Context, req *tfprotov6.ValidateEphemeralResourceConfigRequest) (*tfprotov6.ValidateEphemeralResourceConfigResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) ValidateListResourceConfig(ctx context.Context, req *tfprotov6.ValidateListResourceConfigRequest) (*tfprotov6.ValidateListResourceConfigResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) ValidateProviderConfig(ctx context.Context, req *tfprotov6.ValidateProviderConfigRequest) (*tfprotov6.ValidateProviderConfigResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) ValidateResourceConfig(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) ValidateStateStoreConfig(ctx context.Context, req *tfprotov6.ValidateStateStoreConfigRequest) (*tfprotov6.ValidateStateStoreConfigResponse, error) {
	return nil, r.hit(ctx, req)
}

func (r *recorder) WriteStateBytes(ctx context.Context, req *tfprotov6.WriteStateBytesStream) (*tfprotov6.WriteStateBytesResponse, error) {
	return nil, r.hit(ctx, req)
}
