package mockapi

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// deviceSettings are the fields of DeviceCreateInput the API keeps as sent
// and shows back; the earlier providers read them into state, so a device
// that dropped them would plan as changed.
type deviceSettings struct {
	BillingCycle  string          `json:"billing_cycle,omitempty"`
	Description   string          `json:"description,omitempty"`
	Locked        bool            `json:"locked,omitempty"`
	AlwaysPXE     bool            `json:"always_pxe,omitempty"`
	IPXEScriptURL string          `json:"ipxe_script_url,omitempty"`
	UserData      string          `json:"userdata,omitempty"`
	CustomData    json.RawMessage `json:"customdata,omitempty"` // a JSON object, compacted
}

// customDataObject takes customdata as the spec sends it (an object) or as
// packngo does (a string holding one).
func customDataObject(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var text string
	if json.Unmarshal(raw, &text) == nil {
		raw = json.RawMessage(text)
	}
	var obj map[string]any
	if json.Unmarshal(raw, &obj) != nil || obj == nil {
		return nil, errorf(http.StatusUnprocessableEntity, "customdata must be a JSON object")
	}
	var out bytes.Buffer
	if err := json.Compact(&out, raw); err != nil {
		return nil, errorf(http.StatusUnprocessableEntity, "customdata must be a JSON object")
	}
	return out.Bytes(), nil
}
