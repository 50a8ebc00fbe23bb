# Plugs the kubernetes pack into the decision package.
package mcp.authz

import rego.v1

allow if data.mcp.packs.kubernetes.allow

deny contains reason if some reason in data.mcp.packs.kubernetes.deny

# Protocol methods (initialize, the list methods, ...) are allowed; tools/call is judged per tool.
allow if {
	not input.tool
	not data.mcp.packs.kubernetes.server_request
	input.method in data.mcp.packs.kubernetes.open_methods
}
