package rpcctx

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// lister serves the list-resource RPCs besides the provider's.
type lister struct {
	tfprotov6.ProviderServer
	validated, listed bool
}

func (l *lister) ValidateListResourceConfig(context.Context, *tfprotov6.ValidateListResourceConfigRequest) (*tfprotov6.ValidateListResourceConfigResponse, error) {
	l.validated = true
	return &tfprotov6.ValidateListResourceConfigResponse{}, nil
}

func (l *lister) ListResource(context.Context, *tfprotov6.ListResourceRequest) (*tfprotov6.ListResourceServerStream, error) {
	l.listed = true
	return &tfprotov6.ListResourceServerStream{}, nil
}

// A provider with list resources keeps them through Wrap: terraform query
// fails with "ValidateListResourceConfig Not Implemented" otherwise.
func TestWrapForwardsTheListResourceRPCs(t *testing.T) {
	l := &lister{}
	s, ok := Wrap(l).(tfprotov6.ListResourceServer)
	if !ok {
		t.Fatal("Wrap hides the list-resource RPCs")
	}
	if _, err := s.ValidateListResourceConfig(t.Context(), &tfprotov6.ValidateListResourceConfigRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListResource(t.Context(), &tfprotov6.ListResourceRequest{}); err != nil {
		t.Fatal(err)
	}
	if !l.validated || !l.listed {
		t.Fatalf("validated=%v listed=%v: the RPCs did not reach the provider", l.validated, l.listed)
	}
	if _, ok := Wrap(&keeper{}).(tfprotov6.ListResourceServer); ok {
		t.Fatal("a provider without list resources gains list RPCs through Wrap")
	}
}
