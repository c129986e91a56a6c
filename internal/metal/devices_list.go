package metal

import "context"

// ProjectDevice is a device as a project's device list shows it: a Device
// and its tags.
type ProjectDevice struct {
	Device
	Tags []string
}

// DeviceFilter narrows a project's device list on the server.
type DeviceFilter struct {
	// Tag keeps devices with this tag (the spec's "tag" query parameter).
	// Callers still check each device: the filter is only a saving.
	Tag     string
	PerPage int // 0: PageSize
}

type projectDeviceJSON struct {
	deviceJSON
	Tags []string `json:"tags"`
}

// ListProjectDevicesWithTags lists a project's devices with their tags, all
// pages (ListProjectDevices, which has no tags, serves hostname lookups).
func (c *Client) ListProjectDevicesWithTags(ctx context.Context, projectID string, f DeviceFilter) ([]ProjectDevice, error) {
	if err := validateID("project", projectID); err != nil {
		return nil, err
	}
	q := pagingQuery(f.PerPage)
	if f.Tag != "" {
		q.Set("tag", f.Tag)
	}
	raw, err := listAll[projectDeviceJSON](ctx, c, "projects/"+projectID+"/devices", q, "devices")
	if err != nil {
		return nil, err
	}
	devices := make([]ProjectDevice, 0, len(raw))
	for i := range raw {
		devices = append(devices, ProjectDevice{Device: raw[i].toDevice(), Tags: raw[i].Tags})
	}
	return devices, nil
}
