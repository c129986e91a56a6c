package acctest

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
	"github.com/hashicorp/terraform-plugin-go/tfprotov5/tf5server"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
)

// Served is a provider served in the test process in debug mode, which a
// CLI reaches through TF_REATTACH_PROVIDERS: unlike terraform-plugin-testing,
// this lets a test drive the CLI itself (and send it Ctrl-C).
type Served struct {
	Address string
	config  *plugin.ReattachConfig
}

// ServeV6 serves a protocol 6 provider at address until the test ends.
func ServeV6(t *testing.T, address string, server func() tfprotov6.ProviderServer) Served {
	t.Helper()
	return serve(t, address, func(ctx context.Context, configCh chan *plugin.ReattachConfig, closed chan struct{}) error {
		return tf6server.Serve(address, server,
			tf6server.WithDebug(ctx, configCh, closed),
			tf6server.WithGoPluginLogger(hclog.NewNullLogger()),
			tf6server.WithLoggingSink(t), // provider logs only as TF_LOG and TF_ACC_LOG_PATH say, as in resource.Test
			tf6server.WithoutLogStderrOverride())
	})
}

// ServeV5 serves a protocol 5 provider (an earlier provider's double) at address until the test ends.
func ServeV5(t *testing.T, address string, server func() tfprotov5.ProviderServer) Served {
	t.Helper()
	return serve(t, address, func(ctx context.Context, configCh chan *plugin.ReattachConfig, closed chan struct{}) error {
		return tf5server.Serve(address, server,
			tf5server.WithDebug(ctx, configCh, closed),
			tf5server.WithGoPluginLogger(hclog.NewNullLogger()),
			tf5server.WithLoggingSink(t),
			tf5server.WithoutLogStderrOverride())
	})
}

func serve(t *testing.T, address string, run func(context.Context, chan *plugin.ReattachConfig, chan struct{}) error) Served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	configCh := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	served := make(chan error, 1)
	go func() { served <- run(ctx, configCh, closed) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Errorf("the provider %s did not stop", address)
		}
	})
	select {
	case cfg := <-configCh:
		return Served{Address: address, config: cfg}
	case err := <-served:
		t.Fatalf("serving the provider %s: %v", address, err)
	case <-time.After(30 * time.Second):
		t.Fatalf("the provider %s did not start", address)
	}
	return Served{}
}

// reattachEntry is the provider's entry in TF_REATTACH_PROVIDERS.
func (s Served) reattachEntry() map[string]any {
	return map[string]any{
		"Protocol": string(s.config.Protocol), "ProtocolVersion": s.config.ProtocolVersion,
		"Pid": s.config.Pid, "Test": s.config.Test,
		"Addr": map[string]string{"Network": s.config.Addr.Network(), "String": s.config.Addr.String()},
	}
}
