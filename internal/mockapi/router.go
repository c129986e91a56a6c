package mockapi

import (
	"net/http"
	"strings"
)

// route is one endpoint: "METHOD /template" with {name} segments.
type route struct {
	method   string
	template string
	segments []string
	handle   func(*Server, *call) error
}

// key is the route's name in counters, faults and logs, e.g. "GET /ssh-keys/{id}".
func (rt route) key() string { return rt.method + " " + rt.template }

func newRoute(method, template string, h func(*Server, *call) error) route {
	return route{method: method, template: template, segments: strings.Split(strings.Trim(template, "/"), "/"), handle: h}
}

var routes = []route{
	newRoute(http.MethodGet, "/users/me", (*Server).getCurrentUser),
	newRoute(http.MethodGet, "/user", (*Server).getCurrentUser),
	newRoute(http.MethodGet, "/projects", (*Server).listProjects),
	newRoute(http.MethodPost, "/projects", (*Server).createProject),
	newRoute(http.MethodGet, "/projects/{id}", (*Server).getProject),
	newRoute(http.MethodPatch, "/projects/{id}", (*Server).updateProject),
	newRoute(http.MethodPut, "/projects/{id}", (*Server).updateProject),
	newRoute(http.MethodDelete, "/projects/{id}", (*Server).deleteProject),
	newRoute(http.MethodGet, "/projects/{id}/bgp-config", (*Server).getBGPConfig),
	newRoute(http.MethodGet, "/projects/{id}/ssh-keys", (*Server).listProjectKeys),
	newRoute(http.MethodPost, "/projects/{id}/ssh-keys", (*Server).createProjectKey),
	newRoute(http.MethodGet, "/ssh-keys", (*Server).listUserKeys),
	newRoute(http.MethodPost, "/ssh-keys", (*Server).createUserKey),
	newRoute(http.MethodGet, "/ssh-keys/{id}", (*Server).getKey),
	newRoute(http.MethodPatch, "/ssh-keys/{id}", (*Server).updateKeyHandler),
	newRoute(http.MethodPut, "/ssh-keys/{id}", (*Server).updateKeyHandler),
	newRoute(http.MethodDelete, "/ssh-keys/{id}", (*Server).deleteKeyHandler),
	newRoute(http.MethodGet, "/projects/{id}/devices", (*Server).listDevices),
	newRoute(http.MethodPost, "/projects/{id}/devices", (*Server).createDeviceHandler),
	newRoute(http.MethodGet, "/devices/{id}", (*Server).getDevice),
	newRoute(http.MethodDelete, "/devices/{id}", (*Server).deleteDeviceHandler),
	newRoute(http.MethodGet, "/devices/{id}/ssh-keys", (*Server).listDeviceKeys),
}

// match finds the route for a path below APIPrefix. allowed lists the
// methods the path supports when the method itself has no route (→ 405).
func match(method, path string) (rt *route, params map[string]string, allowed []string) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := range routes {
		p, ok := routes[i].params(parts)
		if !ok {
			continue
		}
		if routes[i].method == method {
			return &routes[i], p, nil
		}
		allowed = append(allowed, routes[i].method)
	}
	return nil, nil, allowed
}

func (rt route) params(parts []string) (map[string]string, bool) {
	if len(parts) != len(rt.segments) {
		return nil, false
	}
	var params map[string]string
	for i, seg := range rt.segments {
		if strings.HasPrefix(seg, "{") {
			if parts[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[strings.Trim(seg, "{}")] = parts[i]
			continue
		}
		if seg != parts[i] {
			return nil, false
		}
	}
	return params, true
}
