package main

import (
	"net/http"
	"testing"

	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// TestRetiredFlag: --retired answers 401 to a token that works without it.
func TestRetiredFlag(t *testing.T) {
	if got := startRun(t).get(t, "user", mockapi.DefaultToken); got != http.StatusOK {
		t.Fatalf("without --retired: %d, want 200", got)
	}
	if got := startRun(t, "--retired").get(t, "user", mockapi.DefaultToken); got != http.StatusUnauthorized {
		t.Errorf("with --retired: %d, want 401", got)
	}
}
